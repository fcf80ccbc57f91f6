"""Baselines: record today's findings, then report only new ones.

A finding is matched by code, path and a fingerprint of the flagged source text and of what
the finding names (see ``output.fingerprints``), never by line number, so edits elsewhere in
a file do not bring baselined findings back. Paths are stored relative to the project root,
so a baseline written in one directory works from any other and for any path argument.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from dataclasses import replace
from pathlib import Path
from typing import Any

from tasklint import __version__
from tasklint.findings import Finding
from tasklint.output.fingerprints import fingerprints

# 2: paths relative to the project root; fingerprints include the names a finding gives.
FORMAT = 2
TOOL = "tasklint"


class BaselineError(Exception):
    pass


def anchored(findings: list[Finding], root: Path, base: Path) -> list[Finding]:
    """The findings with paths relative to ``root`` (they are relative to ``base``)."""
    out = []
    for f in findings:
        full = os.path.normpath(os.path.join(base, f.path))
        rel = os.path.relpath(full, root)
        out.append(replace(f, path=Path(rel).as_posix()))
    return out


def write(path: Path, findings: list[Finding], root: Path, base: Path) -> int:
    """Record ``findings`` (paths relative to ``base``) in ``path``; returns their number."""
    rooted = anchored(findings, root, base)
    entries = [
        {"code": f.code, "path": f.path, "fingerprint": fp, "message": f.message}
        for f, fp in zip(rooted, fingerprints(rooted))
    ]
    data: dict[str, Any] = {
        "tool": TOOL,
        "version": __version__,
        "format": FORMAT,
        "findings": entries,
    }
    path.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return len(entries)


def load(path: Path) -> Counter[tuple[str, str, str]]:
    """The entries of a baseline; BaselineError names the file and what is wrong with it."""
    hint = "write it again with --write-baseline"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BaselineError(f"--baseline: no such file: {path}") from None
    except (OSError, ValueError, RecursionError, MemoryError) as exc:
        raise BaselineError(
            f"--baseline: {path} is not a tasklint baseline ({type(exc).__name__}: {exc}); "
            "write one with --write-baseline"
        ) from None
    if not isinstance(data, dict) or data.get("tool") != TOOL:
        tool = data.get("tool") if isinstance(data, dict) else None
        made_by = f" (it was written by {tool!r})" if isinstance(tool, str) else ""
        raise BaselineError(
            f"--baseline: {path} is not a tasklint baseline{made_by}; "
            "write one with --write-baseline"
        )
    if data.get("format") != FORMAT:
        raise BaselineError(
            f"--baseline: {path} has baseline format {data.get('format')!r} (tasklint "
            f"{data.get('version', '?')}); this tasklint {__version__} reads format {FORMAT}: "
            f"{hint}"
        )
    try:
        entries = data["findings"]
        return Counter((e["code"], e["path"], e["fingerprint"]) for e in entries)
    except (KeyError, TypeError) as exc:
        raise BaselineError(
            f"--baseline: {path} is a damaged tasklint baseline ({type(exc).__name__}: {exc}); "
            f"{hint}"
        ) from None


def filter_new(
    findings: list[Finding], known: Counter[tuple[str, str, str]], root: Path, base: Path
) -> list[Finding]:
    """The findings (paths relative to ``base``) that ``known`` does not record."""
    remaining = Counter(known)
    out = []
    rooted = anchored(findings, root, base)
    for f, rf, fp in zip(findings, rooted, fingerprints(rooted)):
        key = (rf.code, rf.path, fp)
        if remaining[key] > 0:
            remaining[key] -= 1
            continue
        out.append(f)
    return out
