"""Public ticket API: the ticket types, opening a ticket, reading it and replying with its token. No account needed.

No session is read (so no CSRF token is needed, and a browser's cookies give a script nothing). A request goes through
the customer's own forms (tickets.forms: the type's field definitions, the secrets guard), the same actions and the same
rate limits as the pages; files go as multipart parts named `attachments`, checked by those forms. A ticket is reached
only with its tracking token in the X-Ticket-Token header: a wrong or missing token and an unknown reference get the
same 404. Retries are safe with an Idempotency-Key header.
"""

import re

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, QueryDict
from django.urls import path, reverse
from django.utils import translation
from django.utils.cache import patch_cache_control
from django.utils.datastructures import MultiValueDict
from django.utils.decorators import method_decorator
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import APIException, NotFound, Throttled
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from helpdesk.i18n import language_codes
from kb.api import LANGUAGE_PARAMETER, requested_language
from tickets import access, actions, attachments, problem_types, views
from tickets.forms import ReplyForm, TicketForm
from tickets.models import Attachment, IdempotentRequest, new_tracking_token, request_fingerprint
from tickets.public_serializers import (
    CustomerTicketSerializer,
    FieldErrorsSerializer,
    ReplyAddedSerializer,
    ReplyBodySerializer,
    ReplyFilesSerializer,
    TicketOpenedSerializer,
    TicketOpenFilesSerializer,
    TicketOpenSerializer,
    TicketTypeSerializer,
    expected_reply,
    secrets_advice,
    status_of,
)
from tickets.serializers import ErrorSerializer

# A UUID fits; so does any random string of 16–128 URL-safe characters. It stands for the request's answer, token
# included: generate it at random for each new request.
IDEMPOTENCY_KEY = re.compile(r"[A-Za-z0-9_-]{16,128}")
OPEN_KEYS = frozenset({"type", "language", "email", "name", "uid", "subject", "description", "fields"})
REPLY_KEYS = frozenset({"body"})
# Keys a client might try to set: the desk decides them. Refused with their own message, like any unknown key.
DESK_KEYS = frozenset(
    {"status", "priority", "queue", "tier", "customer_tier", "assignee", "escalation_level", "reference", "token"}
)
READ_PARAMETERS = frozenset({"language", "format"})  # format: REST framework's choice of renderer
FIELDS_PREFIX = "fields."  # a type's own field in a multipart or form-encoded body: fields.<key>
NO_TICKET = _("No such ticket, or the X-Ticket-Token header does not open it.")
NO_FILE = _("No such file, or the X-Ticket-Token header does not open its ticket.")
ATTACHMENTS = "attachments"  # the multipart key taking files, repeated for each
SEND_MULTIPART = _("Send files as multipart/form-data, each as a part named attachments.")


class KeyReused(APIException):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_code = "key_reused"


class Closed(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "closed"


def _refused(errors):
    return serializers.ValidationError(errors)


def _value(value):
    """A submitted value as the forms take it: text; null is empty; integers are accepted as their digits."""
    if value is None:
        return ""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, str):
        return value
    raise TypeError


def _strings(values):
    """`values` with every value as text, or a 400 naming the keys whose values are not text."""
    result, errors = {}, {}
    for key, value in values.items():
        try:
            result[key] = _value(value)
        except TypeError:
            errors[key] = [_('Send this value as a string, e.g. "0.015" for an amount, so no digit is lost.')]
    if errors:
        raise _refused(errors)
    return result


def _unknown(keys, allowed):
    """{key: [message]} for every key outside `allowed`; the desk's own keys say why they are refused."""
    return {
        key: [_("Set by our team, never by the request.") if key in DESK_KEYS else _("Unknown field.")]
        for key in sorted(set(keys) - allowed)
    }


