"""TQ201: an enqueue lexically inside a database transaction."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import replace

from tasklint.analysis.edits import char_col
from tasklint.analysis.enqueue import (
    ENQUEUE_TRIGGERS,
    EnqueueRecognizer,
)
from tasklint.analysis.transactions import enclosing_transaction
from tasklint.config import Settings
from tasklint.findings import Edit, Finding, Fix
from tasklint.project.context import FileContext
from tasklint.rules._base import register
from tasklint.rules._enqueue_site import EnqueueSiteRule

ON_COMMIT_FIXES = {"delay": "delay_on_commit", "apply_async": "apply_async_on_commit"}


def describe_scope(node: ast.AST) -> str:
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return f"`{node.name}` (decorated to run in a transaction, line {node.lineno})"
    return f"the transaction opened on line {getattr(node, 'lineno', '?')}"


@register
class EnqueueInTransaction(EnqueueSiteRule):
    """
    ## What it does
    Flags a task enqueue (`.delay()`, `.apply_async()`, `send_task`, a canvas, arq
    `enqueue_job`, RQ `enqueue`, Dramatiq `.send()`, or a call of a task wrapped by a
    project decorator whose wrapper calls `func.delay(...)`) written inside
    `with transaction.atomic():`, a function decorated with `@transaction.atomic`, a
    project context manager that wraps `atomic`, or a SQLAlchemy `with session.begin():`.

    ## Why is this bad?
    The message reaches the broker before the transaction commits. A fast worker picks it
    up and reads the database before the commit: the row it was told about does not exist
    yet (`DoesNotExist`), or it sees the old values. If the transaction rolls back, the
    task runs for a row that never existed.

    ## Example
    ```python
    from celery import shared_task
    from django.db import transaction


    @shared_task
    def send_receipt(order_id): ...


    def place_order(order):
        with transaction.atomic():
            order.save()
            send_receipt.delay(order.id)
    ```

    Use instead:
    ```python
    from celery import shared_task
    from django.db import transaction


    @shared_task
    def send_receipt(order_id): ...


    def place_order(order):
        with transaction.atomic():
            order.save()
            transaction.on_commit(lambda: send_receipt.delay(order.id))
    ```

    With Celery 5.4+ `send_receipt.delay_on_commit(order.id)` does the same. With
    SQLAlchemy, enqueue after the `with session.begin():` block has closed.

    ## Fix safety
    Fix: unsafe (`--fix --unsafe-fixes`). `task.delay(...)` becomes `task.delay_on_commit(...)`
    and `task.apply_async(...)` becomes `task.apply_async_on_commit(...)` — Celery 5.4+ with
    Django (the task class must be Celery's `DjangoTask`, the default when Celery is set up
    for Django). Offered only for a task called as a statement (these methods return None,
    not an `AsyncResult`) inside a Django transaction, never for signatures or SQLAlchemy.

    ## Options
    - `transactions.atomic-contexts`: extra context managers or decorators that open a
      transaction (dotted paths).
    - `celery.enqueue-functions`: project helpers that enqueue.
    - `celery.task-decorators`: decorators that create Celery tasks.

    ## Known limitations
    Only enqueues written inside the transaction's own code are reported here; an enqueue
    reached through a call to another function is TQ203's job. django-rq queues wait for
    the commit by default (django-rq 3.0+) and are not reported. A transaction on a read
    replica (`atomic(using=...)` whose database name or setting contains `replica`,
    `readonly`, `reader`, `secondary`, `follower` or `slave`) holds no writes for the worker
    to race, so enqueues inside it are not reported (nor by TQ203); `on_commit` inside it is
    still checked by TQ211.

    ## References
    - Django: https://docs.djangoproject.com/en/stable/topics/db/transactions/#performing-actions-after-commit
    - Celery: https://docs.celeryq.dev/en/stable/userguide/tasks.html#database-transactions
    """

    code = "TQ201"
    name = "enqueue-in-transaction"
    message = "`{target}` is enqueued inside {scope}: the worker can run before the commit; {fix}"
    node_types = (ast.Call,)
    triggers = ENQUEUE_TRIGGERS

    def extra_triggers(self, settings: Settings) -> tuple[str, ...]:
        return settings.enqueue_functions

    def check(self, node: ast.Call, ctx: FileContext) -> Iterator[Finding]:
        enqueue = EnqueueRecognizer.of(ctx).enqueue(node)
        if enqueue is None or enqueue.deferred:
            return
        scope = enclosing_transaction(ctx, node)
        if scope is None:
            return
        if enqueue.library == "celery":
            fix = "wrap it in `transaction.on_commit(lambda: ...)` or use `delay_on_commit`"
        else:
            fix = "wrap it in `transaction.on_commit(...)` or enqueue after the commit"
        finding = self.finding(
            ctx, node, target=enqueue.target, scope=describe_scope(scope), fix=fix
        )
        if enqueue.library == "celery":
            finding = self.with_on_commit_fix(finding, node, ctx, scope)
        yield finding

    @staticmethod
    def with_on_commit_fix(
        finding: Finding, node: ast.Call, ctx: FileContext, scope: ast.AST
    ) -> Finding:
        """Unsafe fix: `task.delay(...)` -> `task.delay_on_commit(...)` (and
        `apply_async` -> `apply_async_on_commit`), Celery 5.4+ with Django. Only for a
        task itself (a signature has no such method), in a Django transaction (the
        methods wait for Django's commit, not SQLAlchemy's), as a statement (they return
        None, not an AsyncResult)."""
        func = node.func
        if not isinstance(func, ast.Attribute) or func.attr not in ON_COMMIT_FIXES:
            return finding
        parent = ctx.ancestors[-1] if ctx.ancestors else None
        if not isinstance(parent, ast.Expr) or parent.value is not node:
            return finding
        if isinstance(scope, (ast.With, ast.AsyncWith)) and any(
            isinstance(item.context_expr, ast.Call)
            and isinstance(item.context_expr.func, ast.Attribute)
            and item.context_expr.func.attr == "begin"
            for item in scope.items
        ):
            return finding  # SQLAlchemy `with session.begin():`
        info = EnqueueRecognizer.of(ctx).task_info(func.value, ctx.scope())
        if info is None or info.library != "celery" or func.end_col_offset is None:
            return finding
        line = func.end_lineno or node.lineno
        text = ctx.lines[line - 1] if 0 < line <= len(ctx.lines) else ""
        end = char_col(text, func.end_col_offset)
        start = end - len(func.attr)
        if text[start:end] != func.attr:
            return finding
        new = ON_COMMIT_FIXES[func.attr]
        edit = Edit(line, start, line, end, new)
        description = f"Use `{new}` (Celery 5.4+, Django)"
        return replace(finding, fix=Fix((edit,), safe=False, description=description))
