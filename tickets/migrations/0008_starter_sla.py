"""Starter SLA policies of a 7x24 exchange desk (VIP first, then everyone), and the desk groups' new permissions."""

from django.db import migrations

from helpdesk import groups

# Business minutes per priority: (low, normal, high, urgent). The desk works 7x24, so the calendar is 24x7.
POLICIES = [
    {
        "name": "VIP customers",
        "tier": "vip",
        "targets": {
            "first_response": (120, 60, 30, 15),
            "next_response": (240, 120, 60, 30),
            "resolution": (2880, 1440, 480, 240),
        },
        "rules": [
            {"level": 1, "trigger": "warning", "notify_assignee": True, "notify_group": "Supervisor"},
            {"level": 2, "trigger": "breach", "raise_priority_to": "urgent", "notify_group": "Supervisor"},
        ],
    },
    {
        "name": "Standard",
        "tier": "",
        "targets": {
            "first_response": (1440, 240, 120, 60),
            "next_response": (1440, 480, 240, 120),
            "resolution": (7200, 2880, 1440, 480),
        },
        "rules": [
            {"level": 1, "trigger": "warning", "notify_assignee": True},
            {"level": 2, "trigger": "breach", "raise_priority_to": "high", "notify_group": "Supervisor"},
            {"level": 3, "trigger": "after_breach", "delay_minutes": 240, "notify_group": "Supervisor"},
        ],
    },
]
PRIORITIES = ("low", "normal", "high", "urgent")

AGENT = [
    "view_ticket", "change_ticket", "view_message", "add_message", "view_ticketevent",
    "view_queue", "view_problemtype", "view_problemfield",
    "view_slaclock", "view_cannedreply", "view_slapolicy", "view_businesscalendar",
]  # fmt: skip
SUPERVISOR = AGENT + [
    "view_all_queues",
    "add_queue", "change_queue",
    "add_problemtype", "change_problemtype",
    "add_problemfield", "change_problemfield", "delete_problemfield",
    "add_cannedreply", "change_cannedreply", "delete_cannedreply",
    "add_businesscalendar", "change_businesscalendar", "delete_businesscalendar",
    "add_workinghours", "change_workinghours", "delete_workinghours", "view_workinghours",
    "add_holiday", "change_holiday", "delete_holiday", "view_holiday",
    "add_slapolicy", "change_slapolicy", "delete_slapolicy",
    "add_slatarget", "change_slatarget", "delete_slatarget", "view_slatarget",
    "add_escalationrule", "change_escalationrule", "delete_escalationrule", "view_escalationrule",
]  # fmt: skip


def create(apps, schema_editor):
    groups.grant(apps, "tickets", {"Agent": AGENT, "Supervisor": SUPERVISOR})
    Group = apps.get_model("auth", "Group")
    Policy = apps.get_model("tickets", "SLAPolicy")
    Target = apps.get_model("tickets", "SLATarget")
    Rule = apps.get_model("tickets", "EscalationRule")
    if Policy.objects.exists():
        return
    for position, spec in enumerate(POLICIES):
        policy = Policy.objects.create(
            name=spec["name"], position=position * 10, customer_tier=spec["tier"], warn_at_percent=75
        )
        Target.objects.bulk_create(
            Target(policy=policy, metric=metric, priority=priority, minutes=minutes)
            for metric, per_priority in spec["targets"].items()
            for priority, minutes in zip(PRIORITIES, per_priority, strict=True)
        )
        for rule in spec["rules"]:
            group = rule.get("notify_group")
            Rule.objects.create(
                policy=policy,
                level=rule["level"],
                trigger=rule["trigger"],
                delay_minutes=rule.get("delay_minutes", 0),
                raise_priority_to=rule.get("raise_priority_to", ""),
                notify_assignee=rule.get("notify_assignee", False),
                notify_group=Group.objects.filter(name=group).first() if group else None,
            )


def remove(apps, schema_editor):
    apps.get_model("tickets", "SLAPolicy").objects.filter(name__in=[p["name"] for p in POLICIES]).delete()


class Migration(migrations.Migration):
    dependencies = [("tickets", "0007_desk_sla"), ("tickets", "0006_desk_groups")]
    operations = [migrations.RunPython(create, remove)]
