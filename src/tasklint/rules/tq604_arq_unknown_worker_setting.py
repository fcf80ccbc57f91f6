"""TQ604: a worker settings attribute arq ignores (no `Worker` argument has its name)."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import replace

from tasklint.analysis.arq import ArqModel
from tasklint.analysis.edits import with_rename
from tasklint.config import Settings
from tasklint.data.arq_worker import WORKER_PARAMETERS
from tasklint.data.nearmiss import closest
from tasklint.findings import Finding
from tasklint.project.celery_config import resolve_value
from tasklint.project.context import FileContext
from tasklint.project.index import ProjectIndex
from tasklint.rules._base import Rule, register
from tasklint.syntax.values import Value

NAMES = frozenset(WORKER_PARAMETERS)


@register
class ArqUnknownWorkerSetting(Rule):
    """
    ## What it does
    Flags an attribute of an arq worker settings class that is no `Worker` argument: a
    near miss of one (`job_timout`, `max_try`, `keep_results`, `JOB_TIMEOUT`; the message
    names the argument meant), or any other lower-case attribute holding data
    (`timeout = 30`, `keep_result_ms = 900_000`).

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
    The list of `Worker` arguments is tasklint's reference table for the supported arq
    versions (`tasklint.data.arq_worker`). Names that are not near misses are reported only
    when their value is known data (a constant, a string, a container, a module constant):
    attributes bound to functions, classes or values of calls may be callables and are left
    alone. Upper-case constants are left alone unless they are a `Worker` argument in
    capitals (`JOB_TIMEOUT`); so are private (`_x`) and dunder names, methods, and helper
    attributes the class body or the module reads (`redis_url` used to build
    `redis_settings`, `WorkerSettings.redis_url`). Reads of such a helper from another
    module are not seen: silence those with `# noqa: TQ604` or move the helper out of the
    class.

    ## References
    - arq: https://arq-docs.helpmanual.io/#arq.worker.Worker
    """

    code = "TQ604"
    name = "arq-unknown-worker-setting"
    message = "arq ignores `{cls}.{attr}`: no `Worker` argument has that name{consequence}; {fix}"

    # Only files that define a worker settings class need their tree (see ``wants``).
    triggers = re.compile(r"^[ \t]*class[ \t]", re.MULTILINE)

    def __init__(self) -> None:
        self._classes: frozenset[str] = frozenset()

    def prepare(self, index: ProjectIndex, settings: Settings) -> None:
        self._classes = frozenset(
            info.name
            for info in ArqModel.of(index).checked_settings(settings)
            if info.kind == "class"
        )

    def wants(self, source: str, settings: Settings) -> bool:
        return any(name in source for name in self._classes) and super().wants(source, settings)

    def check_file(self, ctx: FileContext) -> Iterator[Finding]:
        infos = [
            info
            for info in ArqModel.of(ctx.index).checked_settings(ctx.settings)
            if info.kind == "class" and info.klass is not None and info.module == ctx.module
        ]
        for info in infos:
            klass = info.klass
            assert klass is not None
            used = _names_used(ctx.tree, info.name, klass.line)
            targets: dict[str, int] = {}  # setting -> how many attributes are renamed to it
            for attr in klass.attributes:
                meant = attr.lower() if attr.lower() in NAMES else closest(attr, NAMES)
                if meant is not None and attr not in NAMES:
                    targets[meant] = targets.get(meant, 0) + 1
            for attr, fact in sorted(klass.attributes.items()):
                if attr in NAMES or attr.startswith("_") or attr in info.methods:
                    continue
                if attr in used:
                    continue  # a helper the class (or this module) reads itself
                setting = closest(attr, NAMES)
                if attr != attr.lower():
                    # upper-case constants are left alone, unless they are a Worker
                    # argument in capitals (`JOB_TIMEOUT`)
                    if attr.lower() not in NAMES:
                        continue
                    setting = attr.lower()
                if setting is not None:
                    finding = self._finding(ctx, info.name, attr, fact.line, fact.col, setting)
                    if (
                        setting not in klass.attributes
                        and setting not in info.methods
                        and targets.get(setting) == 1  # two renames would collide
                    ):
                        # the rename fix reads the file by its absolute path
                        fixed = with_rename(replace(finding, path=info.path), attr, setting)
                        finding = replace(finding, fix=fixed.fix)
                    yield finding
                elif _not_callable(ctx.index, fact.value):
                    yield self._finding(ctx, info.name, attr, fact.line, fact.col, None)

    def _finding(
        self, ctx: FileContext, cls: str, attr: str, line: int, col: int, setting: str | None
    ) -> Finding:
        if setting is not None:
            default = WORKER_PARAMETERS[setting]
            consequence = f", so `{setting}` keeps its default `{default!r}`"
            fix = f"did you mean `{setting}`?"
        else:
            consequence = " and arq drops every other attribute of a settings class"
            fix = "use a `Worker` argument or move the value out of the settings class"
        finding = self.finding(
            ctx, None, line=line, cls=cls, attr=attr, consequence=consequence, fix=fix
        )
        return replace(finding, col=col)


def _not_callable(index: ProjectIndex, value: Value) -> bool:
    """A value that is known data (number, string, container), not a function or class."""
    resolved = resolve_value(index, value)
    return resolved.kind in ("const", "dict", "list")


def _names_used(tree: ast.Module, cls_name: str, line: int) -> set[str]:
    """Names the class body reads (``redis_settings = RedisSettings.from_dsn(redis_url)``)
    and attributes of the class the module reads (``WorkerSettings.redis_url``,
    ``cls.redis_url``)."""
    used: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef) and node.name == cls_name and node.lineno <= line:
            for stmt in node.body:
                for sub in ast.walk(stmt):
                    if isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Load):
                        used.add(sub.id)
        elif (
            isinstance(node, ast.Attribute)
            and isinstance(node.ctx, ast.Load)
            and isinstance(node.value, ast.Name)
            and node.value.id in (cls_name, "cls", "self")
        ):
            used.add(node.attr)
    return used
