"""JSON output: an array of flat objects, sorted, with no timestamps or absolute paths."""

from __future__ import annotations

import json
from typing import Any, TextIO

from tasklint import __version__
from tasklint.findings import Finding


def as_dict(f: Finding) -> dict[str, Any]:
    return {
        "code": f.code,
        "rule": f.name,
        "message": f.message,
        "path": f.path,
        "line": f.line,
        "column": f.col,
        "end_line": f.end_line if f.end_line is not None else f.line,
        "end_column": f.end_col if f.end_col is not None else f.col,
        "tool": "tasklint",
        "version": __version__,
    }


def render(findings: list[Finding], stream: TextIO, color: bool = False) -> None:
    json.dump([as_dict(f) for f in findings], stream, indent=2, sort_keys=False)
    stream.write("\n")
