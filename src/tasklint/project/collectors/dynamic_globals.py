"""Module-level calls that fill the module's namespace at run time.

``Settings.load_settings(__name__)`` (settings classes exported into the module),
``globals().update(...)``, ``setattr(sys.modules[__name__], ...)``: the module's names
cannot be listed statically, so a configuration read from it is unknown, not absent.
"""

from __future__ import annotations

import ast
from typing import Any

from tasklint.project.facts import ModuleFacts, register_collector
from tasklint.syntax.names import NameResolver

NAMESPACE_CALLS = ("globals", "vars", "locals")


def _names_own_module(node: ast.AST) -> bool:
    """``__name__``, ``globals()``, ``sys.modules[__name__]``."""
    if isinstance(node, ast.Name) and node.id == "__name__":
        return True
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id in NAMESPACE_CALLS
        and not node.args
    ):
        return True
    return isinstance(node, ast.Subscript) and _names_own_module(node.slice)


def _module_level_calls(stmts: list[ast.stmt]) -> list[ast.Call]:
    out: list[ast.Call] = []
    for stmt in stmts:
        if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call):
            out.append(stmt.value)
        elif isinstance(stmt, ast.If):
            out.extend(_module_level_calls(stmt.body))
            out.extend(_module_level_calls(stmt.orelse))
        elif isinstance(stmt, ast.Try):
            out.extend(_module_level_calls(stmt.body))
            out.extend(_module_level_calls(stmt.orelse))
            for handler in stmt.handlers:
                out.extend(_module_level_calls(handler.body))
    return out


@register_collector("dynamic_globals", version=1)
def collect(tree: ast.Module, resolver: NameResolver, facts: ModuleFacts) -> dict[str, Any] | None:
    source = resolver.source
    if source is not None and "__name__" not in source and "globals()" not in source:
        return None
    lines: list[int] = []
    for call in _module_level_calls(tree.body):
        func = call.func
        receiver = func.value if isinstance(func, ast.Attribute) else None
        if (
            any(_names_own_module(arg) for arg in call.args)
            or (receiver is not None and _names_own_module(receiver))
        ) and not (isinstance(func, ast.Attribute) and func.attr in ("getLogger", "get_logger")):
            lines.append(call.lineno)
    return {"lines": lines} if lines else None
