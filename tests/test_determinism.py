"""The same tree gives byte-identical output across runs, worker counts and cache states."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import tasklint

PROJECTS = Path(__file__).resolve().parents[1] / "fixtures" / "projects"
SRC = str(Path(tasklint.__file__).resolve().parents[1])


def run(cwd: Path, *args: str) -> bytes:
    env = {**os.environ, "PYTHONPATH": SRC, "NO_COLOR": "1"}
    proc = subprocess.run(
        [sys.executable, "-m", "tasklint", *args, "."],
        cwd=cwd,
        env=env,
        capture_output=True,
        timeout=300,
    )
    assert proc.returncode == 1, proc.stderr.decode()
    assert b"Traceback" not in proc.stderr
    return proc.stdout


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every project fixture side by side, plus copies: enough files for several workers."""
    root = tmp_path_factory.mktemp("determinism") / "tree"
    root.mkdir()
    (root / "pyproject.toml").write_text("[tool.tasklint]\n")
    for project in sorted(p for p in PROJECTS.iterdir() if p.is_dir()):
        shutil.copytree(project, root / project.name, ignore=shutil.ignore_patterns("*.toml"))
    shop = root / "django_split_settings" / "shop"
    for n in range(40):
        shutil.copy(shop / "tasks.py", shop / f"tasks_{n}.py")
    return root


@pytest.mark.parametrize("fmt", ["text", "json", "sarif"])
def test_output_is_byte_identical_across_jobs_and_cache_states(tree: Path, fmt: str) -> None:
    cache = tree / ".tasklint_cache"
    shutil.rmtree(cache, ignore_errors=True)
    reference = run(tree, "--no-cache", "--jobs", "1", "--format", fmt)
    assert reference.strip()
    outputs = {
        "no cache, 1 job, again": run(tree, "--no-cache", "--jobs", "1", "--format", fmt),
        "no cache, 2 jobs": run(tree, "--no-cache", "--jobs", "2", "--format", fmt),
        "no cache, 3 jobs": run(tree, "--no-cache", "--jobs", "3", "--format", fmt),
        "cold cache, 2 jobs": run(tree, "--jobs", "2", "--format", fmt),
        "warm cache, 1 job": run(tree, "--jobs", "1", "--format", fmt),
        "warm cache, 2 jobs": run(tree, "--jobs", "2", "--format", fmt),
    }
    (tree / "django_split_settings" / "shop" / "tasks_3.py").touch()
    outputs["one file touched"] = run(tree, "--jobs", "2", "--format", fmt)
    assert cache.is_dir()
    for label, output in outputs.items():
        assert output == reference, label
