"""Fact collectors: each module registers one with ``@register_collector`` (imported here)."""

from __future__ import annotations

from tasklint.project.collectors import (
    arq,  # noqa: F401
    celery_config,  # noqa: F401
    class_annotations,  # noqa: F401
    django_db,  # noqa: F401
    dynamic_globals,  # noqa: F401
    setting_reads,  # noqa: F401
    settings_exports,  # noqa: F401
    signal_connections,  # noqa: F401
    task_refs,  # noqa: F401
    worker_imports,  # noqa: F401
    wrappers,  # noqa: F401
)
