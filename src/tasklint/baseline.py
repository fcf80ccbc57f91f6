"""Baselines: record today's findings, then report only new ones.

A finding is matched by code, path and a fingerprint of the flagged source text (see
``output.fingerprints``), never by line number, so edits elsewhere in a file do not bring
baselined findings back.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

from tasklint import __version__
from tasklint.findings import Finding
from tasklint.output.fingerprints import fingerprints

FORMAT = 1


class BaselineError(Exception):
    pass


def write(path: Path, findings: list[Finding]) -> int:
    entries = [
        {"code": f.code, "path": f.path, "fingerprint": fp, "message": f.message}
        for f, fp in zip(findings, fingerprints(findings))
    ]
    data: dict[str, Any] = {
        "tool": "tasklint",
        "version": __version__,
        "format": FORMAT,
        "findings": entries,
    }
    path.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return len(entries)


def load(path: Path) -> Counter[tuple[str, str, str]]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        entries = data["findings"]
        return Counter((e["code"], e["path"], e["fingerprint"]) for e in entries)
    except FileNotFoundError:
        raise BaselineError(f"--baseline: no such file: {path}") from None
    except (OSError, ValueError, KeyError, TypeError, RecursionError, MemoryError) as exc:
        raise BaselineError(
            f"--baseline: {path} is not a tasklint baseline ({type(exc).__name__}: {exc}); "
            "write one with --write-baseline"
        ) from None


def filter_new(findings: list[Finding], known: Counter[tuple[str, str, str]]) -> list[Finding]:
    remaining = Counter(known)
    out = []
    for f, fp in zip(findings, fingerprints(findings)):
        key = (f.code, f.path, fp)
        if remaining[key] > 0:
            remaining[key] -= 1
            continue
        out.append(f)
    return out
