"""While the database cannot be reached, answer 503 with Retry-After instead of a 500 and a traceback per request.

Only connection failures count: the database refusing or dropping the connection, or (SQLite) its file not opening.
A failed statement (an IntegrityError, a missing table) is a bug and stays a 500. The page says nothing was saved,
touches neither the database nor the context processors, and is logged as one WARNING line.
"""

import sqlite3

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils.cache import patch_cache_control
from django.utils.log import log_response
from django.utils.translation import gettext as _

RETRY_AFTER_SECONDS = 60
# PostgreSQL SQLSTATEs: class 08 is "connection exception"; 57P01-57P03 a server shutting down or not yet started.
SERVER_GOING_AWAY = {"57P01", "57P02", "57P03"}


def is_connection_failure(exc):
    """Whether a database error means the database is unreachable, as opposed to a statement that failed."""
    if isinstance(exc, InterfaceError):
        return True
    if not isinstance(exc, OperationalError):
        return False
    cause = exc.__cause__
    if isinstance(cause, sqlite3.Error):
        return cause.sqlite_errorcode & 0xFF == sqlite3.SQLITE_CANTOPEN
    # psycopg leaves sqlstate None on errors the server never answered: refused, timed out, connection lost.
    sqlstate = getattr(cause, "sqlstate", "")
    return sqlstate is None or sqlstate.startswith("08") or sqlstate in SERVER_GOING_AWAY


def unavailable_response(request):
    """503 with Retry-After: JSON `{"detail": …}` under /api/, else the static 503 page in the request's language."""
    if request.path.startswith("/api/"):
        detail = _("The service is temporarily unavailable. Please try again in a minute.")
        response = JsonResponse({"detail": detail}, status=503)
    else:
        context = {
            "site_name": settings.SITE_NAME,
            "unsaved": request.method not in ("GET", "HEAD", "OPTIONS"),
            "retry_url": request.get_full_path(),
        }
        response = HttpResponse(render_to_string("503.html", context), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    patch_cache_control(response, no_store=True)
    return response


class DatabaseUnavailableMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not is_connection_failure(exception):
            return None
        response = unavailable_response(request)
        # One line, no traceback; marking the response logged keeps Django from adding its own error line.
        reason = next(iter(str(exception).splitlines()), "")
        log_response(
            "Database unavailable (%s: %s): %s %s",
            type(exception).__name__,
            reason,
            request.method,
            request.path,
            response=response,
            request=request,
            level="warning",
        )
        return response
