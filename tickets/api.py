"""Staff ticket API: the tickets a staff member may work, scoped as in the admin, and the desk's actions on them.

Authentication by token (`Authorization: Token …`, tokens are made in the admin) or by the admin session (writes
then need the CSRF token). Every write calls the matching function of tickets.actions.
"""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import serializers, status, viewsets
from rest_framework.authentication import SessionAuthentication, TokenAuthentication
from rest_framework.decorators import action
from rest_framework.exceptions import APIException, NotFound, PermissionDenied
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.response import Response
from rest_framework.settings import api_settings

from tickets import actions, attachments
from tickets.filters import StrictFilterBackend, TicketFilter, TicketOrdering
from tickets.models import Attachment, Ticket
from tickets.pagination import KeysetPagination
from tickets.serializers import (
    AssignSerializer,
    DeEscalateSerializer,
    ErrorSerializer,
    EscalateSerializer,
    MoveSerializer,
    NoteSerializer,
    PrioritySerializer,
    ReplySerializer,
    StatusSerializer,
    TicketDetailSerializer,
    TicketListSerializer,
)


class VersionConflict(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"


class DeskStaff(BasePermission):
    """Active staff who may view tickets (and change them, for writes); anyone else sees nothing at all."""

    def has_permission(self, request, view):
        user = request.user
        if not (user and user.is_authenticated and user.is_active and user.is_staff):
            self.message = _("The ticket API is for desk staff only.")
            return False
        needed = "tickets.view_ticket" if request.method in SAFE_METHODS else "tickets.change_ticket"
        self.message = _("Your account may not work tickets.")
        return user.has_perm(needed)


# Which field of the request an action's refusal is about, by the ValidationError's code.
REFUSAL_FIELDS = {
    "empty": "body",
    "transition": "status",
    "status": "status",
    "priority": "priority",
    "assignee": "assignee",
    "reason": "reason",
}


def perform(call, **kwargs):
    """Call an action: a stale version is a 409, a refused permission a 403, any other refusal a 400 saying why."""
    try:
        return call(**kwargs)
    except actions.Conflict as error:
        raise VersionConflict(error.messages[0]) from None
    except DjangoValidationError as error:
        code = getattr(error, "code", None)
        if code == "permission":
            raise PermissionDenied(error.messages[0]) from None
        field = REFUSAL_FIELDS.get(code, api_settings.NON_FIELD_ERRORS_KEY)
        raise serializers.ValidationError({field: error.messages}) from None


WRITE_RESPONSES = {
    200: TicketDetailSerializer,
    400: OpenApiResponse(description=_("Refused: the body names the field and says why (or unknown fields sent).")),
    403: OpenApiResponse(ErrorSerializer, description=_("Not desk staff, or not allowed this action.")),
    404: OpenApiResponse(ErrorSerializer, description=_("No ticket with this id in the queues you work.")),
    409: OpenApiResponse(ErrorSerializer, description=_("The ticket changed since `version`; nothing was saved.")),
}
READ_ERRORS = {
    401: OpenApiResponse(ErrorSerializer, description=_("No or an invalid token or session.")),
    403: OpenApiResponse(ErrorSerializer, description=_("Not desk staff.")),
}


def _write(serializer, summary):
    return extend_schema(summary=summary, request=serializer, responses=WRITE_RESPONSES)


@extend_schema_view(
    list=extend_schema(
        responses={
            200: TicketListSerializer(many=True),
            400: OpenApiResponse(description=_("A filter, the ordering or the cursor is not valid.")),
            **READ_ERRORS,
        }
    ),
    retrieve=extend_schema(
        description=_("One ticket in full: field values, messages and internal notes, SLA clocks, events, version."),
        responses={
            200: TicketDetailSerializer,
            404: OpenApiResponse(ErrorSerializer, description=_("No ticket with this id in the queues you work.")),
            **READ_ERRORS,
        },
    ),
)
class StaffTicketViewSet(viewsets.ReadOnlyModelViewSet):
    """Tickets of the queues you work (every queue for supervisors), newest first; POST actions change one."""

    authentication_classes = [TokenAuthentication, SessionAuthentication]
    permission_classes = [DeskStaff]
    pagination_class = KeysetPagination
    filter_backends = [StrictFilterBackend, TicketOrdering]
    filterset_class = TicketFilter
    action_serializers = {
        "list": TicketListSerializer,
        "reply": ReplySerializer,
        "note": NoteSerializer,
        "assign": AssignSerializer,
        "status": StatusSerializer,
        "priority": PrioritySerializer,
        "escalate": EscalateSerializer,
        "de_escalate": DeEscalateSerializer,
        "move": MoveSerializer,
    }

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Ticket.objects.none()
        tickets = Ticket.objects.visible_to(self.request.user)
        if self.action == "list":
            return tickets.for_list()
        if self.action == "retrieve":
            return tickets.for_desk()
        return tickets

    def filter_queryset(self, queryset):
        # Filters and ordering shape the list; one ticket is found by its id alone.
        return super().filter_queryset(queryset) if self.action == "list" else queryset

    def get_serializer_class(self):
        return self.action_serializers.get(self.action, TicketDetailSerializer)

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "now": timezone.now()}

    def _body(self):
        """The ticket (404 outside the caller's queues) and the validated body of the action."""
        ticket = self.get_object()
        body = self.get_serializer(data=self.request.data)
        body.is_valid(raise_exception=True)
        return ticket, body.validated_data

    def _updated(self, ticket):
        # Not through visible_to: a ticket just moved to a queue the caller does not work is still shown this once.
        fresh = Ticket.objects.for_desk().get(pk=ticket.pk)
        return Response(TicketDetailSerializer(fresh, context=self.get_serializer_context()).data)

    @_write(ReplySerializer, _("Reply to the customer"))
    @action(detail=True, methods=["post"])
    def reply(self, request, pk=None):
        """Send the customer a public reply (emailed to them), optionally with a new status."""
        ticket, body = self._body()
        perform(actions.add_agent_reply, ticket=ticket, author=request.user, **body)
        return self._updated(ticket)

    @_write(NoteSerializer, _("Add an internal note"))
    @action(detail=True, methods=["post"])
    def note(self, request, pk=None):
        """Add an internal note: staff only, never emailed."""
        ticket, body = self._body()
        perform(actions.add_note, ticket=ticket, author=request.user, **body)
        return self._updated(ticket)

    @extend_schema(
        summary=_("Download a file of the conversation"),
        request=None,
        responses={
            (200, "application/octet-stream"): OpenApiTypes.BINARY,
            404: OpenApiResponse(ErrorSerializer, description=_("No such ticket in your queues, or no such file.")),
            **READ_ERRORS,
        },
    )
    @action(detail=True, methods=["get"], url_path=r"attachments/(?P<public_id>[A-Za-z0-9_-]{1,32})")
    def attachment(self, request, pk=None, public_id=None):
        """The file as a download (never shown inline), for the ticket's queue's staff; remember it may hold secrets."""
        ticket = self.get_object()
        file = Attachment.objects.filter(ticket=ticket, public_id=public_id).first()
        if file is None:
            raise NotFound(_("No such file."))
        return attachments.download_response(file)

    @_write(AssignSerializer, _("Assign or unassign"))
    @action(detail=True, methods=["post"])
    def assign(self, request, pk=None):
        """Give the ticket to a staff member who works its queue, or to nobody (`null`)."""
        ticket, body = self._body()
        perform(actions.assign_ticket, ticket=ticket, actor=request.user, **body)
        return self._updated(ticket)

    @_write(StatusSerializer, _("Change the status"))
    @action(detail=True, methods=["post"])
    def status(self, request, pk=None):
        """Move the ticket to another status, if the transition table allows it."""
        ticket, body = self._body()
        perform(actions.change_status, ticket=ticket, actor=request.user, **body)
        return self._updated(ticket)

    @_write(PrioritySerializer, _("Change the priority"))
    @action(detail=True, methods=["post"])
    def priority(self, request, pk=None):
        """Set the priority; the SLA clocks take its targets."""
        ticket, body = self._body()
        perform(actions.change_priority, ticket=ticket, actor=request.user, **body)
        return self._updated(ticket)

    @_write(EscalateSerializer, _("Escalate"))
    @action(detail=True, methods=["post"])
    def escalate(self, request, pk=None):
        """Raise the escalation level with a reason, optionally moving or assigning the ticket too."""
        ticket, body = self._body()
        perform(actions.escalate_ticket, ticket=ticket, actor=request.user, **body)
        return self._updated(ticket)

    @_write(DeEscalateSerializer, _("De-escalate"))
    @action(detail=True, methods=["post"], url_path="de-escalate")
    def de_escalate(self, request, pk=None):
        """Lower the escalation level by one, with a reason (supervisors only)."""
        ticket, body = self._body()
        perform(actions.de_escalate_ticket, ticket=ticket, actor=request.user, **body)
        return self._updated(ticket)

    @_write(MoveSerializer, _("Move to another queue"))
    @action(detail=True, methods=["post"])
    def move(self, request, pk=None):
        """Move the ticket to another queue; an assignee who does not work that queue lets it go."""
        ticket, body = self._body()
        perform(actions.move_ticket, ticket=ticket, actor=request.user, **body)
        return self._updated(ticket)


def register(router):
    """Register the staff ticket viewset on the API router."""
    router.register("staff/tickets", StaffTicketViewSet, basename="staff-ticket")
