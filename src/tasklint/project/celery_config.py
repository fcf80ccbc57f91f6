"""The Celery model of a project: apps, their effective configuration, and tasks with options.

Every setting is Known (a constant), Unknown (set, value not statically knowable) or Absent.
A source that cannot be read (``conf.update(load())``, ``config_from_object(obj)``,
``config_from_envvar``) makes the whole app's configuration *open*: rules about absent
settings stay silent for that app.
"""

from __future__ import annotations

import fnmatch
import functools
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from tasklint.config import Settings
from tasklint.project import values
from tasklint.project.facts import (
    ClassFact,
    FunctionFact,
    ModuleFacts,
    SymbolFact,
)
from tasklint.project.index import CELERY_APP_CLASSES, ProjectIndex, Target, TaskDecorator
from tasklint.syntax.constants import as_value
from tasklint.syntax.values import Value

UNKNOWN = Value("unknown")
# Celery(...) keyword arguments that are settings under another name
CELERY_KWARG_SETTINGS = {"broker": "broker_url", "backend": "result_backend", "include": "include"}
CELERY_KWARG_NOT_SETTINGS = frozenset(
    {
        "main",
        "loader",
        "amqp",
        "events",
        "log",
        "control",
        "set_as_current",
        "tasks",
        "changes",
        "config_source",
        "fixups",
        "task_cls",
        "autofinalize",
        "namespace",
        "strict_typing",
    }
)


ALIAS_SOURCE = "task decorator alias in "
# methods of a Celery subclass through which it can configure itself at run time
APP_CONFIG_HOOKS = frozenset(
    {
        "__init__",
        "on_init",
        "on_configure",
        "on_after_configure",
        "config_from_object",
        "add_defaults",
        "_load_config",
        "prepare_config",
        "conf",
    }
)


def normalize_setting(key: str, namespace: str | None) -> str | None:
    """The new-style setting name Celery reads ``key`` as (None: Celery ignores it)."""
    from tasklint.data import celery_settings as data

    info = data.resolve(key, namespace)
    return info.name if info is not None else None


@dataclass
class SettingValue:
    name: str  # new-style name
    raw_name: str  # as written
    value: Value  # resolved: const, dict, list or unknown
    path: str
    line: int
    col: int
    source: str  # human description of where it comes from

    @property
    def known(self) -> bool:
        return self.value.kind == "const"


@dataclass
class RawEntry:
    """A key written in a configuration source, recognised or not (for TQ508/TQ509/TQ510)."""

    key: str
    value: Value
    path: str
    line: int
    col: int
    source_kind: str  # "kwargs", "update", "set", "module", "class", "django"
    source_id: str  # identifies one source (one conf.update call, one module...)
    namespace: str | None
    module: str | None  # module the entry is written in (for test/dev checks)


@dataclass
class AppConfig:
    ident: str
    path: str
    line: int
    col: int
    module: str
    settings: dict[str, SettingValue] = field(default_factory=dict)
    entries: list[RawEntry] = field(default_factory=list)
    open_reasons: list[str] = field(default_factory=list)
    task_cls: str | None = None
    # a project subclass overrides ``gen_task_name``: derived task names are unknown
    names_open: bool = False

    @property
    def is_open(self) -> bool:
        return bool(self.open_reasons)

    def get(self, name: str) -> SettingValue | None:
        return self.settings.get(name)

    def value(self, name: str) -> Value | None:
        """Known or Unknown value of a setting; None when Absent."""
        s = self.settings.get(name)
        return s.value if s is not None else None


@dataclass
class TaskOption:
    name: str
    value: Value
    path: str
    line: int
    col: int
    source: str  # "decorator", "task decorator alias in M", "base class X", "task_annotations"

    @property
    def on_decorator(self) -> bool:
        """Written as a keyword of the task's decorator or of a decorator alias's call."""
        return self.source == "decorator" or self.source.startswith(ALIAS_SOURCE)


@dataclass
class CeleryTask:
    module: str
    function: str
    path: str
    line: int  # decorator line
    col: int
    registered_name: str
    apps: list[AppConfig]
    options: dict[str, TaskOption] = field(default_factory=dict)
    options_open: bool = False  # base class or options not fully known
    fact: FunctionFact | None = None
    # the apps whose configuration value rules read: the worker's app when the deployment
    # files name it and it can run the task, else every app that can run it
    value_apps: list[AppConfig] = field(default_factory=list)
    # False when no ``name=`` is given and an app derives names its own way (gen_task_name)
    name_known: bool = True

    def option(self, name: str) -> TaskOption | None:
        return self.options.get(name)


def resolve_value(index: ProjectIndex, value: Value, depth: int = 0) -> Value:
    """Follow names and compute expressions across the project (see ``project.values``)."""
    return values.resolve_value(index, value, depth)


def splat_entries(index: ProjectIndex, value: Value) -> dict[str, Value] | None:
    """The keys and resolved values a ``**NAME`` splat contributes (None: keys unknown)."""
    resolved = resolve_value(index, value)
    if resolved.kind == "const" and isinstance(resolved.value, dict):
        return {str(k): Value("const", v) for k, v in resolved.value.items()}
    if resolved.kind == "dict" and isinstance(resolved.value, dict):
        return {str(k): as_value(v) for k, v in resolved.value.items()}
    return None


def dict_entry(value: Value | None, key: str) -> Value | None:
    """An entry of a dict-valued setting: None when absent, unknown when unknowable."""
    if value is None:
        return None
    if value.kind == "const":
        if isinstance(value.value, dict):
            return Value("const", value.value[key]) if key in value.value else None
        return UNKNOWN
    if value.kind == "dict" and isinstance(value.value, dict):
        raw = value.value.get(key)
        if raw is None:
            return None
        return raw if isinstance(raw, Value) else Value(**raw)
    return UNKNOWN


