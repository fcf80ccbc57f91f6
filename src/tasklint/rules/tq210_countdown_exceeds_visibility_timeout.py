"""TQ210: a countdown/ETA beyond the broker's visibility timeout."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator

from tasklint.analysis.broker import Visibility, visibility_timeout
from tasklint.analysis.celery_options import fmt_seconds
from tasklint.analysis.enqueue import EnqueueRecognizer
from tasklint.config import Settings
from tasklint.findings import Finding
from tasklint.project.celery_config import AppConfig, CeleryModel, resolve_value
from tasklint.project.context import FileContext
from tasklint.project.index import ProjectIndex
from tasklint.rules._base import Rule, register
from tasklint.syntax.names import Scope
from tasklint.syntax.values import Value, as_number

NOW = frozenset(
    {
        "datetime.datetime.now",
        "datetime.datetime.utcnow",
        "django.utils.timezone.now",
        "pendulum.now",
        "arrow.utcnow",
    }
)


def _seconds(value: Value) -> float | None:
    return as_number(value.value) if value.kind == "const" else None


def smallest_visibility(apps: list[AppConfig], settings: Settings) -> Visibility | None:
    """The visibility timeout every app agrees is exceeded: the largest one (precision)."""
    found = [visibility_timeout(app, settings) for app in apps]
    if not found or any(v is None for v in found):
        return None
    return max(found, key=lambda v: v.seconds)  # type: ignore[union-attr]


@register
class CountdownExceedsVisibilityTimeout(Rule):
    """
    ## What it does
    With a Redis or SQS broker, flags `apply_async(countdown=N)`,
    `apply_async(eta=now + timedelta(...))`, `self.retry(countdown=N)` and
    `retry_backoff_max=N` where N is at least the broker's visibility timeout
    (`broker_transport_options["visibility_timeout"]`, default 3600 s for Redis, 1800 s
    for SQS).

    ## Why is this bad?
    A worker holds a delayed message unacknowledged until its ETA. Once the visibility
    timeout passes, Redis/SQS give the same message to another worker, which holds it
    too — and so on: the task runs several times when the ETA arrives.

    ## Example
    ```python
    from celery import Celery

    app = Celery("shop", broker="redis://localhost:6379/0")


    @app.task(time_limit=60)
    def remind(user_id):
        ...


    def schedule(user_id):
        remind.apply_async((user_id,), countdown=2 * 3600)
    ```

    Use instead:
    ```python
    from celery import Celery

    app = Celery(
        "shop",
        broker="redis://localhost:6379/0",
        broker_transport_options={"visibility_timeout": 12 * 3600},
    )
    app.conf.update(
        task_acks_late=True, task_reject_on_worker_lost=True, worker_prefetch_multiplier=1
    )


    @app.task(time_limit=60)
    def remind(user_id):
        ...


    def schedule(user_id):
        remind.apply_async((user_id,), countdown=2 * 3600)
    ```

    For long delays, prefer a periodic task or a scheduler that stores the due time.

    ## Options
    - `celery.visibility-timeout`: the visibility timeout to assume when the configuration
      does not say.

    ## Known limitations
    Only `apply_async(countdown=...)`/`apply_async(eta=now() + timedelta(...))`,
    `self.retry(countdown=...)` and `retry_backoff_max` with values resolved statically are
    checked; an `eta` given as an absolute datetime and countdowns computed at run time are
    not. When a task cannot be matched to one app the smallest visibility timeout of the
    project's apps is used.

    ## References
    - Celery: https://docs.celeryq.dev/en/stable/getting-started/backends-and-brokers/redis.html#visibility-timeout
    """

    code = "TQ210"
    name = "countdown-exceeds-visibility-timeout"
    message = (
        "{what} of {seconds} s is not below the visibility timeout of {vt} s ({vt_source}): "
        "the broker redelivers the waiting message and the task runs more than once; raise "
        "`visibility_timeout` or schedule it differently"
    )
    node_types = (ast.Call,)
    triggers = re.compile(r"countdown|eta\s*=|retry_backoff_max")

    # -- enqueue sites -------------------------------------------------------------------
    def check(self, node: ast.Call, ctx: FileContext) -> Iterator[Finding]:
        func = node.func
        if not isinstance(func, ast.Attribute) or func.attr not in (
            "apply_async",
            "apply_async_on_commit",
        ):
            return
        if not any(kw.arg in ("countdown", "eta") for kw in node.keywords):
            return
        enqueue = EnqueueRecognizer.of(ctx).enqueue(node)
        if enqueue is None or enqueue.library != "celery":
            return
        model = CeleryModel.of(ctx.index, ctx.settings)
        apps = self._apps_for(enqueue.target, ctx, model)
        vt = smallest_visibility(apps, ctx.settings)
        if vt is None:
            return
        scope = ctx.scope()
        for kw in node.keywords:
            seconds: float | None = None
            if kw.arg == "countdown":
                seconds = _seconds(ctx.value(kw.value, scope))
            elif kw.arg == "eta":
                seconds = self._eta_offset(kw.value, ctx, scope)
            if seconds is not None and seconds >= vt.seconds:
                yield self.finding(
                    ctx,
                    kw,
                    what=f"`{kw.arg}`",
                    seconds=fmt_seconds(seconds),
                    vt=fmt_seconds(vt.seconds),
                    vt_source=vt.source,
                )

    def _apps_for(self, target: str, ctx: FileContext, model: CeleryModel) -> list[AppConfig]:
        for task in model.tasks():
            if task.function == target:
                return task.value_apps
        return list(model.apps)

    def _eta_offset(self, expr: ast.expr, ctx: FileContext, scope: Scope) -> float | None:
        """Seconds ahead for ``now() + timedelta(...)`` (either order)."""
        if not isinstance(expr, ast.BinOp) or not isinstance(expr.op, ast.Add):
            return None
        for now_side, delta_side in ((expr.left, expr.right), (expr.right, expr.left)):
            if isinstance(now_side, ast.Call):
                qn = ctx.index.canonical(ctx.resolver.qualname(now_side.func, scope))
                if qn in NOW:
                    return _seconds(ctx.value(delta_side, scope))
        return None

    # -- retry countdowns and backoff caps -----------------------------------------------
    def check_project(self, index: ProjectIndex, settings: Settings) -> Iterator[Finding]:
        model = CeleryModel.of(index, settings)
        for task in model.tasks():
            vt = smallest_visibility(task.value_apps, settings)
            if vt is None:
                continue
            cap = task.options.get("retry_backoff_max")
            if cap is not None and task.options.get("autoretry_for") is not None:
                seconds = _seconds(cap.value)
                if seconds is not None and seconds >= vt.seconds:
                    yield self.project_finding(
                        cap.path,
                        cap.line,
                        cap.col,
                        what="`retry_backoff_max`",
                        seconds=fmt_seconds(seconds),
                        vt=fmt_seconds(vt.seconds),
                        vt_source=vt.source,
                    )
            for call in task.fact.retry_calls if task.fact is not None else []:
                countdown = call.get("countdown")
                if not countdown:
                    continue
                seconds = _seconds(resolve_value(index, Value(**countdown["value"])))
                if seconds is not None and seconds >= vt.seconds:
                    yield self.project_finding(
                        task.path,
                        countdown["line"],
                        countdown["col"],
                        what="The retry `countdown`",
                        seconds=fmt_seconds(seconds),
                        vt=fmt_seconds(vt.seconds),
                        vt_source=vt.source,
                    )
