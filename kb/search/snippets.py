"""Highlighted snippets built from text (never from stored HTML): every piece is escaped, matches wrapped in <mark>."""

import html
import re
from functools import lru_cache

from django.utils.html import escape
from django.utils.safestring import mark_safe

from kb.search import tokenize

WORD_RE = re.compile(r"[A-Za-z0-9]+")
SNIPPET_CHARS = 160
SCAN_CHARS = 1500


TAG_RE = re.compile(r"<[^>]*>")
PARTIAL_TAG_RE = re.compile(r"<[^>]*$")


def plain_text(body_html, limit=None):
    """Text of sanitised (well-formed) HTML: tags dropped, entities decoded, white space folded; with `limit`, only
    about the first `limit` characters of text (cheaper for long articles)."""
    if limit is not None and len(body_html) > 2 * limit:
        body_html = PARTIAL_TAG_RE.sub("", body_html[: 2 * limit])
    return " ".join(html.unescape(TAG_RE.sub(" ", body_html)).split())


def _spans(text, groups):
    """(start, end, group index) of every match of the query in the text."""
    cjk_terms = {}
    latin_stems = {}
    for index, group in enumerate(groups):
        for alternative in group.alternatives:
            for token in alternative:
                if tokenize.is_cjk(token):
                    cjk_terms.setdefault(token, index)
                else:
                    latin_stems.setdefault(token, index)
    spans = []
    if cjk_terms:
        pattern = re.compile("|".join(re.escape(t) for t in sorted(cjk_terms, key=len, reverse=True)))
        spans += [(m.start(), m.end(), cjk_terms[m.group()]) for m in pattern.finditer(text)]
    if latin_stems:
        for m in WORD_RE.finditer(text):
            word, stemmed = _fold(m.group())
            group = latin_stems.get(stemmed, latin_stems.get(word))
            if group is not None:
                spans.append((m.start(), m.end(), group))
    spans.sort()
    merged = []
    for span in spans:
        if merged and span[0] < merged[-1][1]:
            continue
        merged.append(span)
    return merged


@lru_cache(maxsize=50_000)
def _fold(word):
    """(normalised word, its stem): article text repeats the same words, so this is mostly a dictionary lookup."""
    word = tokenize.normalize(word)
    return word, tokenize.stem(word)


def _render(text, spans, start, end):
    out, position = [], start
    for s, e, _group in spans:
        if s < start or e > end:
            continue
        out.append(escape(text[position:s]))
        out.append("<mark>" + escape(text[s:e]) + "</mark>")
        position = e
    out.append(escape(text[position:end]))
    return "".join(out)


def highlight(text, groups):
    """The whole text, escaped, with matches marked."""
    return mark_safe(_render(text, _spans(text, groups), 0, len(text)))


def snippet(text, groups, length=SNIPPET_CHARS):
    """The window of the text that covers the most distinct query words, escaped, with matches marked.

    Only the first SCAN_CHARS characters are searched for it: the best window of a long article is nearly always
    near its start, and a common word can match hundreds of times further on."""
    spans = _spans(text[:SCAN_CHARS], groups)
    if not spans:
        cut = text[:length]
        return mark_safe(escape(cut) + ("…" if len(text) > length else ""))
    best_start, best_cover = 0, -1
    for s, _e, _g in spans:
        start = max(0, s - length // 4)
        cover = len({g for s2, e2, g in spans if start <= s2 and e2 <= start + length})
        if cover > best_cover:
            best_start, best_cover = start, cover
    end = min(len(text), best_start + length)
    prefix = "…" if best_start > 0 else ""
    suffix = "…" if end < len(text) else ""
    return mark_safe(prefix + _render(text, spans, best_start, end) + suffix)
