"""Article view counts, buffered in the process and written in batches so cached pages still count."""

import logging
import threading
import time
from collections import Counter

from django.db import InterfaceError, OperationalError
from django.db.models import F

from helpdesk.unavailable import is_connection_failure

FLUSH_EVERY_VIEWS = 50
FLUSH_EVERY_SECONDS = 30.0

_lock = threading.Lock()
_pending = Counter()
_last_flush = time.monotonic()
logger = logging.getLogger(__name__)


def count_view(article_id):
    """Count one view; write the buffer when it is big or old enough."""
    global _last_flush
    with _lock:
        _pending[article_id] += 1
        due = sum(_pending.values()) >= FLUSH_EVERY_VIEWS or time.monotonic() - _last_flush >= FLUSH_EVERY_SECONDS
    if due:
        flush_views()


def flush_views():
    """Write buffered view counts to the database (one UPDATE per article)."""
    global _last_flush
    from kb.models import Article

    with _lock:
        batch = dict(_pending)
        _pending.clear()
        _last_flush = time.monotonic()
    written = {}
    try:
        for article_id, views in batch.items():
            Article.objects.filter(pk=article_id).update(view_count=F("view_count") + views)
            written[article_id] = views
    except (OperationalError, InterfaceError) as exc:
        if not is_connection_failure(exc):
            raise
        # Cached pages keep being served while the database is down; their views wait for the next flush.
        with _lock:
            _pending.update({article_id: views for article_id, views in batch.items() if article_id not in written})
        logger.warning("View counts kept for later, the database is unavailable: %s", exc)
    return written