def request_body(request, allowed):
    """(body, files): the body as {key: value} and the files sent as multipart parts named `attachments`.

    The body is a JSON object, or form fields (`fields.<key>` gathered into `fields`). Unknown keys are a 400 naming
    them; none of them is kept. Files anywhere else, and `attachments` in JSON or as text, are a 400 too.
    """
    data, files = request.data, []
    if isinstance(data, QueryDict):
        body, errors = {}, {}
        for key, values in data.lists():
            if key == ATTACHMENTS:
                if any(isinstance(value, str) for value in values):
                    errors[key] = [SEND_MULTIPART]
                files = values
            elif not all(isinstance(value, str) for value in values):
                errors[key] = [_("Send text here, not a file.")]
            elif len(values) > 1:
                errors[key] = [_("Send this field once.")]
            elif key.startswith(FIELDS_PREFIX):
                body.setdefault("fields", {})[key.removeprefix(FIELDS_PREFIX)] = values[0]
            else:
                body[key] = values[0]
        if errors:
            raise _refused(errors)
    elif isinstance(data, dict):
        body = dict(data)
        if ATTACHMENTS in body:
            raise _refused({ATTACHMENTS: [SEND_MULTIPART]})
    else:
        raise _refused({"non_field_errors": [_("Send a JSON object.")]})
    if errors := _unknown(body, allowed):
        raise _refused(errors)
    return body, files


def fingerprint(scope, body, files):
    """The request's fingerprint: its body and, when files were sent, their SHA-256 digests in order."""
    if files:
        body = {**body, ATTACHMENTS: [attachments.digest(uploaded) for uploaded in files]}
    return request_fingerprint(scope, body)


def form_files(files):
    """The files as a form's `files=` takes them."""
    return MultiValueDict({ATTACHMENTS: list(files)}) if files else None


def idempotency_key(request):
    """The Idempotency-Key header ("" when absent); a malformed key is a 400."""
    key = request.headers.get("Idempotency-Key", "")
    if key and not IDEMPOTENCY_KEY.fullmatch(key):
        raise _refused(
            {"Idempotency-Key": [_("An Idempotency-Key is 16–128 characters: letters, digits, - and _ (a UUID fits).")]}
        )
    return key


def _throttle(retry_after, message):
    """A 429 with Retry-After when the shared limit (tickets.views) says to wait."""
    if retry_after is not None:
        raise Throttled(wait=retry_after, detail=str(message))


def _refuse_query(request, allowed=frozenset()):
    """A query parameter outside `allowed` is a 400; a token there is refused before anything is looked up."""
    errors = {}
    for key in sorted(set(request.query_params) - allowed):
        if "token" in key.casefold():
            errors[key] = [_("Send the ticket's token in the X-Ticket-Token header, never in the URL.")]
        else:
            errors[key] = [_("Unknown parameter.")]
    if errors:
        raise _refused(errors)


def ticket_url(request, ticket):
    return request.build_absolute_uri(reverse("public-ticket", args=[ticket.reference]))


TOKEN_HEADER = OpenApiParameter(
    "X-Ticket-Token",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=True,
    description=_("The ticket's tracking token, as opening the ticket answered it (or from its tracking link)."),
)
KEY_HEADER = OpenApiParameter(
    "Idempotency-Key",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description=_(
        "16–128 characters [A-Za-z0-9_-], e.g. a random UUID, new for each request. A retry with the same key and "
        "body gets the first answer again (with the header Idempotent-Replayed: true) and saves nothing; the same "
        "key with another body is a 422."
    ),
)
NOT_FOUND = OpenApiResponse(ErrorSerializer, description=_("No such ticket, or the token does not open it."))
THROTTLED = OpenApiResponse(ErrorSerializer, description=_("Too many requests from this address; see Retry-After."))


class PublicView(APIView):
    """Anonymous, sessionless, and never stored by a shared cache; the body stays out of error reports."""

    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = []

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        patch_cache_control(response, private=True, no_store=True)
        return response


