"""``ast.walk`` without its per-node generators: the same nodes in the same order."""

from __future__ import annotations

import ast
import re

# The tree being analysed (see share_walk) and its nodes once walked.
_SHARED: list[ast.AST | list[ast.AST] | None] = [None, None]


def share_walk(root: ast.AST | None) -> None:
    """Walk ``root`` at most once until the next call: every collector and rule that walks
    the whole module gets the same list (which callers must not modify). ``None`` ends it."""
    _SHARED[0] = root
    _SHARED[1] = None


def walk(node: ast.AST) -> list[ast.AST]:
    """Every node below ``node`` (itself first), breadth first, as ``ast.walk`` yields them.

    A list rather than a generator: ``ast.walk`` goes through ``iter_child_nodes`` and
    ``iter_fields`` for every node, which is most of its cost on large modules. The list
    of the tree given to share_walk is made once and shared: do not modify what you get.
    """
    if node is _SHARED[0] and node is not None:
        nodes = _SHARED[1]
        if not isinstance(nodes, list):
            nodes = _SHARED[1] = _walk(node)
        return nodes
    return _walk(node)


# Nodes that hold no node but an ``expr_context``: a traversal looking for calls,
# statements, defs or lambdas need not stack them.
INERT = (ast.Name, ast.Constant, ast.expr_context, ast.operator, ast.unaryop, ast.cmpop, ast.boolop)


def with_subclasses(*classes: type) -> frozenset[type]:
    """The classes and every subclass of them (``isinstance`` as one set lookup: parsed
    trees hold exact ``ast`` classes)."""
    found: set[type] = set()
    todo = list(classes)
    while todo:
        cls = todo.pop()
        if cls not in found:
            found.add(cls)
            todo.extend(cls.__subclasses__())
    return frozenset(found)


# The classes ``isinstance(node, INERT)`` is true of (a set: one lookup, not seven checks).
INERT_CLASSES = with_subclasses(*INERT)


_BLOCK_FIELDS = frozenset({"body", "orelse", "finalbody", "handlers", "cases"})
_BLOCKS: dict[type, tuple[str, ...]] = {}


def block_fields(cls: type) -> tuple[str, ...]:
    """The fields, in ``_fields`` order, of a module, statement, ``except`` handler or
    ``case`` class that hold its statements, handlers and cases (none for a simple statement).
    Statements are never below an expression: a walk through these fields from a statement
    reaches every statement below it, in the order ``walk`` gives them."""
    found = _BLOCKS.get(cls)
    if found is None:
        fields: tuple[str, ...] = getattr(cls, "_fields", ())
        found = _BLOCKS[cls] = tuple(f for f in fields if f in _BLOCK_FIELDS)
    return found


def statements(node: ast.AST) -> list[ast.AST]:
    """``node`` and every statement, handler and case below it, breadth first in ``walk``'s
    order (``[n for n in walk(node) if n is node or isinstance(n, (ast.stmt, ...))]`` for a
    statement ``node``), without visiting expressions."""
    out: list[ast.AST] = [node]
    i = 0
    while i < len(out):
        current = out[i]
        for name in block_fields(current.__class__):
            out.extend(getattr(current, name, None) or ())
        i += 1
    return out


def child_nodes(node: ast.AST) -> list[ast.AST]:
    """``list(ast.iter_child_nodes(node))``, the same nodes in the same order, faster."""
    out: list[ast.AST] = []
    cls = node.__class__
    layout = _LAYOUTS.get(cls)
    if layout is None:
        layout = _layout(cls)
    for name, how in layout:  # the same loop as in _walk
        value = getattr(node, name, None)
        if value is None:
            continue
        if how == 1 and value.__class__ is list:
            out.extend(value)
        elif isinstance(value, ast.AST):
            out.append(value)
        elif isinstance(value, list):
            out.extend([item for item in value if isinstance(item, ast.AST)])
    return out


def active_children(node: ast.AST) -> list[ast.AST]:
    """``[c for c in child_nodes(node) if not isinstance(c, INERT)]``: the same nodes in the
    same order, without the list of every child first."""
    out: list[ast.AST] = []
    cls = node.__class__
    layout = _LAYOUTS.get(cls)
    if layout is None:
        layout = _layout(cls)
    inert, node_class = INERT_CLASSES, ast.AST
    for name, _how in layout:
        value = getattr(node, name, None)
        if value is None:
            continue
        if value.__class__ is list:
            for item in value:
                if item.__class__ not in inert and isinstance(item, node_class):
                    out.append(item)
        elif value.__class__ not in inert and isinstance(value, node_class):
            out.append(value)
    return out


