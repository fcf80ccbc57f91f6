"""The run record (tasklint/runrecord.py): a warm run answered from it reports exactly what
a run without any cache reports; any change to what the run read, and any damage to the
record (it lies inside the repository), makes it a miss."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tasklint import cli, engine, inputs, runrecord
from tasklint.project import cache as facts_cache
from tests.support.runner import FIXTURES

TASK_WITH_FINDING = (
    "from celery import shared_task\n\n\n@shared_task(max_retry=5)\ndef other(x):\n    return x\n"
)


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "sample"
    # a checkout where someone ran tasklint on the sample has its cache: not copied
    shutil.copytree(
        FIXTURES / "sample_project", root, ignore=shutil.ignore_patterns(".tasklint_cache")
    )
    (root / "Procfile").write_text("worker: celery -A shop worker\n", encoding="utf-8")
    extra = root / "shop" / "extra"
    extra.mkdir()
    (extra / "__init__.py").write_text("", encoding="utf-8")
    (extra / "jobs.py").write_text(TASK_WITH_FINDING, encoding="utf-8")
    # the files were written a moment ago: with the real margin every one is racy and a
    # pyproject.toml read in the margin is never recorded; the tests change files after
    # the run that records them, which no margin is needed to see
    monkeypatch.setattr(runrecord, "MARGIN_NS", 0)
    monkeypatch.chdir(root)
    return root


class Runs:
    """Counts the runs that went the normal way (lint_paths called)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.normal = 0
        real = engine.lint_paths

        def counted(*args: Any, **kwargs: Any) -> engine.RunResult:
            self.normal += 1
            return real(*args, **kwargs)

        monkeypatch.setattr(engine, "lint_paths", counted)

    def run(self, capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
        capsys.readouterr()
        status = cli.main(["--format", "json", *argv] + ([] if "--" in argv else ["."]))
        return status, capsys.readouterr().out

    def answered_from_record(self, capsys: pytest.CaptureFixture[str], *argv: str) -> bool:
        """Run, and check the findings equal a run without cache; True when the run was
        answered from the record."""
        before = self.normal
        got = self.run(capsys, *argv)
        normal = self.normal != before
        fresh = self.run(capsys, "--no-cache", *argv)
        assert got == fresh
        return not normal


@pytest.fixture
def runs(monkeypatch: pytest.MonkeyPatch) -> Runs:
    return Runs(monkeypatch)


def _record(root: Path) -> Path:
    found = [
        p
        for p in sorted((root / ".tasklint_cache").glob("run-*.json"))
        if not p.name.endswith(runrecord.FINDINGS_SUFFIX)
    ]
    assert len(found) == 1, found
    return found[0]


def test_cache_directory_agrees_with_the_facts_cache() -> None:
    assert runrecord.CACHE_DIR == facts_cache.CACHE_DIR


def test_a_warm_run_is_answered_from_the_record(
    project: Path, runs: Runs, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out = runs.run(capsys)  # writes the cache and the record
    assert status == 1 and json.loads(out)
    assert not runs.answered_from_record(capsys, "--select", "TQ1")  # other arguments
    assert runs.answered_from_record(capsys)
    assert runs.answered_from_record(capsys, "--select", "TQ1")
    # the rest of the report is made afresh: exit status, statistics, formats, baseline
    status, _ = runs.run(capsys, "--exit-zero")
    assert status == 0
    capsys.readouterr()
    assert cli.main(["--statistics", "."]) == 1
    text = capsys.readouterr().out
    assert cli.main(["--statistics", "--no-cache", "."]) == 1
    assert capsys.readouterr().out == text
    assert cli.main(["--write-baseline", "base.json", "."]) == 0
    assert cli.main(["--baseline", "base.json", "."]) == 0


def test_no_cache_neither_reads_nor_writes_a_record(
    project: Path, runs: Runs, capsys: pytest.CaptureFixture[str]
) -> None:
    runs.run(capsys, "--no-cache")
    assert not (project / ".tasklint_cache").exists()
    runs.run(capsys)
    runs.run(capsys)
    before = runs.normal
    runs.run(capsys, "--no-cache")
    assert runs.normal == before + 1


def _add_file(root: Path) -> None:
    (root / "shop" / "more.py").write_text(TASK_WITH_FINDING, encoding="utf-8")


def _remove_file(root: Path) -> None:
    (root / "shop" / "extra" / "jobs.py").unlink()


def _rename_file(root: Path) -> None:
    (root / "shop" / "extra" / "jobs.py").rename(root / "shop" / "extra" / "renamed.py")


def _edit_same_size_and_mtime(root: Path) -> None:
    path = root / "shop" / "extra" / "jobs.py"
    st = path.stat()
    text = path.read_text(encoding="utf-8").replace("max_retry=5", "max_retries=5"[:11])
    assert len(text) == st.st_size
    path.write_text(text, encoding="utf-8")
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))


