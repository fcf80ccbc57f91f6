"""Facts about Celery apps and their configuration sources in one module.

Recorded (all JSON-safe):
- ``apps``: every ``Celery(...)`` call bound to a name (module level or a function local),
  with its keyword arguments folded to Values and their lines; one assigned to anything else
  (``registry["celery"] = Celery(...)``, ``self.app = Celery(...)``) is ``anonymous``, and
  configuration written on the same expression in the same scope is linked to it;
- ``ops``: configuration operations on a receiver that may be an app — ``R.conf.update``,
  ``R.conf.X = v``, ``R.conf["X"] = v``, ``R.config_from_object(...)``,
  ``R.config_from_envvar(...)`` — with the receiver's qualified name (resolved later);
- ``unattributed``: lines of such operations on a receiver that has no qualified name;
- ``django_settings``: ``DJANGO_SETTINGS_MODULE`` defaults set in this module.
"""

from __future__ import annotations

import ast
from typing import Any

from tasklint.project.facts import ModuleFacts, register_collector
from tasklint.syntax.constants import fold
from tasklint.syntax.names import NameResolver
from tasklint.syntax.values import Value
from tasklint.syntax.walk import child_nodes

CELERY_CLASSES = frozenset({"celery.Celery", "celery.app.Celery", "celery.app.base.Celery"})
CONFIG_METHODS = frozenset({"config_from_object", "config_from_envvar", "add_defaults"})
ENV_SETDEFAULT = "DJANGO_SETTINGS_MODULE"


def _value(v: Value) -> dict[str, Any]:
    return {"kind": v.kind, "value": v.value, "qualname": v.qualname}


def _entry(node: ast.AST, value: Value) -> dict[str, Any]:
    return {
        "line": getattr(node, "lineno", 1),
        "col": getattr(node, "col_offset", 0) + 1,
        "value": _value(value),
    }


