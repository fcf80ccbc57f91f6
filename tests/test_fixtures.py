"""THE fixture test: every annotated fixture, single files and project folders."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tests.support import expectations
from tests.support.runner import (
    FIXTURES,
    lint_project,
    lint_single,
    project_fixtures,
    single_file_fixtures,
)


def _report(kind: str, items: set[tuple[str, int, str]], sources: dict[str, list[str]]) -> str:
    out = [f"{kind}:"]
    for path, line, code in sorted(items):
        lines = sources.get(path, [])
        text = lines[line - 1].strip() if 0 < line <= len(lines) else ""
        out.append(f"  {path}:{line}: {code}    {text}")
    return "\n".join(out)


def _compare(
    found: set[tuple[str, int, str]],
    files: dict[str, expectations.Expectations],
    sources: dict[str, list[str]],
) -> None:
    expected = {(p, line, code) for p, exp in files.items() for line, code in exp.expected}
    forbidden = {
        (p, line, code) for p, exp in files.items() for line, code in exp.oks | exp.todo_errors
    }
    missing = expected - found
    unexpected = (found - expected) | (found & forbidden)
    if missing or unexpected:
        msg = [_report("missing", missing, sources), _report("unexpected", unexpected, sources)]
        pytest.fail("\n".join(msg), pytrace=False)


@pytest.mark.parametrize(
    "path", single_file_fixtures(), ids=lambda p: p.relative_to(FIXTURES).as_posix()
)
def test_single_file_fixture(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    exp = expectations.parse(text)
    if exp.min_python and sys.version_info < exp.min_python:
        pytest.skip(f"needs Python {exp.min_python}")
    assert exp.count > 0, f"{path.name} has no annotations"
    findings = lint_single(path, exp.config, exp.codes)
    found = {(f.path, f.line, f.code) for f in findings}
    _compare(found, {path.name: exp}, {path.name: text.splitlines()})


@pytest.mark.parametrize(
    "folder", project_fixtures(), ids=lambda p: p.relative_to(FIXTURES).as_posix()
)
def test_project_fixture(folder: Path) -> None:
    files: dict[str, expectations.Expectations] = {}
    sources: dict[str, list[str]] = {}
    for path in sorted(folder.rglob("*.py")):
        rel = path.relative_to(folder).as_posix()
        text = path.read_text(encoding="utf-8")
        files[rel] = expectations.parse(text)
        sources[rel] = text.splitlines()
    assert sum(e.count for e in files.values()) > 0, f"{folder.name} has no annotations"
    codes = set().union(*(e.codes for e in files.values()))
    findings = lint_project(folder, codes)
    found = {(f.path, f.line, f.code) for f in findings}
    _compare(found, files, sources)
