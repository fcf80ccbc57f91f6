"""Effective task options: decorator, base class, ``task_annotations``, then global settings."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tasklint.project.celery_config import AppConfig, CeleryTask, dict_entry
from tasklint.syntax.values import Value, as_number

# task option -> the global setting that provides its default
GLOBAL_SETTING = {
    "time_limit": "task_time_limit",
    "soft_time_limit": "task_soft_time_limit",
    "acks_late": "task_acks_late",
    "reject_on_worker_lost": "task_reject_on_worker_lost",
    "serializer": "task_serializer",
    "track_started": "task_track_started",
    "ignore_result": "task_ignore_result",
}


@dataclass(frozen=True)
class Found:
    state: str  # "known", "unknown", "absent"
    value: Any = None
    path: str = ""
    line: int = 0
    col: int = 1
    source: str = ""  # "the decorator", "base class X", "task_annotations", "the app configuration"
    level: str = ""  # "task" or "global"

    @property
    def known(self) -> bool:
        return self.state == "known"

    @property
    def absent(self) -> bool:
        return self.state == "absent"


ABSENT = Found("absent")
UNKNOWN = Found("unknown")


def _from_value(value: Value, path: str, line: int, col: int, source: str, level: str) -> Found:
    if value.kind == "const":
        return Found("known", value.value, path, line, col, source, level)
    return Found("unknown", None, path, line, col, source, level)


def task_level(task: CeleryTask, name: str) -> Found:
    """The option as the task itself sets it (decorator or base class), ignoring ``None``."""
    opt = task.options.get(name)
    if opt is not None:
        if opt.value.kind == "const" and opt.value.value is None:
            return ABSENT  # None means "use the app's setting"
        return _from_value(opt.value, opt.path, opt.line, opt.col, opt.source, "task")
    if task.options_open:
        return UNKNOWN
    return ABSENT


def annotation_level(task: CeleryTask, app: AppConfig, name: str) -> Found:
    setting = app.get("task_annotations")
    if setting is None:
        return ABSENT
    value = setting.value
    if value.kind != "const":
        if value.kind == "dict":
            for key in (task.registered_name, "*"):
                entry = dict_entry(value, key)
                if entry is None:
                    continue
                inner = dict_entry(entry, name)
                if inner is not None:
                    return _from_value(
                        inner, setting.path, setting.line, setting.col, "task_annotations", "task"
                    )
            return ABSENT
        return UNKNOWN
    annotations = value.value
    items = annotations if isinstance(annotations, list) else [annotations]
    for item in items:
        if item is None:
            continue  # ``task_annotations = None``: Celery's default, no annotations
        if not isinstance(item, dict):
            return UNKNOWN  # a class or a string naming one
        for key in (task.registered_name, "*"):
            entry = item.get(key)
            if isinstance(entry, dict) and name in entry:
                return Found(
                    "known",
                    entry[name],
                    setting.path,
                    setting.line,
                    setting.col,
                    "task_annotations",
                    "task",
                )
    return ABSENT


def global_level(app: AppConfig, setting_name: str) -> Found:
    setting = app.get(setting_name)
    if setting is not None:
        return _from_value(
            setting.value,
            setting.path,
            setting.line,
            setting.col,
            f"`{setting.raw_name}` ({setting.source})",
            "global",
        )
    if app.is_open:
        return UNKNOWN
    return ABSENT


def effective(task: CeleryTask, app: AppConfig, name: str) -> Found:
    """Decorator/base class, then task_annotations, then the app's global setting."""
    found = task_level(task, name)
    if not found.absent:
        return found
    found = annotation_level(task, app, name)
    if not found.absent:
        return found
    setting = GLOBAL_SETTING.get(name)
    if setting is None:
        return ABSENT
    return global_level(app, setting)


def number(found: Found) -> float | None:
    """A known, non-negative, finite number (else None: Unknown for value rules)."""
    return as_number(found.value) if found.known else None


def fmt_seconds(value: float) -> str:
    return f"{int(value)}" if float(value).is_integer() else f"{value:g}"
