"""The arq reference tables (tasklint.data.arq_worker), checked against an installed arq."""

from __future__ import annotations

import importlib
import inspect
from typing import Any

import pytest

from tasklint.data import arq_worker as aw


def test_tables_shape() -> None:
    assert aw.ARQ_VERSION.count(".") == 2
    assert "functions" in aw.WORKER_PARAMETERS and "cron_jobs" in aw.WORKER_PARAMETERS
    assert aw.WORKER_PARAMETERS["job_timeout"] == 300
    assert aw.WORKER_PARAMETERS["keep_result_forever"] is False
    assert aw.worker_parameter_names() == frozenset(aw.WORKER_PARAMETERS)
    assert set(aw.FUNC_PARAMETERS) < set(aw.CRON_PARAMETERS)
    assert "keep_result_forever" in aw.FUNC_PARAMETERS


def _arq() -> Any:
    arq = pytest.importorskip("arq")
    if arq.VERSION != aw.ARQ_VERSION:
        pytest.skip(f"tables come from arq {aw.ARQ_VERSION}, {arq.VERSION} installed")
    return arq


def _keywords(func: Any, skip_first: bool) -> dict[str, Any]:
    params = list(inspect.signature(func).parameters.values())
    if skip_first:
        assert params[0].kind is inspect.Parameter.POSITIONAL_OR_KEYWORD
        params = params[1:]
    return {p.name: p.default for p in params}


def test_worker_parameters_match_installed_arq() -> None:
    _arq()
    worker = importlib.import_module("arq.worker")
    assert _keywords(worker.Worker, skip_first=False) == dict(aw.WORKER_PARAMETERS)


def test_func_and_cron_parameters_match_installed_arq() -> None:
    _arq()
    worker = importlib.import_module("arq.worker")
    cron = importlib.import_module("arq.cron")
    assert _keywords(worker.func, skip_first=True) == dict(aw.FUNC_PARAMETERS)
    assert _keywords(cron.cron, skip_first=True) == dict(aw.CRON_PARAMETERS)


def test_qualified_names_exist_in_installed_arq() -> None:
    _arq()
    worker = importlib.import_module("arq.worker")
    cron = importlib.import_module("arq.cron")
    for names, expected in (
        (aw.FUNC_FUNCTIONS, worker.func),
        (aw.CRON_FUNCTIONS, cron.cron),
        (aw.WORKER_CLASSES, worker.Worker),
    ):
        for qualname in names:
            module, _, attr = qualname.rpartition(".")
            assert getattr(importlib.import_module(module), attr) is expected, qualname
    for qualname in aw.RUNNER_FUNCTIONS:
        module, _, attr = qualname.rpartition(".")
        assert callable(getattr(importlib.import_module(module), attr)), qualname


def test_get_kwargs_reads_only_the_class_dict() -> None:
    """What TQ603 and TQ604 rely on: inherited and unknown attributes are dropped."""
    _arq()
    worker = importlib.import_module("arq.worker")

    async def job(ctx: Any) -> None:
        return None

    class Base:
        functions = [job]
        job_timeout = 10

    class Settings(Base):
        max_jobs = 3
        job_timout = 5

    assert worker.get_kwargs(Settings) == {"max_jobs": 3}
