"""TQ203: a call inside a transaction (or an ATOMIC_REQUESTS view) that leads to an enqueue."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

from tasklint.analysis.enqueue import EnqueueRecognizer
from tasklint.analysis.gates import quick_search
from tasklint.analysis.summaries import Step, Summaries
from tasklint.analysis.transactions import enclosing_transaction, is_on_commit_call
from tasklint.config import Settings
from tasklint.findings import Finding
from tasklint.project.celery_config import is_test_module
from tasklint.project.context import FileContext
from tasklint.project.index import ProjectIndex
from tasklint.rules._base import Rule, register
from tasklint.syntax.walk import walk

NON_ATOMIC = frozenset({"django.db.transaction.non_atomic_requests"})
VIEW_BASES = frozenset(
    {
        "django.views.View",
        "django.views.generic.View",
        "django.views.generic.base.View",
        "rest_framework.views.APIView",
        "rest_framework.generics.GenericAPIView",
        "rest_framework.viewsets.ViewSet",
        "rest_framework.viewsets.GenericViewSet",
        "rest_framework.viewsets.ModelViewSet",
        "rest_framework.viewsets.ReadOnlyModelViewSet",
        "rest_framework.viewsets.ViewSetMixin",
    }
    # Django's generic views and DRF's concrete generic views: every method (form_valid,
    # perform_create, get_context_data ...) runs inside the request, as the View's own
    | {
        f"django.views.generic.{module}{name}"
        for module, names in (
            ("", ("TemplateView", "RedirectView", "ListView", "DetailView", "FormView")),
            ("", ("CreateView", "UpdateView", "DeleteView")),
            ("base.", ("TemplateView", "RedirectView")),
            ("list.", ("ListView", "BaseListView")),
            ("detail.", ("DetailView", "BaseDetailView")),
            ("edit.", ("FormView", "CreateView", "UpdateView", "DeleteView", "ProcessFormView")),
            ("edit.", ("BaseFormView", "BaseCreateView", "BaseUpdateView", "BaseDeleteView")),
        )
        for name in names
    }
    | {
        f"rest_framework.generics.{name}"
        for name in (
            "CreateAPIView",
            "ListAPIView",
            "RetrieveAPIView",
            "DestroyAPIView",
            "UpdateAPIView",
            "ListCreateAPIView",
            "RetrieveUpdateAPIView",
            "RetrieveDestroyAPIView",
            "RetrieveUpdateDestroyAPIView",
        )
    }
)
FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)


def atomic_requests(index: ProjectIndex, settings: object) -> bool:
    memo = index.__dict__.get("_atomic_requests")
    if isinstance(memo, bool):
        return memo
    found = False
    for facts in index.modules.values():
        data = facts.extras.get("django_db")
        if isinstance(data, dict) and data.get("atomic_requests"):
            if not is_test_module(facts.module, settings, index):  # type: ignore[arg-type]
                found = True
                break
    index.__dict__["_atomic_requests"] = found
    return found


def describe(steps: tuple[Step, ...], root: str) -> str:
    last = steps[-1]
    try:
        where = Path(last.path).resolve().relative_to(Path(root)).as_posix()
    except ValueError:
        where = Path(last.path).name
    chain = " -> ".join(f"`{s.what}`" for s in steps[:-1])
    via = f" through {chain}" if chain else ""
    return f"enqueues `{last.what}` ({where}:{last.line}){via}"


@register
class EnqueueReachableFromTransaction(Rule):
    """
    ## What it does
    Flags a call, inside a transaction (`with transaction.atomic():`, an `@atomic`
    function, a SQLAlchemy `with session.begin():`), to a project function that enqueues
    a task — directly or through further project calls — outside `on_commit`. When a
    Django settings module sets `"ATOMIC_REQUESTS": True` for a database, views run in a
    transaction too: an enqueue in a view (direct or reachable) is flagged as well, unless
    the view is marked `@transaction.non_atomic_requests`.

    ## Why is this bad?
    The enqueue happens before the commit, as in TQ201, but it is hidden one or more calls
    away: the service function looks harmless where it is called, and is called from a
    transaction somewhere else.

    ## Example
    ```python
    from celery import shared_task
    from django.db import transaction


    @shared_task(time_limit=60)
    def ship(order_id):
        ...


    def finalize(order):
        ship.delay(order.id)


    def checkout(order):
        with transaction.atomic():
            order.save()
            finalize(order)
    ```

    Use instead:
    ```python
    from celery import shared_task
    from django.db import transaction


    @shared_task(time_limit=60)
    def ship(order_id):
        ...


    def finalize(order):
        transaction.on_commit(lambda: ship.delay(order.id))


    def checkout(order):
        with transaction.atomic():
            order.save()
            finalize(order)
    ```

    ## Options
    - `transactions.atomic-contexts`: extra context managers or decorators that open a
      transaction.
    - `celery.enqueue-functions`: project helpers that enqueue.

    ## Known limitations
    Calls are followed into project functions, `self.m()` / `cls.m()` / `super().m()`
    (project base classes), and `x.m()` where `x` is `ProjectClass(...)` in the same
    function or is annotated with a project class (parameter, `self.x: Service`, class-level
    `x: Service`). Calls through other variables, callbacks and dynamic dispatch are not
    followed (they are counted as unresolved). Views are functions taking `request` in a `views` module, and
    classes derived from Django's `View` or Django REST framework's views.

    ## References
    - Django: https://docs.djangoproject.com/en/stable/topics/db/transactions/#tying-transactions-to-http-requests
    """

    code = "TQ203"
    name = "enqueue-reachable-from-transaction"
    message = "{head} {path} before the commit; {fix}"
    node_types = (ast.Call,)
    triggers = re.compile(
        r"atomic|\.begin(_nested)?\s*\(|def \w+\(\s*(self,\s*)?request\b|class \w+\(.*View"
    )

    # without ATOMIC_REQUESTS in the project, only transaction scopes matter
    transaction_triggers = re.compile(r"atomic|\.begin(_nested)?\s*\(")

    def __init__(self) -> None:
        self._helpers: tuple[str, ...] = ()
        self._views = True

    def wants(self, source: str, settings: Settings) -> bool:
        if self._views:
            return super().wants(source, settings)
        return quick_search(self.transaction_triggers)(source) or any(
            name.rsplit(".", 1)[-1] in source for name in self.extra_triggers(settings)
        )

    def prepare(self, index: ProjectIndex, settings: Settings) -> None:
        names: set[str] = set()
        for module, name in index.yielding_functions():
            if index.is_atomic_context(f"{module}.{name}"):
                names.add(name)
        self._helpers = tuple(sorted(names))
        self._views = atomic_requests(index, settings)

    def extra_triggers(self, settings: Settings) -> tuple[str, ...]:
        return (*settings.atomic_contexts, *self._helpers)

    def check(self, node: ast.Call, ctx: FileContext) -> Iterator[Finding]:
        func = node.func
        if not isinstance(func, (ast.Name, ast.Attribute)):
            return
        in_transaction = enclosing_transaction(ctx, node) is not None
        view = None if in_transaction else self._view(ctx)
        if not in_transaction and view is None:
            return
        if self._deferred(ctx):
            return
        enqueue = EnqueueRecognizer.of(ctx).enqueue(node)
        if enqueue is not None:
            if view is not None and not enqueue.deferred:
                yield self.finding(
                    ctx,
                    node,
                    head=f"View `{view}` runs in a transaction (ATOMIC_REQUESTS) and",
                    path=f"enqueues `{enqueue.target}`",
                    fix="wrap it in `transaction.on_commit(...)`",
                )
            return  # direct enqueues in a transaction block are TQ201's
        summaries = Summaries.of(ctx.index, ctx.settings)
        callee = summaries.resolve_call(node, ctx, ctx.scope())
        if callee is None:
            return
        steps = summaries.enqueue_path_at(node, callee)
        if steps is None:
            return
        head = (
            f"Inside this transaction, `{summaries.label(callee)}()`"
            if in_transaction
            else f"View `{view}` runs in a transaction (ATOMIC_REQUESTS) and `{summaries.label(callee)}()`"
        )
        yield self.finding(
            ctx,
            node,
            head=head,
            path=describe(steps, ctx.index.root),
            fix="move the enqueue into `transaction.on_commit(...)`",
        )

    def _deferred(self, ctx: FileContext) -> bool:
        ancestors = ctx.ancestors
        for i in range(len(ancestors) - 1, -1, -1):
            anc = ancestors[i]
            if isinstance(anc, ast.Call) and is_on_commit_call(
                anc, ctx, ctx.resolver.scope_at(ancestors[:i])
            ):
                return True
            if isinstance(anc, FUNCTIONS):
                return False
        return False

    def _view(self, ctx: FileContext) -> str | None:
        """The name of the Django view whose body holds the node, under ATOMIC_REQUESTS."""
        if not atomic_requests(ctx.index, ctx.settings):
            return None
        ancestors = ctx.ancestors
        if len(ancestors) < 2:
            return None
        first = ancestors[1]
        module_scope = ctx.resolver.module_scope
        if isinstance(first, FUNCTIONS):
            for anc in ancestors[2:]:
                if isinstance(anc, (*FUNCTIONS, ast.Lambda)):
                    return None
            parts = ctx.module.split(".")
            if "views" not in parts and not parts[-1].endswith("views"):
                return None
            params = [*first.args.posonlyargs, *first.args.args]
            if not params or params[0].arg != "request":
                return None
            if self._non_atomic(first, ctx):
                return None
            return first.name
        if (
            isinstance(first, ast.ClassDef)
            and len(ancestors) >= 3
            and isinstance(ancestors[2], FUNCTIONS)
        ):
            for anc in ancestors[3:]:
                if isinstance(anc, (*FUNCTIONS, ast.Lambda)):
                    return None
            qn = f"{ctx.module}.{first.name}"
            if not ctx.index.is_class_subclass_of(qn, VIEW_BASES):
                return None
            method = ancestors[2]
            assert isinstance(method, FUNCTIONS)
            if self._non_atomic(method, ctx) or any(
                self._decorator_is_non_atomic(d, ctx) for d in first.decorator_list
            ):
                return None
            del module_scope
            return f"{first.name}.{method.name}"
        return None

    def _non_atomic(self, node: ast.FunctionDef | ast.AsyncFunctionDef, ctx: FileContext) -> bool:
        return any(self._decorator_is_non_atomic(d, ctx) for d in node.decorator_list)

    def _decorator_is_non_atomic(self, dec: ast.expr, ctx: FileContext) -> bool:
        for sub in walk(dec):
            if isinstance(sub, (ast.Name, ast.Attribute)):
                if ctx.index.canonical(ctx.resolver.qualname(sub)) in NON_ATOMIC:
                    return True
        return False
