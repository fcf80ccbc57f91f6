"""Which expressions hold a Django model instance or queryset, or a SQLAlchemy instance.

Shared by TQ207 (arguments of an enqueue) and the function summaries (does a project
function return a model instance on every path?). Calls to project functions are answered
by a hook the caller supplies (the summaries), so this module never walks other functions.
"""

from __future__ import annotations

import ast
from typing import Callable, Optional

from tasklint.analysis.signals import receivers
from tasklint.project.context import FileContext
from tasklint.syntax.names import Scope

DJANGO_MODEL = frozenset({"django.db.models.Model", "django.db.models.base.Model"})
SQLA_BASES = frozenset(
    {
        "sqlalchemy.orm.DeclarativeBase",
        "sqlalchemy.orm.decl_api.DeclarativeBase",
        "sqlmodel.SQLModel",
        "flask_sqlalchemy.model.Model",
    }
)
QS_METHODS = frozenset(
    {
        "get",
        "first",
        "last",
        "latest",
        "earliest",
        "create",
        "filter",
        "all",
        "exclude",
        "select_related",
        "prefetch_related",
        "order_by",
        "distinct",
        "annotate",
        "only",
        "defer",
        "select_for_update",
        "using",
        "reverse",
        "none",
        "get_queryset",
    }
)
PAIR_METHODS = frozenset(
    {"get_or_create", "update_or_create", "aget_or_create", "aupdate_or_create"}
)
SQLA_ONE = frozenset({"one", "first", "one_or_none", "get", "scalar_one", "scalar_one_or_none"})
GET_OBJECT = frozenset({"django.shortcuts.get_object_or_404"})
MAX_DEPTH = 6
FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)
# Django sends the saved or deleted model instance as ``instance`` with these signals
INSTANCE_SIGNALS = frozenset({"pre_save", "post_save", "pre_delete", "post_delete"})

# (call, scope) -> the kind of value a project function call returns, or None
CallKind = Callable[[ast.Call, Scope], Optional[str]]


