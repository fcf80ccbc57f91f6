"""TQ202: an enqueue that comes before a later commit in the same function."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

from tasklint.analysis.enqueue import EnqueueRecognizer
from tasklint.analysis.summaries import Summaries
from tasklint.analysis.transactions import (
    enclosing_transaction,
    find_commit,
    is_after_commit_listener,
    is_commit_call,
    is_on_commit_call,
)
from tasklint.findings import Finding
from tasklint.project.context import FileContext
from tasklint.rules._base import Rule, register
from tasklint.syntax.names import Scope

TERMINATORS = (ast.Return, ast.Raise, ast.Continue, ast.Break)
FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)
LOOPS = (ast.For, ast.AsyncFor, ast.While)


@register
class EnqueueBeforeCommit(Rule):
    """
    ## What it does
    Flags a task enqueue — direct, or a call to a project function that enqueues —
    followed, later in the same function, by `session.commit()` (SQLAlchemy,
    Flask-SQLAlchemy, SQLModel, DB-API connections) or `transaction.commit()` (Django).

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
    is not. A commit counts as later when it follows the enqueue in the same body, sits in
    the `finally` of a `try` around the enqueue, or follows the enclosing `try`/`with`/`if`/
    loop statement; a `return` or `raise` on the way ends the search (a `finally` still
    runs). A call to a project function that enqueues (directly or through further project
    calls, as in TQ203) counts as an enqueue, reported on the call's line. Enqueues inside
    a transaction block are TQ201's.

    ## References
    - SQLAlchemy: https://docs.sqlalchemy.org/en/20/orm/session_basics.html#committing
    """

    code = "TQ202"
    name = "enqueue-before-commit"
    message = (
        "`{target}` is enqueued{through} before the commit on line {commit_line}: the worker can run "
        "before the rows are committed; enqueue after the commit"
    )
    node_types = (ast.Call,)
    # no commit in the file, no finding (the enqueue may be direct or through a helper)
    triggers = re.compile(r"\.commit\s*\(")

    def check(self, node: ast.Call, ctx: FileContext) -> Iterator[Finding]:
        if not isinstance(node.func, (ast.Name, ast.Attribute)) and not isinstance(
            node.func, (ast.Call, ast.BinOp)
        ):
            return
        enqueue = EnqueueRecognizer.of(ctx).enqueue(node)
        if enqueue is not None and enqueue.deferred:
            return
        if enqueue is None and not isinstance(node.func, (ast.Name, ast.Attribute)):
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
        commit = later_commit(ancestors[func_index:], node, ctx, scope)
        if commit is None:
            return
        if enqueue is not None:
            yield self.finding(
                ctx, node, target=enqueue.target, through="", commit_line=commit.lineno
            )
            return
        if is_commit_call(node, ctx, scope):
            return
        summaries = Summaries.of(ctx.index, ctx.settings)
        callee = summaries.resolve_call(node, ctx, ctx.scope())
        if callee is None:
            return
        steps = summaries.enqueue_path_at(node, callee)
        if steps is None:
            return
        name = summaries.label(callee)
        last = steps[-1]
        yield self.finding(
            ctx,
            node,
            target=last.what,
            through=f" by `{name}()` ({_where(last.path, ctx.index.root)}:{last.line})",
            commit_line=commit.lineno,
        )


def _where(path: str, root: str) -> str:
    try:
        return Path(path).resolve().relative_to(Path(root)).as_posix()
    except ValueError:
        return Path(path).name


def _scan(
    block: list[ast.stmt], ctx: FileContext, scope: Scope
) -> tuple[ast.Call | None, type[ast.stmt] | None]:
    """The first commit in ``block``, or the terminator that ends it first."""
    # every enqueue of a function scans the statements after it: each statement's answer is
    # worked out once per file (it depends on the statement and its scope only)
    memo: dict[int, tuple[ast.stmt, Scope, ast.Call | None]] = ctx.memo.setdefault(
        "tq202.commits", {}
    )
    for stmt in block:
        known = memo.get(id(stmt))
        if known is None or known[0] is not stmt or known[1] is not scope:
            known = (stmt, scope, find_commit(stmt, ctx, scope))
            memo[id(stmt)] = known
        found = known[2]
        if found is not None:
            return found, None
        if isinstance(stmt, TERMINATORS):
            return None, type(stmt)
    return None, None


def later_commit(
    chain: list[ast.AST], node: ast.AST, ctx: FileContext, scope: Scope
) -> ast.Call | None:
    """The first commit that runs after ``node`` in its function (RULES.md "Statement
    order"): a later statement of the same body; the ``finally`` of a ``try`` whose body,
    ``else`` or handler holds it; or a statement after the enclosing ``try``/``with``/``if``/
    loop. A ``return``/``raise`` on the way ends the search (``finally`` blocks still run);
    ``break``/``continue`` end it until the enclosing loop is left."""
    path = [*chain, node]
    leaving: type[ast.stmt] | None = None  # a terminator seen: which one
    for depth in range(len(path) - 1, 0, -1):
        child, parent = path[depth], path[depth - 1]
        if (
            leaving in (ast.Break, ast.Continue)
            and isinstance(child, LOOPS)
            and any(path[depth + 1] is s for s in child.body)
        ):
            leaving = None  # the loop is left (or goes round): what follows it runs
        if isinstance(child, ast.stmt) and leaving is None:
            for name in ("body", "orelse", "finalbody"):
                block = getattr(parent, name, None)
                if not isinstance(block, list) or not any(child is s for s in block):
                    continue
                position = next(i for i, s in enumerate(block) if s is child)
                found, leaving = _scan(block[position + 1 :], ctx, scope)
                if found is not None:
                    return found
                break
        if isinstance(parent, ast.Try) or type(parent).__name__ == "TryStar":
            finalbody = getattr(parent, "finalbody", [])
            if not any(child is s for s in finalbody):
                found, ended = _scan(finalbody, ctx, scope)
                if found is not None:
                    return found
                if ended is not None:
                    return None
        if isinstance(parent, FUNCTIONS):
            return None
    return None
