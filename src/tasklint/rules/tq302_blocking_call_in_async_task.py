"""TQ302: a blocking call inside an ``async def`` task."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator

from tasklint.analysis.arq import ArqModel
from tasklint.findings import Finding
from tasklint.project.context import FileContext
from tasklint.rules._base import Rule, register

BLOCKING = frozenset(
    {
        "time.sleep",
        "urllib.request.urlopen",
        "subprocess.run",
        "subprocess.call",
        "subprocess.check_call",
        "subprocess.check_output",
        "smtplib.SMTP",
        "smtplib.SMTP_SSL",
        "socket.create_connection",
        "psycopg2.connect",
        "httpx.get",
        "httpx.post",
        "httpx.put",
        "httpx.patch",
        "httpx.delete",
        "httpx.head",
        "httpx.request",
        "httpx.stream",
        "httpx.Client",
    }
)
BLOCKING_PREFIXES = ("requests.",)
NOT_BLOCKING = frozenset({"requests.exceptions", "requests.codes", "requests.Response"})


def arq_functions(ctx: FileContext) -> set[str]:
    """Qualified names of functions registered with arq workers anywhere in the project."""
    return ArqModel.of(ctx.index).registered_qualnames()


@register
class BlockingCallInAsyncTask(Rule):
    """
    ## What it does
    Flags a blocking call — `time.sleep`, `requests.*`, `urllib.request.urlopen`,
    `subprocess.run/call/check_call/check_output`, `smtplib.SMTP(...)`,
    `socket.create_connection`, synchronous `httpx` calls, `psycopg2.connect` — directly
    inside an `async def` task: an arq job function, a Dramatiq async actor, a Celery
    async task.

    ## Why is this bad?
    An async worker runs many jobs on one event loop. A blocking call stops the loop: every
    other job on that worker freezes until it returns, heartbeats and timeouts included.

    ## Example
    ```python
    import time

    import dramatiq


    @dramatiq.actor
    async def poll(job_id):
        time.sleep(5)
    ```

    Use instead:
    ```python
    import asyncio

    import dramatiq


    @dramatiq.actor
    async def poll(job_id):
        await asyncio.sleep(5)
    ```

    ## Options
    None.

    ## Known limitations
    Calls handed to `asyncio.to_thread` or `loop.run_in_executor` (as a function, a lambda
    or a nested def) are not reported; blocking calls inside helpers are not followed.

    ## References
    - asyncio: https://docs.python.org/3/library/asyncio-dev.html#running-blocking-code
    """

    code = "TQ302"
    name = "blocking-call-in-async-task"
    message = (
        "`{call}` blocks the event loop inside async task `{task}`: every job on this worker "
        "stalls; use an async client or `await asyncio.to_thread(...)`"
    )
    node_types = (ast.Call,)
    triggers = re.compile(r"async\s+def")

    def check(self, node: ast.Call, ctx: FileContext) -> Iterator[Finding]:
        func = node.func
        # the cheap part first: is the call in an async task's own body (no names resolved)?
        task = self._async_task(ctx)
        if task is None:
            return
        # then: is this one of the blocking calls?
        target = func
        if (
            isinstance(func, ast.Attribute)
            and func.attr == "wait"
            and isinstance(func.value, ast.Call)
        ):
            target = func.value.func  # subprocess.Popen(...).wait()
            qn = ctx.index.canonical(ctx.qualname(target))
            if qn != "subprocess.Popen":
                return
            shown = "subprocess.Popen(...).wait"
        else:
            qn = ctx.index.canonical(ctx.qualname(target))
            if qn is None:
                return
            if qn not in BLOCKING and not (
                qn.startswith(BLOCKING_PREFIXES) and not qn.startswith(tuple(NOT_BLOCKING))
            ):
                return
            shown = qn
        yield self.finding(ctx, node, call=shown, task=task)

    def _async_task(self, ctx: FileContext) -> str | None:
        ancestors = ctx.ancestors
        for i in range(len(ancestors) - 1, -1, -1):
            anc = ancestors[i]
            if isinstance(anc, (ast.Lambda, ast.FunctionDef)):
                return None  # a nested sync function or lambda: run elsewhere
            if isinstance(anc, ast.AsyncFunctionDef):
                if i != 1:
                    return None
                qn = f"{ctx.module}.{anc.name}" if ctx.module else anc.name
                info = ctx.index.task(qn)
                if info is not None:
                    return anc.name
                if qn in arq_functions(ctx):
                    return anc.name
                return None
        return None
