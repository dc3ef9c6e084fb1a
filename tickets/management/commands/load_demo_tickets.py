"""Demo tickets for the desk: a morning's worth of customer problems in both languages, some answered, some late."""

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from tickets import actions, clocks
from tickets.models import Message, ProblemType, Ticket, TicketEvent
from tickets.sweep import sweep

DEMO_DOMAIN = "demo.example.com"
TRON_TXID = "7c3f5e2a9b8d4c1f6e0a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f70"
TRON_ADDRESS = "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"

# (minutes ago, type, language, name, subject, description, fields, tier, agent steps)
# Agent steps: ("reply", minutes after opening, text, status) or ("status", minutes after, status).
TICKETS = [
    (
        250, "deposit-not-credited", "zh-hans", "王芳", "USDT 充值三个小时还没到账",
        "我从另一个平台提了 500 USDT（TRC20）到我的充币地址，对方显示已完成，但我的资金账户里还没有。",
        {"coin": "USDT", "network": "TRC20", "txid": TRON_TXID, "amount": "500", "address": TRON_ADDRESS},
        "standard", [],
    ),
    (
        95, "deposit-not-credited", "en", "Daniel Brooks", "Deposit not arrived after 2 hours",
        "I sent USDT on TRC20 two hours ago. The sending wallet says confirmed but my balance has not changed.",
        {"coin": "USDT", "network": "TRC20", "txid": TRON_TXID, "amount": "1200", "address": TRON_ADDRESS},
        "vip", [],
    ),
    (
        40, "withdrawal-problem", "zh-hans", "", "提币一直显示处理中",
        "昨天晚上提了 0.5 ETH，到现在还是处理中，是不是被风控了？",
        {}, "standard",
        [("reply", 20, "您好，{name}，提币正在安全审核中，通常在 2 小时内完成，请耐心等待。", "on_hold")],
    ),
    (
        600, "identity-verification", "en", "Maria Santos", "KYC rejected twice",
        "My identity verification was rejected twice with 'document unclear'. I used my passport both times.",
        {}, "standard",
        [("reply", 30, "Hello {name}, please retake the photo in daylight without glare, all four corners visible.",
          "pending")],
    ),
    (
        15, "account-security", "zh-hans", "李明", "有人冒充客服让我转账",
        "有个自称官方客服的人在电报上让我把币转到一个“安全账户”，这是真的吗？我的账户安全吗？",
        {}, "vip", [],
    ),
    (
        1500, "trading-futures", "en", "", "Position liquidated although price never reached my liquidation price",
        "My BTC-USDT perpetual long was liquidated at 03:12 UTC. The index never touched my liquidation price.",
        {}, "standard", [("reply", 200, "Thanks, we are checking the mark price history for that minute.", None)],
    ),
    (
        3000, "promotions-rewards", "zh-hans", "", "新人福利的体验金没有发放",
        "我完成了注册和首次充值，但是活动页面说的体验金一直没有到账。",
        {}, "standard",
        [("reply", 60, "您好，体验金会在活动结束后 7 个工作日内统一发放。", None), ("status", 120, "solved")],
    ),
]  # fmt: skip


class Command(BaseCommand):
    help = "Create demo tickets (once) with replies, pauses and late ones, so the desk has something to work on."

    def handle(self, *args, **options):
        if Ticket.objects.filter(customer_email__endswith="@" + DEMO_DOMAIN).exists():
            self.stdout.write("Demo tickets exist; nothing to do.")
            return
        staff = {u.username: u for u in get_user_model().objects.filter(username__in=["agent", "supervisor"])}
        types = {t.slug: t for t in ProblemType.objects.all()}
        made = 0
        for n, (ago, slug, language, name, subject, description, fields, tier, steps) in enumerate(TICKETS, 1):
            if slug not in types:
                continue
            self._make(n, ago, types[slug], language, name, subject, description, fields, tier, steps, staff)
            made += 1
        result = sweep()
        self.stdout.write(f"Created {made} demo tickets; the sweep recorded {result.breached} breaches.")

    @transaction.atomic
    def _make(self, n, ago, problem_type, language, name, subject, description, fields, tier, steps, staff):
        opened = actions.open_ticket(
            problem_type=problem_type,
            language=language,
            email=f"customer{n}@{DEMO_DOMAIN}",
            name=name,
            subject=subject,
            description=description,
            fields=fields,
        )
        ticket = opened.ticket
        if tier != ticket.customer_tier:
            Ticket.objects.filter(pk=ticket.pk).update(customer_tier=tier)
            ticket.customer_tier = tier
        began = timezone.now() - timedelta(minutes=ago)
        self._move(ticket, since_event=0, since_message=0, to=began)
        Ticket.objects.filter(pk=ticket.pk).update(created_at=began)
        ticket.created_at = began
        # The demo agent answers the payments queue; the supervisor the others.
        agent = next((u for u in staff.values() if actions.can_work(u, ticket.queue_id)), None)
        for step in steps:
            if agent is None:
                break
            last_event = ticket.events.order_by("-id").values_list("id", flat=True).first()
            last_message = ticket.messages.order_by("-id").values_list("id", flat=True).first()
            if step[0] == "reply":
                _kind, after, text, status = step
                body = text.format(name=name or ticket.customer_email)
                actions.add_agent_reply(ticket=ticket, author=agent, body=body, status=status)
            else:
                _kind, after, status = step
                actions.change_status(ticket=ticket, status=status, actor=agent)
            self._move(ticket, since_event=last_event, since_message=last_message, to=began + timedelta(minutes=after))
        ticket.refresh_from_db()
        clocks.refresh([ticket])

    def _move(self, ticket, *, since_event, since_message, to):
        """Date the ticket's events and messages made after the given ids at `to` (demo history in the past)."""
        TicketEvent.objects.filter(ticket=ticket, pk__gt=since_event).update(created_at=to)
        Message.objects.filter(ticket=ticket, pk__gt=since_message).update(created_at=to)
