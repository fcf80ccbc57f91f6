"""TQ105: retries with max_retries=None."""

from __future__ import annotations

from collections.abc import Iterator

from tasklint.config import Settings
from tasklint.findings import Finding
from tasklint.project.celery_config import CeleryModel, resolve_value
from tasklint.project.index import ProjectIndex
from tasklint.rules._base import Rule, register
from tasklint.syntax.constants import as_value


def retries_enabled(task: object) -> bool:
    autoretry = task.options.get("autoretry_for")  # type: ignore[attr-defined]
    has_autoretry = autoretry is not None and not (
        autoretry.value.kind == "const" and not autoretry.value.value
    )
    fact = task.fact  # type: ignore[attr-defined]
    return has_autoretry or bool(fact is not None and fact.retry_calls)


def bounded_by_every_retry_call(task: object, index: ProjectIndex | None = None) -> bool:
    """No ``autoretry_for``, and every ``self.retry(...)`` passes a number as
    ``max_retries``: the call's value replaces the task's (``Task.retry`` reads
    ``max_retries`` from its keywords first), so the task's ``None`` is never used."""
    autoretry = task.options.get("autoretry_for")  # type: ignore[attr-defined]
    if autoretry is not None and not (
        autoretry.value.kind == "const" and not autoretry.value.value
    ):
        return False
    fact = task.fact  # type: ignore[attr-defined]
    calls = fact.retry_calls if fact is not None else []
    if not calls:
        return False
    for call in calls:
        kw = call.get("max_retries")
        value = kw["value"] if kw else None
        if value and index is not None:  # ``max_retries=MAX_RETRIES``: a module constant
            value = resolve_value(index, as_value(value)).__dict__
        if not (
            value
            and value.get("kind") == "const"
            and isinstance(value.get("value"), int)
            and not isinstance(value.get("value"), bool)
        ):
            return False
    return True


@register
class UnboundedRetries(Rule):
    """
    ## What it does
    Flags a Celery task that retries (`autoretry_for=...` or a `self.retry(...)` call)
    with `max_retries=None`, on the decorator, its base class, or the `retry()` call.

    ## Why is this bad?
    `None` means "retry forever". A task failing for a permanent reason (a deleted row, a
    revoked token, a bug) is retried until someone notices the queue, the logs and the
    third party it keeps calling. Celery's default is 3.

    ## Example
    ```python
    from celery import shared_task


    @shared_task(autoretry_for=(ConnectionError,), max_retries=None, time_limit=60)
    def push(order_id):
        ...
    ```

    Use instead:
    ```python
    from celery import shared_task


    @shared_task(autoretry_for=(ConnectionError,), max_retries=10, time_limit=60)
    def push(order_id):
        ...
    ```

    ## Options
    None.

    ## Known limitations
    A task-level `max_retries=None` is not reported when the task has no `autoretry_for`
    and every `self.retry(...)` call passes a number as `max_retries` (the call's value
    wins). Only a literal `max_retries=None` is reported (on the decorator, the base class or a
    `self.retry(...)` call); a value computed at run time is not. Tasks retried by a project
    wrapper rather than `autoretry_for` or `self.retry` are not seen.

    ## References
    - Celery: https://docs.celeryq.dev/en/stable/userguide/tasks.html#Task.max_retries
    """

    code = "TQ105"
    name = "unbounded-retries"
    message = (
        "`max_retries=None` on task `{task}` retries forever: a permanent failure never stops; "
        "set a number (Celery's default is 3)"
    )

    def check_project(self, index: ProjectIndex, settings: Settings) -> Iterator[Finding]:
        model = CeleryModel.of(index, settings)
        for task in model.tasks():
            if not retries_enabled(task):
                continue
            opt = task.options.get("max_retries")
            if (
                opt is not None
                and opt.value.kind == "const"
                and opt.value.value is None
                and not bounded_by_every_retry_call(task, index)
            ):
                yield self.project_finding(opt.path, opt.line, opt.col, task=task.function)
            fact = task.fact
            for call in fact.retry_calls if fact is not None else []:
                kw = call.get("max_retries")
                if kw and kw["value"]["kind"] == "const" and kw["value"]["value"] is None:
                    yield self.project_finding(task.path, kw["line"], kw["col"], task=task.function)
