"""Unit tests of the arq worker model (tasklint.analysis.arq) built from in-memory sources."""

from __future__ import annotations

from tasklint.analysis.arq import ArqModel
from tasklint.config import Settings
from tests.test_project_index import make_index

JOBS = """
    async def send(ctx, to): ...
    async def resize(ctx): ...
    async def nightly(ctx): ...
    JOBS = [send, resize]
"""


def _model(files: dict[str, str]) -> ArqModel:
    return ArqModel.of(make_index(files))


def test_functions_from_another_module_with_names() -> None:
    model = _model(
        {
            "app.__init__": "",
            "app.jobs": JOBS,
            "app.worker": """
                from arq import cron, func
                from app import jobs
                from app.jobs import nightly

                class WorkerSettings:
                    functions = [*jobs.JOBS, func(jobs.resize, name="resize-v2"), "app.jobs.send"]
                    cron_jobs = [cron(nightly, hour=1), cron(jobs.send, name="weekly")]
            """,
        }
    )
    [info] = model.settings
    assert info.qualname == "app.worker.WorkerSettings"
    assert info.evidence == "module imports arq"
    assert info.complete
    assert sorted(str(j.name) for j in info.functions) == [
        "app.jobs.send",
        "resize",
        "resize-v2",
        "send",
    ]
    assert [j.name for j in info.cron_jobs] == ["cron:nightly", "weekly"]
    assert {j.qualname for j in info.jobs} == {
        "app.jobs.send",
        "app.jobs.resize",
        "app.jobs.nightly",
    }
    # the spliced list's entries are located where they are written
    by_name = {j.name: j for j in info.functions}
    assert by_name["send"].path == "/virtual/app.jobs.py"
    assert by_name["resize-v2"].path == "/virtual/app.worker.py"
    assert by_name["app.jobs.send"].string
    names, complete = model.registered_names()
    assert complete and "cron:nightly" in names and "nightly" not in names
    found = model.function_of(by_name["app.jobs.send"])
    assert found is not None and found[1].name == "send"


def test_mutated_or_dynamic_lists_are_incomplete() -> None:
    model = _model(
        {
            "svc.registry": """
                JOBS = []
                def job(fn):
                    JOBS.append(fn)
                    return fn
            """,
            "svc.worker": """
                from arq.connections import RedisSettings
                from svc.registry import JOBS
                from svc import discover

                class WorkerSettings:
                    functions = JOBS
                class OtherWorkerSettings:
                    functions = discover()
                class ThirdWorkerSettings:
                    functions = []
                ThirdWorkerSettings.functions = [print]
                class FourthWorkerSettings:
                    if DEBUG:
                        functions = [print]
                    else:
                        functions = []
                class FifthWorkerSettings:
                    functions = []
                    functions += EXTRA
            """,
        }
    )
    assert [info.complete for info in model.settings] == [False] * 5
    assert model.registered_names() == (set(), False)


def test_evidence_needs_arq_and_a_plain_class() -> None:
    no_arq = _model({"m": "class WorkerSettings:\n    functions = []\n    max_jobs = 3\n"})
    assert not no_arq.uses_arq and no_arq.settings == []
    cli_only = _model(
        {
            "m": "class WorkerSettings:\n    functions = []\n    on_startup = f\n    job_timeout = 1\n"
        }
    )
    assert [info.evidence for info in cli_only.settings] == ["structure"]
    model = _model(
        {
            "uses": "import arq\n",
            "cfg": """
                from pydantic_settings import BaseSettings

                class WorkerSettings(BaseSettings):
                    max_jobs: int = 3
                class Jinja:
                    functions = [len]
                class JobsConfig:
                    functions = []
                class Crons:
                    cron_jobs = []
                class Holder:
                    functions = []
                    max_jobs = 2
            """,
        }
    )
    assert sorted(info.name for info in model.settings) == ["Crons", "Holder"]


def test_runner_is_evidence_and_forwarders_do_not_break_completeness() -> None:
    model = _model(
        {
            "w.settings": """
                async def ping(ctx): ...
                class Conf:
                    functions = [ping]
            """,
            "w.run": """
                from arq.worker import Worker, run_worker
                from w.settings import Conf

                def main(**kwargs):
                    run_worker(Conf)
                    return Worker(**kwargs)
            """,
        }
    )
    kinds = sorted((info.kind, info.evidence) for info in model.settings)
    assert kinds == [("class", "runner"), ("worker_call", "Worker call")]
    assert model.registered_names() == ({"ping"}, True)


def test_test_modules_do_not_make_the_registry_incomplete() -> None:
    index = make_index(
        {
            "app.worker": """
                import arq
                async def ping(ctx): ...
                class WorkerSettings:
                    functions = [ping]
            """,
            "tests.conftest": """
                from arq.worker import Worker
                def make(functions):
                    return Worker(functions=functions)
            """,
        }
    )
    model = ArqModel.of(index)
    settings = Settings()
    assert model.registered_names()[1] is False
    names, complete = model.registered_names(lambda m: m.startswith("tests"))
    assert names == {"ping"} and complete
    assert [i.module for i in model.checked_settings(settings)] == ["app.worker"]


def test_inherited_settings_are_listed_nearest_base_first() -> None:
    model = _model(
        {
            "a": """
                from arq.connections import RedisSettings
                class Base:
                    redis_settings = RedisSettings()
                    job_timeout = 10
                    helper = 1
                class Middle(Base):
                    job_timeout = 20
                class WorkerSettings(Middle):
                    functions = []
            """,
        }
    )
    info = next(i for i in model.settings if i.name == "WorkerSettings")
    assert info.klass is not None
    inherited = model.settings_from_bases(info.klass, "a")
    assert {k: v[0] for k, v in inherited.items()} == {
        "job_timeout": "a.Middle",
        "redis_settings": "a.Base",
    }