def _edit_config(root: Path) -> None:
    path = root / "pyproject.toml"
    path.write_text(path.read_text(encoding="utf-8") + 'ignore = ["TQ1"]\n', encoding="utf-8")


def _edit_deployment(root: Path) -> None:
    (root / "Procfile").write_text("worker: celery -A shop.celery worker\n", encoding="utf-8")


def _new_directory(root: Path) -> None:
    (root / "shop" / "fresh").mkdir()
    (root / "shop" / "fresh" / "__init__.py").write_text("", encoding="utf-8")
    (root / "shop" / "fresh" / "jobs.py").write_text(TASK_WITH_FINDING, encoding="utf-8")


def _delete_directory(root: Path) -> None:
    shutil.rmtree(root / "shop" / "extra")


def _new_nested_project(root: Path) -> None:
    (root / "shop" / "extra" / "pyproject.toml").write_text(
        '[tool.tasklint]\nignore = ["TQ1"]\n', encoding="utf-8"
    )


def _package_becomes_plain(root: Path) -> None:
    (root / "shop" / "extra" / "__init__.py").unlink()


@pytest.mark.parametrize(
    "change",
    [
        _add_file,
        _remove_file,
        _rename_file,
        _edit_same_size_and_mtime,
        _edit_config,
        _edit_deployment,
        _new_directory,
        _delete_directory,
        _new_nested_project,
        _package_becomes_plain,
    ],
)
def test_a_change_is_a_miss(
    project: Path, runs: Runs, capsys: pytest.CaptureFixture[str], change: Callable[[Path], None]
) -> None:
    runs.run(capsys)
    assert runs.answered_from_record(capsys)
    _, before = runs.run(capsys)
    change(project)
    assert not runs.answered_from_record(capsys)
    _, after = runs.run(capsys)
    if change is not _edit_deployment:  # (a Procfile the sample's findings do not use)
        assert after != before
    assert runs.answered_from_record(capsys)  # the new record


def test_a_touched_file_is_unchanged(
    project: Path, runs: Runs, capsys: pytest.CaptureFixture[str]
) -> None:
    runs.run(capsys)
    path = project / "shop" / "tasks.py"
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 10**9))
    assert runs.answered_from_record(capsys)
    files = json.loads(_record(project).read_text())["files"]
    row = files["rel"].index("shop/tasks.py")
    assert files["mtime"][row] == path.stat().st_mtime_ns  # the record holds the new stamp
    assert runs.answered_from_record(capsys)


def test_explicit_files_and_nested_projects(
    project: Path, runs: Runs, capsys: pytest.CaptureFixture[str]
) -> None:
    _new_nested_project(project)
    for argv in ([], ["--", "shop/tasks.py", "shop/extra/jobs.py"]):
        runs.run(capsys, *argv)
        assert runs.answered_from_record(capsys, *argv)
    (project / "shop" / "extra" / "pyproject.toml").write_text(
        "[tool.tasklint]\n", encoding="utf-8"
    )
    assert not runs.answered_from_record(capsys, "--", "shop/tasks.py", "shop/extra/jobs.py")


def test_racy_entries_are_checked_by_their_content(
    project: Path, runs: Runs, capsys: pytest.CaptureFixture[str]
) -> None:
    runs.run(capsys)
    path = _record(project)
    data = json.loads(path.read_text())
    # a file whose stamp is what the record holds but whose bytes changed in the same
    # clock tick: racy when recorded, so its bytes decide
    target = project / "shop" / "extra" / "jobs.py"
    target.write_text(TASK_WITH_FINDING.replace("other", "olden"), encoding="utf-8")
    st = target.stat()
    files = data["files"]
    row = files["rel"].index("shop/extra/jobs.py")
    files["mtime"][row], files["size"][row], files["ctime"][row] = (
        st.st_mtime_ns,
        st.st_size,
        st.st_ctime_ns,
    )
    files["racy"][row] = 1
    path.write_text(json.dumps(data))
    assert not runs.answered_from_record(capsys)
    # a directory recorded by what it lists (racy when recorded): a new name is a miss,
    # the same listing a hit
    runs.run(capsys)
    data = json.loads(path.read_text())
    dirs = data["dirs"]
    row = dirs["rel"].index("shop")
    for column in dirs.values():
        del column[row]
    data["listings"].append(["shop", inputs.listing_now(str(project / "shop"))])
    path.write_text(json.dumps(data))
    assert runs.answered_from_record(capsys)
    (project / "shop" / "README").write_text("x", encoding="utf-8")  # not Python, still new
    assert not runs.answered_from_record(capsys)


