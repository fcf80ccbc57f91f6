"""``ast.walk`` without its per-node generators: the same nodes in the same order."""

from __future__ import annotations

import ast


def walk(node: ast.AST) -> list[ast.AST]:
    """Every node below ``node`` (itself first), breadth first, as ``ast.walk`` yields them.

    A list rather than a generator: ``ast.walk`` goes through ``iter_child_nodes`` and
    ``iter_fields`` for every node, which is most of its cost on large modules.
    """
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
