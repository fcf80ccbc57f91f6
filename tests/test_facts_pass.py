"""The facts pass's helpers keep what they replace: syntax.walk against ``ast.walk`` and
``ast.iter_child_nodes``, decode_source against read_source, and facts collection frees
each tree as soon as it is done (no reference cycle keeps it for the garbage collector)."""

from __future__ import annotations

import ast
import gc
import weakref
from collections.abc import Callable
from pathlib import Path

import pytest

from tasklint.project import decode_source, parse_source, read_source, syntax_error_info
from tasklint.project.facts import module_facts
from tasklint.syntax.walk import (
    INERT,
    INERT_CLASSES,
    active_children,
    active_walk,
    block_fields,
    child_nodes,
    share_walk,
    statements,
    walk,
    walk_active,
)

ROOT = Path(__file__).resolve().parents[1]

# every kind of node whose lists may hold None (dict splats, keyword-only arguments
# without defaults) or strings (global, nonlocal, match class keywords)
EDGES = """
import a.b as c
from ..x import (y as z, w)
def f(a, /, b=1, *args, c, d=2, **kw) -> int:
    global G
    x = {**kw, "k": 1, **{}}
    def g():
        nonlocal x
    match x:
        case {"k": 1, **rest} if rest: pass
        case P(1, k=2) | [1, *others]: pass
        case str() as s: pass
    return [i async for i in x if i] if x else (lambda q=1: q)(*args, **kw)
async def h():
    async with a as (b, c), d:
        await x
    try:
        pass
    except* ValueError as e:
        raise
class C(B, metaclass=M):
    x: int = f"{a!r:>{w}}"
    del a[1:2, ::3]
    y = not a and -b or c < d is not e
"""


def _trees() -> list[ast.Module]:
    trees = [parse_source(EDGES, "edges.py")]  # match and except* lowered before 3.10/3.11
    for path in sorted((ROOT / "src" / "tasklint").rglob("*.py"))[:40]:
        trees.append(ast.parse(path.read_text(encoding="utf-8")))
    return trees


def test_walk_and_child_nodes_are_ast_walk_and_iter_child_nodes() -> None:
    checked = 0
    for tree in _trees():
        expected = list(ast.walk(tree))
        got = walk(tree)
        assert len(got) == len(expected)
        assert all(a is b for a, b in zip(got, expected))
        for node in expected:
            children = list(ast.iter_child_nodes(node))
            mine = child_nodes(node)
            assert len(mine) == len(children)
            assert all(a is b for a, b in zip(mine, children))
            checked += 1
    assert checked > 10_000


def test_statements_are_the_walks_statements_in_its_order() -> None:
    blocks = (
        ast.stmt,
        ast.excepthandler,
        *[c for c in ast.AST.__subclasses__() if c.__name__ == "match_case"],
    )
    checked = 0
    for tree in _trees():
        for node in [tree, *(n for n in ast.walk(tree) if isinstance(n, blocks))]:
            expected = [n for n in ast.walk(node) if n is node or isinstance(n, blocks)]
            got = statements(node)
            assert len(got) == len(expected)
            assert all(a is b for a, b in zip(got, expected))
            checked += 1
    assert checked > 1_000


def test_active_children_are_the_children_that_are_not_inert() -> None:
    checked = 0
    for tree in _trees():
        for node in ast.walk(tree):
            expected = [c for c in ast.iter_child_nodes(node) if not isinstance(c, INERT)]
            got = active_children(node)
            assert len(got) == len(expected)
            assert all(a is b for a, b in zip(got, expected))
            checked += 1
    assert checked > 10_000
    assert all(issubclass(cls, INERT) for cls in INERT_CLASSES)


def test_active_walk_is_the_walk_without_inert_nodes() -> None:
    checked = 0
    for tree in _trees():
        for node in [tree, *(n for n in ast.walk(tree) if isinstance(n, ast.stmt))]:
            expected = [n for n in ast.walk(node) if n is node or not isinstance(n, INERT)]
            got = active_walk(node)
            assert len(got) == len(expected)
            assert all(a is b for a, b in zip(got, expected))
            checked += 1
    assert checked > 1_000


