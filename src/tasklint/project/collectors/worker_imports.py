"""What decides which modules a Celery worker imports, as written in one module (TQ112).

Recorded (all JSON-safe, only when the module mentions one of the markers):
- ``autodiscover``: every ``<x>.autodiscover_tasks(...)`` call (module level or inside a
  function), with its ``packages`` argument classified as ``default`` (absent or ``None``:
  the Django fixup's installed apps; also a comprehension over ``apps.get_app_configs()``,
  in a ``lambda`` or bound to a name), ``installed_apps`` (``settings.INSTALLED_APPS``, also in a
  ``lambda``), ``list`` (folded items, or ``{"kind": "setting"}`` for ``settings.X``,
  resolved later),
  ``list`` (folded items, resolved later) or ``unknown``; ``related_name`` as a string,
  ``None`` or ``"?"`` (unknown); and ``force``;
- ``dynamic``: ``importlib.import_module(x)`` / ``__import__(x)`` / ``import_string(x)`` /
  ``symbol_by_name(x)`` calls with a computed module name (which modules they import is
  unknown): ``[line, innermost enclosing function or None, a decorator may run it at start-up,
  constant dotted prefix of an f-string, ``str.format`` or ``%`` name or None, the Django
  setting named by ``settings.X`` or None, the name is ``module.attribute`` (``import_string``)]``;
- ``constant_imports``: the same calls with a constant name, Django's URL ``include("x.urls")``
  and ``handler404 = "x.views.f"`` (imported when the worker runs Django's URL checks):
  ``[module, line, in_function]``;
- ``autodiscover_modules``: Django's ``autodiscover_modules("name", ...)`` constant names
  (each installed app's ``<app>.<name>`` is imported), ``"?"`` for a computed one;
- ``app_configs``: module-level classes with a ``ready()`` method or a ``name`` attribute
  (Django ``AppConfig`` subclasses), with the constant ``name`` and the modules ``ready()``
  imports (statements and constant ``import_module`` calls), ``ready_dynamic`` when it calls
  one with a computed name;
- ``installed_apps``: module-level statements that bind or change ``INSTALLED_APPS``
  (``=``, ``+=``, ``.append/.extend/.insert``), each with the folded items it adds (an
  item built by an f-string or comprehension keeps its constant prefix: ``prefix``).
"""

from __future__ import annotations

import ast
from typing import Any

from tasklint.project.facts import ModuleFacts, register_collector
from tasklint.syntax.constants import fold
from tasklint.syntax.names import NameResolver, resolve_relative
from tasklint.syntax.walk import active_children, walk

MARKERS = (
    "autodiscover",
    "import_module",
    "__import__",
    "import_string",
    "symbol_by_name",
    "INSTALLED_APPS",
    "ready",
    "AppConfig",
    "include",
    "handler4",  # handler400/403/404 in a URL configuration
    "handler5",  # handler500
)
IMPORTERS = frozenset(
    {
        "importlib.import_module",
        "importlib.__import__",
        "builtins.__import__",
        "__import__",
        "django.utils.module_loading.import_string",
        "celery.utils.imports.symbol_by_name",
        "celery.utils.imports.import_from_cwd",
        "kombu.utils.imports.symbol_by_name",
        "celery.utils.symbol_by_name",
    }
)
IMPORTER_NAMES = frozenset({"import_module", "__import__", "import_string", "symbol_by_name"})
AUTODISCOVER_MODULES = "autodiscover_modules"
# Decorators that only mark or wrap a function called explicitly later (a task run, a
# request, an explicit call): they do not make it run while the worker starts.
PASSIVE_DECORATORS = frozenset(
    {
        "task",
        "shared_task",
        "periodic_task",
        "actor",
        "job",
        "staticmethod",
        "classmethod",
        "login_required",
        "permission_required",
        "user_passes_test",
        "staff_member_required",
        "require_POST",
        "require_GET",
        "require_http_methods",
        "require_safe",
        "csrf_exempt",
        "api_view",
        "permission_classes",
        "action",
        "atomic",
        "non_atomic_requests",
        "cache_page",
        "never_cache",
        "wraps",
        "override",
        "abstractmethod",
        "overload",
    }
)