def settings_only_in_test_config(index: ProjectIndex) -> frozenset[str]:
    """Settings modules named only by the test configuration (pytest, tox, setup.cfg): no
    deployment file and no ``DJANGO_SETTINGS_MODULE`` default in the code names them."""
    memo = index.__dict__.get("_test_only_settings")
    if isinstance(memo, frozenset):
        return memo
    named = set(index.deployment.settings_modules())
    for facts in index.modules.values():
        data = facts.extras.get("celery_config") or {}
        named.update(d["module"] for d in data.get("django_settings", []))
    found = frozenset(
        m for m in index.deployment.settings_modules(test_only=True) if m not in named
    )
    index.__dict__["_test_only_settings"] = found
    return found


def is_test_module(module: str, settings: Settings, index: ProjectIndex | None = None) -> bool:
    """A test- or development-only module (``test-modules`` globs; with ``index``, also a
    settings module named only by the test configuration)."""
    patterns = tuple(settings.test_modules)
    if index is None:
        return _matches_test_globs(module, patterns)
    # asked for the same modules over and over (every project rule, the worker's import
    # set): remembered per index and globs (ProjectIndex.add forgets it)
    memo = index.__dict__.get("_test_module_memo")
    if not isinstance(memo, dict):
        memo = index.__dict__["_test_module_memo"] = {}
    known = memo.get(patterns)
    if known is None:
        known = memo[patterns] = {}
    found = known.get(module)
    if found is None:
        found = known[module] = (
            module in settings_only_in_test_config(index)
            or _under_test_directory(index, module)
            or _matches_test_globs(module, patterns)
        )
    return found


@functools.lru_cache(maxsize=65536)
def _matches_test_globs(module: str, patterns: tuple[str, ...]) -> bool:
    """The whole module name or one of its parts matches a glob (asked for the same
    modules over and over by the project rules: remembered)."""
    whole, part = _test_glob_patterns(patterns)
    if whole is not None and whole.match(module):
        return True
    return part is not None and any(part.match(p) for p in module.split("."))


@functools.lru_cache(maxsize=64)
def _test_glob_patterns(
    patterns: tuple[str, ...],
) -> tuple[re.Pattern[str] | None, re.Pattern[str] | None]:
    """One regex for the globs a whole module name may match (fnmatchcase each), one for
    those a name part may match (the globs without a dot)."""
    dotless = [p for p in patterns if "." not in p]
    whole = re.compile("|".join(fnmatch.translate(p) for p in patterns)) if patterns else None
    part = re.compile("|".join(fnmatch.translate(p) for p in dotless)) if dotless else None
    return whole, part


TEST_DIRECTORIES = frozenset({"test", "tests", "testing"})


def _under_test_directory(index: ProjectIndex, module: str) -> bool:
    """The module's file lies in a ``test``/``tests``/``testing`` directory below the project
    root (``tests/site/settings.py`` named ``site.settings`` by its ``manage.py``): RULES.md
    counts a path containing ``tests`` as test-only, whatever the module name."""
    facts = index.modules.get(module)
    if facts is None:
        return False
    if "test" not in facts.path.lower():
        return False  # no part of the path can be a test directory
    try:
        rel = Path(facts.path).relative_to(index.root).parts[:-1]
    except ValueError:
        return False
    return any(part.lower() in TEST_DIRECTORIES for part in rel)


class _Members:
    """``x in apps`` for a list of apps, without comparing ``x`` with every app: the same
    answer as the list (identity, else dataclass equality), looked up by the fields that
    equal apps share."""

    def __init__(self, apps: Iterable[AppConfig] = ()) -> None:
        self._ids: set[int] = set()  # the listed objects themselves (alive: listed here)
        self._by_key: dict[tuple[str, str, int, int, str], list[AppConfig]] = {}
        for app in apps:
            self.add(app)

    def add(self, app: AppConfig) -> None:
        self._ids.add(id(app))
        key = (app.ident, app.path, app.line, app.col, app.module)
        self._by_key.setdefault(key, []).append(app)

    def __contains__(self, app: object) -> bool:
        if id(app) in self._ids:
            return True
        if not isinstance(app, AppConfig):
            return False
        bucket = self._by_key.get((app.ident, app.path, app.line, app.col, app.module), ())
        return any(other == app for other in bucket)


