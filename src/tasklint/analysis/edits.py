"""Where a fix's edit goes: the exact token a finding is about, found in the file's text.

Project rules report from facts (a line and the name or value written there), not from a
tree; these helpers find that name or value among the tokens of the line and give the
edit only when exactly one token matches, so a fix never guesses.
"""

from __future__ import annotations

import ast
import io
import os
import tokenize
from dataclasses import replace
from functools import lru_cache
from pathlib import Path

from tasklint.findings import Edit, Finding, Fix
from tasklint.project import BAD_INPUT, read_source


@lru_cache(maxsize=32)
def _tokens(path: str, stamp: tuple[int, int]) -> dict[int, list[tokenize.TokenInfo]]:
    del stamp  # part of the cache key only: a file changed by --fix is read again
    by_line: dict[int, list[tokenize.TokenInfo]] = {}
    try:
        source = read_source(Path(path))
        for tok in tokenize.generate_tokens(io.StringIO(source).readline):
            by_line.setdefault(tok.start[0], []).append(tok)
    except (tokenize.TokenError, *BAD_INPUT):
        pass  # the tokens read so far (a newer f-string, a bad byte further down)
    return by_line


def line_tokens(path: str, line: int) -> list[tokenize.TokenInfo]:
    try:
        st = os.stat(path)
    except OSError:
        return []
    return _tokens(path, (st.st_mtime_ns, st.st_size)).get(line, [])


def _string_value(token: str) -> str | None:
    """The value of a plain string literal token (no f-, t- or byte prefix)."""
    prefix = token[: len(token) - len(token.lstrip("rRuUbBfFtT"))]
    if set(prefix.lower()) & set("bft"):
        return None
    try:
        value = ast.literal_eval(token)
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return None
    return value if isinstance(value, str) else None


def rename(path: str, line: int, old: str, new: str) -> Edit | None:
    """Rename the one name (``old=``, ``old = ...``, ``.old``) or string key (``"old"``)
    written on ``line``; None unless exactly one token there is ``old``."""
    found: list[Edit] = []
    for tok in line_tokens(path, line):
        if tok.type == tokenize.NAME and tok.string == old:
            found.append(Edit(line, tok.start[1], line, tok.end[1], new))
        elif tok.type == tokenize.STRING and tok.start[0] == tok.end[0]:
            if _string_value(tok.string) == old and tok.string.count(old) == 1:
                text = tok.string.replace(old, new)
                found.append(Edit(line, tok.start[1], line, tok.end[1], text))
    return found[0] if len(found) == 1 else None


def replace_string(path: str, line: int, value: str, replacement: str) -> Edit | None:
    """Replace the one string literal whose value is ``value`` on ``line`` by
    ``replacement`` (source text); None unless exactly one literal there matches."""
    found = [
        Edit(line, tok.start[1], line, tok.end[1], replacement)
        for tok in line_tokens(path, line)
        if tok.type == tokenize.STRING
        and tok.start[0] == tok.end[0]
        and _string_value(tok.string) == value
    ]
    return found[0] if len(found) == 1 else None


def char_col(line_text: str, byte_col: int) -> int:
    """A 0-based character column from the UTF-8 byte column ``ast`` gives."""
    return len(line_text.encode("utf-8")[:byte_col].decode("utf-8", "replace"))


def with_rename(finding: Finding, old: str, new: str) -> Finding:
    """``finding`` with an unsafe fix renaming ``old`` to ``new`` on its line (when the
    name is found exactly once there). Unsafe: the renamed option or setting starts to
    apply, which changes what the program does (that is the point of the fix)."""
    edit = rename(finding.path, finding.line, old, new)
    if edit is None:
        return finding
    fix = Fix((edit,), safe=False, description=f"Rename `{old}` to `{new}`")
    return replace(finding, fix=fix)


def with_replacement(finding: Finding, value: str, replacement: str) -> Finding:
    """``finding`` with an unsafe fix writing ``replacement`` for the string literal
    ``value`` on its line (when exactly one literal there has that value)."""
    edit = replace_string(finding.path, finding.line, value, replacement)
    if edit is None:
        return finding
    fix = Fix((edit,), safe=False, description=f"Replace {value!r} with `{replacement}`")
    return replace(finding, fix=fix)
