"""The tickets app's models: the tickets themselves, their attachments, and the SLA configuration and clocks."""

from tickets.models.attachments import Attachment
from tickets.models.emails import OutgoingEmail
from tickets.models.sla import (
    BusinessCalendar,
    EscalationRule,
    Holiday,
    Metric,
    SLAClock,
    SLAPolicy,
    SLATarget,
    Weekday,
    WorkingHours,
)
from tickets.models.tickets import (
    PLACEHOLDER,
    REFERENCE_ALPHABET,
    REFERENCE_LENGTH,
    REFERENCE_PATTERN,
    CannedReply,
    Message,
    ProblemField,
    ProblemType,
    Queue,
    Ticket,
    TicketEvent,
    hash_token,
    new_reference,
    new_tracking_token,
)

__all__ = [
    "PLACEHOLDER", "REFERENCE_ALPHABET", "REFERENCE_LENGTH", "REFERENCE_PATTERN",
    "Attachment", "BusinessCalendar", "CannedReply", "EscalationRule", "Holiday", "Message", "Metric", "OutgoingEmail",
    "ProblemField", "ProblemType", "Queue", "SLAClock", "SLAPolicy", "SLATarget", "Ticket", "TicketEvent", "Weekday",
    "WorkingHours", "hash_token", "new_reference", "new_tracking_token",
]  # fmt: skip