class TicketTypeList(PublicView):
    @extend_schema(
        operation_id="ticket_types_list",
        summary=_("Ticket types and their fields"),
        parameters=[LANGUAGE_PARAMETER],
        responses={200: TicketTypeSerializer(many=True)},
    )
    def get(self, request):
        """The active ticket types with the fields each asks for; names, labels and choices in the language asked."""
        _refuse_query(request, READ_PARAMETERS)
        language = requested_language(request)
        types = problem_types.active()
        return Response(TicketTypeSerializer(types, many=True, context={"language": language}).data)


def _open_errors(form, type_keys, uid_at_top):
    """The form's errors in the body's shape: the type's own fields under `fields` (a UID where it was sent)."""
    errors = {}
    for name, messages in form.errors.items():
        messages = [str(message) for message in messages]
        if name in type_keys and not (name == "uid" and uid_at_top):
            errors.setdefault("fields", {})[name] = messages
        else:
            errors["non_field_errors" if name == "__all__" else name] = messages
    return errors


def _form_data(body, problem_type):
    """The flat data the ticket form takes, from the body (a 400 for keys the type does not have)."""
    fields = body.get("fields") or {}
    if not isinstance(fields, dict):
        raise _refused({"fields": [_("Send the type's fields as an object of key: value.")]})
    type_keys = {row.name for row in problem_type.fields.all()}
    if errors := _unknown(fields, type_keys):
        raise _refused({"fields": errors})
    if "uid" in fields and "uid" in body:
        raise _refused({"uid": [_("Send your UID once: here or in fields.")]})
    top = _strings({key: value for key, value in body.items() if key not in ("type", "language", "fields")})
    try:
        values = _strings(fields)
    except serializers.ValidationError as error:
        raise _refused({"fields": error.detail}) from None
    return {**top, **values}, type_keys


