"""arq's worker settings and job-function options, copied from arq's sources.

Source: arq ``0.28.0`` (:data:`ARQ_VERSION`), ``arq/worker.py`` (``Worker.__init__``,
``func``, ``get_kwargs``) and ``arq/cron.py`` (``cron``). The ``Worker`` parameters have been
the same since 0.26; ``tests/test_arq_data.py`` compares these tables with an installed arq.

How arq reads a settings class (``arq/worker.py``, unchanged from 0.16 to 0.28)::

    def get_kwargs(settings_cls):
        worker_args = set(inspect.signature(Worker).parameters.keys())
        d = settings_cls if isinstance(settings_cls, dict) else settings_cls.__dict__
        return {k: v for k, v in d.items() if k in worker_args}

``run_worker``, ``create_worker``, ``check_health`` and the ``arq`` command line all go
through it, so:

- only names in :data:`WORKER_PARAMETERS` are passed to ``Worker``; any other attribute of
  ``WorkerSettings`` (``job_timout = 60``) is dropped without a warning;
- only the class's *own* ``__dict__`` is read: attributes inherited from a base class are
  dropped too.

Job functions are called as ``coroutine(ctx, *args, **kwargs)`` (``Worker.run_job``) and
``func()`` / ``cron()`` reject anything that is not a coroutine function
(``RuntimeError: <fn> is not a coroutine function``) when the worker starts. A plain
function in ``functions`` is wrapped with ``func()`` (``map(func, functions)``); its job name
is ``coroutine.__qualname__`` unless ``name=`` is given; a cron job's name is
``"cron:" + __qualname__`` (or ``"cron:" + path`` for a string).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

__all__ = [
    "ARQ_VERSION",
    "CRON_FUNCTIONS",
    "CRON_PARAMETERS",
    "FUNC_FUNCTIONS",
    "FUNC_PARAMETERS",
    "RUNNER_FUNCTIONS",
    "WORKER_CLASSES",
    "WORKER_PARAMETERS",
    "worker_parameter_names",
]

ARQ_VERSION = "0.28.0"

#: ``Worker.__init__`` parameters (all keyword-only except ``functions``) and their defaults.
WORKER_PARAMETERS: Mapping[str, Any] = MappingProxyType(
    {
        "functions": (),
        "queue_name": "arq:queue",
        "cron_jobs": None,
        "redis_settings": None,
        "redis_pool": None,
        "burst": False,
        "on_startup": None,
        "on_shutdown": None,
        "on_job_start": None,
        "on_job_end": None,
        "after_job_end": None,
        "handle_signals": True,
        "job_completion_wait": 0,
        "max_jobs": 10,
        "job_timeout": 300,
        "keep_result": 3600,
        "keep_result_forever": False,
        "poll_delay": 0.5,
        "queue_read_limit": None,
        "max_tries": 5,
        "health_check_interval": 3600,
        "health_check_key": None,
        "ctx": None,
        "retry_jobs": True,
        "allow_abort_jobs": False,
        "max_burst_jobs": -1,
        "job_serializer": None,
        "job_deserializer": None,
        "expires_extra_ms": 86_400_000,
        "timezone": None,
        "log_results": True,
    }
)

#: ``arq.worker.func(coroutine, *, ...)`` keyword parameters and their defaults.
FUNC_PARAMETERS: Mapping[str, Any] = MappingProxyType(
    {
        "name": None,
        "keep_result": None,
        "timeout": None,
        "keep_result_forever": None,
        "max_tries": None,
    }
)

#: ``arq.cron.cron(coroutine, *, ...)`` keyword parameters and their defaults.
CRON_PARAMETERS: Mapping[str, Any] = MappingProxyType(
    {
        "name": None,
        "month": None,
        "day": None,
        "weekday": None,
        "hour": None,
        "minute": None,
        "second": 0,
        "microsecond": 123_456,
        "run_at_startup": False,
        "unique": True,
        "job_id": None,
        "timeout": None,
        "keep_result": 0,
        "keep_result_forever": False,
        "max_tries": 1,
    }
)

#: Qualified names under which ``func`` and ``cron`` are importable.
FUNC_FUNCTIONS = frozenset({"arq.func", "arq.worker.func"})
CRON_FUNCTIONS = frozenset({"arq.cron", "arq.cron.cron"})
#: Functions that take a settings class (first argument) and read it with ``get_kwargs``.
RUNNER_FUNCTIONS = frozenset(
    {
        "arq.run_worker",
        "arq.worker.run_worker",
        "arq.worker.create_worker",
        "arq.check_health",
        "arq.worker.check_health",
        "arq.worker.get_kwargs",
    }
)
WORKER_CLASSES = frozenset({"arq.Worker", "arq.worker.Worker"})


def worker_parameter_names() -> frozenset[str]:
    """The attribute names ``get_kwargs`` passes on from a settings class."""
    return frozenset(WORKER_PARAMETERS)
