"""Values over names: resolve the symbolic Values of module facts across the project.

The per-module fold (:mod:`tasklint.syntax.constants`) records ``45 * MINUTE`` as an
expression over the qualified name ``myproj.units.MINUTE``; here the name is followed —
through imports, import chains, ``from .units import *`` and module attributes — to the
module-level assignment that binds it, whose own folded value is resolved in turn.

What cannot be followed is Unknown, never Absent: a name bound several times (unless every
binding is the same constant), a chain of names deeper than ``MAX_DEPTH``, a name that
only a star import of a missing or unparsed module could bind, anything outside the
project.
"""

from __future__ import annotations

from tasklint.project.facts import ModuleFacts, SymbolFact
from tasklint.project.index import ProjectIndex, Target
from tasklint.syntax.constants import MAX_DEPTH, evaluate
from tasklint.syntax.values import Value

UNKNOWN = Value("unknown")
# names followed through star imports, per lookup
MAX_STAR_DEPTH = 10
_MEMO_ATTR = "_value_memo"


def resolve_value(index: ProjectIndex, value: Value, depth: int = 0) -> Value:
    """The value with every project name resolved and every computable part computed.

    Returns ``const`` when everything is known, ``dict``/``list`` when a container has
    some unknown items, ``name`` for a single name outside the project (``celery.Task``,
    ``builtins.Exception``), else ``unknown``.
    """
    return evaluate(value, lambda qualname, d: resolve_name(index, qualname, d), depth)


def resolve_name(index: ProjectIndex, qualname: str, depth: int = 0) -> Value:
    """The value a qualified name is bound to (memoised per index and depth)."""
    if depth > MAX_DEPTH:
        return UNKNOWN
    memo: dict[tuple[str, int], Value] | None = index.__dict__.get(_MEMO_ATTR)
    if memo is None:
        memo = {}
        index.__dict__[_MEMO_ATTR] = memo
    key = (qualname, depth)
    found = memo.get(key)
    if found is None:
        memo[key] = UNKNOWN  # a name that refers back to itself is unknown
        found = _resolve_name(index, qualname, depth)
        memo[key] = found
    return found


def _resolve_name(index: ProjectIndex, qualname: str, depth: int) -> Value:
    target = index.resolve(qualname)
    if target.external is not None:
        return Value("name", qualname=target.external)  # outside the project: keep the name
    if target.module is None or target.name is None:
        return UNKNOWN  # a module object
    located = _locate(index, target.module, target.name, 0)
    if located is None:
        return UNKNOWN
    facts, sym = located
    if sym.kind in ("import", "ambiguous", "def"):
        if sym.kind == "import" and sym.target:
            # an import ``index.resolve`` did not follow (found through a star import)
            return resolve_name(index, ".".join([sym.target, *target.rest]), depth + 1)
        return UNKNOWN
    if sym.kind == "class":
        return _class_attribute(index, facts, target, depth)
    if target.rest:
        return UNKNOWN  # an attribute of a value (``CONFIG.x``): not followed
    if sym.folded is not None:
        return resolve_value(index, sym.folded, depth + 1)
    if sym.kind == "const":
        return Value("const", sym.value)
    if sym.kind == "alias" and sym.target:
        return resolve_name(index, sym.target, depth + 1)
    return UNKNOWN


def _locate(
    index: ProjectIndex, module: str, name: str, star_depth: int
) -> tuple[ModuleFacts, SymbolFact] | None:
    """The module-level binding of ``name`` in ``module``, following ``import *``."""
    facts = index.modules.get(module)
    if facts is None or star_depth > MAX_STAR_DEPTH:
        return None
    sym = facts.symbols.get(name)
    if name.startswith("_"):
        return (facts, sym) if sym is not None else None  # ``import *`` skips private names
    stars = [i for i in facts.imports if "*" in i.names and i.scope in ("module", "fallback")]
    if sym is not None:
        # a star import below the assignment (``from .local import *`` at the end of a
        # settings module) rebinds the name when it provides it
        stars = [i for i in stars if i.line > sym.line]
        if not stars:
            return facts, sym
    # the last star import that provides the name binds it
    for imp in sorted(stars, key=lambda i: i.line, reverse=True):
        if imp.module not in index.modules:
            if imp.module in index.unreadable_modules:
                return None  # a project module we cannot read may bind it
            if imp.scope == "module" and _in_project(index, imp.module):
                return None  # a project module missing from the tree (generated?)
            # a third-party module, or a ``try: from .local import *`` fallback whose file
            # is not in the repository (made at deploy time): it adds nothing we know
            continue
        found = _locate(index, imp.module, name, star_depth + 1)
        if found is not None:
            return found
    return (facts, sym) if sym is not None else None


def _in_project(index: ProjectIndex, module: str) -> bool:
    head = module.split(".")[0]
    return any(m == head or m.startswith(f"{head}.") for m in index.modules)


def _class_attribute(index: ProjectIndex, facts: ModuleFacts, target: Target, depth: int) -> Value:
    """``Config.TIMEOUT``: a class attribute written in the class body itself."""
    if len(target.rest) != 1 or target.name is None:
        return UNKNOWN
    cls = facts.classes.get(target.name)
    if cls is None:
        return UNKNOWN
    attr = cls.attributes.get(target.rest[0])
    if attr is None:
        return UNKNOWN  # inherited or set elsewhere: not followed
    return resolve_value(index, attr.value, depth + 1)


def clear_memo(index: ProjectIndex) -> None:
    """Forget resolved values (after modules are added to the index)."""
    index.__dict__.pop(_MEMO_ATTR, None)
