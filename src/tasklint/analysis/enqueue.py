"""Recognising enqueue calls (Celery, arq, RQ, Dramatiq, configured helpers) with evidence.

A call counts as an enqueue only when imports or the project index show which library it
belongs to: ``pool.apply_async`` of a ``multiprocessing`` pool, a user class's ``delay()``,
or a project function that happens to be called ``enqueue_job`` are not enqueues.
"""

from __future__ import annotations

import ast
import dataclasses
import re
from dataclasses import dataclass

from tasklint.analysis.gates import quick_search
from tasklint.project.context import FileContext
from tasklint.project.index import ProjectIndex, TaskInfo
from tasklint.syntax.names import Scope

CELERY_METHODS = frozenset({"delay", "apply_async", "delay_on_commit", "apply_async_on_commit"})
ON_COMMIT_METHODS = frozenset({"delay_on_commit", "apply_async_on_commit"})
SIGNATURE_METHODS = frozenset({"s", "si", "signature", "subtask", "map", "starmap", "chunks"})
SIGNATURE_COPY_METHODS = frozenset(
    {"set", "clone", "on_error", "link", "link_error", "set_immutable", "freeze", "replace"}
)
CELERY_SIGNATURE_FUNCS = frozenset(
    {
        "celery.signature",
        "celery.Signature",
        "celery.subtask",
        "celery.canvas.signature",
        "celery.canvas.Signature",
        "celery.canvas.subtask",
    }
)
CELERY_CANVAS_FUNCS = frozenset(
    {
        "celery.chain",
        "celery.group",
        "celery.chord",
        "celery.chunks",
        "celery.xmap",
        "celery.xstarmap",
        "celery.canvas.chain",
        "celery.canvas.group",
        "celery.canvas.chord",
        "celery.canvas.chunks",
        "celery.canvas._chain",
    }
)
RQ_METHODS = frozenset({"enqueue", "enqueue_call", "enqueue_at", "enqueue_in"})
RQ_QUEUE_FACTORIES = frozenset({"rq.Queue", "rq.queue.Queue"})
DJANGO_RQ_QUEUE_FACTORIES = frozenset(
    {"django_rq.get_queue", "django_rq.queues.get_queue", "django_rq.get_connection"}
)
DJANGO_RQ_ENQUEUE = frozenset({"django_rq.enqueue", "django_rq.queues.enqueue"})
DRAMATIQ_METHODS = frozenset({"send", "send_with_options"})
CANDIDATE_METHODS = CELERY_METHODS | RQ_METHODS | DRAMATIQ_METHODS | {"send_task", "enqueue_job"}

MAX_DEPTH = 8

# A file that matches none of this cannot contain an enqueue (configured helpers aside).
ENQUEUE_TRIGGERS = re.compile(
    r"\.(delay|apply_async|delay_on_commit|apply_async_on_commit|send_task|enqueue|enqueue_call"
    r"|enqueue_at|enqueue_in|enqueue_job|send|send_with_options|s|si|signature|map|starmap"
    r"|chunks)\s*\(|\b(chain|group|chord|enqueue)\s*\("
)


@dataclass(frozen=True)
class Enqueue:
    library: str  # "celery", "arq", "rq", "django_rq", "dramatiq", "custom"
    method: str
    call: ast.Call
    deferred: bool  # already waits for the commit (delay_on_commit, on_commit base, django-rq)
    target: str  # what is enqueued, for messages

    @property
    def waits_for_commit(self) -> bool:
        return self.deferred


def decorator_wrapper(index: ProjectIndex, qualname: str | None) -> dict[str, object] | None:
    """The ``wrappers`` facts of the project function a decorator names (None if none)."""
    if qualname is None:
        return None
    target = index.resolve(qualname)
    if target.module is None or target.name is None or target.rest:
        return None
    facts = index.modules.get(target.module)
    if facts is None or index.function(target) is None:
        return None
    data = facts.extras.get("wrappers")
    found = data.get(target.name) if isinstance(data, dict) else None
    return found if isinstance(found, dict) else None


def _wraps_as_used(wrapper: dict[str, object], is_call: bool) -> bool:
    """``@background`` uses a plain decorator, ``@background(...)`` a factory."""
    return wrapper.get("wraps") in (("factory", "both") if is_call else ("plain", "both"))


