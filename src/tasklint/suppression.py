"""``# noqa`` handling for the CLI, matching flake8's semantics.

flake8 does its own ``noqa`` filtering; the CLI applies the same rules so that both entry
points report the same findings: a blanket ``# noqa`` suppresses everything on the line, and
``# noqa: TQ201,TQ205`` suppresses those codes (and codes they prefix). As in flake8, a
comment after a token that spans several lines (a multi-line string) applies to all of its
lines; the lines of a bracketed multi-line call are separate lines.
"""

from __future__ import annotations

import io
import re
import tokenize
from collections.abc import Iterable

NOQA = re.compile(r"# noqa(?::[\s]?(?P<codes>([A-Z]+[0-9]+(?:[,\s]+)?)+))?", re.IGNORECASE)
FILE_NOQA = re.compile(r"\s*# flake8[:=]\s*noqa", re.IGNORECASE)
# Both patterns above need this text (case-insensitively, as they match): a source without
# it can hold no suppression, and is not tokenized at all.
NOQA_TEXT = re.compile("noqa", re.IGNORECASE)


def has_noqa_text(source: str) -> bool:
    """Whether ``source`` may hold a ``noqa`` (False: nothing in it is suppressed)."""
    return NOQA_TEXT.search(source) is not None


# The tokens of the last source tokenized (None: tokenize failed): one tokenization of a
# file serves its suppressions, its unused ``noqa`` check and its comment scan.
_last_tokens: tuple[str, list[tokenize.TokenInfo] | None] | None = None


def _tokens(source: str) -> list[tokenize.TokenInfo] | None:
    global _last_tokens
    if _last_tokens is not None and _last_tokens[0] is source:
        return _last_tokens[1]
    try:
        tokens: list[tokenize.TokenInfo] | None = list(
            tokenize.generate_tokens(io.StringIO(source).readline)
        )
    except (tokenize.TokenError, SyntaxError, IndentationError):
        tokens = None
    _last_tokens = (source, tokens)
    return tokens


def noqa_line_mapping(source: str, lines: list[str]) -> dict[int, str]:
    """Line number -> the text to search for ``noqa`` (whole logical line, as flake8 does)."""
    mapping: dict[int, str] = {}
    tokens = _tokens(source)
    if tokens is None:
        return {i + 1: line for i, line in enumerate(lines)}
    min_line, max_line = len(lines) + 2, -1
    for tok in tokens:
        if tok.type in (tokenize.ENDMARKER, tokenize.DEDENT):
            continue
        min_line = min(min_line, tok.start[0])
        max_line = max(max_line, tok.end[0])
        if tok.type in (tokenize.NL, tokenize.NEWLINE):
            joined = "".join(lines[min_line - 1 : max_line])
            for n in range(min_line, max_line + 1):
                mapping[n] = joined
            min_line, max_line = len(lines) + 2, -1
    if max_line != -1:
        joined = "".join(lines[min_line - 1 : max_line])
        for n in range(min_line, max_line + 1):
            mapping[n] = joined
    return mapping


def parse_codes(text: str) -> list[str]:
    return [c for c in re.split(r"[,\s]+", text.strip()) if c]


class Suppressions:
    """The ``noqa`` comments of one file."""

    def __init__(self, source: str) -> None:
        self.lines = source.splitlines(keepends=True)
        # without the text ``noqa`` (most files) no line and no file is suppressed
        self.has_noqa = has_noqa_text(source)
        self.file_ignored = self.has_noqa and any(FILE_NOQA.match(line) for line in self.lines)
        self._mapping: dict[int, str] | None = None
        self._source = source

    def _line(self, number: int) -> str:
        if self._mapping is None:
            self._mapping = noqa_line_mapping(self._source, self.lines)
        text = self._mapping.get(number)
        if text is None and 0 < number <= len(self.lines):
            text = self.lines[number - 1]
        return text or ""

    def suppressed(self, line: int, code: str) -> bool:
        if not self.has_noqa:
            return False
        if self.file_ignored:
            return True
        match = NOQA.search(self._line(line))
        if match is None:
            return False
        codes = match.group("codes")
        if codes is None:
            return True
        parsed = parse_codes(codes)
        return code in parsed or code.startswith(tuple(parsed))


