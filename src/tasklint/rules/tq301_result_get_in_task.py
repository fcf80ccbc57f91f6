"""TQ301: waiting for another task's result inside a task."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator

from tasklint.analysis.enqueue import EnqueueRecognizer, enqueue_triggered
from tasklint.analysis.gates import quick_search
from tasklint.config import Settings
from tasklint.findings import Finding
from tasklint.project.context import FileContext
from tasklint.rules._base import Rule, register
from tasklint.syntax.names import Scope

WAIT_METHODS = frozenset({"get", "join", "wait", "join_native", "collect"})
ASYNC_RESULT = frozenset(
    {
        "celery.result.AsyncResult",
        "celery.result.GroupResult",
        "celery.result.ResultSet",
        "celery.AsyncResult",
    }
)
ALLOW_JOIN = frozenset({"celery.result.allow_join_result"})
# Where a result to wait on can come from: an enqueue, or a result built from an id.
RESULT_SOURCES = re.compile(r"AsyncResult|GroupResult|ResultSet")


def enclosing_task(ctx: FileContext) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
    """The module-level Celery task function whose body holds the current node."""
    for i, anc in enumerate(ctx.ancestors):
        if isinstance(anc, (ast.FunctionDef, ast.AsyncFunctionDef)):
            if i != 1:  # module-level functions only: ancestors[0] is the Module
                return None
            qn = f"{ctx.module}.{anc.name}" if ctx.module else anc.name
            info = ctx.index.task(qn)
            if info is not None and info.library == "celery":
                return anc
            return None
        if isinstance(anc, ast.ClassDef):
            return None
    return None


@register
class ResultGetInTask(Rule):
    """
    ## What it does
    Flags `.get()`, `.join()`, `.wait()` or `.collect()` on a task result (the value of
    `.delay()`/`.apply_async()`, `AsyncResult(...)`, `app.AsyncResult(...)`, a called
    `group`) inside the body of a Celery task.

    ## Why is this bad?
    The worker process blocks until another task finishes — a task that may be queued
    behind this very one. With a few such tasks every worker process waits and nothing
    runs: a deadlock. Celery raises `RuntimeError` for this unless it is disabled, which
    is why code reaches for `allow_join_result()`.

    ## Example
    ```python
    from celery import shared_task


    @shared_task(time_limit=60)
    def fetch(url):
        ...


    @shared_task(time_limit=60)
    def crawl(url):
        page = fetch.delay(url).get()
        return page
    ```

    Use instead:
    ```python
    from celery import chain, shared_task


    @shared_task(time_limit=60)
    def fetch(url):
        ...


    @shared_task(time_limit=60)
    def parse(page):
        ...


    @shared_task(time_limit=60)
    def crawl(url):
        chain(fetch.s(url), parse.s()).delay()
    ```

    ## Options
    None.

    ## Known limitations
    Results passed in as arguments or stored on objects are not followed.

    ## References
    - Celery: https://docs.celeryq.dev/en/stable/userguide/tasks.html#avoid-launching-synchronous-subtasks
    """

    code = "TQ301"
    name = "result-get-in-task"
    message = (
        "`.{method}()` waits for another task inside task `{task}`: workers can deadlock "
        "waiting on each other; chain the work with a callback (`chain`/`chord`) instead"
    )
    node_types = (ast.Call,)
    triggers = re.compile(r"\.(get|join|wait|join_native|collect)\s*\(")

    def wants(self, source: str, settings: Settings) -> bool:
        # ``.get(`` is in most files (dicts): a wait needs a result in the same file too
        if self.triggers is None or not quick_search(self.triggers)(source):
            return False
        return (
            enqueue_triggered(source)
            or quick_search(RESULT_SOURCES)(source)
            or any(name.rsplit(".", 1)[-1] in source for name in settings.enqueue_functions)
        )

    def check(self, node: ast.Call, ctx: FileContext) -> Iterator[Finding]:
        func = node.func
        if not isinstance(func, ast.Attribute) or func.attr not in WAIT_METHODS:
            return
        task = enclosing_task(ctx)
        if task is None:
            return
        scope = ctx.scope()
        if not self._is_result(func.value, ctx, scope, 0):
            return
        if self._allowed(ctx, scope):
            return
        yield self.finding(ctx, node, method=func.attr, task=task.name)

    def _is_result(self, expr: ast.AST, ctx: FileContext, scope: Scope, depth: int) -> bool:
        if depth > 5:
            return False
        if isinstance(expr, ast.Name) and ctx.resolver.is_local(expr.id, scope):
            local = ctx.resolver.local_value(expr.id, scope)
            return local is not None and self._is_result(local[0], ctx, local[1], depth + 1)
        if isinstance(expr, ast.Await):
            return False
        if not isinstance(expr, ast.Call):
            return False
        if EnqueueRecognizer.of(ctx).enqueue(expr, scope) is not None:
            return True
        func = expr.func
        qn = ctx.index.canonical(ctx.resolver.qualname(func, scope))
        if qn in ASYNC_RESULT:
            return True
        if isinstance(func, ast.Attribute) and func.attr in ("AsyncResult", "GroupResult"):
            return ctx.index.is_celery_app(ctx.resolver.qualname(func.value, scope))
        return False

    def _allowed(self, ctx: FileContext, scope: Scope) -> bool:
        for anc in ctx.ancestors:
            if isinstance(anc, (ast.With, ast.AsyncWith)):
                for item in anc.items:
                    expr = item.context_expr
                    target = expr.func if isinstance(expr, ast.Call) else expr
                    if ctx.index.canonical(ctx.resolver.qualname(target, scope)) in ALLOW_JOIN:
                        return True
        return False
