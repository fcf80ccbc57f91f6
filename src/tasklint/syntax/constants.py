"""Static constant folding: ``30 * 60``, ``timedelta(minutes=5)``, module constants.

The result is a :class:`tasklint.project.facts.Value`:
- ``const``: a JSON-safe value known statically;
- ``name``: a reference to another name (a module constant here or in another project
  module), resolved later by the project index;
- ``dict``: a dict literal whose values are themselves Values (some may be unknown);
- ``unknown``: set, but the value cannot be known (``int(os.environ["X"])``, a call...).
"""

from __future__ import annotations

import ast
import math
import operator
from typing import Any, Callable

from tasklint.syntax.names import NameResolver, Scope
from tasklint.syntax.values import Value, json_safe

TIMEDELTA = frozenset({"datetime.timedelta"})
TIMEDELTA_UNITS = {
    "days": 86400.0,
    "seconds": 1.0,
    "microseconds": 1e-6,
    "milliseconds": 1e-3,
    "minutes": 60.0,
    "hours": 3600.0,
    "weeks": 604800.0,
}
TIMEDELTA_POSITIONAL = (
    "days",
    "seconds",
    "microseconds",
    "milliseconds",
    "minutes",
    "hours",
    "weeks",
)
BINOPS: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
    ast.Pow: operator.pow,
}
UNKNOWN = Value("unknown")


def _number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def fold(
    expr: ast.AST, resolver: NameResolver, scope: Scope | None = None, depth: int = 0
) -> Value:
    """Fold an expression to a Value (never raises)."""
    try:
        return _fold(expr, resolver, scope, depth)
    except (ArithmeticError, ValueError, TypeError, RecursionError, MemoryError):
        return UNKNOWN


def _fold(expr: ast.AST, resolver: NameResolver, scope: Scope | None, depth: int) -> Value:
    if depth > 30:
        return UNKNOWN
    if isinstance(expr, ast.Constant):
        value = expr.value
        if isinstance(value, (bytes, complex)) or value is Ellipsis:
            return UNKNOWN
        return Value("const", value)
    if isinstance(expr, ast.JoinedStr) and all(
        isinstance(part, ast.Constant) and isinstance(part.value, str) for part in expr.values
    ):
        # an f-string without placeholders is a plain string
        return Value("const", "".join(part.value for part in expr.values))  # type: ignore[attr-defined]
    if isinstance(expr, (ast.Name, ast.Attribute)):
        if isinstance(expr, ast.Name) and expr.id in ("True", "False", "None"):
            return Value("const", {"True": True, "False": False, "None": None}[expr.id])
        if (
            isinstance(expr, ast.Name)
            and resolver.lookup(expr.id, scope or resolver.module_scope) is None
        ):
            return Value("name", qualname=f"builtins.{expr.id}")
        qn = resolver.qualname(expr, scope)
        if qn is not None:
            return Value("name", qualname=qn)
        return UNKNOWN
    if isinstance(expr, ast.UnaryOp):
        inner = _fold(expr.operand, resolver, scope, depth + 1)
        if inner.kind != "const":
            return UNKNOWN
        if isinstance(expr.op, ast.USub) and _number(inner.value):
            return Value("const", -inner.value)
        if isinstance(expr.op, ast.UAdd) and _number(inner.value):
            return Value("const", inner.value)
        if isinstance(expr.op, ast.Not):
            return Value("const", not inner.value)
        return UNKNOWN
    if isinstance(expr, ast.BinOp):
        left = _fold(expr.left, resolver, scope, depth + 1)
        right = _fold(expr.right, resolver, scope, depth + 1)
        op = BINOPS.get(type(expr.op))
        if op is None or left.kind != "const" or right.kind != "const":
            return UNKNOWN
        lv, rv = left.value, right.value
        if _number(lv) and _number(rv):
            if isinstance(expr.op, ast.Pow) and abs(rv) > 64:
                return UNKNOWN
        elif isinstance(expr.op, ast.Add) and type(lv) is type(rv) and isinstance(lv, (str, list)):
            pass
        else:
            return UNKNOWN
        result = op(left.value, right.value)
        if isinstance(result, float) and not math.isfinite(result):
            return UNKNOWN
        return Value("const", json_safe(result))
    if isinstance(expr, (ast.List, ast.Tuple, ast.Set)):
        items = [_fold(e, resolver, scope, depth + 1) for e in expr.elts]
        if all(i.kind == "const" for i in items):
            return Value("const", [i.value for i in items])
        return Value("list", [i.__dict__ for i in items])
    if isinstance(expr, ast.Dict):
        entries: dict[str, Any] = {}
        for key, item in zip(expr.keys, expr.values):
            if key is None:
                return UNKNOWN  # **splat: keys unknown
            k = _fold(key, resolver, scope, depth + 1)
            if k.kind != "const" or not isinstance(k.value, str):
                return UNKNOWN
            entries[k.value] = _fold(item, resolver, scope, depth + 1)
        if all(v.kind == "const" for v in entries.values()):
            return Value("const", {k: v.value for k, v in entries.items()})
        return Value("dict", {k: v.__dict__ for k, v in entries.items()})
    if isinstance(expr, ast.Call):
        qn = resolver.qualname(expr.func, scope)
        if qn in TIMEDELTA:
            return _timedelta(expr, resolver, scope, depth)
        if (
            isinstance(expr.func, ast.Name)
            and expr.func.id in ("int", "float", "str", "bool")
            and resolver.lookup(expr.func.id, scope or resolver.module_scope) is None
            and len(expr.args) == 1
            and not expr.keywords
        ):
            qn = expr.func.id
            # builtins (unless shadowed: qualname of a module-level def would be module.name)
            inner = _fold(expr.args[0], resolver, scope, depth + 1)
            if inner.kind == "const":
                cast = {"int": int, "float": float, "str": str, "bool": bool}[qn]
                return Value("const", json_safe(cast(inner.value)))
        return UNKNOWN
    return UNKNOWN


def _timedelta(call: ast.Call, resolver: NameResolver, scope: Scope | None, depth: int) -> Value:
    total = 0.0
    for i, arg in enumerate(call.args):
        v = _fold(arg, resolver, scope, depth + 1)
        if v.kind != "const" or not _number(v.value) or i >= len(TIMEDELTA_POSITIONAL):
            return UNKNOWN
        total += v.value * TIMEDELTA_UNITS[TIMEDELTA_POSITIONAL[i]]
    for kw in call.keywords:
        if kw.arg not in TIMEDELTA_UNITS:
            return UNKNOWN
        v = _fold(kw.value, resolver, scope, depth + 1)
        if v.kind != "const" or not _number(v.value):
            return UNKNOWN
        total += v.value * TIMEDELTA_UNITS[kw.arg]
    return Value("const", total)
