"""Spelling correction for Latin words: trigram candidates (pg_trgm on PostgreSQL, the same measure in memory
elsewhere), then the closest by edit distance with transpositions, so "airdorp" finds "airdrop"."""

import threading
import time
from collections import defaultdict

REFRESH_SECONDS = 300
CANDIDATE_SIMILARITY = 0.2


def trigrams(word):
    padded = f"  {word} "
    return {padded[i : i + 3] for i in range(len(padded) - 2)}


def similarity(a, b):
    ta, tb = trigrams(a), trigrams(b)
    return len(ta & tb) / len(ta | tb) if ta and tb else 0.0


class TrigramIndex:
    """An in-memory trigram index of the Latin vocabulary, rebuilt when new words arrive (or every few minutes)."""

    _current = None
    _lock = threading.Lock()

    def __init__(self, words, version=None):
        self.version = version
        self.df = dict(words)
        self.postings = defaultdict(set)
        for word in self.df:
            for gram in trigrams(word):
                self.postings[gram].add(word)
        self.built_at = time.monotonic()

    @classmethod
    def current(cls):
        from django.db.models import Max

        from kb.models import SearchTerm

        version = SearchTerm.objects.aggregate(m=Max("id"))["m"]
        with cls._lock:
            current = cls._current
            if current is None or current.version != version or time.monotonic() - current.built_at > REFRESH_SECONDS:
                words = SearchTerm.objects.filter(df__gt=0, term__regex=r"^[a-z]+$").values_list("term", "df")
                cls._current = cls(words, version)
            return cls._current

    @classmethod
    def reset(cls):
        with cls._lock:
            cls._current = None

    def candidates(self, word, threshold=CANDIDATE_SIMILARITY, limit=10):
        """Vocabulary words at least `threshold` similar: [(word, similarity, df)], most similar first."""
        grams = trigrams(word)
        shared = defaultdict(int)
        for gram in grams:
            for candidate in self.postings.get(gram, ()):
                shared[candidate] += 1
        found = []
        for candidate, common in shared.items():
            score = common / (len(grams) + len(trigrams(candidate)) - common)
            if score >= threshold:
                found.append((candidate, score, self.df[candidate]))
        found.sort(key=lambda c: (-c[1], -c[2], c[0]))
        return found[:limit]


def edit_distance(a, b):
    """Optimal string alignment distance: insertions, deletions, substitutions and adjacent transpositions."""
    previous2, previous = None, list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cost = 0 if ca == cb else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                current[j] = min(current[j], previous2[j - 2] + 1)
        previous2, previous = previous, current
    return previous[-1]


def choose(word, candidates):
    """The correction for `word` among trigram candidates, or None: fewest edits (at most a third of the word,
    and at most 2), then most similar, then most frequent."""
    allowed = min(2, max(1, len(word) // 3))
    scored = [(edit_distance(word, term), -similarity, -df, term) for term, similarity, df in candidates]
    scored = [s for s in scored if s[0] <= allowed and s[3] != word]
    return min(scored)[3] if scored else None
