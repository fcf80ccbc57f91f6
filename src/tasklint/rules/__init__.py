"""The rule registry: every rule module is imported here, one line each.

A meta-test checks that every ``rules/tq*.py`` module is imported. Keep one import per
line, sorted by code.
"""

from __future__ import annotations

import sys
from types import ModuleType

from tasklint.rules import (
    tq001_syntax_error,  # noqa: F401
    tq002_internal_error,  # noqa: F401
    tq003_unused_suppression,  # noqa: F401
    tq101_task_without_time_limit,  # noqa: F401
    tq102_soft_limit_not_below_hard_limit,  # noqa: F401
    tq103_time_limit_disabled,  # noqa: F401
    tq104_time_limit_exceeds_visibility_timeout,  # noqa: F401
    tq105_unbounded_retries,  # noqa: F401
    tq106_broad_autoretry,  # noqa: F401
    tq107_retry_without_backoff,  # noqa: F401
    tq108_duplicate_task_name,  # noqa: F401
    tq109_unknown_task_option,  # noqa: F401
    tq110_dramatiq_time_limit_in_seconds,  # noqa: F401
    tq111_routing_option_on_task,  # noqa: F401
    tq112_task_not_registered,  # noqa: F401
    tq201_enqueue_in_transaction,  # noqa: F401
    tq202_enqueue_before_commit,  # noqa: F401
    tq203_enqueue_reachable_from_transaction,  # noqa: F401
    tq204_enqueue_in_signal_handler,  # noqa: F401
    tq205_arq_enqueue_without_job_id,  # noqa: F401
    tq206_nondeterministic_job_id,  # noqa: F401
    tq207_model_instance_argument,  # noqa: F401
    tq208_task_argument_mismatch,  # noqa: F401
    tq209_unknown_task_name,  # noqa: F401
    tq210_countdown_exceeds_visibility_timeout,  # noqa: F401
    tq211_on_commit_wrong_database,  # noqa: F401
    tq212_expires_before_countdown,  # noqa: F401
    tq213_chord_without_results,  # noqa: F401
    tq301_result_get_in_task,  # noqa: F401
    tq302_blocking_call_in_async_task,  # noqa: F401
    tq401_task_module_import_cycle,  # noqa: F401
    tq501_acks_late_disabled,  # noqa: F401
    tq502_acks_late_without_reject_on_worker_lost,  # noqa: F401
    tq503_unsafe_prefetch_multiplier,  # noqa: F401
    tq504_results_never_expire,  # noqa: F401
    tq505_pickle_serializer,  # noqa: F401
    tq506_broker_heartbeat_disabled,  # noqa: F401
    tq507_eager_mode_outside_tests,  # noqa: F401
    tq508_unknown_celery_setting,  # noqa: F401
    tq509_mixed_setting_styles,  # noqa: F401
    tq510_hardcoded_broker_credentials,  # noqa: F401
    tq511_setting_wrong_type,  # noqa: F401
    tq601_arq_keep_result_forever,  # noqa: F401
    tq602_arq_function_signature,  # noqa: F401
    tq603_arq_settings_inherited,  # noqa: F401
    tq604_arq_unknown_worker_setting,  # noqa: F401
)
from tasklint.rules._base import FAMILIES, REGISTRY, Rule

ALL_RULES: dict[str, type[Rule]] = dict(sorted(REGISTRY.items()))
RULE_MODULES: tuple[ModuleType, ...] = tuple(
    module
    for name, module in sorted(sys.modules.items())
    if name.startswith("tasklint.rules.tq") and module is not None
)
ENGINE_CODES = frozenset({"TQ001", "TQ002", "TQ003"})


def rule_by_code(code: str) -> type[Rule] | None:
    return ALL_RULES.get(code)


def default_codes() -> set[str]:
    return {code for code, rule in ALL_RULES.items() if rule.default}


__all__ = [
    "ALL_RULES",
    "ENGINE_CODES",
    "FAMILIES",
    "RULE_MODULES",
    "Rule",
    "default_codes",
    "rule_by_code",
]
