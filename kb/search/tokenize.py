"""Turn Chinese and English text into search tokens, the same way at index and at query time.

Chinese runs are segmented with jieba (the Rust binding when available) plus a domain dictionary, loaded once per
process; Latin words are case-folded and stemmed (Snowball English); stopwords are dropped; full-width forms are
folded by NFKC. Tokens are joined by spaces into the text the database indexes.
"""

import re
import unicodedata
from functools import cache
from pathlib import Path

import Stemmer

DATA_DIR = Path(__file__).resolve().parent.parent / "search_data"
CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
RUN_RE = re.compile(rf"[{CJK}]+|[a-z0-9]+")
CJK_RE = re.compile(rf"[{CJK}]")
# Aspect particles customers glue to verbs ("充了", "提过"): dropped from the end of an unknown word.
PARTICLES = "了过着"
MAX_QUERY_CHARS = 200


@cache
def segmenter():
    """The jieba segmenter with the domain dictionary, loaded once per process."""
    try:
        import rjieba as jieba_impl

        def add(word, freq):
            jieba_impl.add_word(word, freq, None)

        cut, cut_for_search, has_word = jieba_impl.cut, jieba_impl.cut_for_search, jieba_impl.has_word
    except ImportError:  # pragma: no cover - the pure-Python fallback
        import jieba as jieba_impl

        jieba_impl.setLogLevel(60)

        def add(word, freq):
            jieba_impl.add_word(word, freq)

        cut, cut_for_search = jieba_impl.lcut, jieba_impl.lcut_for_search

        def has_word(word):
            return bool(jieba_impl.dt.FREQ.get(word))

    userdict = DATA_DIR / "userdict.txt"
    if userdict.exists():
        for line in userdict.read_text(encoding="utf-8").splitlines():
            parts = line.split()
            if parts and not line.startswith("#"):
                add(normalize(parts[0]), int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 10000)
    return cut, cut_for_search, has_word


@cache
def stopwords():
    path = DATA_DIR / "stopwords.txt"
    if not path.exists():
        return frozenset()
    return frozenset(normalize(line.strip()) for line in path.read_text(encoding="utf-8").splitlines() if line.strip())


_stemmer = Stemmer.Stemmer("english")


def stem(word):
    return _stemmer.stemWord(word) if word.isalpha() and len(word) > 2 else word


def normalize(text):
    """Fold full-width forms and case."""
    return unicodedata.normalize("NFKC", text or "").lower()


def is_cjk(token):
    return bool(CJK_RE.match(token))


def index_tokens(text, *, unigrams=False):
    """Tokens to index for `text`: jieba's search mode (words and their sub-words), stemmed Latin words.

    With `unigrams`, every Chinese character is added too, so one-character queries find titles.
    """
    _cut, cut_for_search, _has = segmenter()
    stop = stopwords()
    tokens = []
    for run in RUN_RE.findall(normalize(text)):
        if is_cjk(run):
            tokens += [word for word in cut_for_search(run) if word not in stop]
            if unigrams:
                tokens += list(run)
        elif run not in stop:
            tokens.append(stem(run))
    return tokens


def index_text(text, *, unigrams=False):
    return " ".join(index_tokens(text, unigrams=unigrams))


class QueryToken:
    """One token of a query: its index form (stemmed), its surface form, and whether it is a stopword."""

    __slots__ = ("token", "surface", "cjk", "stop")

    def __init__(self, token, surface, cjk, stop):
        self.token, self.surface, self.cjk, self.stop = token, surface, cjk, stop

    def __repr__(self):
        return f"QueryToken({self.token!r})"


def query_tokens(query):
    """The tokens of a query in order, stopwords kept but flagged (synonym phrases may contain them)."""
    cut, _cut_for_search, has_word = segmenter()
    stop = stopwords()
    tokens = []
    for run in RUN_RE.findall(normalize(query[:MAX_QUERY_CHARS])):
        if not is_cjk(run):
            tokens.append(QueryToken(stem(run), run, False, run in stop))
            continue
        for word in cut(run):
            if len(word) > 1 and word[-1] in PARTICLES and (len(word) == 2 or not has_word(word)):
                word = word[:-1]
            tokens.append(QueryToken(word, word, True, word in stop))
    return tokens


def phrase(text):
    """The token tuple of a short phrase (a synonym term), segmented like a query."""
    return tuple(t.token for t in query_tokens(text))


def sub_words(word):
    """Dictionary words inside a longer Chinese word (没到账 → 没到, 到账), for a looser match."""
    _cut, cut_for_search, _has = segmenter()
    return [w for w in cut_for_search(word) if w != word and len(w) > 1]


def latin_words(text):
    """Raw (unstemmed) Latin words of three letters or more: the vocabulary typo correction draws on."""
    return {run for run in RUN_RE.findall(normalize(text)) if run.isalpha() and len(run) >= 3}
