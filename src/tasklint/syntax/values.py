"""Statically known values: constants, qualified names, or unknown (pure data, JSON-safe)."""

from __future__ import annotations

import ast
import math
from dataclasses import dataclass
from typing import Any

from tasklint.syntax.names import NameResolver, Scope

# integers beyond this many bits are Unknown: they cannot be written as JSON text past
# Python's 4,300-digit limit, and no task option or setting needs them
MAX_INT_BITS = 128
# nesting of JSON data: symbolic values (syntax.constants, at most 30 expression levels,
# two JSON levels each) inside collector records must fit
MAX_JSON_DEPTH = 100
# a duration or count beyond this (about 31,700 years in seconds) is of the wrong kind
MAX_NUMBER = 10**12


def safe_scalar(value: Any) -> bool:
    """A scalar every rule can compare and convert: no huge int, no ``inf``/``nan``."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return True
    if isinstance(value, int):
        return value.bit_length() <= MAX_INT_BITS
    if isinstance(value, float):
        return math.isfinite(value)
    return False


def as_number(value: Any) -> float | None:
    """A duration or count as a float: None for anything else (bool, str, ``inf``, ``nan``,
    a negative or huge number, a container) -- a value of the wrong kind is Unknown."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not safe_scalar(value):
        return None
    number = float(value)
    if not math.isfinite(number) or number < 0 or number > MAX_NUMBER:
        return None
    return number


def json_safe(value: Any, depth: int = 0) -> Any:
    """A literal as JSON-native data (tuples and sets become lists); raises ValueError.

    Integers wider than ``MAX_INT_BITS`` and non-finite floats raise too: a value that
    cannot be written, compared or converted is Unknown.
    """
    if depth > MAX_JSON_DEPTH:
        raise ValueError("too deep")
    if value is None or isinstance(value, (bool, int, float, str)):
        if not safe_scalar(value):
            raise ValueError("number out of range")
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

    # "const", "name", "unknown"; containers with Value items: "dict", "list"; and
    # "expr": a symbolic expression over constants and names (see syntax.constants)
    kind: str
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
