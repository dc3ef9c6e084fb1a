"""Keep tracking and lookup tokens and query strings out of log lines.

The development server logs every request line and `django.request` logs the path of every 4xx/5xx. A ticket's
tracking link (`/tickets/t/…`) and a lookup link (`/tickets/l/…`) carry their key in the path, and a search query may
carry whatever the customer pasted, so both are masked before any handler writes the record.
"""

import logging
import re

TRACKING_PATH = re.compile(r"(/tickets/[tl]/)[^/\s?#\"']+")
QUERY_STRING = re.compile(r"\?[^\s\"'#]*")


def redact_line(text):
    return QUERY_STRING.sub("?…", TRACKING_PATH.sub(r"\1…", text))


class RedactRequestLines(logging.Filter):
    """A handler filter: rewrites the record's message with tokens and query strings masked."""

    def filter(self, record):
        message = record.getMessage()
        masked = redact_line(message)
        if masked != message:
            record.msg, record.args = masked, ()
        return True
