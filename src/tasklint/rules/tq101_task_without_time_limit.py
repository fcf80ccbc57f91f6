"""TQ101: a Celery task with no time limit from any source."""

from __future__ import annotations

from collections.abc import Iterator

from tasklint.analysis.celery_options import effective
from tasklint.config import Settings
from tasklint.findings import Finding
from tasklint.project.celery_config import AppConfig, CeleryModel
from tasklint.project.index import ProjectIndex
from tasklint.rules._base import Rule, register


@register
class TaskWithoutTimeLimit(Rule):
    """
    ## What it does
    Flags a Celery task that has neither `time_limit` nor `soft_time_limit` from any
    source: the decorator, its `base=` Task class (and the app's `task_cls`),
    `task_annotations`, or the app's global `task_time_limit` / `task_soft_time_limit`.

    ## Why is this bad?
    Celery's default is no limit at all. A task that hangs on a network call or a lock
    holds a worker process forever; with prefetching, the messages reserved behind it wait
    too, and the queue silently stops draining.

    ## Example
    ```python
    from celery import Celery

    app = Celery("shop")


    @app.task
    def sync_invoices():
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
    def sync_invoices():
        ...
    ```

    Or set `task_time_limit` (and `task_soft_time_limit`) for every task in the app's
    configuration.

    ## Options
    - `celery.task-decorators`: decorators that create Celery tasks.
    - `celery.django-settings`: the Django settings module, when the code does not name it.

    Tasks made through project aliases count, with the options of the alias's call
    (`task_with_retry = shared_task(acks_late=True, time_limit=60)`,
    `functools.partial(shared_task, ...)`, a function returning `shared_task(...)(fn)`).
    Tasks are shared by default: when several apps can run a task (its own app, the other
    apps of its package, the app the deployment's `celery -A X worker` runs), the task is
    reported only when none of them sets a limit.

    ## Known limitations
    When the app's configuration cannot be read statically (`conf.update(load())`,
    `config_from_envvar`, an unresolvable settings object) or the project defines no
    Celery app, tasks are not reported: the limit may be set there. A `**NAME` splat of a
    module-constant dict (`@shared_task(**LIMITS)`) counts with the keys it has; a splat
    whose keys cannot be known (`**load_options()`) counts as a limit that may be set.

    ## References
    - Celery: https://docs.celeryq.dev/en/stable/userguide/workers.html#time-limits
    """

    code = "TQ101"
    name = "task-without-time-limit"
    message = (
        "Task `{task}` has no time limit (decorator, base class or {where}): a hung "
        "call blocks a worker forever; set `time_limit=` and `soft_time_limit=` or "
        "`task_time_limit`"
    )

    def check_project(self, index: ProjectIndex, settings: Settings) -> Iterator[Finding]:
        model = CeleryModel.of(index, settings)
        for task in model.tasks():
            if not task.apps:
                continue  # no app in the project: its configuration lives elsewhere
            if all(
                effective(task, app, "time_limit").absent
                and effective(task, app, "soft_time_limit").absent
                for app in task.apps
            ):
                yield self.task_finding(task, task=task.function, where=_where(task.apps))


def _where(apps: list[AppConfig]) -> str:
    """Which configuration was searched: one app's, or each app's that can run the task."""
    if len(apps) == 1:
        return "app configuration"
    names = ", ".join(f"`{a.ident}`" for a in apps[:3])
    more = f" and {len(apps) - 3} more" if len(apps) > 3 else ""
    return f"the configuration of any app that can run it: {names}{more}"
