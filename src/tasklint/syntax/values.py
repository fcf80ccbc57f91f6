"""Statically known values: constants, qualified names, or unknown (pure data, JSON-safe)."""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import Any

from tasklint.syntax.names import NameResolver, Scope


def json_safe(value: Any, depth: int = 0) -> Any:
    """A literal as JSON-native data (tuples and sets become lists); raises ValueError."""
    if depth > 20:
        raise ValueError("too deep")
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (list, tuple)):
        return [json_safe(v, depth + 1) for v in value]
    if isinstance(value, (set, frozenset)):
        items = [json_safe(v, depth + 1) for v in value]
        try:
            return sorted(items)
        except TypeError:
            return items
    if isinstance(value, dict):
        if not all(isinstance(k, str) for k in value):
            raise ValueError("non-string keys")
        return {k: json_safe(v, depth + 1) for k, v in value.items()}
    raise ValueError(f"not JSON-safe: {type(value).__name__}")


def literal(expr: ast.expr) -> Any:
    """``ast.literal_eval`` restricted to JSON-safe results; raises ValueError."""
    try:
        return json_safe(ast.literal_eval(expr))
    except (TypeError, SyntaxError, MemoryError, RecursionError) as exc:
        raise ValueError(str(exc)) from None


@dataclass
class Value:
    """A statically summarised expression: a constant, a qualified name, or unknown."""

    kind: str  # "const", "name", "unknown"
    value: Any = None
    qualname: str | None = None

    @classmethod
    def of(cls, expr: ast.expr, resolver: NameResolver, scope: Scope | None = None) -> Value:
        try:
            return cls("const", literal(expr))
        except ValueError:
            pass
        qn = resolver.qualname(expr, scope)
        if qn is not None:
            return cls("name", qualname=qn)
        return cls("unknown")
