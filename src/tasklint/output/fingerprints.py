"""Stable identities of findings: code, path and the flagged source text, not line numbers.

An edit above a finding moves its line but keeps its fingerprint; two identical findings in
one file are told apart by their order of occurrence.
"""

from __future__ import annotations

import hashlib
from collections import Counter

from tasklint.findings import Finding


def _normal(text: str) -> str:
    return " ".join(text.split())


def fingerprints(findings: list[Finding]) -> list[str]:
    """One fingerprint per finding, in the same order."""
    seen: Counter[tuple[str, str, str]] = Counter()
    out = []
    for f in findings:
        key = (f.code, f.path, _normal(f.source or f.message))
        seen[key] += 1
        raw = "\x1f".join([*key, str(seen[key])])
        out.append(hashlib.sha256(raw.encode("utf-8")).hexdigest()[:32])
    return out
