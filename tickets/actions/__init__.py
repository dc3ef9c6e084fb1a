"""Every write to tickets: opening, replies and notes, status, priority, queue, assignee, escalation, merging, and
the links that let a customer find their tickets again by email.

Views, the API, the admin and the sweep call these (as `actions.open_ticket`, …). Each locks the ticket row, bumps
its version (a form that saw an older version is refused with Conflict, never applied over a change it did not see),
leaves an event, and recomputes the ticket's SLA clocks in the same transaction.

- `changes`: the row lock, the version, the event, and the status change both sides make;
- `customer`: opening a ticket (form and API), the customer's replies, self-service solves, reopening, ratings;
- `desk`: staff replies and notes, priority, assignment, queues, escalation, merging, the sweep's batch writes;
- `lookup`: the tracking token and the lookup links emailed to an address.
"""

from tickets.actions.changes import LOCKED_FIELDS, Conflict, change_status
from tickets.actions.customer import (
    CLOSED_MESSAGE,
    REFERENCE_ATTEMPTS,
    REOPENED_BY_REPLY,
    RESUBMIT_WINDOW,
    KeyReused,
    Opened,
    add_customer_reply,
    add_customer_reply_for_request,
    open_ticket,
    open_ticket_for_request,
    rate_ticket,
    reopen_ticket,
    solve_by_self_service,
)
from tickets.actions.desk import (
    add_agent_reply,
    add_note,
    assign_ticket,
    can_work,
    change_priority,
    close_solved_tickets,
    de_escalate_ticket,
    escalate_ticket,
    mark_sla_stale,
    merge_tickets,
    move_ticket,
    workers,
)
from tickets.actions.lookup import (
    LOOKUP_ADDRESS_LIMIT,
    LOOKUP_ADDRESS_PERIOD,
    request_lookup,
    send_lookup_link,
    ticket_for_token,
    use_lookup_link,
)

__all__ = [
    "CLOSED_MESSAGE",
    "LOCKED_FIELDS",
    "LOOKUP_ADDRESS_LIMIT",
    "LOOKUP_ADDRESS_PERIOD",
    "REFERENCE_ATTEMPTS",
    "REOPENED_BY_REPLY",
    "RESUBMIT_WINDOW",
    "Conflict",
    "KeyReused",
    "Opened",
    "add_agent_reply",
    "add_customer_reply",
    "add_customer_reply_for_request",
    "add_note",
    "assign_ticket",
    "can_work",
    "change_priority",
    "change_status",
    "close_solved_tickets",
    "de_escalate_ticket",
    "escalate_ticket",
    "mark_sla_stale",
    "merge_tickets",
    "move_ticket",
    "open_ticket",
    "open_ticket_for_request",
    "rate_ticket",
    "reopen_ticket",
    "request_lookup",
    "send_lookup_link",
    "solve_by_self_service",
    "ticket_for_token",
    "use_lookup_link",
    "workers",
]
