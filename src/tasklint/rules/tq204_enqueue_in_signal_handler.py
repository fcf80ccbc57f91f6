"""TQ204: an enqueue directly in a Django model-signal receiver."""

from __future__ import annotations

import ast
from collections.abc import Iterator

from tasklint.analysis.enqueue import ENQUEUE_TRIGGERS, EnqueueRecognizer
from tasklint.analysis.transactions import enclosing_transaction, is_on_commit_call
from tasklint.findings import Finding
from tasklint.project.context import FileContext
from tasklint.rules._base import Rule, register
from tasklint.syntax.walk import walk

SIGNALS = frozenset(
    {
        f"django.db.models.signals.{name}"
        for name in ("post_save", "post_delete", "m2m_changed", "pre_save", "pre_delete")
    }
)
RECEIVER = frozenset({"django.dispatch.receiver", "django.dispatch.dispatcher.receiver"})


def _signal_names(expr: ast.expr, ctx: FileContext) -> list[str]:
    exprs = list(expr.elts) if isinstance(expr, (ast.List, ast.Tuple)) else [expr]
    out = []
    for e in exprs:
        qn = ctx.index.canonical(ctx.resolver.qualname(e))
        if qn in SIGNALS:
            out.append(qn.rsplit(".", 1)[-1])
    return out


def receivers(ctx: FileContext) -> dict[str, str]:
    """Module-level function name -> the model signal it receives (memoised per file)."""
    memo = ctx.memo.get("tq204_receivers")
    if isinstance(memo, dict):
        return memo
    found: dict[str, str] = {}
    for stmt in ctx.tree.body:
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for dec in stmt.decorator_list:
                if not isinstance(dec, ast.Call) or not dec.args:
                    continue
                if ctx.index.canonical(ctx.resolver.qualname(dec.func)) in RECEIVER:
                    names = _signal_names(dec.args[0], ctx)
                    if names:
                        found[stmt.name] = names[0]
    for node in walk(ctx.tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "connect"
            and node.args
            and isinstance(node.args[0], ast.Name)
        ):
            names = _signal_names(node.func.value, ctx)
            if names:
                found.setdefault(node.args[0].id, names[0])
    ctx.memo["tq204_receivers"] = found
    return found


@register
class EnqueueInSignalHandler(Rule):
    """
    ## What it does
    Flags a task enqueue written directly in a Django receiver of `post_save`,
    `post_delete`, `m2m_changed`, `pre_save` or `pre_delete` (connected with
    `@receiver(...)` or `signal.connect(handler)`).

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
    Only enqueues directly in the receiver's body are reported; a receiver that calls a
    project helper which enqueues is not followed. Receivers are matched by function name
    within the file (`@receiver(...)` or `signal.connect(handler)` in the same module).

    ## References
    - Django: https://docs.djangoproject.com/en/stable/topics/db/transactions/#performing-actions-after-commit
    """

    code = "TQ204"
    name = "enqueue-in-signal-handler"
    message = (
        "`{target}` is enqueued in `{handler}`, a `{signal}` receiver that runs inside the "
        "caller's transaction; wrap it in `transaction.on_commit(...)`"
    )
    node_types = (ast.Call,)
    triggers = ENQUEUE_TRIGGERS

    def check(self, node: ast.Call, ctx: FileContext) -> Iterator[Finding]:
        enqueue = EnqueueRecognizer.of(ctx).enqueue(node)
        if enqueue is None or enqueue.deferred:
            return
        ancestors = ctx.ancestors
        if len(ancestors) < 2 or not isinstance(
            ancestors[1], (ast.FunctionDef, ast.AsyncFunctionDef)
        ):
            return
        handler = ancestors[1]
        signal = receivers(ctx).get(handler.name)
        if signal is None:
            return
        for i in range(2, len(ancestors)):
            anc = ancestors[i]
            if isinstance(anc, (ast.Lambda, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                return  # deferred or nested code
            if isinstance(anc, ast.Call) and is_on_commit_call(
                anc, ctx, ctx.resolver.scope_at(ancestors[:i])
            ):
                return
        if enclosing_transaction(ctx, node) is not None:
            return  # TQ201 reports it
        yield self.finding(ctx, node, target=enqueue.target, handler=handler.name, signal=signal)
