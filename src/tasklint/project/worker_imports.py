"""The modules a Celery worker imports, worked out statically (TQ112, ``tasklint inventory``).

What a worker imports before it consumes its first message, following Celery's and
Django's own start-up code:

- the ``-A`` module of the deployment files' ``celery -A X worker`` (Celery's ``find_app``
  imports ``X``, then ``X.celery`` when ``X`` is a package without an app), else the module
  that creates the app;
- the app's configuration module (``config_from_object("pkg.celeryconfig")``) and the
  modules of ``task_cls="pkg.module:Task"``;
- ``include=`` / ``imports`` / ``CELERY_IMPORTS`` (``loader.import_default_modules``);
- ``autodiscover_tasks(packages, related_name="tasks")``: for each package, the package and
  ``<package>.<related_name>`` (celery/loaders/base.py ``find_related_module``: an entry that
  is no module, such as ``"shop.apps.ShopConfig"``, is walked up one level first); no
  packages: each installed Django app's ``AppConfig.name`` (celery/fixups/django.py);
  ``force=False`` only defers this to the ``import_modules`` signal, which the worker sends;
- when the project uses Django (the worker's Django fixup calls ``django.setup()``): the
  settings module, then for each installed app its module, its ``apps`` and ``models``
  modules, the imports inside ``AppConfig.ready()``, its ``admin`` module when
  ``django.contrib.admin`` is installed with its default config (admin's ``autodiscover``),
  and ``<app>.<name>`` for each ``autodiscover_modules("name")`` call, and the project
  modules named by dotted strings in the settings (``ROOT_URLCONF``, ``MIDDLEWARE``, ...;
  for a setting whose value is not known, every string written to it at module level);
- then every module those import at module level, transitively (``try`` bodies included),
  and the parent packages of each imported module.

Wherever the set cannot be known (a computed module name imported anywhere in the project,
computed ``INSTALLED_APPS``, an unknown ``imports`` value, a worker app that cannot be
found, an app configuration that is open, Django settings that cannot be found), the
answer is *unknown* and TQ112 stays silent.
"""

from __future__ import annotations

import ast
import bisect
import io
import re
import tokenize
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tasklint.config import Settings
from tasklint.project import read_source
from tasklint.project.celery_config import AppConfig, CeleryModel, is_test_module, resolve_value
from tasklint.project.collectors.worker_imports import PASSIVE_DECORATORS
from tasklint.project.deployment import CeleryCommand
from tasklint.project.facts import ModuleFacts
from tasklint.project.graph import statement_targets
from tasklint.project.index import ProjectIndex
from tasklint.syntax.values import Value

# Scopes of import statements that run when their module is imported (a ``try`` body runs;
# its ``except ImportError`` fallback may too: counting it only makes the set larger).
RUNS = frozenset({"module", "fallback"})
ADMIN_AUTODISCOVER = frozenset({"django.contrib.admin", "django.contrib.admin.apps.AdminConfig"})


@dataclass(frozen=True)
class Registration:
    """Does the worker import a module? ``state``: registered, unregistered or unknown."""

    state: str
    reason: str


@dataclass
class WorkerImports:
    """The import set of the project's worker(s); ``unknown`` says why it cannot be known."""

    unknown: str | None = None
    imported: dict[str, str] = field(default_factory=dict)  # module -> why
    maybe: dict[str, str] = field(default_factory=dict)  # imported inside a function
    apps: list[str] = field(default_factory=list)  # the worker apps considered
    roots: dict[str, str] = field(default_factory=dict)  # where the import set starts

    def registration(self, module: str) -> Registration:
        if self.unknown is not None:
            return Registration("unknown", self.unknown)
        if module in self.imported:
            return Registration("registered", self.imported[module])
        if module in self.maybe:
            return Registration("unknown", self.maybe[module])
        return Registration("unregistered", "never imported by the worker")

    @classmethod
    def of(cls, index: ProjectIndex, settings: Settings) -> WorkerImports:
        cached = getattr(index, "_worker_imports", None)
        if isinstance(cached, tuple) and cached[0] is settings:
            return cached[1]  # type: ignore[no-any-return]
        result = _Builder(index, settings).build()
        index._worker_imports = (settings, result)  # type: ignore[attr-defined]
        return result


class _Unknown(Exception):
    """The import set cannot be known; the message says why."""


def _data(facts: ModuleFacts) -> dict[str, Any]:
    data = facts.extras.get("worker_imports")
    return data if isinstance(data, dict) else {}


_DEF = re.compile(r"\s*(?:async\s+)?def\s+(\w+)")
_DECORATOR = re.compile(r"\s*@(?:[\w]+\.)*(\w+)")


MAX_DEPLOYMENT_BYTES = 512 * 1024
# ``celery ... worker`` (also ``celery --app=... worker``, ``python -m celery worker``)
_CELERY_WORKER = re.compile(
    r"""(?:^|[\s"'\[,;&|(/=])celery(?:\.exe)?["']?\s*,?\s*(?:[^#]*?[\s"',\[])?(?:worker|multi)"""
    r"""(?=$|[\s"',\]])"""
)
_INCLUDE_OPTION = re.compile(r"""(?:^|[\s"',\[])(?:-I|--include)(?=$|[\s"'=,\]])""")
_INCLUDE_VALUE = re.compile(
    r"""(?:^|[\s"',\[])(?:-I|--include)(?:\s*=\s*|\s+|["']?\s*,\s*["'])["']?"""
    r"""([A-Za-z_][\w]*(?:\.[A-Za-z_]\w*)*(?:,[A-Za-z_][\w]*(?:\.[A-Za-z_]\w*)*)*)"""
)
_DOTTED = re.compile(r"^[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+(?::[A-Za-z_]\w*)?$")


