"""Near-miss matching of identifiers: "did you mean ...?" for setting and option names.

Used wherever a framework silently drops a name it does not know (Celery settings and task
options, arq worker settings): a name that is *close to exactly one* known name is almost
certainly a typo of it, while a name far from every known name is more likely the project's
own (and must not be reported).

A candidate is close to ``name`` when one of these holds (all comparisons case-insensitive):

- the two differ only in letter case (``Task_Acks_Late`` → ``task_acks_late``);
- the two are the same after :func:`canonical` — the common confusions: singular/plural per
  word (``max_retry`` ↔ ``max_retries``, ``result_expire`` ↔ ``result_expires``,
  ``task_ack_late`` ↔ ``task_acks_late``) and missing or extra underscores (``timelimit``,
  ``soft_timelimit`` ↔ ``soft_time_limit``); such a confusion counts as one edit;
- their Damerau-Levenshtein distance (optimal string alignment: insertions, deletions,
  substitutions, transpositions of adjacent letters) is at most :func:`max_edits` of
  ``name``: 0 for names of up to 3 characters, 1 up to 8 characters, 2 beyond.

:func:`closest` returns the single best candidate and ``None`` when the best score is shared
by two candidates (ambiguous), when nothing is close, or when ``name`` is itself a candidate
(it is valid, so there is no near miss). Everything here is pure and deterministic: the
result never depends on the iteration order of ``candidates``.

Speed: the candidate set is prepared once per distinct set (cached), edit distances are
computed only for candidates whose length is within the allowed number of edits, with a
banded, early-exit algorithm, and results are cached per ``(name, candidate set)``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache
from typing import NamedTuple

__all__ = [
    "Match",
    "canonical",
    "closest",
    "edit_distance",
    "max_edits",
    "near_misses",
]

_SEPARATORS = re.compile(r"_+")


class Match(NamedTuple):
    """A candidate close to the name, and how close (0 = differs only in case)."""

    candidate: str
    score: int


def _singular(word: str) -> str:
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def canonical(name: str) -> str:
    """The name with the common confusions folded away.

    Lower case, each ``_``-separated word made singular (``retries`` → ``retry``,
    ``acks`` → ``ack``, ``expires`` → ``expire``), underscores dropped:
    ``canonical("soft_time_limit") == canonical("soft_timelimit") == "softtimelimit"``.
    """
    words = [w for w in _SEPARATORS.split(name.lower()) if w]
    return "".join(_singular(w) for w in words)


def max_edits(name: str) -> int:
    """How many edits a typo of ``name`` may contain: 0 (≤ 3 chars), 1 (≤ 8), else 2."""
    n = len(name)
    if n <= 3:
        return 0
    if n <= 8:
        return 1
    return 2


def edit_distance(a: str, b: str, limit: int | None = None) -> int:
    """Optimal-string-alignment Damerau-Levenshtein distance between ``a`` and ``b``.

    With ``limit``, stops early and returns ``limit + 1`` as soon as the distance is known to
    exceed it (only a band of width ``2 * limit + 1`` around the diagonal is computed).
    Case-sensitive: lower-case both sides first for a case-insensitive distance.
    """
    if a == b:
        return 0
    la, lb = len(a), len(b)
    if limit is None:
        limit = max(la, lb)
    if abs(la - lb) > limit:
        return limit + 1
    big = limit + 1
    # rows indexed by j in 0..lb; prev2 = row i-2, prev = row i-1
    prev2: list[int] = []
    prev = [j if j <= limit else big for j in range(lb + 1)]
    for i in range(1, la + 1):
        cur = [big] * (lb + 1)
        if i <= limit:
            cur[0] = i
        lo = max(1, i - limit)
        hi = min(lb, i + limit)
        ca = a[i - 1]
        row_min = cur[0] if lo == 1 else big
        for j in range(lo, hi + 1):
            cb = b[j - 1]
            cost = 0 if ca == cb else 1
            d = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                d = min(d, prev2[j - 2] + 1)
            if d > big:
                d = big
            cur[j] = d
            if d < row_min:
                row_min = d
        if row_min > limit:
            return big
        prev2, prev = prev, cur
    return prev[lb] if prev[lb] <= limit else big


class _Prepared:
    """A candidate set indexed for fast matching (built once per distinct set)."""

    __slots__ = ("by_canonical", "by_length", "by_lower", "names")

    def __init__(self, names: frozenset[str]) -> None:
        self.names = names
        self.by_lower: dict[str, list[str]] = {}
        self.by_canonical: dict[str, list[str]] = {}
        self.by_length: dict[int, list[tuple[str, str]]] = {}
        for cand in sorted(names):
            low = cand.lower()
            self.by_lower.setdefault(low, []).append(cand)
            self.by_canonical.setdefault(canonical(cand), []).append(cand)
            self.by_length.setdefault(len(low), []).append((low, cand))


@lru_cache(maxsize=32)
def _prepare(names: frozenset[str]) -> _Prepared:
    return _Prepared(names)


@lru_cache(maxsize=8192)
def _near_misses(name: str, prepared: _Prepared) -> tuple[Match, ...]:
    if name in prepared.names:
        return ()
    best: dict[str, int] = {}

    def offer(cand: str, score: int) -> None:
        if cand != name and score < best.get(cand, score + 1):
            best[cand] = score

    low = name.lower()
    for cand in prepared.by_lower.get(low, ()):
        offer(cand, 0)
    canon = canonical(name)
    if canon:
        for cand in prepared.by_canonical.get(canon, ()):
            offer(cand, 1)
    limit = max_edits(name)
    if limit:
        for length in range(len(low) - limit, len(low) + limit + 1):
            for cand_low, cand in prepared.by_length.get(length, ()):
                d = edit_distance(low, cand_low, limit)
                if d <= limit:
                    offer(cand, d)
    matches = (Match(cand, score) for cand, score in best.items())
    return tuple(sorted(matches, key=lambda m: (m.score, m.candidate)))


def _prepared(candidates: Iterable[str]) -> _Prepared:
    names = candidates if isinstance(candidates, frozenset) else frozenset(candidates)
    return _prepare(names)


def near_misses(name: str, candidates: Iterable[str]) -> tuple[Match, ...]:
    """Every candidate close to ``name``, best first (ties by name); empty when ``name`` is
    itself a candidate. For messages such as "did you mean `a` or `b`?"."""
    return _near_misses(name, _prepared(candidates))


def closest(name: str, candidates: Iterable[str]) -> str | None:
    """The one candidate ``name`` is a near miss of, or ``None``.

    ``None`` when ``name`` is itself a candidate, when no candidate is close (see the module
    docstring), or when the two best candidates are equally close.

    >>> closest("task_ack_late", ["task_acks_late", "task_time_limit"])
    'task_acks_late'
    >>> closest("my_custom_setting", ["task_acks_late"]) is None
    True
    """
    matches = near_misses(name, candidates)
    if not matches:
        return None
    if len(matches) > 1 and matches[1].score == matches[0].score:
        return None
    return matches[0].candidate
