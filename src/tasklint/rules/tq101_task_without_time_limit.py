"""TQ101: a Celery task with no time limit from any source."""

from __future__ import annotations

from collections.abc import Iterator

from tasklint.analysis.celery_options import effective
from tasklint.config import Settings
from tasklint.findings import Finding
from tasklint.project.celery_config import CeleryModel
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

    ## Known limitations
    When the app's configuration cannot be read statically (`conf.update(load())`,
    `config_from_envvar`, an unresolvable settings object) or the project defines no
    Celery app, tasks are not reported: the limit may be set there.

    ## References
    - Celery: https://docs.celeryq.dev/en/stable/userguide/workers.html#time-limits
    """

    code = "TQ101"
    name = "task-without-time-limit"
    message = (
        "Task `{task}` has no time limit (decorator, base class or app configuration): a hung "
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
                yield self.project_finding(task.path, task.line, task.col, task=task.function)
