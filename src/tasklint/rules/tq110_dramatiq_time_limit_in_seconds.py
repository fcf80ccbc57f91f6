"""TQ110: Dramatiq time limits are milliseconds."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator

from tasklint.findings import Finding
from tasklint.project.context import FileContext
from tasklint.rules._base import Rule, register
from tasklint.syntax.values import as_number

ACTOR = frozenset({"dramatiq.actor", "dramatiq.actor.actor", "django_dramatiq.actor"})
TIME_LIMIT_MIDDLEWARE = frozenset(
    {"dramatiq.middleware.TimeLimit", "dramatiq.middleware.time_limit.TimeLimit"}
)


@register
class DramatiqTimeLimitInSeconds(Rule):
    """
    ## What it does
    Flags a Dramatiq `time_limit` below 1000 in `@dramatiq.actor(time_limit=N)`,
    `TimeLimit(time_limit=N)` or `actor.send_with_options(time_limit=N)`.

    ## Why is this bad?
    Dramatiq counts `time_limit` in **milliseconds**. `time_limit=60` meant as a minute is
    60 ms: every run of the actor is interrupted almost at once with `TimeLimitExceeded`
    and retried until it gives up.

    ## Example
    ```python
    import dramatiq


    @dramatiq.actor(time_limit=60)
    def resize(image_id):
        ...
    ```

    Use instead:
    ```python
    import dramatiq


    @dramatiq.actor(time_limit=60_000)
    def resize(image_id):
        ...
    ```

    ## Options
    None.

    ## Known limitations
    Only literal values (or constants resolved through the project) below 1000 are
    reported; a limit computed at run time is not. Values from 1 to 999 that really mean
    milliseconds are reported too: write them as `timedelta` or a named constant.

    ## References
    - Dramatiq: https://dramatiq.io/reference.html#dramatiq.middleware.TimeLimit
    """

    code = "TQ110"
    name = "dramatiq-time-limit-in-seconds"
    message = (
        "Dramatiq reads `time_limit={value}` as {value} milliseconds, not seconds; write "
        "`time_limit={suggestion}` for {value} s"
    )
    node_types = (ast.Call,)
    triggers = re.compile(r"time_limit")
    packages = ("dramatiq", "django_dramatiq")  # what check asks imports_package about

    def check(self, node: ast.Call, ctx: FileContext) -> Iterator[Finding]:
        if not any(kw.arg == "time_limit" for kw in node.keywords):
            return
        if not ctx.imports_package("dramatiq", "django_dramatiq"):
            return
        func = node.func
        relevant = False
        if isinstance(func, ast.Attribute) and func.attr == "send_with_options":
            from tasklint.analysis.enqueue import EnqueueRecognizer

            enqueue = EnqueueRecognizer.of(ctx).enqueue(node)
            relevant = enqueue is not None and enqueue.library == "dramatiq"
        else:
            qn = ctx.index.canonical(ctx.qualname(func))
            relevant = qn in ACTOR or qn in TIME_LIMIT_MIDDLEWARE
        if not relevant:
            return
        for kw in node.keywords:
            if kw.arg != "time_limit":
                continue
            value = ctx.value(kw.value)
            v = as_number(value.value) if value.kind == "const" else None
            if v is not None:
                if 0 < v < 1000:
                    shown = int(v) if float(v).is_integer() else v
                    yield self.finding(ctx, kw, value=shown, suggestion=f"{int(v * 1000):_}")
