"""Class-based settings exported into a module: ``ProdSettings.load_settings(__name__)``.

Some Django projects write their settings as class attributes of a settings class hierarchy
and, at the end of each settings module, call a class method with ``__name__`` that copies
the upper-case attributes into the module. Recorded: the qualified name of each class whose
method is called at module level with ``__name__`` as an argument, with the call's line.
"""

from __future__ import annotations

import ast
from typing import Any

from tasklint.analysis.names import NameResolver
from tasklint.project.facts import ModuleFacts, register_collector


def _passes_module_name(call: ast.Call) -> bool:
    args = [*call.args, *(kw.value for kw in call.keywords)]
    return any(isinstance(a, ast.Name) and a.id == "__name__" for a in args)


@register_collector("settings_exports", version=1)
def collect(tree: ast.Module, resolver: NameResolver, facts: ModuleFacts) -> dict[str, Any] | None:
    source = getattr(resolver, "source", None)
    if source is not None and "__name__" not in source:
        return None
    exports: list[dict[str, Any]] = []
    for stmt in tree.body:
        if not (isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call)):
            continue
        call = stmt.value
        func = call.func
        if not (isinstance(func, ast.Attribute) and _passes_module_name(call)):
            continue
        qualname = resolver.qualname(func.value)
        if qualname is not None:
            exports.append({"cls": qualname, "line": stmt.lineno})
    return {"exports": exports} if exports else None
