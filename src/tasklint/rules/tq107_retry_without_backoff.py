"""TQ107: autoretry_for without retry_backoff."""

from __future__ import annotations

from collections.abc import Iterator

from tasklint.config import Settings
from tasklint.findings import Finding
from tasklint.project.celery_config import CeleryModel
from tasklint.project.index import ProjectIndex
from tasklint.rules._base import Rule, register


@register
class RetryWithoutBackoff(Rule):
    """
    ## What it does
    Flags a task with `autoretry_for` and no `retry_backoff`.

    ## Why is this bad?
    Without backoff every retry waits the fixed `default_retry_delay` (3 minutes) — or,
    with `countdown=0` patterns, retries at once. When a dependency is down, all failing
    tasks retry in lock-step and hit it together when it comes back.

    ## Example
    ```python
    from celery import shared_task


    @shared_task(autoretry_for=(ConnectionError,), time_limit=60)
    def push(order_id):
        ...
    ```

    Use instead:
    ```python
    from celery import shared_task


    @shared_task(autoretry_for=(ConnectionError,), retry_backoff=True, time_limit=60)
    def push(order_id):
        ...
    ```

    ## Options
    Opt-in: enable with `extend-select = ["TQ107"]`.

    ## Known limitations
    A task whose options cannot all be read (options from a base class or annotations
    built at run time) is not reported, since `retry_backoff` may be set there.

    ## References
    - Celery: https://docs.celeryq.dev/en/stable/userguide/tasks.html#Task.retry_backoff
    """

    code = "TQ107"
    name = "retry-without-backoff"
    default = False
    message = (
        "Task `{task}` retries automatically without `retry_backoff`: failures retry in "
        "lock-step; set `retry_backoff=True` (and `retry_jitter`)"
    )

    def check_project(self, index: ProjectIndex, settings: Settings) -> Iterator[Finding]:
        model = CeleryModel.of(index, settings)
        for task in model.tasks():
            autoretry = task.options.get("autoretry_for")
            if autoretry is None or (autoretry.value.kind == "const" and not autoretry.value.value):
                continue
            if "retry_backoff" in task.options or task.options_open:
                continue
            yield self.task_finding(task, task=task.function)