@method_decorator([sensitive_variables(), sensitive_post_parameters()], name="dispatch")
class TicketOpen(PublicView):
    @extend_schema(
        operation_id="tickets_open",
        summary=_("Open a ticket"),
        parameters=[KEY_HEADER],
        request={
            "application/json": TicketOpenSerializer,
            "multipart/form-data": TicketOpenFilesSerializer,
            "application/x-www-form-urlencoded": TicketOpenSerializer,
        },
        responses={
            201: TicketOpenedSerializer,
            400: OpenApiResponse(FieldErrorsSerializer, description=_("Refused: each key with what is wrong.")),
            422: OpenApiResponse(ErrorSerializer, description=_("The Idempotency-Key was used for another body.")),
            429: THROTTLED,
        },
    )
    def post(self, request):
        """Open a ticket: the same fields, checks and secrets guard as the form; 201 with its reference and token.

        Secrets in the description or a text file (seed phrases, keys, passwords, codes) are removed before the
        ticket is filed and named in `secrets_removed`; in a structured field (TxID, address…) they are a 400. Files
        go as multipart/form-data parts named `attachments`: images are re-encoded without their metadata.
        """
        _refuse_query(request)
        body, files = request_body(request, OPEN_KEYS)
        key = idempotency_key(request)
        request_hash = fingerprint(IdempotentRequest.Scope.OPEN, body, files)
        if key and (earlier := IdempotentRequest.objects.for_key(IdempotentRequest.Scope.OPEN, key)):
            return self._replay(earlier, key, request_hash)
        slug = body.get("type")
        problem_type = problem_types.active_type(slug)
        if problem_type is None:
            raise _refused({"type": [_("Unknown ticket type. See /api/v1/ticket-types/ for the types.")]})
        language = body.get("language") or get_language()
        if language not in language_codes():
            codes = ", ".join(language_codes())
            raise _refused({"language": [_("Unknown language. Use one of: %(codes)s.") % {"codes": codes}]})
        data, type_keys = _form_data(body, problem_type)
        with translation.override(language):
            form = TicketForm(problem_type, language, data=data, files=form_files(files))
            if not form.is_valid():
                raise _refused(_open_errors(form, type_keys, "uid" in body))
            _throttle(
                views.open_limit(request), _("Too many tickets were sent from your network. Please try again later.")
            )
            arguments = {
                "problem_type": problem_type,
                "language": language,
                "email": form.cleaned_data["email"],
                "name": form.cleaned_data["name"],
                "uid": form.cleaned_data["uid"],
                "subject": form.cleaned_data["subject"],
                "description": form.cleaned_data["description"],
                "fields": form.type_values(),
                "removed": form.removed,
                "attachments": form.uploads(),
            }
            if not key:
                opened = actions.open_ticket(**arguments)
                answer = self._answer(request, opened, language)
                body = {**answer, "token": opened.token}
                return Response(body, status=status.HTTP_201_CREATED, headers={"Location": body["url"]})
            try:
                record, created = actions.open_ticket_for_request(
                    idempotency_key=key,
                    request_hash=request_hash,
                    answer=lambda opened: self._answer(request, opened, language),
                    **arguments,
                )
            except actions.KeyReused as error:
                raise KeyReused(error.messages[0]) from None
        return self._replay(record, key, request_hash, replayed=not created)

    def _answer(self, request, opened, language):
        """The 201 body without the token (which an idempotent request's record must not hold)."""
        ticket = opened.ticket
        return {
            "reference": ticket.reference,
            "status": status_of(ticket),
            "expected_reply": expected_reply(ticket, language, due_at=opened.first_reply_due),
            "url": ticket_url(request, ticket),
            "secrets_removed": list(ticket.secrets_removed),
            "secrets_advice": secrets_advice(ticket.secrets_removed),
        }

    def _replay(self, record, key, request_hash, *, replayed=True):
        if record.request_hash != request_hash:
            raise KeyReused(actions.KeyReused().messages[0])
        token = new_tracking_token(IdempotentRequest.submission(key))
        body = {**record.response, "token": token}
        response = Response(body, status=status.HTTP_201_CREATED, headers={"Location": body["url"]})
        if replayed:
            response["Idempotent-Replayed"] = "true"
        return response


def _ticket(request, reference):
    """The ticket `reference` names if the X-Ticket-Token header opens it; else the one 404."""
    ticket = access.by_token(reference, request.headers.get("X-Ticket-Token", ""))
    if ticket is None:
        raise NotFound(NO_TICKET)
    return ticket


class TicketDetail(PublicView):
    @extend_schema(
        operation_id="tickets_read",
        summary=_("Read a ticket"),
        parameters=[TOKEN_HEADER, LANGUAGE_PARAMETER],
        responses={200: CustomerTicketSerializer, 400: FieldErrorsSerializer, 404: NOT_FOUND},
    )
    def get(self, request, reference):
        """The ticket as its customer sees it: status, fields, the public conversation, the expected reply."""
        _refuse_query(request, READ_PARAMETERS)
        ticket = _ticket(request, reference)
        language = requested_language(request)
        return Response(CustomerTicketSerializer(ticket, context={"language": language, "request": request}).data)


def _reply_added(request, message):
    return ReplyAddedSerializer(message, context={"request": request}).data