class _Collector:
    def __init__(self, resolver: NameResolver) -> None:
        self.resolver = resolver
        self.apps: list[dict[str, Any]] = []
        self.ops: list[dict[str, Any]] = []
        self.django: list[dict[str, Any]] = []
        # ``R.autodiscover_tasks(...)``: evidence that R is used as an app (no configuration)
        self.uses: list[dict[str, Any]] = []
        self.unattributed: list[int] = []  # configuration on a receiver with no name

    # receivers ----------------------------------------------------------------------------
    def _receiver(self, expr: ast.expr, locals_: dict[str, int]) -> dict[str, Any] | None:
        if isinstance(expr, ast.Name) and expr.id in locals_:
            return {"local_app": locals_[expr.id]}
        if not isinstance(expr, ast.Name) and _expr_key(expr) in locals_:
            return {"local_app": locals_[_expr_key(expr)]}
        qn = self.resolver.qualname(expr)
        if qn is None:
            return None
        return {"receiver": qn}

    def _is_celery_call(self, call: ast.Call) -> bool:
        qn = self.resolver.qualname(call.func)
        return qn in CELERY_CLASSES

    def _app(self, var: str | None, call: ast.Call, in_function: bool) -> int:
        kwargs: dict[str, Any] = {}
        for kw in call.keywords:
            if kw.arg is not None:
                kwargs[kw.arg] = _entry(kw, fold(kw.value, self.resolver))
        main = None
        if (
            call.args
            and isinstance(call.args[0], ast.Constant)
            and isinstance(call.args[0].value, str)
        ):
            main = call.args[0].value
        self.apps.append(
            {
                "var": var,
                "line": call.lineno,
                "col": call.col_offset + 1,
                "kwargs": kwargs,
                "splat": any(kw.arg is None for kw in call.keywords),
                "splats": [
                    _entry(kw, fold(kw.value, self.resolver))
                    for kw in call.keywords
                    if kw.arg is None
                ],
                "in_function": in_function,
                "main": main,
            }
        )
        return len(self.apps) - 1

    # walking ------------------------------------------------------------------------------
    def run(self, tree: ast.Module) -> None:
        self._block(tree.body, {}, in_function=False)

    def _block(self, stmts: list[ast.stmt], locals_: dict[str, int], in_function: bool) -> None:
        for stmt in stmts:
            if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
                self._block(stmt.body, dict(locals_), in_function=True)
                continue
            if isinstance(stmt, ast.ClassDef):
                self._block(stmt.body, dict(locals_), in_function)
                continue
            if isinstance(stmt, (ast.Assign, ast.AnnAssign)):
                self._assign(stmt, locals_, in_function)
            elif isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call):
                self._call(stmt.value, locals_)
            for child in child_nodes(stmt):
                if isinstance(child, ast.stmt):
                    self._block([child], locals_, in_function)
                elif isinstance(child, ast.ExceptHandler):
                    self._block(child.body, locals_, in_function)

    def _assign(
        self, stmt: ast.Assign | ast.AnnAssign, locals_: dict[str, int], in_function: bool
    ) -> None:
        targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
        value = stmt.value
        if value is None:
            return
        if isinstance(value, ast.Call):
            if self._is_celery_call(value):
                for target in targets:
                    if isinstance(target, ast.Name):
                        index = self._app(
                            target.id if not in_function else None, value, in_function
                        )
                        if in_function:
                            locals_[target.id] = index
                        else:
                            self.apps[index]["var"] = target.id
                        break
                else:
                    index = self._app(None, value, in_function)
                    self.apps[index]["anonymous"] = True
                    locals_[_expr_key(targets[0])] = index
                return
            self._call(value, locals_)
        for target in targets:
            # R.conf.X = v   /   R.conf["X"] = v
            name: str | None = None
            conf: ast.expr | None = None
            if isinstance(target, ast.Attribute) and isinstance(target.value, ast.Attribute):
                if target.value.attr == "conf":
                    name, conf = target.attr, target.value.value
            elif isinstance(target, ast.Subscript) and isinstance(target.value, ast.Attribute):
                key = target.slice
                if isinstance(key, ast.Constant) and isinstance(key.value, str):
                    if target.value.attr == "conf":
                        name, conf = key.value, target.value.value
            if name is None or conf is None:
                continue
            receiver = self._receiver(conf, locals_)
            if receiver is None:
                self.unattributed.append(stmt.lineno)
                continue
            self.ops.append(
                {
                    **receiver,
                    "kind": "set",
                    "line": stmt.lineno,
                    "entries": {name: _entry(stmt, fold(value, self.resolver))},
                }
            )

    def _call(self, call: ast.Call, locals_: dict[str, int]) -> None:
        func = call.func
        if not isinstance(func, ast.Attribute):
            if self._setdefault_django(call):
                return
            return
        if self._setdefault_django(call):
            return
        if (
            func.attr == "update"
            and isinstance(func.value, ast.Attribute)
            and func.value.attr == "conf"
        ):
            receiver = self._receiver(func.value.value, locals_)
            if receiver is None:
                self.unattributed.append(call.lineno)
                return
            entries: dict[str, Any] = {}
            splats: list[dict[str, Any]] = []
            unknown = False
            for arg in call.args:
                if isinstance(arg, ast.Dict) and all(
                    isinstance(key, ast.Constant) and isinstance(key.value, str) for key in arg.keys
                ):
                    for key, value in zip(arg.keys, arg.values):
                        assert isinstance(key, ast.Constant)
                        entries[str(key.value)] = _entry(key, fold(value, self.resolver))
                    continue
                # ``update(DEFAULTS)``, ``update({**BASE, ...})``: resolved by the project model
                folded = fold(arg, self.resolver)
                if folded.kind == "unknown":
                    unknown = True
                else:
                    splats.append(_entry(arg, folded))
            for kw in call.keywords:
                if kw.arg is None:
                    folded = fold(kw.value, self.resolver)
                    if folded.kind == "unknown":
                        unknown = True
                    else:
                        splats.append(_entry(kw, folded))
                else:
                    entries[kw.arg] = _entry(kw, fold(kw.value, self.resolver))
            self.ops.append(
                {
                    **receiver,
                    "kind": "update",
                    "line": call.lineno,
                    "entries": entries,
                    "splats": splats,
                    "unknown": unknown,
                }
            )
            return
        if func.attr == "autodiscover_tasks":
            receiver = self._receiver(func.value, locals_)
            if receiver is not None and "receiver" in receiver:
                self.uses.append(
                    {
                        **receiver,
                        "kind": "autodiscover_tasks",
                        "line": call.lineno,
                        **_discovered(call),
                    }
                )
            return
        if func.attr in CONFIG_METHODS:
            receiver = self._receiver(func.value, locals_)
            if receiver is None:
                self.unattributed.append(call.lineno)
                return
            op: dict[str, Any] = {**receiver, "kind": func.attr, "line": call.lineno}
            if func.attr == "config_from_object" and call.args:
                arg = call.args[0]
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                    op["source"] = {"kind": "string", "target": arg.value}
                else:
                    qn = self.resolver.qualname(arg)
                    op["source"] = (
                        {"kind": "name", "target": qn}
                        if qn
                        else {"kind": "unknown", "target": None}
                    )
            namespace = next((kw.value for kw in call.keywords if kw.arg == "namespace"), None)
            if namespace is not None:
                ns = fold(namespace, self.resolver)
                op["namespace"] = ns.value if ns.kind == "const" else "?"
                if ns.kind in ("name", "expr"):
                    op["namespace_value"] = _value(ns)  # resolved by the project model
            self.ops.append(op)

    def _setdefault_django(self, call: ast.Call) -> bool:
        func = call.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
        if name != "setdefault" or len(call.args) < 2:
            return False
        key, value = call.args[0], call.args[1]
        if (
            isinstance(key, ast.Constant)
            and key.value == ENV_SETDEFAULT
            and isinstance(value, ast.Constant)
            and isinstance(value.value, str)
        ):
            self.django.append({"module": value.value, "line": call.lineno})
            return True
        return False


