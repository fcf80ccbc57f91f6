"""TQ204: an enqueue directly in a Django model-signal receiver."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

from tasklint.analysis.enqueue import EnqueueRecognizer, enqueue_triggered
from tasklint.analysis.signals import connected_elsewhere, connecting_decorators, receivers
from tasklint.analysis.summaries import Summaries
from tasklint.analysis.transactions import enclosing_transaction, is_on_commit_call
from tasklint.config import Settings
from tasklint.findings import Finding
from tasklint.project.context import FileContext
from tasklint.project.index import ProjectIndex
from tasklint.rules._base import Rule, register


@register
class EnqueueInSignalHandler(Rule):
    """
    ## What it does
    Flags a task enqueue in a Django receiver of `post_save`, `post_delete`,
    `m2m_changed`, `pre_save` or `pre_delete` (connected with `@receiver(...)`,
    `signal.connect(handler)` or a project decorator that does either): written in the
    receiver, or reached through a call to a project function that enqueues.

    ## Why is this bad?
    Model signals fire inside the caller's transaction — `save()` inside `atomic()`, or a
    view under `ATOMIC_REQUESTS`. The task is queued before the row is committed: the
    worker may not find it, or find the old version. `pre_*` signals fire before the
    write even happens.

    ## Example
    ```python
    from celery import shared_task
    from django.db.models.signals import post_save
    from django.dispatch import receiver


    @shared_task(time_limit=60)
    def index_product(pk):
        ...


    @receiver(post_save, sender="shop.Product")
    def on_product_saved(sender, instance, **kwargs):
        index_product.delay(instance.pk)
    ```

    Use instead:
    ```python
    from celery import shared_task
    from django.db import transaction
    from django.db.models.signals import post_save
    from django.dispatch import receiver


    @shared_task(time_limit=60)
    def index_product(pk):
        ...


    @receiver(post_save, sender="shop.Product")
    def on_product_saved(sender, instance, **kwargs):
        transaction.on_commit(lambda: index_product.delay(instance.pk))
    ```

    ## Options
    - `celery.enqueue-functions`: project helpers that enqueue.

    ## Known limitations
    Receivers are `@receiver(...)` functions, functions connected with
    `signal.connect(handler)` in the same module or in another project module (e.g. in
    `AppConfig.ready()`), methods connected as `signal.connect(self.m)`,
    `signal.connect(cls.m)` or `signal.connect(Model.m)` (the class defining `m`), and
    functions decorated by a project decorator that does either with the function it
    decorates. A call in a receiver to a project function that
    enqueues (directly or through further project calls, as in TQ203) is reported on the
    call's line; other calls are not followed.

    ## References
    - Django: https://docs.djangoproject.com/en/stable/topics/db/transactions/#performing-actions-after-commit
    """

    code = "TQ204"
    name = "enqueue-in-signal-handler"
    message = (
        "`{target}` is enqueued{through} in `{handler}`, a `{signal}` receiver that runs inside the "
        "caller's transaction; wrap it in `transaction.on_commit(...)`"
    )
    node_types = (ast.Call,)
    # an enqueue in the file, or a receiver declared in it (directly or by a project
    # decorator, whose names extra_triggers adds) that may enqueue through project calls
    triggers = re.compile(r"receiver\s*\(|\.connect\s*\(")
    decorators: tuple[str, ...] = ()

    connected: tuple[str, ...] = ()  # receivers connected in another module

    def prepare(self, index: ProjectIndex, settings: Settings) -> None:
        self.decorators = connecting_decorators(index)
        self.connected = tuple(
            sorted(
                {
                    name.rsplit(".", 1)[-1]
                    for names in connected_elsewhere(index).values()
                    for name in names
                }
            )
        )

    def extra_triggers(self, settings: Settings) -> tuple[str, ...]:
        return (*self.decorators, *self.connected)

    def wants(self, source: str, settings: Settings) -> bool:
        return enqueue_triggered(source) or super().wants(source, settings)

    def check(self, node: ast.Call, ctx: FileContext) -> Iterator[Finding]:
        ancestors = ctx.ancestors
        functions = (ast.FunctionDef, ast.AsyncFunctionDef)
        if len(ancestors) >= 3 and isinstance(ancestors[1], ast.ClassDef):
            # a method connected as ``signal.connect(self.m)`` / ``connect(Model.m)``
            if not isinstance(ancestors[2], functions):
                return
            handler = ancestors[2]
            key = f"{ancestors[1].name}.{handler.name}"
            body_start = 3
        elif len(ancestors) >= 2 and isinstance(ancestors[1], functions):
            handler = ancestors[1]
            key = handler.name
            body_start = 2
        else:
            return
        signal = receivers(ctx).get(key)
        if signal is None:
            return
        enqueue = EnqueueRecognizer.of(ctx).enqueue(node)
        if enqueue is not None and enqueue.deferred:
            return
        if enqueue is None and not isinstance(node.func, (ast.Name, ast.Attribute)):
            return
        for i in range(body_start, len(ancestors)):
            anc = ancestors[i]
            if isinstance(anc, (ast.Lambda, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                return  # deferred or nested code
            if isinstance(anc, ast.Call) and is_on_commit_call(
                anc, ctx, ctx.resolver.scope_at(ancestors[:i])
            ):
                return
        if enclosing_transaction(ctx, node) is not None:
            return  # TQ201 / TQ203 report it
        if enqueue is not None:
            yield self.finding(
                ctx, node, target=enqueue.target, through="", handler=key, signal=signal
            )
            return
        if is_on_commit_call(node, ctx, ctx.scope()):
            return
        summaries = Summaries.of(ctx.index, ctx.settings)
        callee = summaries.resolve_call(node, ctx, ctx.scope())
        steps = summaries.enqueue_path_at(node, callee) if callee is not None else None
        if callee is None or steps is None:
            return
        last = steps[-1]
        try:
            where = Path(last.path).resolve().relative_to(Path(ctx.index.root)).as_posix()
        except ValueError:
            where = Path(last.path).name
        yield self.finding(
            ctx,
            node,
            target=last.what,
            through=f" by `{summaries.label(callee)}()` ({where}:{last.line})",
            handler=key,
            signal=signal,
        )
