"""Class-based settings exported into a module: ``ProdSettings.load_settings(__name__)``.

Some Django projects write their settings as class attributes of a settings class hierarchy
and, at the end of each settings module, call a class method with ``__name__`` that copies
the upper-case attributes into the module. Recorded: the qualified name of each class whose
method is called at module level with ``__name__`` as an argument, with the call's line and
the method's name; and, per module, the class methods that look like such an exporter: they
call ``setattr`` and test names with ``.isupper()`` (copy the upper-case attributes).
"""

from __future__ import annotations

import ast
from typing import Any

from tasklint.analysis.names import NameResolver
from tasklint.project.facts import ModuleFacts, register_collector


def _passes_module_name(call: ast.Call) -> bool:
    args = [*call.args, *(kw.value for kw in call.keywords)]
    return any(isinstance(a, ast.Name) and a.id == "__name__" for a in args)


@register_collector("settings_exports", version=2)
def collect(tree: ast.Module, resolver: NameResolver, facts: ModuleFacts) -> dict[str, Any] | None:
    source = getattr(resolver, "source", None)
    may_export = source is None or "__name__" in source
    may_copy = source is None or ("isupper" in source and "setattr" in source)
    if not (may_export or may_copy):
        return None
    exporters = [
        f"{cls.name}.{fn.name}"
        for cls in (tree.body if may_copy else ())
        if isinstance(cls, ast.ClassDef)
        for fn in cls.body
        if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)) and _copies_upper_case(fn)
    ]
    exports: list[dict[str, Any]] = []
    for stmt in tree.body if may_export else ():
        if not (isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call)):
            continue
        call = stmt.value
        func = call.func
        if not (isinstance(func, ast.Attribute) and _passes_module_name(call)):
            continue
        qualname = resolver.qualname(func.value)
        if qualname is not None:
            exports.append({"cls": qualname, "method": func.attr, "line": stmt.lineno})
    out: dict[str, Any] = {}
    if exports:
        out["exports"] = exports
    if exporters:
        out["exporters"] = exporters
    return out or None


def _copies_upper_case(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    calls_setattr = tests_upper = False
    for node in ast.walk(fn):
        if isinstance(node, ast.Call):
            if isinstance(node.func, ast.Name) and node.func.id == "setattr":
                calls_setattr = True
            elif isinstance(node.func, ast.Attribute) and node.func.attr == "isupper":
                tests_upper = True
    return calls_setattr and tests_upper
