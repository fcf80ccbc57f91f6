"""``"ATOMIC_REQUESTS": True`` inside a ``DATABASES`` entry of a settings module.

A top-level ``ATOMIC_REQUESTS = True`` does nothing in Django and is not recorded.
"""

from __future__ import annotations

import ast
from typing import Any

from tasklint.project.facts import ModuleFacts, register_collector
from tasklint.syntax.names import NameResolver
from tasklint.syntax.walk import walk


def _true(node: ast.AST | None) -> bool:
    return isinstance(node, ast.Constant) and node.value is True


@register_collector("django_db", version=1)
def collect(tree: ast.Module, resolver: NameResolver, facts: ModuleFacts) -> dict[str, Any] | None:
    source = resolver.source
    if source is not None and "ATOMIC_REQUESTS" not in source:
        return None
    lines: list[int] = []
    for stmt in walk(tree):
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            continue
        if isinstance(stmt, ast.Dict):
            for key, value in zip(stmt.keys, stmt.values):
                if (
                    isinstance(key, ast.Constant)
                    and key.value == "ATOMIC_REQUESTS"
                    and _true(value)
                ):
                    lines.append(key.lineno)
        elif isinstance(stmt, ast.Assign) and _true(stmt.value):
            for target in stmt.targets:
                if (
                    isinstance(target, ast.Subscript)
                    and isinstance(target.slice, ast.Constant)
                    and target.slice.value == "ATOMIC_REQUESTS"
                ):
                    lines.append(stmt.lineno)
        elif (
            isinstance(stmt, ast.Call)
            and isinstance(stmt.func, ast.Attribute)
            and stmt.func.attr == "update"
        ):
            for kw in stmt.keywords:
                if kw.arg == "ATOMIC_REQUESTS" and _true(kw.value):
                    lines.append(kw.lineno)
    if not lines:
        return None
    return {"atomic_requests": sorted(lines)}
