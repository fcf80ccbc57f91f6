"""Stable identities of findings: code, path, the flagged source text and the names the
message gives (the task, setting or call it is about), not line numbers.

An edit above a finding moves its line but keeps its fingerprint; two findings on identical
lines (two bare ``@app.task`` decorators) are told apart by the task they name, so a new
task added above a known one gets a fingerprint of its own instead of taking the old one's;
findings identical in all of this are told apart by their order of occurrence.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter

from tasklint.findings import Finding

# The names a message quotes: `shop.tasks.ship`, `task_acks_late`, `send_email.delay`.
_QUOTED = re.compile(r"`([^`\n]+)`")


def _normal(text: str) -> str:
    return " ".join(text.split())


def identity(f: Finding) -> str:
    """What the finding is about, as its message names it (backquoted names, in order)."""
    return "\x1e".join(_QUOTED.findall(f.message))


def fingerprints(findings: list[Finding]) -> list[str]:
    """One fingerprint per finding, in the same order."""
    seen: Counter[tuple[str, str, str, str]] = Counter()
    out = []
    for f in findings:
        key = (f.code, f.path, _normal(f.source or f.message), identity(f))
        seen[key] += 1
        raw = "\x1f".join([*key, str(seen[key])])
        # surrogatepass: a name from the code may hold a lone surrogate ("dup\ud800")
        out.append(hashlib.sha256(raw.encode("utf-8", "surrogatepass")).hexdigest()[:32])
    return out
