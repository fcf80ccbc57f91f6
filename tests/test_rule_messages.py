"""Messages that name the problem, the values and where they came from, and the fix.

The fixtures pin *where* rules fire; these tests pin what the message says where the
wording depends on the project (serializer, acks_late, which noqa code is stale, which
values were compared).
"""

from __future__ import annotations

from pathlib import Path

from tasklint.config import Settings
from tasklint.engine import lint_paths


def _lint(tmp_path: Path, files: dict[str, str], *codes: str) -> list[tuple[int, str]]:
    for rel, text in files.items():
        target = tmp_path / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    settings = Settings(select=codes)
    result = lint_paths([tmp_path], settings, use_cache=False, base=tmp_path, root=tmp_path)
    return sorted((f.line, f.message) for f in result.findings if f.code in codes)


TASKS = """\
from celery import Celery

app = Celery("shop", broker="redis://localhost:6379/0"{extra})


@app.task(time_limit=4000{task_extra})
def export(order):
    pass
"""


def _tq207_messages(tmp_path: Path, task_extra: str) -> list[str]:
    """TQ207 messages for a view that enqueues a model instance (task options extra)."""
    views = (
        "from django.shortcuts import get_object_or_404\n\n"
        "from shop.models import Order\nfrom shop.tasks import export\n\n\n"
        "def view(request, pk):\n"
        "    order = get_object_or_404(Order, pk=pk)\n"
        "    export.delay(order)\n"
    )
    models = "from django.db import models\n\n\nclass Order(models.Model):\n    pass\n"
    files = {
        "shop/__init__.py": "",
        "shop/tasks.py": TASKS.format(extra="", task_extra=task_extra),
        "shop/models.py": models,
        "shop/views.py": views,
    }
    found = _lint(tmp_path, files, "TQ207")
    return [message for _, message in found]


def test_tq207_leads_with_the_json_failure(tmp_path: Path) -> None:
    found_messages = _tq207_messages(tmp_path, "")
    assert len(found_messages) == 1
    message = found_messages[0]
    assert "JSON serializer (Celery's default)" in message
    assert "kombu.exceptions.EncodeError" in message


def test_tq207_keeps_the_stale_copy_wording_for_pickle(tmp_path: Path) -> None:
    found_messages = _tq207_messages(tmp_path, ', serializer="pickle"')
    assert len(found_messages) == 1
    assert "EncodeError" not in found_messages[0]
    assert "stale copy" in found_messages[0]


def test_tq104_says_what_is_redelivered(tmp_path: Path) -> None:
    with_acks = _lint(
        tmp_path / "a",
        {"tasks.py": TASKS.format(extra="", task_extra=", acks_late=True")},
        "TQ104",
    )
    without = _lint(
        tmp_path / "b",
        {"tasks.py": TASKS.format(extra=", task_acks_late=False", task_extra="")},
        "TQ104",
    )
    assert len(with_acks) == 1 and len(without) == 1
    assert "the task itself to a second worker" in with_acks[0][1]
    assert "messages the worker reserved behind it" in without[0][1]
    assert "4000 s" in with_acks[0][1] and "3600 s" in with_acks[0][1]


def test_tq003_names_the_code_to_remove(tmp_path: Path) -> None:
    source = (
        "from celery import shared_task\nfrom django.db import transaction\n\n\n"
        "@shared_task\ndef notify(pk):\n    pass\n\n\n"
        "def save(obj):\n"
        "    with transaction.atomic():\n"
        "        notify.delay(obj.pk)  # noqa: TQ201, TQ202\n"
        "    return obj.pk  # noqa: TQ201\n"
    )
    found = _lint(tmp_path, {"m.py": source}, "TQ003", "TQ201", "TQ202")
    messages = dict(found)
    assert "remove `TQ202` from the comment and keep `TQ201`" in messages[12]
    assert "`# noqa: TQ201` suppresses nothing here; remove the comment" in messages[13]


def test_tq212_names_both_values_and_the_task_source(tmp_path: Path) -> None:
    source = (
        "from celery import Celery\n\napp = Celery('x')\n\n\n"
        "@app.task(expires=60)\ndef ping(host):\n    pass\n\n\n"
        "def go():\n"
        "    ping.apply_async(('db',), countdown=300)\n"
    )
    found = _lint(tmp_path, {"m.py": source}, "TQ212")
    assert len(found) == 1
    line, message = found[0]
    assert line == 12
    assert "60 s" in message and "300 s" in message
    assert "task `ping` by its decorator, line 6" in message


def test_tq604_names_the_setting_meant_only_for_near_misses(tmp_path: Path) -> None:
    source = (
        "import arq\n\n\nasync def job(ctx):\n    pass\n\n\n"
        "class WorkerSettings:\n"
        "    functions = [job]\n"
        "    job_timout = 30\n"
        "    timeout = 30\n"
    )
    found = dict(_lint(tmp_path, {"w.py": source}, "TQ604"))
    assert "did you mean `job_timeout`?" in found[10]
    assert "`job_timeout` keeps its default `300`" in found[10]
    assert "did you mean" not in found[11]
    assert "`WorkerSettings.timeout`" in found[11]
