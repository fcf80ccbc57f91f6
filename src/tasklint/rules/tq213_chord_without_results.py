"""TQ213: a chord whose header results are never stored, so its callback never runs."""

from __future__ import annotations

import ast
import os
import re
import stat
from collections.abc import Iterator
from dataclasses import dataclass

from tasklint.analysis.celery_options import effective
from tasklint.analysis.enqueue import SIGNATURE_COPY_METHODS, EnqueueRecognizer
from tasklint.config import Settings
from tasklint.findings import Finding
from tasklint.project.celery_config import AppConfig, CeleryModel, CeleryTask, is_test_module
from tasklint.project.context import FileContext
from tasklint.project.index import ProjectIndex
from tasklint.rules._base import Rule, register
from tasklint.syntax.names import Scope

CHORD = frozenset({"celery.chord", "celery.canvas.chord", "celery.canvas._chord"})
GROUP = frozenset({"celery.group", "celery.canvas.group"})
CHAIN = frozenset({"celery.chain", "celery.canvas.chain", "celery.canvas._chain"})
SEND = frozenset({"apply_async", "delay"})
SIGNATURE_OF_TASK = frozenset({"s", "si", "signature"})
# Redis-family result backends keep each header result in the chord's own list
# (``RedisBackend.on_chord_part_return``), so a simple header joins even when the header
# tasks ignore their results: ``ignore_result`` is reported only for other backends.
REDIS_SCHEMES = ("redis", "rediss", "sentinel", "valkey", "valkeys")
# Deployment files that may set the ``CELERY_RESULT_BACKEND`` environment variable, which
# Celery reads before any configuration (``celery/app/utils.py``).
DEPLOY_NAMES = re.compile(
    r"(^|[./_-])(dockerfile|docker-compose|compose|procfile|makefile)|"
    r"\.(env|ya?ml|sh|service|conf|ini|cfg|toml|json)$|^\.env",
    re.IGNORECASE,
)
PRUNE = frozenset(
    {".git", ".hg", "node_modules", "__pycache__", ".venv", "venv", ".tox", "build", "dist"}
)
MAX_DEPTH = 8


def env_may_set_backend(root: str) -> bool:
    """True when a deployment/configuration file in the project names CELERY_RESULT_BACKEND."""
    root = os.path.abspath(root)
    base_depth = root.rstrip(os.sep).count(os.sep)
    for dirpath, dirnames, filenames in os.walk(root):
        if dirpath.count(os.sep) - base_depth >= MAX_DEPTH:
            dirnames[:] = []
        dirnames[:] = [d for d in dirnames if d not in PRUNE]
        for name in filenames:
            if not DEPLOY_NAMES.search(name):
                continue
            path = os.path.join(dirpath, name)
            try:
                # only regular files inside the project: never a link (its target may lie
                # outside), a FIFO or a device
                if not stat.S_ISREG(os.lstat(path).st_mode):
                    continue
                with open(path, "rb") as fh:
                    if b"CELERY_RESULT_BACKEND" in fh.read(1_000_000):
                        return True
            except OSError:
                return True  # cannot tell
    return False


def _may_run_eagerly(app: AppConfig) -> bool:
    """``task_always_eager`` True or unknown: ``chord.apply_async`` then runs locally."""
    eager = app.get("task_always_eager")
    if eager is None:
        return False
    return not (eager.value.kind == "const" and not eager.value.value)


@dataclass(frozen=True)
class Chord:
    header: ast.expr | None  # the header expression (None: not readable)
    body: ast.expr | None


