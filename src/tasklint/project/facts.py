"""Per-module facts: a pure function of (module name, source).

Facts are what the project index is assembled from. They hold no ``ast`` nodes, only plain
data (strings, numbers, lists, dicts), so they can be cached on disk as JSON and compared.
"""

from __future__ import annotations

import ast
import json
from collections.abc import Iterable
from dataclasses import field
from json.encoder import encode_basestring_ascii
from sys import intern
from typing import Any, Callable

from tasklint.data.compat import dataclass
from tasklint.syntax.names import NameResolver, Scope
from tasklint.syntax.values import Value, json_safe
from tasklint.syntax.walk import (
    active_children,
    active_walk,
    block_fields,
    child_nodes,
    share_walk,
    walk,
)

CONTEXTMANAGER_DECORATORS = {
    "contextlib.contextmanager",
    "contextlib.asynccontextmanager",
}


Collector = Callable[[ast.Module, NameResolver, "ModuleFacts"], Any]
_COLLECTORS: dict[str, tuple[int, Collector]] = {}


def register_collector(name: str, version: int = 1) -> Callable[[Collector], Collector]:
    """Register a function that adds JSON-safe facts under ``facts.extras[name]``.

    Bump ``version`` whenever what the collector records changes: the cache key includes it.
    """

    def deco(func: Collector) -> Collector:
        if name in _COLLECTORS and _COLLECTORS[name][1] is not func:
            raise ValueError(f"duplicate fact collector {name}")
        _COLLECTORS[name] = (version, func)
        _SORTED_COLLECTORS.clear()
        return func

    return deco


# collectors()'s answer, made once (asked for every module); emptied by a registration
_SORTED_COLLECTORS: dict[str, Collector] = {}


def collectors() -> dict[str, Collector]:
    """Every registered collector by name, in name order (shared: do not modify)."""
    if not _SORTED_COLLECTORS:
        import tasklint.project.collectors  # noqa: F401  (registers every collector)

        _SORTED_COLLECTORS.update((name, func) for name, (_, func) in sorted(_COLLECTORS.items()))
    return _SORTED_COLLECTORS


def collectors_signature() -> str:
    collectors()
    return ",".join(f"{name}:{version}" for name, (version, _) in sorted(_COLLECTORS.items()))


@dataclass(slots=True)
class DecoratorFact:
    qualname: str | None
    is_call: bool
    line: int
    col: int
    # where the decorator expression ends (1-based col; 0: unknown): the end of a finding
    # reported on the decorator, which then needs no tree (engine.with_ranges)
    end_line: int
    end_col: int
    keywords: dict[str, Value] = field(default_factory=dict)
    has_kwargs_splat: bool = False
    # keyword -> [line, col] (1-based col), for findings reported on a keyword
    keyword_lines: dict[str, list[int]] = field(default_factory=dict)
    positional: int = 0  # number of positional arguments
    # ``**NAME`` keyword splats, folded (``@shared_task(**LIMITS)``), and their [line, col]
    splats: list[Value] = field(default_factory=list)
    splat_lines: list[list[int]] = field(default_factory=list)


@dataclass(slots=True)
class FunctionFact:
    name: str
    line: int
    col: int
    is_async: bool
    decorators: list[DecoratorFact] = field(default_factory=list)
    # qualified names of context managers (``with X(...)``) that enclose a ``yield``
    yield_contexts: list[str] = field(default_factory=list)
    # ``with <obj>.begin()`` encloses a yield (SQLAlchemy-style transaction)
    yields_in_begin: bool = False
    # qualified names of callees whose result is returned (``return Celery(...)``)
    returns_calls: list[str] = field(default_factory=list)
    calls_on_commit: bool = False
    # the signature, for binding enqueue arguments (TQ208)
    params: dict[str, Any] = field(default_factory=dict)
    # ``self.retry(...)`` / ``<task>.retry(...)`` calls: line, col, countdown Value and its line
    retry_calls: list[dict[str, Any]] = field(default_factory=list)
    # ``return D(...)(fn)`` / ``return D(fn, ...)`` for a parameter ``fn``: the call ``D(...)``
    # (a task-making function when ``D`` is ``shared_task`` / ``<app>.task``)
    returns_decorated: DecoratorFact | None = None
    # ``def task(*args, **kwargs): return D(*args, **kwargs, extra=...)``: the call ``D(...)``
    # with its own keywords (a task decorator that forwards its arguments)
    returns_forwarded: DecoratorFact | None = None


@dataclass(slots=True)
class AttributeFact:
    line: int
    col: int
    value: Value


@dataclass(slots=True)
class ClassFact:
    name: str
    line: int
    bases: list[str | None] = field(default_factory=list)
    methods: dict[str, FunctionFact] = field(default_factory=dict)
    attributes: dict[str, AttributeFact] = field(default_factory=dict)
    # ``self.X`` names its methods read (recorded in modules that import Celery)
    reads: list[str] = field(default_factory=list)


@dataclass(slots=True)
class SymbolFact:
    """A module-level name: how it is bound."""

    kind: str  # "import", "def", "class", "call", "alias", "const", "other", "ambiguous"
    line: int
    target: str | None = None  # import target, alias qualname, or callee qualname
    value: Any = None  # constant value for "const"
    col: int = 1
    # the folded value of an assignment (const, name, dict, list or unknown)
    folded: Value | None = None
    # for "call" bindings that may make a task decorator (``shared_task(acks_late=True)``,
    # ``functools.partial(shared_task, ...)``): the call's keywords and lines
    call: DecoratorFact | None = None
    # qualified names of the call's first positional arguments (None: not a name)
    call_args: list[str | None] = field(default_factory=list)
    # the annotation of an annotated assignment (``app: Celery = Proxy(make_app)``)
    annotation: str | None = None


@dataclass(slots=True)
class ImportFact:
    line: int
    col: int
    module: str  # absolute module the statement names (``from X import ...`` / ``import X``)
    names: list[str]  # imported names for ``from`` imports; empty for ``import X``
    # "module" (runs when the module is imported), "function", "type_checking", "fallback"
    # (a ``try`` that catches ImportError), "main" (under ``if __name__ == "__main__":``)
    scope: str


