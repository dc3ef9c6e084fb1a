"""Ticket factories: `make_x(**overrides)` returns a saved row with sensible defaults."""

import itertools

from tickets import actions
from tickets.models import Message, ProblemType, Queue

_seq = itertools.count(1)

TXID = "0x" + "ab" * 32
ADDRESS = "TQrY8tryqsYVCYS3MFbtffiPp2ccyn4STm"

DEPOSIT_FIELDS = [
    {"name": "coin", "type": "text", "required": True, "label": {"zh-hans": "币种", "en": "Coin"}},
    {
        "name": "network",
        "type": "choice",
        "required": True,
        "label": {"zh-hans": "网络", "en": "Network"},
        "choices": [
            {"value": "TRC20", "label": {"zh-hans": "波场 (TRC20)", "en": "Tron (TRC20)"}},
            {"value": "ERC20", "label": {"zh-hans": "以太坊 (ERC20)", "en": "Ethereum (ERC20)"}},
        ],
    },
    {"name": "txid", "type": "txid", "required": True, "label": {"zh-hans": "交易哈希", "en": "TxID"}},
    {"name": "amount", "type": "amount", "required": True, "label": {"zh-hans": "数量", "en": "Amount"}},
    {"name": "address", "type": "address", "required": True, "label": {"zh-hans": "充币地址", "en": "Address"}},
    {"name": "note", "type": "textarea", "required": False, "label": {"zh-hans": "备注", "en": "Note"}},
]


def make_queue(**overrides):
    n = next(_seq)
    fields = {"slug": f"queue-{n}", "name": f"Queue {n}"}
    fields.update(overrides)
    return Queue.objects.create(**fields)


def make_problem_type(**overrides):
    n = next(_seq)
    fields = {
        "slug": f"type-{n}",
        "names": {"zh-hans": f"问题类型{n}", "en": f"Problem type {n}"},
        "descriptions": {"zh-hans": f"说明{n}", "en": f"Description {n}"},
        "position": n,
        "fields": DEPOSIT_FIELDS,
    }
    fields.update(overrides)
    if "queue" not in fields:
        fields["queue"] = make_queue()
    return ProblemType.objects.create(**fields)


def deposit_values(**overrides):
    values = {"coin": "USDT", "network": "TRC20", "txid": TXID, "amount": "12.5", "address": ADDRESS}
    values.update(overrides)
    return values


def open_ticket(problem_type=None, **overrides):
    """Open a ticket through the action; returns (ticket, token)."""
    n = next(_seq)
    arguments = {
        "problem_type": problem_type or make_problem_type(),
        "language": "zh-hans",
        "email": f"customer{n}@example.com",
        "subject": f"充值未到账 {n}",
        "description": f"我的 USDT 还没到账 {n}",
        "fields": deposit_values(),
    }
    arguments.update(overrides)
    return actions.open_ticket(**arguments)


def make_ticket(**overrides):
    return open_ticket(**overrides)[0]


def add_message(ticket, **overrides):
    fields = {"ticket": ticket, "kind": Message.Kind.PUBLIC, "author": Message.Author.AGENT, "body": "回复"}
    fields.update(overrides)
    return Message.objects.create(**fields)
