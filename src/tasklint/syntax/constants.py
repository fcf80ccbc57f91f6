"""Static constant folding: ``30 * 60``, ``timedelta(minutes=5)``, ``45 * MINUTE``.

:func:`fold` is a pure function of one tree. Its result is a :class:`Value`:
- ``const``: a JSON-safe value known statically;
- ``name``: a reference to another name (a module constant here or in another project
  module, ``units.HOUR`` after ``import myproj.units as units``), resolved later by the
  project model;
- ``dict`` / ``list``: a container whose items are themselves Values (some symbolic or
  unknown);
- ``expr``: a symbolic expression over constants and names, kept as JSON-safe data so it
  can be cached with the module's facts and evaluated once the names are known:
  ``{"op": "binop", "operator": "Mult", "left": <value>, "right": <value>}``,
  ``{"op": "unary", "operator": "USub", "operand": <value>}``,
  ``{"op": "timedelta", "parts": [["minutes", <value>], ...]}``,
  ``{"op": "cast", "func": "int", "arg": <value>}``,
  ``{"op": "merge", "parts": [<value>, ...]}`` (``{**BASE, "x": 1}``, ``dict(**BASE)``);
- ``unknown``: set, but the value cannot be known (``int(os.environ["X"])``, a call...).

:func:`evaluate` turns a symbolic Value into a constant given a function that resolves a
qualified name (the project model supplies one that follows imports across modules).
Numbers that cannot be compared or converted (``inf``, ``nan``, integers of more than
``MAX_INT_BITS`` bits, complex numbers) are Unknown.
"""

from __future__ import annotations

import ast
import builtins
import operator
from typing import Any, Callable

from tasklint.syntax.names import NameResolver, Scope, dotted, root_name
from tasklint.syntax.values import Value, json_safe, safe_scalar

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
TIMEDELTA_MAX_SECONDS = 86400.0 * 999999999  # timedelta.max
TIMEDELTA_POSITIONAL = (
    "days",
    "seconds",
    "microseconds",
    "milliseconds",
    "minutes",
    "hours",
    "weeks",
)
BINOPS: dict[str, Callable[[Any, Any], Any]] = {
    "Add": operator.add,
    "Sub": operator.sub,
    "Mult": operator.mul,
    "Div": operator.truediv,
    "FloorDiv": operator.floordiv,
    "Mod": operator.mod,
    "Pow": operator.pow,
    "BitOr": operator.or_,
}
BUILTIN_NAMES = frozenset(dir(builtins))
UNARY = frozenset({"USub", "UAdd", "Not"})
CASTS: dict[str, Callable[[Any], Any]] = {"int": int, "float": float, "str": str, "bool": bool}
# kinds that may become constants once names are resolved
SYMBOLIC = frozenset({"const", "name", "expr", "dict", "list"})
MAX_DEPTH = 30
UNKNOWN = Value("unknown")

NameLookup = Callable[[str, int], Value]


def _number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _const(value: Any) -> Value:
    """A constant Value, or Unknown when it is not JSON-safe (huge int, inf, nan...)."""
    if isinstance(value, (str, bool)) or value is None:
        return Value("const", value)  # the common case, without the container walk
    try:
        return Value("const", json_safe(value))
    except ValueError:
        return UNKNOWN


# -- operations on constants (shared by folding and evaluation) ----------------------------
def apply_binop(op: str, lv: Any, rv: Any) -> Value:
    func = BINOPS.get(op)
    if func is None:
        return UNKNOWN
    if _number(lv) and _number(rv):
        if op == "BitOr" or (op == "Pow" and abs(rv) > 64):
            return UNKNOWN
    elif op == "Add" and type(lv) is type(rv) and isinstance(lv, (str, list)):
        pass
    elif op == "BitOr" and isinstance(lv, dict) and isinstance(rv, dict):
        return _const({**lv, **rv})
    else:
        return UNKNOWN
    if not (safe_scalar(lv) or isinstance(lv, list)) or not (
        safe_scalar(rv) or isinstance(rv, list)
    ):
        return UNKNOWN
    try:
        result = func(lv, rv)
    except (ArithmeticError, ValueError, TypeError, MemoryError):
        return UNKNOWN
    if isinstance(result, complex):
        return UNKNOWN  # (-8) ** 0.5
    return _const(result)


