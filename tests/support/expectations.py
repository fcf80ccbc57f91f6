"""Inline expectations in fixtures: ``# error: TQ201``, ``# ok: TQ201``, ``# todo-error:``...

Grammar (STYLE.md section 16):
- ``# error: TQ101, TQ102`` -- these codes are reported on this line;
- ``# error(+1): TQ101`` / ``# error(-2): TQ101`` -- on the line N below/above;
- ``# ok: TQ201`` -- a near miss: the code is *not* reported on this line;
- ``# todo-error: X`` -- a known false negative: X is not reported yet (asserted);
- ``# todo-ok: X`` -- a known false positive: X is reported (asserted).
Header directives, in the first comment block:
- ``# tasklint-fixture: config = { ... }`` -- a [tool.tasklint] table in TOML inline syntax;
- ``# tasklint-fixture: python >= 3.10``.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

ANNOTATION = re.compile(
    r"#\s*(?P<kind>error|ok|todo-error|todo-ok)(?:\((?P<offset>[+-]\d+)\))?:\s*"
    r"(?P<codes>TQ\d{3}(?:\s*,\s*TQ\d{3})*)"
)
DIRECTIVE = re.compile(r"^#\s*tasklint-fixture:\s*(?P<body>.*)$")


@dataclass
class Expectations:
    errors: set[tuple[int, str]] = field(default_factory=set)
    oks: set[tuple[int, str]] = field(default_factory=set)
    todo_errors: set[tuple[int, str]] = field(default_factory=set)
    todo_oks: set[tuple[int, str]] = field(default_factory=set)
    config: dict[str, Any] = field(default_factory=dict)
    min_python: tuple[int, int] | None = None

    @property
    def count(self) -> int:
        return len(self.errors) + len(self.oks) + len(self.todo_errors) + len(self.todo_oks)

    @property
    def codes(self) -> set[str]:
        """Every code this file annotates (the rules its fixture run selects)."""
        return {code for _, code in self.errors | self.oks | self.todo_errors | self.todo_oks}

    @property
    def expected(self) -> set[tuple[int, str]]:
        """What must be reported: errors, plus todo-oks (current false positives)."""
        return self.errors | self.todo_oks


def parse(text: str) -> Expectations:
    exp = Expectations()
    lines = text.splitlines()
    for number, line in enumerate(lines, start=1):
        stripped = line.strip()
        directive = DIRECTIVE.match(stripped)
        if directive:
            _directive(directive.group("body"), exp)
            continue
        for match in ANNOTATION.finditer(line):
            target = number + int(match.group("offset") or 0)
            codes = [c.strip() for c in match.group("codes").split(",")]
            bucket = {
                "error": exp.errors,
                "ok": exp.oks,
                "todo-error": exp.todo_errors,
                "todo-ok": exp.todo_oks,
            }[match.group("kind")]
            for code in codes:
                bucket.add((target, code))
    return exp


def _directive(body: str, exp: Expectations) -> None:
    body = body.strip()
    if body.startswith("config"):
        _, _, value = body.partition("=")
        exp.config = tomllib.loads(f"config = {value.strip()}")["config"]
    elif body.startswith("python"):
        match = re.match(r"python\s*>=\s*(\d+)\.(\d+)", body)
        if not match:
            raise ValueError(f"bad python directive: {body!r}")
        exp.min_python = (int(match.group(1)), int(match.group(2)))
    else:
        raise ValueError(f"unknown fixture directive: {body!r}")