def decorator_name(node: ast.expr) -> str | None:
    """``@a.b.task(...)`` -> ``task``."""
    if isinstance(node, ast.Call):
        node = node.func
    if isinstance(node, ast.Attribute):
        return node.attr
    return node.id if isinstance(node, ast.Name) else None


def runs_at_startup(decorators: list[ast.expr]) -> bool:
    """May a decorator make the function run before it is called explicitly (a signal
    receiver, a property, a registration hook)?"""
    return any(decorator_name(d) not in PASSIVE_DECORATORS for d in decorators)


INSTALLED_APPS = "INSTALLED_APPS"
DJANGO_SETTINGS = frozenset({"django.conf.settings"})
URL_INCLUDE = frozenset({"django.urls.include", "django.conf.urls.include"})
URL_HANDLERS = frozenset({"handler400", "handler403", "handler404", "handler500"})


def _value(v: Any) -> dict[str, Any]:
    return {"kind": v.kind, "value": v.value, "qualname": v.qualname}


def _string(node: ast.AST | None) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def _prefix(expr: ast.expr) -> dict[str, Any]:
    """An item built at run time: the constant dotted prefix of an f-string
    (``f"allauth.socialaccount.providers.{p}"``), of a ``str.format`` template or of a
    ``%`` template, else unknown."""
    head: str | None = None
    if isinstance(expr, ast.JoinedStr) and expr.values:
        head = _string(expr.values[0])
    elif (  # ``"pkg.services.service_{}".format(x)``
        isinstance(expr, ast.Call)
        and isinstance(expr.func, ast.Attribute)
        and expr.func.attr == "format"
        and (text := _string(expr.func.value)) is not None
        and "{" in text
        and "{{" not in text
        and "}" not in text.split("{", 1)[0]
    ):
        head = text.split("{", 1)[0]
    elif (  # ``"pkg.services.service_%s" % x``
        isinstance(expr, ast.BinOp)
        and isinstance(expr.op, ast.Mod)
        and (text := _string(expr.left)) is not None
        and "%" in text
    ):
        head = text.split("%", 1)[0]
    if head and "." in head:
        return {"kind": "prefix", "value": head, "qualname": None}
    return {"kind": "unknown", "value": None, "qualname": None}


def _app_config_lists(node: ast.AST) -> set[str]:
    """Names assigned a comprehension (or ``list(...)``) over ``<x>.get_app_configs()``."""
    names: set[str] = set()
    for sub in walk(node):
        if not (
            isinstance(sub, ast.Assign)
            and len(sub.targets) == 1
            and isinstance(sub.targets[0], ast.Name)
        ):
            continue
        if _over_app_configs(sub.value):
            names.add(sub.targets[0].id)
    return names


def _over_app_configs(value: ast.expr | None) -> bool:
    """A comprehension (or ``list(...)`` of one) over ``<x>.get_app_configs()``."""
    if isinstance(value, ast.Call) and value.args and not value.keywords:
        value = value.args[0]  # list(...)
    return isinstance(value, (ast.ListComp, ast.GeneratorExp)) and any(
        isinstance(gen.iter, ast.Call)
        and isinstance(gen.iter.func, ast.Attribute)
        and gen.iter.func.attr == "get_app_configs"
        for gen in value.generators
    )


def _argument(call: ast.Call, position: int, keyword: str) -> tuple[bool, ast.expr | None]:
    """(given, expression) of a call argument by position or keyword."""
    for kw in call.keywords:
        if kw.arg == keyword:
            return True, kw.value
    if len(call.args) > position and not any(
        isinstance(a, ast.Starred) for a in call.args[: position + 1]
    ):
        return True, call.args[position]
    return False, None