@register
class ChordWithoutResults(Rule):
    """
    ## What it does
    Flags a chord — `chord(header)(callback)`, `chord(header, body).apply_async()` /
    `.delay()`, or `group(...) | signature` (which Celery turns into a chord, also inside
    a chain) — when the app has no result backend, or when a header task ignores its
    results (`ignore_result=True` on the task, its base class, or the global
    `task_ignore_result`) and the result backend is not Redis.

    ## Why is this bad?
    A chord's callback runs when the backend has seen every header result. Without a
    result backend Celery raises `NotImplementedError: No result backend is configured`
    when the chord is sent. With a header task that ignores its result, backends that join
    the header by reading stored results (database, cache, RPC, ...) never see it finish:
    the callback never runs and `chord_unlock` retries forever. Celery's documentation:
    "Tasks used within a chord must not ignore their results."

    ## Example
    ```python
    from celery import Celery, chord

    app = Celery("shop", broker="amqp://localhost")


    @app.task(time_limit=60)
    def resize(image_id):
        ...


    @app.task(time_limit=60)
    def publish(results):
        ...


    def process(image_ids):
        chord(resize.s(i) for i in image_ids)(publish.s())
    ```

    Use instead:
    ```python
    from celery import Celery, chord

    app = Celery(
        "shop",
        broker="amqp://localhost",
        backend="redis://localhost:6379/1",
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
    )


    @app.task(time_limit=60)
    def resize(image_id):
        ...


    @app.task(time_limit=60)
    def publish(results):
        ...


    def process(image_ids):
        chord(resize.s(i) for i in image_ids)(publish.s())
    ```

    ## Options
    None.

    ## Known limitations
    The backend counts as absent only when no configuration source of the app sets
    `result_backend` (or `Celery(backend=...)`), no deployment or configuration file of
    the project names the `CELERY_RESULT_BACKEND` environment variable, and the app does
    not (or may not) set `task_always_eager` (an eager chord runs in-process).
    `ignore_result` is reported only for header tasks resolved to project tasks, and only
    when the app's result backend is known and is not Redis: the Redis backend stores each
    header result in the chord's own list, so a simple header still completes (Celery's
    documentation still asks for results to be kept). A group followed by a task inside a chain
    (`chain(a.s(), group(...), cb.s())`, `a.s() | group(...) | cb.s()`) is the chord Celery
    builds from it and is checked too; a header kept in a variable built step by step
    (`header.append(...)`) is not read.

    ## References
    - Celery: https://docs.celeryq.dev/en/stable/userguide/canvas.html#chords
    - Celery source: `celery/canvas.py` (`group.__or__`, `_chord.run`),
      `celery/backends/base.py` (`DisabledBackend`, `fallback_chord_unlock`)
    """

    code = "TQ213"
    name = "chord-without-results"
    message = "{problem}: {consequence}; {fix}"
    node_types = (ast.Call,)
    triggers = re.compile(r"\bchord\b|\bgroup\b")

    def __init__(self) -> None:
        self._env_backend: dict[str, bool] = {}

    def prepare(self, index: ProjectIndex, settings: Settings) -> None:
        self._env_backend.clear()

    def check(self, node: ast.Call, ctx: FileContext) -> Iterator[Finding]:
        func = node.func
        if (
            func.attr not in SEND
            if isinstance(func, ast.Attribute)
            else not isinstance(func, (ast.Name, ast.BinOp, ast.Call))
        ):
            return  # no chord sent (what _sent_chord answers without a scope: most calls)
        scope = ctx.scope()
        chord = self._sent_chord(node, ctx, scope)
        if chord is None:
            return
        if EnqueueRecognizer.of(ctx).enqueue(node) is None:
            return
        model = CeleryModel.of(ctx.index, ctx.settings)
        header = self._header_tasks(chord.header, ctx, scope, model)
        body = self._task_of(chord.body, ctx, scope, model) if chord.body is not None else None
        apps = self._apps(header, body, model, ctx)
        if not apps:
            return
        if all(a.get("result_backend") is None and not a.is_open for a in apps):
            if any(_may_run_eagerly(a) for a in apps):
                return  # an eager app runs the chord in-process: no backend needed
            if self._env_sets_backend(ctx.index.root):
                return
            names = ", ".join(sorted({f"`{a.ident}`" for a in apps}))
            yield self.finding(
                ctx,
                node,
                line=node.lineno,
                problem=f"This chord's app {names} has no `result_backend`",
                consequence=(
                    "Celery raises `NotImplementedError: No result backend is configured` "
                    "when the chord is sent and the callback never runs"
                ),
                fix="configure a result backend (`result_backend=`/`Celery(backend=...)`)",
            )
            return
        for task, where in header:
            reason = self._ignores_result(task, where)
            if reason is not None:
                yield self.finding(
                    ctx,
                    node,
                    line=node.lineno,
                    problem=f"Header task `{task.function}` ignores its result ({reason})",
                    consequence=(
                        "the result backend never sees the header finish (it joins stored "
                        "results), so the chord's callback never runs"
                    ),
                    fix=f"set `ignore_result=False` on `{task.function}`",
                )
                return

    # -- recognising chords ------------------------------------------------------------
    def _canon(self, func: ast.expr, ctx: FileContext, scope: Scope) -> str | None:
        return ctx.index.canonical(ctx.resolver.qualname(func, scope))

    def _sent_chord(self, call: ast.Call, ctx: FileContext, scope: Scope) -> Chord | None:
        func = call.func
        if isinstance(func, ast.Attribute) and func.attr in SEND:
            return self._chord_expr(func.value, ctx, scope, 0)
        if isinstance(func, ast.Call) and self._canon(func.func, ctx, scope) in CHORD:
            # chord(header)(callback) / chord(header, body)()
            inner = self._chord_call(func)
            if inner.body is not None:
                return inner
            body = call.args[0] if call.args else None
            for kw in call.keywords:
                if kw.arg == "body":
                    body = kw.value
            return Chord(inner.header, body) if body is not None else None
        if isinstance(func, (ast.Name, ast.BinOp, ast.Call)):
            return self._chord_expr(func, ctx, scope, 0)
        return None

    def _chord_call(self, call: ast.Call) -> Chord:
        header = call.args[0] if call.args else None
        body = call.args[1] if len(call.args) > 1 else None
        for kw in call.keywords:
            if kw.arg == "header":
                header = kw.value
            elif kw.arg == "body":
                body = kw.value
        return Chord(header, body)

    def _chord_expr(
        self, expr: ast.expr, ctx: FileContext, scope: Scope, depth: int
    ) -> Chord | None:
        if depth > 6:
            return None
        if isinstance(expr, ast.Name) and ctx.resolver.is_local(expr.id, scope):
            local = ctx.resolver.local_value(expr.id, scope)
            if local is None:
                return None
            return self._chord_expr(local[0], ctx, local[1], depth + 1)
        if isinstance(expr, ast.Call) and self._canon(expr.func, ctx, scope) in CHORD:
            chord = self._chord_call(expr)
            return chord if chord.body is not None else None
        if (
            isinstance(expr, ast.Call)
            and isinstance(expr.func, ast.Attribute)
            and expr.func.attr in SIGNATURE_COPY_METHODS
        ):
            # chord(...).on_error(errback).apply_async(), .set(...), .link(...) ...
            return self._chord_expr(expr.func.value, ctx, scope, depth + 1)
        if isinstance(expr, ast.BinOp) and isinstance(expr.op, ast.BitOr):
            group = self._group_call(expr.left, ctx, scope, depth + 1)
            if group is not None:
                if not group.args and not group.keywords:
                    return None  # an empty group is dropped
                return Chord(group, expr.right)
            left = expr.left
            if isinstance(left, ast.BinOp) and isinstance(left.op, ast.BitOr):
                # a.s() | group(...) | cb.s(): a chain ending in a group, then a task
                group = self._group_call(left.right, ctx, scope, depth + 1)
                if group is not None and (group.args or group.keywords):
                    return Chord(group, expr.right)
            inner = self._chord_expr(expr.left, ctx, scope, depth + 1)
            if inner is not None:
                return Chord(inner.header, inner.body)  # chord | task: attached to the body
        if isinstance(expr, ast.Call) and self._canon(expr.func, ctx, scope) in CHAIN:
            # chain(a.s(), group(...), cb.s()): prepare_steps upgrades group + task to a chord
            steps = expr.args
            for i, step in enumerate(steps[:-1]):
                group = self._group_call(step, ctx, scope, depth + 1)
                if group is not None and (group.args or group.keywords):
                    return Chord(group, steps[i + 1])
        return None

    def _group_call(
        self, expr: ast.expr, ctx: FileContext, scope: Scope, depth: int
    ) -> ast.Call | None:
        if depth > 6:
            return None
        if isinstance(expr, ast.Name) and ctx.resolver.is_local(expr.id, scope):
            local = ctx.resolver.local_value(expr.id, scope)
            if local is None:
                return None
            return self._group_call(local[0], ctx, local[1], depth + 1)
        if isinstance(expr, ast.Call) and self._canon(expr.func, ctx, scope) in GROUP:
            return expr
        return None

    # -- the tasks in it -----------------------------------------------------------------
    def _header_items(
        self, header: ast.expr | None, ctx: FileContext, scope: Scope
    ) -> list[ast.expr]:
        if header is None:
            return []
        if isinstance(header, ast.Call) and self._canon(header.func, ctx, scope) in GROUP:
            if len(header.args) == 1 and isinstance(
                header.args[0], (ast.List, ast.Tuple, ast.Set, ast.GeneratorExp, ast.ListComp)
            ):
                return self._header_items(header.args[0], ctx, scope)
            return list(header.args)
        if isinstance(header, (ast.List, ast.Tuple, ast.Set)):
            return list(header.elts)
        if isinstance(header, (ast.GeneratorExp, ast.ListComp)):
            return [header.elt]
        return []

    def _header_tasks(
        self, header: ast.expr | None, ctx: FileContext, scope: Scope, model: CeleryModel
    ) -> list[tuple[CeleryTask, ast.expr]]:
        found = []
        for item in self._header_items(header, ctx, scope):
            task = self._task_of(item, ctx, scope, model)
            if task is not None:
                found.append((task, item))
        return found

    def _task_of(
        self, expr: ast.expr, ctx: FileContext, scope: Scope, model: CeleryModel
    ) -> CeleryTask | None:
        """The project task of ``T.s(...)``/``T.si(...)``/``T.signature(...)``, else None.

        A signature given its own options (``.set(...)``, ``options=``) is not followed:
        they may override ``ignore_result``.
        """
        if not (
            isinstance(expr, ast.Call)
            and isinstance(expr.func, ast.Attribute)
            and expr.func.attr in SIGNATURE_OF_TASK
        ):
            return None
        if expr.func.attr == "signature" and (len(expr.args) > 2 or expr.keywords):
            return None
        info = EnqueueRecognizer.of(ctx).task_info(expr.func.value, scope)
        if info is None or info.library != "celery" or not info.module:
            return None
        for task in model.tasks():
            if task.module == info.module and task.function == info.name:
                return task
        return None

    def _apps(
        self,
        header: list[tuple[CeleryTask, ast.expr]],
        body: CeleryTask | None,
        model: CeleryModel,
        ctx: FileContext,
    ) -> list[AppConfig]:
        tasks = [t for t, _ in header] + ([body] if body is not None else [])
        apps: dict[int, AppConfig] = {}
        for task in tasks:
            for app in task.apps:
                apps[id(app)] = app
        chosen = list(apps.values()) if apps else list(model.apps)
        return [a for a in chosen if not is_test_module(a.module, ctx.settings)]

    def _ignores_result(self, task: CeleryTask, item: ast.expr) -> str | None:
        apps = task.value_apps or task.apps  # the worker stores (or drops) the results
        if not apps:
            return None
        reasons = []
        for app in apps:
            backend = app.get("result_backend")
            if backend is None or backend.value.kind != "const":
                return None
            url = backend.value.value
            if (
                not isinstance(url, str)
                or not url
                or url.split(":", 1)[0].lower().startswith(REDIS_SCHEMES)
            ):
                return None
            found = effective(task, app, "ignore_result")
            if not (found.known and found.value is True):
                return None
            source = found.source
            if source == "decorator" or source.startswith("base class"):
                source = f"its {source}"
            scheme = url.split(":", 1)[0]
            reasons.append(
                f"`ignore_result=True` from {source}, line {found.line}, "
                f"with the `{scheme}` result backend"
            )
        return "; ".join(sorted(set(reasons)))

    def _env_sets_backend(self, root: str) -> bool:
        if root not in self._env_backend:
            self._env_backend[root] = env_may_set_backend(root)
        return self._env_backend[root]
