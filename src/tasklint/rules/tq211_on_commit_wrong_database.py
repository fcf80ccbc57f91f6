"""TQ211: ``on_commit`` registered on a database with no open transaction."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator

from tasklint.analysis.transactions import is_transaction_context
from tasklint.findings import Finding
from tasklint.project.context import FileContext
from tasklint.project.index import DJANGO_ATOMIC
from tasklint.rules._base import Rule, register
from tasklint.syntax.names import Scope

ON_COMMIT = frozenset({"django.db.transaction.on_commit"})
UNKNOWN = object()


def _using(call: ast.Call, ctx: FileContext, scope: Scope, positional: bool) -> object:
    """The database alias a call names: a string, ``"default"`` when absent, or UNKNOWN."""
    expr = next((kw.value for kw in call.keywords if kw.arg == "using"), None)
    if expr is None and positional and call.args and not isinstance(call.args[0], ast.Lambda):
        expr = call.args[0]
    if expr is None:
        return "default"
    value = ctx.value(expr, scope)
    if value.kind == "const" and (isinstance(value.value, str) or value.value is None):
        return value.value or "default"
    return UNKNOWN


@register
class OnCommitWrongDatabase(Rule):
    """
    ## What it does
    Flags `transaction.on_commit(...)` inside `atomic(using="X")` when the `on_commit`
    call names no database (so it uses `"default"`) or another one.

    ## Why is this bad?
    Django attaches the callback to the transaction of the connection `on_commit` is
    given. When that connection has no open transaction, Django runs the callback
    **immediately** — so the task meant to wait for the commit is enqueued before it,
    exactly what `on_commit` was written to prevent, and no test on a single database
    shows it.

    ## Example
    ```python
    from django.db import transaction


    def archive(order, notify):
        with transaction.atomic(using="orders"):
            order.save(using="orders")
            transaction.on_commit(lambda: notify.delay(order.pk))
    ```

    Use instead:
    ```python
    from django.db import transaction


    def archive(order, notify):
        with transaction.atomic(using="orders"):
            order.save(using="orders")
            transaction.on_commit(lambda: notify.delay(order.pk), using="orders")
    ```

    ## Options
    None.

    ## Known limitations
    Database aliases that are not constants are not compared.

    ## References
    - Django: https://docs.djangoproject.com/en/stable/topics/db/transactions/#django.db.transaction.on_commit
    """

    code = "TQ211"
    name = "on-commit-wrong-database"
    message = (
        "`on_commit` registers on database {callback_db!r} but the open transaction is on "
        "{open_dbs}: Django runs the callback immediately, before the commit; pass "
        "`using={suggest!r}`"
    )
    node_types = (ast.Call,)
    triggers = re.compile(r"on_commit")

    def check(self, node: ast.Call, ctx: FileContext) -> Iterator[Finding]:
        func = node.func
        if not (isinstance(func, ast.Attribute) and func.attr == "on_commit") and not isinstance(
            func, ast.Name
        ):
            return
        scope = ctx.scope()
        if ctx.index.canonical(ctx.resolver.qualname(func, scope)) not in ON_COMMIT:
            return
        open_dbs: list[object] = []
        ancestors = ctx.ancestors
        child: ast.AST = node
        for i in range(len(ancestors) - 1, -1, -1):
            anc = ancestors[i]
            anc_scope = ctx.resolver.scope_at(ancestors[:i])
            if isinstance(anc, (ast.With, ast.AsyncWith)) and any(child is s for s in anc.body):
                for item in anc.items:
                    expr = item.context_expr
                    if not isinstance(expr, ast.Call):
                        continue
                    qn = ctx.index.canonical(ctx.resolver.qualname(expr.func, anc_scope))
                    if qn in DJANGO_ATOMIC:
                        open_dbs.append(_using(expr, ctx, anc_scope, positional=True))
                    elif is_transaction_context(expr, ctx, anc_scope):
                        open_dbs.append(UNKNOWN)  # a project helper: database not known here
            elif isinstance(anc, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                if isinstance(anc, ast.Lambda):
                    return  # deferred code: the transaction at run time is not lexical
                for dec in anc.decorator_list:
                    target = dec.func if isinstance(dec, ast.Call) else dec
                    qn = ctx.index.canonical(ctx.resolver.qualname(target, anc_scope))
                    if qn in DJANGO_ATOMIC:
                        open_dbs.append(
                            _using(dec, ctx, anc_scope, positional=True)
                            if isinstance(dec, ast.Call)
                            else "default"
                        )
                break
            child = anc
        if not open_dbs or any(db is UNKNOWN for db in open_dbs):
            return
        callback_db = _using(node, ctx, scope, positional=False)
        if callback_db is UNKNOWN or callback_db in open_dbs:
            return
        innermost = open_dbs[0]
        shown = " and ".join(repr(db) for db in dict.fromkeys(open_dbs))
        yield self.finding(ctx, node, callback_db=callback_db, open_dbs=shown, suggest=innermost)
