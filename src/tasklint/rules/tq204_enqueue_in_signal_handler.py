"""TQ204: an enqueue directly in a Django model-signal receiver."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

from tasklint.analysis.enqueue import EnqueueRecognizer, decorator_wrapper, enqueue_triggered
from tasklint.analysis.summaries import Summaries
from tasklint.analysis.transactions import enclosing_transaction, is_on_commit_call
from tasklint.config import Settings
from tasklint.findings import Finding
from tasklint.project.context import FileContext
from tasklint.project.index import ProjectIndex
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


def _decorator_signal(dec: ast.expr, ctx: FileContext) -> str | None:
    """The model signal a project decorator connects the function it decorates to."""
    target = dec.func if isinstance(dec, ast.Call) else dec
    wrapper = decorator_wrapper(ctx.index, ctx.resolver.qualname(target))
    usable = ("factory", "both") if isinstance(dec, ast.Call) else ("plain", "both")
    if wrapper is None or wrapper.get("wraps") not in usable:
        return None
    connects = wrapper.get("connects")
    for pair in connects if isinstance(connects, list) else []:
        if not isinstance(pair, list) or len(pair) != 2:
            continue
        how, signal = str(pair[0]), ctx.index.canonical(str(pair[1]))
        if how != "connect" and ctx.index.canonical(how) not in RECEIVER:
            continue
        if signal in SIGNALS:
            return signal.rsplit(".", 1)[-1]
    return None


def receivers(ctx: FileContext) -> dict[str, str]:
    """Module-level function name -> the model signal it receives (memoised per file):
    ``@receiver(signal)``, ``signal.connect(handler)`` in the module, or a project decorator
    that does either with the function it decorates."""
    memo = ctx.memo.get("tq204_receivers")
    if isinstance(memo, dict):
        return memo
    found: dict[str, str] = {}
    for stmt in ctx.tree.body:
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for dec in stmt.decorator_list:
                if (
                    isinstance(dec, ast.Call)
                    and dec.args
                    and ctx.index.canonical(ctx.resolver.qualname(dec.func)) in RECEIVER
                ):
                    names = _signal_names(dec.args[0], ctx)
                    if names:
                        found[stmt.name] = names[0]
                        break
                signal = _decorator_signal(dec, ctx)
                if signal is not None:
                    found[stmt.name] = signal
                    break
    for name, signal in connected_elsewhere(ctx.index).get(ctx.module, {}).items():
        found.setdefault(name, signal)
    connects = any(".connect(" in line for line in ctx.lines)
    for node in walk(ctx.tree) if connects else ():
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


def connected_elsewhere(index: ProjectIndex) -> dict[str, dict[str, str]]:
    """Module -> {function name: model signal} for receivers that some project module
    connects with ``<signal>.connect(<module>.<function>, ...)`` (``AppConfig.ready()``)."""
    memo = index.__dict__.get("_tq204_connected")
    if isinstance(memo, dict):
        return memo
    out: dict[str, dict[str, str]] = {}
    for facts in index.modules.values():
        data = facts.extras.get("signal_connections")
        if not isinstance(data, dict):
            continue
        for entry in data.get("connects", []):
            if not isinstance(entry, list) or len(entry) < 2:
                continue
            signal = index.canonical(str(entry[1]))
            if signal not in SIGNALS:
                continue
            target = index.resolve(str(entry[0]))
            if target.module is None or target.name is None or target.rest:
                continue
            if index.function(target) is None:
                continue
            out.setdefault(target.module, {}).setdefault(target.name, signal.rsplit(".", 1)[-1])
    index.__dict__["_tq204_connected"] = out
    return out


def connecting_decorators(index: ProjectIndex) -> tuple[str, ...]:
    """Names of project functions that connect the function they decorate to a signal."""
    names: set[str] = set()
    for facts in index.modules.values():
        data = facts.extras.get("wrappers")
        if isinstance(data, dict):
            names.update(
                name for name, w in data.items() if isinstance(w, dict) and w.get("connects")
            )
    return tuple(sorted(names))


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
    `AppConfig.ready()`), and functions decorated by a project decorator that does either
    with the function it decorates. A call in a receiver to a project function that
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
            sorted({name for names in connected_elsewhere(index).values() for name in names})
        )

    def extra_triggers(self, settings: Settings) -> tuple[str, ...]:
        return (*self.decorators, *self.connected)

    def wants(self, source: str, settings: Settings) -> bool:
        return enqueue_triggered(source) or super().wants(source, settings)

    def check(self, node: ast.Call, ctx: FileContext) -> Iterator[Finding]:
        ancestors = ctx.ancestors
        if len(ancestors) < 2 or not isinstance(
            ancestors[1], (ast.FunctionDef, ast.AsyncFunctionDef)
        ):
            return
        handler = ancestors[1]
        signal = receivers(ctx).get(handler.name)
        if signal is None:
            return
        enqueue = EnqueueRecognizer.of(ctx).enqueue(node)
        if enqueue is not None and enqueue.deferred:
            return
        if enqueue is None and not isinstance(node.func, (ast.Name, ast.Attribute)):
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
            return  # TQ201 / TQ203 report it
        if enqueue is not None:
            yield self.finding(
                ctx, node, target=enqueue.target, through="", handler=handler.name, signal=signal
            )
            return
        if is_on_commit_call(node, ctx, ctx.scope()):
            return
        summaries = Summaries.of(ctx.index, ctx.settings)
        callee = summaries.resolve_call(node, ctx, ctx.scope())
        steps = summaries.enqueue_path(callee) if callee is not None else None
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
            handler=handler.name,
            signal=signal,
        )