class ModelValues:
    """Answers "is this expression a model instance or queryset?" within one file."""

    def __init__(self, ctx: FileContext, call_kind: CallKind | None = None) -> None:
        self.ctx = ctx
        self.call_kind = call_kind

    def kind(self, expr: ast.AST, scope: Scope) -> str | None:
        return self._kind(expr, self.ctx, scope, 0)

    def _model_class(self, expr: ast.AST, ctx: FileContext, scope: Scope) -> str | None:
        """ "Django model" / "SQLAlchemy model" when ``expr`` names a model class."""
        qn = ctx.resolver.qualname(expr, scope)
        if qn is None:
            return None
        if ctx.index.is_class_subclass_of(qn, DJANGO_MODEL):
            return "Django"
        canon = ctx.index.canonical(qn) or ""
        if (
            canon.startswith("django.contrib.")
            and ".models." in canon
            and canon.rsplit(".", 1)[-1][:1].isupper()
        ):
            return "Django"
        if ctx.index.is_class_subclass_of(qn, SQLA_BASES) or self._declarative(qn, ctx):
            return "SQLAlchemy"
        return None

    def _declarative(self, qn: str, ctx: FileContext) -> bool:
        target = ctx.index.resolve(qn)
        cls = ctx.index.klass(target)
        if cls is None:
            return False
        for base in cls.bases:
            if base is None:
                continue
            t = ctx.index.resolve(base)
            sym = ctx.index.symbol(t)
            if sym is not None and sym.kind == "call" and sym.target:
                if ctx.index.canonical(sym.target) in (
                    "sqlalchemy.orm.declarative_base",
                    "sqlalchemy.ext.declarative.declarative_base",
                ):
                    return True
        return False

    def _kind(self, expr: ast.AST, ctx: FileContext, scope: Scope, depth: int) -> str | None:
        if depth > MAX_DEPTH:
            return None
        if isinstance(expr, ast.Name):
            if not ctx.resolver.is_local(expr.id, scope):
                return None
            local = ctx.resolver.local_value(expr.id, scope)
            if local is not None:
                return self._kind(local[0], ctx, local[1], depth + 1)
            return self._loop_or_param(expr.id, ctx, scope)
        if isinstance(expr, ast.Attribute):
            if expr.attr == "user" and (
                (isinstance(expr.value, ast.Name) and expr.value.id == "request")
                or (isinstance(expr.value, ast.Attribute) and expr.value.attr == "request")
            ):
                return "model instance (`request.user`)"
            return None
        if isinstance(expr, ast.Subscript) and self._receiver_kwarg(expr.value, expr.slice, scope):
            return "model instance (`instance` of a model-signal receiver)"
        if isinstance(expr, ast.Subscript):
            inner = expr.value
            if (
                isinstance(inner, ast.Call)
                and isinstance(inner.func, ast.Attribute)
                and inner.func.attr in PAIR_METHODS
                and isinstance(expr.slice, ast.Constant)
                and expr.slice.value == 0
            ):
                return "model instance"
            return None
        if isinstance(expr, ast.Await):
            return self._kind(expr.value, ctx, scope, depth + 1)
        if not isinstance(expr, ast.Call):
            return None
        func = expr.func
        if (
            isinstance(func, ast.Attribute)
            and func.attr == "get"
            and expr.args
            and self._receiver_kwarg(func.value, expr.args[0], scope)
        ):
            return "model instance (`instance` of a model-signal receiver)"
        if ctx.index.canonical(ctx.resolver.qualname(func, scope)) in GET_OBJECT:
            return "model instance"
        if self.call_kind is not None:
            returned = self.call_kind(expr, scope)
            if returned is not None:
                return returned
        if isinstance(func, ast.Attribute):
            if (
                func.attr == "get_object"
                and isinstance(func.value, ast.Name)
                and func.value.id == "self"
            ):
                return "model instance"
            chain = self._manager_chain(func, ctx, scope)
            if chain is not None:
                return chain
            if func.attr in SQLA_ONE:
                found = self._sqlalchemy(func.value, ctx, scope)
                if found is not None:
                    return found
            if (
                func.attr == "get"
                and len(expr.args) >= 2
                and isinstance(func.value, (ast.Name, ast.Attribute))
            ):
                if self._model_class(expr.args[0], ctx, scope) == "SQLAlchemy":
                    return "SQLAlchemy instance"
        return None

    def _manager_chain(self, func: ast.Attribute, ctx: FileContext, scope: Scope) -> str | None:
        methods: list[str] = []
        current: ast.AST = func
        while isinstance(current, ast.Attribute):
            methods.append(current.attr)
            value = current.value
            if isinstance(value, ast.Attribute) and value.attr == "objects":
                if not all(m in QS_METHODS for m in methods):
                    return None
                if self._model_class(value.value, ctx, scope) != "Django":
                    return None
                single = methods[0] in ("get", "first", "last", "latest", "earliest", "create")
                return "model instance" if single else "queryset"
            if isinstance(value, ast.Call):
                current = value.func
                continue
            return None
        return None

    def _sqlalchemy(self, expr: ast.AST, ctx: FileContext, scope: Scope) -> str | None:
        current = expr
        while isinstance(current, ast.Call) and isinstance(current.func, ast.Attribute):
            if current.func.attr == "query" and current.args:
                if self._model_class(current.args[0], ctx, scope) == "SQLAlchemy":
                    return "SQLAlchemy instance"
                return None
            if current.func.attr in ("scalars", "execute") and current.args:
                first = current.args[0]
                if isinstance(first, ast.Call) and first.args:
                    if self._model_class(first.args[0], ctx, scope) == "SQLAlchemy":
                        return "SQLAlchemy instance"
                return None
            current = current.func.value
        return None

    def _loop_or_param(self, name: str, ctx: FileContext, scope: Scope) -> str | None:
        found = ctx.resolver.lookup(name, scope)
        if found is None:
            return None
        owner_scope, bindings = found
        if len(bindings) != 1:
            return None
        binding = bindings[0]
        node = binding.node
        if binding.kind == "param" and isinstance(node, ast.arg) and self._model_self(node, scope):
            return "model instance (`self` in a model method)"
        if binding.kind == "param" and isinstance(node, ast.arg) and node.arg == "instance":
            signal = self._instance_signal(owner_scope)
            if signal is not None:
                return f"model instance (`instance` of a `{signal}` receiver)"
        if binding.kind == "param" and isinstance(node, ast.arg) and node.annotation is not None:
            ann = node.annotation
            if isinstance(ann, ast.Constant) and isinstance(ann.value, str):
                try:
                    ann = ast.parse(ann.value, mode="eval").body
                except SyntaxError:
                    return None
            if self._model_class(ann, ctx, scope.parent or scope) is not None:
                return "model instance"
            return None
        if isinstance(node, (ast.For, ast.AsyncFor)) and isinstance(node.target, ast.Name):
            iterable = node.iter
            kind = self._kind(iterable, ctx, scope, MAX_DEPTH - 1)
            if kind == "queryset":
                return "model instance (from a loop over a queryset)"
        return None

    def _instance_signal(self, scope: Scope) -> str | None:
        """The model signal (pre/post save/delete) whose receiver ``scope`` is, if any: Django
        passes it the saved or deleted model instance as ``instance``."""
        function = scope.node
        owner = scope.parent
        if not isinstance(function, FUNCTIONS) or owner is None or not owner.is_module:
            return None
        signal = receivers(self.ctx).get(function.name)
        return signal if signal in INSTANCE_SIGNALS else None

    def _receiver_kwarg(self, value: ast.AST, key: ast.AST, scope: Scope) -> bool:
        """``kwargs["instance"]`` / ``kwargs.get("instance")`` with ``kwargs`` the ``**``
        parameter of a pre/post save/delete receiver."""
        if not (
            isinstance(key, ast.Constant)
            and key.value == "instance"
            and isinstance(value, ast.Name)
        ):
            return False
        found = self.ctx.resolver.lookup(value.id, scope)
        if found is None or len(found[1]) != 1:
            return False
        function = found[0].node
        if not (
            isinstance(function, FUNCTIONS)
            and function.args.kwarg is not None
            and found[1][0].node is function.args.kwarg
        ):
            return False
        return self._instance_signal(found[0]) is not None

    def _model_self(self, param: ast.arg, scope: Scope) -> bool:
        """``self`` (the first parameter) of a plain method of a project Django model class."""
        function = scope.node
        owner = scope.parent
        if not isinstance(function, FUNCTIONS) or owner is None or not owner.is_class:
            return False
        params = [*function.args.posonlyargs, *function.args.args]
        if not params or params[0] is not param:
            return False
        for dec in function.decorator_list:
            name = dec.id if isinstance(dec, ast.Name) else getattr(dec, "attr", None)
            if name in ("staticmethod", "classmethod", "classproperty"):
                return False
        klass = owner.node
        if (
            not isinstance(klass, ast.ClassDef)
            or owner.parent is None
            or not owner.parent.is_module
        ):
            return False
        qualname = f"{self.ctx.module}.{klass.name}" if self.ctx.module else klass.name
        return self.ctx.index.is_class_subclass_of(qualname, DJANGO_MODEL)
