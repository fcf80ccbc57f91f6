"""TQ205: arq ``enqueue_job`` without ``_job_id``."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator

from tasklint.analysis.enqueue import EnqueueRecognizer
from tasklint.findings import Finding
from tasklint.project.context import FileContext
from tasklint.rules._base import Rule, register


@register
class ArqEnqueueWithoutJobId(Rule):
    """
    ## What it does
    Flags an arq `pool.enqueue_job("function", ...)` call that passes no `_job_id=`.

    ## Why is this bad?
    arq de-duplicates jobs only by job id: while a job with the same id is queued, running
    or has a kept result, `enqueue_job` returns `None` instead of enqueuing it again.
    Without `_job_id` every call gets a random id, so a retried request, a double-clicked
    button or a replayed webhook runs the job twice.

    ## Example
    ```python
    import arq


    async def on_signup(pool, user_id):
        await pool.enqueue_job("send_welcome_email", user_id)
    ```

    Use instead:
    ```python
    import arq


    async def on_signup(pool, user_id):
        await pool.enqueue_job(
            "send_welcome_email", user_id, _job_id=f"welcome-email:{user_id}"
        )
    ```

    ## Options
    None.

    ## Known limitations
    A `**kwargs` splat may carry `_job_id` and is not reported. A project function or
    method that happens to be called `enqueue_job` is not arq's and is not reported.

    ## References
    - arq: https://arq-docs.helpmanual.io/#job-uniqueness
    """

    code = "TQ205"
    name = "arq-enqueue-without-job-id"
    message = (
        "arq job `{target}` is enqueued without `_job_id=`: a repeated call runs it twice; "
        "pass a deterministic `_job_id` built from the arguments"
    )
    node_types = (ast.Call,)
    triggers = re.compile(r"enqueue_job")

    def check(self, node: ast.Call, ctx: FileContext) -> Iterator[Finding]:
        enqueue = EnqueueRecognizer.of(ctx).enqueue(node)
        if enqueue is None or enqueue.library != "arq":
            return
        for kw in node.keywords:
            if kw.arg is None or kw.arg == "_job_id":
                return
        yield self.finding(ctx, node, target=enqueue.target)