def test_files_changed_within_the_margin_are_racy(
    project: Path, runs: Runs, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(runrecord, "MARGIN_NS", 3_000_000_000)
    (project / "pyproject.toml").touch()
    runs.run(capsys)
    # a pyproject.toml changed a moment ago: its digest, taken now, may not be the bytes
    # the run read; no record
    assert not list((project / ".tasklint_cache").glob("run-*.json"))
    os.utime(project / "pyproject.toml", ns=(0, 0))
    monkeypatch.setattr(runrecord, "MARGIN_NS", 0)
    runs.run(capsys)
    monkeypatch.setattr(runrecord, "MARGIN_NS", 3_000_000_000)
    # now written with the real margin: the Python files just written are racy (their
    # bytes are checked on use), still answered from the record
    assert not any(json.loads(_record(project).read_text())["files"]["racy"])
    path = project / "shop" / "tasks.py"
    path.write_bytes(path.read_bytes())
    runs.run(capsys)
    files = json.loads(_record(project).read_text())["files"]
    assert files["racy"][files["rel"].index("shop/tasks.py")] == 1
    assert runs.answered_from_record(capsys)


def _damage(name: str) -> Callable[[dict[str, Any]], object]:
    def files(data: dict[str, Any], rel: object) -> dict[str, Any]:
        data["files"]["rel"][0] = rel
        return data

    def dirs(data: dict[str, Any], rel: object) -> dict[str, Any]:
        data["dirs"]["rel"][0] = rel
        return data

    def finding(data: dict[str, Any], column: int, value: object) -> dict[str, Any]:
        data["findings"][column][0] = value
        return data

    table: dict[str, Callable[[dict[str, Any]], object]] = {
        "not json": lambda d: "{not json",
        "a list": lambda d: [d],
        "another format": lambda d: {**d, "format": runrecord.RECORD_FORMAT + 1},
        "another key": lambda d: {**d, "key": "0" * 32},
        "a missing field": lambda d: {k: v for k, v in d.items() if k != "probes"},
        "a short column": lambda d: {**d, "files": {**d["files"], "racy": []}},
        "a listing outside": lambda d: {**d, "listings": [["..", "0" * 32]]},
        "an empty file path": lambda d: files(d, ""),
        "a path above the root": lambda d: files(d, "../outside.py"),
        "an absolute path": lambda d: files(d, "/etc/passwd"),
        "a control character": lambda d: files(d, "shop/\x1b[2Jtasks.py"),
        "a directory outside": lambda d: dirs(d, "../.."),
        "a number as path": lambda d: files(d, 7),
        "a probe out of range": lambda d: {**d, "probes": [[999, ".git", None, ""]]},
        "a probe of another name": lambda d: {**d, "probes": [[1, "passwd", None, ""]]},
        "an unknown code": lambda d: finding(d, 3, "TQ999"),
        "a bool as line": lambda d: finding(d, 1, True),
        "line zero": lambda d: finding(d, 1, 0),
        "a list as message": lambda d: finding(d, 4, ["x"]),
        "a bad fix": lambda d: finding(d, 9, [[["a"]], True, "x"]),
        "short columns": lambda d: {**d, "findings": [c[:1] for c in d["findings"]][:9]},
        "findings of another record": lambda d: {**d, "findings": d["findings"], "stale": 1},
        "negative file count": lambda d: {**d, "result": {**d["result"], "files": -1}},
        "deep nesting": lambda d: "[" * 100_000,
    }
    return table[name]


@pytest.mark.parametrize(
    "damage",
    [
        "not json",
        "a list",
        "another format",
        "another key",
        "a missing field",
        "a short column",
        "a listing outside",
        "an empty file path",
        "a path above the root",
        "an absolute path",
        "a control character",
        "a directory outside",
        "a number as path",
        "a probe out of range",
        "a probe of another name",
        "an unknown code",
        "a bool as line",
        "line zero",
        "a list as message",
        "a bad fix",
        "short columns",
        "findings of another record",
        "negative file count",
        "deep nesting",
    ],
)
def test_a_damaged_record_is_a_miss(
    project: Path, runs: Runs, capsys: pytest.CaptureFixture[str], damage: str
) -> None:
    runs.run(capsys)
    path = _record(project)
    found = path.with_name(path.name[: -len(".json")] + runrecord.FINDINGS_SUFFIX)
    # the findings (in their own file) damaged with the record's digest of them made to
    # agree: what they hold is checked, not only that they are the record's
    token, columns = json.loads(found.read_text())
    data = {**json.loads(path.read_text()), "findings": columns}
    damaged = _damage(damage)(data)
    if isinstance(damaged, dict) and "findings" in damaged:
        stale = damaged.pop("stale", None)
        found.write_text(json.dumps(["another" if stale else token, damaged.pop("findings")]))
    elif isinstance(damaged, list):
        damaged[0].pop("findings")
    path.write_text(damaged if isinstance(damaged, str) else json.dumps(damaged))
    assert not runs.answered_from_record(capsys)
    assert runs.answered_from_record(capsys)  # the record written again


def test_a_record_of_another_version_is_not_read(
    project: Path, runs: Runs, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    runs.run(capsys)
    assert runs.answered_from_record(capsys)
    import tasklint

    monkeypatch.setattr(tasklint, "__version__", "0.0.0-other")
    assert not runs.answered_from_record(capsys)


def test_a_record_behind_a_link_is_not_read(
    project: Path, runs: Runs, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    runs.run(capsys)
    path = _record(project)
    elsewhere = tmp_path / "elsewhere.json"
    shutil.move(str(path), elsewhere)
    path.symlink_to(elsewhere)
    assert not runs.answered_from_record(capsys)


@pytest.mark.parametrize("rel", ["a", "a/b.py", ".hidden/x.py", "a/.b", "...", "a/..b", ""])
def test_paths_the_record_may_hold(rel: str) -> None:
    assert runrecord._rel_ok(rel)
    assert runrecord._rels_ok(["x", rel, "y/z"], empty=True)


@pytest.mark.parametrize(
    "rel",
    [
        *("/a", "a/", "a//b", ".", "..", "a/./b", "a/../b", "../a", "a/.", "a/..", "/"),
        *("a\x00b", "a\nb", "a\x1b[2J", "a\x7f"),
    ],
)
def test_paths_the_record_never_holds(rel: str) -> None:
    assert not runrecord._rel_ok(rel)
    assert not runrecord._rels_ok(["x", rel, "y/z"], empty=True)


def test_fix_and_diff_never_answer_from_the_record(
    project: Path, runs: Runs, capsys: pytest.CaptureFixture[str]
) -> None:
    runs.run(capsys)
    assert runs.answered_from_record(capsys)
    before = runs.normal
    capsys.readouterr()
    cli.main(["--diff", "--unsafe-fixes", "."])
    assert "max_retries" in capsys.readouterr().out  # the diff, computed
    cli.main(["--fix", "--unsafe-fixes", "."])
    assert runs.normal > before
    assert "max_retries" in (project / "shop" / "tasks.py").read_text(encoding="utf-8")
    assert not runs.answered_from_record(capsys)  # the fix changed a file


def test_a_warning_while_planning_writes_no_record(
    project: Path, runs: Runs, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (project / "shop" / "linked").symlink_to(outside, target_is_directory=True)
    capsys.readouterr()
    cli.main(["--format", "json", "shop/linked", "shop"])
    assert "skipping" in capsys.readouterr().err
    before = runs.normal
    cli.main(["--format", "json", "shop/linked", "shop"])
    assert "skipping" in capsys.readouterr().err  # said again: not answered from a record
    assert runs.normal == before + 1


def test_a_fifo_in_place_of_the_record_is_a_miss(
    project: Path, runs: Runs, capsys: pytest.CaptureFixture[str]
) -> None:
    runs.run(capsys)
    path = _record(project)
    path.unlink()
    os.mkfifo(path)  # opening it for reading would wait for a writer
    assert not runs.answered_from_record(capsys)


def test_a_temporary_file_left_by_an_interrupted_run_is_removed(
    project: Path, runs: Runs, capsys: pytest.CaptureFixture[str]
) -> None:
    runs.run(capsys)
    cache = project / ".tasklint_cache"
    old, fresh = cache / ".run-left.tmp", cache / ".run-writing.tmp"
    old.write_text("{", encoding="utf-8")
    fresh.write_text("{", encoding="utf-8")
    os.utime(old, ns=(0, 0))
    (project / "shop" / "tasks.py").write_text("\n", encoding="utf-8")  # a new record
    runs.run(capsys)
    assert not old.exists() and fresh.exists()
