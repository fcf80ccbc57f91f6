"""flake8 with only the TQ plugin and the CLI report the same findings on the fixture tree.

Every single-file fixture becomes a one-file project whose pyproject.toml carries the
fixture's configuration; every project fixture and the sample project run with their own
pyproject.toml. flake8 runs once, as a subprocess, over all of them (the plugin finds the
nearest pyproject.toml per file, as the CLI does); the CLI runs on each project.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tasklint import cli
from tests.support import expectations
from tests.support.runner import FIXTURES, project_fixtures, single_file_fixtures

SRC = Path(__file__).resolve().parents[1] / "src"

pytest.importorskip("flake8")


def _toml_value(value: Any) -> str:
    if isinstance(value, dict):
        return "{ " + ", ".join(f'"{k}" = {_toml_value(v)}' for k, v in value.items()) + " }"
    return json.dumps(value)


def _pyproject(config: dict[str, Any], codes: set[str]) -> str:
    lines = ["[tool.tasklint]", f"select = {json.dumps(sorted(codes))}"]
    tables = []
    for key, value in config.items():
        if isinstance(value, dict) and key != "per-file-ignores":
            tables.append(f"[tool.tasklint.{key}]")
            tables.extend(f"{k} = {_toml_value(v)}" for k, v in value.items())
        else:
            lines.append(f"{key} = {_toml_value(value)}")
    return "\n".join([*lines, *tables]) + "\n"


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """name -> project folder, all under one root."""
    root = tmp_path_factory.mktemp("parity")
    projects: dict[str, Path] = {}
    for path in single_file_fixtures():
        exp = expectations.parse(path.read_text(encoding="utf-8"))
        if exp.min_python and sys.version_info < exp.min_python:
            continue
        folder = root / f"single_{path.stem}"
        folder.mkdir()
        shutil.copy(path, folder / path.name)
        (folder / "pyproject.toml").write_text(_pyproject(exp.config, exp.codes), encoding="utf-8")
        projects[path.name] = folder
    for folder in [*project_fixtures(), FIXTURES / "sample_project"]:
        target = root / f"project_{folder.name}"
        shutil.copytree(folder, target)
        projects[folder.name] = target
    return projects


def _flake8(root: Path) -> set[tuple[str, int, int, str]]:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "flake8",
            "--isolated",
            "--select",
            "TQ",
            "--tasklint-no-cache",
            "--format",
            "%(path)s|%(row)d|%(col)d|%(code)s",
            ".",
        ],
        cwd=root,
        env={**os.environ, "PYTHONPATH": str(SRC)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode in (0, 1), result.stderr
    out = set()
    for line in result.stdout.splitlines():
        path, row, col, code = line.split("|")
        out.add((os.path.normpath(path).replace(os.sep, "/"), int(row), int(col), code))
    return out


def _cli(folder: Path, root: Path, capsys: pytest.CaptureFixture[str]) -> set[Any]:
    cwd = os.getcwd()
    os.chdir(root)
    try:
        status = cli.main(["--no-cache", "--format", "json", folder.name])
        out = capsys.readouterr().out
    finally:
        os.chdir(cwd)
    assert status in (0, 1)
    return {(i["path"], i["line"], i["column"], i["code"]) for i in json.loads(out)}


def test_flake8_and_cli_agree(tree: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    root = next(iter(tree.values())).parent
    flake8 = _flake8(root)
    total = 0
    project_level = 0
    for name, folder in sorted(tree.items()):
        mine = _cli(folder, root, capsys)
        theirs = {f for f in flake8 if f[0].startswith(folder.name + "/")}
        # TQ003 (unused noqa) is CLI-only: flake8 applies noqa after the plugin has run
        mine = {f for f in mine if f[3] != "TQ003"}
        # flake8 reports unparsable files itself (E999) and never calls the plugin
        mine = {f for f in mine if f[3] != "TQ001"}
        assert mine == theirs, (
            f"{name}: only in the CLI {sorted(mine - theirs)}, "
            f"only in flake8 {sorted(theirs - mine)}"
        )
        total += len(mine)
        if not name.endswith(".py"):
            project_level += len(mine)
    # the comparison is not vacuous: both saw many findings, project fixtures included
    assert total > 100 and project_level > 20, (total, project_level)


def test_flake8_reports_a_broken_configuration(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.tasklint]\nselect = ["TQ999"]\n', encoding="utf-8"
    )
    (tmp_path / "jobs.py").write_text("x = 1\n", encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "flake8", "--isolated", "--select", "TQ", "."],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(SRC)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2
    assert "select: unknown rule code 'TQ999'" in result.stderr
    assert "Traceback" not in result.stderr


def test_flake8_builds_the_index_once_before_forking_workers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """parse_options (flake8's main process, before its --jobs fork) builds the index;
    checking a file afterwards reuses it instead of building it again in the worker."""
    import argparse
    import ast

    from tasklint import flake8_plugin

    for cache in ("_LINTERS", "_KEYS", "_EXCLUDED_DIRS", "_EXCLUDERS"):
        monkeypatch.setattr(flake8_plugin, cache, {})
    (tmp_path / "pyproject.toml").write_text("[tool.tasklint]\n", encoding="utf-8")
    shop = tmp_path / "shop"
    shop.mkdir()
    (shop / "__init__.py").write_text("", encoding="utf-8")
    (shop / "celery.py").write_text(
        "from celery import Celery\n\napp = Celery('shop', include=['shop.tasks'])\n"
    )
    source = "from shop.celery import app\n\n@app.task\ndef ship():\n    pass\n"
    (shop / "tasks.py").write_text(source, encoding="utf-8")
    builds: list[Path] = []
    real_build = flake8_plugin.build_index

    def counting_build(root: Path, *args: Any, **kwargs: Any) -> Any:
        builds.append(root)
        return real_build(root, *args, **kwargs)

    monkeypatch.setattr(flake8_plugin, "build_index", counting_build)
    monkeypatch.chdir(tmp_path)
    options = argparse.Namespace(filenames=[str(tmp_path)], tasklint_no_cache=True)
    flake8_plugin.TasklintChecker.parse_options(options)
    assert builds == [tmp_path.resolve()]
    checker = flake8_plugin.TasklintChecker(
        ast.parse(source), str(shop / "tasks.py"), source.splitlines(keepends=True)
    )
    codes = [message.split()[0] for _, _, message, _ in checker.run()]
    assert codes == ["TQ101"]  # the prebuilt index knows the task
    assert len(builds) == 1  # and was not built again for the file
