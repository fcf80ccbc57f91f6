"""The fast path loses no finding: every textual gate is a speed-up, never a verdict.

A cold run skips work by looking at a file's text first: a file no rule's gate accepts is
not parsed a second time for the rules, a rule whose gate rejects a file does not walk its
tree, and a fact collector whose marker words are absent records nothing. Each test lints
twice, once as a user's run does and once with every gate open (every file parsed for the
rules, every rule run on every tree, every collector run on every module), and compares
the findings: on every fixture (single files and projects) and on a generated project.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tasklint.config import Settings, load_settings, parse_settings
from tasklint.engine import Linter, lint_paths
from tasklint.rules import ALL_RULES
from tasklint.syntax.names import NameResolver
from tests.support import expectations
from tests.support.runner import (
    FIXTURES,
    REPO,
    project_fixtures,
    single_file_fixtures,
)

EVERY_CODE = tuple(sorted(ALL_RULES))

Row = tuple[str, int, int, str, str]


def _open_gates(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Open every gate; returns the list of files the rules pass parsed (filled as it goes)."""
    parsed: list[str] = []

    def every_rule(self: Linter, source: str) -> list[object]:
        parsed.append(source)
        return list(self.tree_rules)

    monkeypatch.setattr(Linter, "active_rules", every_rule)
    # rules that need a module to import a package (Rule.packages) run on every module too
    monkeypatch.setattr(Linter, "_importing", lambda self, active, path: active)
    # collectors skip a module whose text lacks their marker words (``resolver.source``):
    # they see the text with every marker word appended (the tree is parsed from the file)
    monkeypatch.setattr(NameResolver, "source", _WithEveryMarker(), raising=False)
    return parsed


def _every_marker() -> str:
    """Text holding every word a fact collector looks for before walking a module."""
    from tasklint.project.collectors import arq, task_refs, worker_imports, wrappers

    words = [*arq.MARKER_WORDS, *task_refs.MARKERS, *worker_imports.MARKERS, *wrappers.MARKERS]
    # the collectors that name their words inline (celery_config, django_db,
    # dynamic_globals, signal_connections, worker_imports' app configs, class_annotations)
    words += ["config_from_object", "autodiscover_tasks", "ATOMIC_REQUESTS", "__name__"]
    words += ["globals()", ".connect(", "get_app_configs"]
    return "\n# " + " ".join(words) + "\n    self.x: int\n"


class _WithEveryMarker:
    """``NameResolver.source`` with every marker appended (None stays None: no text)."""

    marker = _every_marker()

    def __get__(self, resolver: object, owner: object = None) -> str | None:
        text = vars(resolver).get("_source_as_given") if resolver is not None else None
        return None if text is None else text + self.marker

    def __set__(self, resolver: object, value: str | None) -> None:
        vars(resolver)["_source_as_given"] = value


def _rows(findings: list[object]) -> list[Row]:
    return [(f.path, f.line, f.col, f.code, f.message) for f in findings]  # type: ignore[attr-defined]


def _lint_folder(folder: Path, settings: Settings) -> list[Row]:
    result = lint_paths([folder], settings, use_cache=False, base=folder, root=folder)
    return _rows(result.findings)


def _lint_file(path: Path, settings: Settings) -> list[Row]:
    result = lint_paths(
        [path], settings, use_cache=False, base=path.parent, root=path.parent, project_files=[path]
    )
    return _rows(result.findings)


def _compare(
    monkeypatch: pytest.MonkeyPatch, run: object, *args: object
) -> tuple[list[Row], list[str]]:
    gated = run(*args)  # type: ignore[operator]
    with monkeypatch.context() as patch:
        parsed = _open_gates(patch)
        full = run(*args)  # type: ignore[operator]
    assert full == gated, "\n".join(
        ["findings differ with every gate open:"]
        + [f"  only gated: {r}" for r in gated if r not in full]
        + [f"  only full:  {r}" for r in full if r not in gated]
    )
    return gated, parsed


@pytest.mark.parametrize(
    "path", single_file_fixtures(), ids=lambda p: p.relative_to(FIXTURES).as_posix()
)
def test_single_file_fixture_same_with_every_gate_open(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    exp = expectations.parse(path.read_text(encoding="utf-8"))
    if exp.min_python and sys.version_info < exp.min_python:
        pytest.skip(f"needs Python {exp.min_python}")
    settings = parse_settings(exp.config, "fixture") if exp.config else Settings()
    settings = settings.with_overrides(select=EVERY_CODE)
    _compare(monkeypatch, _lint_file, path, settings)


@pytest.mark.parametrize(
    "folder", project_fixtures(), ids=lambda p: p.relative_to(FIXTURES).as_posix()
)
def test_project_fixture_same_with_every_gate_open(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = load_settings(folder).with_overrides(select=EVERY_CODE)
    _compare(monkeypatch, _lint_folder, folder, settings)


def test_generated_project_same_with_every_gate_open(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A generated Django + Celery project (models, services, tasks, settings, enqueues in
    and out of transactions): the gates skip most of its files, and lose nothing."""
    sys.path.insert(0, str(REPO / "benchmarks"))
    try:
        from generate import generate  # type: ignore[import-not-found]
    finally:
        sys.path.remove(str(REPO / "benchmarks"))
    folder = tmp_path / "generated"
    generate(folder, 40, seed=11)
    settings = load_settings(folder).with_overrides(select=EVERY_CODE)
    gated, parsed = _compare(monkeypatch, _lint_folder, folder, settings)
    files = sum(1 for _ in folder.rglob("*.py"))
    assert len(parsed) == files  # with the gates open, the rules pass parsed every file
    codes = {row[3] for row in gated}
    # the comparison means something only if the project has findings of several rules
    assert {"TQ201", "TQ203"} <= codes, codes


def test_a_rule_whose_package_a_module_does_not_import_does_not_parse_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """TQ110 (Rule.packages: dramatiq) passes the textual gate of a Celery task's
    ``time_limit=`` but finds nothing in a module that does not import Dramatiq: the rules
    pass does not parse that module for it, and still parses and flags a Dramatiq one."""
    import tasklint.engine as engine

    (tmp_path / "celery_tasks.py").write_text(
        "from celery import shared_task\n\n\n@shared_task(time_limit=60)\ndef t():\n    pass\n"
    )
    (tmp_path / "actors.py").write_text(
        "import dramatiq\n\n\n@dramatiq.actor(time_limit=60)\ndef a():\n    pass\n"
    )
    parsed: list[str] = []
    real = engine.parse_source

    def counting(source: str, filename: str) -> object:
        parsed.append(Path(filename).name)
        return real(source, filename)

    monkeypatch.setattr(engine, "parse_source", counting)
    settings = Settings().with_overrides(select=("TQ110",))
    result = lint_paths([tmp_path], settings, use_cache=False, base=tmp_path, root=tmp_path)
    assert [(f.path, f.code) for f in result.findings] == [("actors.py", "TQ110")]
    assert parsed == ["actors.py"]