class _Collector:
    def __init__(self, resolver: NameResolver, facts: ModuleFacts) -> None:
        self.resolver = resolver
        self.facts = facts
        self.autodiscover: list[dict[str, Any]] = []
        # [line, innermost enclosing function name or None, that function is decorated]
        self.dynamic: list[list[Any]] = []
        self._function: tuple[str, bool] | None = None
        self.constant_imports: list[list[Any]] = []
        self.autodiscover_modules: list[str] = []
        self.app_configs: list[dict[str, Any]] = []
        self.installed_apps: list[dict[str, Any]] = []
        # names bound to a comprehension over ``apps.get_app_configs()`` in the statement
        # being walked
        self.app_config_names: set[str] = set()
        # the comprehension over ``get_app_configs()`` is looked for only where it is written
        source = resolver.source
        self.app_configs_listed = source is None or "get_app_configs" in source
        # statements whose text names none of the calls recorded are not walked: the words
        # below, and the module-level names bound to an importer or ``include`` by import
        self.lines = source.splitlines() if source is not None else None
        words = {"autodiscover", "include", "import", "symbol_by_name"}
        for name, bindings in resolver.module_scope.bindings.items():
            for b in bindings:
                if b.kind == "import" and b.target in IMPORTERS | URL_INCLUDE:
                    words.add(name)
        self.call_words = tuple(sorted(words))

    def mentions_calls(self, node: ast.AST) -> bool:
        """The statement's text may hold a call this collector records."""
        if self.lines is None:
            return True
        first = getattr(node, "lineno", None)
        last = getattr(node, "end_lineno", None)
        if first is None or last is None:
            return True
        text = "\n".join(self.lines[first - 1 : last])
        return any(word in text for word in self.call_words)

    # -- calls anywhere ------------------------------------------------------------------
    def _importer(self, call: ast.Call) -> str | None:
        """The importing function a call names (``import_module``...), else None."""
        func = call.func
        qn = self.resolver.qualname(func)
        if qn in IMPORTERS:
            return qn
        last = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
        if last in IMPORTER_NAMES:
            return str(last)  # bound locally (``from importlib import import_module`` in a def)
        return None

    def call(self, call: ast.Call, in_function: bool) -> str | None:
        """Record one call; returns the module a constant import call imports."""
        func = call.func
        last = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
        if last == "autodiscover_tasks" and isinstance(func, ast.Attribute):
            self.autodiscover.append(self._autodiscover(call, in_function))
            return None
        if last == AUTODISCOVER_MODULES:
            names = [_string(a) for a in call.args if not isinstance(a, ast.Starred)]
            if any(isinstance(a, ast.Starred) for a in call.args) or None in names:
                self.autodiscover_modules.append("?")
            self.autodiscover_modules.extend(n for n in names if n is not None)
            return None
        if last == "include" and self.resolver.qualname(func) in URL_INCLUDE:
            target = _string(call.args[0]) if call.args else None
            if target is not None:  # Django imports it when the URL patterns are checked
                self.constant_imports.append([target, call.lineno, in_function])
            return None
        if self._importer(call) is None:
            return None
        name = _string(call.args[0]) if call.args else None
        package = next((kw.value for kw in call.keywords if kw.arg == "package"), None)
        if len(call.args) > 1 and last == "import_module":
            package = call.args[1]
        if name is None or (name.startswith(".") and _string(package) is None):
            name_, decorated = self._function or (None, False)
            prefix = _prefix(call.args[0]) if call.args else {}
            self.dynamic.append(
                [
                    call.lineno,
                    name_ if in_function else None,
                    decorated,
                    prefix.get("value") if prefix.get("kind") == "prefix" else None,
                    self._setting(call.args[0]) if call.args else None,
                    last in ("import_string", "symbol_by_name"),
                ]
            )
            return None
        if name.startswith("."):
            level = len(name) - len(name.lstrip("."))
            name = resolve_relative(str(_string(package)), True, level, name.lstrip(".") or None)
        module = name.split(":", 1)[0]
        if last in ("import_string", "symbol_by_name") and ":" not in name:
            module = module.rpartition(".")[0] or module  # "pkg.mod.Class" -> "pkg.mod"
        self.constant_imports.append([module, call.lineno, in_function])
        return module

    def _package(self, expr: ast.expr) -> dict[str, Any]:
        """One item of a package list: folded, or ``{"kind": "setting"}`` for the Django
        setting ``settings.X`` (``*settings.X`` spreads a list setting)."""
        inner = expr.value if isinstance(expr, ast.Starred) else expr
        setting = self._setting(inner)
        if setting is not None:
            return {"kind": "setting", "value": setting, "qualname": None}
        if isinstance(expr, ast.Starred):
            return {"kind": "unknown", "value": None, "qualname": None}
        return _value(fold(expr, self.resolver))

    def _setting(self, expr: ast.expr) -> str | None:
        """``settings.X`` / ``getattr(settings, "X", ...)`` of Django's settings: ``X``."""
        if (
            isinstance(expr, ast.Attribute)
            and self.resolver.qualname(expr.value) in DJANGO_SETTINGS
        ):
            return expr.attr
        if (
            isinstance(expr, ast.Call)
            and isinstance(expr.func, ast.Name)
            and expr.func.id == "getattr"
            and len(expr.args) == 2  # no default: absent raises, it imports nothing
            and self.resolver.qualname(expr.args[0]) in DJANGO_SETTINGS
        ):
            return _string(expr.args[1])
        return None

    def _autodiscover(self, call: ast.Call, in_function: bool) -> dict[str, Any]:
        entry: dict[str, Any] = {"line": call.lineno, "in_function": in_function}
        given, packages = _argument(call, 0, "packages")
        named = packages.body if isinstance(packages, ast.Lambda) else packages
        if not given or (isinstance(packages, ast.Constant) and packages.value is None):
            entry["packages"] = {"kind": "default"}
        elif isinstance(named, ast.Name) and named.id in self.app_config_names:
            # ``names = [c.name for c in apps.get_app_configs()]`` (cookiecutter-django's
            # old taskapp): the installed apps' AppConfig names, as with no argument
            entry["packages"] = {"kind": "default"}
        elif isinstance(packages, ast.Lambda) and _over_app_configs(named):
            # ``lambda: [n.name for n in apps.get_app_configs()]`` (the workaround Celery's
            # maintainer gave for AppConfig paths in INSTALLED_APPS), as with no argument
            entry["packages"] = {"kind": "default"}
        elif (
            isinstance(packages, ast.Lambda)
            and isinstance(packages.body, ast.Attribute)
            and packages.body.attr == INSTALLED_APPS
        ) or (isinstance(packages, ast.Attribute) and packages.attr == INSTALLED_APPS):
            entry["packages"] = {"kind": "installed_apps"}
        elif isinstance(named, (ast.List, ast.Tuple)):
            # ``["a", "b"]``, or ``lambda: (*settings.CORE_APPS, "extra")``
            entry["packages"] = {"kind": "list", "items": [self._package(e) for e in named.elts]}
        elif isinstance(named, ast.Attribute) and self._setting(named) is not None:
            entry["packages"] = {"kind": "list", "items": [self._package(named)]}
        elif packages is not None:
            folded = fold(packages, self.resolver)
            entry["packages"] = (
                {"kind": "list", "items": [_value(folded)]}
                if folded.kind in ("const", "name")
                else {"kind": "unknown"}
            )
        else:
            entry["packages"] = {"kind": "unknown"}
        given, related = _argument(call, 1, "related_name")
        if not given:
            entry["related_name"] = "tasks"
        elif isinstance(related, ast.Constant) and (
            related.value is None or isinstance(related.value, str)
        ):
            entry["related_name"] = related.value
        else:
            entry["related_name"] = "?"
        given, force = _argument(call, 2, "force")
        entry["force"] = isinstance(force, ast.Constant) and force.value is True
        if any(kw.arg is None for kw in call.keywords) or any(
            isinstance(a, ast.Starred) for a in call.args
        ):
            entry["packages"] = {"kind": "unknown"}
            entry["related_name"] = "?"
        return entry

    def walk_calls(
        self, node: ast.AST, in_function: bool, function: tuple[str, bool] | None = None
    ) -> None:
        if not self.mentions_calls(node):
            return
        self.app_config_names = _app_config_lists(node) if self.app_configs_listed else set()
        stack: list[tuple[ast.AST, bool, tuple[str, bool] | None]] = [(node, in_function, function)]
        while stack:
            current, inner, func = stack.pop()
            if isinstance(current, ast.Call):
                self._function = func
                self.call(current, inner)
            if isinstance(current, (ast.FunctionDef, ast.AsyncFunctionDef)):
                func = (current.name, runs_at_startup(current.decorator_list))
                inner = True
            elif isinstance(current, ast.Lambda):
                inner = True
            stack.extend([(child, inner, func) for child in active_children(current)])
        self._function = None

    # -- Django AppConfig classes --------------------------------------------------------
    def app_config(self, node: ast.ClassDef) -> None:
        name: str | None = None
        has_name = False
        ready: ast.FunctionDef | ast.AsyncFunctionDef | None = None
        for stmt in node.body:
            if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)) and stmt.name == "ready":
                ready = stmt
            targets: list[ast.expr] = []
            value: ast.expr | None = None
            if isinstance(stmt, ast.Assign):
                targets, value = list(stmt.targets), stmt.value
            elif isinstance(stmt, ast.AnnAssign):
                targets, value = [stmt.target], stmt.value
            if any(isinstance(t, ast.Name) and t.id == "name" for t in targets):
                has_name = True
                name = _string(value)
        if ready is None and not has_name:
            return
        entry: dict[str, Any] = {
            "class": node.name,
            "line": node.lineno,
            "name": name,
            "has_name": has_name,
            "ready_imports": [],
            "ready_dynamic": False,
        }
        if ready is not None:
            imports: list[str] = []
            before = len(self.dynamic)
            self.app_config_names = _app_config_lists(ready) if self.app_configs_listed else set()
            for sub in walk(ready):
                if isinstance(sub, ast.Import):
                    imports.extend(a.name for a in sub.names)
                elif isinstance(sub, ast.ImportFrom):
                    base = resolve_relative(
                        self.facts.module, self.facts.is_package, sub.level or 0, sub.module
                    )
                    imports.append(base)
                    imports.extend(f"{base}.{a.name}" if base else a.name for a in sub.names)
                elif isinstance(sub, ast.Call):
                    self._function = ("ready", False)
                    module = self.call(sub, True)
                    self._function = None
                    if module is not None:
                        imports.append(module)
            entry["ready_imports"] = sorted(set(imports))
            entry["ready_dynamic"] = len(self.dynamic) > before
        self.app_configs.append(entry)

    # -- INSTALLED_APPS ------------------------------------------------------------------
    def _items(self, expr: ast.expr | None) -> list[dict[str, Any]] | None:
        """The folded items an expression adds to INSTALLED_APPS (itself skipped)."""
        if expr is None:
            return None
        if isinstance(expr, ast.Name) and expr.id == INSTALLED_APPS:
            return []
        if isinstance(expr, ast.BinOp) and isinstance(expr.op, ast.Add):
            left, right = self._items(expr.left), self._items(expr.right)
            return None if left is None or right is None else left + right
        if isinstance(expr, (ast.List, ast.Tuple, ast.Set)):
            out: list[dict[str, Any]] = []
            for elt in expr.elts:
                inner = self._items(elt.value) if isinstance(elt, ast.Starred) else None
                if isinstance(elt, ast.Starred):
                    if inner is None:
                        return None
                    out.extend(inner)
                else:
                    out.append(_value(fold(elt, self.resolver)))
            return out
        if isinstance(expr, (ast.ListComp, ast.GeneratorExp, ast.SetComp)):
            return [_prefix(expr.elt)]
        if isinstance(expr, ast.JoinedStr):
            return [_prefix(expr)]
        if isinstance(expr, ast.Call) and isinstance(expr.func, ast.Name):
            if expr.func.id in ("list", "tuple", "set") and len(expr.args) == 1:
                return self._items(expr.args[0])
        return [_value(fold(expr, self.resolver))]

    def installed(self, stmt: ast.stmt) -> None:
        op: str | None = None
        expr: ast.expr | None = None
        if isinstance(stmt, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == INSTALLED_APPS for t in stmt.targets
        ):
            op, expr = "assign", stmt.value
        elif (
            isinstance(stmt, ast.AnnAssign)
            and isinstance(stmt.target, ast.Name)
            and stmt.target.id == INSTALLED_APPS
        ):
            op, expr = "assign", stmt.value
        elif (
            isinstance(stmt, ast.AugAssign)
            and isinstance(stmt.target, ast.Name)
            and stmt.target.id == INSTALLED_APPS
        ):
            op, expr = "add", stmt.value
        elif isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call):
            func = stmt.value.func
            if (
                isinstance(func, ast.Attribute)
                and isinstance(func.value, ast.Name)
                and func.value.id == INSTALLED_APPS
            ):
                args = stmt.value.args
                if func.attr in ("append", "extend") and len(args) == 1:
                    op = "add"
                    expr = (
                        ast.List(elts=[args[0]], ctx=ast.Load())
                        if func.attr == "append"
                        else args[0]
                    )
                elif func.attr == "insert" and len(args) == 2:
                    op, expr = "add", ast.List(elts=[args[1]], ctx=ast.Load())
                elif func.attr in ("remove", "pop", "sort", "reverse", "clear", "index", "count"):
                    return  # removes or reorders: the apps added so far are a superset
                else:
                    op, expr = "add", None
        if op is None:
            return
        items = self._items(expr)
        self.installed_apps.append(
            {"op": op, "line": stmt.lineno, "items": items, "known": items is not None}
        )

    def url_handler(self, stmt: ast.stmt) -> None:
        """``handler404 = "shop.views.not_found"`` in a URL configuration: imported by the
        URL checks."""
        if not (isinstance(stmt, ast.Assign) and len(stmt.targets) == 1):
            return
        target = stmt.targets[0]
        value = _string(stmt.value)
        if isinstance(target, ast.Name) and target.id in URL_HANDLERS and value:
            self.constant_imports.append([value.rpartition(".")[0], stmt.lineno, False])

    def module_body(self, stmts: list[ast.stmt]) -> None:
        for stmt in stmts:
            if isinstance(stmt, ast.ClassDef):
                self.app_config(stmt)
                for sub in stmt.body:
                    if not (
                        isinstance(sub, (ast.FunctionDef, ast.AsyncFunctionDef))
                        and sub.name == "ready"
                    ):
                        self.walk_calls(sub, False)
                continue
            if isinstance(stmt, (ast.If, ast.Try, ast.With)) or type(stmt).__name__ == "TryStar":
                for field in ("body", "orelse", "finalbody"):
                    self.module_body(getattr(stmt, field, []))
                for handler in getattr(stmt, "handlers", []):
                    self.module_body(handler.body)
                if isinstance(stmt, ast.If):
                    self.walk_calls(stmt.test, False)
                continue
            self.installed(stmt)
            self.url_handler(stmt)
            self.walk_calls(stmt, False)


@register_collector("worker_imports", version=13)
def collect(tree: ast.Module, resolver: NameResolver, facts: ModuleFacts) -> dict[str, Any] | None:
    source = resolver.source
    if source is not None and not any(m in source for m in MARKERS):
        return None
    collector = _Collector(resolver, facts)
    collector.module_body(tree.body)
    out: dict[str, Any] = {}
    for key in (
        "autodiscover",
        "dynamic",
        "constant_imports",
        "autodiscover_modules",
        "app_configs",
        "installed_apps",
    ):
        value = getattr(collector, key)
        if value:
            out[key] = value
    return out or None
