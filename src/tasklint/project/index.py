"""The project index: per-module facts assembled into queries that rules ask.

Rules never build project knowledge themselves; they ask this index "is this name a Celery
app?", "is this a task, and of which library?", "does this context manager open a
transaction?". Queries are recomputed from facts each run (facts are what gets cached).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from tasklint.project.deployment import DeploymentFacts
from tasklint.project.discovery import SHADOWED_LIBRARIES
from tasklint.project.facts import ClassFact, DecoratorFact, FunctionFact, ModuleFacts, SymbolFact
from tasklint.project.graph import ImportGraph, build_import_graph
from tasklint.syntax.values import Value

CELERY_APP_CLASSES = frozenset({"celery.Celery", "celery.app.Celery", "celery.app.base.Celery"})
CELERY_CURRENT_APP = frozenset(
    {
        "celery.current_app",
        "celery.app.current_app",
        "celery._state.current_app",
        "celery.app.default_app",
    }
)
CELERY_SHARED_TASK = frozenset(
    {
        "celery.shared_task",
        "celery.app.shared_task",
        "celery.task",
        "celery.task.task",
        "celery.task.periodic_task",
        "celery.decorators.task",
        "celery.decorators.periodic_task",
    }
)
DRAMATIQ_ACTOR = frozenset({"dramatiq.actor", "dramatiq.actor.actor", "django_dramatiq.actor"})
RQ_JOB = frozenset({"rq.job", "rq.decorators.job"})
DJANGO_RQ_JOB = frozenset({"django_rq.job", "django_rq.decorators.job"})
DJANGO_ATOMIC = frozenset({"django.db.transaction.atomic", "django.db.transaction.Atomic"})
SQLALCHEMY_FACTORIES = frozenset(
    {
        "flask_sqlalchemy.SQLAlchemy",
        "sqlalchemy.orm.sessionmaker",
        "sqlalchemy.orm.scoped_session",
        "sqlalchemy.orm.Session",
        "sqlalchemy.create_engine",
        "sqlalchemy.ext.asyncio.create_async_engine",
        "sqlalchemy.ext.asyncio.async_sessionmaker",
        "sqlalchemy.ext.asyncio.async_scoped_session",
        "sqlalchemy.ext.asyncio.AsyncSession",
        "sqlmodel.create_engine",
        "sqlmodel.Session",
    }
)
SQLALCHEMY_PACKAGES = frozenset({"sqlalchemy", "sqlmodel", "flask_sqlalchemy"})
CONTEXTMANAGER = frozenset({"contextlib.contextmanager", "contextlib.asynccontextmanager"})


@dataclass(frozen=True)
class Target:
    """What a qualified name resolves to: a project module, a project symbol, or outside."""

    external: str | None = None  # a qualified name outside the project
    module: str | None = None
    name: str | None = None  # None: the module itself
    rest: tuple[str, ...] = ()

    @property
    def is_project(self) -> bool:
        return self.module is not None


@dataclass(frozen=True)
class TaskInfo:
    library: str  # "celery", "rq", "django_rq", "dramatiq", "arq"
    module: str
    name: str
    line: int
    deferred: bool = False  # enqueues already wait for the commit (base Task defers)
    bind: bool = False
    # False when ``bind`` may come from a ``**splat`` of options (its value is unknown)
    bind_known: bool = True


@dataclass(frozen=True)
class TaskDecorator:
    """What a task decorator makes (see ``ProjectIndex.task_decorator``)."""

    library: str
    app: str | None = None  # canonical name of the app of ``<app>.task``; None: shared
    # (module, call) of each project alias on the way, innermost first: its options apply
    layers: tuple[tuple[str, DecoratorFact], ...] = ()


@dataclass
class IndexSettings:
    task_decorators: tuple[str, ...] = ()
    enqueue_functions: tuple[str, ...] = ()
    atomic_contexts: tuple[str, ...] = ()


@dataclass
class ProjectIndex:
    root: str
    modules: dict[str, ModuleFacts] = field(default_factory=dict)
    settings: IndexSettings = field(default_factory=IndexSettings)
    path_to_module: dict[str, str] = field(default_factory=dict)
    # modules of project files that could not be read or parsed: their names are unknown
    unreadable_modules: set[str] = field(default_factory=set)
    # what Dockerfiles, compose files, Procfiles, .env and test configuration say
    deployment: DeploymentFacts = field(default_factory=DeploymentFacts)

    def __post_init__(self) -> None:
        self._packages_used: set[str] | None = None
        self._function_names: set[str] | None = None
        self._resolve = lru_cache(maxsize=None)(self._resolve_uncached)
        self._task = lru_cache(maxsize=None)(self._task_uncached)
        self._task_decorator = lru_cache(maxsize=None)(self._task_decorator_uncached)
        self._import_graph: ImportGraph | None = None
        self._tasks_by_module: dict[str, list[TaskInfo]] | None = None
        self._app_use_sets: tuple[set[str], set[str]] | None = None
        # projections of every module's facts, by name (JSON): see ``table``
        self.tables: dict[str, Any] = {}

    def add(self, facts: ModuleFacts) -> None:
        self.add_many((facts,))

    def add_many(self, many: Iterable[ModuleFacts]) -> None:
        """``add`` of each (a later one of the same module name replaces an earlier one);
        what was derived from the modules is forgotten once, not once per module."""
        for facts in many:
            self.modules[facts.module] = facts
            self.path_to_module[facts.path] = facts.module
        self._packages_used = None
        self._function_names = None
        self._import_graph = None
        self._tasks_by_module = None
        self._app_use_sets = None
        self.tables = {}  # a new dict: one handed to a cache keeps what it was made for
        self._resolve.cache_clear()
        self._task.cache_clear()
        self._task_decorator.cache_clear()
        self.__dict__.pop("_value_memo", None)  # resolved values (project.values)
        self.__dict__.pop("_test_module_memo", None)  # celery_config.is_test_module

    # -- imports -------------------------------------------------------------------------
    @property
    def import_graph(self) -> ImportGraph:
        """Module-level imports between project modules (built once, on first use)."""
        if self._import_graph is None:
            self._import_graph = build_import_graph(self.modules)
        return self._import_graph

    def release_project_working_sets(self) -> None:
        """Forget what only the whole-project passes use (the import graph, the tasks by
        module, the worker's import set: 20 MB on 20,000 modules); each is built again
        on first use. Called once the project rules are done, before the rule workers
        fork, so that no worker starts with them."""
        self._import_graph = None
        self._tasks_by_module = None
        self.__dict__.pop("_worker_imports", None)  # project.worker_imports

    def release_memos(self) -> None:
        """Forget every answer worked out so far, here and in the memos other modules keep
        on the index (each is worked out again on first use). The parent calls it once the
        rule workers have forked (they keep theirs): what it receives from them then reuses
        this memory instead of growing the heap."""
        self.release_project_working_sets()
        self._resolve.cache_clear()
        self._task.cache_clear()
        self._task_decorator.cache_clear()
        own = ProjectIndex(root=self.root).__dict__  # what every index starts with
        for key in [k for k in self.__dict__ if k not in own]:
            del self.__dict__[key]  # a memo of another module (the Celery model...)

    # -- resolution ----------------------------------------------------------------------
    def resolve(self, qualname: str) -> Target:
        return self._resolve(qualname)

    def _resolve_uncached(self, qualname: str, depth: int = 0) -> Target:
        parts = tuple(qualname.split("."))
        for i in range(len(parts), 0, -1):
            mod = ".".join(parts[:i])
            facts = self.modules.get(mod)
            if facts is None:
                continue
            if i == len(parts):
                return Target(module=mod)
            name, rest = parts[i], parts[i + 1 :]
            sym = facts.symbols.get(name)
            if sym is None:
                if i == 1 and mod in SHADOWED_LIBRARIES and not facts.is_package:
                    # a loose top-level ``celery.py`` that does not define the name: the
                    # project's ``from celery import Celery`` is the library's (else the
                    # project could not run at all)
                    return Target(external=qualname)
                # maybe a submodule not indexed, or a star import: unknown project name
                return Target(module=mod, name=name, rest=rest)
            if sym.kind in ("import", "alias") and sym.target and depth < 30:
                full = ".".join([sym.target, *rest])
                if full == qualname:
                    if i == 1 and mod in SHADOWED_LIBRARIES and not facts.is_package:
                        return Target(external=qualname)  # ``from celery import Celery`` in it
                    return Target(module=mod, name=name, rest=rest)
                return self._resolve_uncached(full, depth + 1)
            return Target(module=mod, name=name, rest=rest)
        return Target(external=qualname)

    def symbol(self, target: Target) -> SymbolFact | None:
        if target.module is None or target.name is None:
            return None
        facts = self.modules.get(target.module)
        return facts.symbols.get(target.name) if facts else None

    def function(self, target: Target) -> FunctionFact | None:
        if target.module is None or target.name is None or target.rest:
            return None
        facts = self.modules.get(target.module)
        return facts.functions.get(target.name) if facts else None

    def klass(self, target: Target) -> ClassFact | None:
        if target.module is None or target.name is None or target.rest:
            return None
        facts = self.modules.get(target.module)
        return facts.classes.get(target.name) if facts else None

    def project_bases(self, cls: ClassFact) -> list[tuple[Target, ClassFact]]:
        """The direct base classes of ``cls`` that are project classes, in order."""
        out: list[tuple[Target, ClassFact]] = []
        for base in cls.bases:
            if base is None:
                continue
            target = self.resolve(base)
            found = self.klass(target)
            if found is not None and target.module is not None:
                out.append((target, found))
        return out

    def canonical(self, qualname: str | None) -> str | None:
        """The resolved dotted name (external qualname, or module.name.rest in the project)."""
        if qualname is None:
            return None
        t = self.resolve(qualname)
        if t.external is not None:
            return t.external
        return ".".join(p for p in (t.module, t.name, *t.rest) if p)

    # -- library evidence ----------------------------------------------------------------
    def packages_used(self) -> set[str]:
        if self._packages_used is None:
            self._packages_used = set(self.table("packages_used"))
        return self._packages_used

    # -- projections of every module's facts -----------------------------------------------
    def table(self, name: str) -> Any:
        """A projection of every module's facts (``TABLES``), made on first use. Each is a
        pure function of the modules' facts: a cache may hand the index the tables an
        earlier run made for the same facts (``ProjectScan.index``), so that a run that
        lints one edited file decodes no other module's facts to answer them."""
        found = self.tables.get(name)
        if found is None:
            found = self.tables[name] = TABLES[name][0](self)
        return found

    def use_tables(self, tables: dict[str, Any]) -> None:
        """Take ``tables`` (read from a cache, for exactly these modules' facts) as this
        index's tables: the ones not well formed are left out (made again on use), and
        the tables made from now on are added to the same dict."""
        for name in list(tables):
            if name not in TABLES or not TABLES[name][1](tables[name]):
                del tables[name]
        self.tables = tables

    def yielding_functions(self) -> list[tuple[str, str]]:
        """(module, name) of each module-level function with a ``yield`` inside a ``with``
        (``yield_contexts``, ``yields_in_begin``): the context managers it may define."""
        return [(m, n) for m, n in self.table("yielding_functions")]

    def defines_function(self, name: str) -> bool:
        if self._function_names is None:
            names: set[str] = set()
            for facts in self.modules.values():
                names.update(facts.defined_function_names)
            self._function_names = names
        return name in self._function_names

    def is_class_subclass_of(self, qualname: str, externals: Iterable[str], depth: int = 0) -> bool:
        wanted = set(externals)
        t = self.resolve(qualname)
        if t.external is not None:
            return t.external in wanted
        cls = self.klass(t)
        if cls is None or depth > 20:
            return False
        return any(
            b is not None and self.is_class_subclass_of(b, wanted, depth + 1) for b in cls.bases
        )

    def is_celery_app(self, qualname: str | None, depth: int = 0) -> bool:
        if qualname is None or depth > 10:
            return False
        t = self.resolve(qualname)
        if t.external is not None:
            return t.external in CELERY_CURRENT_APP
        if t.rest:
            return False
        sym = self.symbol(t)
        if sym is None or sym.kind != "call" or sym.target is None:
            return False
        if self._call_makes_celery(sym.target, depth):
            return True
        if sym.annotation and self.canonical(sym.annotation) in CELERY_APP_CLASSES:
            return True  # ``celery_app: Celery = Proxy(get_celery_application)``
        return self.app_by_use(qualname)

    def app_by_use(self, qualname: str) -> bool:
        """An object built by a call tasklint cannot resolve that the project configures
        (``x.config_from_object(...)`` / ``x.autodiscover_tasks(...)``) and uses as an app
        (``@x.task``): a Celery app made by a factory outside the project."""
        t = self.resolve(qualname)
        sym = self.symbol(t)
        if t.rest or sym is None or sym.kind != "call" or sym.target is None:
            return False
        cls = self.klass(self.resolve(sym.target))
        if cls is not None and len(self.project_bases(cls)) == len(cls.bases):
            return False  # a project class whose bases are all known: not an app
        canon = self.canonical(qualname)
        configured, decorated = self._app_uses()
        return canon in configured and canon in decorated

    def _app_uses(self) -> tuple[set[str], set[str]]:
        """(receivers configured as apps, heads of ``@<head>.task`` decorators), canonical."""
        if self._app_use_sets is None:
            configured: set[str] = set()
            decorated: set[str] = set()
            for facts in self.modules.values():
                data = facts.extras.get("celery_config") or {}
                for op in [*data.get("ops", []), *data.get("uses", [])]:
                    if op.get("kind") in ("config_from_object", "autodiscover_tasks"):
                        receiver = op.get("receiver")
                        if isinstance(receiver, str):
                            configured.add(self.canonical(receiver) or receiver)
                funcs = list(facts.functions.values())
                for cls in facts.classes.values():
                    funcs.extend(cls.methods.values())
                for func in funcs:
                    for dec in func.decorators:
                        head, _, attr = (dec.qualname or "").rpartition(".")
                        if attr in ("task", "periodic_task") and head:
                            decorated.add(self.canonical(head) or head)
            self._app_use_sets = (configured, decorated)
        return self._app_use_sets

    def unresolved_task_decorators(self) -> bool:
        """Some ``@<x>.task`` decorator names a project object tasklint cannot identify (an
        app behind a proxy or a property): the project may define tasks it does not see."""
        _, decorated = self._app_uses()
        for head in sorted(decorated):
            t = self.resolve(head)
            if t.module is None or t.name is None or self.is_celery_app(head):
                continue  # outside the project (Locust's ``task``), or a known app
            sym = self.symbol(t)
            if sym is None or sym.kind in ("def", "class", "const"):
                continue
            if sym.kind == "call" and sym.target:
                cls = self.klass(self.resolve(sym.target))
                if cls is not None and len(self.project_bases(cls)) == len(cls.bases):
                    continue  # an instance of a known project class that is no app
            return True
        return False

    def _call_makes_celery(self, callee: str, depth: int) -> bool:
        t = self.resolve(callee)
        if t.external is not None:
            return t.external in CELERY_APP_CLASSES
        if self.klass(t) is not None:
            return self.is_class_subclass_of(callee, CELERY_APP_CLASSES)
        func = self.function(t)
        if func is not None:
            return any(self._call_makes_celery(r, depth + 1) for r in func.returns_calls)
        return False

    def is_sqlalchemy_object(self, qualname: str | None) -> bool:
        if qualname is None:
            return False
        t = self.resolve(qualname)
        if t.external is not None:
            return t.external.split(".")[0] in SQLALCHEMY_PACKAGES
        sym = self.symbol(t)
        if sym is None or sym.kind != "call" or sym.target is None:
            return False
        callee = self.canonical(sym.target) or ""
        return callee in SQLALCHEMY_FACTORIES or callee.split(".")[0] in SQLALCHEMY_PACKAGES

    # -- tasks ---------------------------------------------------------------------------
    def decorator_library(self, qualname: str | None) -> str | None:
        """Which task library a decorator (by qualified name) belongs to, if any."""
        found = self.task_decorator(qualname)
        return found.library if found is not None else None

    def task_decorator(self, qualname: str | None) -> TaskDecorator | None:
        """What a decorator (by qualified name) makes: its library, the Celery app of an
        ``<app>.task``, and the options of the project aliases it goes through
        (``task_with_retry = shared_task(acks_late=True)``, ``functools.partial(shared_task,
        ...)``, a function returning ``shared_task(...)(fn)``)."""
        if qualname is None:
            return None
        return self._task_decorator(qualname)

    def _task_decorator_uncached(self, qualname: str, depth: int = 0) -> TaskDecorator | None:
        lib = self._direct_library(qualname)
        if lib is not None:
            return TaskDecorator(
                lib, app=self._decorator_app(qualname) if lib == "celery" else None
            )
        if depth > 10:
            return None
        t = self.resolve(qualname)
        if t.module is None or t.name is None or t.rest:
            return None
        sym = self.symbol(t)
        if sym is None:
            return None
        made: DecoratorFact | None = None
        inner_qn: str | None = None
        if sym.kind == "call" and sym.call is not None and sym.target:
            if self.canonical(sym.target) == "functools.partial":
                if sym.call.positional == 1 and sym.call_args:
                    made, inner_qn = sym.call, sym.call_args[0]
            elif sym.call.positional == 0:
                made, inner_qn = sym.call, sym.target
        elif sym.kind == "def":
            func = self.function(t)
            if func is not None and func.returns_decorated is not None:
                made, inner_qn = func.returns_decorated, func.returns_decorated.qualname
            elif func is not None and func.returns_forwarded is not None:
                made, inner_qn = func.returns_forwarded, func.returns_forwarded.qualname
        if made is None or inner_qn is None:
            return None
        inner = self._task_decorator_uncached(inner_qn, depth + 1)
        if inner is not None and inner.library == "rq":
            # ``job = functools.partial(RecordingJob, connection=redis)`` (Redash's shape)
            return TaskDecorator("rq", None, (*inner.layers, (t.module, made)))
        if inner is None or inner.library != "celery":
            return None
        return TaskDecorator("celery", inner.app, (*inner.layers, (t.module, made)))

    def _decorator_app(self, qualname: str) -> str | None:
        """The app (canonical name) of ``<app>.task``; None for shared tasks."""
        for name in (qualname, self.canonical(qualname) or qualname):
            head, _, attr = name.rpartition(".")
            if attr in ("task", "periodic_task") and head and self.is_celery_app(head):
                return self.canonical(head)
        return None

    def _direct_library(self, qualname: str) -> str | None:
        if qualname in self.settings.task_decorators:
            return "celery"
        canon = self.canonical(qualname)
        if canon in self.settings.task_decorators:
            return "celery"
        if canon in CELERY_SHARED_TASK:
            return "celery"
        if canon in DRAMATIQ_ACTOR:
            return "dramatiq"
        if canon in RQ_JOB or self.is_class_subclass_of(qualname, RQ_JOB):
            return "rq"  # also a project subclass of ``rq.decorators.job``
        if canon in DJANGO_RQ_JOB:
            return "django_rq"
        for name in (qualname, canon or qualname):
            head, _, attr = name.rpartition(".")
            if attr in ("task", "periodic_task") and head and self.is_celery_app(head):
                return "celery"
        return None

    def task(self, qualname: str | None) -> TaskInfo | None:
        if qualname is None:
            return None
        return self._task(qualname)

    def _task_uncached(self, qualname: str) -> TaskInfo | None:
        t = self.resolve(qualname)
        if t.module is None or t.name is None or t.rest:
            return None
        func = self.function(t)
        sym = self.symbol(t)
        if func is not None and sym is not None and sym.kind == "def":
            for dec in func.decorators:
                found = self.task_decorator(dec.qualname)
                if found is not None:
                    layers = [d for _, d in found.layers] + [dec]
                    return TaskInfo(
                        library=found.library,
                        module=t.module,
                        name=t.name,
                        line=dec.line,
                        deferred=any(self._defers_to_commit(d) for d in layers),
                        bind=any(self._decorator_true(d, "bind") for d in layers),
                        bind_known=any("bind" in d.keywords for d in layers)
                        or all(_splats_known(self, d) for d in layers),
                    )
            return None
        if sym is not None and sym.kind == "call" and sym.target:
            if sym.call is not None and sym.call.positional == 0:
                return None  # ``task_with_retry = shared_task(...)``: a decorator, no task
            # ``send = app.task(send_impl)`` / ``shared_task(bind=True)(impl)``
            lib = self.decorator_library(sym.target)
            if lib is not None:
                return TaskInfo(library=lib, module=t.module, name=t.name, line=sym.line)
        return None

    def tasks_by_module(self) -> dict[str, list[TaskInfo]]:
        """Every task the project defines (any library), by defining module."""
        if self._tasks_by_module is None:
            found: dict[str, list[TaskInfo]] = {}
            for module in sorted(self.modules):
                facts = self.modules[module]
                for name, sym in sorted(facts.symbols.items()):
                    if sym.kind not in ("def", "call"):
                        continue
                    info = self.task(f"{module}.{name}")
                    if info is not None and info.module == module:
                        found.setdefault(module, []).append(info)
            for info in self._arq_functions():
                tasks = found.setdefault(info.module, [])
                if all(t.name != info.name for t in tasks):
                    tasks.append(info)
            self._tasks_by_module = found
        return self._tasks_by_module

    def _arq_functions(self) -> list[TaskInfo]:
        """Functions listed by name in an arq worker class's ``functions`` / ``cron_jobs``."""
        if "arq" not in self.packages_used():
            return []
        out: list[TaskInfo] = []
        for module in sorted(self.modules):
            facts = self.modules[module]
            for cls in facts.classes.values():
                if "arq" not in facts.imported_packages and "Worker" not in cls.name:
                    continue  # a ``functions`` list on some other class
                for attr in ("functions", "cron_jobs"):
                    fact = cls.attributes.get(attr)
                    if fact is None or fact.value.kind != "list":
                        continue
                    for item in fact.value.value or []:
                        if not isinstance(item, dict) or item.get("kind") != "name":
                            continue
                        target = self.resolve(str(item.get("qualname")))
                        func = self.function(target)
                        if func is not None and target.module is not None:
                            out.append(TaskInfo("arq", target.module, func.name, func.line))
        return out

    def _decorator_true(self, dec: DecoratorFact, key: str) -> bool:
        return _decorator_true_resolved(self, dec, key)

    def _defers_to_commit(self, dec: DecoratorFact) -> bool:
        base = dec.keywords.get("base")
        if base is None or base.kind != "name" or base.qualname is None:
            return False
        return self._class_defers(base.qualname, 0)

    def _class_defers(self, qualname: str, depth: int) -> bool:
        if depth > 20:
            return False
        t = self.resolve(qualname)
        cls = self.klass(t)
        if cls is None:
            return False
        for meth in ("apply_async", "delay"):
            m = cls.methods.get(meth)
            if m is not None and m.calls_on_commit:
                return True
        return any(b is not None and self._class_defers(b, depth + 1) for b in cls.bases)

    # -- transactions --------------------------------------------------------------------
    def is_atomic_context(self, qualname: str | None, depth: int = 0) -> bool:
        """Does calling this (as a context manager or decorator) open a DB transaction?"""
        if qualname is None or depth > 10:
            return False
        if qualname in self.settings.atomic_contexts:
            return True
        t = self.resolve(qualname)
        if t.external is not None:
            return t.external in DJANGO_ATOMIC or t.external in self.settings.atomic_contexts
        canon = self.canonical(qualname)
        if canon in self.settings.atomic_contexts:
            return True
        func = self.function(t)
        if func is None:
            return False
        if not any(self.canonical(d.qualname) in CONTEXTMANAGER for d in func.decorators):
            return False
        if func.yields_in_begin and (
            SQLALCHEMY_PACKAGES & set(self.modules[t.module].imported_packages)  # type: ignore[index]
        ):
            return True
        return any(self.is_atomic_context(c, depth + 1) for c in func.yield_contexts)


def _decorator_true_resolved(index: ProjectIndex, dec: DecoratorFact, key: str) -> bool:
    """``key=True`` on a decorator, through module constants and ``**NAME`` splats."""
    from tasklint.project.values import resolve_value

    value = dec.keywords.get(key)
    if value is not None:
        return resolve_value(index, value) == Value("const", True)
    for splat in dec.splats:
        resolved = resolve_value(index, splat)
        if resolved.kind == "const" and isinstance(resolved.value, dict):
            if resolved.value.get(key) is True:
                return True
    return False


def _splats_known(index: ProjectIndex, dec: DecoratorFact) -> bool:
    """Are the keys of every ``**NAME`` splat of the decorator known?"""
    from tasklint.project.values import resolve_value

    if not dec.has_kwargs_splat:
        return True
    if len(dec.splats) != len(dec.splat_lines) or not dec.splats:
        return False
    for splat in dec.splats:
        resolved = resolve_value(index, splat)
        if resolved.kind not in ("const", "dict") or not isinstance(resolved.value, dict):
            return False
    return True


def _const_true(dec: DecoratorFact, key: str) -> bool:
    value = dec.keywords.get(key)
    return value is not None and value.kind == "const" and value.value is True


def _packages_used(index: ProjectIndex) -> list[str]:
    used: set[str] = set()
    for facts in index.modules.values():
        used.update(facts.imported_packages)
    return sorted(used)


def _yielding_functions(index: ProjectIndex) -> list[list[str]]:
    out: list[list[str]] = []
    for facts in index.modules.values():
        for name, func in facts.functions.items():
            if func.yield_contexts or func.yields_in_begin:
                out.append([facts.module, name])
    return out


def _extras(index: ProjectIndex) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for facts in index.modules.values():
        for name in facts.extras:
            out.setdefault(name, []).append(facts.module)
    return out


def _names(value: object) -> bool:
    return type(value) is list and all(type(x) is str for x in value)


def _pairs(value: object) -> bool:
    return type(value) is list and all(type(x) is list and len(x) == 2 and _names(x) for x in value)


def _by_name(value: object) -> bool:
    return type(value) is dict and all(type(k) is str and _names(v) for k, v in value.items())


# name -> (make it from the index, is it a well-formed value of it): values read from a
# cache are checked, and one that is not well formed is made again
TABLES: dict[str, tuple[Callable[[ProjectIndex], Any], Callable[[object], bool]]] = {
    "packages_used": (_packages_used, _names),
    "yielding_functions": (_yielding_functions, _pairs),
    "extras": (_extras, _by_name),
}