def enqueued_when_called(index: ProjectIndex, info: TaskInfo) -> str | None:
    """Is calling this task an enqueue, because a project decorator above its task decorator
    wraps it in a function that calls ``<task>.delay(...)`` (an enqueue wrapper)?

    ``"now"`` when the wrapper enqueues on some path outside ``on_commit``, ``"deferred"``
    when it only enqueues inside ``on_commit(...)``, None when calling it is no enqueue.
    """
    memo: dict[tuple[str, str], str | None] = index.__dict__.setdefault("_wrapper_enqueues", {})
    key = (info.module, info.name)
    if key in memo:
        return memo[key]
    found: str | None = None
    facts = index.modules.get(info.module)
    func = facts.functions.get(info.name) if facts is not None else None
    if func is not None and info.library in ("celery", "rq", "django_rq"):
        # every decorator above the task decorator must be an enqueue wrapper: another one
        # (a cache, a converter, a feature flag) may not call through, or may change the
        # arguments, and what calling the result does is then unknown
        for dec in func.decorators:
            if index.decorator_library(dec.qualname) is not None:
                break  # decorators below the task decorator see the plain function
            wrapper = decorator_wrapper(index, dec.qualname)
            if wrapper is None or not _wraps_as_used(wrapper, dec.is_call):
                found = None
                break
            if wrapper.get("enqueues"):
                found = "now"
            elif wrapper.get("defers"):
                found = found or "deferred"
            else:
                found = None  # it only connects a receiver
                break
    memo[key] = found
    return found


def wrapper_forwarding(index: ProjectIndex, info: TaskInfo) -> tuple[bool, bool]:
    """Whether the enqueue wrappers above a task pass the call's positional and keyword
    arguments to the enqueue unchanged (only then are they the message's arguments)."""
    facts = index.modules.get(info.module)
    func = facts.functions.get(info.name) if facts is not None else None
    if func is None:
        return False, False
    positional = keywords = True
    for dec in func.decorators:
        if index.decorator_library(dec.qualname) is not None:
            break
        wrapper = decorator_wrapper(index, dec.qualname) or {}
        positional = positional and bool(wrapper.get("forwards_args"))
        keywords = keywords and bool(wrapper.get("forwards_kwargs"))
    return positional, keywords


def wrapper_task_names(index: ProjectIndex) -> frozenset[str]:
    """Names of the project tasks that calling enqueues (a textual gate for rules)."""
    memo = index.__dict__.get("_wrapper_task_names")
    if isinstance(memo, frozenset):
        return memo
    names: set[str] = set()
    if any("wrappers" in facts.extras for facts in index.modules.values()):
        for infos in index.tasks_by_module().values():
            for info in infos:
                if enqueued_when_called(index, info):
                    names.add(info.name)
    result = frozenset(names)
    index.__dict__["_wrapper_task_names"] = result
    return result


def wrapper_call_pattern(index: ProjectIndex) -> re.Pattern[str] | None:
    """A textual gate: a call of a task that calling enqueues (``index_post(``), or None
    when the project has no enqueue wrappers."""
    memo = index.__dict__.get("_wrapper_call_pattern", False)
    if memo is not False:
        return memo  # type: ignore[no-any-return]
    names = sorted(wrapper_task_names(index))
    pattern = (
        re.compile(r"\b(?:" + "|".join(re.escape(n) for n in names) + r")\s*\(") if names else None
    )
    index.__dict__["_wrapper_call_pattern"] = pattern
    return pattern


_LAST_TRIGGERED: list[tuple[str, bool]] = []


def enqueue_triggered(source: str) -> bool:
    """``ENQUEUE_TRIGGERS`` searched in ``source``, remembered for the last source: several
    rules gate on it for the same file in a row, and the search is not cheap."""
    if _LAST_TRIGGERED and _LAST_TRIGGERED[0][0] is source:
        return _LAST_TRIGGERED[0][1]
    found = quick_search(ENQUEUE_TRIGGERS)(source)
    _LAST_TRIGGERED[:] = [(source, found)]
    return found


