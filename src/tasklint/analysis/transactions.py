"""Database transaction scopes: Django ``atomic``, SQLAlchemy ``begin()``, project helpers.

The question rules ask is "is this node running inside an open transaction, and not in a
callback deferred to the commit?" — answered lexically from the node's ancestors.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass

from tasklint.project.context import FileContext
from tasklint.project.index import SQLALCHEMY_PACKAGES
from tasklint.syntax.names import Scope
from tasklint.syntax.walk import walk, with_subclasses

ON_COMMIT = frozenset({"django.db.transaction.on_commit"})
PARTIAL = frozenset({"functools.partial"})
BEGIN_METHODS = frozenset({"begin", "begin_nested"})
FUNCTION_NODES = (ast.FunctionDef, ast.AsyncFunctionDef)
METHOD_DECORATOR = frozenset({"django.utils.decorators.method_decorator"})


def is_on_commit_call(call: ast.AST, ctx: FileContext, scope: Scope) -> bool:
    """``transaction.on_commit(...)``, ``connection.on_commit(...)`` and friends."""
    if not isinstance(call, ast.Call):
        return False
    func = call.func
    if isinstance(func, ast.Attribute) and func.attr == "on_commit":
        return True
    qn = ctx.index.canonical(ctx.resolver.qualname(func, scope))
    return qn in ON_COMMIT


def on_commit_callbacks(call: ast.Call) -> Iterator[ast.expr]:
    """The callback expressions handed to an ``on_commit`` call (positional or ``func=``)."""
    if call.args:
        yield call.args[0]
    for kw in call.keywords:
        if kw.arg == "func":
            yield kw.value


def _sqlalchemy_evidence(expr: ast.AST, ctx: FileContext, scope: Scope) -> bool:
    if ctx.imports_package(*SQLALCHEMY_PACKAGES):
        return True
    base = expr
    while isinstance(base, ast.Attribute):
        qn = ctx.resolver.qualname(base, scope)
        if qn is not None and ctx.index.is_sqlalchemy_object(qn):
            return True
        base = base.value
    if isinstance(base, ast.Call):
        return _sqlalchemy_evidence(base.func, ctx, scope)
    if isinstance(base, ast.Name):
        return ctx.index.is_sqlalchemy_object(ctx.resolver.qualname(base, scope))
    return False


READ_ONLY_HINTS = ("replica", "readonly", "read_only", "reader", "slave", "follower", "secondary")


def on_read_replica(call: ast.Call) -> bool:
    """``atomic(using=<a read replica>)``: a read-only transaction creates no rows to race."""
    using = next((kw.value for kw in call.keywords if kw.arg == "using"), None)
    if using is None and call.args and not isinstance(call.args[0], ast.Lambda):
        using = call.args[0]
    if using is None:
        return False
    text = ast.unparse(using).lower()
    return any(hint in text for hint in READ_ONLY_HINTS)


def is_transaction_context(expr: ast.expr, ctx: FileContext, scope: Scope) -> bool:
    """Does this ``with`` item (or decorator) open a database transaction (one that writes)?"""
    if isinstance(expr, ast.Call) and on_read_replica(expr):
        return False
    target = expr.func if isinstance(expr, ast.Call) else expr
    qn = ctx.resolver.qualname(target, scope)
    if qn is not None and ctx.index.is_atomic_context(qn):
        return True
    if (
        isinstance(expr, ast.Call)
        and isinstance(target, ast.Attribute)
        and target.attr in BEGIN_METHODS
        and _sqlalchemy_evidence(target.value, ctx, scope)
    ):
        return True
    return False


def is_transaction_with(node: ast.With | ast.AsyncWith, ctx: FileContext, scope: Scope) -> bool:
    return any(is_transaction_context(item.context_expr, ctx, scope) for item in node.items)


def is_atomic_function(
    node: ast.FunctionDef | ast.AsyncFunctionDef, ctx: FileContext, outer: Scope
) -> bool:
    """A function decorated with ``@transaction.atomic`` / ``@atomic(...)`` / a helper.

    ``@method_decorator(atomic)`` (a class-based view's method) counts the same.
    """
    for dec in node.decorator_list:
        if isinstance(dec, ast.Call) and dec.args and _is_method_decorator(dec.func, ctx, outer):
            dec = dec.args[0]
            if isinstance(dec, ast.Call) and on_read_replica(dec):
                continue
        target = dec.func if isinstance(dec, ast.Call) else dec
        qn = ctx.resolver.qualname(target, outer)
        if qn is not None and ctx.index.is_atomic_context(qn):
            return True
    return False


def _is_method_decorator(func: ast.expr, ctx: FileContext, scope: Scope) -> bool:
    return ctx.index.canonical(ctx.resolver.qualname(func, scope)) in METHOD_DECORATOR


@dataclass
class _OwnerFacts:
    """What nested-function verdicts need to know about the enclosing function, once."""

    on_commit_names: set[str]  # names handed to on_commit (directly, via partial or a lambda)
    atomic: bool
    calls: set[str]  # plain-name calls anywhere in the function
    transaction_withs: list[tuple[ast.AST, set[str]]]  # (with, plain-name calls in its body)


def _called_names(node: ast.AST) -> set[str]:
    return {
        s.func.id for s in walk(node) if isinstance(s, ast.Call) and isinstance(s.func, ast.Name)
    }


def _owner_facts(
    owner: ast.FunctionDef | ast.AsyncFunctionDef, ctx: FileContext, scope: Scope
) -> _OwnerFacts:
    memo: dict[int, tuple[ast.AST, _OwnerFacts]] = ctx.memo.setdefault("transactions.owner", {})
    known = memo.get(id(owner))
    if known is not None and known[0] is owner:
        return known[1]
    names: set[str] = set()
    withs: list[tuple[ast.AST, set[str]]] = []
    for sub in walk(owner):
        if isinstance(sub, ast.Call) and is_on_commit_call(sub, ctx, scope):
            for cb in on_commit_callbacks(sub):
                if isinstance(cb, ast.Name):
                    names.add(cb.id)
                if isinstance(cb, ast.Call) and cb.args:
                    first = cb.args[0]
                    if isinstance(first, ast.Name):
                        names.add(first.id)
                if isinstance(cb, ast.Lambda):
                    names.update(_called_names(cb.body))
        elif isinstance(sub, (ast.With, ast.AsyncWith)) and is_transaction_with(sub, ctx, scope):
            body: set[str] = set()
            for stmt in sub.body:
                body |= _called_names(stmt)
            withs.append((sub, body))
    outer = ctx.resolver.scope_at([])
    facts = _OwnerFacts(
        on_commit_names=names,
        atomic=is_atomic_function(owner, ctx, outer),
        calls=_called_names(owner),
        transaction_withs=withs,
    )
    memo[id(owner)] = (owner, facts)
    return facts


def _passes_to_on_commit(name: str, owner_facts: _OwnerFacts) -> bool:
    return name in owner_facts.on_commit_names


def _called_in_transaction(
    name: str, owner: ast.FunctionDef | ast.AsyncFunctionDef, owner_facts: _OwnerFacts
) -> ast.AST | None:
    if owner_facts.atomic and name in owner_facts.calls:
        return owner
    for sub, body_calls in owner_facts.transaction_withs:
        if name in body_calls:
            return sub
    return None


def _function_verdict(ctx: FileContext, ancestors: list[ast.AST], i: int) -> ast.AST | None:
    """The transaction a code path inside the function ``ancestors[i]`` is in (or None)."""
    anc = ancestors[i]
    assert isinstance(anc, FUNCTION_NODES)
    scope = ctx.resolver.scope_at(ancestors[:i])
    if is_atomic_function(anc, ctx, scope):
        return anc
    owner_index = next(
        (j for j in range(i - 1, -1, -1) if isinstance(ancestors[j], FUNCTION_NODES)),
        None,
    )
    if owner_index is None:
        return None
    owner = ancestors[owner_index]
    assert isinstance(owner, FUNCTION_NODES)
    owner_scope = ctx.resolver.scope_of(owner) or scope
    owner_facts = _owner_facts(owner, ctx, owner_scope)
    if _passes_to_on_commit(anc.name, owner_facts):
        return None
    return _called_in_transaction(anc.name, owner, owner_facts)


# The ancestors enclosing_transaction looks at (any other: only stepped over).
_DECIDING = with_subclasses(*FUNCTION_NODES, ast.With, ast.AsyncWith, ast.Lambda, ast.ClassDef)


def enclosing_transaction(ctx: FileContext, node: ast.AST) -> ast.AST | None:
    """The ``with``/decorated function that keeps ``node`` inside a transaction, if any.

    ``ctx.ancestors`` must be the ancestors of ``node`` (outermost first). Code in a
    callback handed to ``on_commit`` (lambda, nested def, ``functools.partial``) runs after
    the commit and is not inside the transaction.
    """
    ancestors = ctx.ancestors
    # What an ancestor decides depends only on that ancestor (its own ancestors are fixed),
    # so verdicts are memoised per file: a big module asks about the same blocks many times.
    memo: dict[int, tuple[ast.AST, ast.AST | None]] = ctx.memo.setdefault(
        "transactions.enclosing", {}
    )
    withs: dict[int, tuple[ast.AST, bool]] = ctx.memo.setdefault("transactions.with", {})
    child: ast.AST = node
    deciding = _DECIDING
    for i in range(len(ancestors) - 1, -1, -1):
        anc = ancestors[i]
        if anc.__class__ not in deciding:  # most ancestors: an expression, a statement...
            child = anc
            continue
        if isinstance(anc, FUNCTION_NODES):
            known = memo.get(id(anc))
            if known is None or known[0] is not anc:
                known = (anc, _function_verdict(ctx, ancestors, i))
                memo[id(anc)] = known
            return known[1]
        if isinstance(anc, (ast.With, ast.AsyncWith)):
            if any(child is stmt for stmt in anc.body):
                seen = withs.get(id(anc))
                if seen is None or seen[0] is not anc:
                    scope = ctx.resolver.scope_at(ancestors[:i])
                    seen = (anc, is_transaction_with(anc, ctx, scope))
                    withs[id(anc)] = seen
                if seen[1]:
                    return anc
            child = anc
            continue
        if not isinstance(anc, (ast.Lambda, ast.ClassDef)):
            child = anc
            continue
        scope = ctx.resolver.scope_at(ancestors[:i])
        if isinstance(anc, ast.Lambda):
            parent = ancestors[i - 1] if i > 0 else None
            if parent is not None and is_on_commit_call(parent, ctx, scope):
                return None
            if (
                isinstance(parent, ast.Call)
                and i > 1
                and is_on_commit_call(ancestors[i - 2], ctx, scope)
            ):
                return None  # on_commit(partial(lambda: ...)) and similar wrappers
        elif isinstance(anc, ast.ClassDef):
            return None
        child = anc
    return None


COMMIT_FUNCS = frozenset({"django.db.transaction.commit"})
DBAPI_PACKAGES = frozenset(
    {"psycopg2", "psycopg", "sqlite3", "pymysql", "MySQLdb", "mysql", "aiosqlite", "aiomysql"}
)
AFTER_COMMIT_EVENTS = frozenset({"after_commit", "after_transaction_end"})


def is_commit_call(call: ast.Call, ctx: FileContext, scope: Scope) -> bool:
    """``session.commit()`` (SQLAlchemy family, DB-API) or ``transaction.commit()``."""
    func = call.func
    if not isinstance(func, ast.Attribute) or func.attr != "commit":
        return False
    qn = ctx.resolver.qualname(func, scope)
    if qn is not None:
        canon = ctx.index.canonical(qn)
        if canon in COMMIT_FUNCS:
            return True
        target = ctx.index.resolve(qn)
        if target.is_project and target.name is None:
            return False  # a project module's own commit() function
    if _sqlalchemy_evidence(func.value, ctx, scope):
        return True
    return ctx.imports_package(*DBAPI_PACKAGES)


def find_commit(stmt: ast.stmt, ctx: FileContext, scope: Scope) -> ast.Call | None:
    """The first commit call in a statement (not inside nested functions or lambdas)."""
    stack: list[ast.AST] = [stmt]
    found: list[ast.Call] = []
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
            continue
        if isinstance(node, ast.Call) and is_commit_call(node, ctx, scope):
            found.append(node)
        stack.extend(ast.iter_child_nodes(node))
    if not found:
        return None
    return min(found, key=lambda c: (c.lineno, c.col_offset))


def is_after_commit_listener(
    node: ast.FunctionDef | ast.AsyncFunctionDef, ctx: FileContext, outer: Scope
) -> bool:
    """``@event.listens_for(Session, "after_commit")`` and similar."""
    for dec in node.decorator_list:
        if not isinstance(dec, ast.Call):
            continue
        for arg in dec.args:
            if isinstance(arg, ast.Constant) and arg.value in AFTER_COMMIT_EVENTS:
                return True
    return False
