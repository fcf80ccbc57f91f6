"""TQ603: arq worker settings inherited from a base class (arq drops them)."""

from __future__ import annotations

from collections.abc import Iterator

from tasklint.analysis.arq import ArqModel
from tasklint.config import Settings
from tasklint.data.arq_worker import WORKER_PARAMETERS
from tasklint.findings import Finding
from tasklint.project.index import ProjectIndex
from tasklint.rules._base import Rule, register


@register
class ArqSettingsInherited(Rule):
    """
    ## What it does
    Flags an arq worker settings class that takes `Worker` arguments (`functions`,
    `redis_settings`, `job_timeout`...) from a project base class without assigning them in
    its own body.

    ## Why is this bad?
    arq reads a settings class with `get_kwargs(settings_cls)`, which looks only at
    `settings_cls.__dict__` — the class's *own* attributes, not `dir()` or `getattr()`.
    This is so from arq 0.16 to 0.28 (the `arq` command, `run_worker`, `create_worker` and
    `check_health` all use it). Inherited settings are silently dropped: the worker connects
    to the default Redis on localhost, uses the default 300 s timeout, or finds no functions
    at all.

    ## Example
    ```python
    from arq.connections import RedisSettings


    async def send_email(ctx, to):
        ...


    class BaseSettings:
        redis_settings = RedisSettings(host="redis")
        job_timeout = 60


    class WorkerSettings(BaseSettings):
        functions = [send_email]
    ```

    Use instead:
    ```python
    from arq.connections import RedisSettings


    async def send_email(ctx, to):
        ...


    class BaseSettings:
        redis_settings = RedisSettings(host="redis")
        job_timeout = 60


    class WorkerSettings:
        functions = [send_email]
        redis_settings = BaseSettings.redis_settings
        job_timeout = BaseSettings.job_timeout
    ```

    ## Options
    - `test-modules`: settings classes in these modules are not checked (tests build
      workers with deliberately odd settings).

    ## Known limitations
    Only base classes defined in the project are inspected. Classes that the project reads
    attribute by attribute itself (`Worker(functions=Settings.functions, ...)`), decorated
    classes and classes with a metaclass are not reported.

    ## References
    - arq: https://arq-docs.helpmanual.io/#arq.worker.Worker
    - arq source: https://github.com/python-arq/arq/blob/main/arq/worker.py (`get_kwargs`)
    """

    code = "TQ603"
    name = "arq-settings-inherited"
    message = (
        "arq reads only the attributes `{cls}` defines itself (`settings_cls.__dict__`), so {names} "
        "inherited from {bases} {verb} silently dropped and the worker {effect}; assign them "
        "in the class body (`{example} = {base}.{example}`)"
    )

    def check_project(self, index: ProjectIndex, settings: Settings) -> Iterator[Finding]:
        model = ArqModel.of(index)
        for info in model.checked_settings(settings):
            klass = info.klass
            if info.kind != "class" or klass is None or model.is_read_manually(info):
                continue
            if info.rewritten:
                continue
            inherited = model.settings_from_bases(klass, info.module)
            dropped = {
                name: origin
                for name, origin in inherited.items()
                if name not in klass.attributes
                and name not in info.methods
                and not model.is_mutated(f"{info.qualname}.{name}")
            }
            if not dropped:
                continue
            names = sorted(dropped, key=lambda n: list(WORKER_PARAMETERS).index(n))
            bases = sorted({origin for origin, _ in dropped.values()})
            shown = ", ".join(f"`{n}`" for n in names)
            first = names[0]
            yield self.project_finding(
                info.path,
                info.line,
                info.col,
                cls=info.name,
                names=shown,
                bases=", ".join(f"`{b.rsplit('.', 1)[-1]}`" for b in bases),
                verb="is" if len(names) == 1 else "are",
                effect=_effect(names, set(klass.attributes)),
                example=first,
                base=dropped[first][0].rsplit(".", 1)[-1],
            )


def _effect(names: list[str], own: set[str]) -> str:
    if ("functions" in names or "cron_jobs" in names) and not own & {"functions", "cron_jobs"}:
        return (
            "has no job at all (arq stops with `RuntimeError: at least one function or "
            "cron_job must be registered`)"
        )
    if "functions" in names or "cron_jobs" in names:
        return "registers none of the inherited jobs"
    if "redis_settings" in names:
        return "connects to the default Redis (localhost:6379)"
    defaults = ", ".join(f"`{n}={WORKER_PARAMETERS[n]!r}`" for n in names[:3])
    return f"runs with arq's defaults ({defaults})"