def mentions_wrapped_call(index: ProjectIndex, source: str) -> bool:
    """Does ``source`` call a task that calling enqueues? (Remembered for the last source:
    several rules ask about the same file in a row.)"""
    pattern = wrapper_call_pattern(index)
    if pattern is None:
        return False
    last = index.__dict__.get("_wrapper_call_last")
    if isinstance(last, tuple) and last[0] is source:
        return bool(last[1])
    names = wrapper_task_names(index)
    found = any(name in source for name in names) and pattern.search(source) is not None
    index.__dict__["_wrapper_call_last"] = (source, found)
    return found


def _task_label(info: TaskInfo | None, expr: ast.AST) -> str:
    if info is not None:
        return info.name
    return ast.unparse(expr) if hasattr(ast, "unparse") else "task"


class EnqueueRecognizer:
    """Answers "is this call an enqueue?" for one file (memoised per call)."""

    def __init__(self, ctx: FileContext) -> None:
        self.ctx = ctx
        self.index = ctx.index
        self.resolver = ctx.resolver
        self._memo: dict[int, Enqueue | None] = {}

    @classmethod
    def of(cls, ctx: FileContext) -> EnqueueRecognizer:
        rec = ctx.memo.get("enqueue")
        if not isinstance(rec, EnqueueRecognizer):
            rec = cls(ctx)
            ctx.memo["enqueue"] = rec
        return rec

    # -- task and signature expressions --------------------------------------------------
    def task_info(self, expr: ast.AST, scope: Scope, depth: int = 0) -> TaskInfo | None:
        if depth > MAX_DEPTH:
            return None
        if isinstance(expr, ast.Name):
            if self.resolver.is_local(expr.id, scope):
                bound = self._bound_task(expr.id, scope)
                if bound is not None:
                    return bound
                local = self.resolver.local_value(expr.id, scope)
                if local is None:  # a function-local import, or not resolvable
                    return self.index.task(self.resolver.qualname(expr, scope))
                return self.task_info(local[0], local[1], depth + 1)
            return self.index.task(self.resolver.qualname(expr, scope))
        if isinstance(expr, ast.Attribute):
            return self.index.task(self.resolver.qualname(expr, scope))
        if isinstance(expr, ast.Subscript):
            # app.tasks["name"] / current_app.tasks[...]
            value = expr.value
            if isinstance(value, ast.Attribute) and value.attr == "tasks":
                if self.index.is_celery_app(self.resolver.qualname(value.value, scope)):
                    return TaskInfo(library="celery", module="", name="task", line=expr.lineno)
        return None

    def _bound_task(self, name: str, scope: Scope) -> TaskInfo | None:
        """``self`` inside a ``bind=True`` task is the task itself."""
        node = scope.node
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            return None
        params = [*node.args.posonlyargs, *node.args.args]
        if not params or params[0].arg != name:
            return None
        if scope.parent is None or not scope.parent.is_module:
            return None
        info = self.index.task(f"{self.ctx.module}.{node.name}" if self.ctx.module else node.name)
        if info is not None and info.bind:
            return info
        return None

    def signature_kind(self, expr: ast.AST, scope: Scope, depth: int = 0) -> str | None:
        """ "signature" for a single task signature, "canvas" for chain/group/chord."""
        if depth > MAX_DEPTH:
            return None
        if isinstance(expr, ast.Name) and self.resolver.is_local(expr.id, scope):
            local = self.resolver.local_value(expr.id, scope)
            if local is None:
                return None
            return self.signature_kind(local[0], local[1], depth + 1)
        if isinstance(expr, ast.BinOp) and isinstance(expr.op, ast.BitOr):
            if self.signature_kind(expr.left, scope, depth + 1) or self.signature_kind(
                expr.right, scope, depth + 1
            ):
                return "canvas"
            return None
        if not isinstance(expr, ast.Call):
            return None
        func = expr.func
        if isinstance(func, ast.Attribute):
            if func.attr in SIGNATURE_METHODS and self.task_info(func.value, scope, depth + 1):
                return "signature"
            if func.attr in SIGNATURE_COPY_METHODS:
                return self.signature_kind(func.value, scope, depth + 1)
            if func.attr == "signature" and self.index.is_celery_app(
                self.resolver.qualname(func.value, scope)
            ):
                return "signature"
        qn = self.index.canonical(self.resolver.qualname(func, scope))
        if qn in CELERY_SIGNATURE_FUNCS:
            return "signature"
        if qn in CELERY_CANVAS_FUNCS:
            return "canvas"
        if isinstance(func, ast.Call):
            # chord(header)(body) builds and sends; group(...)(...) too
            inner = self.signature_kind(func, scope, depth + 1)
            if inner == "canvas":
                return "canvas-called"
        return None

    # -- enqueue calls -------------------------------------------------------------------
    def _candidate(self, call: ast.Call) -> bool:
        """A cheap syntactic pre-check before any name resolution."""
        func = call.func
        if isinstance(func, ast.Attribute):
            return (
                func.attr in CANDIDATE_METHODS
                or bool(self.ctx.settings.enqueue_functions)
                or func.attr in wrapper_task_names(self.index)
            )
        if isinstance(func, (ast.Call, ast.BinOp)):
            return True
        if isinstance(func, ast.Name):
            return (
                func.id == "enqueue"
                or bool(self.ctx.settings.enqueue_functions)
                or self.ctx.imports_package("celery")
                or func.id in wrapper_task_names(self.index)
            )
        return False

    def enqueue(self, call: ast.Call, scope: Scope | None = None) -> Enqueue | None:
        key = id(call)
        if key in self._memo:
            return self._memo[key]
        if not self._candidate(call):
            self._memo[key] = None
            return None
        scope = scope or self.ctx.scope()
        result = self._classify(call, scope)
        self._memo[key] = result
        return result

    def _classify(self, call: ast.Call, scope: Scope) -> Enqueue | None:
        func = call.func
        if isinstance(func, ast.Attribute):
            attr, recv = func.attr, func.value
            if attr in CELERY_METHODS:
                info = self.task_info(recv, scope)
                if info is not None and info.library in ("celery", "rq", "django_rq"):
                    deferred = (
                        attr in ON_COMMIT_METHODS or info.deferred or info.library == "django_rq"
                    )
                    return Enqueue(info.library, attr, call, deferred, _task_label(info, recv))
                kind = self.signature_kind(recv, scope)
                if kind is not None:
                    return Enqueue(
                        "celery", attr, call, attr in ON_COMMIT_METHODS, _task_label(None, recv)
                    )
                return None
            if attr == "send_task":
                if self._is_celery_app_expr(recv, scope):
                    label = _first_str(call) or "task"
                    return Enqueue("celery", attr, call, False, label)
                return None
            if attr == "enqueue_job":
                if self._is_arq(recv, scope):
                    return Enqueue("arq", attr, call, False, _first_str(call) or "job")
                return None
            if attr in RQ_METHODS:
                lib = self._rq_library(recv, scope)
                if lib is not None:
                    label = _first_label(call) or "job"
                    return Enqueue(lib, attr, call, lib == "django_rq", label)
                return None
            if attr in DRAMATIQ_METHODS:
                info = self.task_info(recv, scope)
                if info is not None and info.library == "dramatiq":
                    return Enqueue("dramatiq", attr, call, False, info.name)
                return None
        if isinstance(func, (ast.Call, ast.BinOp, ast.Name)):
            kind = self.signature_kind(func, scope)
            if kind in ("canvas", "canvas-called"):
                return Enqueue("celery", "__call__", call, False, "canvas")
        if isinstance(func, (ast.Name, ast.Attribute)):
            wrapped = self._wrapped_task(func, scope)
            if wrapped is not None:
                return Enqueue(wrapped.library, "__call__", call, wrapped.deferred, wrapped.name)
        qn = self.resolver.qualname(func, scope)
        if qn is not None:
            canon = self.index.canonical(qn)
            configured = self.ctx.settings.enqueue_functions
            if qn in configured or canon in configured:
                return Enqueue(
                    "custom", qn.rsplit(".", 1)[-1], call, False, _first_label(call) or qn
                )
            if canon in DJANGO_RQ_ENQUEUE:
                return Enqueue("django_rq", "enqueue", call, True, _first_label(call) or "job")
        return None

    def _wrapped_task(self, func: ast.Name | ast.Attribute, scope: Scope) -> TaskInfo | None:
        """The task a plain call ``send_email(...)`` enqueues through an enqueue wrapper."""
        name = func.id if isinstance(func, ast.Name) else func.attr
        if name not in wrapper_task_names(self.index):
            return None
        info = self.index.task(self.resolver.qualname(func, scope))
        if info is None:
            return None
        how = enqueued_when_called(self.index, info)
        if how == "deferred" and not info.deferred:
            return dataclasses.replace(info, deferred=True)
        return info if how is not None else None

    def _is_celery_app_expr(self, expr: ast.AST, scope: Scope) -> bool:
        if isinstance(expr, ast.Name) and self.resolver.is_local(expr.id, scope):
            local = self.resolver.local_value(expr.id, scope)
            if local is None:
                return False
            value, _ = local
            if isinstance(value, ast.Call):
                callee = self.index.canonical(self.resolver.qualname(value.func, scope))
                return callee in ("celery.Celery", "celery.app.base.Celery")
            return self._is_celery_app_expr(value, local[1])
        return self.index.is_celery_app(self.resolver.qualname(expr, scope))

    def _is_arq(self, recv: ast.AST, scope: Scope) -> bool:
        qn = self.resolver.qualname(recv, scope)
        if qn is not None:
            target = self.index.resolve(qn)
            if target.is_project and (
                target.name is None or self.index.function(target) or self.index.klass(target)
            ):
                return False  # a project module, function or class, not an arq pool
        if self.ctx.imports_package("arq"):
            return True
        return "arq" in self.index.packages_used() and not self.index.defines_function(
            "enqueue_job"
        )

    def _rq_library(self, recv: ast.AST, scope: Scope, depth: int = 0) -> str | None:
        if depth > MAX_DEPTH:
            return None
        if isinstance(recv, ast.Name) and self.resolver.is_local(recv.id, scope):
            local = self.resolver.local_value(recv.id, scope)
            if local is not None:
                found = self._rq_library(local[0], local[1], depth + 1)
                if found is not None:
                    return found
        elif isinstance(recv, ast.Call):
            callee = self.index.canonical(self.resolver.qualname(recv.func, scope))
            if callee in DJANGO_RQ_QUEUE_FACTORIES:
                return "django_rq"
            if callee in RQ_QUEUE_FACTORIES:
                return "rq"
        else:
            qn = self.resolver.qualname(recv, scope)
            if qn is not None:
                canon = self.index.canonical(qn)
                if canon == "django_rq":
                    return "django_rq"
                target = self.index.resolve(qn)
                sym = self.index.symbol(target)
                if sym is not None and sym.kind == "call" and not target.rest:
                    callee = self.index.canonical(sym.target)
                    if callee in DJANGO_RQ_QUEUE_FACTORIES:
                        return "django_rq"
                    if callee in RQ_QUEUE_FACTORIES:
                        return "rq"
                if target.is_project and (
                    target.name is None or self.index.function(target) or self.index.klass(target)
                ):
                    return None  # a project module, function or class (``Job.enqueue(...)``)
        if self.ctx.imports_package("django_rq"):
            return "django_rq"
        if self.ctx.imports_package("rq"):
            return "rq"
        return None


def _first_str(call: ast.Call) -> str | None:
    if call.args and isinstance(call.args[0], ast.Constant) and isinstance(call.args[0].value, str):
        return call.args[0].value
    return None


def _first_label(call: ast.Call) -> str | None:
    if not call.args:
        return None
    first = call.args[0]
    if isinstance(first, ast.Constant) and isinstance(first.value, str):
        return first.value
    if isinstance(first, (ast.Name, ast.Attribute)):
        return ast.unparse(first)
    return None


def apply_async_arguments(call: ast.Call) -> tuple[ast.expr | None, ast.expr | None]:
    """The ``args`` and ``kwargs`` expressions of ``apply_async(args, kwargs, ...)``, given
    positionally or by keyword (None when absent)."""
    args = (
        call.args[0]
        if call.args
        else next((k.value for k in call.keywords if k.arg == "args"), None)
    )
    kwargs = (
        call.args[1]
        if len(call.args) > 1
        else next((k.value for k in call.keywords if k.arg == "kwargs"), None)
    )
    return args, kwargs
