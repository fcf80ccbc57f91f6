"""TQ201: an enqueue lexically inside a database transaction."""

from __future__ import annotations

import ast
from collections.abc import Iterator

from tasklint.analysis.enqueue import (
    ENQUEUE_TRIGGERS,
    EnqueueRecognizer,
    enqueue_triggered,
    mentions_wrapped_call,
    wrapper_task_names,
)
from tasklint.analysis.transactions import enclosing_transaction
from tasklint.config import Settings
from tasklint.findings import Finding
from tasklint.project.context import FileContext
from tasklint.project.index import ProjectIndex
from tasklint.rules._base import Rule, register


def describe_scope(node: ast.AST) -> str:
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return f"`{node.name}` (decorated to run in a transaction, line {node.lineno})"
    return f"the transaction opened on line {getattr(node, 'lineno', '?')}"


@register
class EnqueueInTransaction(Rule):
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

    wrapped: tuple[str, ...] = ()  # tasks that calling enqueues (enqueue wrappers)
    index: ProjectIndex | None = None

    def prepare(self, index: ProjectIndex, settings: Settings) -> None:
        self.wrapped = tuple(sorted(wrapper_task_names(index)))
        self.index = index

    def wants(self, source: str, settings: Settings) -> bool:
        if enqueue_triggered(source) or any(
            name.rsplit(".", 1)[-1] in source for name in self.extra_triggers(settings)
        ):
            return True
        return (
            bool(self.wrapped)
            and self.index is not None
            and mentions_wrapped_call(self.index, source)
        )

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
        yield self.finding(ctx, node, target=enqueue.target, scope=describe_scope(scope), fix=fix)
