"""The tickets app's models: tickets and their attachments, SLA configuration and clocks, emails, lookup links,
ratings and idempotent API requests."""

from tickets.models.attachments import Attachment
from tickets.models.emails import OutgoingEmail
from tickets.models.idempotency import IdempotentRequest, request_fingerprint
from tickets.models.lookups import LINK_LIFETIME, LookupLink, new_lookup_token
from tickets.models.ratings import Rating
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
    "LINK_LIFETIME", "PLACEHOLDER", "REFERENCE_ALPHABET", "REFERENCE_LENGTH", "REFERENCE_PATTERN", "Attachment",
    "BusinessCalendar", "CannedReply", "EscalationRule", "Holiday", "IdempotentRequest", "LookupLink", "Message",
    "Metric", "OutgoingEmail", "ProblemField", "ProblemType", "Queue", "Rating", "SLAClock", "SLAPolicy", "SLATarget",
    "Ticket", "TicketEvent", "Weekday", "WorkingHours", "hash_token", "new_lookup_token", "new_reference",
    "new_tracking_token", "request_fingerprint",
]  # fmt: skip