def _expr_key(expr: ast.expr) -> str:
    """The key of an assignment target that is no plain name, among the names of a scope."""
    return "@" + ast.unparse(expr)


def _discovered(call: ast.Call) -> dict[str, Any]:
    """What ``autodiscover_tasks(...)`` searches: ``{"django": True}`` (no argument, or
    ``lambda: settings.INSTALLED_APPS``), ``{"packages": [...]}`` (a literal list), or
    ``{}`` (unknown)."""
    arg = (
        call.args[0]
        if call.args
        else next((kw.value for kw in call.keywords if kw.arg == "packages"), None)
    )
    if arg is None:
        return {"django": True}
    if isinstance(arg, ast.Lambda) and isinstance(arg.body, ast.Attribute):
        if arg.body.attr == "INSTALLED_APPS":
            return {"django": True}
    if isinstance(arg, (ast.List, ast.Tuple)) and all(
        isinstance(e, ast.Constant) and isinstance(e.value, str) for e in arg.elts
    ):
        return {"packages": [e.value for e in arg.elts if isinstance(e, ast.Constant)]}
    return {}


@register_collector("celery_config", version=5)  # 5: anonymous apps, unattributed
def collect(tree: ast.Module, resolver: NameResolver, facts: ModuleFacts) -> dict[str, Any] | None:
    used = set(facts.imported_packages)
    source = resolver.source
    if (
        "celery" not in used
        and "os" not in used
        and not (
            source is not None
            and ("config_from_object" in source or "autodiscover_tasks" in source)
        )
    ):
        return None
    collector = _Collector(resolver)
    collector.run(tree)
    # os.environ["DJANGO_SETTINGS_MODULE"] = "..." at module level
    for stmt in tree.body:
        if isinstance(stmt, ast.Assign) and isinstance(stmt.value, ast.Constant):
            for target in stmt.targets:
                if (
                    isinstance(target, ast.Subscript)
                    and isinstance(target.slice, ast.Constant)
                    and target.slice.value == ENV_SETDEFAULT
                    and isinstance(stmt.value.value, str)
                ):
                    collector.django.append({"module": stmt.value.value, "line": stmt.lineno})
    if not (
        collector.apps
        or collector.ops
        or collector.django
        or collector.uses
        or collector.unattributed
    ):
        return None
    return {
        "apps": collector.apps,
        "ops": collector.ops,
        "django_settings": collector.django,
        "uses": collector.uses,
        "unattributed": collector.unattributed,
    }
