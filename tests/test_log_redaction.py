"""Tracking tokens and query strings never reach a log line, whichever logger writes the request's path."""

import io
import logging

import pytest

from helpdesk.log_redaction import redact_line
from tests.tickets.factories import open_ticket


@pytest.fixture
def handler_output():
    """What the configured handlers write, captured by swapping their streams (their filters stay in place)."""
    stream = io.StringIO()
    handlers = [logging.getLogger("django.server").handlers[0], logging.getLogger().handlers[0]]
    previous = [handler.setStream(stream) for handler in handlers]
    yield stream
    for handler, old in zip(handlers, previous, strict=True):
        handler.setStream(old)


def test_redact_line_masks_tracking_tokens_and_query_strings():
    line = '"GET /en/tickets/t/AbC-123_xyz/?new=1 HTTP/1.1" 303 0 and /zh-hans/search/?q=abandon+ability'
    assert redact_line(line) == '"GET /en/tickets/t/…/?… HTTP/1.1" 303 0 and /zh-hans/search/?…'


def test_the_development_servers_request_lines_are_masked(handler_output):
    logging.getLogger("django.server").info('"%s" %s %s', "GET /en/tickets/t/SECRETTOKEN123/ HTTP/1.1", 303, 0)
    logging.getLogger("django.server").info('"%s" %s %s', "GET /en/search/?q=my+seed+words HTTP/1.1", 200, 10)
    written = handler_output.getvalue()
    assert "/en/tickets/t/…/" in written and "SECRETTOKEN123" not in written
    assert "seed" not in written and "/en/search/?…" in written


@pytest.mark.django_db
def test_a_404_on_a_tracking_link_logs_no_token(client, handler_output):
    ticket, token = open_ticket()
    client.get(f"/en/tickets/t/{token[:-2]}xx/")
    client.get(f"/en/tickets/t/{token}/", {"utm": "x"})
    written = handler_output.getvalue()
    assert "Not Found" in written and token[:-2] not in written and token not in written


@pytest.mark.django_db
def test_no_handler_of_any_logger_writes_a_token_in_development_either(client, settings):
    """With DEBUG on, Django's default handlers of the `django` logger would print 404s unfiltered: none is left."""
    settings.DEBUG = True
    stream = io.StringIO()
    loggers = [
        logging.getLogger(),
        *(item for item in logging.root.manager.loggerDict.values() if hasattr(item, "handlers")),
    ]
    streams = list({h for logger in loggers for h in logger.handlers if isinstance(h, logging.StreamHandler)})
    previous = [handler.setStream(stream) for handler in streams]
    try:
        ticket, token = open_ticket()
        client.get(f"/en/tickets/t/{token[:-2]}xx/")
    finally:
        for handler, old in zip(streams, previous, strict=True):
            handler.setStream(old)
    written = stream.getvalue()
    assert "Not Found" in written and token[:-2] not in written
