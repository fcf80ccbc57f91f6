"""The pre-commit hook, end to end: ``pre-commit try-repo <this repo> tasklint --files ...``.

try-repo builds the hook's environment from this repository (its committed
.pre-commit-hooks.yaml, and the code as pre-commit snapshots it) and runs it in a temporary
git repository holding a copy of fixtures/sample_project. Skipped when pre-commit or git is
missing, or when the hook environment cannot be installed (no network).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.support.runner import FIXTURES, REPO

TryRepo = Callable[..., "subprocess.CompletedProcess[str]"]

pytestmark = pytest.mark.skipif(
    shutil.which("pre-commit") is None or shutil.which("git") is None,
    reason="needs pre-commit and git",
)


def _git(cwd: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-c", "user.email=test@example.com", "-c", "user.name=test", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=True,
    ).stdout


@pytest.fixture(scope="module")
def sample_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("precommit") / "shop-repo"
    shutil.copytree(FIXTURES / "sample_project", root)
    _git(root, "init", "-q")
    _git(root, "add", "-A")
    _git(root, "commit", "-q", "-m", "sample")
    return root


@pytest.fixture(scope="module")
def try_repo(sample_repo: Path, tmp_path_factory: pytest.TempPathFactory) -> TryRepo:
    home = tmp_path_factory.mktemp("pre-commit-home")
    env = {**os.environ, "PRE_COMMIT_HOME": str(home), "NO_COLOR": "1"}
    env.pop("PYTHONPATH", None)  # the hook runs in its own environment

    def run(*files: str) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [
                "pre-commit",
                "try-repo",
                str(REPO),
                "tasklint",
                "--color",
                "never",
                "--files",
                *files,
            ],
            cwd=sample_repo,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        if result.returncode not in (0, 1):
            pytest.skip(f"pre-commit could not install the hook environment:\n{result.stdout}")
        return result

    return run


def test_hook_manifest_is_committed() -> None:
    manifest = REPO / ".pre-commit-hooks.yaml"
    text = manifest.read_text(encoding="utf-8")
    for needle in ("- id: tasklint", "entry: tasklint", "language: python", "types: [python]"):
        assert needle in text
    tracked = _git(REPO, "ls-files", "--error-unmatch", ".pre-commit-hooks.yaml")
    assert tracked.strip() == ".pre-commit-hooks.yaml"


def test_hook_reports_findings_of_the_files_passed(try_repo: TryRepo) -> None:
    result = try_repo("shop/views.py", "shop/tasks.py")
    assert result.returncode == 1, result.stdout
    out = result.stdout
    assert "tasklint" in out and "Failed" in out
    assert "shop/views.py:10:9: TQ201 " in out  # needs the project index: the task is elsewhere
    assert "shop/tasks.py:6:2: TQ101 " in out
    assert "shop/tasks.py:6:14: TQ109 " in out
    # settings.py was not passed: its TQ508 is not reported, though the index read it
    assert "settings.py" not in out


def test_hook_passes_on_clean_files(try_repo: TryRepo) -> None:
    result = try_repo("shop/models.py", "shop/celery.py")
    assert result.returncode == 0, result.stdout
    assert "Passed" in result.stdout


def test_file_names_are_never_options(
    sample_repo: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """A committed file named like an option stays a file name: the hook ends the options
    with ``--`` (before, ``--write-baseline=victim.py`` overwrote victim.py and
    ``-leading.py`` failed every commit)."""
    repo = tmp_path_factory.mktemp("hostile-names") / "repo"
    shutil.copytree(sample_repo, repo)
    victim = repo / "victim.py"
    victim.write_text("VICTIM = 1\n", encoding="utf-8")
    for name in ("--write-baseline=victim.py", "-leading.py", "--config=victim.py"):
        (repo / name).write_text("X = 1\n", encoding="utf-8")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "hostile names")
    home = tmp_path_factory.mktemp("pre-commit-home-names")
    env = {**os.environ, "PRE_COMMIT_HOME": str(home), "NO_COLOR": "1"}
    env.pop("PYTHONPATH", None)
    result = subprocess.run(
        ["pre-commit", "try-repo", str(REPO), "tasklint", "--color", "never", "--all-files"],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if result.returncode not in (0, 1):
        pytest.skip(f"pre-commit could not install the hook environment:\n{result.stdout}")
    assert victim.read_text(encoding="utf-8") == "VICTIM = 1\n", result.stdout
    assert "error: unrecognized arguments" not in result.stdout
    assert "Traceback" not in result.stdout
    assert "shop/tasks.py:6:2: TQ101 " in result.stdout  # the run itself happened
