"""TQ106: autoretry_for catches Exception."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from tasklint.config import Settings
from tasklint.findings import Finding
from tasklint.project.celery_config import CeleryModel
from tasklint.project.index import ProjectIndex
from tasklint.rules._base import Rule, register
from tasklint.syntax.values import Value

BROAD = frozenset({"builtins.Exception", "builtins.BaseException"})


def exception_names(value: Value) -> list[str]:
    items: list[Any]
    if value.kind == "name":
        items = [value.__dict__]
    elif value.kind == "list" and isinstance(value.value, list):
        items = value.value
    else:
        return []
    return [i.get("qualname") or "" for i in items if isinstance(i, dict)]


@register
class BroadAutoretry(Rule):
    """
    ## What it does
    Flags `autoretry_for` that contains `Exception` or `BaseException`.

    ## Why is this bad?
    Every error is retried, including the ones a retry cannot fix: a `KeyError` from a
    bug, a `DoesNotExist` for a deleted row, a validation error. The task hammers its
    dependencies `max_retries` times and hides the real failure behind retry noise.

    ## Example
    ```python
    from celery import shared_task


    @shared_task(autoretry_for=(Exception,), retry_backoff=True, time_limit=60)
    def push(order_id):
        ...
    ```

    Use instead:
    ```python
    from celery import shared_task


    @shared_task(autoretry_for=(ConnectionError, TimeoutError), retry_backoff=True, time_limit=60)
    def push(order_id):
        ...
    ```

    ## Options
    Opt-in: enable with `extend-select = ["TQ106"]`.

    ## Known limitations
    Only the names `Exception` and `BaseException` (resolved through imports) count as
    broad; a project exception class that catches everything is not recognised, and a tuple
    built at run time is not read.

    ## References
    - Celery: https://docs.celeryq.dev/en/stable/userguide/tasks.html#automatic-retry-for-known-exceptions
    """

    code = "TQ106"
    name = "broad-autoretry"
    default = False
    message = (
        "`autoretry_for` on task `{task}` includes `{name}`: bugs and permanent errors are "
        "retried too; list the transient exceptions"
    )

    def check_project(self, index: ProjectIndex, settings: Settings) -> Iterator[Finding]:
        model = CeleryModel.of(index, settings)
        for task in model.tasks():
            opt = task.options.get("autoretry_for")
            if opt is None:
                continue
            for qn in exception_names(opt.value):
                if qn in BROAD:
                    yield self.project_finding(
                        opt.path, opt.line, opt.col, task=task.function, name=qn.split(".")[-1]
                    )
                    break
