"""Django model-signal receivers: which module-level functions receive which signal.

A receiver is a function decorated by ``@receiver(signal, ...)``, passed to
``signal.connect(...)`` (in its module or, by dotted path, in another project module such as
``AppConfig.ready()``), or decorated by a project decorator that does either with the
function it decorates (RULES.md, "Signal receivers").
"""

from __future__ import annotations

import ast
from dataclasses import replace

from tasklint.analysis.enqueue import decorator_wrapper
from tasklint.project.context import FileContext
from tasklint.project.index import ProjectIndex
from tasklint.syntax.walk import walk

SIGNALS = frozenset(
    {
        f"django.db.models.signals.{name}"
        for name in ("post_save", "post_delete", "m2m_changed", "pre_save", "pre_delete")
    }
)
RECEIVER = frozenset({"django.dispatch.receiver", "django.dispatch.dispatcher.receiver"})


def _signal_names(expr: ast.expr, ctx: FileContext) -> list[str]:
    exprs = list(expr.elts) if isinstance(expr, (ast.List, ast.Tuple)) else [expr]
    out = []
    for e in exprs:
        qn = ctx.index.canonical(ctx.resolver.qualname(e))
        if qn in SIGNALS:
            out.append(qn.rsplit(".", 1)[-1])
    return out


def _decorator_signal(dec: ast.expr, ctx: FileContext) -> str | None:
    """The model signal a project decorator connects the function it decorates to."""
    target = dec.func if isinstance(dec, ast.Call) else dec
    wrapper = decorator_wrapper(ctx.index, ctx.resolver.qualname(target))
    usable = ("factory", "both") if isinstance(dec, ast.Call) else ("plain", "both")
    if wrapper is None or wrapper.get("wraps") not in usable:
        return None
    connects = wrapper.get("connects")
    for pair in connects if isinstance(connects, list) else []:
        if not isinstance(pair, list) or len(pair) != 2:
            continue
        how, signal = str(pair[0]), ctx.index.canonical(str(pair[1]))
        if how != "connect" and ctx.index.canonical(how) not in RECEIVER:
            continue
        if signal in SIGNALS:
            return signal.rsplit(".", 1)[-1]
    return None


def receivers(ctx: FileContext) -> dict[str, str]:
    """Module-level function name -> the model signal it receives (memoised per file):
    ``@receiver(signal)``, ``signal.connect(handler)`` in the module, or a project decorator
    that does either with the function it decorates."""
    memo = ctx.memo.get("tq204_receivers")
    if isinstance(memo, dict):
        return memo
    found: dict[str, str] = {}
    for stmt in ctx.tree.body:
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for dec in stmt.decorator_list:
                if (
                    isinstance(dec, ast.Call)
                    and dec.args
                    and ctx.index.canonical(ctx.resolver.qualname(dec.func)) in RECEIVER
                ):
                    names = _signal_names(dec.args[0], ctx)
                    if names:
                        found[stmt.name] = names[0]
                        break
                signal = _decorator_signal(dec, ctx)
                if signal is not None:
                    found[stmt.name] = signal
                    break
    for name, signal in connected_elsewhere(ctx.index).get(ctx.module, {}).items():
        found.setdefault(name, signal)
    connects = any(".connect(" in line for line in ctx.lines)
    connects_methods = False  # some ``X.connect(Y.m)``: what _method_receivers looks for
    for node in walk(ctx.tree) if connects else ():
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "connect"
            and node.args
        ):
            first = node.args[0]
            if isinstance(first, ast.Name):
                names = _signal_names(node.func.value, ctx)
                if names:
                    found.setdefault(first.id, names[0])
            elif isinstance(first, ast.Attribute) and isinstance(first.value, ast.Name):
                connects_methods = True
    if connects_methods:
        _method_receivers(ctx, found)
    ctx.memo["tq204_receivers"] = found
    return found


def _method_receivers(ctx: FileContext, found: dict[str, str]) -> None:
    """``signal.connect(self.m)`` / ``connect(cls.m)`` inside a module-level class (an
    ``AppConfig.ready()``), or ``connect(C.m)`` anywhere in the module: the receiver is the
    method ``C.m`` (key ``"C.m"``), when ``C`` defines ``m`` itself."""
    classes = {
        stmt.name: {
            f.name for f in stmt.body if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef))
        }
        for stmt in ctx.tree.body
        if isinstance(stmt, ast.ClassDef)
    }
    if not classes:
        return

    def record(call: ast.Call, owner: str | None) -> None:
        if not (
            isinstance(call.func, ast.Attribute)
            and call.func.attr == "connect"
            and call.args
            and isinstance(call.args[0], ast.Attribute)
            and isinstance(call.args[0].value, ast.Name)
        ):
            return
        holder, method = call.args[0].value.id, call.args[0].attr
        cls = owner if holder in ("self", "cls") else holder
        if cls is None or method not in classes.get(cls, ()):
            return
        names = _signal_names(call.func.value, ctx)
        if names:
            found.setdefault(f"{cls}.{method}", names[0])

    for stmt in ctx.tree.body:
        owner = stmt.name if isinstance(stmt, ast.ClassDef) else None
        for node in walk(stmt):
            if isinstance(node, ast.Call):
                record(node, owner)


def connected_elsewhere(index: ProjectIndex) -> dict[str, dict[str, str]]:
    """Module -> {function name: model signal} for receivers that some project module
    connects with ``<signal>.connect(<module>.<function>, ...)`` (``AppConfig.ready()``)."""
    memo = index.__dict__.get("_tq204_connected")
    if isinstance(memo, dict):
        return memo
    out: dict[str, dict[str, str]] = {}
    for facts in index.modules.values():
        data = facts.extras.get("signal_connections")
        if not isinstance(data, dict):
            continue
        for entry in data.get("connects", []):
            if not isinstance(entry, list) or len(entry) < 2:
                continue
            signal = index.canonical(str(entry[1]))
            if signal not in SIGNALS:
                continue
            target = index.resolve(str(entry[0]))
            if target.module is None or target.name is None:
                continue
            if len(target.rest) == 1:  # ``connect(Model.method)``: a method of a project class
                klass = index.klass(replace(target, rest=()))
                if klass is None or target.rest[0] not in klass.methods:
                    continue
                key = f"{target.name}.{target.rest[0]}"
            elif target.rest or index.function(target) is None:
                continue
            else:
                key = target.name
            out.setdefault(target.module, {}).setdefault(key, signal.rsplit(".", 1)[-1])
    index.__dict__["_tq204_connected"] = out
    return out


def connecting_decorators(index: ProjectIndex) -> tuple[str, ...]:
    """Names of project functions that connect the function they decorate to a signal."""
    names: set[str] = set()
    for facts in index.modules.values():
        data = facts.extras.get("wrappers")
        if isinstance(data, dict):
            names.update(
                name for name, w in data.items() if isinstance(w, dict) and w.get("connects")
            )
    return tuple(sorted(names))
