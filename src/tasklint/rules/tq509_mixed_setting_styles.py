"""TQ509: old upper-case and new lower-case setting names mixed in one source."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

from tasklint.config import Settings
from tasklint.findings import Finding
from tasklint.project.celery_config import CeleryModel, RawEntry
from tasklint.project.index import ProjectIndex
from tasklint.rules._base import Rule, register


@register
class MixedSettingStyles(Rule):
    """
    ## What it does
    Flags a configuration source read without a namespace (a `celeryconfig` module, one
    `conf.update(...)`, the `Celery(...)` keywords, a config class) that mixes old
    upper-case setting names (`CELERYD_PREFETCH_MULTIPLIER`, `BROKER_URL`) with new
    lower-case ones (`worker_prefetch_multiplier`).

    ## Why is this bad?
    Celery refuses the mix: the first time the configuration is read it raises
    `ImproperlyConfigured` ("Cannot mix new and old setting keys"), so the worker (or the
    first `.delay()`) fails at start-up — often only in the environment that has the
    extra setting.

    ## Example
    ```python
    from celery import Celery

    app = Celery("shop")
    app.conf.update(
        broker_url="redis://localhost:6379/0",
        CELERYD_PREFETCH_MULTIPLIER=1,
    )
    ```

    Use instead:
    ```python
    from celery import Celery

    app = Celery("shop")
    app.conf.update(
        broker_url="redis://localhost:6379/0",
        worker_prefetch_multiplier=1,
        task_acks_late=True,
        task_reject_on_worker_lost=True,
    )
    ```

    ## Options
    None.

    ## Known limitations
    Under a namespace (`config_from_object("django.conf:settings", namespace="CELERY")`)
    Celery does not check, and neither does this rule.

    ## References
    - Celery: https://docs.celeryq.dev/en/stable/userguide/configuration.html#new-lowercase-settings
    """

    code = "TQ509"
    name = "mixed-setting-styles"
    message = (
        "`{key}` is an {minority}-style setting name in a source that uses {majority}-style "
        "names: Celery raises ImproperlyConfigured when it reads the mix; use {majority}-style "
        "`{suggestion}`"
    )

    def check_project(self, index: ProjectIndex, settings: Settings) -> Iterator[Finding]:
        from tasklint.data import celery_settings as data

        model = CeleryModel.of(index, settings)
        seen: set[tuple[str, int]] = set()
        for app in model.apps:
            by_source: dict[str, list[RawEntry]] = defaultdict(list)
            for entry in app.entries:
                if not entry.namespace:
                    by_source[entry.source_id].append(entry)
            for entries in by_source.values():
                conflict = data.mixed_style_conflicts(e.key for e in entries)
                if conflict is None:
                    continue
                renames = dict(conflict.renames)
                offending = [e for e in entries if e.key in renames]
                first = min(offending, key=lambda e: (e.path, e.line, e.col))
                if (first.path, first.line) in seen:
                    continue
                seen.add((first.path, first.line))
                majority = conflict.kept
                yield self.project_finding(
                    first.path,
                    first.line,
                    first.col,
                    key=first.key,
                    minority="old" if majority == "new" else "new",
                    majority=majority,
                    suggestion=renames[first.key],
                )