def _strings_in(value: object, depth: int = 0) -> list[str]:
    """Every string inside a constant (nested dicts, lists and tuples; keys included)."""
    if depth > 10:
        return []
    if isinstance(value, str):
        return [value]
    out: list[str] = []
    if isinstance(value, dict):
        for key, item in value.items():
            out.extend(_strings_in(key, depth + 1))
            out.extend(_strings_in(item, depth + 1))
    elif isinstance(value, (list, tuple, set)):
        for item in value:
            out.extend(_strings_in(item, depth + 1))
    return out


def _indent(text: str) -> int:
    return len(text) - len(text.lstrip())


def _code(text: str) -> bool:
    stripped = text.strip()
    return bool(stripped) and not stripped.startswith("#")


def _enclosing_def(lines: list[str], index: int) -> str | None:
    """The innermost ``def`` whose body holds line ``index`` (None: module level or a class
    body, which run at import), found by indentation."""
    indent = _indent(lines[index])
    for j in range(index - 1, -1, -1):
        text = lines[j]
        if not _code(text) or _indent(text) >= indent or text.strip()[0] in ")]}":
            continue  # deeper, or the closing line of a bracket (``) -> int:``)
        indent = _indent(text)
        found = _DEF.match(text)
        if found:
            return found.group(1)
        if text.strip().startswith("class "):
            return None
        if indent == 0:
            return None
    return None


def _decorated(lines: list[str], index: int) -> bool:
    """Is the ``def`` on line ``index`` decorated by a decorator that may run it at start-up
    (found by the lines right above it; a multi-line decorator by its first line)?"""
    indent = _indent(lines[index])
    for j in range(index - 1, -1, -1):
        text = lines[j]
        if not _code(text):
            continue
        if _indent(text) != indent:
            return False
        if text.strip()[0] in ")]}":  # the end of a multi-line statement: find its start
            for k in range(j - 1, -1, -1):
                if _code(lines[k]) and _indent(lines[k]) == indent:
                    text = lines[k]
                    break
        found = _DECORATOR.match(text)
        return found is not None and found.group(1) not in PASSIVE_DECORATORS
    return False


def _prefixes(module: str) -> list[str]:
    parts = module.split(".")
    return [".".join(parts[: i + 1]) for i in range(len(parts))]


def _template_tag_libraries(modules: Iterable[str]) -> dict[str, list[str]]:
    """The modules under ``<name>.templatetags.``, by ``<name>`` (every such ``name`` of a
    module, in the modules' order): one pass instead of a scan per installed app."""
    out: dict[str, list[str]] = {}
    marker = ".templatetags."
    for module in modules:
        at = module.find(marker)
        while at != -1:
            out.setdefault(module[:at], []).append(module)
            at = module.find(marker, at + 1)
    return out


@dataclass(frozen=True)
class _SettingWrite:
    """A module-level statement of a settings module that binds or changes ``key``:
    ``mutates`` for ``key.append(...)``, ``key += ...``, ``key[...] = ...`` (a plain
    ``key = ...`` binds); ``strings``: the string constants in it."""

    key: str
    where: str
    mutates: bool
    strings: tuple[str, ...]


def _root_name(node: ast.expr) -> str | None:
    """``X`` of ``X``, ``X[...]``, ``X.attr``, ``X["a"]["b"]`` (None: anything else)."""
    while isinstance(node, (ast.Subscript, ast.Attribute)):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def _target_names(node: ast.expr) -> Iterator[tuple[str, bool]]:
    """The names an assignment target writes, each with: is it a change of a value (an
    item or attribute) rather than a binding?"""
    if isinstance(node, ast.Name):
        yield node.id, False
    elif isinstance(node, (ast.Tuple, ast.List)):
        for item in node.elts:
            yield from _target_names(item)
    elif isinstance(node, ast.Starred):
        yield from _target_names(node.value)
    else:
        name = _root_name(node)
        if name is not None:
            yield name, True


def _constant_strings(node: ast.AST) -> tuple[str, ...]:
    """The string constants in a statement (not the pieces of an f-string)."""
    out: list[str] = []
    stack: list[ast.AST] = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, ast.JoinedStr):
            continue
        if isinstance(current, ast.Constant) and isinstance(current.value, str):
            out.append(current.value)
            continue
        stack.extend(ast.iter_child_nodes(current))
    return tuple(out)


def _statement_writes(stmt: ast.stmt) -> list[tuple[str, bool]]:
    """The names a simple statement binds or changes (see ``_target_names``)."""
    if isinstance(stmt, ast.Assign):
        return [w for target in stmt.targets for w in _target_names(target)]
    if isinstance(stmt, ast.AnnAssign):
        return list(_target_names(stmt.target)) if stmt.value is not None else []
    if isinstance(stmt, ast.AugAssign):
        name = _root_name(stmt.target)
        return [(name, True)] if name is not None else []
    if (
        isinstance(stmt, ast.Expr)
        and isinstance(stmt.value, ast.Call)
        and isinstance(stmt.value.func, ast.Attribute)
    ):  # ``MIDDLEWARE.append(...)``, ``LOGGING["handlers"].update(...)``
        name = _root_name(stmt.value.func.value)
        return [(name, True)] if name is not None else []
    return []


def _writes(body: list[ast.stmt], rel: str, depth: int = 0) -> Iterator[_SettingWrite]:
    """The writes of the statements that run at module level: every branch of ``if``,
    ``try``, ``with``, ``for``, ``while`` and ``match`` (not function or class bodies). A
    write inside a ``for`` loop also holds the strings of what the loop iterates over."""
    if depth > 50:
        return
    for stmt in body:
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            continue
        if isinstance(stmt, (ast.For, ast.AsyncFor)):
            looped = _constant_strings(stmt.iter)
            for write in _writes([*stmt.body, *stmt.orelse], rel, depth + 1):
                yield _SettingWrite(write.key, write.where, write.mutates, write.strings + looped)
            continue
        inner: list[ast.stmt] = []
        for name in ("body", "orelse", "finalbody"):
            inner.extend(getattr(stmt, name, None) or [])
        for handler in getattr(stmt, "handlers", None) or []:
            inner.extend(handler.body)
        for case in getattr(stmt, "cases", None) or []:
            inner.extend(case.body)
        if inner:
            yield from _writes(inner, rel, depth + 1)
            continue
        found = _statement_writes(stmt)
        if found:
            strings = _constant_strings(stmt)
            for key, mutates in found:
                yield _SettingWrite(key, f"{rel}:{stmt.lineno}", mutates, strings)


