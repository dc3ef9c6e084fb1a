"""What the API refuses to parse, with a 4xx and a message: deep JSON, too many fields or files, too large bodies."""

from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.utils.translation import gettext_lazy as _
from rest_framework import parsers, status
from rest_framework.exceptions import ParseError
from rest_framework.response import Response
from rest_framework.views import exception_handler as rest_exception_handler

MAX_JSON_DEPTH = 32  # far beyond any document the API takes, far below the interpreter's recursion limit


def json_depth(value, *, stop_after=MAX_JSON_DEPTH):
    """How deeply lists and objects nest in decoded JSON (a scalar is 0), counted without recursion.

    Counting stops at the first container deeper than `stop_after`; the answer is then `stop_after + 1`.
    """
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if level > stop_after:
            return level
        deepest = max(deepest, level)
        stack.extend((child, level + 1) for child in children)
    return deepest


class JSONParser(parsers.JSONParser):
    """REST framework's JSON parser, refusing documents nested deeper than `max_depth`."""

    max_depth = MAX_JSON_DEPTH

    def parse(self, stream, media_type=None, parser_context=None):
        too_deep = ParseError(
            _("JSON nested deeper than %(depth)d levels is not accepted.") % {"depth": self.max_depth}
        )
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:  # nested past the interpreter's limit: the decoder gave up
            raise too_deep from None
        if json_depth(data, stop_after=self.max_depth) > self.max_depth:
            raise too_deep
        return data


def exception_handler(exc, context):
    """REST framework's handler, plus Django's body limits (DATA_UPLOAD_MAX_*) answered in the API's own format."""
    if isinstance(exc, RequestDataTooBig):
        return Response(
            {"detail": _("The request body is too large.")}, status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
        )
    if isinstance(exc, TooManyFieldsSent):
        return Response({"detail": _("The request has too many fields.")}, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, TooManyFilesSent):
        return Response({"detail": _("The request has too many files.")}, status=status.HTTP_400_BAD_REQUEST)
    return rest_exception_handler(exc, context)
