"""Comparing article revisions: each side of a comparison, and a side-by-side diff whose text the template escapes."""

import difflib
from itertools import zip_longest

from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext

INTRALINE_LIMIT = 2000  # characters; longer changed lines are marked whole rather than diffed character by character


def side(article, key):
    """One side of a comparison: a revision by number, or the article's current content for "current"."""
    if key == "current":
        return {
            "label": gettext("Current content"),
            "revision": None,
            "title": article.title,
            "summary": article.summary,
            "body": article.body,
            "status": article.get_status_display(),
        }
    if not key.isdigit():  # default: the revision before the latest one (or the only one)
        numbers = list(article.revisions.order_by("-number").values_list("number", flat=True)[:2])
        if not numbers:
            raise Http404(gettext("This article has no revisions."))
        key = str(numbers[-1])
    revision = get_object_or_404(article.revisions.select_related("author"), number=int(key))
    return {
        "label": gettext("Revision %(number)d") % {"number": revision.number},
        "revision": revision,
        "title": revision.title,
        "summary": revision.summary,
        "body": revision.body,
        "status": revision.get_status_display(),
    }


def _intraline(old, new):
    """Split two changed lines into (changed, text) segments each; the template escapes the text."""
    if len(old) + len(new) > INTRALINE_LIMIT:
        return [(True, old)], [(True, new)]
    left, right = [], []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
        if tag == "equal":
            left.append((False, old[i1:i2]))
            right.append((False, new[j1:j2]))
        else:
            if i2 > i1:
                left.append((True, old[i1:i2]))
            if j2 > j1:
                right.append((True, new[j1:j2]))
    return left, right


def side_by_side(old, new, context=3):
    """Rows of a side-by-side line diff with context: dicts of kind, line numbers and (changed, text) segments."""
    a, b = (old or "").splitlines(), (new or "").splitlines()
    rows = []
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    for index, group in enumerate(matcher.get_grouped_opcodes(context)):
        if index:
            rows.append({"kind": "skip"})
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                for i, j in zip(range(i1, i2), range(j1, j2), strict=True):
                    rows.append(
                        {
                            "kind": "equal",
                            "old_no": i + 1,
                            "new_no": j + 1,
                            "old": [(False, a[i])],
                            "new": [(False, b[j])],
                        }
                    )
                continue
            for i, j in zip_longest(range(i1, i2), range(j1, j2)):
                row = {"kind": "change", "old_no": None, "new_no": None, "old": None, "new": None}
                if i is not None and j is not None:
                    row["old"], row["new"] = _intraline(a[i], b[j])
                elif i is not None:
                    row["old"] = [(True, a[i])]
                else:
                    row["new"] = [(True, b[j])]
                row["old_no"] = None if i is None else i + 1
                row["new_no"] = None if j is None else j + 1
                rows.append(row)
    return rows