class CeleryModel:
    """Assembled once per run from the index; rules query it."""

    def __init__(self, index: ProjectIndex, settings: Settings) -> None:
        self.index = index
        self.settings = settings
        self.apps: list[AppConfig] = []
        self._app_by_qualname: dict[str, AppConfig] = {}
        self._worker_apps: list[AppConfig] | None = None
        self._worker_reach: dict[str, set[str] | None] = {}
        self._worker_app_members: _Members | None = None
        self._built_in_function: bool | None = None
        self._settings_modules: list[str] | None = None
        self._discover_uses: list[dict[str, Any]] | None = None
        self._tasks_by_app: (
            dict[tuple[str, str, int, int, str], list[tuple[int, AppConfig]]] | None
        ) = None
        self._build_apps()
        self._tasks: list[CeleryTask] | None = None

    @classmethod
    def of(cls, index: ProjectIndex, settings: Settings) -> CeleryModel:
        cached = getattr(index, "_celery_model", None)
        if isinstance(cached, CeleryModel) and cached.settings is settings:
            return cached
        model = cls(index, settings)
        index._celery_model = model  # type: ignore[attr-defined]
        return model

    # -- apps --------------------------------------------------------------------------
    def _modules(self) -> Iterator[ModuleFacts]:
        for name in sorted(self.index.modules):
            yield self.index.modules[name]

    def _build_apps(self) -> None:
        pending_ops: list[tuple[ModuleFacts, dict[str, Any], AppConfig | None]] = []
        # apps configured through expressions tasklint may not follow (see _close_loose_apps)
        loose: list[AppConfig] = []
        unattributed: list[str] = []
        for facts in self._modules():
            data = facts.extras.get("celery_config")
            if not data:
                continue
            test = is_test_module(facts.module, self.settings, self.index)
            local_apps: dict[int, AppConfig] = {}
            for i, app in enumerate(data.get("apps", [])):
                if test:
                    continue
                ident = (
                    f"{facts.module}.{app['var']}"
                    if app.get("var")
                    else f"{facts.module}:{app['line']}"  # no absolute path in messages
                )
                cfg = AppConfig(
                    ident=ident,
                    path=facts.path,
                    line=app["line"],
                    col=app["col"],
                    module=facts.module,
                )
                self._apply_kwargs(cfg, facts, app)
                self.apps.append(cfg)
                local_apps[i] = cfg
                if app.get("anonymous") or app.get("in_function"):
                    loose.append(cfg)
                if app.get("var") and not app.get("in_function"):
                    self._app_by_qualname[ident] = cfg
            for op in data.get("ops", []):
                if test:
                    continue
                local = op.get("local_app")
                pending_ops.append(
                    (facts, op, local_apps.get(local) if local is not None else None)
                )
            if not test:
                unattributed.extend(f"{facts.path}:{n}" for n in data.get("unattributed", []))
        self._build_other_apps()
        for facts, op, local in pending_ops:
            targets = [local] if local is not None else self._apps_for_receiver(op.get("receiver"))
            if not targets:
                unattributed.append(f"{facts.path}:{op['line']}")
            for cfg in targets:
                self._apply_op(cfg, facts, op)
        self._close_loose_apps(loose, unattributed)
        for cfg in self.apps:
            self._finish(cfg)

    @staticmethod
    def _close_loose_apps(loose: list[AppConfig], unattributed: list[str]) -> None:
        """An app made inside a function or assigned to no plain name (``self.app =
        Celery(...)``, ``registry["celery"] = Celery(...)``) is reached elsewhere through
        names tasklint does not link to it (the factory's return value, another method's
        ``self.app``): configuration that reaches no known app may be its, so what it leaves
        absent is unknown."""
        if not unattributed:
            return
        where = unattributed[0].rsplit("/", 1)[-1]
        more = f" and {len(unattributed) - 1} more" if len(unattributed) > 1 else ""
        for cfg in loose:
            cfg.open_reasons.append(f"configuration that reaches no known app ({where}{more})")

    def _build_other_apps(self) -> None:
        """Apps not made by a ``Celery(...)`` call: instances of project classes deriving
        from ``Celery`` and objects an unresolvable factory builds that the project
        configures and decorates tasks with (``ProjectIndex.app_by_use``)."""
        for facts in self._modules():
            if is_test_module(facts.module, self.settings, self.index):
                continue
            for name, sym in sorted(facts.symbols.items()):
                if sym.kind != "call" or not sym.target:
                    continue
                ident = f"{facts.module}.{name}"
                if ident in self._app_by_qualname or not self._other_app(ident, sym):
                    continue
                call = sym.call
                cfg = AppConfig(
                    ident=ident,
                    path=facts.path,
                    line=call.line if call is not None else sym.line,
                    col=call.col if call is not None else sym.col,
                    module=facts.module,
                )
                if call is not None:
                    kwargs = {
                        key: {
                            "line": call.keyword_lines.get(key, [call.line, call.col])[0],
                            "col": call.keyword_lines.get(key, [call.line, call.col])[1],
                            "value": value.__dict__,
                        }
                        for key, value in call.keywords.items()
                    }
                    app = {
                        "line": cfg.line,
                        "kwargs": kwargs,
                        "splat": call.has_kwargs_splat,
                        "splats": [
                            {"line": line, "col": col, "value": splat.__dict__}
                            for splat, (line, col) in zip(call.splats, call.splat_lines)
                        ],
                    }
                    self._apply_kwargs(cfg, facts, app)
                self._apply_app_class(cfg, sym.target)
                if not self.index.is_class_subclass_of(sym.target, CELERY_APP_CLASSES):
                    # a factory tasklint cannot read may configure the app it builds (from a
                    # Flask config, the environment...): what it leaves absent is unknown
                    cfg.open_reasons.append(f"built by {sym.target}(...), which may configure it")
                self.apps.append(cfg)
                self._app_by_qualname[ident] = cfg

    def _apply_app_class(self, cfg: AppConfig, qualname: str) -> None:
        """A project subclass of ``Celery`` that configures itself in code leaves the
        configuration open; its ``task_cls`` attribute is the app's default Task class."""
        target = self.index.resolve(qualname)
        cls = self.index.klass(target)
        if cls is None:
            return
        for _, klass in self._class_chain(target, cls):
            if "gen_task_name" in klass.methods:
                cfg.names_open = True
            hooks = sorted(APP_CONFIG_HOOKS & set(klass.methods))
            if hooks:
                cfg.open_reasons.append(f"class {klass.name} overrides {hooks[0]}()")
            attr = klass.attributes.get("task_cls")
            if attr is not None and cfg.task_cls is None:
                value = attr.value
                if value.kind == "const" and isinstance(value.value, str):
                    cfg.task_cls = value.value.replace(":", ".")
                elif value.kind == "name":
                    cfg.task_cls = value.qualname

    def _other_app(self, ident: str, sym: SymbolFact) -> bool:
        assert sym.target is not None
        callee = self.index.resolve(sym.target)
        if self.index.klass(callee) is not None:
            if self.index.is_class_subclass_of(sym.target, CELERY_APP_CLASSES):
                return True
        elif self.index.function(callee) is not None and callee.module is not None:
            # a project factory: its own Celery(...) call is the app already
            data = self.index.modules[callee.module].extras.get("celery_config") or {}
            if any(a.get("in_function") for a in data.get("apps", [])):
                return False
            if self.index.is_celery_app(ident):
                return False  # ``return Celery(...)`` inside: the factory's app
        if sym.annotation and self.index.canonical(sym.annotation) in CELERY_APP_CLASSES:
            # ``app: Celery = Proxy(make_app)``: the project says it is an app; when a
            # function builds a Celery(...) app, the proxy is most likely that app already
            return not self._app_in_function()
        return self.index.app_by_use(ident)

    def _app_in_function(self) -> bool:
        """Does some project function build a ``Celery(...)`` app? (Once per model.)"""
        if self._built_in_function is None:
            self._built_in_function = any(
                a.get("in_function")
                for f in self._modules()
                for a in (f.extras.get("celery_config") or {}).get("apps", [])
            )
        return self._built_in_function

    def _apps_for_receiver(self, receiver: str | None) -> list[AppConfig]:
        if receiver is None:
            return []
        canon = self.index.canonical(receiver)
        if canon in self._app_by_qualname:
            return [self._app_by_qualname[canon]]
        if self.index.resolve(receiver).external in (
            "celery.current_app",
            "celery.app.current_app",
            "celery._state.current_app",
        ):
            return list(self.apps) if len(self.apps) == 1 else []
        return []

    def _set(
        self,
        cfg: AppConfig,
        key: str,
        raw: dict[str, Any],
        facts: ModuleFacts,
        source: str,
        kind: str,
        source_id: str,
        namespace: str | None,
    ) -> None:
        value = resolve_value(self.index, Value(**raw["value"]))
        cfg.entries.append(
            RawEntry(
                key,
                value,
                facts.path,
                raw["line"],
                raw["col"],
                kind,
                source_id,
                namespace,
                facts.module,
            )
        )
        name = normalize_setting(key, namespace)
        if name is None:
            return
        cfg.settings[name] = SettingValue(
            name, key, value, facts.path, raw["line"], raw["col"], source
        )

    def _apply_kwargs(self, cfg: AppConfig, facts: ModuleFacts, app: dict[str, Any]) -> None:
        kwargs: dict[str, Any] = {}
        if app.get("splat"):
            found, unknown = self._splat_raws(app.get("splats") or [])
            if unknown or not app.get("splats"):
                cfg.open_reasons.append(f"Celery(**kwargs) with unknown keys (line {app['line']})")
            kwargs.update(found)
        kwargs.update(app.get("kwargs", {}))
        for key, raw in kwargs.items():
            if key == "task_cls":
                value = Value(**raw["value"])
                if value.kind == "const" and isinstance(value.value, str):
                    cfg.task_cls = value.value.replace(":", ".")
                elif value.kind == "name":
                    cfg.task_cls = value.qualname
                continue
            if key == "config_source":
                self._from_object(cfg, facts, {"source": _source_of(raw), "line": raw["line"]})
                continue
            if key in CELERY_KWARG_NOT_SETTINGS:
                continue
            name = CELERY_KWARG_SETTINGS.get(key, key)
            self._set(
                cfg,
                name,
                raw,
                facts,
                "Celery(...) keyword",
                "kwargs",
                f"{facts.path}:{app['line']}",
                None,
            )

    def _splat_raws(self, splats: list[dict[str, Any]]) -> tuple[dict[str, Any], bool]:
        """Entries (as raw keyword facts) of ``**NAME`` / ``update(NAME)`` arguments that
        resolve to dicts, in order; the flag says some argument's keys are unknown."""
        found: dict[str, Any] = {}
        unknown = False
        for splat in splats:
            entries = splat_entries(self.index, as_value(splat.get("value")))
            if entries is None:
                unknown = True
                continue
            for key, value in entries.items():
                found[key] = {"value": value.__dict__, "line": splat["line"], "col": splat["col"]}
        return found, unknown

    def _apply_op(self, cfg: AppConfig, facts: ModuleFacts, op: dict[str, Any]) -> None:
        kind = op["kind"]
        if kind in ("update", "set"):
            entries = dict(op.get("entries", {}))
            found, unknown = self._splat_raws(op.get("splats") or [])
            if op.get("unknown") or unknown:
                cfg.open_reasons.append(
                    f"conf.update(...) with a non-literal argument (line {op['line']})"
                )
            entries = {**found, **entries}
            where = "conf.update" if kind == "update" else "conf attribute"
            for key, raw in entries.items():
                self._set(cfg, key, raw, facts, where, kind, f"{facts.path}:{op['line']}", None)
        elif kind == "config_from_object":
            self._from_object(cfg, facts, op)
        else:
            cfg.open_reasons.append(f"{kind}(...) (line {op['line']})")

    def _from_object(self, cfg: AppConfig, facts: ModuleFacts, op: dict[str, Any]) -> None:
        source = op.get("source") or {"kind": "unknown"}
        namespace = op.get("namespace")
        if namespace == "?" and op.get("namespace_value"):
            named = resolve_value(self.index, as_value(op["namespace_value"]))
            if named.kind == "const" and (named.value is None or isinstance(named.value, str)):
                namespace = named.value
        if namespace == "?":
            cfg.open_reasons.append("config_from_object(namespace=<unknown>)")
            return
        if source["kind"] == "name" and source.get("target"):
            named = resolve_value(self.index, Value("name", qualname=source["target"]))
            if named.kind == "const" and isinstance(named.value, str):
                # ``config_from_object(CONFIG_MODULE)`` with ``CONFIG_MODULE = "proj.conf"``
                source = {"kind": "string", "target": named.value}
        if source["kind"] == "string":
            target = source["target"]
            if target.startswith("django.conf:settings") or target == "django.conf.settings":
                self._from_django(cfg, namespace)
                return
            module = target.replace(":", ".")
            if module in self.index.modules:
                self._from_module(cfg, module, namespace, "module")
                return
            # "pkg.module:Class" / "pkg.module.Class"
            target_obj = self.index.resolve(module)
            if self._from_class(cfg, target_obj, namespace):
                return
            cfg.open_reasons.append(f"config_from_object({target!r}) not found in the project")
            return
        if source["kind"] == "name" and source.get("target"):
            qn = source["target"]
            target_obj = self.index.resolve(qn)
            if target_obj.is_project and target_obj.name is None and target_obj.module:
                self._from_module(cfg, target_obj.module, namespace, "module")
                return
            if self._from_class(cfg, target_obj, namespace):
                return
            if target_obj.external in ("django.conf.settings",):
                self._from_django(cfg, namespace)
                return
        cfg.open_reasons.append("config_from_object(<unknown object>)")

    def _from_class(self, cfg: AppConfig, target: Target, namespace: str | None) -> bool:
        cls = self.index.klass(target)
        if cls is None or target.module is None:
            return False
        facts = self.index.modules[target.module]
        chain = self._class_chain(target, cls)
        for owner_module, klass in reversed(chain):
            owner = self.index.modules[owner_module]
            for key, attr in klass.attributes.items():
                raw = {"value": attr.value.__dict__, "line": attr.line, "col": attr.col}
                self._set(
                    cfg,
                    key,
                    raw,
                    owner,
                    f"class {klass.name}",
                    "class",
                    f"{owner.path}:{klass.line}",
                    namespace,
                )
        del facts
        return True

    def _class_chain(
        self, target: Target, cls: ClassFact, depth: int = 0
    ) -> list[tuple[str, ClassFact]]:
        out = [(target.module or "", cls)]
        if depth > 10:
            return out
        for t, k in self.index.project_bases(cls):
            out.extend(self._class_chain(t, k, depth + 1))
        return out

    def _chain_truncated(self, cls: ClassFact, depth: int = 0) -> bool:
        """Does ``_class_chain`` stop before the end of this class's project bases?"""
        bases = self.index.project_bases(cls)
        if depth > 10:
            return bool(bases)
        return any(self._chain_truncated(k, depth + 1) for _, k in bases)

    def _module_symbols(
        self, module: str, seen: set[str] | None = None
    ) -> dict[str, tuple[ModuleFacts, Any]]:
        """Module-level names of a settings module, following ``from X import *``."""
        seen = seen if seen is not None else set()
        if module in seen or module not in self.index.modules:
            return {}
        seen.add(module)
        facts = self.index.modules[module]
        merged: dict[str, tuple[ModuleFacts, Any]] = {}
        for imp in sorted(facts.imports, key=lambda i: i.line):
            if "*" in imp.names and imp.scope in ("module", "fallback"):
                if imp.scope == "fallback" and is_test_module(
                    imp.module, self.settings, self.index
                ):
                    continue
                merged.update(self._module_symbols(imp.module, seen))
        for name, sym in facts.symbols.items():
            if sym.kind in ("import", "def", "class"):
                continue
            merged[name] = (facts, sym)
        for export in (facts.extras.get("settings_exports") or {}).get("exports", []):
            merged.update(self._class_settings(export["cls"]))
        for included in self._split_includes(facts):
            if not is_test_module(included, self.settings, self.index):
                merged.update(self._module_symbols(included, seen))
        return merged

    def _split_includes(self, facts: ModuleFacts) -> list[str]:
        """Modules a django-split-settings ``include(...)`` runs in this module, in order.

        A pattern that matches no project file (an ``optional("local_settings.py")`` made at
        deploy time) adds nothing, as a missing ``try: from .local import *`` does.
        """
        import glob

        data = facts.extras.get("settings_exports") or {}
        found: list[str] = []
        folder = os.path.dirname(facts.path)
        for inc in data.get("includes", []):
            pattern = inc.get("pattern")
            if not isinstance(pattern, str):
                continue
            for path in sorted(glob.glob(os.path.join(folder, pattern))):
                module = self.index.path_to_module.get(os.path.realpath(path))
                if module is not None and module not in found:
                    found.append(module)
        return found

    def _dynamic_lines(self, module: str, seen: set[str]) -> list[tuple[str, int]]:
        """Module-level calls that fill the namespace at run time (following ``import *``)."""
        if module in seen or module not in self.index.modules:
            return []
        seen.add(module)
        facts = self.index.modules[module]
        data = facts.extras.get("dynamic_globals") or {}
        data_exports = facts.extras.get("settings_exports") or {}
        exports = data_exports.get("exports", [])
        # ``include(<not a string>)``: which files run here is unknown
        out_includes = [
            (module, int(i["line"]))
            for i in data_exports.get("includes", [])
            if not isinstance(i.get("pattern"), str)
        ]
        # a project settings class exported with ``Cls.load_settings(__name__)`` is read
        # attribute by attribute (``_class_settings``); any other run-time fill is unknown
        understood = {
            int(e["line"])
            for e in exports
            if self._whole_class_known(e["cls"]) and self._exporter(e["cls"], e.get("method"))
        }
        out = [(module, int(line)) for line in data.get("lines", []) if line not in understood]
        out.extend(out_includes)
        for imp in facts.imports:
            if "*" in imp.names and imp.scope == "module":
                out.extend(self._dynamic_lines(imp.module, seen))
        return out

    def _exporter(self, qualname: str, method: str | None) -> bool:
        """``method`` of the class chain copies upper-case attributes into the module."""
        target = self.index.resolve(qualname)
        cls = self.index.klass(target)
        if cls is None or method is None:
            return False
        for owner_module, klass in self._class_chain(target, cls):
            if method in klass.methods:
                owner = self.index.modules.get(owner_module)
                data = (owner.extras.get("settings_exports") or {}) if owner else {}
                return f"{klass.name}.{method}" in data.get("exporters", [])
        return False

    def _whole_class_known(self, qualname: str, depth: int = 0) -> bool:
        """A project class whose every base is a project class too (or ``object``)."""
        cls = self.index.klass(self.index.resolve(qualname))
        if cls is None or depth > 10:
            return False
        return (
            all(
                base in ("object", "builtins.object") or self._whole_class_known(base, depth + 1)
                for base in cls.bases
                if base is not None
            )
            and None not in cls.bases
        )

    def _class_settings(self, qualname: str) -> dict[str, tuple[ModuleFacts, Any]]:
        """Upper-case attributes (and properties, value unknown) of a settings class chain."""
        target = self.index.resolve(qualname)
        cls = self.index.klass(target)
        if cls is None:
            return {}
        out: dict[str, tuple[ModuleFacts, Any]] = {}
        for owner_module, klass in reversed(self._class_chain(target, cls)):
            owner = self.index.modules.get(owner_module)
            if owner is None:
                continue
            for key, attr in klass.attributes.items():
                if key.isupper():
                    out[key] = (
                        owner,
                        SymbolFact("other", attr.line, col=attr.col, folded=attr.value),
                    )
            for key, method in klass.methods.items():
                if key.isupper():
                    out[key] = (
                        owner,
                        SymbolFact("other", method.line, col=method.col, folded=UNKNOWN),
                    )
        return out

    def _from_module(self, cfg: AppConfig, module: str, namespace: str | None, kind: str) -> None:
        if is_test_module(module, self.settings, self.index):
            return
        for where, line in self._dynamic_lines(module, set()):
            cfg.open_reasons.append(f"settings set at run time in {where} (line {line})")
        for key, (owner, sym) in sorted(self._module_symbols(module).items()):
            if key.startswith("_"):
                continue
            folded = sym.folded or UNKNOWN
            raw = {"value": folded.__dict__, "line": sym.line, "col": sym.col}
            self._set(cfg, key, raw, owner, f"{owner.module}", kind, f"{module}", namespace)

    def django_settings_module(self) -> str | None:
        """The one settings module the worker reads, or None when it is not known or when
        the deployment files name several."""
        modules = self.django_settings_modules()
        return modules[0] if len(modules) == 1 else None

    def django_settings_modules(self) -> list[str]:
        """Every settings module a production worker may read: the configured one; else the
        production modules the deployment files name (Dockerfile ENV, compose, Procfile,
        .env, units: the environment overrides the code's ``os.environ.setdefault``); else
        the one the code names."""
        if self._settings_modules is None:  # asked for each app and by the worker model
            self._settings_modules = self._find_django_settings_modules()
        return list(self._settings_modules)

    def _find_django_settings_modules(self) -> list[str]:
        if self.settings.django_settings:
            return [self.settings.django_settings]
        deployed = [
            m
            for m in self.index.deployment.settings_modules()
            if m in self.index.modules and not is_test_module(m, self.settings, self.index)
        ]
        if deployed:
            return deployed
        code = self._code_settings_module()
        return [code] if code is not None else []

    def _code_settings_module(self) -> str | None:
        candidates: list[tuple[int, str]] = []
        for facts in self._modules():
            data = facts.extras.get("celery_config") or {}
            for d in data.get("django_settings", []):
                module = d["module"]
                if is_test_module(module, self.settings, self.index):
                    continue
                has_app = bool(data.get("apps"))
                candidates.append((0 if has_app else 1, module))
        if not candidates:
            return None
        candidates.sort()
        best = candidates[0][0]
        names = {m for rank, m in candidates if rank == best}
        if len(names) == 1:
            return names.pop()
        return None

    def _from_django(self, cfg: AppConfig, namespace: str | None) -> None:
        modules = self.django_settings_modules()
        if not modules or any(m not in self.index.modules for m in modules):
            cfg.open_reasons.append("Django settings module not found (set celery.django-settings)")
            return
        if len(modules) == 1:
            self._from_module(cfg, modules[0], namespace, "django")
            return
        # Several deployments name different settings modules: a setting every one of them
        # gives the same known value is known; one that only some set, or that they set
        # differently, is set with an unknown value; one none sets is absent.
        parts: list[AppConfig] = []
        for module in modules:
            part = AppConfig(cfg.ident, cfg.path, cfg.line, cfg.col, cfg.module)
            self._from_module(part, module, namespace, "django")
            parts.append(part)
        for part in parts:
            cfg.open_reasons.extend(r for r in part.open_reasons if r not in cfg.open_reasons)
        names = sorted({name for part in parts for name in part.settings})
        for name in names:
            found = [part.settings.get(name) for part in parts]
            present = [v for v in found if v is not None]
            first = present[0]
            same = len(present) == len(parts) and all(
                v.known and v.value == first.value for v in present
            )
            if same:
                cfg.settings[name] = first
            else:
                where = ", ".join(modules)
                cfg.settings[name] = replace(
                    first,
                    value=Value("unknown"),
                    source=f"{first.source} (differs between the settings modules {where})",
                )
        seen = {(e.path, e.line, e.col, e.key) for e in cfg.entries}
        for part in parts:
            for entry in part.entries:
                ident = (entry.path, entry.line, entry.col, entry.key)
                if ident not in seen:
                    seen.add(ident)
                    cfg.entries.append(entry)

    def _finish(self, cfg: AppConfig) -> None:
        return None

    # -- tasks -------------------------------------------------------------------------
    def tasks(self) -> list[CeleryTask]:
        if self._tasks is None:
            self._tasks = list(self._collect_tasks())
        return self._tasks

    def _collect_tasks(self) -> Iterator[CeleryTask]:
        for facts in self._modules():
            for fname, func in sorted(facts.functions.items()):
                sym = facts.symbols.get(fname)
                if sym is None or sym.kind != "def":
                    continue
                for dec in func.decorators:
                    found = self.index.task_decorator(dec.qualname)
                    if found is None or found.library != "celery":
                        continue
                    yield self._task(facts, func, dec, found)
                    break

    def _task(
        self, facts: ModuleFacts, func: FunctionFact, dec: Any, found: TaskDecorator | None = None
    ) -> CeleryTask:
        if found is None:
            found = self.index.task_decorator(dec.qualname)
        layers: list[tuple[ModuleFacts, Any]] = [
            (self.index.modules[m], d) for m, d in (found.layers if found is not None else ())
        ]
        every = [*layers, (facts, dec)]
        keywords: dict[str, Any] = {}
        for _, d in every:
            keywords.update(d.keywords)
        # resolved options of every layer, ``**NAME`` splats included
        options, splats_known = self._decorator_options(every, dec)
        apps = self._apps_for_task(found, every)
        shared = options.get("shared")
        if not (shared is not None and shared.value == Value("const", False)):
            apps = self._apps_sharing(apps, facts.module)
        worker_apps = self._worker_members()
        workers = [a for a in apps if a in worker_apps and self._worker_runs(a, facts.module)]
        name_opt = options.get("name")
        registered = f"{facts.module}.{func.name}"
        if name_opt is not None and name_opt.value.kind == "const":
            if isinstance(name_opt.value.value, str):
                registered = name_opt.value.value
        task = CeleryTask(
            module=facts.module,
            function=func.name,
            path=facts.path,
            line=dec.line,
            col=dec.col,
            registered_name=registered,
            apps=apps,
            fact=func,
            value_apps=workers or list(apps),
            name_known=registered != f"{facts.module}.{func.name}"
            or not any(a.names_open for a in apps),
        )
        if not splats_known:
            task.options_open = True
        # base class attributes first, decorator keywords override
        base = keywords.get("base")
        base_qn = base.qualname if base is not None and base.kind == "name" else None
        if base is None and "base" in options:
            task.options_open = True  # ``base`` from a splat: the class is not followed
        if base is not None and base_qn is None:
            task.options_open = True
        if base_qn is None:
            base_qn = self._app_task_cls(apps)
        if base_qn is not None:
            if not self._apply_base(task, base_qn):
                task.options_open = True
        task.options.update(options)
        return task

    def tasks_of(self, app: AppConfig) -> list[CeleryTask]:
        """The tasks ``app`` can run (``[t for t in tasks() if app in t.apps]``), from an
        index of every task's apps built once, not a scan of every task per app."""
        if self._tasks_by_app is None:
            by_key: dict[tuple[str, str, int, int, str], list[tuple[int, AppConfig]]] = {}
            for i, task in enumerate(self.tasks()):
                for other in task.apps:
                    key = (other.ident, other.path, other.line, other.col, other.module)
                    by_key.setdefault(key, []).append((i, other))
            self._tasks_by_app = by_key
        tasks = self.tasks()
        found = self._tasks_by_app.get((app.ident, app.path, app.line, app.col, app.module), [])
        # ``app in t.apps``: the object itself, or an app equal to it (the same place)
        chosen = sorted({i for i, other in found if other is app or other == app})
        return [tasks[i] for i in chosen]

    def _decorator_options(
        self, every: list[tuple[ModuleFacts, Any]], dec: Any
    ) -> tuple[dict[str, TaskOption], bool]:
        """The keywords of a task decorator and of the aliases it goes through, resolved,
        with the entries of ``**NAME`` splats of module-constant dicts; the flag is False
        when some splat's keys cannot be known."""
        out: dict[str, TaskOption] = {}
        known = True
        for owner, d in every:
            source = "decorator" if d is dec else f"{ALIAS_SOURCE}{owner.module}"
            splats = getattr(d, "splats", [])
            splat_lines = getattr(d, "splat_lines", [])
            if d.has_kwargs_splat and (not splats or len(splats) != len(splat_lines)):
                known = False  # facts written before splats were recorded
            for splat, (line, col) in zip(splats, splat_lines):
                entries = splat_entries(self.index, splat)
                if entries is None:
                    known = False
                    continue
                for key, value in entries.items():
                    out[key] = TaskOption(key, value, owner.path, line, col, source)
            lines = {k: (v[0], v[1]) for k, v in d.keyword_lines.items()}
            for key, value in d.keywords.items():
                line, col = lines.get(key, (d.line, d.col))
                out[key] = TaskOption(
                    key, resolve_value(self.index, value), owner.path, line, col, source
                )
        return out, known

    def _app_task_cls(self, apps: list[AppConfig]) -> str | None:
        classes = {a.task_cls for a in apps if a.task_cls}
        return classes.pop() if len(classes) == 1 else None

    def _apply_base(self, task: CeleryTask, qualname: str) -> bool:
        target = self.index.resolve(qualname)
        if target.external is not None:
            return target.external in (
                "celery.Task",
                "celery.app.task.Task",
            ) or target.external.startswith("celery.")
        cls = self.index.klass(target)
        if cls is None or self._chain_truncated(cls):
            return False  # too deep to follow: the options are unknown, not absent
        for owner_module, klass in reversed(self._class_chain(target, cls)):
            owner = self.index.modules[owner_module]
            for key, attr in klass.attributes.items():
                task.options[key] = TaskOption(
                    key,
                    resolve_value(self.index, attr.value),
                    owner.path,
                    attr.line,
                    attr.col,
                    f"base class {klass.name}",
                )
            for base in klass.bases:
                if base is None:
                    return False
                t = self.index.resolve(base)
                if t.external is not None and not t.external.startswith("celery."):
                    return False  # a third-party base class may set anything
        return True

    def _apps_sharing(self, apps: list[AppConfig], module: str) -> list[AppConfig]:
        """Every app that can run a shared task of ``module``: its own app(s), the other
        production apps of its top-level package (shared tasks register in every app of the
        process) and the apps the deployment's workers run that import it; workers first."""
        if len(self.apps) < 2:
            return apps
        top = module.split(".")[0]
        given = _Members(apps)
        out = [a for a in self.worker_apps() if a not in given and self._worker_runs(a, module)]
        out.extend(apps)
        seen = _Members(out)
        for a in self.apps:
            if a not in seen and a.module.split(".")[0] == top:
                out.append(a)
                seen.add(a)
        worker_apps = self._worker_members()
        workers = [a for a in out if a in worker_apps]
        chosen = _Members(workers)
        return workers + [a for a in out if a not in chosen]

    def _worker_members(self) -> _Members:
        """``worker_apps()`` for membership tests (built once)."""
        if self._worker_app_members is None:
            self._worker_app_members = _Members(self.worker_apps())
        return self._worker_app_members

    def _worker_runs(self, worker: AppConfig, module: str) -> bool:
        """Can the worker of ``worker`` import ``module``: its own top-level package, a
        module its app module imports, a package it autodiscovers (Django: the installed
        apps), or anything when what it discovers is unknown."""
        reach = self._worker_reach.get(worker.ident)
        if worker.ident not in self._worker_reach:
            reach = self._worker_reach[worker.ident] = self._reach(worker)
        if reach is None:
            return True
        # ``module`` is ``p`` or under ``p.`` for some ``p`` of the reach: one of its dotted
        # prefixes is in it (a set lookup per prefix, not a scan of the reach per task)
        parts = module.split(".")
        return any(".".join(parts[: i + 1]) in reach for i in range(len(parts)))

    def _reach(self, worker: AppConfig) -> set[str] | None:
        reach = {worker.module.split(".")[0]}
        graph = self.index.import_graph
        if worker.module in graph:
            stack, seen = [worker.module], {worker.module}
            while stack:
                for imported in graph.imports_of(stack.pop()):
                    if imported not in seen:
                        seen.add(imported)
                        stack.append(imported)
            reach.update(seen)
        if worker.get("include") is not None or worker.get("imports") is not None:
            return None  # modules named in configuration: leave it open
        for use in self._autodiscover_uses():
            if worker not in self._apps_for_receiver(use.get("receiver")):
                continue
            if use.get("django"):
                installed = self._installed_apps()
                if installed is None:
                    return None
                reach.update(installed)
            elif isinstance(use.get("packages"), list):
                reach.update(str(p) for p in use["packages"])
            else:
                return None
        return reach

    def _autodiscover_uses(self) -> list[dict[str, Any]]:
        """Every ``autodiscover_tasks()`` use of the project, in module order (listed once,
        not per worker app)."""
        if self._discover_uses is None:
            self._discover_uses = [
                use
                for facts in self._modules()
                for use in (facts.extras.get("celery_config") or {}).get("uses", [])
                if use.get("kind") == "autodiscover_tasks"
            ]
        return self._discover_uses

    def _installed_apps(self) -> set[str] | None:
        """Top-level packages of the Django settings' ``INSTALLED_APPS`` (None: unknown)."""
        module = self.django_settings_module()
        if module is None or module not in self.index.modules:
            return None
        found = self._module_symbols(module).get("INSTALLED_APPS")
        if found is None:
            return None
        value = resolve_value(self.index, found[1].folded or UNKNOWN)
        if value.kind != "const" or not isinstance(value.value, (list, tuple)):
            return None
        return {str(v).split(".")[0] for v in value.value if isinstance(v, str)}

    def worker_apps(self) -> list[AppConfig]:
        """The apps ``celery -A X worker`` commands in the deployment files run."""
        if self._worker_apps is None:
            found: list[AppConfig] = []
            for cmd in self.index.deployment.worker_apps():
                name = f"{cmd.module}.{cmd.attribute}" if cmd.attribute else cmd.module
                cfg = self._find_app(name, cmd.attribute is None)
                if cfg is not None and cfg not in found:
                    found.append(cfg)
            self._worker_apps = found
        return self._worker_apps

    def _find_app(self, name: str, search: bool, depth: int = 0) -> AppConfig | None:
        """The app ``-A name`` names, as Celery's ``find_app`` looks it up: ``name.app``,
        ``name.celery``, the ``name.celery`` module of a package, the one app of ``name``."""
        facts = self.index.modules.get(name) if search else None
        if facts is None:
            return self._app_by_qualname.get(self.index.canonical(name) or name)
        for attr in ("app", "celery"):
            if attr in facts.symbols:
                cfg = self._app_by_qualname.get(self.index.canonical(f"{name}.{attr}") or "")
                if cfg is not None:
                    return cfg
        if facts.is_package and depth == 0 and f"{name}.celery" in self.index.modules:
            return self._find_app(f"{name}.celery", True, depth + 1)
        found = {
            id(cfg): cfg
            for sym in sorted(facts.symbols)
            for cfg in [self._app_by_qualname.get(self.index.canonical(f"{name}.{sym}") or "")]
            if cfg is not None
        }
        return next(iter(found.values())) if len(found) == 1 else None

    def _apps_for_task(
        self, found: TaskDecorator | None, decorators: list[tuple[ModuleFacts, Any]]
    ) -> list[AppConfig]:
        if found is not None and found.app is not None and found.app in self._app_by_qualname:
            return [self._app_by_qualname[found.app]]
        if found is not None and found.app is None:
            return list(self.apps)
        return self._apps_for_decorator(decorators[-1][1].qualname)

    def _apps_for_decorator(self, qualname: str | None) -> list[AppConfig]:
        if qualname is None:
            return []
        head, _, attr = qualname.rpartition(".")
        if attr in ("task", "periodic_task") and head:
            canon = self.index.canonical(head)
            if canon in self._app_by_qualname:
                return [self._app_by_qualname[canon]]
        # shared_task, current_app.task, configured decorators: every app of the project
        return list(self.apps)


def _source_of(raw: dict[str, Any]) -> dict[str, Any]:
    value = Value(**raw["value"])
    if value.kind == "const" and isinstance(value.value, str):
        return {"kind": "string", "target": value.value}
    if value.kind == "name":
        return {"kind": "name", "target": value.qualname}
    return {"kind": "unknown"}


__all__ = [
    "CELERY_APP_CLASSES",
    "AppConfig",
    "CeleryModel",
    "CeleryTask",
    "RawEntry",
    "SettingValue",
    "TaskOption",
    "dict_entry",
    "is_test_module",
    "normalize_setting",
    "resolve_value",
    "settings_only_in_test_config",
]