@dataclass(slots=True)
class ModuleFacts:
    module: str
    path: str
    is_package: bool
    symbols: dict[str, SymbolFact] = field(default_factory=dict)
    functions: dict[str, FunctionFact] = field(default_factory=dict)
    classes: dict[str, ClassFact] = field(default_factory=dict)
    imports: list[ImportFact] = field(default_factory=list)
    # top-level packages this module imports anywhere (``arq``, ``rq``, ``sqlalchemy``...)
    imported_packages: list[str] = field(default_factory=list)
    # names of every ``def`` in the module, at any depth (name-collision evidence)
    defined_function_names: list[str] = field(default_factory=list)
    # facts from registered collectors (arq settings, Celery configuration, ...), by name
    extras: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> list[Any]:
        """Compact JSON: each record a list of its fields in declaration order, trailing
        defaults left out (the cache file is read back on every run that lints a file)."""
        return _codecs()[ModuleFacts].encode(self)

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickled (a forked worker's facts on their way to the parent) as ``to_json``'s
        lists, unpickled through ``from_json``: names interned and empty containers shared
        in the parent, which holds every module's facts until the run ends."""
        return (_module_from_json, (self.to_json(),))

    @classmethod
    def from_json(cls, data: Any) -> ModuleFacts:
        """The facts ``to_json`` wrote; raises (ValueError, TypeError...) on any other shape."""
        found = _codecs()[ModuleFacts].decode(data)
        if not isinstance(found, ModuleFacts):
            raise ValueError("not module facts")
        return found


def _module_from_json(data: Any) -> ModuleFacts:
    return ModuleFacts.from_json(data)


def module_row(facts: ModuleFacts) -> str:
    """The cache's text of one module's facts: the cells of ``to_json`` as JSON texts,
    joined by tabs (JSON text never holds a tab: ``json.dumps`` escapes it in strings), so
    a reader parses only the fields it reads (see LazyModuleFacts)."""
    if isinstance(facts, LazyModuleFacts) and facts.cached_text is not None:
        return facts.cached_text.rstrip("\n")
    # ``json.dumps`` of each cell; a string through the encoder it uses (its header is
    # compared as text when read back: LazyModuleFacts._split)
    return "\t".join([_cell_text(cell) for cell in facts.to_json()])


def _cell_text(cell: Any) -> str:
    """``json.dumps(cell)``, without its per-call cost for the cells most rows hold (a
    name, a flag, an empty record)."""
    kind = type(cell)
    if kind is str:
        return encode_basestring_ascii(cell)
    if kind is bool:
        return "true" if cell else "false"
    if not cell and (kind is dict or kind is list):
        return "{}" if kind is dict else "[]"
    return json.dumps(cell)


def module_from_row(text: str) -> ModuleFacts:
    """The facts ``module_row`` wrote, all decoded; raises on any other text."""
    return ModuleFacts.from_json([json.loads(cell) for cell in text.rstrip("\n").split("\t")])


# How many cells a module's row has (the required fields, at most every field).
_ROW_REQUIRED = 3
_ROW_SIZE = 10
# The fields of ModuleFacts a LazyModuleFacts decodes on first read, by position in the row.
_LAZY_FIELDS = {
    "symbols": 3,
    "functions": 4,
    "classes": 5,
    "imports": 6,
    "imported_packages": 7,
    "defined_function_names": 8,
    "extras": 9,
}


class LazyModuleFacts(ModuleFacts):
    """Cached facts of one module, decoded one field at a time on first read.

    The module name, path and package flag come from the scan (what the file is named
    today); the other fields from the cache's row (``module_row``), kept as its text until
    one of them is read: then that field's cell alone is parsed and decoded as
    ``from_json`` decodes it, except that functions are LazyFunctionFact (each of their
    fields decoded on first read too). A run that lints one edited file reads the few
    fields its rules ask about, not every module's every record.

    A row that does not parse, names another module, path or package flag, or has a
    field of the wrong shape is damaged: ``heal`` collects the file's facts again (its
    stamp matched the cache: the file is the one the row was made from) and they replace
    every field; when that fails too, the module is known by name only (no symbols, no
    functions: as if empty). Read-only, as every decoded record is.
    """

    __slots__ = ("_cells", "_heal", "_left", "_text")

    _text: str | None
    _cells: list[str] | None
    _left: int
    _heal: Callable[[ModuleFacts], ModuleFacts | None] | None

    @classmethod
    def from_row(
        cls,
        text: str,
        module: str,
        path: str,
        is_package: bool,
        heal: Callable[[ModuleFacts], ModuleFacts | None] | None = None,
    ) -> LazyModuleFacts:
        """Facts of ``module`` (file ``path``) backed by ``text``, what ``module_row``
        wrote; nothing of the text is parsed here."""
        self = cls.__new__(cls)
        self.module = module
        self.path = path
        self.is_package = is_package
        self._text = text
        self._cells = None
        self._left = len(_LAZY_FIELDS)
        self._heal = heal
        return self

    @property
    def cached_text(self) -> str | None:
        """The text the facts were read from, while no field was repaired or not all of
        them decoded (then None: ``module_row`` makes it again)."""
        return self._text

    def __getattr__(self, name: str) -> Any:
        # only called for a field not set yet (a set field is read from its slot)
        column = _LAZY_FIELDS.get(name)
        if column is None:
            raise AttributeError(name)
        try:
            cells = self._cells
            if cells is None:
                cells = self._cells = self._split()
            if column < len(cells):
                cell = json.loads(cells[column])
            else:
                cell = _codecs()[ModuleFacts].fill[column]
            value = _lazy_columns()[column](cell, self)
        except Exception:  # a damaged row: the file's facts again, never a crash
            self.repair()
            return object.__getattribute__(self, name)
        setattr(self, name, value)
        self._left -= 1
        if self._left == 0:  # every field decoded: hold the objects only
            self._cells = self._text = None
        return value

    def _split(self) -> list[str]:
        text = self._text
        if text is None:
            raise ValueError("no cached row")
        cells = text.rstrip("\n").split("\t")
        if not _ROW_REQUIRED <= len(cells) <= _ROW_SIZE:
            raise ValueError("not a cached row")
        # the name, path and flag as module_row writes them (json.dumps): another text,
        # even one that decodes to the same values, is not a row this cache wrote
        if (
            cells[2] != ("true" if self.is_package else "false")
            or cells[0] != encode_basestring_ascii(self.module)
            or cells[1] != encode_basestring_ascii(self.path)
        ):
            raise ValueError("not the cached facts of this module")
        return cells

    def no_extras(self) -> None:
        """``extras`` is known to be empty (a table made for exactly these facts says so:
        ProjectScan.index): set as decoding the row would, without reading it."""
        try:
            object.__getattribute__(self, "extras")
            return  # read already
        except AttributeError:
            pass
        self.extras = _EMPTY_DICT
        self._left -= 1
        if self._left == 0:
            self._cells = self._text = None

    def repair(self) -> None:
        """Every field from the file's facts collected again (once): the row is damaged."""
        if self._left < 0:
            return  # repaired already
        heal, self._heal = self._heal, None
        fresh = heal(self) if heal is not None else None
        if (
            fresh is None
            or fresh.module != self.module
            or fresh.path != self.path
            or fresh.is_package is not self.is_package
        ):
            fresh = ModuleFacts(self.module, self.path, self.is_package)
        for name in _LAZY_FIELDS:
            setattr(self, name, getattr(fresh, name))
        self._cells = self._text = None
        self._left = -1

    def __eq__(self, other: object) -> bool:
        return _fields_equal(self, other, ModuleFacts)

    __hash__ = None  # type: ignore[assignment]


class LazyFunctionFact(FunctionFact):
    """A cached function of a LazyModuleFacts, each field decoded on first read (a rule
    that asks every function one question decodes only that field). A damaged field
    repairs the whole module and takes the function's fields from the repaired facts."""

    __slots__ = ("_cells", "_cells_name", "_owner")

    _cells: list[Any] | None
    _owner: LazyModuleFacts | None
    _cells_name: str | None  # its key in the module's functions

    def __getattr__(self, name: str) -> Any:
        columns = _function_columns()  # fills _FUNCTION_FIELDS on first use
        column = _FUNCTION_FIELDS.get(name)
        if column is None:
            raise AttributeError(name)
        cells = self._cells
        try:
            if cells is None:
                raise ValueError("no cached function")
            value = columns[column](cells[column])
        except Exception:  # a damaged record: the module's facts again, never a crash
            self._repair()
            return object.__getattribute__(self, name)
        setattr(self, name, value)
        return value

    def _repair(self) -> None:
        owner, self._owner, self._cells = self._owner, None, None
        name = self._cells_name
        if owner is not None:
            owner.repair()
        found = owner.functions.get(name) if owner is not None and name is not None else None
        for field_name, column in _FUNCTION_FIELDS.items():
            if found is not None:
                value = getattr(found, field_name)
            else:  # gone from the repaired facts: nothing known of it
                value = _codecs()[FunctionFact].fill[column]
                if value is _NO_DEFAULT:
                    value = _FUNCTION_UNKNOWN[field_name]
            setattr(self, field_name, value)

    def __eq__(self, other: object) -> bool:
        return _fields_equal(self, other, FunctionFact)

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickled and copied as the FunctionFact it decodes to."""
        return (FunctionFact, tuple(getattr(self, n) for n in _FUNCTION_FIELDS))

    __hash__ = None  # type: ignore[assignment]


def _fields_equal(one: object, other: object, cls: type) -> bool:
    if not isinstance(other, cls):
        return NotImplemented  # type: ignore[no-any-return]
    return all(bool(getattr(one, f) == getattr(other, f)) for f in _codecs()[cls].names)


_FUNCTION_FIELDS: dict[str, int] = {}
# a function the repaired facts no longer have: required fields of a blank record
_FUNCTION_UNKNOWN: dict[str, Any] = {"name": "", "line": 1, "col": 1, "is_async": False}
_FUNCTION_COLUMNS: list[Callable[[Any], Any]] = []
_EAGER_FUNCTION_FIELDS: list[str] = []
_LAZY_COLUMNS: list[Callable[[Any, LazyModuleFacts], Any]] = []


def _function_columns() -> list[Callable[[Any], Any]]:
    if not _FUNCTION_COLUMNS:
        codec = _codecs()[FunctionFact]
        _FUNCTION_COLUMNS.extend(codec.column(i) for i in range(codec.size))
        _FUNCTION_FIELDS.update((n, i) for i, n in enumerate(codec.names))
        _EAGER_FUNCTION_FIELDS.extend(class_defaults(FunctionFact, codec.names))
    return _FUNCTION_COLUMNS


def _lazy_functions(value: Any, owner: LazyModuleFacts) -> dict[str, FunctionFact]:
    """``functions`` of a LazyModuleFacts: each a LazyFunctionFact over its cells."""
    if type(value) is not dict:
        raise ValueError("not a cached mapping")
    if not value:
        return _EMPTY_DICT
    codec = _codecs()[FunctionFact]
    size, required, fill = codec.size, codec.required, codec.fill
    new = LazyFunctionFact.__new__
    _function_columns()
    eager = _EAGER_FUNCTION_FIELDS
    out: dict[str, FunctionFact] = {}
    for key, row in value.items():
        if type(row) is not list or not required <= len(row) <= size:
            raise ValueError("not a cached FunctionFact")
        if len(row) < size:
            row.extend(fill[len(row) :])
        func = new(LazyFunctionFact)
        func._cells = row
        func._owner = owner
        func._cells_name = key = intern(key)
        for name in eager:  # a class default would hide the field from __getattr__
            # decoded here, not through __getattr__: a damaged one fails the mapping and
            # the module is repaired whole (no function repaired while its module's
            # functions are still being decoded)
            column = _FUNCTION_FIELDS[name]
            setattr(func, name, _FUNCTION_COLUMNS[column](row[column]))
        out[key] = func
    return out


def class_defaults(cls: type, names: Iterable[str]) -> list[str]:
    """The fields of ``names`` the class itself holds a value for (a default, on Pythons
    whose dataclasses have no slots: 3.9): an instance that lacks them reads the default,
    never ``__getattr__``, so a lazy record decodes them at once."""
    import types

    return [
        n
        for n in names
        if n in cls.__dict__ and not isinstance(cls.__dict__[n], types.MemberDescriptorType)
    ]


def _ignoring_owner(one: Callable[[Any], Any]) -> Callable[[Any, LazyModuleFacts], Any]:
    def column(cell: Any, owner: LazyModuleFacts) -> Any:
        return one(cell)

    return column


def _lazy_columns() -> list[Callable[[Any, LazyModuleFacts], Any]]:
    if not _LAZY_COLUMNS:
        codec = _codecs()[ModuleFacts]
        for i, name in enumerate(codec.names):
            if name == "functions":
                _LAZY_COLUMNS.append(_lazy_functions)
            else:
                _LAZY_COLUMNS.append(_ignoring_owner(codec.column(i)))
        _function_columns()
    return _LAZY_COLUMNS


_NO_DEFAULT: Any = object()


# Decoded facts are read-only (only fresh facts are filled in, by the collectors): every
# empty list or dict of a decoded record is this one object, and names are interned (on
# 20,000 modules, 200,000 empty containers and 400,000 copies of 50,000 distinct strings).
_EMPTY_LIST: list[Any] = []
_EMPTY_DICT: dict[str, Any] = {}
_STR_TYPES = {"str", "str | None", str}
_STR_LIST_TYPES = {"list[str]", "list[str | None]"}


class _Codec:
    """Positional JSON for one facts dataclass: ``[field, ...]`` with trailing defaults
    dropped; nested records (by field name) go through their own codec."""

    __slots__ = (
        "checks",
        "cls",
        "defaults",
        "empties",
        "encoders",
        "fill",
        "names",
        "nested",
        "nullable_items",
        "required",
        "shared",
        "size",
        "str_lists",
        "strs",
    )

    def __init__(self, cls: type, nested: dict[str, tuple[str, _Codec]]) -> None:
        import dataclasses

        self.cls = cls
        fields = dataclasses.fields(cls)
        self.names = tuple(f.name for f in fields)
        self.size = len(fields)
        defaults: list[Any] = []
        fill: list[Any] = []
        empties: list[int] = []
        for i, f in enumerate(fields):
            if f.default is not dataclasses.MISSING:
                defaults.append(f.default)
                fill.append(f.default)
            elif f.default_factory is not dataclasses.MISSING:
                made = f.default_factory()
                defaults.append(made)
                shared = _shared_empty(made)
                fill.append(made if shared is None else shared)
                if shared is not None and f.name not in nested:
                    empties.append(i)
            else:
                defaults.append(_NO_DEFAULT)
                fill.append(_NO_DEFAULT)
        self.defaults = tuple(defaults)
        self.fill = tuple(fill)
        self.required = sum(1 for d in defaults if d is _NO_DEFAULT)
        self.strs = tuple(i for i, f in enumerate(fields) if f.type in _STR_TYPES)
        self.str_lists = tuple(i for i, f in enumerate(fields) if f.type in _STR_LIST_TYPES)
        self.empties = tuple(i for i in empties if i not in self.str_lists)
        # the JSON type each plain field must have (a cache file is untrusted input)
        self.checks = tuple(
            (i, _JSON_TYPES[f.type])
            for i, f in enumerate(fields)
            if f.name not in nested and f.type in _JSON_TYPES
        )
        self.nullable_items = tuple(i for i, f in enumerate(fields) if f.type == "list[str | None]")
        # plain values many records repeat (a signature): one object for equal ones
        self.shared = tuple(i for i, f in enumerate(fields) if f.name in _SHARED_FIELDS)
        self.encoders: tuple[Callable[[Any], Any] | None, ...] = tuple(
            _encoder(*nested[name]) if name in nested else None for name in self.names
        )
        self.nested: tuple[tuple[int, Callable[[Any], Any]], ...] = tuple(
            (i, _decoder(*nested[name])) for i, name in enumerate(self.names) if name in nested
        )

    def encode(self, obj: Any) -> list[Any]:
        row = [
            getattr(obj, name) if enc is None else enc(getattr(obj, name))
            for name, enc in zip(self.names, self.encoders)
        ]
        n = len(row)
        defaults = self.defaults
        while n:
            default = defaults[n - 1]
            last = row[n - 1]
            if default is _NO_DEFAULT or type(last) is not type(default) or last != default:
                break
            n -= 1
        return row if n == len(row) else row[:n]

    def decode(self, row: Any) -> Any:
        if type(row) is not list or not self.required <= len(row) <= self.size:
            raise ValueError(f"not a cached {self.cls.__name__}")
        row = list(row)  # never the caller's list (to_json rows share the live lists)
        if len(row) < self.size:
            row.extend(self.fill[len(row) :])
        for i, types in self.checks:
            if type(row[i]) not in types:
                raise ValueError(f"not a cached {self.cls.__name__}")
        for i, dec in self.nested:
            row[i] = dec(row[i])
        for i in self.strs:
            v = row[i]
            if type(v) is str:
                row[i] = intern(v)
        for i in self.str_lists:
            row[i] = _str_list(row[i], i in self.nullable_items)
        for i in self.empties:
            v = row[i]
            if not v and type(v) in (list, dict):
                row[i] = _EMPTY_LIST if type(v) is list else _EMPTY_DICT
        for i in self.shared:
            row[i] = _shared_plain(row[i])
        return self.cls(*row)

    def column(self, i: int) -> Callable[[Any], Any]:
        """What ``decode`` does to field ``i`` alone, as a function of its cell (for
        records decoded one field at a time: ``LazyModuleFacts``)."""
        steps: list[Callable[[Any], Any]] = [dec for j, dec in self.nested if j == i]
        for j, types in self.checks:
            if j == i:
                steps.append(_checked(types, self.cls.__name__))
        if i in self.strs:
            steps.append(lambda v: intern(v) if type(v) is str else v)
        if i in self.str_lists:
            nullable = i in self.nullable_items
            steps.append(lambda v: _str_list(v, nullable))
        if i in self.empties:
            steps.append(
                lambda v: (
                    (_EMPTY_LIST if type(v) is list else _EMPTY_DICT)
                    if not v and type(v) in (list, dict)
                    else v
                )
            )
        if i in self.shared:
            steps.append(_shared_plain)

        def one(v: Any) -> Any:
            for step in steps:
                v = step(v)
            return v

        return one


def _checked(types: tuple[type, ...], what: str) -> Callable[[Any], Any]:
    def check(v: Any) -> Any:
        if type(v) not in types:
            raise ValueError(f"not a cached {what}")
        return v

    return check


def _str_list(v: list[Any], nullable: bool) -> list[Any]:
    """A list of names, interned (None allowed in ``list[str | None]``); raises on any
    other item."""
    if not v:
        return _EMPTY_LIST
    out = [intern(x) if type(x) is str else x for x in v]
    for x in out:
        if type(x) is not str and not (nullable and x is None):
            raise ValueError("not a cached list of names")
    return out


# The JSON type of a plain (not nested) field, by its annotation; fields annotated
# otherwise (``Any``) hold any JSON value.
_JSON_TYPES: dict[Any, tuple[type, ...]] = {
    "str": (str,),
    "str | None": (str, type(None)),
    "int": (int,),
    "bool": (bool,),
    "list[str]": (list,),
    "list[str | None]": (list,),
    "list[list[int]]": (list,),
    "list[dict[str, Any]]": (list,),
    "dict[str, Any]": (dict,),
    "dict[str, list[int]]": (dict,),
}

_SHARED_FIELDS = {"params"}
_SHARED: dict[Any, Any] = {}


def _shared_plain(value: Any) -> Any:
    """One object for equal flat dicts of scalars and lists of scalars (``params``):
    thousands of functions share a signature (``(self, obj_id)``)."""
    if type(value) is not dict:
        return value
    parts: list[tuple[Any, ...]] = []
    for k, v in value.items():
        if type(v) is list:
            if not all(type(x) in (str, int, bool) for x in v):
                return value
            parts.append((k, "list", tuple((type(x), x) for x in v)))
        elif type(v) in (str, int, bool) or v is None:
            parts.append((k, type(v), v))
        else:
            return value
    key = tuple(parts)
    found = _SHARED.get(key)
    if found is None:
        found = _SHARED[key] = {
            intern(k): [intern(x) if type(x) is str else x for x in v] if type(v) is list else v
            for k, v in value.items()
        }
    return found


def _shared_empty(made: Any) -> Any:
    if type(made) is list and not made:
        return _EMPTY_LIST
    if type(made) is dict and not made:
        return _EMPTY_DICT
    return None


def _encoder(kind: str, codec: _Codec) -> Callable[[Any], Any]:
    enc = codec.encode
    if kind == "one":
        return lambda v: None if v is None else enc(v)
    if kind == "list":
        return lambda v: [enc(x) for x in v]
    return lambda v: {k: enc(x) for k, x in v.items()}


def _decoder(kind: str, codec: _Codec) -> Callable[[Any], Any]:
    dec = codec.decode

    def one(v: Any) -> Any:
        return None if v is None else dec(v)

    def many(v: Any) -> Any:
        if type(v) is not list:
            raise ValueError("not a cached list")
        return [dec(x) for x in v] if v else _EMPTY_LIST

    def by_name(v: Any) -> Any:
        if type(v) is not dict:
            raise ValueError("not a cached mapping")
        return {intern(k): dec(x) for k, x in v.items()} if v else _EMPTY_DICT

    return one if kind == "one" else many if kind == "list" else by_name


_CODECS: dict[type, _Codec] = {}


def _codecs() -> dict[type, _Codec]:
    """One codec per facts dataclass (built on first use: every class is defined by then)."""
    if not _CODECS:
        value = _Codec(Value, {})
        deco = _Codec(DecoratorFact, {"keywords": ("dict", value), "splats": ("list", value)})
        func = _Codec(
            FunctionFact,
            {
                "decorators": ("list", deco),
                "returns_decorated": ("one", deco),
                "returns_forwarded": ("one", deco),
            },
        )
        attribute = _Codec(AttributeFact, {"value": ("one", value)})
        klass = _Codec(ClassFact, {"methods": ("dict", func), "attributes": ("dict", attribute)})
        symbol = _Codec(SymbolFact, {"folded": ("one", value), "call": ("one", deco)})
        imports = _Codec(ImportFact, {})
        module = _Codec(
            ModuleFacts,
            {
                "symbols": ("dict", symbol),
                "functions": ("dict", func),
                "classes": ("dict", klass),
                "imports": ("list", imports),
            },
        )
        _CODECS.update({c.cls: c for c in (value, deco, func, attribute, klass, symbol, module)})
        _CODECS[ImportFact] = imports
    return _CODECS


def _is_type_checking(test: ast.expr) -> bool:
    """``if TYPE_CHECKING:``, ``if typing.TYPE_CHECKING:``, ``if TYPE_CHECKING is True:``."""
    if (
        isinstance(test, ast.Compare)
        and len(test.ops) == 1
        and isinstance(test.ops[0], (ast.Is, ast.Eq))
        and isinstance(test.comparators[0], ast.Constant)
        and test.comparators[0].value is True
    ):
        test = test.left
    if isinstance(test, ast.Name):
        return test.id == "TYPE_CHECKING"
    if isinstance(test, ast.Attribute):
        return test.attr == "TYPE_CHECKING"
    return False


def _is_main_guard(test: ast.expr) -> bool:
    """``if __name__ == "__main__":`` (either operand order)."""
    if not (
        isinstance(test, ast.Compare)
        and len(test.ops) == 1
        and isinstance(test.ops[0], ast.Eq)
        and len(test.comparators) == 1
    ):
        return False
    sides = [test.left, test.comparators[0]]
    return any(isinstance(s, ast.Name) and s.id == "__name__" for s in sides) and any(
        isinstance(s, ast.Constant) and s.value == "__main__" for s in sides
    )


def _catches_import_error(handler: ast.ExceptHandler) -> bool:
    names: list[ast.expr] = []
    if handler.type is None:
        return True
    if isinstance(handler.type, ast.Tuple):
        names = list(handler.type.elts)
    else:
        names = [handler.type]
    for n in names:
        if isinstance(n, ast.Name) and n.id in {
            "ImportError",
            "ModuleNotFoundError",
            "Exception",
            "BaseException",
        }:
            return True
    return False


# Statements that hold no statement: walks looking for statements (imports, defs) skip them.
_SIMPLE_STATEMENTS = (
    ast.Assign,
    ast.AugAssign,
    ast.AnnAssign,
    ast.Expr,
    ast.Return,
    ast.Delete,
    ast.Raise,
    ast.Assert,
    ast.Pass,
    ast.Break,
    ast.Continue,
    ast.Global,
    ast.Nonlocal,
    ast.Import,
    ast.ImportFrom,
)


_DEF_TYPES = frozenset({ast.FunctionDef, ast.AsyncFunctionDef})
# Simple statements other than imports: no import in or below them.
_NO_IMPORTS = frozenset(_SIMPLE_STATEMENTS) - {ast.Import, ast.ImportFrom}
# Nodes _scan_body looks at (any other node: only its children are scanned), and nodes whose
# insides it leaves alone (nested scopes).
_SCANNED = frozenset({ast.Yield, ast.YieldFrom, ast.Return, ast.Assign, ast.Call})
_NOT_SCANNED = frozenset({ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda})
_WITH_TYPES = frozenset({ast.With, ast.AsyncWith})
# Statements that hold no statements (block_fields is empty): most of a module's.
_LEAF_STATEMENTS = frozenset(cls for cls in ast.stmt.__subclasses__() if not block_fields(cls))


class _FactCollector:
    def __init__(self, resolver: NameResolver, facts: ModuleFacts, mentions_celery: bool) -> None:
        self.resolver = resolver
        self.facts = facts
        self.mentions_celery = mentions_celery

    # -- imports -------------------------------------------------------------------------
    def collect_imports(self, tree: ast.Module) -> None:
        packages: set[str] = set()
        self._visit_imports(tree.body, "module", packages)
        self.facts.imported_packages = sorted(packages)

    # a method, not a closure: a recursive closure is a reference cycle that keeps the
    # collector (and through its resolver the whole tree) alive until a gc collection
    def _visit_imports(self, stmts: list[ast.stmt], scope: str, packages: set[str]) -> None:
        for stmt in stmts:
            if stmt.__class__ in _NO_IMPORTS:  # the most common statements: skipped first
                continue
            if isinstance(stmt, (ast.Import, ast.ImportFrom)):
                self._import(stmt, scope, packages)
            elif isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
                self._visit_imports(stmt.body, "function", packages)
            elif isinstance(stmt, ast.ClassDef):
                self._visit_imports(stmt.body, scope, packages)
            elif isinstance(stmt, ast.If):
                inner = scope
                if _is_type_checking(stmt.test):
                    inner = "type_checking"
                elif scope == "module" and _is_main_guard(stmt.test):
                    inner = "main"
                self._visit_imports(stmt.body, inner, packages)
                self._visit_imports(stmt.orelse, scope, packages)
            elif isinstance(stmt, ast.Try) or type(stmt).__name__ == "TryStar":
                handlers = stmt.handlers  # type: ignore[attr-defined]
                fallback = any(_catches_import_error(h) for h in handlers)
                body = stmt.body  # type: ignore[attr-defined]
                self._visit_imports(
                    body, "fallback" if fallback and scope == "module" else scope, packages
                )
                for h in handlers:
                    self._visit_imports(
                        h.body, "fallback" if scope == "module" else scope, packages
                    )
                self._visit_imports(stmt.orelse, scope, packages)  # type: ignore[attr-defined]
                self._visit_imports(stmt.finalbody, scope, packages)  # type: ignore[attr-defined]
            elif isinstance(stmt, _SIMPLE_STATEMENTS):
                continue
            else:
                for child in child_nodes(stmt):
                    if isinstance(child, ast.stmt):
                        self._visit_imports([child], scope, packages)
                    elif not isinstance(child, ast.expr):
                        sub = [c for c in child_nodes(child) if isinstance(c, ast.stmt)]
                        self._visit_imports(sub, scope, packages)

    def _import(self, stmt: ast.Import | ast.ImportFrom, scope: str, packages: set[str]) -> None:
        from tasklint.syntax.names import resolve_relative

        if isinstance(stmt, ast.Import):
            for alias in stmt.names:
                packages.add(alias.name.split(".")[0])
                self.facts.imports.append(
                    ImportFact(stmt.lineno, stmt.col_offset + 1, alias.name, [], scope)
                )
            return
        base = resolve_relative(
            self.facts.module, self.facts.is_package, stmt.level or 0, stmt.module
        )
        if base:
            packages.add(base.split(".")[0])
        self.facts.imports.append(
            ImportFact(stmt.lineno, stmt.col_offset + 1, base, [a.name for a in stmt.names], scope)
        )

    # -- module-level symbols ------------------------------------------------------------
    def collect_symbols(self, tree: ast.Module | None = None) -> None:
        scope = self.resolver.module_scope
        mutated = _mutated_names(tree.body) if tree is not None else set()
        conditional = _conditional_assignments(tree.body) if tree is not None else set()
        for name, bindings in scope.bindings.items():
            sym = self._symbol(name, bindings)
            if (
                len(bindings) == 1
                and bindings[0].kind == "assign"
                and id(bindings[0].node) in conditional
                and sym.kind in ("const", "other", "alias")
            ):
                # assigned in one branch of an ``if``/``try`` (or a loop) only: set, but its
                # value is unknown (RULES.md: a constant only when every branch agrees)
                sym = SymbolFact("other", sym.line, col=sym.col, folded=Value("unknown"))
            if name in mutated and _is_container(sym.folded):
                # ``LIMITS["time_limit"] = 60`` / ``OPTS.update(...)`` at module level: the
                # value read later is not the one assigned
                sym = SymbolFact("other", sym.line, col=sym.col, folded=Value("unknown"))
            self.facts.symbols[name] = sym

    def _symbol(self, name: str, bindings: list[Any]) -> SymbolFact:
        from tasklint.syntax.constants import fold

        first = bindings[0]
        line = getattr(first.node, "lineno", 1) if first.node is not None else 1
        col = getattr(first.node, "col_offset", 0) + 1 if first.node is not None else 1
        imports = [b for b in bindings if b.kind == "import"]
        if imports:
            return SymbolFact("import", line, target=imports[0].target, col=col)
        if len(bindings) > 1:
            # assignments under if/try: a constant only when every branch agrees
            if all(b.kind == "assign" and b.value is not None for b in bindings):
                folds = [fold(b.value, self.resolver) for b in bindings]
                if all(f.kind == "const" for f in folds) and all(
                    f.value == folds[0].value for f in folds
                ):
                    return SymbolFact("const", line, value=folds[0].value, col=col, folded=folds[0])
                # the same expression over names (``X = 2 * HOUR`` in both branches)
                if folds[0].kind in ("expr", "dict", "list") and all(f == folds[0] for f in folds):
                    return SymbolFact("other", line, col=col, folded=folds[0])
            return SymbolFact("ambiguous", line, col=col, folded=Value("unknown"))
        b = first
        if b.kind == "def":
            return SymbolFact("def", line, col=col)
        if b.kind == "class":
            return SymbolFact("class", line, col=col)
        if b.kind == "assign" and b.value is not None:
            value = b.value
            folded = fold(value, self.resolver)
            if isinstance(value, ast.Call):
                target = self.resolver.qualname(value.func)
                sym = SymbolFact(
                    "call",
                    line,
                    target=target,
                    value=folded.value if folded.kind == "const" else None,
                    col=col,
                    folded=folded,
                )
                if isinstance(b.node, ast.AnnAssign):
                    sym.annotation = self.resolver.qualname(b.node.annotation)
                if _may_make_decorator(target, value):
                    sym.call = self._decorator(value, self.resolver.module_scope)
                    sym.call_args = [
                        self.resolver.qualname(a)
                        if isinstance(a, (ast.Name, ast.Attribute))
                        else None
                        for a in value.args[:2]
                    ]
                return sym
            if folded.kind == "name":
                return SymbolFact("alias", line, target=folded.qualname, col=col, folded=folded)
            if folded.kind == "const":
                return SymbolFact("const", line, value=folded.value, col=col, folded=folded)
            return SymbolFact("other", line, col=col, folded=folded)
        return SymbolFact("other", line, col=col)

    # -- functions and classes -----------------------------------------------------------
    def collect_defs(self, tree: ast.Module) -> None:
        names: set[str] = set()
        stack: list[ast.AST] = [tree]
        defs = _DEF_TYPES
        while stack:  # statements only: a def cannot hide inside an expression
            current = stack.pop()
            # the fields of a statement (handler, case) that hold statements (handlers, cases)
            for block in block_fields(current.__class__):
                for child in getattr(current, block, None) or ():
                    kind = child.__class__
                    if kind in defs:
                        names.add(child.name)
                    if kind not in _LEAF_STATEMENTS:  # nothing below them to look at
                        stack.append(child)
        self.facts.defined_function_names = sorted(names)
        self._visit_defs(tree.body)

    def _visit_defs(self, stmts: list[ast.stmt]) -> None:  # a method: see _visit_imports
        for stmt in stmts:
            if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
                self.facts.functions[stmt.name] = self._function(stmt)
            elif isinstance(stmt, ast.ClassDef):
                self.facts.classes[stmt.name] = self._class(stmt)
            elif isinstance(stmt, (ast.If, ast.Try)) or type(stmt).__name__ == "TryStar":
                self._visit_defs(stmt.body)  # type: ignore[attr-defined]
                for h in getattr(stmt, "handlers", []):
                    self._visit_defs(h.body)
                self._visit_defs(getattr(stmt, "orelse", []))
                self._visit_defs(getattr(stmt, "finalbody", []))

    def _decorator(self, dec: ast.expr, scope: Scope) -> DecoratorFact:
        if isinstance(dec, ast.Call):
            from tasklint.syntax.constants import fold

            return DecoratorFact(
                qualname=self.resolver.qualname(dec.func, scope),
                is_call=True,
                line=dec.lineno,
                col=dec.col_offset + 1,
                end_line=dec.end_lineno or 0,
                end_col=dec.end_col_offset + 1 if dec.end_col_offset is not None else 0,
                keywords={
                    kw.arg: fold(kw.value, self.resolver, scope)
                    for kw in dec.keywords
                    if kw.arg is not None
                },
                has_kwargs_splat=any(kw.arg is None for kw in dec.keywords),
                keyword_lines={
                    kw.arg: [kw.lineno, kw.col_offset + 1]
                    for kw in dec.keywords
                    if kw.arg is not None
                },
                positional=len(dec.args),
                splats=[
                    fold(kw.value, self.resolver, scope) for kw in dec.keywords if kw.arg is None
                ],
                splat_lines=[
                    [kw.lineno, kw.col_offset + 1] for kw in dec.keywords if kw.arg is None
                ],
            )
        return DecoratorFact(
            qualname=self.resolver.qualname(dec, scope),
            is_call=False,
            line=dec.lineno,
            col=dec.col_offset + 1,
            end_line=dec.end_lineno or 0,
            end_col=dec.end_col_offset + 1 if dec.end_col_offset is not None else 0,
        )

    def _function(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> FunctionFact:
        outer = self.resolver.module_scope
        inner = self.resolver.scope_of(node) or outer
        fact = FunctionFact(
            name=node.name,
            line=node.lineno,
            col=node.col_offset + 1,
            is_async=isinstance(node, ast.AsyncFunctionDef),
            decorators=[self._decorator(d, outer) for d in node.decorator_list],
        )
        fact.params = signature(node.args)
        # Body facts serve context-manager helpers (decorated) and Celery app factories.
        if node.decorator_list or self.mentions_celery:
            self._scan_body(node, fact, inner)
        return fact

    def _scan_body(
        self, node: ast.FunctionDef | ast.AsyncFunctionDef, fact: FunctionFact, scope: Scope
    ) -> None:
        """One pass over a function body (nested functions and classes excluded)."""
        contexts: set[str] = set()
        returns: set[str] = set()
        returned_names: set[str] = set()
        local_calls: dict[str, set[str]] = {}
        resolver = self.resolver
        positional = [*node.args.posonlyargs, *node.args.args]
        retry_owners = {node.name} | ({positional[0].arg} if positional else set())
        reassigned: DecoratorFact | None = None
        stack: list[tuple[ast.AST, tuple[ast.withitem, ...]]] = [(stmt, ()) for stmt in node.body]
        while stack:
            current, enclosing = stack.pop()
            kind = current.__class__
            if kind in _NOT_SCANNED:
                continue
            if kind not in _SCANNED:
                pass
            elif isinstance(current, (ast.Yield, ast.YieldFrom)):
                for item in enclosing:
                    expr = item.context_expr
                    if isinstance(expr, ast.Call):
                        qn = resolver.qualname(expr.func, scope)
                        if qn:
                            contexts.add(qn)
                        if isinstance(expr.func, ast.Attribute) and expr.func.attr in (
                            "begin",
                            "begin_nested",
                        ):
                            fact.yields_in_begin = True
            elif isinstance(current, ast.Return) and isinstance(current.value, ast.Call):
                qn = resolver.qualname(current.value.func, scope)
                if qn:
                    returns.add(qn)
                made = self._decorated_param(current.value, node, scope)
                if made is not None:
                    fact.returns_decorated = made
                forwarded = self._forwarding_call(current.value, node, scope)
                if forwarded is not None and fact.returns_forwarded is None:
                    fact.returns_forwarded = forwarded
            elif isinstance(current, ast.Return) and isinstance(current.value, ast.Name):
                returned_names.add(current.value.id)  # ``app = Celery(...); ...; return app``
            elif (
                isinstance(current, ast.Assign)
                and len(current.targets) == 1
                and isinstance(current.targets[0], ast.Name)
                and isinstance(current.value, ast.Call)
            ):
                qn = resolver.qualname(current.value.func, scope)
                if qn:
                    local_calls.setdefault(current.targets[0].id, set()).add(qn)
                if positional and current.targets[0].id == positional[0].arg:
                    # ``fn = app.task(...)(fn)`` ... ``return fn``
                    reassigned = self._decorated_param(current.value, node, scope)
            elif isinstance(current, ast.Call):
                func = current.func
                if (isinstance(func, ast.Attribute) and func.attr == "on_commit") or (
                    isinstance(func, ast.Name) and func.id == "on_commit"
                ):
                    fact.calls_on_commit = True
                if (
                    isinstance(func, ast.Attribute)
                    and func.attr == "retry"
                    and isinstance(func.value, ast.Name)
                    and func.value.id in retry_owners
                ):
                    fact.retry_calls.append(self._retry_call(current, scope, node))
            if kind in _WITH_TYPES:
                items = current.items  # type: ignore[attr-defined]
                inner = (*enclosing, *items)
                stack.extend((item, enclosing) for item in items)
                stack.extend((stmt, inner) for stmt in current.body)  # type: ignore[attr-defined]
                continue
            # the INERT children hold nothing to see (in or below them)
            stack.extend([(child, enclosing) for child in active_children(current)])
        for name in returned_names:
            returns.update(local_calls.get(name, ()))
        if reassigned is not None and positional and positional[0].arg in returned_names:
            fact.returns_decorated = fact.returns_decorated or reassigned
        fact.yield_contexts = sorted(contexts)
        fact.returns_calls = sorted(returns)

    def _decorated_param(
        self, call: ast.Call, node: ast.FunctionDef | ast.AsyncFunctionDef, scope: Scope
    ) -> DecoratorFact | None:
        """``D(...)(fn)`` or ``D(fn, ...)`` where ``fn`` is the function's first parameter."""
        params = [a.arg for a in [*node.args.posonlyargs, *node.args.args]]
        if not params:
            return None
        first = params[0]

        def is_param(args: list[ast.expr]) -> bool:
            return len(args) == 1 and isinstance(args[0], ast.Name) and args[0].id == first

        if isinstance(call.func, ast.Call) and is_param(call.args) and not call.keywords:
            inner = call.func
            if inner.args:
                return None
            return self._decorator(inner, scope)
        if is_param(call.args) and isinstance(call.func, (ast.Name, ast.Attribute)):
            made = self._decorator(call, scope)
            made.positional = 0  # the parameter is the function, not an option
            return made
        return None

    def _forwarding_call(
        self, call: ast.Call, node: ast.FunctionDef | ast.AsyncFunctionDef, scope: Scope
    ) -> DecoratorFact | None:
        """``D(*args, **kwargs, extra=...)`` forwarding the function's own ``*args`` and
        ``**kwargs``: the call, with only the keywords it adds."""
        vararg, kwarg = node.args.vararg, node.args.kwarg
        if vararg is None or kwarg is None or not isinstance(call.func, (ast.Name, ast.Attribute)):
            return None
        star = [a for a in call.args if isinstance(a, ast.Starred)]
        splat = [k for k in call.keywords if k.arg is None]
        if not (
            len(star) == 1
            and isinstance(star[0].value, ast.Name)
            and star[0].value.id == vararg.arg
            and len(splat) == 1
            and isinstance(splat[0].value, ast.Name)
            and splat[0].value.id == kwarg.arg
            and len(call.args) == 1
        ):
            return None
        uses = sum(
            1
            for stmt in node.body
            for sub in walk(stmt)
            if isinstance(sub, ast.Name) and sub.id in (vararg.arg, kwarg.arg)
        )
        if uses > 2:
            return None  # ``kwargs.setdefault("bind", True)``: options it adds are unknown
        made = self._decorator(call, scope)
        made.has_kwargs_splat = False  # the splat is the decorator's own keywords
        made.splats, made.splat_lines = [], []
        made.positional = 0
        return made

    def _retry_call(
        self, call: ast.Call, scope: Scope, func: ast.FunctionDef | ast.AsyncFunctionDef
    ) -> dict[str, Any]:
        from tasklint.syntax.constants import fold

        # module-level scopes only: a name the function binds itself is a local, not the
        # module constant (or star-imported name) of the same name
        local = {a.arg for a in walk(func.args) if isinstance(a, ast.arg)} | {
            n.id for n in walk(func) if isinstance(n, ast.Name) and not isinstance(n.ctx, ast.Load)
        }
        entry: dict[str, Any] = {"line": call.lineno, "col": call.col_offset + 1}
        for kw in call.keywords:
            if kw.arg in ("countdown", "max_retries", "eta"):
                uses_local = any(isinstance(n, ast.Name) and n.id in local for n in walk(kw.value))
                value = Value("unknown") if uses_local else fold(kw.value, self.resolver, scope)
                entry[kw.arg] = {
                    "value": value.__dict__,
                    "line": kw.lineno,
                    "col": kw.col_offset + 1,
                }
        return entry

    def _class(self, node: ast.ClassDef) -> ClassFact:
        outer = self.resolver.module_scope
        fact = ClassFact(
            name=node.name,
            line=node.lineno,
            bases=[self.resolver.qualname(b, outer) for b in node.bases],
        )
        class_scope = self.resolver.scope_of(node) or outer
        from tasklint.syntax.constants import fold

        reads: set[str] = set()
        class_names = {
            n.id
            for stmt in node.body
            if isinstance(stmt, (ast.Assign, ast.AnnAssign, ast.AugAssign))
            for n in walk(stmt)
            if n.__class__ is ast.Name and n.ctx.__class__ is ast.Store
        } | {
            stmt.name
            for stmt in node.body
            if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
        }
        for stmt in node.body:
            target: ast.expr | None = None
            value: ast.expr | None = None
            if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
                target, value = stmt.targets[0], stmt.value
            elif isinstance(stmt, ast.AnnAssign) and stmt.value is not None:
                target, value = stmt.target, stmt.value
            if isinstance(target, ast.Name) and value is not None:
                # a name the class body binds is read from the class, not the module
                folded = (
                    Value("unknown")
                    if any(isinstance(n, ast.Name) and n.id in class_names for n in walk(value))
                    else fold(value, self.resolver, outer)
                )
                fact.attributes[target.id] = AttributeFact(stmt.lineno, stmt.col_offset + 1, folded)
            if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
                method = FunctionFact(
                    name=stmt.name,
                    line=stmt.lineno,
                    col=stmt.col_offset + 1,
                    is_async=isinstance(stmt, ast.AsyncFunctionDef),
                    decorators=[self._decorator(d, class_scope) for d in stmt.decorator_list],
                )
                if stmt.name in ("apply_async", "delay", "__enter__", "__aenter__"):
                    self._scan_body(stmt, method, self.resolver.scope_of(stmt) or class_scope)
                if self.mentions_celery:
                    for sub in active_walk(stmt):  # attributes and calls: never inert
                        kind = sub.__class__  # parsed trees hold exact ``ast`` classes
                        if kind is not ast.Attribute and kind is not ast.Call:
                            continue
                        if (
                            isinstance(sub, ast.Attribute)
                            and isinstance(sub.value, ast.Name)
                            and sub.value.id == "self"
                        ):
                            reads.add(sub.attr)
                        elif (
                            isinstance(sub, ast.Call)
                            and isinstance(sub.func, ast.Name)
                            and sub.func.id in ("getattr", "hasattr")
                            and len(sub.args) >= 2
                            and isinstance(sub.args[1], ast.Constant)
                            and isinstance(sub.args[1].value, str)
                        ):
                            reads.add(sub.args[1].value)
                fact.methods[stmt.name] = method
        fact.reads = sorted(reads)
        return fact


def module_facts(
    tree: ast.Module,
    module: str,
    path: str,
    is_package: bool,
    resolver: NameResolver | None = None,
    source: str | None = None,
) -> ModuleFacts:
    """Collect the facts of one parsed module (``source`` lets collectors skip cheaply)."""
    resolver = resolver or NameResolver(tree, module, is_package, module_only=True)
    resolver.source = source
    facts = ModuleFacts(module=module, path=path, is_package=is_package)
    mentions_celery = any(p.startswith("celery") for p in _top_imports(tree)) or (
        source is not None and ("shared_task" in source or ".task(" in source)
    )
    collector = _FactCollector(resolver, facts, mentions_celery)
    share_walk(tree)  # collectors that walk the whole module walk it once between them
    try:
        _collect_all(collector, tree, resolver, facts)
    finally:
        share_walk(None)
    return facts


def _collect_all(
    collector: _FactCollector, tree: ast.Module, resolver: NameResolver, facts: ModuleFacts
) -> None:
    collector.collect_imports(tree)
    collector.collect_symbols(tree)
    collector.collect_defs(tree)
    for name, collect in collectors().items():
        try:
            data = collect(tree, resolver, facts)
        except (RecursionError, ValueError, TypeError, AttributeError, KeyError):
            continue  # a collector that cannot read this module contributes nothing
        if data is not None:
            facts.extras[name] = json_safe(data)


def _is_container(value: Value | None) -> bool:
    if value is None:
        return False
    if value.kind == "const":
        return isinstance(value.value, (dict, list))
    return value.kind in ("dict", "list", "expr")


MUTATORS = frozenset(
    {"update", "setdefault", "pop", "popitem", "clear", "append", "extend", "insert", "remove"}
)


def _conditional_assignments(body: list[ast.stmt]) -> set[int]:
    """ids of module-level assignment statements nested in an ``if``, ``try``, loop or
    ``match`` (not in functions or classes)."""
    out: set[int] = set()
    _conditional_visit(body, False, out)
    return out


def _conditional_visit(stmts: list[ast.stmt], nested: bool, out: set[int]) -> None:
    # a function, not a recursive closure (a reference cycle: garbage for the collector)
    for stmt in stmts:
        if isinstance(stmt, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            if nested:
                out.add(id(stmt))
        elif isinstance(stmt, (ast.With, ast.AsyncWith)):
            _conditional_visit(stmt.body, nested, out)
        elif isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            continue
        elif stmt.__class__ in _LEAF_STATEMENTS:
            continue  # an expression, import, return...: no block below it
        else:
            for field in ("body", "orelse", "finalbody"):
                _conditional_visit(getattr(stmt, field, None) or [], True, out)
            for handler in getattr(stmt, "handlers", None) or []:
                _conditional_visit(handler.body, True, out)
            for case in getattr(stmt, "cases", None) or []:
                _conditional_visit(case.body, True, out)


def _mutated_names(stmts: list[ast.stmt]) -> set[str]:
    """Module-level names changed in place by module-level statements (also under
    ``if``/``try``/``with``/loops): ``X[k] = v``, ``X[k] += v``, ``del X[k]``,
    ``X.update(...)`` and the other mutating methods of dicts and lists."""
    out: set[str] = set()

    def base(expr: ast.expr) -> None:
        while isinstance(expr, ast.Subscript):
            expr = expr.value
        if isinstance(expr, ast.Name):
            out.add(expr.id)

    stack = list(stmts)
    while stack:
        stmt = stack.pop()
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            continue
        targets: list[ast.expr] = []
        if isinstance(stmt, ast.Assign):
            targets = list(stmt.targets)
        elif isinstance(stmt, (ast.AugAssign, ast.AnnAssign)):
            targets = [stmt.target]
        elif isinstance(stmt, ast.Delete):
            targets = list(stmt.targets)
        for target in targets:
            if isinstance(target, ast.Subscript):
                base(target)
        if (
            isinstance(stmt, ast.Expr)
            and isinstance(stmt.value, ast.Call)
            and isinstance(stmt.value.func, ast.Attribute)
            and stmt.value.func.attr in MUTATORS
        ):
            base(stmt.value.func.value)
        if stmt.__class__ in _LEAF_STATEMENTS:
            continue  # no statement or handler below it
        for child in child_nodes(stmt):
            if isinstance(child, ast.stmt):
                stack.append(child)
            elif isinstance(child, ast.ExceptHandler):
                stack.extend(child.body)
    return out


def _may_make_decorator(target: str | None, call: ast.Call) -> bool:
    """A module-level call that may return a task decorator: ``shared_task(...)``,
    ``<app>.task(...)`` without the function, or ``functools.partial(D, ...)``."""
    if target is None:
        return False
    last = target.rpartition(".")[2]
    if last == "partial":
        return bool(call.args)
    if last in ("task", "shared_task", "periodic_task"):
        return not call.args
    # an instance of a project class (``app = MyCelery("proj", broker=...)``) or an app
    # factory: its keywords are the app's settings when the class derives from Celery
    return bool(call.keywords) and (last[:1].isupper() or "celery" in last.lower())


def signature(args: ast.arguments) -> dict[str, Any]:
    """A JSON-safe summary of a function signature."""
    positional = [a.arg for a in [*args.posonlyargs, *args.args]]
    return {
        "positional": positional,
        "posonly": len(args.posonlyargs),
        "defaults": len(args.defaults),
        "vararg": args.vararg is not None,
        "kwonly": [a.arg for a in args.kwonlyargs],
        "kwonly_required": [a.arg for a, d in zip(args.kwonlyargs, args.kw_defaults) if d is None],
        "kwarg": args.kwarg is not None,
    }


def _top_imports(tree: ast.Module) -> list[str]:
    out: list[str] = []
    for stmt in tree.body:
        if isinstance(stmt, ast.Import):
            out.extend(a.name for a in stmt.names)
        elif isinstance(stmt, ast.ImportFrom) and stmt.module:
            out.append(stmt.module)
    return out
