"""Monorepos (issue 15, item 1): each file gets the configuration of its nearest
pyproject.toml with a ``[tool.tasklint]`` table, as ruff does, and each project its own
index. Running at the top gives exactly the union of running in each project, and the same
as pre-commit's file list and as flake8.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import tasklint

SRC = Path(tasklint.__file__).resolve().parents[1]

TASKS = """from celery import shared_task


@shared_task(name="{name}")
def one():
    pass


@shared_task(name="{name}", max_retries=None, autoretry_for=(KeyError,))
def two():
    pass
"""

Key = tuple[str, int, int, str]


def run(cwd: Path, *args: str) -> set[Key]:
    env = {**os.environ, "PYTHONPATH": str(SRC), "NO_COLOR": "1"}
    proc = subprocess.run(
        [sys.executable, "-m", "tasklint", "--format", "json", "--no-cache", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert "Traceback" not in proc.stderr, proc.stderr
    assert proc.returncode in (0, 1), proc.stderr
    return {(f["path"], f["line"], f["column"], f["code"]) for f in json.loads(proc.stdout)}


def prefixed(prefix: str, found: set[Key]) -> set[Key]:
    return {(f"{prefix}/{p}", line, col, code) for p, line, col, code in found}


@pytest.fixture
def monorepo(tmp_path: Path) -> Path:
    top = tmp_path / "mono"
    (top / ".git").mkdir(parents=True)
    services = {
        "svc_a": '[tool.tasklint]\nignore = ["TQ108"]\n',
        "svc_b": '[tool.tasklint]\nignore = ["TQ105"]\n',
    }
    for service, config in services.items():
        app = top / service / "app"
        app.mkdir(parents=True)
        (top / service / "pyproject.toml").write_text(config, encoding="utf-8")
        (app / "__init__.py").write_text("", encoding="utf-8")
        # the same task name in both services: one project each, so no clash across them
        (app / "tasks.py").write_text(TASKS.format(name="shared.name"), encoding="utf-8")
        (app / "more.py").write_text(TASKS.format(name=f"{service}.more"), encoding="utf-8")
    tools = top / "tools"
    tools.mkdir()
    (tools / "__init__.py").write_text("", encoding="utf-8")
    (tools / "jobs.py").write_text(TASKS.format(name="shared.name"), encoding="utf-8")
    return top


def test_each_service_keeps_its_own_configuration(monorepo: Path) -> None:
    found = run(monorepo, ".")
    codes = {(p.split("/")[0], code) for p, _, _, code in found}
    assert ("svc_a", "TQ108") not in codes and ("svc_a", "TQ105") in codes
    assert ("svc_b", "TQ105") not in codes and ("svc_b", "TQ108") in codes
    assert ("tools", "TQ108") in codes and ("tools", "TQ105") in codes


def test_the_top_is_the_union_of_the_projects(monorepo: Path) -> None:
    top = run(monorepo, ".")
    svc_a = prefixed("svc_a", run(monorepo / "svc_a", "."))
    svc_b = prefixed("svc_b", run(monorepo / "svc_b", "."))
    tools = {f for f in top if f[0].startswith("tools/")}
    assert svc_a and svc_b and tools
    assert top == svc_a | svc_b | tools
    # tools/jobs.py shares a task name with both services, but they are other projects
    assert all(not f[0].startswith("svc") for f in tools)


def test_pre_commit_file_lists_get_the_same_findings(monorepo: Path) -> None:
    top = run(monorepo, ".")
    files = ["svc_a/app/tasks.py", "svc_b/app/tasks.py", "tools/jobs.py"]
    assert run(monorepo, *files) == {f for f in top if f[0] in files}
    # and from inside a service, as a per-service hook would run
    assert prefixed("svc_b", run(monorepo / "svc_b", "app/tasks.py")) == {
        f for f in top if f[0] == "svc_b/app/tasks.py"
    }


def test_flake8_gives_the_same_findings(monorepo: Path) -> None:
    pytest.importorskip("flake8")
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    proc = subprocess.run(
        [sys.executable, "-m", "flake8", "--select", "TQ", "--format", "default", "."],
        cwd=monorepo,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert "Traceback" not in proc.stderr, proc.stderr
    flake8: set[Key] = set()
    for line in proc.stdout.splitlines():
        path, row, col, rest = line.split(":", 3)
        flake8.add((path.removeprefix("./"), int(row), int(col), rest.split()[0]))
    assert flake8 == run(monorepo, ".")


def test_inventory_lists_every_project(monorepo: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(SRC)}

    def inventory(cwd: Path) -> set[tuple[str, str]]:
        proc = subprocess.run(
            [sys.executable, "-m", "tasklint", "inventory", "--format", "json", "--no-cache"],
            cwd=cwd,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert proc.returncode == 0, proc.stderr
        return {(t["name"], t["location"]) for t in json.loads(proc.stdout)["tasks"]}

    top = inventory(monorepo)
    services = {
        (name, f"{service}/{where}")
        for service in ("svc_a", "svc_b")
        for name, where in inventory(monorepo / service)
    }
    assert services and services <= top
    assert {where.split("/")[0] for _, where in top} == {"svc_a", "svc_b", "tools"}


def test_a_nested_project_under_an_excluded_directory_is_checked_once(tmp_path: Path) -> None:
    top = tmp_path / "repo"
    svc = top / "services" / "svc"
    (svc / "app").mkdir(parents=True)
    (top / ".git").mkdir()
    (top / "pyproject.toml").write_text(
        '[tool.tasklint]\nextend-exclude = ["services"]\n', encoding="utf-8"
    )
    (svc / "pyproject.toml").write_text("[tool.tasklint]\n", encoding="utf-8")
    (svc / "app" / "__init__.py").write_text("", encoding="utf-8")
    (svc / "app" / "tasks.py").write_text(TASKS.format(name="n"), encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    proc = subprocess.run(
        [sys.executable, "-m", "tasklint", "--format", "json", "--no-cache", "services"],
        cwd=top,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    items = json.loads(proc.stdout)
    keys = [(f["path"], f["line"], f["column"], f["code"]) for f in items]
    assert keys and len(keys) == len(set(keys)), keys  # not once per enclosing project
    assert set(keys) == prefixed("services/svc", run(svc, "."))
