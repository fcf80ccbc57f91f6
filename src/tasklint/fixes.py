"""Apply the fixes rules attach to findings: ``--fix``, ``--unsafe-fixes``, ``--diff``.

Safe and unsafe have ruff's meaning: ``--fix`` applies safe fixes, ``--fix --unsafe-fixes``
also the unsafe ones (they change behaviour on purpose, or need a newer library). A fix is
a set of edits (line/column ranges and their new text); the fixes of one file are applied
together when they do not overlap (an overlapping one waits for the next round), and the
result must still parse, else the file is left as it was. Only files below the paths the
run was given are written, byte for byte as they were outside the edits (encoding, BOM and
line breaks kept).
"""

from __future__ import annotations

import difflib
import io
import re
import tokenize
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from tasklint.findings import Finding, Fix
from tasklint.project import BAD_INPUT, parse_source
from tasklint.project.discovery import resolved

_BREAK = re.compile(r"\r\n|\r|\n")


@dataclass
class FileChange:
    path: Path
    shown: str
    encoding: str
    before: str
    after: str
    fixed: Counter[str] = field(default_factory=Counter)  # code -> fixes applied

    def diff(self) -> str:
        lines = difflib.unified_diff(
            self.before.splitlines(keepends=True),
            self.after.splitlines(keepends=True),
            fromfile=f"a/{self.shown}",
            tofile=f"b/{self.shown}",
        )
        out = []
        for line in lines:
            out.append(line if line.endswith(("\n", "\r")) else line + "\n")
        return "".join(out)

    def write(self) -> None:
        self.path.write_bytes(self.after.encode(self.encoding))


@dataclass
class Plan:
    changes: list[FileChange] = field(default_factory=list)
    hidden_unsafe: int = 0  # unsafe fixes not applied because --unsafe-fixes is off
    postponed: int = 0  # fixes that overlapped another one: applied in a later round

    def fixed(self) -> int:
        return sum(sum(c.fixed.values()) for c in self.changes)


def applicable(finding: Finding, unsafe: bool) -> bool:
    return finding.fix is not None and (finding.fix.safe or unsafe)


def read_text(path: Path) -> tuple[str, str]:
    """The file's text with its own line breaks, and the encoding to write it back with."""
    data = path.read_bytes()
    encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    return data.decode(encoding), encoding


def _offsets(text: str) -> list[int]:
    starts = [0]
    starts.extend(m.end() for m in _BREAK.finditer(text))
    return starts


def _line_end(text: str, starts: list[int], line: int) -> int:
    """Offset of the end of ``line``'s text (before its line break)."""
    end = starts[line] if line < len(starts) else len(text)
    while end > starts[line - 1] and text[end - 1] in "\r\n":
        end -= 1
    return end


def _span(text: str, starts: list[int], fix: Fix) -> list[tuple[int, int, str]] | None:
    spans = []
    for edit in fix.edits:
        if not (0 < edit.line <= len(starts) and 0 < edit.end_line <= len(starts) + 1):
            return None
        start = starts[edit.line - 1] + edit.col
        if edit.end_line == len(starts) + 1:
            end = len(text)
        else:
            end = starts[edit.end_line - 1] + edit.end_col
        if start > _line_end(text, starts, edit.line) or end < start or end > len(text):
            return None
        if edit.end_col and end > _line_end(text, starts, edit.end_line):
            return None
        spans.append((start, end, edit.text))
    return sorted(spans)


def _overlap(s1: int, e1: int, s2: int, e2: int) -> bool:
    """Two ranges touch the same text, or insert at the same place."""
    return (s1 < e2 and s2 < e1) or s1 == s2


def apply(text: str, fixes: Iterable[Fix]) -> tuple[str, list[Fix], int]:
    """``text`` with the fixes that do not overlap applied; (new text, applied, postponed)."""
    starts = _offsets(text)
    chosen: list[tuple[int, int, str]] = []
    applied: list[Fix] = []
    postponed = 0
    taken: list[tuple[int, int]] = []
    planned = []
    for fix in fixes:
        spans = _span(text, starts, fix)
        if spans is not None:
            planned.append((spans[0][0], fix, spans))
    for _, fix, spans in sorted(planned, key=lambda p: p[0]):
        if any(_overlap(s, e, s2, e2) for s, e, _ in spans for s2, e2 in taken):
            postponed += 1
            continue
        taken.extend((s, e) for s, e, _ in spans)
        chosen.extend(spans)
        applied.append(fix)
    out: list[str] = []
    last = 0
    for start, end, new in sorted(chosen):
        out.append(text[last:start])
        out.append(new)
        last = end
    out.append(text[last:])
    return "".join(out), applied, postponed


def _inside(path: Path, roots: Sequence[Path]) -> bool:
    for root in roots:
        if path == root:
            return True
        try:
            path.relative_to(root)
        except ValueError:
            continue
        if root.is_dir():
            return True
    return False


def plan(findings: Iterable[Finding], base: Path, roots: Sequence[Path], unsafe: bool) -> Plan:
    """The changes ``--fix`` makes to the files of these findings (nothing is written)."""
    result = Plan()
    by_path: dict[str, list[Finding]] = {}
    for finding in findings:
        if finding.fix is None:
            continue
        if not applicable(finding, unsafe):
            result.hidden_unsafe += 1
            continue
        by_path.setdefault(finding.path, []).append(finding)
    allowed = [resolved(r) for r in roots]
    for shown, found in sorted(by_path.items()):
        path = resolved(base / shown)
        if not _inside(path, allowed) or not path.is_file():
            continue  # never touch a file outside the checked paths
        try:
            before, encoding = read_text(path)
        except (*BAD_INPUT,):
            continue
        fixes = {id(f.fix): f for f in found}
        after, applied, postponed = apply(before, [f.fix for f in found if f.fix is not None])
        result.postponed += postponed
        if not applied or after == before:
            continue
        try:
            parse_source(after.replace("\r\n", "\n").replace("\r", "\n"), str(path))
        except BAD_INPUT:
            continue  # a fix that breaks the file is never written
        change = FileChange(path, shown, encoding, before, after)
        for fix in applied:
            change.fixed[fixes[id(fix)].code] += 1
        result.changes.append(change)
    return result


def show_fixes(changes: Sequence[FileChange], names: dict[str, str]) -> str:
    """ruff's ``--show-fixes`` summary: per file, how many findings of each code were fixed."""
    total = sum(sum(c.fixed.values()) for c in changes)
    if not total:
        return "No findings were fixed.\n"
    out = [f"Fixed {total} finding{'s' if total != 1 else ''}:\n"]
    merged: dict[str, Counter[str]] = {}
    for change in changes:
        merged.setdefault(change.shown, Counter()).update(change.fixed)
    for shown, counts in sorted(merged.items()):
        out.append(f"- {shown}:\n")
        for code, n in sorted(counts.items()):
            out.append(f"    {n} x {code} ({names.get(code, '')})\n")
    return "".join(out)
