"""One severity per rule (``Rule.severity``), shown the same way by every output format.

``error``: tasklint could not check the code (TQ001, TQ002); ``warning``: a finding in the
code. The table says how each format spells the two levels.
"""

from __future__ import annotations

LEVELS: dict[str, dict[str, str]] = {
    "error": {"sarif": "error", "github": "error", "gitlab": "critical"},
    "warning": {"sarif": "warning", "github": "warning", "gitlab": "major"},
}


def severity(code: str) -> str:
    """The rule's severity, ``error`` or ``warning`` (``warning`` for an unknown code)."""
    from tasklint.rules import ALL_RULES

    rule = ALL_RULES.get(code)
    return rule.severity if rule is not None and rule.severity in LEVELS else "warning"


def level(code: str, fmt: str) -> str:
    """How the format ``fmt`` (sarif, github, gitlab) spells the rule's severity."""
    return LEVELS[severity(code)][fmt]
