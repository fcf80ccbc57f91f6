"""A repository is hostile input (issue 14): tasklint never runs its code, never leaves the
checked roots, never crashes on what it finds there, and never lets names from the code
inject output. Every case runs the real command line in a subprocess unless it needs an
in-process patch.
"""

from __future__ import annotations

import ast
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import tasklint

SRC = Path(tasklint.__file__).resolve().parents[1]
REPO = SRC.parent
FIXTURE = REPO / "fixtures" / "projects" / "django_split_settings"


def run(
    cwd: Path, *args: str, env: dict[str, str] | None = None, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, "PYTHONPATH": str(SRC), "NO_COLOR": "1", **(env or {})}
    full_env.pop("TASKLINT_DEBUG", None)
    return subprocess.run(
        [sys.executable, "-m", "tasklint", *args],
        cwd=cwd,
        env=full_env,
        capture_output=True,
        text=True,
        encoding="utf-8",
        errors="backslashreplace",
        timeout=timeout,
    )


def no_traceback(proc: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stdout, proc.stdout


def json_findings(proc: subprocess.CompletedProcess[str]) -> list[dict[str, Any]]:
    no_traceback(proc)
    data: list[dict[str, Any]] = json.loads(proc.stdout)
    return data


@pytest.fixture
def project(tmp_path: Path) -> Path:
    target = tmp_path / "proj"
    shutil.copytree(FIXTURE, target)
    return target


# -- running repository code ---------------------------------------------------------------


def _imported_stdlib_modules() -> set[str]:
    """Every top-level module tasklint's source imports, lazily or not."""
    names = {"__future__"}
    for path in (SRC / "tasklint").rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module.split(".")[0])
    return {n for n in names if n != "tasklint"}


def test_python_m_never_imports_the_repositorys_modules(project: Path) -> None:
    modules = _imported_stdlib_modules()
    assert {"json", "argparse", "fnmatch", "dataclasses", "tokenize"} <= modules
    modules |= set(getattr(sys, "stdlib_module_names", ())) - {"sys", "builtins"}
    marker = project.parent / "canary.log"
    for name in sorted(modules):
        (project / f"{name}.py").write_text(
            f"open({str(marker)!r}, 'a').write({name!r} + '\\n')\nraise SystemExit(99)\n",
            encoding="utf-8",
        )
    commands = [
        ("--no-cache", "."),
        ("--format", "sarif", "-j", "2", "--statistics", "."),
        ("--format", "github", "."),
        ("--explain", "TQ101"),
        ("--list-rules",),
        ("inventory", "--format", "markdown", "--no-cache", "."),
    ]
    for args in commands:
        proc = run(project, *args)
        no_traceback(proc)
        assert proc.returncode in (0, 1), (args, proc.stderr)
        assert not marker.exists(), (args, marker.read_text())
