"""Settings a module takes from elsewhere: class exports and django-split-settings includes.

``exports``: class-based settings exported into a module, ``ProdSettings.load_settings(__name__)``.

Some Django projects write their settings as class attributes of a settings class hierarchy
and, at the end of each settings module, call a class method with ``__name__`` that copies
the upper-case attributes into the module. Recorded: the qualified name of each class whose
method is called at module level with ``__name__`` as an argument, with the call's line and
the method's name; and, per module, the class methods that look like such an exporter: they
call ``setattr`` and test names with ``.isupper()`` (copy the upper-case attributes).

``includes``: ``split_settings.tools.include("base.py", optional("local.py"), "parts/*.py")``
runs those files (paths relative to this module, glob patterns allowed) in this module's
namespace; recorded in order, with whether each is optional (a pattern that is no string
literal is recorded as None: the configuration is then unknown).
"""

from __future__ import annotations

import ast
from typing import Any

from tasklint.project.facts import ModuleFacts, register_collector
from tasklint.syntax.names import NameResolver
from tasklint.syntax.walk import walk


def _passes_module_name(call: ast.Call) -> bool:
    args = [*call.args, *(kw.value for kw in call.keywords)]
    return any(isinstance(a, ast.Name) and a.id == "__name__" for a in args)


SPLIT_INCLUDE = frozenset({"split_settings.tools.include", "split_settings.include"})
SPLIT_OPTIONAL = frozenset({"split_settings.tools.optional", "split_settings.optional"})


def _includes(call: ast.Call, resolver: NameResolver) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for arg in call.args:
        optional = False
        if (
            isinstance(arg, ast.Call)
            and resolver.qualname(arg.func) in SPLIT_OPTIONAL
            and len(arg.args) == 1
        ):
            arg, optional = arg.args[0], True
        pattern = arg.value if isinstance(arg, ast.Constant) else None
        out.append(
            {
                "pattern": pattern if isinstance(pattern, str) else None,
                "optional": optional,
                "line": call.lineno,
            }
        )
    return out


@register_collector("settings_exports", version=3)
def collect(tree: ast.Module, resolver: NameResolver, facts: ModuleFacts) -> dict[str, Any] | None:
    source = getattr(resolver, "source", None)
    may_export = source is None or "__name__" in source or "split_settings" in source
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
    includes: list[dict[str, Any]] = []
    for stmt in tree.body if may_export else ():
        if not (isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call)):
            continue
        call = stmt.value
        func = call.func
        if resolver.qualname(func) in SPLIT_INCLUDE:
            includes.extend(_includes(call, resolver))
            continue
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
    if includes:
        out["includes"] = includes
    return out or None


def _copies_upper_case(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    calls_setattr = tests_upper = False
    for node in walk(fn):
        if isinstance(node, ast.Call):
            if isinstance(node.func, ast.Name) and node.func.id == "setattr":
                calls_setattr = True
            elif isinstance(node.func, ast.Attribute) and node.func.attr == "isupper":
                tests_upper = True
    return calls_setattr and tests_upper
