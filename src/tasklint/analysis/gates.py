"""Textual gates, answered faster and exactly as ``pattern.search(source) is not None``.

A gate runs on every file, and ``re`` finds no literal to look for first in a pattern that
starts with ``\\b`` or that alternates at the top (``\\.(delay|...)\\s*\\(|\\b(chain|...)``):
it tries the whole pattern at every position of the text. Here a pattern is split into its
top-level alternatives (a match anywhere of ``A|B`` is a match anywhere of ``A`` or of
``B``), each searched on its own (``re`` then finds its literal prefix); an alternative
whose every match must begin with one of a few words (``\\b(chain|group)\\s*\\(``) is tried
only where ``str.find`` finds one of them. Anything else (flags, backreferences, a
pattern the splitter does not follow) is searched as it is.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

Search = Callable[[str], bool]

# shortest start word worth finding: shorter ones are everywhere, ``re`` does better
_MIN_WORD = 3
_CACHE: dict[re.Pattern[str], Search] = {}


def quick_search(pattern: re.Pattern[str]) -> Search:
    """A function of a text: ``pattern.search(text) is not None``, made once per pattern."""
    found = _CACHE.get(pattern)
    if found is None:
        try:
            found = _build(pattern)
        except Exception:  # the splitting is a speed-up: never a failure
            found = _plain(pattern)
        _CACHE[pattern] = found
    return found


def _plain(pattern: re.Pattern[str]) -> Search:
    search = pattern.search
    return lambda text: search(text) is not None


def _build(pattern: re.Pattern[str]) -> Search:
    source = pattern.pattern
    if (
        not isinstance(source, str)
        or pattern.flags & (re.IGNORECASE | re.VERBOSE)
        or re.search(r"\\[0-9gk]|\(\?P=|\(\?\(", source)  # references between parts
    ):
        return _plain(pattern)
    alternatives = _split(source)
    parser = _parser()
    if parser is None or len(alternatives) < 1:
        return _plain(pattern)
    parts: list[tuple[re.Pattern[str], tuple[str, ...] | None]] = []
    for alternative in alternatives:
        compiled = re.compile(alternative, pattern.flags)
        words = _start_words(list(parser.parse(alternative, pattern.flags)))
        if words is not None and (not words or min(map(len, words)) < _MIN_WORD):
            words = None
        if words is not None and _literal_prefix(alternative):
            words = None  # ``re`` searches a literal prefix itself, and fast
        parts.append((compiled, words))
    if len(parts) == 1 and parts[0][1] is None:
        return _plain(pattern)

    def search(text: str) -> bool:
        for compiled, words in parts:
            if words is None:
                if compiled.search(text) is not None:
                    return True
                continue
            match = compiled.match
            for word in words:
                at = text.find(word)
                while at >= 0:
                    if match(text, at) is not None:
                        return True
                    at = text.find(word, at + 1)
        return False

    return search


def _parser() -> Any:
    try:
        import re._parser as parser  # type: ignore[import-not-found]  # Python 3.11+
    except ImportError:  # pragma: no cover - Python < 3.11
        import sre_parse as parser
    return parser


def _split(source: str) -> list[str]:
    """The top-level alternatives of a pattern's text (outside groups and classes)."""
    parts: list[str] = []
    depth = 0
    start = 0
    i = 0
    in_class = False
    while i < len(source):
        char = source[i]
        if char == "\\":
            i += 2
            continue
        if in_class:
            if char == "]":
                in_class = False
        elif char == "[":
            in_class = True
            # a ``]`` right after ``[`` or ``[^`` is a member, not the end
            if source[i + 1 : i + 2] == "^":
                i += 1
            if source[i + 1 : i + 2] == "]":
                i += 1
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "|" and depth == 0:
            parts.append(source[start:i])
            start = i + 1
        i += 1
    parts.append(source[start:])
    return parts


def _literal_prefix(alternative: str) -> bool:
    """Does the alternative start with a literal character (``re`` finds those fast)?"""
    first = alternative[:1]
    if not first:
        return False
    if first == "\\":
        return alternative[1:2] in ".()[]{}|*+?^$\\-"  # an escaped punctuation mark
    return first not in ".()[]{}|*+?^$"


def _start_words(items: list[tuple[Any, Any]]) -> tuple[str, ...] | None:
    """Words one of which every match of the parsed sequence begins with; None if unknown.

    Zero-width assertions (``\\b``, ``^``) at the start consume nothing; then a run of
    literal characters, or a group of alternatives each starting with such a run."""
    parser_constants = _constants()
    AT, LITERAL, SUBPATTERN, BRANCH = parser_constants
    i = 0
    while i < len(items) and items[i][0] == AT:
        i += 1
    if i == len(items):
        return None
    op, av = items[i]
    if op == LITERAL:
        run = []
        while i < len(items) and items[i][0] == LITERAL:
            run.append(chr(items[i][1]))
            i += 1
        return ("".join(run),)
    if op == SUBPATTERN:
        _group, add_flags, del_flags, inner = av
        if add_flags or del_flags:
            return None
        return _start_words(list(inner))
    if op == BRANCH:
        words: list[str] = []
        for branch in av[1]:
            found = _start_words(list(branch))
            if found is None:
                return None
            words.extend(found)
        return tuple(dict.fromkeys(words))
    return None


def _constants() -> tuple[Any, Any, Any, Any]:
    try:
        from re import _constants as c  # type: ignore[attr-defined]  # Python 3.11+
    except ImportError:  # pragma: no cover - Python < 3.11
        import sre_constants as c
    return c.AT, c.LITERAL, c.SUBPATTERN, c.BRANCH
