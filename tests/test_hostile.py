"""Hostile input: every case gets a clear finding or message, the right exit status, no
traceback, and the other files' findings are all still reported.

Each test copies a fixture project that has findings, adds one hostile thing, and runs
the real command line in a subprocess (the in-process variant only where a subprocess
cannot set the situation up).
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

import tasklint

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "projects" / "django_split_settings"
SRC = str(Path(tasklint.__file__).resolve().parents[1])
TASKS = "shop/tasks.py"


def run(
    cwd: Path, *args: str, cache: bool = False, wait: bool = True
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": SRC, "NO_COLOR": "1"}
    env.pop("TASKLINT_DEBUG", None)
    argv = [sys.executable, "-m", "tasklint", "--format", "json"]
    if not cache:
        argv.append("--no-cache")
    return subprocess.run(
        [*argv, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300
    )


def findings(proc: subprocess.CompletedProcess[str]) -> list[dict[str, Any]]:
    assert "Traceback" not in proc.stderr, proc.stderr
    data: list[dict[str, Any]] = json.loads(proc.stdout)
    return data


def keyed(items: list[dict[str, Any]]) -> set[tuple[str, int, str]]:
    return {(f["path"], f["line"], f["code"]) for f in items}


@pytest.fixture
def project(tmp_path: Path) -> Path:
    target = tmp_path / "proj"
    shutil.copytree(FIXTURE, target)
    return target


@pytest.fixture
def baseline(project: Path) -> set[tuple[str, int, str]]:
    proc = run(project, ".")
    assert proc.returncode == 1, proc.stderr
    found = keyed(findings(proc))
    assert any(f[0] == TASKS for f in found)
    return found


def lint_with(project: Path, *args: str) -> tuple[int, set[tuple[str, int, str]], list[Any]]:
    proc = run(project, *(args or (".",)))
    items = findings(proc)
    return proc.returncode, keyed(items), items


def only(items: list[dict[str, Any]], filename: str) -> list[dict[str, Any]]:
    return [f for f in items if f["path"] == filename]


def same_findings_as_tasks(
    found: set[tuple[str, int, str]], name: str, shift: int = 0
) -> set[tuple[str, int, str]]:
    return {(name, line + shift, code) for f, line, code in found if f == TASKS}


def test_invalid_utf8(project: Path, baseline: set[tuple[str, int, str]]) -> None:
    (project / "shop" / "bad.py").write_bytes(b'x = "caf\xe9"\n')
    status, found, items = lint_with(project)
    assert status == 1 and baseline <= found
    (bad,) = only(items, "shop/bad.py")
    assert bad["code"] == "TQ001" and "cannot decode" in bad["message"]
    assert str(project) not in bad["message"]


def test_nul_byte(project: Path, baseline: set[tuple[str, int, str]]) -> None:
    (project / "shop" / "nul.py").write_bytes(b"x = 1\x00\n")
    status, found, items = lint_with(project)
    assert status == 1 and baseline <= found
    (bad,) = only(items, "shop/nul.py")
    assert bad["code"] == "TQ001" and "null" in bad["message"]


def test_bom_file_is_checked_like_any_other(
    project: Path, baseline: set[tuple[str, int, str]]
) -> None:
    source = (project / TASKS).read_bytes()
    (project / "shop" / "bom.py").write_bytes(b"\xef\xbb\xbf" + source)
    status, found, _ = lint_with(project)
    assert status == 1 and baseline <= found
    assert same_findings_as_tasks(baseline, "shop/bom.py") <= found


def test_encoding_cookie(project: Path, baseline: set[tuple[str, int, str]]) -> None:
    source = (project / TASKS).read_text(encoding="utf-8")
    text = "# -*- coding: latin-1 -*-\nLABEL = 'caf\xe9'\n" + source
    (project / "shop" / "latin.py").write_bytes(text.encode("latin-1"))
    status, found, items = lint_with(project)
    assert status == 1 and baseline <= found
    assert same_findings_as_tasks(baseline, "shop/latin.py", shift=2) <= found
    assert not [f for f in only(items, "shop/latin.py") if f["code"] == "TQ001"]


def test_crlf_line_ends(project: Path, baseline: set[tuple[str, int, str]]) -> None:
    source = (project / TASKS).read_bytes().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    (project / "shop" / "crlf.py").write_bytes(source)
    status, found, _ = lint_with(project)
    assert status == 1 and baseline <= found
    assert same_findings_as_tasks(baseline, "shop/crlf.py") <= found


def test_empty_file(project: Path, baseline: set[tuple[str, int, str]]) -> None:
    (project / "shop" / "empty.py").write_bytes(b"")
    status, found, _ = lint_with(project)
    assert status == 1 and found == baseline


def test_five_megabyte_file(project: Path, baseline: set[tuple[str, int, str]]) -> None:
    source = (project / TASKS).read_text(encoding="utf-8")
    filler = "".join(f"VALUE_{i} = {{'key': {i}, 'name': 'item-{i}'}}\n" for i in range(130_000))
    assert len(filler) > 5_000_000
    (project / "shop" / "huge.py").write_text(filler + source, encoding="utf-8")
    status, found, _ = lint_with(project)
    assert status == 1 and baseline <= found
    assert same_findings_as_tasks(baseline, "shop/huge.py", shift=130_000) <= found


def test_deep_nesting_hits_recursion_limit(
    project: Path, baseline: set[tuple[str, int, str]]
) -> None:
    (project / "shop" / "deep.py").write_text("x = " + "1 + " * 200_000 + "1\n")
    # deep but parseable: the rules' own recursion must not take the run down either
    (project / "shop" / "deepish.py").write_text("x = " + "1 + " * 950 + "1\n")
    status, found, items = lint_with(project)
    assert status == 1 and baseline <= found
    (deep,) = only(items, "shop/deep.py")
    assert deep["code"] == "TQ001" and "too deeply nested" in deep["message"]
    assert all(f["code"] in ("TQ001", "TQ002") for f in only(items, "shop/deepish.py"))


def test_python2_syntax(project: Path, baseline: set[tuple[str, int, str]]) -> None:
    (project / "shop" / "old.py").write_text('print "hello"\nexec "x = 1"\n')
    status, found, items = lint_with(project)
    assert status == 1 and baseline <= found
    (old,) = only(items, "shop/old.py")
    assert old["code"] == "TQ001" and old["line"] == 1
    assert "syntax error" in old["message"]


def test_symlink_loop(project: Path, baseline: set[tuple[str, int, str]]) -> None:
    os.symlink("loop_b.py", project / "shop" / "loop_a.py")
    os.symlink("loop_a.py", project / "shop" / "loop_b.py")
    os.symlink("..", project / "shop" / "parent")  # a directory loop for the walk
    status, found, _ = lint_with(project)
    assert status == 1 and found == baseline  # nothing to read in the walk: skipped
    status, found, items = lint_with(project, "shop/loop_a.py", TASKS)
    assert status == 1
    (loop,) = only(items, "shop/loop_a.py")
    assert loop["code"] == "TQ001" and "cannot read" in loop["message"]
    assert same_findings_as_tasks(baseline, TASKS) <= found


def test_unreadable_file(
    project: Path,
    baseline: set[tuple[str, int, str]],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    secret = project / "shop" / "secret.py"
    secret.write_text("x = 1\n")
    secret.chmod(0)
    try:
        if os.geteuid() != 0:
            status, found, items = lint_with(project)
        else:
            # root reads anything: refuse the read in-process instead
            import builtins
            import io
            import tokenize

            real_open = builtins.open
            refused = secret.resolve()

            def refusing_open(file: Any, *args: Any, **kwargs: Any) -> Any:
                if isinstance(file, (str, Path)) and Path(file).resolve() == refused:
                    raise PermissionError(13, "Permission denied", str(file))
                return real_open(file, *args, **kwargs)

            monkeypatch.setattr(builtins, "open", refusing_open)
            monkeypatch.setattr(io, "open", refusing_open)
            monkeypatch.setattr(tokenize, "_builtin_open", refusing_open)
            monkeypatch.chdir(project)
            from tasklint.cli import main

            status = main(["--no-cache", "--format", "json", "--jobs", "1", "."])
            out, err = capsys.readouterr()
            assert "Traceback" not in err
            items = json.loads(out)
            found = keyed(items)
    finally:
        secret.chmod(0o644)
    assert status == 1 and baseline <= found
    (bad,) = only(items, "shop/secret.py")
    assert bad["code"] == "TQ001" and "Permission denied" in bad["message"]


def test_directory_named_like_a_module(project: Path, baseline: set[tuple[str, int, str]]) -> None:
    weird = project / "shop" / "weird.py"
    weird.mkdir()
    (weird / "inner.py").write_text("x = 1\n")
    status, found, _ = lint_with(project)
    assert status == 1 and found == baseline
    status, found, _ = lint_with(project, "shop/weird.py", TASKS)
    assert status == 1 and found == same_findings_as_tasks(baseline, TASKS)


def test_non_python_file_passed_explicitly(
    project: Path, baseline: set[tuple[str, int, str]]
) -> None:
    (project / "notes.txt").write_text("just some notes\n")
    proc = run(project, "notes.txt", TASKS)
    assert proc.returncode == 1
    assert "skipping notes.txt: not a Python source file" in proc.stderr
    assert keyed(findings(proc)) == same_findings_as_tasks(baseline, TASKS)
    proc = run(project, "notes.txt")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "none of the given paths is Python source" in proc.stderr


def test_invalid_toml_pyproject(project: Path) -> None:
    (project / "pyproject.toml").write_text("[tool.tasklint\nselect = [\n")
    proc = run(project, ".")
    assert proc.returncode == 2
    assert "not valid TOML" in proc.stderr and "pyproject.toml" in proc.stderr
    assert "Traceback" not in proc.stderr and proc.stdout == ""


def test_cache_directory_that_is_a_file(project: Path, baseline: set[tuple[str, int, str]]) -> None:
    (project / ".tasklint_cache").write_text("not a directory\n")
    for _ in range(2):
        proc = run(project, ".", cache=True)
        assert proc.returncode == 1 and keyed(findings(proc)) == baseline


def test_read_only_cache_directory(project: Path, baseline: set[tuple[str, int, str]]) -> None:
    cache = project / ".tasklint_cache"
    cache.mkdir()
    cache.chmod(0o555)
    try:
        for _ in range(2):
            proc = run(project, ".", cache=True)
            assert proc.returncode == 1 and keyed(findings(proc)) == baseline
    finally:
        cache.chmod(0o755)


@pytest.mark.parametrize(
    "garbage",
    [
        b"\x00\xff not json at all",
        b"[1, 2, 3]",
        b'{"entries": {"KEY": "a string"}}',
        b'{"entries": {"KEY": {"mtime": "MTIME", "size": "SIZE", "digest": "DIGEST",'
        b' "facts": {"bogus": 1}, "error": null,'
        b' "findings": {"fingerprint": "x", "shown": "shop/tasks.py", "items": [{"no": 1}]}}}}',
    ],
)
def test_garbage_in_the_cache(
    project: Path, baseline: set[tuple[str, int, str]], garbage: bytes
) -> None:
    proc = run(project, ".", cache=True)
    assert keyed(findings(proc)) == baseline
    (cache_file,) = (project / ".tasklint_cache").glob("facts-*.json")
    entries = json.loads(cache_file.read_text())["entries"]
    key = str((project / TASKS).resolve())
    entry = entries[key]
    for name, value in (
        ("KEY", key),
        ('"MTIME"', str(entry["mtime"])),
        ('"SIZE"', str(entry["size"])),
        ("DIGEST", entry["digest"]),
    ):
        garbage = garbage.replace(name.encode(), json.dumps(value)[1:-1].encode())
    cache_file.write_bytes(garbage)
    for _ in range(2):
        proc = run(project, ".", cache=True)
        assert proc.returncode == 1 and keyed(findings(proc)) == baseline


def test_two_runs_at_once(project: Path, baseline: set[tuple[str, int, str]]) -> None:
    for extra in range(20):  # enough files that both runs are writing the cache together
        shutil.copy(project / TASKS, project / "shop" / f"tasks_{extra}.py")
    expected = run(project, ".").stdout
    env = {**os.environ, "PYTHONPATH": SRC, "NO_COLOR": "1"}
    argv = [sys.executable, "-m", "tasklint", "--format", "json", "."]
    procs = [
        subprocess.Popen(argv, cwd=project, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for _ in range(2)
    ]
    for proc in procs:
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 1 and b"Traceback" not in err
        assert out.decode() == expected
    assert run(project, ".", cache=True).stdout == expected
    assert not list((project / ".tasklint_cache").glob(".facts-*.tmp"))