class TicketFile(PublicView):
    @extend_schema(
        operation_id="tickets_file",
        summary=_("Download a file of a ticket"),
        parameters=[TOKEN_HEADER],
        responses={
            (200, "application/octet-stream"): OpenApiResponse(
                OpenApiTypes.BINARY,
                description=_(
                    "The file as stored (images re-encoded without metadata, text with secrets removed), "
                    "as a download; its content type is the attachment's."
                ),
            ),
            400: FieldErrorsSerializer,
            404: OpenApiResponse(ErrorSerializer, description=_("No such file, or the token does not open it.")),
        },
    )
    def get(self, request, reference, public_id):
        """A file of the ticket's public conversation; a wrong token or another ticket's or a note's file: one 404."""
        _refuse_query(request)
        ticket = access.by_token(reference, request.headers.get("X-Ticket-Token", ""))
        attachment = Attachment.objects.of_customer(ticket).filter(public_id=public_id).first() if ticket else None
        if attachment is None:
            raise NotFound(NO_FILE)
        try:
            return attachments.download_response(attachment)
        except Http404:
            raise NotFound(NO_FILE) from None

    def perform_content_negotiation(self, request, force=False):
        # The answer is the file whatever the client accepts; errors are still JSON.
        return super().perform_content_negotiation(request, force=True)


@method_decorator([sensitive_variables(), sensitive_post_parameters()], name="dispatch")
class TicketReply(PublicView):
    @extend_schema(
        operation_id="tickets_reply",
        summary=_("Reply to a ticket"),
        parameters=[TOKEN_HEADER, KEY_HEADER],
        request={"application/json": ReplyBodySerializer, "multipart/form-data": ReplyFilesSerializer},
        responses={
            201: ReplyAddedSerializer,
            400: FieldErrorsSerializer,
            404: NOT_FOUND,
            409: OpenApiResponse(ErrorSerializer, description=_("The ticket is closed and takes no more replies.")),
            422: OpenApiResponse(ErrorSerializer, description=_("The Idempotency-Key was used for another body.")),
            429: THROTTLED,
        },
    )
    def post(self, request, reference):
        """Add the customer's reply (secrets removed as on the tracking page), with files as multipart `attachments`.

        A pending or solved ticket reopens.
        """
        _refuse_query(request)
        ticket = _ticket(request, reference)
        body, files = request_body(request, REPLY_KEYS)
        key = idempotency_key(request)
        request_hash = fingerprint(IdempotentRequest.Scope.REPLY, {"ticket": ticket.reference, **body}, files)
        if key and (earlier := IdempotentRequest.objects.for_key(IdempotentRequest.Scope.REPLY, key)):
            return self._replay(request, earlier, request_hash)
        form = ReplyForm(_strings(body), files=form_files(files))
        if not form.is_valid():
            raise _refused({name: [str(m) for m in messages] for name, messages in form.errors.items()})
        _throttle(
            views.reply_limit(request), _("Too many replies were sent from your network. Please try again later.")
        )
        arguments = {
            "ticket": ticket,
            "body": form.cleaned_data["body"],
            "removed": form.secrets_removed,
            "attachments": form.uploads(),
        }
        try:
            if not key:
                message = actions.add_customer_reply(**arguments)
                return Response(_reply_added(request, message), status=status.HTTP_201_CREATED)
            record, created = actions.add_customer_reply_for_request(
                idempotency_key=key, request_hash=request_hash, **arguments
            )
        except actions.KeyReused as error:
            raise KeyReused(error.messages[0]) from None
        except DjangoValidationError as error:
            raise Closed(error.messages[0]) from None
        return self._replay(request, record, request_hash, replayed=not created)

    def _replay(self, request, record, request_hash, *, replayed=True):
        if record.request_hash != request_hash:
            raise KeyReused(actions.KeyReused().messages[0])
        response = Response(_reply_added(request, record.message), status=status.HTTP_201_CREATED)
        if replayed:
            response["Idempotent-Replayed"] = "true"
        return response


urlpatterns = [
    path("ticket-types/", TicketTypeList.as_view(), name="public-ticket-types"),
    path("tickets/", TicketOpen.as_view(), name="public-tickets"),
    path("tickets/<str:reference>/", TicketDetail.as_view(), name="public-ticket"),
    path("tickets/<str:reference>/replies/", TicketReply.as_view(), name="public-ticket-replies"),
    path("tickets/<str:reference>/attachments/<str:public_id>/", TicketFile.as_view(), name="public-ticket-attachment"),
]