def filter_suppressed(findings: Iterable[object], source: str) -> list[object]:
    sup = Suppressions(source)
    return [f for f in findings if not sup.suppressed(f.line, f.code)]  # type: ignore[attr-defined]


def noqa_comments(source: str) -> list[tuple[int, int, list[str]]]:
    """(line, column, TQ codes) of every ``# noqa: ...`` comment that names TQ codes."""
    out: list[tuple[int, int, list[str]]] = []
    if not has_noqa_text(source):
        return out
    tokens = _tokens(source)
    if tokens is None:
        return out
    for tok in tokens:
        if tok.type != tokenize.COMMENT:
            continue
        match = NOQA.search(tok.string)
        if match is None or match.group("codes") is None:
            continue
        codes = [c for c in parse_codes(match.group("codes")) if c.upper().startswith("TQ")]
        if codes:
            out.append((tok.start[0], tok.start[1] + 1, codes))
    return out


def unused_suppressions(
    source: str, findings: Iterable[object], enabled: set[str]
) -> list[tuple[int, int, list[str]]]:
    """``# noqa: TQ...`` comments whose (enabled) codes suppress no finding in their range."""
    lines = source.splitlines(keepends=True)
    mapping = noqa_line_mapping(source, lines)
    by_text: dict[str, list[int]] = {}
    for number, text in mapping.items():
        by_text.setdefault(text, []).append(number)
    hits: dict[int, set[str]] = {}
    for f in findings:
        hits.setdefault(f.line, set()).add(f.code)  # type: ignore[attr-defined]
    unused: list[tuple[int, int, list[str]]] = []
    for line, col, codes in noqa_comments(source):
        relevant = [c for c in codes if any(e.startswith(c.upper()) for e in enabled)]
        if not relevant:
            continue
        covered = by_text.get(mapping.get(line, ""), [line])
        found = set().union(*(hits.get(n, set()) for n in covered))
        dead = [c for c in relevant if not any(code.startswith(c.upper()) for code in found)]
        if dead:
            unused.append((line, col, dead))
    return unused


def unused_codes_edit(line_text: str, col: int, dead: list[str]) -> tuple[int, int, str] | None:
    """(start, end, replacement) in ``line_text`` that drops the ``dead`` codes from the
    ``# noqa: ...`` comment starting at 0-based ``col``; when no code remains the directive
    goes (the whole comment when it holds nothing else; the line when it holds nothing else).
    ``end`` may be ``len(line_text) + 1``: the line and its line break go."""
    text = line_text.rstrip("\r\n")
    comment = text[col:]
    match = NOQA.search(comment)
    if match is None or match.group("codes") is None:
        return None
    written = match.group("codes")
    codes = parse_codes(written)
    remaining = [c for c in codes if c not in dead]
    if len(remaining) == len(codes):
        return None
    start, end = col + match.start("codes"), col + match.end("codes")
    if remaining:
        trailing = written[len(written.rstrip()) :]
        separator = ", " if "," in written else " "
        return start, end, separator.join(remaining) + trailing
    before, after = comment[: match.start()].rstrip(), comment[match.end() :].strip()
    if before.strip("# \t"):  # a `type: ignore` comment before the directive stays
        kept = before + (f"  # {after}" if after else "")
        return col, len(text), kept
    if after:  # `
        return col, len(text), f"# {after.lstrip('#').strip()}"
    code_end = len(text[:col].rstrip())
    if code_end == 0:
        return 0, len(line_text) + 1, ""  # a line that held only the comment
    return code_end, len(text), ""
