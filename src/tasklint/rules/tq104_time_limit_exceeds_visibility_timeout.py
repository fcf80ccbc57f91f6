"""TQ104: a task's time limit is not below the broker's visibility timeout."""

from __future__ import annotations

from collections.abc import Iterator

from tasklint.analysis.broker import Visibility, visibility_timeout
from tasklint.analysis.celery_options import Found, effective, fmt_seconds, global_level, number
from tasklint.config import Settings
from tasklint.findings import Finding
from tasklint.project.celery_config import CeleryModel
from tasklint.project.index import ProjectIndex
from tasklint.rules._base import Rule, register


@register
class TimeLimitExceedsVisibilityTimeout(Rule):
    """
    ## What it does
    With a Redis or SQS broker, flags a task whose effective hard time limit (else its soft
    limit) is greater than or equal to the broker's visibility timeout
    (`broker_transport_options["visibility_timeout"]`, default 3600 s for Redis and 1800 s
    for SQS).

    ## Why is this bad?
    Redis and SQS do not know a message is being worked on: when it has not been
    acknowledged within the visibility timeout, they hand it to another worker. A task
    allowed to run longer than that runs twice (or more) at the same time — with
    `acks_late` on, every long run is duplicated.

    ## Example
    ```python
    from celery import Celery

    app = Celery("shop", broker="redis://localhost:6379/0")


    @app.task(time_limit=7200)
    def export():
        ...
    ```

    Use instead:
    ```python
    from celery import Celery

    app = Celery(
        "shop",
        broker="redis://localhost:6379/0",
        broker_transport_options={"visibility_timeout": 4 * 3600},
    )
    app.conf.update(
        task_acks_late=True, task_reject_on_worker_lost=True, worker_prefetch_multiplier=1
    )


    @app.task(time_limit=7200)
    def export():
        ...
    ```

    ## Options
    - `celery.visibility-timeout`: the visibility timeout to assume when the configuration
      does not say (for example when the broker URL comes from the environment).

    ## Known limitations
    The broker must be known (a literal URL, a `visibility_timeout` in the configuration,
    or the option above); otherwise the rule is silent.

    ## References
    - Celery: https://docs.celeryq.dev/en/stable/getting-started/backends-and-brokers/redis.html#visibility-timeout
    """

    code = "TQ104"
    name = "time-limit-exceeds-visibility-timeout"
    message = (
        "{what} is {limit} s but the visibility timeout is {vt} s ({vt_source}): {redelivered}; "
        "raise `visibility_timeout` above the limit or lower the limit"
    )

    def check_project(self, index: ProjectIndex, settings: Settings) -> Iterator[Finding]:
        model = CeleryModel.of(index, settings)
        seen: set[tuple[str, int]] = set()

        def report(limit: Found, what: str, vt: Visibility, acks_late: Found) -> Iterator[Finding]:
            value = number(limit)
            if value is None or value <= 0 or value < vt.seconds:
                return
            key = (limit.path, limit.line)
            if key in seen:
                return
            seen.add(key)
            yield self.project_finding(
                limit.path,
                limit.line,
                limit.col,
                what=what,
                limit=fmt_seconds(value),
                vt=fmt_seconds(vt.seconds),
                vt_source=vt.source,
                redelivered=_redelivered(acks_late),
            )

        for app in model.apps:
            vt = visibility_timeout(app, settings)
            if vt is None:
                continue
            hard = global_level(app, "task_time_limit")
            limit = hard if not hard.absent else global_level(app, "task_soft_time_limit")
            acks = global_level(app, "task_acks_late")
            yield from report(limit, "The global task time limit", vt, acks)
        for task in model.tasks():
            for app in task.value_apps:
                vt = visibility_timeout(app, settings)
                if vt is None:
                    continue
                hard = effective(task, app, "time_limit")
                limit = hard if not hard.absent else effective(task, app, "soft_time_limit")
                if limit.level != "task":
                    continue  # global limits are reported once, above
                acks = effective(task, app, "acks_late")
                yield from report(limit, f"Task `{task.function}`'s time limit", vt, acks)


def _redelivered(acks_late: Found) -> str:
    """What the broker hands to a second worker once the visibility timeout passes."""
    if acks_late.known and acks_late.value is True:
        return (
            "with `acks_late` the running task's own message is still unacknowledged, so "
            "the broker hands the task itself to a second worker while the first still runs"
        )
    if acks_late.known or acks_late.absent:
        return (
            "the task's own message was acknowledged at start (no `acks_late`), but the "
            "messages the worker reserved behind it wait unacknowledged and the broker hands "
            "them to other workers: they run twice"
        )
    return (
        "the broker hands unacknowledged messages to a second worker — with `acks_late` the "
        "running task itself, without it the messages reserved behind it"
    )
