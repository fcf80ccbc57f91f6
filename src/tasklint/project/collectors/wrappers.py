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
parameter, ``@background``), ``"factory"`` (a nested decorator's first parameter,
``@background(queue="x")``) or ``"both"`` (``def deco(func=None, *, opt=False)`` that
applies its nested decorator itself when given the function). ``forwards_args`` /
``forwards_kwargs`` say that every wrapper that enqueues takes ``*args, **kwargs`` and never
changes the positional / keyword ones, so those arguments of the call are the message's
(TQ207 and TQ208 read them only then). Nothing here decides whether the decorated function is a
task or the signal a model signal: the index and the rules resolve that.
"""

from __future__ import annotations

import ast
from typing import Any, Optional

from tasklint.project.facts import ModuleFacts, register_collector
from tasklint.syntax.names import NameResolver
from tasklint.syntax.walk import active_children, walk

FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)
ENQUEUE_METHODS = frozenset({"delay", "apply_async"})
MARKERS = (".delay(", ".apply_async(", ".connect(", "receiver(")
MUTATORS = frozenset({"pop", "popitem", "update", "setdefault", "clear", "__setitem__"})


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
        for sub in walk(stmt):
            if isinstance(sub, ast.Name) and sub.id == name and isinstance(sub.ctx, ast.Store):
                return True
    return False


def _uses(
    owner: ast.FunctionDef | ast.AsyncFunctionDef, param: str, resolver: NameResolver
) -> dict[str, Any]:
    """What ``owner``'s body (nested functions included) does with its parameter ``param``."""
    enqueues = defers = False
    # every wrapper that enqueues passes its positional / keyword arguments on unchanged
    forwards_args = forwards_kwargs = True
    connects: set[tuple[str, str]] = set()
    Item = tuple[ast.AST, Optional[ast.AST], bool]
    stack: list[Item] = [(stmt, None, False) for stmt in owner.body]
    while stack:
        node, wrapper, deferred = stack.pop()
        if isinstance(node, FUNCTIONS):
            if _binds(node, param):
                continue  # the name means something else in there
            wrapper = node
        nested = wrapper is not None
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
                kept = (
                    _forwards_unchanged(wrapper)
                    if isinstance(wrapper, FUNCTIONS)
                    else (False, False)
                )
                forwards_args = forwards_args and kept[0]
                forwards_kwargs = forwards_kwargs and kept[1]
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
        stack.extend([(child, wrapper, deferred) for child in active_children(node)])
    return {
        "enqueues": enqueues,
        "defers": defers,
        "forwards_args": forwards_args and (enqueues or defers),
        "forwards_kwargs": forwards_kwargs and (enqueues or defers),
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
                # ``def deco(func=None, *, opt=False): ... return decorator(func)`` serves
                # both ``@deco`` and ``@deco(opt=True)``
                both = param is not None and _applies(node, stmt.name, param)
                return {"wraps": "both" if both else "factory", **found}
    return None


def _applies(node: ast.FunctionDef | ast.AsyncFunctionDef, inner: str, param: str) -> bool:
    """Does ``node`` return ``inner(param)`` (applying its nested decorator itself)?"""
    for sub in walk(node):
        if (
            isinstance(sub, ast.Return)
            and isinstance(sub.value, ast.Call)
            and isinstance(sub.value.func, ast.Name)
            and sub.value.func.id == inner
            and len(sub.value.args) == 1
            and isinstance(sub.value.args[0], ast.Name)
            and sub.value.args[0].id == param
        ):
            return True
    return False


def _forwards_unchanged(wrapper: ast.FunctionDef | ast.AsyncFunctionDef) -> tuple[bool, bool]:
    """Whether ``def wrapper(*args, **kwargs)`` leaves ``args`` and ``kwargs`` unchanged (no
    rebinding, no ``kwargs.pop(...)``, ``kwargs["x"] = ...``, ``del kwargs[...]``)."""
    args = wrapper.args
    if args.vararg is None or args.kwarg is None or args.args or args.posonlyargs:
        return False, False
    changed: set[str] = set()
    names = {args.vararg.arg, args.kwarg.arg}
    for sub in walk(wrapper):
        if isinstance(sub, ast.Name) and sub.id in names and not isinstance(sub.ctx, ast.Load):
            changed.add(sub.id)
        elif (
            isinstance(sub, ast.Subscript)
            and isinstance(sub.value, ast.Name)
            and sub.value.id in names
            and not isinstance(sub.ctx, ast.Load)
        ):
            changed.add(sub.value.id)
        elif (
            isinstance(sub, ast.Call)
            and isinstance(sub.func, ast.Attribute)
            and isinstance(sub.func.value, ast.Name)
            and sub.func.value.id in names
            and sub.func.attr in MUTATORS
        ):
            changed.add(sub.func.value.id)
    return args.vararg.arg not in changed, args.kwarg.arg not in changed


def _has_nested_def(body: list[ast.stmt]) -> bool:
    """Is a ``def`` nested anywhere in these statements (statements only: a ``def`` cannot
    hide in an expression)?"""
    stack = list(body)
    while stack:
        stmt = stack.pop()
        if isinstance(stmt, FUNCTIONS):
            return True
        for name in ("body", "orelse", "finalbody"):
            block = getattr(stmt, name, None)
            if isinstance(block, list):
                stack.extend(x for x in block if isinstance(x, ast.stmt))
        for handler in getattr(stmt, "handlers", None) or []:
            stack.extend(handler.body)
        for case in getattr(stmt, "cases", None) or []:
            stack.extend(case.body)
    return False


@register_collector("wrappers", version=4)
def collect(tree: ast.Module, resolver: NameResolver, facts: ModuleFacts) -> dict[str, Any] | None:
    source = resolver.source
    if source is not None and not any(marker in source for marker in MARKERS):
        return None
    connects = source is None or ".connect(" in source or "receiver(" in source
    out: dict[str, Any] = {}
    for stmt in tree.body:
        if isinstance(stmt, FUNCTIONS) and (connects or _has_nested_def(stmt.body)):
            found = _summary(stmt, resolver)
            if found is not None:
                out[stmt.name] = found
    return out or None