def apply_unary(op: str, v: Any) -> Value:
    if op == "USub" and _number(v) and safe_scalar(v):
        return _const(-v)
    if op == "UAdd" and _number(v) and safe_scalar(v):
        return _const(v)
    if op == "Not" and (safe_scalar(v) or isinstance(v, (list, dict))):
        return Value("const", not v)
    return UNKNOWN


def apply_cast(name: str, v: Any) -> Value:
    cast = CASTS.get(name)
    if cast is None or not safe_scalar(v):
        return UNKNOWN
    if name == "str" and not isinstance(v, str):
        return UNKNOWN  # str(3.0) and friends: nothing a setting needs
    try:
        return _const(cast(v))
    except (ArithmeticError, ValueError, TypeError):
        return UNKNOWN


def timedelta_seconds(parts: list[tuple[str, Any]]) -> Value:
    total = 0.0
    for unit, v in parts:
        if unit not in TIMEDELTA_UNITS or not _number(v) or not safe_scalar(v):
            return UNKNOWN
        total += v * TIMEDELTA_UNITS[unit]
    if abs(total) > TIMEDELTA_MAX_SECONDS:
        return UNKNOWN  # Python raises OverflowError for it
    return _const(total)


def merge_dicts(parts: list[Any]) -> Value:
    merged: dict[str, Any] = {}
    for part in parts:
        if not isinstance(part, dict):
            return UNKNOWN
        merged.update(part)
    return _const(merged)


# -- folding one tree ------------------------------------------------------------------------
def fold(
    expr: ast.AST, resolver: NameResolver, scope: Scope | None = None, depth: int = 0
) -> Value:
    """Fold an expression to a Value (never raises)."""
    try:
        return _fold(expr, resolver, scope, depth)
    except (ArithmeticError, ValueError, TypeError, RecursionError, MemoryError):
        return UNKNOWN


def _symbolic(*values: Value) -> bool:
    return all(v.kind in SYMBOLIC for v in values)


def _fold(expr: ast.AST, resolver: NameResolver, scope: Scope | None, depth: int) -> Value:
    if depth > MAX_DEPTH:
        return UNKNOWN
    if isinstance(expr, ast.Constant):
        value = expr.value
        if isinstance(value, (bytes, complex)) or value is Ellipsis:
            return UNKNOWN
        return _const(value)
    if isinstance(expr, ast.JoinedStr) and all(
        isinstance(part, ast.Constant) and isinstance(part.value, str) for part in expr.values
    ):
        # an f-string without placeholders is a plain string
        return Value("const", "".join(part.value for part in expr.values))  # type: ignore[attr-defined]
    if isinstance(expr, (ast.Name, ast.Attribute)):
        return _name(expr, resolver, scope, depth)
    if isinstance(expr, ast.UnaryOp):
        inner = _fold(expr.operand, resolver, scope, depth + 1)
        op = type(expr.op).__name__
        if inner.kind == "const":
            return apply_unary(op, inner.value)
        if op in UNARY and _symbolic(inner):
            return Value("expr", {"op": "unary", "operator": op, "operand": inner.__dict__})
        return UNKNOWN
    if isinstance(expr, ast.BinOp):
        op = type(expr.op).__name__
        if op not in BINOPS:
            return UNKNOWN
        left = _fold(expr.left, resolver, scope, depth + 1)
        right = _fold(expr.right, resolver, scope, depth + 1)
        if left.kind == "const" and right.kind == "const":
            return apply_binop(op, left.value, right.value)
        if _symbolic(left, right):
            return Value(
                "expr",
                {"op": "binop", "operator": op, "left": left.__dict__, "right": right.__dict__},
            )
        return UNKNOWN
    if isinstance(expr, (ast.List, ast.Tuple, ast.Set)):
        # a ``*OTHER`` item is an unknown item: the list's length is unknown, but what it
        # surely contains (``Exception`` for TQ106) is still seen
        items = [_fold(e, resolver, scope, depth + 1) for e in expr.elts]
        if all(i.kind == "const" for i in items):
            return Value("const", [i.value for i in items])  # items are JSON-safe already
        return Value("list", [i.__dict__ for i in items])
    if isinstance(expr, ast.Dict):
        return _dict(list(zip(expr.keys, expr.values)), resolver, scope, depth)
    if isinstance(expr, ast.Call):
        return _call(expr, resolver, scope, depth)
    return UNKNOWN


