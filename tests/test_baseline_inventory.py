"""Baselines (adopting tasklint on legacy code) and the task inventory."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "projects"


def run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tasklint", "--no-cache", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
    )


def copy(name: str, tmp_path: Path) -> Path:
    target = tmp_path / name
    shutil.copytree(FIXTURES / name, target)
    return target


def test_baseline_hides_known_findings_across_unrelated_edits(tmp_path: Path) -> None:
    project = copy("celery_conf_update", tmp_path)
    before = run(["."], project)
    assert before.returncode == 1 and before.stdout.count("\n") >= 5
    wrote = run(["--write-baseline", "baseline.json", "."], project)
    assert wrote.returncode == 0, wrote.stderr
    data = json.loads((project / "baseline.json").read_text())
    assert len(data["findings"]) == before.stdout.count("\n")
    assert run(["--baseline", "baseline.json", "."], project).returncode == 0
    tasks = project / "proj" / "tasks.py"
    tasks.write_text("# an unrelated edit above every finding\n\n" + tasks.read_text())
    shifted = run(["--baseline", "baseline.json", "."], project)
    assert shifted.returncode == 0, shifted.stdout
    tasks.write_text(tasks.read_text() + "\n\n@app.task(time_limit=0)\ndef added():\n    pass\n")
    new = run(["--baseline", "baseline.json", "."], project)
    assert new.returncode == 1
    assert new.stdout.count("\n") == 1 and "TQ103" in new.stdout and "added" in new.stdout


def test_bad_baseline_is_a_usage_error(tmp_path: Path) -> None:
    project = copy("celery_conf_update", tmp_path)
    (project / "bad.json").write_text("[]")
    result = run(["--baseline", "bad.json", "."], project)
    assert result.returncode == 2 and "not a tasklint baseline" in result.stderr
    missing = run(["--baseline", "nope.json", "."], project)
    assert missing.returncode == 2 and "no such file" in missing.stderr


def test_inventory_lists_tasks_limits_and_enqueues(tmp_path: Path) -> None:
    project = copy("reachable_from_transaction", tmp_path)
    result = run_inventory(project, "--format", "json")
    data = json.loads(result.stdout)
    rows = {row["name"]: row for row in data["tasks"]}
    assert set(rows) == {"shop.tasks.ship", "shop.tasks.notify"}
    assert rows["shop.tasks.ship"]["enqueued"] and rows["shop.tasks.notify"]["enqueued"]
    assert rows["shop.tasks.ship"]["location"] == "shop/tasks.py:4"
    # no Celery app in this fixture: limits are unknown, not missing
    assert rows["shop.tasks.ship"]["time_limit"] is None
    assert rows["shop.tasks.ship"]["time_limit_source"] == "unknown (no Celery app in the project)"
    assert data["summary"] == "2 tasks, 0 without a time limit, 0 never enqueued in this project"


def test_inventory_counts_tasks_without_limits(tmp_path: Path) -> None:
    project = copy("celeryconfig_module", tmp_path)
    text = run_inventory(project).stdout
    assert text.splitlines()[0].split()[:3] == ["library", "name", "location"]
    assert text.strip().endswith(
        "3 tasks, 2 without a time limit, 3 never enqueued in this project"
    )
    markdown = run_inventory(project, "--format", "markdown").stdout
    assert markdown.startswith("| library | name |") and "proj.tasks.quick" in markdown


def test_inventory_shows_whether_the_worker_registers_each_task(tmp_path: Path) -> None:
    project = copy("tq112_include_imports", tmp_path)
    data = json.loads(run_inventory(project, "--format", "json").stdout)
    rows = {row["name"]: row["registered"] for row in data["tasks"]}
    assert rows["proj.jobs.email.send_email"].startswith("yes (named by include=")
    assert rows["proj.jobs.sms.send_sms"].startswith("yes (named by imports")
    assert rows["proj.jobs.common.log_delivery"] == "yes (imported by proj.jobs)"
    assert rows["proj.jobs.push.send_push"].startswith("no ")
    unknown = copy("tq112_unknown_imports_value", tmp_path)
    data = json.loads(run_inventory(unknown, "--format", "json").stdout)
    assert data["tasks"][0]["registered"].startswith("? (the `imports` value")


def run_inventory(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [sys.executable, "-m", "tasklint", "inventory", "--no-cache", *args, "."],
        cwd=project,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    return result