@dataclass
class _NameIndex:
    """Which modules of one import set use each identifier (``_Builder.holders``): the
    modules by name, how many are tokenized so far, and name -> their positions in it."""

    modules: dict[str, str]
    texts: dict[str, list[str]]
    order: list[str]
    scanned: int = 0
    where: dict[str, list[int]] = field(default_factory=dict)


class _Builder:
    def __init__(self, index: ProjectIndex, settings: Settings) -> None:
        self.index = index
        self.settings = settings
        self.model = CeleryModel.of(index, settings)
        self.roots: dict[str, str] = {}
        self.top_packages = {m.split(".")[0] for m in index.modules}
        self.names: dict[str, dict[str, list[int]]] = {}
        # modules imported at module level by a name read from the Django settings
        self.late_roots: dict[str, str] = {}
        self._packages: set[str] | None = None
        self._production: list[ModuleFacts] | None = None
        self._holders: _NameIndex | None = None
        self._sorted_modules: list[str] | None = None
        self._position: dict[str, int] = {}
        self._settings_writes: dict[str, list[_SettingWrite]] | None = None

    # -- helpers -------------------------------------------------------------------------
    def production(self) -> list[ModuleFacts]:
        """The project's non-test modules, by name (worked out once per build)."""
        if self._production is None:
            self._production = [
                self.index.modules[m]
                for m in sorted(self.index.modules)
                if not is_test_module(m, self.settings, self.index)
            ]
        return self._production

    def root(self, module: str, why: str) -> None:
        if module in self.index.modules:
            self.roots.setdefault(module, why)

    def strings(self, value: Value | None, what: str) -> list[str]:
        """Module names from a setting or argument value; raises when unknown."""
        if value is None:
            return []
        value = resolve_value(self.index, value)
        if value.kind == "const":
            raw = value.value
            if raw is None:
                return []
            if isinstance(raw, str):
                return [raw]
            if isinstance(raw, (list, tuple, set)) and all(isinstance(v, str) for v in raw):
                return [str(v) for v in raw]
        raise _Unknown(f"{what} cannot be read statically")

    def rel(self, facts: ModuleFacts) -> str:
        return facts.module.replace(".", "/") + ("/__init__.py" if facts.is_package else ".py")

    # -- the build -----------------------------------------------------------------------
    def build(self) -> WorkerImports:
        if not self.model.apps:
            return WorkerImports(unknown="no Celery app in the project")
        try:
            self.check_dynamic()
            apps = self.worker_apps()
            for app in apps:
                self.app_roots(app)
            django_apps = self.django()
            self.autodiscovered(django_apps)
        except _Unknown as exc:
            return WorkerImports(unknown=str(exc))
        try:
            imported, maybe = self.closure()
            if not self.index.deployment.worker_apps():
                self.extend_maybe(imported, maybe, self.possible_entry_modules(apps))
            self.after_closure(imported, maybe)
        except _Unknown as exc:
            return WorkerImports(unknown=str(exc))
        return WorkerImports(
            imported=imported, maybe=maybe, apps=[a.ident for a in apps], roots=dict(self.roots)
        )

    def after_closure(self, imported: dict[str, str], maybe: dict[str, str]) -> None:
        """Computed imports of the set: unknown, or more modules imported or maybe (whose
        own computed imports are checked in turn)."""
        for _ in range(8):
            size = len(imported) + len(maybe)
            prefixes = self.check_computed_imports({**maybe, **imported})
            named = {
                m: why
                for prefix, why in prefixes.items()
                for m in self.under(prefix)
                if m != prefix.rstrip(".")
            }
            self.extend_maybe(imported, maybe, named)
            queue: deque[str] = deque()
            for module, why in self.late_roots.items():  # imported at module level of the set
                if module in self.index.modules and module not in imported:
                    self.add(module, why, imported, queue)
            self.follow(imported, queue, maybe)
            for module in list(maybe):
                if module in imported:
                    del maybe[module]
            if len(imported) + len(maybe) == size:
                return
        raise _Unknown("computed imports lead to more computed imports too many times")

    def check_dynamic(self) -> None:
        unreadable = sorted(
            m
            for m in self.index.unreadable_modules
            if not is_test_module(m, self.settings, self.index)
        )
        if unreadable:  # what it imports is unknown (test modules never run in the worker)
            raise _Unknown(f"module {unreadable[0]} cannot be read")
        for facts in self.production():
            data = _data(facts)
            if "?" in data.get("autodiscover_modules", []):
                raise _Unknown(f"autodiscover_modules() of a computed name in {facts.module}")
            for entry in data.get("autodiscover", []):
                if entry["packages"]["kind"] == "unknown" or entry["related_name"] == "?":
                    raise _Unknown(
                        f"autodiscover_tasks() arguments cannot be read at "
                        f"{self.rel(facts)}:{entry['line']}"
                    )

    def check_computed_imports(self, modules: dict[str, str]) -> dict[str, str]:
        """A computed module name imported while the worker starts makes the set unknown.

        Only modules the worker imports (or may import) run anything. A computed import at
        module level there runs; one inside a function runs if the function may be called
        while the worker starts: ``ready()``, dunder methods (called implicitly, e.g. a
        lazy settings object's ``__getattr__``), decorated functions (signal receivers,
        properties), and a function named at module level or in a class body of a module
        of the set, or inside another function that may run (a textual search, so a name
        that merely looks the same counts too). A name built as ``f"pkg.sub.{x}"`` only
        makes the modules under ``pkg.sub.`` possibly imported (returned: prefix -> why).
        """
        texts: dict[str, list[str]] = {}
        prefixes: dict[str, str] = {}
        runs: dict[str, bool] = {}  # may_run(function) from scratch: the same answer each time
        for module in sorted(modules):
            facts = self.index.modules.get(module)
            if facts is None:
                continue
            for entry in _data(facts).get("dynamic", []):
                line, function, decorated, prefix, setting, attribute = [*entry, None, None, None][
                    :6
                ]
                where = f"{self.rel(facts)}:{line}"
                names = self.setting_modules(setting, bool(attribute))
                if names is not None:
                    for name in names:  # ``import_module(settings.SESSION_ENGINE)``
                        why = f"named by settings.{setting}, imported at {where}"
                        if function is None:
                            self.late_roots[name] = why
                        else:
                            prefixes[name] = why
                    continue
                if not (
                    function is None
                    or decorated
                    or self.may_run_once(function, modules, texts, runs)
                ):
                    continue
                if prefix is not None:
                    # ``import_module(f"pkg.plugins.{name}")``: any module under the prefix
                    if prefix.split(".")[0] in self.top_packages:
                        prefixes[prefix] = f"may be imported by name at {where}"
                    continue
                if function is None:
                    raise _Unknown(f"a computed module name is imported at {where}")
                raise _Unknown(
                    f"a computed module name is imported at {where}, in `{function}()`, "
                    "which may run while the worker starts"
                )
        return prefixes

    def setting_strings(self, setting: str) -> list[str]:
        """The strings of a Django setting (``settings.CORE_APPS``); raises when unknown."""
        settings_module = self.model.django_settings_module()
        if settings_module is None or settings_module not in self.index.modules:
            raise _Unknown(f"settings.{setting} cannot be found")
        found = self.model._module_symbols(settings_module).get(setting)
        if found is None:
            raise _Unknown(f"settings.{setting} is not set in {settings_module}")
        return self.strings(found[1].folded or Value("unknown"), f"settings.{setting}")

    def setting_modules(self, setting: str | None, attribute: bool) -> list[str] | None:
        """The project modules a Django setting names (None: no setting, or unknown)."""
        settings_module = self.model.django_settings_module() if setting else None
        if setting is None or settings_module is None:
            return None
        found = self.model._module_symbols(settings_module).get(setting)
        if found is None:
            return []  # Django's default: a module of Django itself
        _owner, sym = found
        try:
            names = self.strings(sym.folded or Value("unknown"), f"settings.{setting}")
        except _Unknown:
            return None
        out: list[str] = []
        for name in names:
            module = name.split(":", 1)[0]
            if attribute and ":" not in name:
                module = module.rpartition(".")[0]
            if module.split(".")[0] in self.top_packages:
                out.append(module)
        return out

    def lines(self, module: str, texts: dict[str, list[str]]) -> list[str]:
        if module not in texts:
            facts = self.index.modules[module]
            try:
                texts[module] = read_source(Path(facts.path)).splitlines()
            except (OSError, UnicodeDecodeError, LookupError, SyntaxError, ValueError):
                raise _Unknown(f"{facts.path} cannot be read") from None
        return texts[module]

    def identifiers(self, module: str, texts: dict[str, list[str]]) -> dict[str, list[int]]:
        """Lines (0-based) of each identifier token in a module (strings and comments
        excluded), computed once per module."""
        found = self.names.get(module)
        if found is None:
            lines = self.lines(module, texts)
            found = {}
            try:
                source = io.StringIO("\n".join(lines) + "\n")
                in_import = False  # names in import statements are bindings, not uses
                first = True
                tokens = list(tokenize.generate_tokens(source.readline))
                for k, tok in enumerate(tokens):
                    if tok.type in (tokenize.NEWLINE, tokenize.NL) and not in_import:
                        first = True
                        continue
                    if tok.type == tokenize.NEWLINE:
                        in_import, first = False, True
                        continue
                    if tok.type in (tokenize.INDENT, tokenize.DEDENT, tokenize.COMMENT):
                        continue
                    if first and tok.type == tokenize.NAME and tok.string in ("import", "from"):
                        in_import = True
                    first = False
                    after = tokens[k + 1].string if k + 1 < len(tokens) else ""
                    if tok.type == tokenize.NAME and not in_import and after != "=":
                        # ``name=`` is a keyword argument or a binding, not a use
                        found.setdefault(tok.string, []).append(tok.start[0] - 1)
            except (tokenize.TokenError, SyntaxError, IndentationError):
                raise _Unknown(f"{module} cannot be tokenized") from None
            self.names[module] = found
        return found

    def under(self, prefix: str) -> list[str]:
        """The project modules whose names start with ``prefix``, in the index's order (a
        range of the sorted names, not a scan of every module per prefix)."""
        if self._sorted_modules is None:
            self._sorted_modules = sorted(self.index.modules)
            self._position = {m: i for i, m in enumerate(self.index.modules)}
        names = self._sorted_modules
        found: list[str] = []
        for i in range(bisect.bisect_left(names, prefix), len(names)):
            if not names[i].startswith(prefix):
                break
            found.append(names[i])
        return sorted(found, key=self._position.__getitem__)

    def holders(
        self, name: str, modules: dict[str, str], texts: dict[str, list[str]]
    ) -> Iterator[str]:
        """The project modules of ``modules`` that use the identifier ``name``, by name.

        What a scan of every module per question would find, in the same order and with
        each module tokenized at the same point of that scan (a module that cannot be
        tokenized raises where the scan would reach it), from an index of names to modules
        that grows as modules are tokenized: one pass over the set, not one per function
        ``may_run`` follows.
        """
        state = self._holders
        if state is None or state.modules is not modules or state.texts is not texts:
            order = [m for m in sorted(modules) if m in self.index.modules]
            state = self._holders = _NameIndex(modules, texts, order)
        hits = state.where.setdefault(name, [])
        k = 0
        while True:
            if k < len(hits):
                k += 1
                yield state.order[hits[k - 1]]
            elif state.scanned < len(state.order):
                j = state.scanned
                found = self.identifiers(state.order[j], texts)  # may raise _Unknown
                state.scanned += 1
                for used, positions in found.items():
                    if positions:
                        state.where.setdefault(used, []).append(j)
            else:
                return

    def may_run_once(
        self, name: str, modules: dict[str, str], texts: dict[str, list[str]], runs: dict[str, bool]
    ) -> bool:
        """``may_run(name)`` from scratch, remembered in ``runs`` (its answer depends only
        on the name and the set: many computed imports sit in functions of the same name)."""
        if name not in runs:
            runs[name] = self.may_run(name, modules, texts, set(), 0)
        return runs[name]

    def may_run(
        self,
        name: str,
        modules: dict[str, str],
        texts: dict[str, list[str]],
        seen: set[str],
        depth: int,
    ) -> bool:
        """May the function ``name`` be called while the worker starts?"""
        if name.startswith("__") or name == "ready" or depth > 8 or len(seen) > 100:
            return True
        if name in seen:
            return False
        seen.add(name)
        for module in self.holders(name, modules, texts):
            positions = self.identifiers(module, texts)[name]
            lines = self.lines(module, texts)
            for i in sorted(set(positions)):
                definition = _DEF.match(lines[i])
                if definition is not None and definition.group(1) == name:
                    if _decorated(lines, i):
                        return True
                    continue
                enclosing = _enclosing_def(lines, i)
                if enclosing is None or self.may_run(enclosing, modules, texts, seen, depth + 1):
                    return True
        return False

    # -- apps ----------------------------------------------------------------------------
    def possible_entry_modules(self, apps: list[AppConfig]) -> dict[str, str]:
        """With no deployment file naming it, the ``-A`` module may be any module that
        imports an app module, defines no task and is imported by no project module (a
        ``worker.py`` that imports the app and the task modules): what it imports may be
        imported (more modules possibly imported, never fewer)."""
        app_modules = {a.module for a in apps}
        graph = self.index.import_graph
        defines = set(self.index.tasks_by_module())
        out: dict[str, str] = {}
        for facts in self.production():
            module = facts.module
            if module in defines or module in app_modules or graph.importers_of(module):
                continue
            used = app_modules & graph.imports_of(module)
            if used:
                out[module] = f"may be the `-A` module (it imports {sorted(used)[0]})"
        return out

    def unparsed_workers(self) -> None:
        """A ``celery ... worker`` command whose app tasklint cannot read (``--app="${APP}"``,
        or no ``-A`` at all) starts a worker whose imports are unknown."""
        parsed = {(c.path, c.line) for c in self.index.deployment.celery_commands}
        for rel in sorted(self.index.deployment.digests):
            try:
                with (Path(self.index.root) / rel).open("rb") as fh:
                    raw = fh.read(MAX_DEPLOYMENT_BYTES)
            except OSError:
                continue
            start, buf = 0, ""
            for number, line in enumerate(raw.decode("utf-8", "replace").splitlines(), 1):
                if not buf:
                    start = number
                buf += " " + line.rstrip().rstrip("\\")
                if line.rstrip().endswith("\\"):
                    continue
                text, buf = buf.strip(), ""
                if text.startswith("#") or (rel, start) in parsed:
                    continue
                found = _CELERY_WORKER.search(text)
                if found is not None:
                    raise _Unknown(f"the worker app of {rel}:{start} cannot be read")

    def worker_apps(self) -> list[AppConfig]:
        self.unparsed_workers()
        commands = self.index.deployment.worker_apps()
        if not commands:
            return list(self.model.apps)  # one app, or several: a task must miss them all
        found: list[AppConfig] = []
        for command in commands:
            module, attribute = command.module, command.attribute
            if (
                module not in self.index.modules
                and attribute is None
                and self.is_namespace(module)
                and f"{module}.celery" in self.index.modules
            ):
                # ``-A core`` of a folder without ``__init__.py``: find_app imports core.celery
                module = f"{module}.celery"
            elif module not in self.index.modules and attribute is None and "." in module:
                # ``-A proj.celery.app``: symbol_by_name imports proj.celery, reads ``app``
                module, _, attribute = module.rpartition(".")
            if module not in self.index.modules:
                raise _Unknown(
                    f"the worker app {command.app} ({command.path}) is not in the project"
                )
            self.root(module, f"the `-A {command.app}` module of {command.path}:{command.line}")
            for name in self.command_includes(command):
                self.named_module(name, f"`--include` of {command.path}:{command.line}")
            app = self.app_of_command(module, attribute)
            if app is None:
                raise _Unknown(f"the worker app {command.app} ({command.path}) cannot be resolved")
            if app not in found:
                found.append(app)
        return found

    def command_includes(self, command: CeleryCommand) -> list[str]:
        """Modules a ``celery worker -I a,b`` / ``--include=a,b`` command line adds (an
        option in the ten lines from the command counts: more modules, never fewer)."""
        path = Path(self.index.root) / command.path
        try:
            with path.open("rb") as fh:
                raw = fh.read(MAX_DEPLOYMENT_BYTES)
        except OSError:
            raise _Unknown(f"{command.path} cannot be read") from None
        lines = raw.decode("utf-8", "replace").splitlines()[command.line - 1 :]
        text = ""
        for line in lines[:10]:  # the command and the lines after it: a YAML block (`>`)
            text += " " + line.rstrip().rstrip("\\")  # or backslash continuations may
        if not _INCLUDE_OPTION.search(text):
            return []
        found = _INCLUDE_VALUE.findall(text)
        if not found:
            raise _Unknown(f"the `--include` of {command.path}:{command.line} cannot be read")
        return [name for value in found for name in value.split(",") if name]

    def app_of_command(self, module: str, attribute: str | None) -> AppConfig | None:
        """Celery's ``find_app``: ``X:attr``; else ``X.app``/``X.celery``; else ``X.celery``."""
        by_ident = {a.ident: a for a in self.model.apps}
        names = [attribute] if attribute else ["app", "celery"]
        for name in names:
            canon = self.index.canonical(f"{module}.{name}")
            if canon in by_ident:
                return by_ident[canon]
        if attribute:
            return None
        facts = self.index.modules[module]
        for name, sym in sorted(facts.symbols.items()):
            # Celery takes any Celery instance among the module's attributes
            target = sym.target if sym.kind in ("import", "alias") and sym.target else None
            canon = self.index.canonical(target or f"{module}.{name}")
            if canon in by_ident:
                return by_ident[canon]
        sub = f"{module}.celery"
        if sub in self.index.modules:
            self.root(sub, f"the `celery` module of the `-A {module}` package")
            return self.app_of_command(sub, None)
        defined = [a for a in self.model.apps if a.module == module]
        return defined[0] if len(defined) == 1 else None

    def app_roots(self, app: AppConfig) -> None:
        if app.is_open:
            raise _Unknown(f"the configuration of app {app.ident} is open ({app.open_reasons[0]})")
        self.root(app.module, f"the module that creates the app {app.ident}")
        for key, label in (("include", "include="), ("imports", "imports")):
            setting = app.get(key)
            if setting is None:
                continue
            where = f"{label} ({setting.path.rsplit('/', 1)[-1]}:{setting.line})"
            for module in self.strings(setting.value, f"the `{setting.raw_name}` value"):
                self.named_module(module, f"named by {where}")
        if app.task_cls:
            self.root(app.task_cls.rpartition(".")[0], "the module of the app's task_cls")
        for facts in self.production():
            for op in (facts.extras.get("celery_config") or {}).get("ops", []):
                source = op.get("source") or {}
                if op.get("kind") == "config_from_object" and source.get("kind") == "string":
                    target = str(source.get("target", "")).split(":", 1)[0]
                    self.root(target, f"the configuration module read by {facts.module}")

    def named_module(self, module: str, why: str) -> None:
        """A module named by string: in the project, or outside it (nothing to follow)."""
        if module in self.index.modules:
            self.root(module, why)
        elif module.split(".")[0] in self.top_packages:
            raise _Unknown(f"{module} ({why}) is not a module of the project")

    # -- Django --------------------------------------------------------------------------
    def django(self) -> list[str] | None:
        """The installed apps' names (AppConfig.name), after adding Django's start-up modules."""
        settings_module = self.model.django_settings_module()
        if not self.uses_django(settings_module):
            return None
        if settings_module is None or settings_module not in self.index.modules:
            raise _Unknown("the Django settings module cannot be found")
        self.root(settings_module, "the Django settings module")
        entries = self.installed_apps(settings_module)
        admin = any(e in ADMIN_AUTODISCOVER for e in entries)
        extra_names = sorted(
            {n for facts in self.production() for n in _data(facts).get("autodiscover_modules", [])}
        )
        names: list[str] = []
        for entry in entries:
            name, config = self.app_config(entry)
            names.append(name)
            if name not in self.index.modules:
                continue
            self.root(name, f"installed app {name}")
            submodules = ["apps", "models", *extra_names] + (["admin"] if admin else [])
            for sub in submodules:
                why = (
                    f"the {sub} module of installed app {name}"
                    if sub in ("apps", "models", "admin")
                    else f"autodiscover_modules({sub!r}) of installed app {name}"
                )
                self.root(f"{name}.{sub}", why)
            for cls_module, cls in self.ready_classes(name, config):
                for target in cls.get("ready_imports", []):
                    self.root(target, f"imported in {cls['class']}.ready() ({cls_module})")
        libraries = _template_tag_libraries(self.index.modules)
        for name in names:  # the template-tag check imports every template tag library
            for module in libraries.get(name, ()):
                self.root(module, f"a template tag library of installed app {name}")
        self.settings_paths(settings_module)
        return names

    def settings_paths(self, settings_module: str) -> None:
        """Project modules named by dotted strings in the settings: ``ROOT_URLCONF`` (the
        worker's Django fixup runs the system checks, and the URL check imports the URL
        configuration and every view it names), logging handlers, and the rest, which
        Django or a third-party app may import while starting (counted as imported)."""
        symbols = self.model._module_symbols(settings_module)
        urlconf = symbols.get("ROOT_URLCONF")
        if urlconf is not None:
            value = resolve_value(self.index, urlconf[1].folded or Value("unknown"))
            if not (value.kind == "const" and isinstance(value.value, str)):
                raise _Unknown("ROOT_URLCONF cannot be read statically")
        for key, (_owner, sym) in sorted(symbols.items()):
            if key.startswith("CELERY") or "BEAT" in key or key.startswith("_"):
                continue  # task names, not modules Django imports
            value = resolve_value(self.index, sym.folded or Value("unknown"))
            if value.kind != "const":
                continue
            for text in _strings_in(value.value):
                module = self.module_named(text)
                if module is not None:
                    self.root(module, f"a dotted path in settings.{key}")
        self.settings_written_paths(settings_module, symbols)

    def settings_written_paths(
        self, settings_module: str, symbols: dict[str, tuple[ModuleFacts, Any]]
    ) -> None:
        """Settings whose value is not known (appended to, bound under ``if``/``try`` or
        twice, built by a call), over-approximated: every dotted string written to
        them at module level of the settings modules, in any branch, counts. So does every
        string a statement adds to a known value from another settings module (``from .base
        import *`` then ``MIDDLEWARE.append(...)``), which the folded value does not show.
        More modules counted as imported can only silence TQ112."""
        for write in self.settings_writes(settings_module):
            key = write.key
            if key.startswith("CELERY") or "BEAT" in key or key.startswith("_"):
                continue  # task names, not modules Django imports
            found = symbols.get(key)
            if found is None:
                continue  # not a setting: an imported module (``os.environ.setdefault``)
            value = resolve_value(self.index, found[1].folded or Value("unknown"))
            if value.kind == "const":
                if not write.mutates:
                    continue  # the binding the folded value already shows (or overrides)
                why = f"a dotted path added to settings.{key} ({write.where})"
            else:
                why = (
                    f"a dotted path in settings.{key} ({write.where}; its value is not "
                    "known: every string written to it counts)"
                )
            for text in write.strings:
                module = self.module_named(text)
                if module is not None:
                    self.root(module, why)

    def settings_writes(self, settings_module: str) -> list[_SettingWrite]:
        """The module-level statements of the settings modules (the module and what it
        runs into its namespace, as ``_module_symbols`` follows them) that bind or change a
        name, with the strings in each; the settings files are parsed once per build."""
        if self._settings_writes is None:
            self._settings_writes = {}
        cached = self._settings_writes.get(settings_module)
        if cached is not None:
            return cached
        out: list[_SettingWrite] = []
        for module in self.settings_sources(settings_module, set()):
            facts = self.index.modules[module]
            try:
                tree = ast.parse(read_source(Path(facts.path)))
            except (OSError, UnicodeDecodeError, LookupError, SyntaxError, ValueError):
                raise _Unknown(f"the Django settings {facts.path} cannot be read") from None
            out.extend(_writes(tree.body, self.rel(facts)))
        self._settings_writes[settings_module] = out
        return out

    def settings_sources(self, module: str, seen: set[str]) -> list[str]:
        """The modules whose module-level names ``CeleryModel._module_symbols`` merges into
        the settings (``import *``, a ``try`` fallback's ``import *`` of a non-test module,
        django-split-settings includes)."""
        if module in seen or module not in self.index.modules:
            return []
        seen.add(module)
        facts = self.index.modules[module]
        out: list[str] = []
        for imp in sorted(facts.imports, key=lambda i: i.line):
            if "*" in imp.names and imp.scope in RUNS:
                if imp.scope == "fallback" and is_test_module(
                    imp.module, self.settings, self.index
                ):
                    continue
                out.extend(self.settings_sources(imp.module, seen))
        out.append(module)
        for included in self.model._split_includes(facts):
            if not is_test_module(included, self.settings, self.index):
                out.extend(self.settings_sources(included, seen))
        return out

    def module_named(self, text: str) -> str | None:
        """The project module a dotted path names (``pkg.mod``, ``pkg.mod.Class``,
        ``pkg.mod:attr``), else None."""
        if not _DOTTED.match(text) or text.split(".")[0] not in self.top_packages:
            return None
        name = text.split(":", 1)[0]
        while name:
            if name in self.index.modules:
                return name
            name = name.rpartition(".")[0]
        return None

    def uses_django(self, settings_module: str | None) -> bool:
        """Does the worker set Django up? (Django imported anywhere, a settings module named,
        or an app reading ``django.conf:settings``: the Django fixup runs ``django.setup()``.)"""
        if "django" in self.index.packages_used() or settings_module is not None:
            return True
        for facts in self.production():
            for op in (facts.extras.get("celery_config") or {}).get("ops", []):
                target = str((op.get("source") or {}).get("target") or "")
                if target.startswith("django.conf"):
                    return True
        return False

    def installed_apps(self, settings_module: str) -> list[str]:
        chain = self.settings_chain(settings_module, set())
        ops = [
            op
            for module in chain
            for op in _data(self.index.modules[module]).get("installed_apps", [])
        ]
        if ops:
            out: list[str] = []
            for op in ops:
                if not op.get("known"):
                    raise _Unknown(f"INSTALLED_APPS is computed (line {op['line']})")
                for raw in op.get("items") or []:
                    if raw.get("kind") == "prefix":
                        prefix = str(raw.get("value"))
                        if prefix.split(".")[0] in self.top_packages:
                            raise _Unknown(f"INSTALLED_APPS adds {prefix}... (line {op['line']})")
                        continue  # apps of a third-party package, built at run time
                    value = resolve_value(self.index, Value(**raw))
                    for item in self.strings(value, f"INSTALLED_APPS (line {op['line']})"):
                        if item not in out:
                            out.append(item)
            return out
        # class-based settings and other forms the collector does not see
        symbols = self.model._module_symbols(settings_module)
        if "INSTALLED_APPS" not in symbols:
            raise _Unknown(f"INSTALLED_APPS is not found from {settings_module}")
        _owner, sym = symbols["INSTALLED_APPS"]
        return self.strings(sym.folded or Value("unknown"), "INSTALLED_APPS")

    def settings_chain(self, module: str, seen: set[str]) -> list[str]:
        """The settings module and what it runs into its namespace, in order."""
        if module in seen or module not in self.index.modules:
            return []
        seen.add(module)
        if self.model._dynamic_lines(module, set()):
            raise _Unknown(f"the Django settings in {module} are filled at run time")
        facts = self.index.modules[module]
        out: list[str] = []
        for imp in sorted(facts.imports, key=lambda i: i.line):
            if (
                "*" in imp.names
                and imp.scope in RUNS
                and not is_test_module(imp.module, self.settings)
            ):
                out.extend(self.settings_chain(imp.module, seen))
        out.append(module)
        for included in self.model._split_includes(facts):
            if not is_test_module(included, self.settings):
                out.extend(self.settings_chain(included, seen))
        return out

    def app_config(self, entry: str) -> tuple[str, str | None]:
        """An INSTALLED_APPS entry -> (app module name, AppConfig class path or None)."""
        if entry in self.index.modules:
            return entry, None
        module, _, cls_name = entry.rpartition(".")
        if module in self.index.modules:
            for cls in _data(self.index.modules[module]).get("app_configs", []):
                if cls["class"] == cls_name:
                    if cls.get("name") is None:
                        raise _Unknown(f"the app name of {entry} cannot be read")
                    self.root(module, f"the AppConfig module of {entry}")
                    return str(cls["name"]), entry
            # ``pkg.FooConfig`` where ``pkg/__init__.py`` re-exports it from ``pkg.apps``
            target = self.index.resolve(entry)
            if target.module is not None and target.name is not None and not target.rest:
                real = f"{target.module}.{target.name}"
                if real != entry and real.rpartition(".")[0] in self.index.modules:
                    self.root(module, f"the package of {entry}")
                    return self.app_config(real)
            raise _Unknown(f"the AppConfig {entry} cannot be read")
        if entry.split(".")[0] in self.top_packages:
            raise _Unknown(f"installed app {entry} is not a module of the project")
        return entry, None  # a third-party app

    def ready_classes(self, name: str, config: str | None) -> list[tuple[str, dict[str, Any]]]:
        if config is not None:
            module, _, cls_name = config.rpartition(".")
            candidates = [module]
        else:
            module, cls_name = f"{name}.apps", None
            candidates = [module, name]  # an AppConfig in the app's __init__ (old style)
        out: list[tuple[str, dict[str, Any]]] = []
        for mod in candidates:
            facts = self.index.modules.get(mod)
            if facts is None:
                continue
            for cls in _data(facts).get("app_configs", []):
                if cls_name is None or cls["class"] == cls_name:
                    out.append((mod, cls))
        return out

    # -- autodiscover_tasks ----------------------------------------------------------------
    def autodiscovered(self, django_apps: list[str] | None) -> None:
        for facts in self.production():
            for entry in _data(facts).get("autodiscover", []):
                kind = entry["packages"]["kind"]
                related = entry["related_name"]
                if kind == "default":
                    packages = list(django_apps or [])
                elif kind == "installed_apps":
                    if django_apps is None:
                        raise _Unknown("autodiscover_tasks(INSTALLED_APPS) without Django settings")
                    packages = self.installed_apps(str(self.model.django_settings_module()))
                else:
                    packages = []
                    for raw in entry["packages"].get("items", []):
                        if raw.get("kind") == "setting":
                            packages.extend(self.setting_strings(str(raw["value"])))
                            continue
                        packages.extend(
                            self.strings(
                                Value(**raw),
                                f"autodiscover_tasks() packages (line {entry['line']})",
                            )
                        )
                for package in packages:
                    self.related(package, related)

    def related(self, package: str, related: str | None) -> None:
        """celery.loaders.base.find_related_module, statically."""
        why = f"autodiscover_tasks({package!r})"
        if package not in self.index.modules:
            if package.split(".")[0] in self.top_packages:
                parent = package.rpartition(".")[0]
                if parent not in self.index.modules:
                    raise _Unknown(f"{why}: {package} is not a module of the project")
                self.root(parent, why)
                package = parent
            else:
                return  # a third-party package
        else:
            self.root(package, why)
        if related:
            self.root(f"{package}.{related}", f"discovered by {why} as `{related}`")

    # -- closure -------------------------------------------------------------------------
    def edges(self, module: str) -> tuple[list[str], list[str]]:
        """(modules imported at module level, modules imported inside functions)."""
        facts = self.index.modules[module]
        now: list[str] = []
        later: list[str] = []
        for imp in facts.imports:
            if imp.scope == "type_checking" or imp.scope == "main":
                continue
            if (
                imp.scope == "module"
                and imp.module
                and imp.module.split(".")[0] in self.top_packages
                and imp.module not in self.index.modules
                and not self.is_namespace(imp.module)
            ):
                # a project module tasklint does not know (generated, excluded, or named
                # differently): what it imports is unknown
                raise _Unknown(f"{module} imports {imp.module}, which is not in the index")
            targets = statement_targets(module, imp, self.index.modules)
            (now if imp.scope in RUNS else later).extend(targets)
        for target, _line, in_function in _data(facts).get("constant_imports", []):
            if target in self.index.modules:
                (later if in_function else now).append(target)
        return now, later

    def is_namespace(self, name: str) -> bool:
        """A directory of project modules without ``__init__.py``."""
        if self._packages is None:
            self._packages = {p for m in self.index.modules for p in _prefixes(m)[:-1]}
        return name in self._packages

    def add(self, module: str, why: str, into: dict[str, str], queue: deque[str]) -> None:
        """Add a module, and the parent packages importing it runs first."""
        for parent in _prefixes(module)[:-1]:
            if parent in self.index.modules and parent not in into:
                into[parent] = f"the parent package of {module}"
                queue.append(parent)
        if module not in into:
            into[module] = why
            queue.append(module)

    def extend_maybe(
        self, imported: dict[str, str], maybe: dict[str, str], starts: dict[str, str]
    ) -> None:
        """Add modules the worker may import (and everything they import) to ``maybe``."""
        add = self.add
        mqueue: deque[str] = deque()
        for module, why in starts.items():
            if module not in imported:
                add(module, why, maybe, mqueue)
        while mqueue:
            current = mqueue.popleft()
            now, inside = self.edges(current)
            for target in [*now, *inside]:
                if target not in imported:
                    add(target, f"imported by {current}", maybe, mqueue)
        for module in list(maybe):
            if module in imported:
                del maybe[module]

    def follow(self, imported: dict[str, str], queue: deque[str], maybe: dict[str, str]) -> None:
        """Follow module-level imports from the queued modules (function-level: maybe)."""
        later: dict[str, str] = {}
        while queue:
            current = queue.popleft()
            now, inside = self.edges(current)
            for target in now:
                self.add(target, f"imported by {current}", imported, queue)
            for target in inside:
                later.setdefault(target, f"imported inside a function of {current}")
        self.extend_maybe(imported, maybe, later)

    def closure(self) -> tuple[dict[str, str], dict[str, str]]:
        imported: dict[str, str] = {}
        queue: deque[str] = deque()
        add = self.add

        for module, why in self.roots.items():
            add(module, why, imported, queue)
        maybe: dict[str, str] = {}
        self.follow(imported, queue, maybe)
        return imported, maybe
