"""Cursor pagination for the staff ticket list: each page starts right after the last row of the one before.

The cursor holds the sort values of that row (every ordering column, `id` last), signed, so a page is found with an
indexed comparison instead of an offset, ties never repeat or skip a row, and a ticket changing meanwhile shifts
nothing already seen.
"""

import operator
from datetime import datetime
from functools import reduce

from django.core import signing
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers
from rest_framework.pagination import BasePagination
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param

SALT = "tickets.pagination.cursor"


def _value(value):
    return value.isoformat() if isinstance(value, datetime) else value


class KeysetPagination(BasePagination):
    cursor_query_param = "cursor"
    page_size_query_param = "page_size"
    page_size = 25
    max_page_size = 100

    @property
    def query_parameters(self):
        return (self.cursor_query_param, self.page_size_query_param)

    def _ordering(self, view):
        """The view's ordering backend (it owns the sort keys the cursor compares)."""
        return next(backend() for backend in view.filter_backends if hasattr(backend, "sort_keys"))

    def _page_size(self, request):
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        if not (raw.isascii() and raw.isdigit() and 1 <= int(raw) <= self.max_page_size):
            message = _("Give a whole number from 1 to %(max)d.") % {"max": self.max_page_size}
            raise serializers.ValidationError({self.page_size_query_param: [message]})
        return int(raw)

    def _cursor(self, request, ordering):
        """(sort values, backwards) from the cursor parameter, or None; a forged or foreign cursor is a 400."""
        raw = request.query_params.get(self.cursor_query_param)
        if raw is None:
            return None
        try:
            cursor = signing.loads(raw, salt=SALT)
        except signing.BadSignature:
            cursor = None
        if not isinstance(cursor, dict) or cursor.get("ordering") != ordering:
            raise serializers.ValidationError(
                {self.cursor_query_param: [_("This cursor is not valid for this ordering: start from the first page.")]}
            )
        return cursor["values"], cursor["backwards"]

    def _link(self, values, *, backwards):
        token = signing.dumps({"ordering": self.ordering, "values": values, "backwards": backwards}, salt=SALT)
        return replace_query_param(self.url, self.cursor_query_param, token)

    def _position(self, row):
        return [_value(getattr(row, key.column)) for key in self.keys]

    def paginate_queryset(self, queryset, request, view=None):
        """One page of the ordered queryset.

        1. Read the sort keys from the view's ordering backend, the page size and the cursor.
        2. Keep the rows past the cursor's values (lexicographically over the keys; backwards for a previous page).
        3. Fetch one row more than the page holds, to know whether another page follows.
        4. Link the next page from the last row and the previous page from the first.
        """
        ordering_backend = self._ordering(view)
        self.keys = ordering_backend.sort_keys(request)
        self.ordering = ordering_backend.requested(request)
        self.url = request.build_absolute_uri()
        size = self._page_size(request)
        cursor = self._cursor(request, self.ordering)
        values, backwards = cursor if cursor is not None else (None, False)
        if cursor is not None:
            queryset = queryset.filter(self._past(values, backwards=backwards))
        if backwards:
            queryset = queryset.order_by(*(key.expression(backwards=True) for key in self.keys))
        rows = list(queryset[: size + 1])
        more, rows = len(rows) > size, rows[:size]
        if backwards:
            rows.reverse()
        self.next = self.previous = None
        if rows:
            if more or backwards:
                self.next = self._link(self._position(rows[-1]), backwards=False)
            if more if backwards else cursor is not None:
                self.previous = self._link(self._position(rows[0]), backwards=True)
        elif cursor is not None:  # past either end: the way back starts from the same position
            if backwards:
                self.next = self._link(values, backwards=False)
            else:
                self.previous = self._link(values, backwards=True)
        return rows

    def _past(self, values, *, backwards):
        """Rows after `values` in the walking order: equal on the first keys and past the value of the next one."""
        terms, same = [], []
        for key, value in zip(self.keys, values, strict=True):
            past = key.past(value, backwards=backwards)
            if past is not None:
                terms.append(reduce(operator.and_, [*same, past]))
            same.append(key.same(value))
        return reduce(operator.or_, terms)

    def get_paginated_response(self, data):
        return Response({"next": self.next, "previous": self.previous, "results": data})

    def get_paginated_response_schema(self, schema):
        link = {"type": "string", "format": "uri", "nullable": True}
        return {
            "type": "object",
            "required": ["next", "previous", "results"],
            "properties": {"next": link, "previous": link, "results": schema},
        }

    def get_schema_operation_parameters(self, view):
        return [
            {
                "name": self.cursor_query_param,
                "required": False,
                "in": "query",
                "description": str(_("The `next` or `previous` link's cursor.")),
                "schema": {"type": "string"},
            },
            {
                "name": self.page_size_query_param,
                "required": False,
                "in": "query",
                "description": str(
                    _("Tickets per page (default %(default)d, at most %(max)d).")
                    % {"default": self.page_size, "max": self.max_page_size}
                ),
                "schema": {"type": "integer", "minimum": 1, "maximum": self.max_page_size},
            },
        ]
