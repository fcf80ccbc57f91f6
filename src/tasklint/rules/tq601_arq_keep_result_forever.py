"""TQ601: arq results kept in Redis forever."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator

from tasklint.analysis.arq import ArqModel
from tasklint.config import Settings
from tasklint.data.arq_worker import CRON_FUNCTIONS, FUNC_FUNCTIONS, WORKER_CLASSES
from tasklint.findings import Finding
from tasklint.project.celery_config import is_test_module, resolve_value
from tasklint.project.context import FileContext
from tasklint.project.index import ProjectIndex
from tasklint.rules._base import Rule, register
from tasklint.syntax.values import Value

TRUE = Value("const", True)
CALLS = {
    **{qn: "func" for qn in FUNC_FUNCTIONS},
    **{qn: "cron" for qn in CRON_FUNCTIONS},
    **{qn: "Worker" for qn in WORKER_CLASSES},
}


@register
class ArqKeepResultForever(Rule):
    """
    ## What it does
    Flags `keep_result_forever = True` on arq worker settings, and
    `keep_result_forever=True` passed to `func(...)`, `cron(...)` or `Worker(...)`.

    ## Why is this bad?
    arq stores every job's result in Redis under `arq:result:<job id>`. With
    `keep_result_forever` those keys never expire: each job run adds one, and Redis
    memory grows until it evicts other keys or refuses writes. A cron job adds one key per
    run, forever.

    ## Example
    ```python
    from arq import func


    async def render_report(ctx, report_id):
        ...


    class WorkerSettings:
        functions = [func(render_report, keep_result_forever=True)]
    ```

    Use instead:
    ```python
    from arq import func


    async def render_report(ctx, report_id):
        ...


    class WorkerSettings:
        functions = [func(render_report, keep_result=24 * 3600)]
    ```

    ## Options
    - `test-modules`: modules where workers are built for tests (not reported).

    ## Known limitations
    Values that cannot be resolved statically (`keep_result_forever = settings.KEEP`) are
    not reported, nor anything in test modules (`test-modules`).

    ## References
    - arq: https://arq-docs.helpmanual.io/#arq.worker.Worker
    - arq: https://arq-docs.helpmanual.io/#arq.worker.func
    """

    code = "TQ601"
    name = "arq-keep-result-forever"
    message = (
        "{what} keeps every job result in Redis with no expiry: result keys pile up until "
        "Redis runs out of memory; set `keep_result` to the seconds a caller needs the result"
    )
    node_types = (ast.Call,)
    triggers = re.compile(r"keep_result_forever")

    def check(self, node: ast.Call, ctx: FileContext) -> Iterator[Finding]:
        keyword = next((kw for kw in node.keywords if kw.arg == "keep_result_forever"), None)
        if keyword is None or is_test_module(ctx.module, ctx.settings):
            return
        kind = CALLS.get(ctx.index.canonical(ctx.qualname(node.func)) or "")
        if kind is None:
            return
        value = ctx.value(keyword.value)
        if value == TRUE:
            yield self.finding(ctx, keyword, what=f"`{kind}(..., keep_result_forever=True)`")

    def check_project(self, index: ProjectIndex, settings: Settings) -> Iterator[Finding]:
        for info in ArqModel.of(index).checked_settings(settings):
            attr = info.own_attributes().get("keep_result_forever")
            if attr is not None and resolve_value(index, attr.value) == TRUE:
                yield self.project_finding(
                    info.path,
                    attr.line,
                    attr.col,
                    what=f"`{info.name}.keep_result_forever = True`",
                )
