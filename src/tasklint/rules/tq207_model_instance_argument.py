"""TQ207: a model instance or queryset passed as a task argument."""

from __future__ import annotations

import ast
from collections.abc import Iterator

from tasklint.analysis.celery_options import effective
from tasklint.analysis.enqueue import (
    CELERY_METHODS,
    ENQUEUE_TRIGGERS,
    Enqueue,
    EnqueueRecognizer,
    apply_async_arguments,
)
from tasklint.findings import Finding
from tasklint.project.celery_config import CeleryModel, CeleryTask
from tasklint.project.context import FileContext
from tasklint.rules._base import Rule, register
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


@register
class ModelInstanceArgument(Rule):
    """
    ## What it does
    Flags a Django model instance or queryset — from `M.objects.get/first/create/filter/...`,
    `get_or_create()[0]`, `get_object_or_404`, `request.user`, `self.get_object()`, a loop
    over a queryset, a parameter annotated with a model class — or a SQLAlchemy mapped
    instance (`session.get(M, ...)`, `query(M).first()`, `.scalars(...).one()`) passed as
    an argument of an enqueue.

    ## Why is this bad?
    The object is serialized into the message: with JSON it fails at enqueue time; with
    pickle the worker gets a stale snapshot taken when the message was sent, not the row
    as it is when the task runs (and the message carries every loaded field). Querysets
    are evaluated or pickled whole.

    ## Example
    ```python
    from celery import shared_task
    from django.db import models


    class Order(models.Model):
        pass


    @shared_task(time_limit=60)
    def ship(order):
        ...


    def checkout(pk):
        order = Order.objects.get(pk=pk)
        ship.delay(order)
    ```

    Use instead:
    ```python
    from celery import shared_task
    from django.db import models


    class Order(models.Model):
        pass


    @shared_task(time_limit=60)
    def ship(order_id):
        ...


    def checkout(pk):
        order = Order.objects.get(pk=pk)
        ship.delay(order.pk)
    ```

    ## Options
    None.

    ## Known limitations
    Values returned by helper functions and attributes of other objects are not followed.

    ## References
    - Celery: https://docs.celeryq.dev/en/stable/userguide/tasks.html#state
    """

    code = "TQ207"
    name = "model-instance-argument"
    message = "`{arg}` is a {kind} passed to `{target}`: {consequence}; pass its primary key"
    node_types = (ast.Call,)
    triggers = ENQUEUE_TRIGGERS

    def check(self, node: ast.Call, ctx: FileContext) -> Iterator[Finding]:
        enqueue = EnqueueRecognizer.of(ctx).enqueue(node)
        if enqueue is None:
            return
        scope = ctx.scope()
        serializer: str | None = None
        for arg in self._arguments(node, enqueue):
            kind = self._kind(arg, ctx, scope, 0)
            if kind is not None:
                if serializer is None:
                    serializer = self._json_serializer(node, enqueue, ctx, scope) or ""
                if serializer:
                    consequence = (
                        f"with the JSON serializer ({serializer}) sending fails with "
                        "`kombu.exceptions.EncodeError` (a model instance is not JSON "
                        "serializable); with pickle the worker would get a stale copy"
                    )
                else:
                    consequence = (
                        "it is serialized into the message and the worker sees a stale copy "
                        "(or serialization fails)"
                    )
                yield self.finding(
                    ctx,
                    arg,
                    arg=ast.unparse(arg)[:40],
                    kind=kind,
                    target=enqueue.target,
                    consequence=consequence,
                )

    def _json_serializer(
        self, call: ast.Call, enqueue: Enqueue, ctx: FileContext, scope: Scope
    ) -> str | None:
        """Where a JSON serializer for this Celery enqueue comes from, or None if not JSON
        or not known."""
        if enqueue.library != "celery":
            return None
        for kw in call.keywords:
            if kw.arg is None:
                return None  # **options may name a serializer
            if kw.arg == "serializer":
                value = kw.value
                if isinstance(value, ast.Constant) and value.value == "json":
                    return '`serializer="json"` on the call'
                return None
        model = CeleryModel.of(ctx.index, ctx.settings)
        task: CeleryTask | None = None
        func = call.func
        if isinstance(func, ast.Attribute) and enqueue.method in CELERY_METHODS:
            info = EnqueueRecognizer.of(ctx).task_info(func.value, scope)
            if info is not None and info.module:
                task = next(
                    (
                        t
                        for t in model.tasks()
                        if t.module == info.module and t.function == info.name
                    ),
                    None,
                )
        if task is None or not task.apps:
            return None
        sources = set()
        for app in task.apps:
            found = effective(task, app, "serializer")
            if found.absent:
                sources.add("Celery's default")
            elif found.known and found.value == "json":
                sources.add(found.source if found.level == "global" else f"task {found.source}")
            else:
                return None
        return ", ".join(sorted(sources))

    def _arguments(self, call: ast.Call, enqueue: Enqueue) -> Iterator[ast.expr]:
        method = enqueue.method
        if method in ("apply_async", "apply_async_on_commit"):
            args, kwargs = apply_async_arguments(call)
            if isinstance(args, (ast.Tuple, ast.List)):
                yield from (e for e in args.elts if not isinstance(e, ast.Starred))
            if isinstance(kwargs, ast.Dict):
                yield from kwargs.values
            return
        positional = call.args
        if method in (
            "enqueue",
            "enqueue_call",
            "enqueue_at",
            "enqueue_in",
            "send_task",
            "enqueue_job",
        ):
            skip = 2 if method in ("enqueue_at", "enqueue_in") else 1
            positional = call.args[skip:]
        for arg in positional:
            if not isinstance(arg, ast.Starred):
                yield arg
        for kw in call.keywords:
            if (
                kw.arg is not None
                and not kw.arg.startswith("_")
                and kw.arg not in ("args", "kwargs", "job_id", "countdown", "queue")
            ):
                yield kw.value

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
        if ctx.index.canonical(ctx.resolver.qualname(func, scope)) in GET_OBJECT:
            return "model instance"
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
        _, bindings = found
        if len(bindings) != 1:
            return None
        binding = bindings[0]
        node = binding.node
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
