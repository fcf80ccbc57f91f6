"""Name scopes filled on first use (syntax/names.py): a function's or class's scope is filled
when a query reaches it, and every query answers as if all scopes had been filled at once."""

from __future__ import annotations

import ast
import itertools
import textwrap

import pytest

from tasklint.syntax.names import SCOPE_NODES, NameResolver, Scope

SAMPLE = textwrap.dedent(
    """
    import json
    from django.db import transaction
    from . import tasks as T

    LIMIT = 10
    double = lambda x: [y * 2 for y in x]

    def outer(transaction, n=LIMIT):
        from .helpers import ship
        total = 0
        if (found := json.loads("{}")):
            total += 1
        def inner():
            nonlocal total
            global LIMIT
            LIMIT = 3
            with transaction.atomic() as tx:
                return ship.delay(tx, [v for v in range(n) if (last := v)])
        class Local:
            attr = transaction
            def method(self, json=None):
                return json, self.attr, T.send
        return inner, Local, found

    class Service:
        transaction = None
        def run(self, items):
            return [transaction.atomic() for _ in items], self.transaction
        async def later(self):
            return (lambda payload: payload)(json.dumps)
    """
)


def _describe(scope: Scope | None) -> object:
    if scope is None:
        return None
    parent = scope.parent
    return (
        type(scope.node).__name__,
        getattr(scope.node, "lineno", 0),
        None if parent is None else (type(parent.node).__name__, getattr(parent.node, "lineno", 0)),
        {
            name: [(b.kind, b.target, getattr(b.node, "lineno", 0)) for b in bindings]
            for name, bindings in scope.bindings.items()
        },
        sorted(scope.globals),
        sorted(scope.nonlocals),
    )


def _chains(tree: ast.Module) -> list[tuple[ast.AST, list[ast.AST]]]:
    """Every node with its ancestors, outermost first."""
    out: list[tuple[ast.AST, list[ast.AST]]] = []
    stack: list[tuple[ast.AST, list[ast.AST]]] = [(tree, [])]
    while stack:
        node, ancestors = stack.pop()
        out.append((node, ancestors))
        stack.extend((child, [*ancestors, node]) for child in ast.iter_child_nodes(node))
    return out


def _answers(resolver: NameResolver, chains: list[tuple[ast.AST, list[ast.AST]]]) -> list[object]:
    answers: list[object] = []
    for node, ancestors in chains:
        scope = resolver.scope_at(ancestors)
        answers.append(_describe(scope))
        answers.append(_describe(resolver.scope_of(node)))
        if isinstance(node, (ast.Name, ast.Attribute)):
            answers.append(resolver.qualname(node, scope))
        if isinstance(node, ast.Name):
            answers.append(resolver.is_local(node.id, scope))
            found = resolver.local_value(node.id, scope)
            answers.append(None if found is None else ast.dump(found[0]))
    return answers


def test_scopes_are_filled_on_first_use() -> None:
    tree = ast.parse(SAMPLE)
    resolver = NameResolver(tree, "pkg.views")
    defs = [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.ClassDef))]
    outer = next(n for n in defs if n.name == "outer")
    inner = next(n for n in defs if n.name == "inner")
    # the module scope is complete at once; nothing else is filled yet
    assert sorted(resolver.module_scope.bindings) == [
        "LIMIT",
        "Service",
        "T",
        "double",
        "json",
        "outer",
        "transaction",
    ]
    assert resolver.scope_of(outer) is not None
    outer_scope = resolver.scope_at([tree, outer])
    assert sorted(outer_scope.bindings) == [
        "Local",
        "found",
        "inner",
        "n",
        "ship",
        "total",
        "transaction",
    ]
    # a nested function asked about directly, before anything filled its parent's body
    fresh = NameResolver(tree, "pkg.views")
    inner_scope = fresh.scope_of(inner)
    assert inner_scope is not None
    assert inner_scope.nonlocals == {"total"} and inner_scope.globals == {"LIMIT"}
    assert sorted(inner_scope.bindings) == ["LIMIT", "last", "tx"]  # walrus in a comprehension


def test_parameters_and_local_imports_resolve_in_filled_scopes() -> None:
    tree = ast.parse(SAMPLE)
    resolver = NameResolver(tree, "pkg.views")
    chains = _chains(tree)
    calls = {
        ast.unparse(node.func): (node, ancestors)
        for node, ancestors in chains
        if isinstance(node, ast.Call)
    }
    node, ancestors = calls["ship.delay"]
    scope = resolver.scope_at(ancestors)
    assert resolver.qualname(node.func, scope) == "pkg.helpers.ship.delay"
    atomic = [
        (n, a)
        for n, a in chains
        if isinstance(n, ast.Call) and ast.unparse(n.func) == "transaction.atomic"
    ]
    qualnames = sorted(str(resolver.qualname(n.func, resolver.scope_at(a))) for n, a in atomic)
    # the parameter shadows the module inside ``outer``; in ``Service.run`` it is Django's
    assert qualnames == ["None", "django.db.transaction.atomic"]


@pytest.mark.parametrize("seed", range(6))
def test_any_query_order_gives_the_answers_of_a_full_build(seed: int) -> None:
    """Queries in a shuffled order (inner scopes before outer ones, nodes with their
    ancestors or alone) answer as a resolver whose every scope was filled first."""
    import random

    tree = ast.parse(SAMPLE)
    chains = _chains(tree)
    full = NameResolver(tree, "pkg.views")
    for node, _ in chains:  # fill every scope, outermost first
        full.scope_of(node)
    expected = _answers(full, chains)
    order = list(range(len(chains)))
    random.Random(seed).shuffle(order)
    lazy = NameResolver(tree, "pkg.views")
    got: dict[int, list[object]] = {}
    for i in order:
        got[i] = _answers(lazy, [chains[i]])
    assert list(itertools.chain.from_iterable(got[i] for i in range(len(chains)))) == expected
    scope_nodes = [n for n, _ in chains if isinstance(n, SCOPE_NODES)]
    assert all(lazy.scope_of(n) is not None for n in scope_nodes)
