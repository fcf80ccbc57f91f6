"""``--fix``, ``--unsafe-fixes``, ``--diff``, ``--show-fixes``: each fix is checked by linting
the result (it parses, the finding is gone) and by fixing twice (nothing changes)."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

from tasklint import cli, fixes
from tasklint.findings import Edit, Finding, Fix

CELERY_APP = 'from celery import Celery\n\napp = Celery("shop")\n'


def write(root: Path, files: dict[str, str]) -> None:
    (root / "pyproject.toml").write_text(
        '[tool.tasklint]\nextend-select = ["TQ003"]\n', encoding="utf-8"
    )
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = cli.main(["--no-cache", "--format", "json", *argv])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def findings(capsys: pytest.CaptureFixture[str]) -> list[tuple[str, int, str]]:
    _, out, _ = run(capsys, "--exit-zero")
    return [(f["path"], f["line"], f["code"]) for f in json.loads(out)]


@pytest.fixture()
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


# (files, the file that changes, its text after `--fix --unsafe-fixes`, code fixed)
CASES = {
    "TQ003": (
        {
            "shop/celery.py": CELERY_APP + "app.conf.task_acks_late = True  # noqa: TQ508\n",
        },
        "shop/celery.py",
        CELERY_APP + "app.conf.task_acks_late = True\n",
        "TQ003",
    ),
    "TQ003-keeps-other-codes": (
        {
            "shop/celery.py": CELERY_APP + "app.conf.task_acks_late = True  # noqa: TQ508, E501\n",
        },
        "shop/celery.py",
        CELERY_APP + "app.conf.task_acks_late = True  # noqa: E501\n",
        "TQ003",
    ),
    "TQ109": (
        {
            "shop/celery.py": CELERY_APP,
            "shop/tasks.py": (
                "from shop.celery import app\n\n\n"
                "@app.task(max_retry=5, time_limit=60)\ndef ship(order_id):\n    pass\n"
            ),
        },
        "shop/tasks.py",
        "from shop.celery import app\n\n\n"
        "@app.task(max_retries=5, time_limit=60)\ndef ship(order_id):\n    pass\n",
        "TQ109",
    ),
    "TQ508": (
        {"shop/celery.py": CELERY_APP + "app.conf.update(task_ack_late=True)\n"},
        "shop/celery.py",
        CELERY_APP + "app.conf.update(task_acks_late=True)\n",
        "TQ508",
    ),
    "TQ508-dict-key": (
        {"shop/celery.py": CELERY_APP + "app.conf.update({'worker_prefetch_multiplyer': 1})\n"},
        "shop/celery.py",
        CELERY_APP + "app.conf.update({'worker_prefetch_multiplier': 1})\n",
        "TQ508",
    ),
    "TQ511-bool": (
        {"shop/celery.py": CELERY_APP + 'app.conf.task_acks_late = "false"\n'},
        "shop/celery.py",
        CELERY_APP + "app.conf.task_acks_late = False\n",
        "TQ511",
    ),
    "TQ511-number": (
        {"shop/celery.py": CELERY_APP + "app.conf.update(task_time_limit='300')\n"},
        "shop/celery.py",
        CELERY_APP + "app.conf.update(task_time_limit=300)\n",
        "TQ511",
    ),
    "TQ604": (
        {
            "worker.py": (
                "from arq.connections import RedisSettings\n\n\n"
                "async def work(ctx):\n    pass\n\n\n"
                "class WorkerSettings:\n    functions = [work]\n    job_timout = 60\n"
            )
        },
        "worker.py",
        "from arq.connections import RedisSettings\n\n\n"
        "async def work(ctx):\n    pass\n\n\n"
        "class WorkerSettings:\n    functions = [work]\n    job_timeout = 60\n",
        "TQ604",
    ),
    "TQ201": (
        {
            "shop/celery.py": CELERY_APP,
            "shop/tasks.py": (
                "from django.db import transaction\n\nfrom shop.celery import app\n\n\n"
                "@app.task(time_limit=60)\ndef ship(order_id):\n    pass\n\n\n"
                "def place(order):\n"
                "    with transaction.atomic():\n"
                "        ship.delay(order.id)\n"
                "        ship.apply_async(\n            (order.id,), countdown=5\n        )\n"
            ),
        },
        "shop/tasks.py",
        "from django.db import transaction\n\nfrom shop.celery import app\n\n\n"
        "@app.task(time_limit=60)\ndef ship(order_id):\n    pass\n\n\n"
        "def place(order):\n"
        "    with transaction.atomic():\n"
        "        ship.delay_on_commit(order.id)\n"
        "        ship.apply_async_on_commit(\n            (order.id,), countdown=5\n        )\n",
        "TQ201",
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_fix_removes_the_finding_and_is_idempotent(
    case: str, project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    files, changed, expected, code = CASES[case]
    write(project, files)
    before = findings(capsys)
    assert any(c == code and p == changed for p, _, c in before), before
    status, _, err = run(capsys, "--exit-zero", "--fix", "--unsafe-fixes")
    assert status == 0 and "fixed" in err
    after = (project / changed).read_text(encoding="utf-8")
    assert after == expected
    ast.parse(after)
    remaining = findings(capsys)
    assert not any(c == code and p == changed for p, _, c in remaining), remaining
    run(capsys, "--exit-zero", "--fix", "--unsafe-fixes")  # again: nothing more to do
    assert (project / changed).read_text(encoding="utf-8") == expected
    status, out, _ = run(capsys, "--diff", "--unsafe-fixes")
    assert out == ""


def test_safe_fixes_only_without_unsafe_flag(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = CELERY_APP + "app.conf.update(task_ack_late=True)  # noqa: TQ101\n"
    write(project, {"shop/celery.py": source})
    status, _, err = run(capsys, "--fix")
    assert status == 1  # the TQ508 finding remains
    text = (project / "shop/celery.py").read_text(encoding="utf-8")
    assert text == CELERY_APP + "app.conf.update(task_ack_late=True)\n"
    assert "--unsafe-fixes" in err


def test_diff_changes_nothing_and_exits_1(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = CELERY_APP + "app.conf.update(task_ack_late=True)\n"
    write(project, {"shop/celery.py": source})
    status, out, _ = run(capsys, "--diff")
    assert status == 0 and out == ""  # the only fix is unsafe
    status, out, _ = run(capsys, "--diff", "--unsafe-fixes")
    assert status == 1
    assert out.startswith("--- a/shop/celery.py\n+++ b/shop/celery.py\n")
    assert "-app.conf.update(task_ack_late=True)\n+app.conf.update(task_acks_late=True)\n" in out
    assert (project / "shop/celery.py").read_text(encoding="utf-8") == source


def test_show_fixes_lists_fixed_findings_per_file(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(project, CASES["TQ109"][0])
    status = cli.main(["--no-cache", "--fix", "--unsafe-fixes", "--show-fixes", "--exit-zero"])
    out = capsys.readouterr().out
    assert status == 0
    assert "Fixed 1 finding:\n- shop/tasks.py:\n    1 x TQ109 (unknown-task-option)\n" in out


def test_fixes_come_from_the_cache_too(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(project, CASES["TQ508"][0])
    cli.main(["--exit-zero", "."])  # fills the cache
    capsys.readouterr()
    status = cli.main(["--fix", "--unsafe-fixes", "--exit-zero", "."])
    assert status == 0
    assert (project / "shop/celery.py").read_text(encoding="utf-8") == CASES["TQ508"][2]


def test_crlf_and_bom_are_kept(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(project, {})
    source = CELERY_APP + "app.conf.update(task_ack_late=True)\n"
    raw = b"\xef\xbb\xbf" + source.replace("\n", "\r\n").encode("utf-8")
    (project / "shop").mkdir()
    (project / "shop/celery.py").write_bytes(raw)
    run(capsys, "--fix", "--unsafe-fixes")
    assert (project / "shop/celery.py").read_bytes() == raw.replace(
        b"task_ack_late", b"task_acks_late"
    )


@pytest.mark.parametrize(
    "body",
    [
        "        result = ship.delay(order.id)\n        return result\n",  # the value is used
        "        ship.s(order.id).delay()\n",  # a signature has no delay_on_commit
    ],
)
def test_tq201_no_fix_where_on_commit_would_change_more(
    body: str, project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = (
        "from django.db import transaction\n\nfrom shop.celery import app\n\n\n"
        "@app.task(time_limit=60)\ndef ship(order_id):\n    pass\n\n\n"
        "def place(order):\n    with transaction.atomic():\n" + body
    )
    write(project, {"shop/celery.py": CELERY_APP, "shop/tasks.py": source})
    assert ("shop/tasks.py", 13, "TQ201") in findings(capsys)
    status, out, _ = run(capsys, "--diff", "--unsafe-fixes")
    assert status == 0 and out == ""


def test_tq109_no_fix_when_the_option_is_already_given(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = (
        "from shop.celery import app\n\n\n"
        "@app.task(max_retry=5, max_retries=3, time_limit=60)\ndef ship(order_id):\n    pass\n"
    )
    write(project, {"shop/celery.py": CELERY_APP, "shop/tasks.py": source})
    assert ("shop/tasks.py", 4, "TQ109") in findings(capsys)
    status, out, _ = run(capsys, "--diff", "--unsafe-fixes")
    assert status == 0 and out == ""


def test_tq511_no_fix_for_a_value_written_elsewhere(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = CELERY_APP + 'LIMIT = "300"\napp.conf.task_time_limit = LIMIT\n'
    write(project, {"shop/celery.py": source})
    assert ("shop/celery.py", 5, "TQ511") in findings(capsys)
    status, out, _ = run(capsys, "--diff", "--unsafe-fixes")
    assert status == 0 and out == ""


def test_files_outside_the_checked_paths_are_never_written(tmp_path: Path) -> None:
    inside, outside = tmp_path / "in", tmp_path / "out"
    inside.mkdir()
    outside.mkdir()
    (outside / "x.py").write_text("x = 1  # noqa: TQ101\n", encoding="utf-8")
    edit = Edit(1, 5, 1, 20, "")
    finding = Finding("out/x.py", 1, 8, "TQ003", "m", fix=Fix((edit,), True, "d"))
    plan = fixes.plan([finding], tmp_path, [inside], unsafe=True)
    assert plan.changes == []
    plan = fixes.plan([finding], tmp_path, [outside], unsafe=True)
    assert [c.after for c in plan.changes] == ["x = 1\n"]


def test_overlapping_fixes_wait_and_broken_results_are_refused(tmp_path: Path) -> None:
    text = "a = 1\n"
    first = Fix((Edit(1, 0, 1, 1, "b"),), True, "one")
    second = Fix((Edit(1, 0, 1, 1, "c"),), True, "two")
    after, applied, postponed = fixes.apply(text, [first, second])
    assert after == "b = 1\n" and applied == [first] and postponed == 1
    (tmp_path / "x.py").write_text(text, encoding="utf-8")
    broken = Finding("x.py", 1, 1, "TQ003", "m", fix=Fix((Edit(1, 0, 1, 1, "("),), True, "d"))
    assert fixes.plan([broken], tmp_path, [tmp_path], True).changes == []
    fine = Finding("x.py", 1, 1, "TQ003", "m", fix=first)
    assert len(fixes.plan([fine], tmp_path, [tmp_path], True).changes) == 1


def test_tq201_no_fix_in_a_sqlalchemy_transaction(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = (
        "from sqlalchemy.orm import Session\n\nfrom shop.celery import app\n\n\n"
        "@app.task(time_limit=60)\ndef ship(order_id):\n    pass\n\n\n"
        "def place(session: Session, order):\n"
        "    with session.begin():\n        ship.delay(order.id)\n"
    )
    write(project, {"shop/celery.py": CELERY_APP, "shop/tasks.py": source})
    assert ("shop/tasks.py", 13, "TQ201") in findings(capsys)
    status, out, _ = run(capsys, "--diff", "--unsafe-fixes")
    assert status == 0 and out == ""


def test_tq003_removes_a_comment_only_line(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = CELERY_APP + "x = [\n    1,\n    # noqa: TQ508\n]\n"
    write(project, {"shop/celery.py": source})
    status, _, _ = run(capsys, "--fix", "--exit-zero")
    assert status == 0
    assert (project / "shop/celery.py").read_text(encoding="utf-8") == (
        CELERY_APP + "x = [\n    1,\n]\n"
    )
