"""TQ103: a time limit explicitly disabled (Celery 0, RQ -1, arq None)."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator

from tasklint.analysis.arq import ArqModel
from tasklint.analysis.celery_options import global_level, number, task_level
from tasklint.analysis.enqueue import RQ_QUEUE_FACTORIES, EnqueueRecognizer
from tasklint.config import Settings
from tasklint.findings import Finding
from tasklint.project.celery_config import CeleryModel, resolve_value
from tasklint.project.context import FileContext
from tasklint.project.index import ProjectIndex
from tasklint.rules._base import Rule, register
from tasklint.syntax.values import Value

GLOBAL = {"time_limit": "task_time_limit", "soft_time_limit": "task_soft_time_limit"}


@register
class TimeLimitDisabled(Rule):
    """
    ## What it does
    Flags a time limit that is switched off on purpose where a limit was meant:
    a Celery task with `time_limit=0` or `soft_time_limit=0` (decorator or base class)
    while the app configures a global limit; an RQ `job_timeout=-1` or
    `Queue(default_timeout=-1)`; an arq `WorkerSettings.job_timeout = None`.

    ## Why is this bad?
    Celery keeps `0` and reads it as "no limit", so the task escapes the global limit
    (`None` is different: it means "use the global setting"). RQ's `-1` means "run
    forever". arq's `job_timeout = None` removes arq's 300 s default. In each case a hung
    job occupies a worker until someone kills it by hand.

    ## Example
    ```python
    from celery import Celery

    app = Celery("shop", task_time_limit=600)


    @app.task(time_limit=0)
    def rebuild_index():
        ...
    ```

    Use instead:
    ```python
    from celery import Celery

    app = Celery("shop", task_time_limit=600)
    app.conf.update(
        task_acks_late=True, task_reject_on_worker_lost=True, worker_prefetch_multiplier=1
    )


    @app.task(time_limit=3600)
    def rebuild_index():
        ...
    ```

    ## Options
    None.

    ## Known limitations
    Values that cannot be resolved statically are not reported.

    ## References
    - Celery: https://docs.celeryq.dev/en/stable/userguide/tasks.html#Task.time_limit
    - RQ: https://python-rq.org/docs/jobs/#timeouts
    - arq: https://arq-docs.helpmanual.io/#arq.worker.Worker
    """

    code = "TQ103"
    name = "time-limit-disabled"
    message = "{what} disables the time limit{context}: a hung job runs forever; {fix}"
    node_types = (ast.Call,)
    triggers = re.compile(r"job_timeout|default_timeout")

    def check_project(self, index: ProjectIndex, settings: Settings) -> Iterator[Finding]:
        model = CeleryModel.of(index, settings)
        seen: set[tuple[str, int]] = set()
        for task in model.tasks():
            for option, setting in GLOBAL.items():
                found = task_level(task, option)
                if number(found) != 0:
                    continue
                limits = [number(global_level(app, setting)) for app in task.value_apps]
                if not any(v is not None and v > 0 for v in limits):
                    continue
                if (found.path, found.line) in seen:
                    continue
                seen.add((found.path, found.line))
                yield self.project_finding(
                    found.path,
                    found.line,
                    found.col,
                    what=f"`{option}=0` on task `{task.function}` ({found.source})",
                    context=f" although `{setting}` is set for the app",
                    fix="remove it to inherit the global limit, or set a real limit",
                )
        for info in ArqModel.of(index).checked_settings(settings):
            if info.kind == "worker_call":
                raw = info.keywords.get("job_timeout")
                if isinstance(raw, dict) and resolve_value(index, Value(**raw["value"])) == Value(
                    "const", None
                ):
                    yield self.project_finding(
                        info.path,
                        int(raw["line"]),
                        int(raw["col"]),
                        what="`Worker(job_timeout=None)`",
                        context=" (arq's default is 300 s)",
                        fix="set a number of seconds",
                    )
                continue
            attr = info.own_attributes().get("job_timeout")
            if attr is not None and resolve_value(index, attr.value) == Value("const", None):
                yield self.project_finding(
                    info.path,
                    attr.line,
                    attr.col,
                    what=f"`{info.name}.job_timeout = None`",
                    context=" (arq's default is 300 s)",
                    fix="set a number of seconds",
                )

    def check(self, node: ast.Call, ctx: FileContext) -> Iterator[Finding]:
        func = node.func
        keyword = None
        if isinstance(func, ast.Attribute) and func.attr in (
            "enqueue",
            "enqueue_call",
            "enqueue_at",
            "enqueue_in",
        ):
            enqueue = EnqueueRecognizer.of(ctx).enqueue(node)
            if enqueue is not None and enqueue.library in ("rq", "django_rq"):
                keyword = "job_timeout"
        elif ctx.imports_package("rq", "django_rq"):
            qn = ctx.index.canonical(ctx.qualname(func))
            if qn in RQ_QUEUE_FACTORIES:
                keyword = "default_timeout"
        if keyword is None:
            return
        for kw in node.keywords:
            if kw.arg == keyword:
                value = ctx.value(kw.value)
                if value.kind == "const" and value.value == -1:
                    yield self.finding(
                        ctx, kw, what=f"`{keyword}=-1`", context="", fix="set a number of seconds"
                    )