def _name(
    expr: ast.Name | ast.Attribute, resolver: NameResolver, scope: Scope | None, depth: int
) -> Value:
    current = scope or resolver.module_scope
    if isinstance(expr, ast.Name) and expr.id in ("True", "False", "None"):
        return Value("const", {"True": True, "False": False, "None": None}[expr.id])
    root = root_name(expr)
    if root is not None and resolver.lookup(root.id, current) is None:
        if root.id in BUILTIN_NAMES:
            qn: str | None = dotted(expr)
            return Value("name", qualname=f"builtins.{qn}") if qn else UNKNOWN
        # bound by no statement here: a ``from .units import *`` may bind it (the project
        # model follows star imports; a name no star import binds stays unknown)
        qn = dotted(expr)
        if qn and resolver.module:
            return Value("name", qualname=f"{resolver.module}.{qn}")
        return UNKNOWN
    qn = resolver.qualname(expr, scope)
    if qn is not None:
        return Value("name", qualname=qn)
    if isinstance(expr, ast.Name) and current.is_function:
        # a local variable assigned exactly once in this function: its value
        local = resolver.local_value(expr.id, current)
        if local is not None:
            value, owner = local
            return _fold(value, resolver, owner, depth + 1)
    return UNKNOWN


def _dict(
    items: list[tuple[ast.expr | None, ast.expr]],
    resolver: NameResolver,
    scope: Scope | None,
    depth: int,
) -> Value:
    """A dict display; ``**NAME`` entries make a ``merge`` of the parts, in order."""
    parts: list[Value] = []
    entries: dict[str, Value] = {}

    def close() -> None:
        if entries:
            parts.append(_entries(entries))
            entries.clear()

    for key, item in items:
        if key is None:
            splat = _fold(item, resolver, scope, depth + 1)
            if not _symbolic(splat):
                return UNKNOWN  # **splat of something unknown: keys unknown
            close()
            parts.append(splat)
            continue
        k = _fold(key, resolver, scope, depth + 1)
        if k.kind != "const" or not isinstance(k.value, str):
            return UNKNOWN
        entries.pop(k.value, None)  # a repeated key keeps its last position and value
        entries[k.value] = _fold(item, resolver, scope, depth + 1)
    close()
    if not parts:
        return Value("const", {})
    if len(parts) == 1 and parts[0].kind in ("const", "dict"):
        return parts[0]
    if all(p.kind == "const" for p in parts):
        return merge_dicts([p.value for p in parts])
    return Value("expr", {"op": "merge", "parts": [p.__dict__ for p in parts]})


def _entries(entries: dict[str, Value]) -> Value:
    if all(v.kind == "const" for v in entries.values()):
        return Value("const", {k: v.value for k, v in entries.items()})
    return Value("dict", {k: v.__dict__ for k, v in entries.items()})


def _builtin(
    func: ast.expr, names: tuple[str, ...], resolver: NameResolver, scope: Scope | None
) -> bool:
    return (
        isinstance(func, ast.Name)
        and func.id in names
        and resolver.lookup(func.id, scope or resolver.module_scope) is None
    )


def _call(call: ast.Call, resolver: NameResolver, scope: Scope | None, depth: int) -> Value:
    func = call.func
    if resolver.qualname(func, scope) in TIMEDELTA:
        return _timedelta(call, resolver, scope, depth)
    if (
        isinstance(func, ast.Attribute)
        and func.attr == "total_seconds"
        and not call.args
        and not call.keywords
        and isinstance(func.value, ast.Call)
        and resolver.qualname(func.value.func, scope) in TIMEDELTA
    ):
        return _timedelta(func.value, resolver, scope, depth)  # seconds already
    if _builtin(func, tuple(CASTS), resolver, scope) and len(call.args) == 1 and not call.keywords:
        name = func.id  # type: ignore[attr-defined]
        inner = _fold(call.args[0], resolver, scope, depth + 1)
        if inner.kind == "const":
            return apply_cast(name, inner.value)
        if _symbolic(inner):
            return Value("expr", {"op": "cast", "func": name, "arg": inner.__dict__})
        return UNKNOWN
    if _builtin(func, ("dict",), resolver, scope) and not call.args:
        # dict(a=1, **BASE): a dict display in call form
        items: list[tuple[ast.expr | None, ast.expr]] = [
            (None if kw.arg is None else ast.Constant(kw.arg), kw.value) for kw in call.keywords
        ]
        return _dict(items, resolver, scope, depth)
    return UNKNOWN


