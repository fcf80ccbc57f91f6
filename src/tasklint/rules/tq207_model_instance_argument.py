"""TQ207: a model instance or queryset passed as a task argument."""

from __future__ import annotations

import ast
from collections.abc import Iterator

from tasklint.analysis.celery_options import effective
from tasklint.analysis.enqueue import (
    CELERY_METHODS,
    ENQUEUE_TRIGGERS,
    Enqueue,
    EnqueueRecognizer,
    apply_async_arguments,
    wrapper_forwarding,
)
from tasklint.analysis.models import ModelValues
from tasklint.analysis.summaries import Summaries
from tasklint.findings import Finding
from tasklint.project.celery_config import CeleryModel, CeleryTask
from tasklint.project.context import FileContext
from tasklint.rules._base import register
from tasklint.rules._enqueue_site import EnqueueSiteRule
from tasklint.syntax.names import Scope


@register
class ModelInstanceArgument(EnqueueSiteRule):
    """
    ## What it does
    Flags a Django model instance or queryset — from `M.objects.get/first/create/filter/...`,
    `get_or_create()[0]`, `get_object_or_404`, `request.user`, `self.get_object()`, a loop
    over a queryset, a parameter annotated with a model class, `self` in a method of a
    project model class, `instance` in a `pre_save`/`post_save`/`pre_delete`/`post_delete`
    receiver (the parameter, `kwargs["instance"]` or `kwargs.get("instance")`), the value
    of a project function that returns one of these on every path — or a SQLAlchemy mapped
    instance (`session.get(M, ...)`, `query(M).first()`, `.scalars(...).one()`) passed as
    an argument of an enqueue.

    ## Why is this bad?
    The object is serialized into the message: with JSON it fails at enqueue time; with
    pickle the worker gets a stale snapshot taken when the message was sent, not the row
    as it is when the task runs (and the message carries every loaded field). Querysets
    are evaluated or pickled whole.

    ## Example
    ```python
    from celery import shared_task
    from django.db import models


    class Order(models.Model):
        pass


    @shared_task(time_limit=60)
    def ship(order):
        ...


    def checkout(pk):
        order = Order.objects.get(pk=pk)
        ship.delay(order)
    ```

    Use instead:
    ```python
    from celery import shared_task
    from django.db import models


    class Order(models.Model):
        pass


    @shared_task(time_limit=60)
    def ship(order_id):
        ...


    def checkout(pk):
        order = Order.objects.get(pk=pk)
        ship.delay(order.pk)
    ```

    ## Options
    None.

    ## Known limitations
    A project function's value counts when the function returns a model instance (or a
    queryset) on every path, read from its summary; attributes of other objects and
    values returned by anything else are not followed.

    ## References
    - Celery: https://docs.celeryq.dev/en/stable/userguide/tasks.html#state
    """

    code = "TQ207"
    name = "model-instance-argument"
    message = "`{arg}` is a {kind} passed to `{target}`: {consequence}; pass its primary key"
    node_types = (ast.Call,)
    triggers = ENQUEUE_TRIGGERS

    def check(self, node: ast.Call, ctx: FileContext) -> Iterator[Finding]:
        enqueue = EnqueueRecognizer.of(ctx).enqueue(node)
        if enqueue is None:
            return
        scope = ctx.scope()
        serializer: str | None = None
        positional = keywords = True
        if enqueue.method == "__call__":  # through an enqueue wrapper
            info = EnqueueRecognizer.of(ctx).task_info(node.func, scope)
            if info is None:
                return
            positional, keywords = wrapper_forwarding(ctx.index, info)
        summaries = Summaries.of(ctx.index, ctx.settings)
        values = ModelValues(ctx, lambda call, sc: summaries.returned_kind(call, ctx, sc))
        for arg in self._arguments(node, enqueue):
            keyword = any(arg is kw.value for kw in node.keywords)
            if not (keywords if keyword else positional):
                continue  # the wrapper may change what it passes on
            kind = values.kind(arg, scope)
            if kind is not None:
                if serializer is None:
                    serializer = self._json_serializer(node, enqueue, ctx, scope) or ""
                if serializer:
                    consequence = (
                        f"with the JSON serializer ({serializer}) sending fails with "
                        "`kombu.exceptions.EncodeError` (a model instance is not JSON "
                        "serializable); with pickle the worker would get a stale copy"
                    )
                else:
                    consequence = (
                        "it is serialized into the message and the worker sees a stale copy "
                        "(or serialization fails)"
                    )
                yield self.finding(
                    ctx,
                    arg,
                    arg=ast.unparse(arg)[:40],
                    kind=kind,
                    target=enqueue.target,
                    consequence=consequence,
                )

    def _json_serializer(
        self, call: ast.Call, enqueue: Enqueue, ctx: FileContext, scope: Scope
    ) -> str | None:
        """Where a JSON serializer for this Celery enqueue comes from, or None if not JSON
        or not known."""
        if enqueue.library != "celery":
            return None
        for kw in call.keywords:
            if kw.arg is None:
                return None  # **options may name a serializer
            if kw.arg == "serializer":
                value = kw.value
                if isinstance(value, ast.Constant) and value.value == "json":
                    return '`serializer="json"` on the call'
                return None
        model = CeleryModel.of(ctx.index, ctx.settings)
        task: CeleryTask | None = None
        func = call.func
        if isinstance(func, ast.Attribute) and enqueue.method in CELERY_METHODS:
            info = EnqueueRecognizer.of(ctx).task_info(func.value, scope)
            if info is not None and info.module:
                task = next(
                    (
                        t
                        for t in model.tasks()
                        if t.module == info.module and t.function == info.name
                    ),
                    None,
                )
        if task is None or not task.apps:
            return None
        sources = set()
        for app in task.apps:
            found = effective(task, app, "serializer")
            if found.absent:
                sources.add("Celery's default")
            elif found.known and found.value == "json":
                sources.add(found.source if found.level == "global" else f"task {found.source}")
            else:
                return None
        return ", ".join(sorted(sources))

    def _arguments(self, call: ast.Call, enqueue: Enqueue) -> Iterator[ast.expr]:
        method = enqueue.method
        if method in ("apply_async", "apply_async_on_commit"):
            args, kwargs = apply_async_arguments(call)
            if isinstance(args, (ast.Tuple, ast.List)):
                yield from (e for e in args.elts if not isinstance(e, ast.Starred))
            if isinstance(kwargs, ast.Dict):
                yield from kwargs.values
            return
        positional = call.args
        if method in (
            "enqueue",
            "enqueue_call",
            "enqueue_at",
            "enqueue_in",
            "send_task",
            "enqueue_job",
        ):
            skip = 2 if method in ("enqueue_at", "enqueue_in") else 1
            positional = call.args[skip:]
        for arg in positional:
            if not isinstance(arg, ast.Starred):
                yield arg
        for kw in call.keywords:
            if (
                kw.arg is not None
                and not kw.arg.startswith("_")
                and kw.arg not in ("args", "kwargs", "job_id", "countdown", "queue")
            ):
                yield kw.value