def test_walk_active_is_the_shared_walk_once_made_else_the_active_walk() -> None:
    tree = parse_source(EDGES, "edges.py")
    every = [n for n in ast.walk(tree) if n is tree or not isinstance(n, INERT)]
    share_walk(tree)
    try:
        first = walk_active(tree)  # the shared walk is not made yet
        assert len(first) == len(every) and all(a is b for a, b in zip(first, every))
        shared = walk(tree)
        assert walk_active(tree) is shared  # made: reused, inert nodes and all
    finally:
        share_walk(None)


def test_a_statement_without_block_fields_holds_no_statement() -> None:
    """What the statement walks that skip simple statements (collect_defs, _mutated_names,
    _conditional_visit, the celery_config collector) rely on."""
    for tree in _trees():
        for node in ast.walk(tree):
            if isinstance(node, ast.stmt) and not block_fields(node.__class__):
                assert not any(
                    isinstance(n, (ast.stmt, ast.excepthandler))
                    for n in ast.walk(node)
                    if n is not node
                )


def test_inert_nodes_hold_no_node_but_a_context() -> None:
    for node in ast.walk(parse_source(EDGES, "edges.py")):
        if isinstance(node, INERT):
            assert all(isinstance(c, ast.expr_context) for c in child_nodes(node))


def test_facts_collection_leaves_no_cycle_holding_the_tree() -> None:
    source = (ROOT / "src" / "tasklint" / "project" / "facts.py").read_text(encoding="utf-8")
    source += "\nfrom celery import shared_task\n" + EDGES
    enabled = gc.isenabled()
    gc.disable()
    try:
        tree = parse_source(source, "pkg/mod.py")
        ref = weakref.ref(tree)
        facts = module_facts(tree, "pkg.mod", "pkg/mod.py", False, source=source)
        del tree
        assert ref() is None  # freed by reference counting, not left to the collector
        assert facts.functions and facts.classes
    finally:
        if enabled:
            gc.enable()


@pytest.mark.parametrize(
    "data",
    [
        b"\xef\xbb\xbfx = 1\r\ny = 2\r",
        b"# -*- coding: latin-1 -*-\nx = '\xe9'\n",
        b"#!/usr/bin/env python\n# vim: set fileencoding=cp1252 :\nx='\x80'\n",
        b"a=1\r\nb=2\rc=3\n",
        b"",
        b"# -*- coding: nope -*-\nx = 1\n",
        b"x = '\xff\xfe'\n",
        b"\xef\xbb\xbf# coding: latin-1\nx=1\n",
        "x = 'é\u2028'\r\n\x0cy = 2\r\rz = '\U0001f600'".encode(),
        b"x = 1\ny = 2\n# coding: latin-1\nz = '\xe9'\n",  # a third line: no declaration
        b"x = 'coding'\ny = 1\n",
        b"x = 1\n" * 5000 + b"y = '\xe9'\n",  # invalid UTF-8 far from the start
        b"x = 1\r" * 5000 + b"\r\n",
        b"\xed\xa0\x80 = 1\n",  # an encoded surrogate
    ],
)
def test_decode_source_is_read_source(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "m.py"
    path.write_bytes(data)

    def outcome(read: Callable[[], str]) -> object:
        try:
            return ("text", read())
        except (SyntaxError, UnicodeDecodeError, LookupError) as exc:
            return ("error", syntax_error_info(exc))

    def tokenize_open() -> str:  # how Python reads a source file
        import tokenize

        with tokenize.open(path) as fh:
            return fh.read()

    expected = outcome(tokenize_open)
    assert outcome(lambda: decode_source(data)) == expected
    assert outcome(lambda: read_source(path, False)) == expected
