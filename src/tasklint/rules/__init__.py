"""The rule registry: every rule module is imported here (a meta-test checks the list)."""

from __future__ import annotations

from tasklint.rules import (
    tq001_syntax_error,
    tq002_internal_error,
    tq201_enqueue_in_transaction,
    tq202_enqueue_before_commit,
    tq205_arq_enqueue_without_job_id,
    tq206_nondeterministic_job_id,
)
from tasklint.rules._base import FAMILIES, REGISTRY, Rule

ALL_RULES: dict[str, type[Rule]] = dict(sorted(REGISTRY.items()))
RULE_MODULES = (
    tq001_syntax_error,
    tq002_internal_error,
    tq201_enqueue_in_transaction,
    tq202_enqueue_before_commit,
    tq205_arq_enqueue_without_job_id,
    tq206_nondeterministic_job_id,
)
ENGINE_CODES = frozenset({"TQ001", "TQ002"})


def rule_by_code(code: str) -> type[Rule] | None:
    return ALL_RULES.get(code)


def default_codes() -> set[str]:
    return {code for code, rule in ALL_RULES.items() if rule.default}


__all__ = ["ALL_RULES", "ENGINE_CODES", "FAMILIES", "RULE_MODULES", "Rule", "default_codes", "rule_by_code"]
