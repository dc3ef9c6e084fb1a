"""Copy each problem type's JSON field definitions into ProblemField rows.

Coin and network become their own kinds (choices from the networks table instead of free text or a per-type
list), network values take the table's codes, and the deposit and withdrawal starter types gain a memo/tag field and
the time of the transfer.
"""

from django.db import migrations

NETWORK_CODES = {"Bitcoin": "BTC", "Solana": "SOL"}
MEMO = {
    "name": "memo",
    "kind": "memo",
    "required": False,
    "labels": {"zh-hans": "Memo / 标签（选填）", "en": "Memo / tag (optional)"},
    "helps": {
        "zh-hans": "仅 TON、XRP 等需要 Memo 或标签的网络填写，按转账记录填写。",
        "en": "Only for networks that use one (TON, XRP Ledger…): as shown in your transfer record.",
    },
}
TRANSFER_TIME = {
    "name": "transfer_time",
    "kind": "datetime",
    "required": False,
    "labels": {"zh-hans": "转账时间（选填）", "en": "Time of the transfer (optional)"},
    "helps": {
        "zh-hans": "按北京时间（UTC+8）填写，可在转账记录中查看。",
        "en": "In Beijing time (UTC+8), as shown in your transfer history.",
    },
}
ADDED = {"deposit-not-credited": [MEMO, TRANSFER_TIME], "withdrawal-problem": [MEMO, TRANSFER_TIME]}


def kind_of(definition):
    name, kind = definition.get("name"), definition.get("type")
    if (name, kind) == ("coin", "text"):
        return "coin"
    if (name, kind) == ("network", "choice"):
        return "network"
    return kind


def to_rows(apps, schema_editor):
    ProblemType = apps.get_model("tickets", "ProblemType")
    ProblemField = apps.get_model("tickets", "ProblemField")
    Ticket = apps.get_model("tickets", "Ticket")
    for problem_type in ProblemType.objects.all():
        rows = []
        for definition in problem_type.legacy_fields or []:
            kind = kind_of(definition)
            rows.append(
                {
                    "name": definition["name"],
                    "kind": kind,
                    "required": bool(definition.get("required", False)),
                    "labels": definition.get("label") or {},
                    "helps": definition.get("help") or {},
                    "choices": (definition.get("choices") or []) if kind == "choice" else [],
                }
            )
        names = {row["name"] for row in rows}
        extra = [row for row in ADDED.get(problem_type.slug, []) if row["name"] not in names]
        # The memo belongs right after the address it goes with.
        after = next((i for i, row in enumerate(rows) if row["kind"] == "address"), len(rows) - 1)
        rows[after + 1 : after + 1] = extra
        for position, row in enumerate(rows, 1):
            ProblemField.objects.create(problem_type=problem_type, position=position * 10, **row)
    for ticket in Ticket.objects.filter(fields__has_key="network"):
        network = ticket.fields.get("network")
        if network in NETWORK_CODES:
            ticket.fields["network"] = NETWORK_CODES[network]
            ticket.save(update_fields=["fields"])


def to_json(apps, schema_editor):
    ProblemType = apps.get_model("tickets", "ProblemType")
    for problem_type in ProblemType.objects.prefetch_related("fields"):
        problem_type.legacy_fields = [
            {
                "name": row.name,
                "type": {"coin": "text", "network": "text", "memo": "text", "datetime": "text"}.get(row.kind, row.kind),
                "required": row.required,
                "label": row.labels,
                "help": row.helps,
                **({"choices": row.choices} if row.kind == "choice" else {}),
            }
            for row in problem_type.fields.all()
        ]
        problem_type.save(update_fields=["legacy_fields"])
    apps.get_model("tickets", "ProblemField").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("tickets", "0003_problem_field_rows")]

    operations = [migrations.RunPython(to_rows, to_json)]