def _timedelta(call: ast.Call, resolver: NameResolver, scope: Scope | None, depth: int) -> Value:
    parts: list[tuple[str, Value]] = []
    if len(call.args) > len(TIMEDELTA_POSITIONAL):
        return UNKNOWN
    for i, arg in enumerate(call.args):
        parts.append((TIMEDELTA_POSITIONAL[i], _fold(arg, resolver, scope, depth + 1)))
    for kw in call.keywords:
        if kw.arg not in TIMEDELTA_UNITS:
            return UNKNOWN
        parts.append((kw.arg, _fold(kw.value, resolver, scope, depth + 1)))
    if all(v.kind == "const" for _, v in parts):
        return timedelta_seconds([(unit, v.value) for unit, v in parts])
    if all(v.kind in ("const", "name", "expr") for _, v in parts):
        return Value("expr", {"op": "timedelta", "parts": [[u, v.__dict__] for u, v in parts]})
    return UNKNOWN


# -- evaluating a symbolic value ---------------------------------------------------------------
def as_value(raw: Any) -> Value:
    """A Value from its JSON form (or itself); anything malformed is Unknown."""
    if isinstance(raw, Value):
        return raw
    if isinstance(raw, dict) and isinstance(raw.get("kind"), str):
        return Value(raw["kind"], raw.get("value"), raw.get("qualname"))
    return UNKNOWN


def evaluate(value: Value, lookup: NameLookup, depth: int = 0) -> Value:
    """Resolve the names of a (symbolic) Value and compute what can be computed.

    ``lookup(qualname, depth)`` returns the resolved Value of a name (``const``, a
    container, a ``name`` outside the project, or ``unknown``); ``depth`` counts the names
    followed so far so that chains too long to follow give Unknown. Never raises.
    """
    try:
        return _evaluate(value, lookup, depth)
    except (ArithmeticError, ValueError, TypeError, RecursionError, MemoryError):
        return UNKNOWN


def _evaluate(value: Value, lookup: NameLookup, depth: int) -> Value:
    if depth > MAX_DEPTH:
        return UNKNOWN
    kind = value.kind
    if kind == "const":
        return value if _const(value.value).kind == "const" else UNKNOWN
    if kind == "name":
        return lookup(value.qualname, depth) if value.qualname else UNKNOWN
    if kind == "dict" and isinstance(value.value, dict):
        entries = {
            str(k): _evaluate(as_value(v), lookup, depth + 1) for k, v in value.value.items()
        }
        return _entries(entries)
    if kind == "list" and isinstance(value.value, list):
        items = [_evaluate(as_value(v), lookup, depth + 1) for v in value.value]
        if all(i.kind == "const" for i in items):
            return _const([i.value for i in items])
        return Value("list", [i.__dict__ for i in items])
    if kind == "expr" and isinstance(value.value, dict):
        return _expr(value.value, lookup, depth)
    return UNKNOWN


def _expr(data: dict[str, Any], lookup: NameLookup, depth: int) -> Value:
    def const(raw: Any) -> Value:
        return _evaluate(as_value(raw), lookup, depth + 1)

    op = data.get("op")
    if op == "binop":
        left, right = const(data.get("left")), const(data.get("right"))
        if left.kind == "const" and right.kind == "const":
            return apply_binop(str(data.get("operator")), left.value, right.value)
        return UNKNOWN
    if op == "unary":
        inner = const(data.get("operand"))
        if inner.kind == "const":
            return apply_unary(str(data.get("operator")), inner.value)
        return UNKNOWN
    if op == "cast":
        inner = const(data.get("arg"))
        if inner.kind == "const":
            return apply_cast(str(data.get("func")), inner.value)
        return UNKNOWN
    if op == "timedelta":
        parts: list[tuple[str, Any]] = []
        for part in data.get("parts") or []:
            if not isinstance(part, list) or len(part) != 2:
                return UNKNOWN
            v = const(part[1])
            if v.kind != "const":
                return UNKNOWN
            parts.append((str(part[0]), v.value))
        return timedelta_seconds(parts)
    if op == "merge":
        merged: dict[str, Any] = {}
        for part in data.get("parts") or []:
            v = const(part)
            if v.kind == "const" and isinstance(v.value, dict):
                merged.update({k: Value("const", x).__dict__ for k, x in v.value.items()})
            elif v.kind == "dict" and isinstance(v.value, dict):
                merged.update(v.value)
            else:
                return UNKNOWN  # keys unknown
        return _entries({k: as_value(x) for k, x in merged.items()})
    return UNKNOWN
