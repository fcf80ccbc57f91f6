"""TQ604: a worker settings attribute arq ignores (a near miss of a Worker argument)."""

from __future__ import annotations

from collections.abc import Iterator

from tasklint.analysis.arq import ArqModel
from tasklint.analysis.edits import with_rename
from tasklint.config import Settings
from tasklint.data.arq_worker import WORKER_PARAMETERS
from tasklint.data.nearmiss import closest
from tasklint.findings import Finding
from tasklint.project.index import ProjectIndex
from tasklint.rules._base import Rule, register

NAMES = frozenset(WORKER_PARAMETERS)


@register
class ArqUnknownWorkerSetting(Rule):
    """
    ## What it does
    Flags an attribute of an arq worker settings class that is no `Worker` argument but a
    near miss of one: `job_timout`, `max_try`, `keep_results`, `JOB_TIMEOUT`.

    ## Why is this bad?
    arq passes only the attributes named like `Worker.__init__` parameters to the worker
    (`get_kwargs` filters the class's `__dict__` by the signature) and drops every other
    name without a warning. A misspelled setting keeps arq's default: the timeout you set
    is 300 s, the retries you limited are 5.

    ## Example
    ```python
    import arq


    async def sync_inventory(ctx):
        ...


    class WorkerSettings:
        functions = [sync_inventory]
        job_timout = 30
    ```

    Use instead:
    ```python
    import arq


    async def sync_inventory(ctx):
        ...


    class WorkerSettings:
        functions = [sync_inventory]
        job_timeout = 30
    ```

    ## Fix safety
    Fix: unsafe (`--fix --unsafe-fixes`). The attribute is renamed to the `Worker` argument the
    message names; arq then applies it. No fix when the class already defines that name.

    ## Options
    - `test-modules`: settings classes in these modules are not checked (tests build
      workers with deliberately odd settings).

    ## Known limitations
    Only names close to exactly one `Worker` argument are reported (see
    `tasklint.data.nearmiss`): helper attributes that merely share a word with a setting,
    private (`_x`) and dunder names, and methods are left alone.

    ## References
    - arq: https://arq-docs.helpmanual.io/#arq.worker.Worker
    """

    code = "TQ604"
    name = "arq-unknown-worker-setting"
    message = (
        "arq ignores `{cls}.{attr}` (no `Worker` argument has that name) and keeps "
        "`{setting}={default}`; did you mean `{setting}`?"
    )

    def check_project(self, index: ProjectIndex, settings: Settings) -> Iterator[Finding]:
        for info in ArqModel.of(index).checked_settings(settings):
            klass = info.klass
            if info.kind != "class" or klass is None:
                continue
            for attr, fact in sorted(klass.attributes.items()):
                if attr in NAMES or attr.startswith("_") or attr in info.methods:
                    continue
                setting = closest(attr, NAMES)
                if setting is None:
                    continue
                finding = self.project_finding(
                    info.path,
                    fact.line,
                    fact.col,
                    cls=info.name,
                    attr=attr,
                    setting=setting,
                    default=repr(WORKER_PARAMETERS[setting]),
                )
                if setting not in klass.attributes and setting not in info.methods:
                    finding = with_rename(finding, attr, setting)
                yield finding
