"""``ast.walk`` without its per-node generators: the same nodes in the same order."""

from __future__ import annotations

import ast

# The tree being analysed (see share_walk) and its nodes once walked.
_SHARED: list[ast.AST | list[ast.AST] | None] = [None, None]


def share_walk(root: ast.AST | None) -> None:
    """Walk ``root`` at most once until the next call: every collector and rule that walks
    the whole module gets the same list (which callers must not modify). ``None`` ends it."""
    _SHARED[0] = root
    _SHARED[1] = None


def walk(node: ast.AST) -> list[ast.AST]:
    """Every node below ``node`` (itself first), breadth first, as ``ast.walk`` yields them.

    A list rather than a generator: ``ast.walk`` goes through ``iter_child_nodes`` and
    ``iter_fields`` for every node, which is most of its cost on large modules. The list
    of the tree given to share_walk is made once and shared: do not modify what you get.
    """
    if node is _SHARED[0] and node is not None:
        nodes = _SHARED[1]
        if not isinstance(nodes, list):
            nodes = _SHARED[1] = _walk(node)
        return nodes
    return _walk(node)


def _walk(node: ast.AST) -> list[ast.AST]:
    todo: list[ast.AST] = [node]
    i = 0
    while i < len(todo):
        current = todo[i]
        i += 1
        for name in current._fields:
            value = getattr(current, name, None)
            if isinstance(value, ast.AST):
                todo.append(value)
            elif isinstance(value, list):
                todo.extend(item for item in value if isinstance(item, ast.AST))
    return todo
