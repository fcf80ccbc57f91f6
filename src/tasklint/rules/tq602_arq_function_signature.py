"""TQ602: a function registered with an arq worker that arq cannot call."""

from __future__ import annotations

from collections.abc import Iterator

from tasklint.analysis.arq import ArqModel
from tasklint.config import Settings
from tasklint.findings import Finding
from tasklint.project.index import ProjectIndex
from tasklint.rules._base import Rule, register


@register
class ArqFunctionSignature(Rule):
    """
    ## What it does
    Flags a function registered with an arq worker — in `WorkerSettings.functions` or
    `cron_jobs`, bare or through `func(...)` / `cron(...)`, possibly from a list defined in
    another module — that is not an `async def`, or that takes no positional parameter for
    arq's `ctx`. The finding is on the function's `def` line.

    ## Why is this bad?
    arq wraps every registered function with `func()` / `cron()`, which raise
    `RuntimeError: <function> is not a coroutine function` for a plain `def`: the worker
    does not start. arq calls each job as `function(ctx, *args, **kwargs)`, so a coroutine
    without a first positional parameter fails every run with `TypeError`.

    ## Example
    ```python
    import arq


    def send_welcome_email(ctx, user_id):
        ...


    async def purge_sessions():
        ...


    class WorkerSettings:
        functions = [send_welcome_email, purge_sessions]
    ```

    Use instead:
    ```python
    import arq


    async def send_welcome_email(ctx, user_id):
        ...


    async def purge_sessions(ctx):
        ...


    class WorkerSettings:
        functions = [send_welcome_email, purge_sessions]
    ```

    ## Options
    - `test-modules`: settings classes in these modules are not checked (tests build
      workers with deliberately odd settings).

    ## Known limitations
    Decorated functions are not checked (the decorator may return a coroutine function or
    add the parameter), nor methods and functions of installed libraries. A function whose
    first parameter is meant for a job argument (`async def send(user_id)`) receives `ctx`
    in it; that cannot be told from a correctly named `ctx` and is not reported.

    ## References
    - arq: https://arq-docs.helpmanual.io/#simple-usage
    - arq: https://arq-docs.helpmanual.io/#arq.worker.func
    """

    code = "TQ602"
    name = "arq-function-signature"
    message = "arq job function `{function}` {problem}"

    def check_project(self, index: ProjectIndex, settings: Settings) -> Iterator[Finding]:
        seen: set[tuple[str, int]] = set()
        for info in ArqModel.of(index).checked_settings(settings):
            for job in info.jobs:
                found = ArqModel.of(index).function_of(job)
                if found is None:
                    continue
                facts, func = found
                if func.decorators or (facts.path, func.line) in seen:
                    continue
                params = func.params
                if not func.is_async:
                    problem = (
                        "is not `async def`: arq refuses to start the worker (`RuntimeError: "
                        "... is not a coroutine function`); make it "
                        f"`async def {func.name}(ctx, ...)`"
                    )
                elif not params.get("positional") and not params.get("vararg"):
                    problem = (
                        f"takes no `ctx` parameter: arq calls it as `{func.name}(ctx, *args, "
                        "**kwargs)`, so every job fails with `TypeError`; add `ctx` as the "
                        "first parameter"
                    )
                else:
                    continue
                seen.add((facts.path, func.line))
                yield self.project_finding(
                    facts.path, func.line, func.col, function=func.name, problem=problem
                )
