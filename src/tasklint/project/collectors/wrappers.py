"""Project decorators that enqueue the function they wrap, or connect it as a receiver.

Recorded per module-level function (JSON-safe), from the function's own body:

- ``enqueues``: a function nested in the decorator calls ``<wrapped>.delay(...)`` or
  ``<wrapped>.apply_async(...)`` on some path (``return func.delay(*args, **kwargs)``, also
  behind an ``if settings.FOREGROUND: return func(...)`` branch);
- ``connects``: ``[how, signal]`` pairs, the qualified names of the signals the decorator
  connects the wrapped function to and how: ``["connect", <signal>]`` for
  ``post_save.connect(func, ...)``, ``[<receiver qualname>, <signal>]`` for
  ``receiver(post_save, ...)(func)``.

``wraps`` says where the wrapped function arrives: ``"plain"`` (the decorator's own first
parameter, ``@background``) or ``"factory"`` (a nested decorator's first parameter,
``@background(queue="x")``). Nothing here decides whether the decorated function is a
task or the signal a model signal: the index and the rules resolve that.
"""

from __future__ import annotations

import ast
from typing import Any

from tasklint.project.facts import ModuleFacts, register_collector
from tasklint.syntax.names import NameResolver

FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)
ENQUEUE_METHODS = frozenset({"delay", "apply_async"})
MARKERS = (".delay(", ".apply_async(", ".connect(", "receiver(")


def _first_param(node: ast.FunctionDef | ast.AsyncFunctionDef) -> str | None:
    params = [*node.args.posonlyargs, *node.args.args]
    return params[0].arg if params else None


def _binds(node: ast.FunctionDef | ast.AsyncFunctionDef, name: str) -> bool:
    """Does ``node`` rebind ``name`` (parameter or assignment), hiding the outer one?"""
    args = node.args
    params = [*args.posonlyargs, *args.args, *args.kwonlyargs]
    if args.vararg is not None:
        params.append(args.vararg)
    if args.kwarg is not None:
        params.append(args.kwarg)
    if any(p.arg == name for p in params):
        return True
    for stmt in node.body:
        for sub in ast.walk(stmt):
            if isinstance(sub, ast.Name) and sub.id == name and isinstance(sub.ctx, ast.Store):
                return True
    return False


def _uses(
    owner: ast.FunctionDef | ast.AsyncFunctionDef, param: str, resolver: NameResolver
) -> dict[str, Any]:
    """What ``owner``'s body (nested functions included) does with its parameter ``param``."""
    enqueues = defers = False
    connects: set[tuple[str, str]] = set()
    stack: list[tuple[ast.AST, bool, bool]] = [(stmt, False, False) for stmt in owner.body]
    while stack:
        node, nested, deferred = stack.pop()
        if isinstance(node, FUNCTIONS):
            if _binds(node, param):
                continue  # the name means something else in there
            nested = True
        if isinstance(node, ast.Call):
            func = node.func
            if (isinstance(func, ast.Attribute) and func.attr == "on_commit") or (
                isinstance(func, ast.Name) and func.id == "on_commit"
            ):
                deferred = True  # what the callback does waits for the commit
            if (
                nested  # the wrapper that runs when the decorated function is called
                and isinstance(func, ast.Attribute)
                and func.attr in ENQUEUE_METHODS
                and isinstance(func.value, ast.Name)
                and func.value.id == param
            ):
                if deferred:
                    defers = True
                else:
                    enqueues = True
            passes = any(isinstance(a, ast.Name) and a.id == param for a in node.args[:1])
            if passes and isinstance(func, ast.Attribute) and func.attr == "connect":
                qn = resolver.qualname(func.value)
                if qn:
                    connects.add(("connect", qn))
            if passes and isinstance(func, ast.Call) and func.args:
                # receiver(post_save, sender=X)(func)
                inner = resolver.qualname(func.func)
                if inner and inner.rsplit(".", 1)[-1] == "receiver":
                    signals = func.args[0]
                    items = (
                        signals.elts if isinstance(signals, (ast.List, ast.Tuple)) else [signals]
                    )
                    for item in items:
                        qn = resolver.qualname(item)
                        if qn:
                            connects.add((inner, qn))
        stack.extend((child, nested, deferred) for child in ast.iter_child_nodes(node))
    return {
        "enqueues": enqueues,
        "defers": defers,
        "connects": [list(pair) for pair in sorted(connects)],
    }


def _summary(
    node: ast.FunctionDef | ast.AsyncFunctionDef, resolver: NameResolver
) -> dict[str, Any] | None:
    param = _first_param(node)
    if param is not None:
        found = _uses(node, param, resolver)
        if found["enqueues"] or found["defers"] or found["connects"]:
            return {"wraps": "plain", **found}
    for stmt in node.body:  # a decorator factory: ``def background(queue): def deco(func): ...``
        if isinstance(stmt, FUNCTIONS):
            inner = _first_param(stmt)
            if inner is None:
                continue
            found = _uses(stmt, inner, resolver)
            if found["enqueues"] or found["defers"] or found["connects"]:
                return {"wraps": "factory", **found}
    return None


@register_collector("wrappers", version=2)
def collect(tree: ast.Module, resolver: NameResolver, facts: ModuleFacts) -> dict[str, Any] | None:
    source = resolver.source
    if source is not None and not any(marker in source for marker in MARKERS):
        return None
    out: dict[str, Any] = {}
    for stmt in tree.body:
        if isinstance(stmt, FUNCTIONS):
            has_nested = any(isinstance(s, FUNCTIONS) for s in ast.walk(stmt) if s is not stmt)
            if not has_nested and not any(
                isinstance(s, ast.Call) and isinstance(s.func, (ast.Attribute, ast.Call))
                for s in ast.walk(stmt)
            ):
                continue
            found = _summary(stmt, resolver)
            if found is not None:
                out[stmt.name] = found
    return out or None