# Per node class: (field, how) for the fields that can hold nodes, in ``_fields`` order;
# how: 0 a node or None, 1 a list of nodes, 2 a list that may hold None too (``Dict.keys``,
# ``arguments.kw_defaults``), 3 unknown (checked item by item, as ast.iter_child_nodes does)
_LAYOUTS: dict[type, tuple[tuple[str, int], ...]] = {}
_SCALARS = frozenset({"identifier", "string", "constant", "int", "bytes", "object", "singleton"})
_MAY_HOLD_NONE = frozenset({("Dict", "keys"), ("arguments", "kw_defaults")})
_DOC_FIELD = re.compile(r"(\w+)([*?]?) (\w+)")


def _layout(cls: type) -> tuple[tuple[str, int], ...]:
    """The node-holding fields of an ``ast`` class, read from its ASDL signature (the class
    docstring: ``Dict(expr* keys, expr* values)``); every field is ``3`` if it cannot be read."""
    fields: tuple[str, ...] = getattr(cls, "_fields", ())
    doc = cls.__doc__ or ""
    name = cls.__name__
    found: dict[str, tuple[str, str]] = {}
    if doc.startswith(f"{name}(") and doc.endswith(")"):
        for kind, mark, field in _DOC_FIELD.findall(doc[len(name) + 1 : -1]):
            found[field] = (kind, mark)
    layout: list[tuple[str, int]] = []
    for field in fields:
        if field not in found:
            layout.append((field, 3))
            continue
        kind, mark = found[field]
        if kind in _SCALARS:
            continue
        if mark == "*":
            layout.append((field, 2 if (name, field) in _MAY_HOLD_NONE else 1))
        else:
            layout.append((field, 0))
    result = tuple(layout)
    _LAYOUTS[cls] = result
    return result


# For traversals of their own: ``CHILD_LAYOUTS.get(cls) or child_layout(cls)`` is the
# (field, how) layout above of a node class.
CHILD_LAYOUTS = _LAYOUTS


def child_layout(cls: type) -> tuple[tuple[str, int], ...]:
    """The (field, how) pairs of the fields of an ``ast`` class that can hold nodes."""
    found = _LAYOUTS.get(cls)
    return found if found is not None else _layout(cls)


def walk_active(node: ast.AST) -> list[ast.AST]:
    """Every node below ``node`` that is not inert, in ``walk``'s order, and maybe inert ones
    too: the shared walk of ``node`` when it is made already (see share_walk), else
    ``active_walk(node)``. For callers that skip the nodes they do not look for."""
    if node is _SHARED[0] and node is not None and isinstance(_SHARED[1], list):
        return _SHARED[1]
    return active_walk(node)


def active_walk(node: ast.AST) -> list[ast.AST]:
    """``[n for n in walk(node) if not isinstance(n, INERT)]`` (``node`` itself first even
    if inert): breadth first, in walk's order, without the names, constants, contexts and
    operators, which hold no other node (half the nodes of most code)."""
    todo: list[ast.AST] = [node]
    append = todo.append
    layouts, node_class, inert = _LAYOUTS, ast.AST, INERT_CLASSES
    for current in todo:
        cls = current.__class__
        layout = layouts.get(cls)
        if layout is None:
            layout = _layout(cls)
        for name, _how in layout:
            value = getattr(current, name, None)
            if value is None:
                continue
            if value.__class__ is list:
                for item in value:
                    if item.__class__ not in inert and isinstance(item, node_class):
                        append(item)
            elif value.__class__ not in inert and isinstance(value, node_class):
                append(value)
    return todo


def _walk(node: ast.AST) -> list[ast.AST]:
    todo: list[ast.AST] = [node]
    append, extend = todo.append, todo.extend
    layouts, node_class = _LAYOUTS, ast.AST
    # breadth first, as ast.walk: a list's iterator also yields the items appended to it
    # while it runs; the children loop is inline (a call per node was a fifth of the walk)
    for current in todo:
        cls = current.__class__
        layout = layouts.get(cls)
        if layout is None:
            layout = _layout(cls)
        for name, how in layout:
            value = getattr(current, name, None)
            if value is None:
                continue
            if how == 1 and value.__class__ is list:
                extend(value)
            elif isinstance(value, node_class):
                append(value)
            elif isinstance(value, list):
                extend([item for item in value if isinstance(item, node_class)])
    return todo
