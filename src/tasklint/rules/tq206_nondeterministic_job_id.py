"""TQ206: a job id built from a random or time-based value."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator

from tasklint.analysis.enqueue import EnqueueRecognizer
from tasklint.findings import Finding
from tasklint.project.context import FileContext
from tasklint.rules._base import Rule, register
from tasklint.syntax.names import Scope
from tasklint.syntax.walk import walk

NONDETERMINISTIC = frozenset(
    {
        "uuid.uuid1",
        "uuid.uuid4",
        "time.time",
        "time.time_ns",
        "time.monotonic",
        "time.monotonic_ns",
        "time.perf_counter",
        "time.perf_counter_ns",
        "datetime.datetime.now",
        "datetime.datetime.utcnow",
        "datetime.datetime.today",
        "django.utils.timezone.now",
        "os.urandom",
        "pendulum.now",
        "arrow.now",
        "arrow.utcnow",
    }
)
NONDETERMINISTIC_MODULES = ("random.", "secrets.")
JOB_ID_KEYWORDS = {"arq": "_job_id", "rq": "job_id", "django_rq": "job_id"}


def nondeterministic_source(
    expr: ast.AST, ctx: FileContext, scope: Scope, depth: int = 0
) -> str | None:
    """The name of the random/time call an expression is built from, if any."""
    if depth > 5:
        return None
    for sub in walk(expr):
        if isinstance(sub, ast.Call):
            qn = ctx.resolver.qualname(sub.func, scope)
            canon = ctx.index.canonical(qn) if qn else None
            if canon is not None and (
                canon in NONDETERMINISTIC or canon.startswith(NONDETERMINISTIC_MODULES)
            ):
                return canon
        elif isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Load):
            local = ctx.resolver.local_value(sub.id, scope)
            if local is not None:
                found = nondeterministic_source(local[0], ctx, local[1], depth + 1)
                if found is not None:
                    return found
    return None


@register
class NondeterministicJobId(Rule):
    """
    ## What it does
    Flags an arq `_job_id=` or RQ `job_id=` built from `uuid4()`/`uuid1()`, the current
    time, `random`, `secrets` or `os.urandom`, directly or through an f-string, `str()`,
    `.format()` or a local variable.

    ## Why is this bad?
    A job id exists to make enqueues idempotent: the queue refuses a second job with the
    same id. An id that differs on every call never matches, so the de-duplication you
    asked for never happens, and it reads as if it did.

    ## Example
    ```python
    import uuid

    import arq


    async def refresh(pool, account_id):
        await pool.enqueue_job("refresh_account", account_id, _job_id=str(uuid.uuid4()))
    ```

    Use instead:
    ```python
    import uuid

    import arq


    async def refresh(pool, account_id):
        await pool.enqueue_job("refresh_account", account_id, _job_id=f"refresh:{account_id}")
    ```

    ## Options
    None.

    ## Known limitations
    Values computed in another function are not followed.

    ## References
    - arq: https://arq-docs.helpmanual.io/#job-uniqueness
    - RQ: https://python-rq.org/docs/jobs/#job-creation
    """

    code = "TQ206"
    name = "nondeterministic-job-id"
    message = (
        "`{keyword}` is built from `{source}()`, which differs on every call, so the queue "
        "never de-duplicates; build the id from the job's arguments"
    )
    node_types = (ast.Call,)
    triggers = re.compile(r"job_id")

    def check(self, node: ast.Call, ctx: FileContext) -> Iterator[Finding]:
        enqueue = EnqueueRecognizer.of(ctx).enqueue(node)
        if enqueue is None:
            return
        keyword = JOB_ID_KEYWORDS.get(enqueue.library)
        if keyword is None:
            return
        for kw in node.keywords:
            if kw.arg == keyword:
                source = nondeterministic_source(kw.value, ctx, ctx.scope())
                if source is not None:
                    yield self.finding(ctx, kw, keyword=keyword, source=source)
