"""Every tasklint command in the README works as documented.

Each fenced block's tasklint command lines (in shell blocks, and in the `run:`/`script:`
lines of the CI snippets) are run in document order on a copy of fixtures/sample_project:
the exit status must be 0 or 1 and the output must parse in the format asked for. The
TOML example must be a valid configuration and the YAML snippets valid YAML.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tasklint.config import parse_settings
from tests.support.runner import FIXTURES, REPO

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

README = (REPO / "README.md").read_text(encoding="utf-8")
BLOCK = re.compile(r"^```(?P<lang>\w*)\n(?P<body>.*?)^```", re.MULTILINE | re.DOTALL)
SRC = REPO / "src"
TEXT_LINE = re.compile(r"^[\w./-]+\.py:\d+:\d+: TQ\d{3} .+ \[[a-z0-9-]+\]$")
GITHUB_LINE = re.compile(r"^::(error|warning|notice) file=[^,]+,line=\d+,.*::.+$")


def blocks(lang: str | None = None) -> list[str]:
    return [m["body"] for m in BLOCK.finditer(README) if lang is None or m["lang"] == lang]


def tasklint_commands() -> list[str]:
    """Command lines that start with ``tasklint``, in README order."""
    out = []
    for body in blocks():
        for raw in body.splitlines():
            line = re.sub(r"^\s*(?:-\s+)?(?:run:\s*)?", "", raw)
            for part in line.split("&&"):
                part = part.strip()
                if part == "tasklint" or part.startswith("tasklint "):
                    out.append(part)
    return out


COMMANDS = tasklint_commands()


def test_readme_has_the_documented_snippets() -> None:
    joined = "\n".join(COMMANDS)
    for needle in (
        "tasklint fixtures/sample_project",
        "--format sarif",
        "--format github",
        "--format gitlab",
        "--write-baseline",
        "--baseline",
        "tasklint inventory",
    ):
        assert needle in joined, needle
    assert "github/codeql-action/upload-sarif" in README
    assert "codequality:" in README
    assert "<!-- rules:start -->" in README and "<!-- rules:end -->" in README


def test_quick_start_is_two_commands() -> None:
    quick = README.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    assert [m["body"].strip() for m in BLOCK.finditer(quick)] == [
        "python -m pip install . && tasklint fixtures/sample_project",
        "python -m pip install -e '.[test]' && python -m pytest -q",
    ]


def _check_output(argv: list[str], out: str) -> None:
    fmt = argv[argv.index("--format") + 1] if "--format" in argv else "text"
    if "--list-rules" in argv or "--explain" in argv:
        assert out.strip()
        return
    if argv[:1] == ["inventory"]:
        if fmt == "json":
            assert json.loads(out)["tasks"]
        elif fmt == "markdown":
            assert out.lstrip().startswith("|")
        else:
            assert "shop.tasks.send_receipt" in out
        return
    lines = [line for line in out.splitlines() if line.strip()]
    if "--diff" in argv:  # a unified diff of what --fix would change
        assert all(line[:1] in ("-", "+", " ", "@") for line in lines), lines
        return
    if "--show-fixes" in argv:  # the findings that remain, then what was fixed
        lines = [line for line in lines if TEXT_LINE.match(line)]
    if fmt == "text":
        findings = [line for line in lines if TEXT_LINE.match(line)]
        assert findings, out
        rest = lines[len(findings) :]
        if "--statistics" in argv:
            assert rest and re.match(r"^\d+ findings?; checked \d+ files?$", rest[-1]), rest
        else:
            assert not rest, rest
    elif fmt == "github":
        assert lines and all(GITHUB_LINE.match(line) for line in lines), lines
    elif fmt == "sarif":
        doc = json.loads(out)
        assert doc["version"] == "2.1.0" and doc["runs"][0]["results"]
    elif fmt in ("json", "gitlab"):
        items = json.loads(out)
        assert isinstance(items, list) and items
    else:  # pragma: no cover
        raise AssertionError(f"unknown format {fmt}")


def test_every_tasklint_command_runs(tmp_path: Path) -> None:
    assert len(COMMANDS) >= 10
    work = tmp_path / "sample"
    shutil.copytree(FIXTURES / "sample_project", work)
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    env.pop("NO_COLOR", None)
    for command in COMMANDS:
        argv = shlex.split(command)[1:]
        argv = ["." if a == "fixtures/sample_project" else a for a in argv]
        redirect = None
        if ">" in argv:
            redirect = work / argv[argv.index(">") + 1]
            argv = argv[: argv.index(">")]
        result = subprocess.run(
            [sys.executable, "-m", "tasklint", *argv],
            cwd=work,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        assert result.returncode in (0, 1), f"{command}: {result.returncode}\n{result.stderr}"
        assert "Traceback" not in result.stderr, command
        if "--exit-zero" in argv or "--write-baseline" in argv:
            assert result.returncode == 0, command
        if "--baseline" in argv:
            # right after writing the baseline, nothing is new
            assert (result.returncode, result.stdout) == (0, ""), command
            continue
        if "--write-baseline" in argv:
            baseline = work / argv[argv.index("--write-baseline") + 1]
            assert len(json.loads(baseline.read_text(encoding="utf-8"))["findings"]) == 4
            continue
        if redirect is not None:
            redirect.write_text(result.stdout, encoding="utf-8")
        _check_output(argv, result.stdout)


def test_toml_example_is_a_valid_configuration() -> None:
    tomls = blocks("toml")
    assert tomls
    for body in tomls:
        table = tomllib.loads(body)["tool"]["tasklint"]
        settings = parse_settings(table, "README")
        assert settings.task_decorators and settings.visibility_timeout


def test_yaml_snippets_parse() -> None:
    yaml = pytest.importorskip("yaml")
    snippets = blocks("yaml")
    assert len(snippets) >= 4
    for body in snippets:
        yaml.safe_load(body)
    hooks = yaml.safe_load(snippets[0])["repos"][0]["hooks"]
    manifest = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    assert {h["id"] for h in hooks} <= {h["id"] for h in manifest}


def test_flake8_snippet_reports_the_same_findings(tmp_path: Path) -> None:
    pytest.importorskip("flake8")
    commands = [
        line.strip()
        for body in blocks("sh")
        for line in body.splitlines()
        if line.strip().startswith("flake8 ")
    ]
    assert commands
    work = tmp_path / "sample"
    shutil.copytree(FIXTURES / "sample_project", work)
    for command in commands:
        result = subprocess.run(
            [sys.executable, "-m", "flake8", *shlex.split(command)[1:]],
            cwd=work,
            env={**os.environ, "PYTHONPATH": str(SRC)},
            capture_output=True,
            text=True,
            check=False,
        )
        assert result.returncode == 1, result.stderr
        codes = sorted(line.split()[1] for line in result.stdout.splitlines())
        assert codes == ["TQ101", "TQ109", "TQ201", "TQ508"]
