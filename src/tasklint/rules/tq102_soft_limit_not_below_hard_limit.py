"""TQ102: soft time limit not below the hard limit."""

from __future__ import annotations

from collections.abc import Iterator

from tasklint.analysis.celery_options import Found, effective, fmt_seconds, global_level, number
from tasklint.config import Settings
from tasklint.findings import Finding
from tasklint.project.celery_config import CeleryModel
from tasklint.project.index import ProjectIndex
from tasklint.rules._base import Rule, register


@register
class SoftLimitNotBelowHardLimit(Rule):
    """
    ## What it does
    Flags a `soft_time_limit` that is greater than or equal to the `time_limit` that
    applies to the same task (or `task_soft_time_limit >= task_time_limit` globally).

    ## Why is this bad?
    The soft limit exists to raise `SoftTimeLimitExceeded` inside the task so it can clean
    up before the hard limit kills the process. When it is not below the hard limit, the
    worker process is killed first and the cleanup never runs.

    ## Example
    ```python
    from celery import Celery

    app = Celery("shop")


    @app.task(time_limit=300, soft_time_limit=300)
    def export():
        ...
    ```

    Use instead:
    ```python
    from celery import Celery

    app = Celery("shop")
    app.conf.update(
        task_acks_late=True, task_reject_on_worker_lost=True, worker_prefetch_multiplier=1
    )


    @app.task(time_limit=300, soft_time_limit=270)
    def export():
        ...
    ```

    ## Options
    None.

    ## Known limitations
    Limits whose value cannot be resolved statically are not compared.

    ## References
    - Celery: https://docs.celeryq.dev/en/stable/userguide/workers.html#time-limits
    """

    code = "TQ102"
    name = "soft-limit-not-below-hard-limit"
    message = (
        "`soft_time_limit` {soft} s is not below the hard `time_limit` {hard} s ({where}): the "
        "process is killed before `SoftTimeLimitExceeded` can be handled; make it smaller"
    )

    def check_project(self, index: ProjectIndex, settings: Settings) -> Iterator[Finding]:
        model = CeleryModel.of(index, settings)
        seen: set[tuple[str, int]] = set()

        def report(soft: Found, hard: Found) -> Iterator[Finding]:
            s, h = number(soft), number(hard)
            if s is None or h is None or h <= 0 or s < h:
                return
            key = (soft.path, soft.line)
            if key in seen:
                return
            seen.add(key)
            where = f"hard limit from {hard.source}, line {hard.line}"
            yield self.project_finding(
                soft.path,
                soft.line,
                soft.col,
                soft=fmt_seconds(s),
                hard=fmt_seconds(h),
                where=where,
            )

        for app in model.apps:
            yield from report(
                global_level(app, "task_soft_time_limit"), global_level(app, "task_time_limit")
            )
        for task in model.tasks():
            for app in task.value_apps:
                yield from report(
                    effective(task, app, "soft_time_limit"), effective(task, app, "time_limit")
                )
