"""TQ208: enqueue arguments that cannot bind to the task's signature."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from typing import Any

from tasklint.analysis.enqueue import (
    ENQUEUE_TRIGGERS,
    EnqueueRecognizer,
    apply_async_arguments,
    decorator_wrapper,
)
from tasklint.findings import Finding
from tasklint.project.context import FileContext
from tasklint.project.index import TaskInfo
from tasklint.rules._base import register
from tasklint.rules._enqueue_site import EnqueueSiteRule


def bind_error(params: dict[str, Any], n_args: int, keywords: list[str], bound: bool) -> str | None:
    """Why ``n_args`` positional arguments and ``keywords`` cannot call the signature."""
    positional = list(params.get("positional", []))
    posonly = int(params.get("posonly", 0))
    defaults = int(params.get("defaults", 0))
    if bound:
        if not positional:
            return None  # bind=True with *args: nothing to check
        positional = positional[1:]
        posonly = max(posonly - 1, 0)
    vararg = bool(params.get("vararg"))
    kwonly = list(params.get("kwonly", []))
    kwonly_required = set(params.get("kwonly_required", []))
    kwarg = bool(params.get("kwarg"))
    required = positional[: len(positional) - defaults] if defaults else positional
    if n_args > len(positional) and not vararg:
        return f"takes {len(positional)} positional argument{'s' if len(positional) != 1 else ''} but {n_args} were given"
    assigned = set(positional[:n_args])
    for name in keywords:
        if name in assigned:
            return f"got multiple values for argument `{name}`"
        if name in positional[:posonly]:
            if not kwarg:
                return f"`{name}` is positional-only"
            continue
        if name not in positional and name not in kwonly and not kwarg:
            return f"got an unexpected keyword argument `{name}`"
        assigned.add(name)
    missing = [p for p in required if p not in assigned]
    if missing:
        return f"is missing required argument{'s' if len(missing) > 1 else ''} {', '.join(f'`{m}`' for m in missing)}"
    missing_kw = sorted(kwonly_required - assigned)
    if missing_kw:
        return f"is missing keyword-only argument{'s' if len(missing_kw) > 1 else ''} {', '.join(f'`{m}`' for m in missing_kw)}"
    return None


def _literal_args(expr: ast.expr | None) -> int | None:
    if expr is None:
        return 0
    if isinstance(expr, (ast.Tuple, ast.List)) and not any(
        isinstance(e, ast.Starred) for e in expr.elts
    ):
        return len(expr.elts)
    if isinstance(expr, ast.Constant) and expr.value is None:
        return 0
    return None


def _literal_kwargs(expr: ast.expr | None) -> list[str] | None:
    if expr is None:
        return []
    if isinstance(expr, ast.Dict):
        names = []
        for key in expr.keys:
            if not (isinstance(key, ast.Constant) and isinstance(key.value, str)):
                return None
            names.append(key.value)
        return names
    if (
        isinstance(expr, ast.Call)
        and isinstance(expr.func, ast.Name)
        and expr.func.id == "dict"
        and not expr.args
    ):
        if any(kw.arg is None for kw in expr.keywords):
            return None
        return [kw.arg for kw in expr.keywords if kw.arg]
    if isinstance(expr, ast.Constant) and expr.value is None:
        return []
    return None


def _plain(call: ast.Call) -> tuple[int, list[str]] | None:
    if any(isinstance(a, ast.Starred) for a in call.args) or any(
        kw.arg is None for kw in call.keywords
    ):
        return None
    return len(call.args), [kw.arg for kw in call.keywords if kw.arg]


def _apply_async(call: ast.Call) -> tuple[int, list[str]] | None:
    args_expr, kwargs_expr = apply_async_arguments(call)
    if any(kw.arg is None for kw in call.keywords):
        return None
    n = _literal_args(args_expr)
    names = _literal_kwargs(kwargs_expr)
    if n is None or names is None:
        return None
    return n, names


@register
class TaskArgumentMismatch(EnqueueSiteRule):
    """
    ## What it does
    Flags an enqueue of a project task whose arguments cannot bind to the task function's
    signature: too many or too few positional arguments, an unknown or duplicated keyword.
    It understands `bind=True`, `.s()`/`.si()` partial arguments,
    `apply_async(args=(...), kwargs={...})` (or the positional tuple and dict), defaults,
    `*args` and `**kwargs`.

    ## Why is this bad?
    The mistake only surfaces when a worker runs the message — or, with
    `typing=False`, when the function is called — as a `TypeError` in a background log,
    after the request that enqueued it has long succeeded.

    ## Example
    ```python
    from celery import shared_task


    @shared_task(time_limit=60)
    def send_invoice(order_id, email):
        ...


    def checkout(order):
        send_invoice.delay(order.id)
    ```

    Use instead:
    ```python
    from celery import shared_task


    @shared_task(time_limit=60)
    def send_invoice(order_id, email):
        ...


    def checkout(order):
        send_invoice.delay(order.id, order.email)
    ```

    ## Options
    None.

    ## Known limitations
    Arguments unpacked with `*`/`**`, non-literal `args=`/`kwargs=`, signatures used in
    chains (which prepend the previous result), and tasks whose function carries another
    decorator (which may change its signature) are not checked — except project enqueue
    wrappers above the task decorator, whose call is checked as the enqueue it is.

    ## References
    - Celery: https://docs.celeryq.dev/en/stable/userguide/calling.html
    """

    code = "TQ208"
    name = "task-argument-mismatch"
    message = "Task `{task}` {problem}: the worker fails with TypeError when it runs the message"
    node_types = (ast.Call,)
    triggers = ENQUEUE_TRIGGERS

    def check(self, node: ast.Call, ctx: FileContext) -> Iterator[Finding]:
        func = node.func
        if not isinstance(func, ast.Attribute) or func.attr not in ("delay", "apply_async"):
            yield from self._wrapper_call(node, ctx)
            return
        if self._in_chain(ctx):
            return
        recognizer = EnqueueRecognizer.of(ctx)
        scope = ctx.scope()
        recv = func.value
        partial: tuple[int, list[str]] = (0, [])  # args and kwargs given to .s()/.si()
        immutable = False
        if (
            isinstance(recv, ast.Call)
            and isinstance(recv.func, ast.Attribute)
            and recv.func.attr in ("s", "si", "signature")
        ):
            if recv.func.attr == "signature":
                return
            got = _plain(recv)
            if got is None:
                return
            partial = got
            immutable = recv.func.attr == "si"
            recv = recv.func.value
        info = recognizer.task_info(recv, scope)
        if info is None or info.library != "celery" or not info.bind_known:
            return  # ``bind`` from a ``**options`` splat: the signature's first slot unknown
        fact = self._function(ctx, info)
        if fact is None or not fact.params or not self._plain_signature(fact, ctx):
            return  # another decorator under the task decorator may change the signature
        now = _plain(node) if func.attr == "delay" else _apply_async(node)
        if now is None:
            return
        n_args = partial[0] + (0 if immutable else now[0])
        keywords = [*partial[1], *([] if immutable else now[1])]
        duplicates = {k for k in keywords if keywords.count(k) > 1}
        if duplicates:
            problem: str | None = f"got multiple values for argument `{sorted(duplicates)[0]}`"
        else:
            problem = bind_error(fact.params, n_args, keywords, info.bind)
        if problem is not None:
            yield self.finding(ctx, node, task=info.name, problem=problem)

    def _wrapper_call(self, node: ast.Call, ctx: FileContext) -> Iterator[Finding]:
        """``send_email(...)`` of a task wrapped by an enqueue wrapper: the wrapper forwards
        ``*args, **kwargs`` to ``.delay``, so the call's arguments are the message's."""
        if not self.wrapped or not isinstance(node.func, (ast.Name, ast.Attribute)):
            return
        if self._in_chain(ctx):
            return
        recognizer = EnqueueRecognizer.of(ctx)
        enqueue = recognizer.enqueue(node)
        if enqueue is None or enqueue.method != "__call__":
            return
        info = recognizer.task_info(node.func, ctx.scope())
        if info is None or info.library != "celery" or not info.bind_known:
            return
        fact = self._function(ctx, info)
        if fact is None or not fact.params or not self._plain_signature(fact, ctx):
            return
        now = _plain(node)
        if now is None:
            return
        problem = bind_error(fact.params, now[0], now[1], info.bind)
        if problem is not None:
            yield self.finding(ctx, node, task=info.name, problem=problem)

    def _plain_signature(self, fact: Any, ctx: FileContext) -> bool:
        """The task decorator is the innermost one, and any decorator above it is an
        enqueue wrapper that forwards ``*args, **kwargs`` unchanged."""
        decorators = fact.decorators
        for dec in decorators[:-1]:
            wrapper = decorator_wrapper(ctx.index, dec.qualname)
            if wrapper is None or not (
                wrapper.get("forwards_args") and wrapper.get("forwards_kwargs")
            ):
                return False
        return True

    def _function(self, ctx: FileContext, info: TaskInfo) -> Any:
        facts = ctx.index.modules.get(info.module)
        return facts.functions.get(info.name) if facts is not None else None

    def _in_chain(self, ctx: FileContext) -> bool:
        return isinstance(ctx.parent, ast.BinOp)
