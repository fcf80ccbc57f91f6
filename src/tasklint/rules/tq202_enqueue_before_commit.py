"""TQ202: an enqueue that comes before a later commit in the same function."""

from __future__ import annotations

import ast
from collections.abc import Iterator

from tasklint.analysis.enqueue import ENQUEUE_TRIGGERS, EnqueueRecognizer
from tasklint.analysis.transactions import (
    enclosing_transaction,
    find_commit,
    is_after_commit_listener,
    is_on_commit_call,
)
from tasklint.config import Settings
from tasklint.findings import Finding
from tasklint.project.context import FileContext
from tasklint.rules._base import Rule, register

TERMINATORS = (ast.Return, ast.Raise, ast.Continue, ast.Break)
FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)


@register
class EnqueueBeforeCommit(Rule):
    """
    ## What it does
    Flags a task enqueue followed, later in the same function, by `session.commit()`
    (SQLAlchemy, Flask-SQLAlchemy, SQLModel, DB-API connections) or
    `transaction.commit()` (Django).

    ## Why is this bad?
    The job is on the queue while the rows it needs are still uncommitted. A worker that
    starts at once reads stale or missing data; if the commit fails, the job runs for
    changes that were rolled back.

    ## Example
    ```python
    import sqlalchemy
    from celery import shared_task


    @shared_task
    def index_document(doc_id): ...


    def create_document(session, doc):
        session.add(doc)
        session.flush()
        index_document.delay(doc.id)
        session.commit()
    ```

    Use instead:
    ```python
    import sqlalchemy
    from celery import shared_task


    @shared_task
    def index_document(doc_id): ...


    def create_document(session, doc):
        session.add(doc)
        session.commit()
        index_document.delay(doc.id)
    ```

    ## Options
    - `celery.enqueue-functions`: project helpers that enqueue.

    ## Known limitations
    Only commits later in the same function body are seen; a commit made by the caller
    is not. A `return` or `raise` between the enqueue and the commit ends the search.
    Enqueues inside a transaction block are TQ201's.

    ## References
    - SQLAlchemy: https://docs.sqlalchemy.org/en/20/orm/session_basics.html#committing
    """

    code = "TQ202"
    name = "enqueue-before-commit"
    message = (
        "`{target}` is enqueued before the commit on line {commit_line}: the worker can run "
        "before the rows are committed; enqueue after the commit"
    )
    node_types = (ast.Call,)
    triggers = ENQUEUE_TRIGGERS

    def extra_triggers(self, settings: Settings) -> tuple[str, ...]:
        return settings.enqueue_functions

    def check(self, node: ast.Call, ctx: FileContext) -> Iterator[Finding]:
        enqueue = EnqueueRecognizer.of(ctx).enqueue(node)
        if enqueue is None or enqueue.deferred:
            return
        ancestors = ctx.ancestors
        # the statement holding the call, and its enclosing function
        func_index = None
        for i in range(len(ancestors) - 1, -1, -1):
            anc = ancestors[i]
            if isinstance(anc, ast.Lambda) or isinstance(anc, ast.ClassDef):
                return
            if isinstance(anc, FUNCTIONS):
                func_index = i
                break
        if func_index is None:
            return
        function = ancestors[func_index]
        assert isinstance(function, FUNCTIONS)
        scope = ctx.resolver.scope_at(ancestors[: func_index + 1])
        if is_after_commit_listener(function, ctx, ctx.resolver.scope_at(ancestors[:func_index])):
            return
        if enclosing_transaction(ctx, node) is not None:
            return
        for i in range(func_index + 1, len(ancestors)):
            anc = ancestors[i]
            if isinstance(anc, ast.Call) and is_on_commit_call(anc, ctx, scope):
                return
        commit = self._later_commit(ancestors[func_index:], node, ctx, scope)
        if commit is not None:
            yield self.finding(ctx, node, target=enqueue.target, commit_line=commit.lineno)

    def _later_commit(
        self, chain: list[ast.AST], node: ast.AST, ctx: FileContext, scope: object
    ) -> ast.Call | None:
        """Walk up from the enqueue's statement; search later siblings at each level."""
        path = [*chain, node]
        for depth in range(len(path) - 1, 0, -1):
            child, parent = path[depth], path[depth - 1]
            if isinstance(child, ast.stmt):
                for field in ("body", "orelse", "finalbody"):
                    block = getattr(parent, field, None)
                    if not isinstance(block, list) or not any(child is s for s in block):
                        continue
                    position = next(i for i, s in enumerate(block) if s is child)
                    for stmt in block[position + 1 :]:
                        found = find_commit(stmt, ctx, scope)  # type: ignore[arg-type]
                        if found is not None:
                            return found
                        if isinstance(stmt, TERMINATORS):
                            return None
                    break
            if isinstance(parent, FUNCTIONS):
                return None
        return None
