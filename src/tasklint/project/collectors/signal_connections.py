"""``<signal>.connect(<handler>, ...)`` calls anywhere in a module (module level, or in a
function such as ``AppConfig.ready()``), with the handler and the signal as qualified names.

Receivers are often connected away from where they are defined (``post_save.connect(
handlers.on_saved, sender=Order)`` in ``apps.py``); recorded here, the rules can find them
project-wide. Imports made inside the connecting function are followed (``from . import
handlers`` in ``ready()``); anything else that cannot be named is left out.
"""

from __future__ import annotations

import ast
from typing import Any

from tasklint.project.facts import ModuleFacts, register_collector
from tasklint.syntax.names import NameResolver, dotted, resolve_relative
from tasklint.syntax.walk import active_children, statements

FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)


def _local_imports(
    node: ast.FunctionDef | ast.AsyncFunctionDef, facts: ModuleFacts
) -> dict[str, str]:
    out: dict[str, str] = {}
    for sub in statements(node):  # imports are statements: walk's order, no expressions
        if isinstance(sub, ast.ImportFrom):
            base = resolve_relative(facts.module, facts.is_package, sub.level or 0, sub.module)
            for alias in sub.names:
                out[alias.asname or alias.name] = f"{base}.{alias.name}" if base else alias.name
        elif isinstance(sub, ast.Import):
            for alias in sub.names:
                if alias.asname:
                    out[alias.asname] = alias.name
                else:
                    head = alias.name.split(".")[0]
                    out[head] = head
    return out


def _qualname(expr: ast.expr, resolver: NameResolver, local: dict[str, str]) -> str | None:
    name = dotted(expr)
    if name is None:
        return None
    head, _, rest = name.partition(".")
    if head in local:
        return f"{local[head]}.{rest}" if rest else local[head]
    return resolver.qualname(expr)


@register_collector("signal_connections", version=1)
def collect(tree: ast.Module, resolver: NameResolver, facts: ModuleFacts) -> dict[str, Any] | None:
    source = resolver.source
    if source is not None and ".connect(" not in source:
        return None
    found: list[list[Any]] = []
    stack: list[tuple[ast.AST, dict[str, str]]] = [(tree, {})]
    while stack:
        node, local = stack.pop()
        if isinstance(node, FUNCTIONS):
            local = {**local, **_local_imports(node, facts)}
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "connect"
        ):
            handler = node.args[0] if node.args else None
            if handler is None:
                handler = next((k.value for k in node.keywords if k.arg == "receiver"), None)
            signal = _qualname(node.func.value, resolver, local)
            target = _qualname(handler, resolver, local) if handler is not None else None
            if signal and target:
                found.append([target, signal, node.lineno])
        stack.extend((child, local) for child in active_children(node))
    return {"connects": found} if found else None
