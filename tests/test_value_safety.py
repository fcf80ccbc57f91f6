"""Every kind of literal, fed to every task option and setting the rules read.

A value of the wrong kind (a list for ``serializer``, ``inf`` for a time limit, a complex
number, a 5,000-digit integer, bytes...) is Unknown for every rule: no rule may raise
(TQ002) and no message may show a value that makes no sense ("time limit is inf s").
Each literal is written directly and through a module constant imported from another
module, so both the folder and the project resolver see it.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tasklint.config import Settings
from tasklint.data.celery_task_options import all_task_option_names
from tasklint.engine import lint_paths
from tasklint.findings import Finding

HUGE_HEX = "0x" + "f" * 5000  # more than 4,300 digits once converted to decimal
LITERALS = {
    "str": "'json'",
    "pickle-str": "'pickle'",
    "int": "300",
    "float": "300.0",
    "inf": "float('inf')",
    "nan": "float('nan')",
    "inf-literal": "1e999",
    "neg-inf": "-1e999",
    "negative": "-5",
    "negative-float": "-0.5",
    "complex": "3j",
    "neg-complex": "-2j",
    "bool": "True",
    "false": "False",
    "none": "None",
    "list": "['json']",
    "dict": "{'a': 1}",
    "set": "{'pickle'}",
    "tuple": "('json',)",
    "huge": HUGE_HEX,
    "huge-negative": "-" + HUGE_HEX,
    "huge-arith": "HUGE * 2",
    "large": "10 ** 30",
    "large-timedelta": "timedelta(days=10 ** 30).total_seconds()",
    "bytes": "b'json'",
    "zero": "0",
}
SETTINGS = (
    "task_time_limit",
    "task_soft_time_limit",
    "task_acks_late",
    "task_reject_on_worker_lost",
    "task_ignore_result",
    "task_track_started",
    "worker_prefetch_multiplier",
    "result_expires",
    "task_serializer",
    "result_serializer",
    "event_serializer",
    "accept_content",
    "result_accept_content",
    "broker_heartbeat",
    "task_always_eager",
    "broker_url",
    "result_backend",
    "broker_transport_options",
    "task_annotations",
    "task_default_retry_delay",
    "broker_connection_timeout",
)
# a message may not show a number of the wrong kind
NONSENSE = re.compile(r"\binf\b|\bnan\b|\d+j\b|b'|\[|\{")
# a negative or enormous duration or count is of the wrong kind too (TQ511, the type rule,
# may name a number written where a list is expected, as written)
NUMERIC_NONSENSE = re.compile(r"(?<![\w.])-\d|\d{13,}")


def _project(root: Path, literal: str) -> None:
    literal = literal.replace("timedelta(", "datetime.timedelta(")
    pkg = root / "proj"
    pkg.mkdir(parents=True)
    (root / "pyproject.toml").write_text('[project]\nname = "proj"\n')
    (pkg / "__init__.py").write_text("")
    (pkg / "values.py").write_text(f"import datetime\nHUGE = {HUGE_HEX}\nV = {literal}\n")
    options = sorted(all_task_option_names() - {"base", "name", "bind"})
    direct = ", ".join(f"{o}={literal}" for o in options)
    named = ", ".join(f"{o}=V" for o in options)
    settings_direct = ", ".join(f"{s}={literal}" for s in SETTINGS)
    attributes = "\n".join(f"    {o} = V" for o in options)
    (pkg / "celery.py").write_text(
        f"""import datetime
from datetime import timedelta

import dramatiq
from celery import Celery, Task, shared_task
from django.db import transaction
from rq import Queue

from .values import HUGE, V

app = Celery("proj", broker="redis://localhost:6379/0", {settings_direct})
app.conf.update(broker_transport_options={{"visibility_timeout": V}})
app.conf.task_annotations = {{"*": {{"time_limit": V, "serializer": V}}}}
app.conf.update(**{{"task_time_limit": V, "task_serializer": V}})
LIMITS = {{"time_limit": V, "soft_time_limit": {literal}, "serializer": V, "acks_late": V}}


class Base(Task):
{attributes}


@app.task({direct})
def direct():
    pass


@shared_task({named}, base=Base)
def named(self):
    self.retry(countdown=V)
    direct.apply_async(countdown=V, expires=V)
    direct.apply_async(countdown={literal}, expires={literal})
    direct.apply_async(eta=timedelta(seconds=V))
    with transaction.atomic(using=V):
        transaction.on_commit(lambda: None, using={literal})


@shared_task(**LIMITS)
def splatted():
    pass


@dramatiq.actor(time_limit=V)
def actor():
    pass


queue = Queue(default_timeout=V)
queue.enqueue(direct, job_timeout={literal})
"""
    )
    (pkg / "worker.py").write_text(
        f"""import datetime

from arq import func
from arq.connections import RedisSettings

from .values import V


async def job(ctx):
    pass


class WorkerSettings:
    functions = [func(job, timeout=V, keep_result_forever={literal})]
    job_timeout = V
    keep_result_forever = V
    max_tries = {literal}
    redis_settings = RedisSettings()
"""
    )
    (pkg / "celeryconfig.py").write_text(
        "import datetime\n"
        + "\n".join(f"{s} = {literal}" for s in SETTINGS)
        + "\nCELERY_TASK_TIME_LIMIT = V\nfrom .values import V\n"
    )


def _lint(root: Path) -> list[Finding]:
    settings = Settings().with_overrides(select=("TQ",))
    return lint_paths([root], settings, use_cache=True, base=root, root=root).findings


@pytest.mark.parametrize("kind", sorted(LITERALS))
def test_no_rule_raises_or_shows_nonsense(tmp_path: Path, kind: str) -> None:
    _project(tmp_path, LITERALS[kind])
    findings = _lint(tmp_path)  # the cache is written too: huge values must not break it
    errors = [f for f in findings if f.code in ("TQ001", "TQ002")]
    assert not errors, [f.message for f in errors]
    for f in findings:
        assert not NONSENSE.search(f.message), (kind, f.code, f.message)
        assert f.code == "TQ511" or not NUMERIC_NONSENSE.search(f.message), (
            kind,
            f.code,
            f.message,
        )
    # a second run reads the cache back and finds the same
    again = _lint(tmp_path)
    assert sorted((f.path, f.line, f.code) for f in again) == sorted(
        (f.path, f.line, f.code) for f in findings
    )


@pytest.mark.parametrize(
    ("literal", "expected"),
    [("7200", {"TQ102", "TQ104", "TQ210"}), ("'pickle'", {"TQ505"}), ("'300'", {"TQ511"})],
)
def test_valid_values_still_fire(tmp_path: Path, literal: str, expected: set[str]) -> None:
    """The same project with values of the right kind produces value findings."""
    _project(tmp_path, literal)
    codes = {f.code for f in _lint(tmp_path)}
    assert expected <= codes, codes
