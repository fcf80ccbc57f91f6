"""TQ212: an ``apply_async`` whose ``expires`` is not later than its countdown/ETA."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass

from tasklint.analysis.celery_options import fmt_seconds
from tasklint.analysis.enqueue import EnqueueRecognizer
from tasklint.findings import Finding
from tasklint.project.celery_config import CeleryModel, CeleryTask
from tasklint.project.context import FileContext
from tasklint.project.index import TaskInfo
from tasklint.rules._base import Rule, register
from tasklint.rules.tq210_countdown_exceeds_visibility_timeout import NOW
from tasklint.syntax.names import Scope
from tasklint.syntax.values import Value, as_number

SEND_METHODS = frozenset({"apply_async", "apply_async_on_commit"})
SIGNATURE_OF_TASK = frozenset({"s", "si", "signature"})


@dataclass(frozen=True)
class Offset:
    """Seconds from now, and how it was written (for the message)."""

    seconds: float
    how: str


def _number(value: Value) -> float | None:
    return as_number(value.value) if value.kind == "const" else None


@register
class ExpiresBeforeCountdown(Rule):
    """
    ## What it does
    Flags `apply_async(...)` whose `expires` is not later than its `countdown` or `eta`:
    `expires` in seconds, as a `timedelta`, or as a datetime `now() + X`, given on the call
    or inherited from the task (`@app.task(expires=60)` or the task's base class).

    ## Why is this bad?
    Celery turns `countdown` into an ETA and a numeric `expires` into a deadline, both
    counted from the moment of sending (`celery/app/amqp.py`, `as_task_v2`). The worker
    holds the message until its ETA and then checks the deadline: a task that expires
    before (or when) it may start is revoked as expired and never runs. Nothing fails when
    the task is sent; the work is silently dropped.

    ## Example
    ```python
    from celery import Celery

    app = Celery("shop")


    @app.task(time_limit=60)
    def send_reminder(user_id):
        ...


    def schedule(user_id):
        send_reminder.apply_async((user_id,), countdown=600, expires=300)
    ```

    Use instead:
    ```python
    from celery import Celery

    app = Celery(
        "shop",
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
    )


    @app.task(time_limit=60)
    def send_reminder(user_id):
        ...


    def schedule(user_id):
        send_reminder.apply_async((user_id,), countdown=600, expires=600 + 300)
    ```

    ## Options
    None.

    ## Known limitations
    Only values resolved statically are compared: numbers (and constant expressions of
    them), `timedelta(...)`, and datetimes written `now() + X` (`datetime.now()`,
    `datetime.utcnow()`, `timezone.now()`); absolute datetimes and values computed at run
    time are not. `expires` from the task is used only when the enqueued task is resolved
    to a project task whose options are fully known. A `countdown` wins over an `eta` (as
    in Celery). Note that Celery 5 expects `expires` in seconds or as a datetime; a bare
    `timedelta` is compared by its length here, but Celery itself rejects it when sending.
    `self.retry(countdown=...)` and signatures configured with `.set(expires=...)` are not
    checked.

    ## References
    - Celery: https://docs.celeryq.dev/en/stable/userguide/calling.html#expiration
    - Celery source: `celery/app/amqp.py` (`as_task_v2`), `celery/app/task.py`
      (`apply_async`), `celery/worker/request.py` (expired requests are revoked)
    """

    code = "TQ212"
    name = "expires-before-countdown"
    message = (
        "`expires` of {expires} ({expires_from}) is not later than the {delay_kind} of "
        "{delay} ({delay_from}): the worker revokes the message as expired before it may "
        "run; make `expires` longer than the delay or drop it"
    )
    node_types = (ast.Call,)
    triggers = re.compile(r"\bcountdown\b|\beta\s*=")

    def check(self, node: ast.Call, ctx: FileContext) -> Iterator[Finding]:
        func = node.func
        if not isinstance(func, ast.Attribute) or func.attr not in SEND_METHODS:
            return
        keywords = {kw.arg: kw for kw in node.keywords if kw.arg is not None}
        if "countdown" not in keywords and "eta" not in keywords:
            return
        enqueue = EnqueueRecognizer.of(ctx).enqueue(node)
        if enqueue is None or enqueue.library != "celery":
            return
        scope = ctx.scope()
        delay = self._delay(keywords, ctx, scope)
        if delay is None:
            return
        kind, offset = delay
        expires_kw = keywords.get("expires")
        if expires_kw is not None:
            expires = self._offset(expires_kw.value, ctx, scope, "`expires`")
            if expires is None or expires.seconds > offset.seconds:
                return
            yield self.finding(
                ctx,
                expires_kw,
                expires=f"{fmt_seconds(expires.seconds)} s",
                expires_from=expires.how,
                delay_kind=kind,
                delay=f"{fmt_seconds(offset.seconds)} s",
                delay_from=offset.how,
            )
            return
        if any(kw.arg is None for kw in node.keywords):
            return  # **options may carry expires
        task = self._task(func.value, ctx, scope)
        if task is None:
            return
        opt = task.option("expires")
        if opt is None:
            return
        seconds = _number(opt.value)
        if seconds is None or seconds > offset.seconds:
            return
        yield self.finding(
            ctx,
            node,
            line=node.lineno,
            expires=f"{fmt_seconds(seconds)} s",
            expires_from=f"set on task `{task.function}` by its {opt.source}, line {opt.line}",
            delay_kind=kind,
            delay=f"{fmt_seconds(offset.seconds)} s",
            delay_from=offset.how,
        )

    # -- values --------------------------------------------------------------------------
    def _delay(
        self, keywords: dict[str, ast.keyword], ctx: FileContext, scope: Scope
    ) -> tuple[str, Offset] | None:
        """The delay Celery applies: a truthy ``countdown`` replaces ``eta``."""
        countdown = keywords.get("countdown")
        if countdown is not None:
            value = ctx.value(countdown.value, scope)
            if value.kind == "const" and value.value in (None, 0):
                pass  # no countdown: the eta (if any) applies
            else:
                seconds = _number(value)
                if seconds is None:
                    return None
                return "`countdown`", Offset(seconds, f"`countdown={ast.unparse(countdown.value)}`")
        eta = keywords.get("eta")
        if eta is None:
            return None
        offset = self._now_plus(eta.value, ctx, scope, "`eta`")
        return ("`eta`", offset) if offset is not None else None

    def _offset(self, expr: ast.expr, ctx: FileContext, scope: Scope, what: str) -> Offset | None:
        """Seconds from now for a number, a ``timedelta`` or ``now() + X``."""
        folded = ctx.value(expr, scope)
        seconds = _number(folded)
        if seconds is not None:
            return Offset(seconds, f"{what[:-1]}={ast.unparse(expr)}`")
        return self._now_plus(expr, ctx, scope, what)

    def _now_plus(self, expr: ast.expr, ctx: FileContext, scope: Scope, what: str) -> Offset | None:
        if not isinstance(expr, ast.BinOp) or not isinstance(expr.op, ast.Add):
            return None
        for now_side, delta_side in ((expr.left, expr.right), (expr.right, expr.left)):
            now_scope = scope
            if isinstance(now_side, ast.Name) and ctx.resolver.is_local(now_side.id, scope):
                local = ctx.resolver.local_value(now_side.id, scope)  # now = timezone.now()
                if local is not None:
                    now_side, now_scope = local
            if isinstance(now_side, ast.Call) and not now_side.args:
                qn = ctx.index.canonical(ctx.resolver.qualname(now_side.func, now_scope))
                if qn in NOW:
                    value = ctx.value(delta_side, scope)
                    seconds = _number(value)
                    if seconds is None:
                        return None
                    return Offset(seconds, f"{what[:-1]}={ast.unparse(expr)}`")
        return None

    # -- the task ------------------------------------------------------------------------
    def _task(self, recv: ast.expr, ctx: FileContext, scope: Scope) -> CeleryTask | None:
        rec = EnqueueRecognizer.of(ctx)
        info: TaskInfo | None = None
        if (
            isinstance(recv, ast.Call)
            and isinstance(recv.func, ast.Attribute)
            and recv.func.attr in SIGNATURE_OF_TASK
        ):
            if recv.func.attr == "signature" and (len(recv.args) > 2 or recv.keywords):
                return None  # signature options may carry their own expires
            info = rec.task_info(recv.func.value, scope)
        else:
            info = rec.task_info(recv, scope)
        if info is None or info.library != "celery" or not info.module:
            return None
        model = CeleryModel.of(ctx.index, ctx.settings)
        for task in model.tasks():
            if task.module == info.module and task.function == info.name:
                return None if task.options_open else task
        return None
