"""The facts cache: warm equals cold, corruption is a miss, edits are re-read; no import ever."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from tasklint.config import load_settings
from tasklint.engine import lint_paths
from tasklint.project.cache import CACHE_DIR

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "projects"


def _copy(name: str, tmp_path: Path) -> Path:
    target = tmp_path / name
    shutil.copytree(FIXTURES / name, target)
    return target


def _run(folder: Path, use_cache: bool = True) -> list[tuple[str, int, str, str]]:
    settings = load_settings(folder)
    result = lint_paths([folder], settings, use_cache=use_cache, base=folder, root=folder)
    return [(f.path, f.line, f.code, f.message) for f in result.findings]


def test_warm_run_equals_cold_run_and_cache_is_written(tmp_path: Path) -> None:
    folder = _copy("django_split_settings", tmp_path)
    cold = _run(folder, use_cache=False)
    assert cold, "the fixture project has findings"
    assert not (folder / CACHE_DIR).exists()
    first = _run(folder)
    cache_files = list((folder / CACHE_DIR).glob("facts-*.json"))
    assert len(cache_files) == 1
    assert (folder / CACHE_DIR / ".gitignore").is_file()
    assert _run(folder) == first == cold


def test_corrupted_cache_is_a_miss(tmp_path: Path) -> None:
    folder = _copy("django_split_settings", tmp_path)
    expected = _run(folder)
    for garbage in ("{not json", "", '{"entries": {"x": 1}}', '{"entries": []}', "\x00\xff"):
        (cache_file,) = (folder / CACHE_DIR).glob("facts-*.json")
        cache_file.write_text(garbage, encoding="latin-1")
        assert _run(folder) == expected


def test_edited_file_is_read_again(tmp_path: Path) -> None:
    folder = _copy("django_split_settings", tmp_path)
    before = _run(folder)
    assert any(code == "TQ504" for _, _, code, _ in before)
    base = folder / "mysite" / "settings" / "base.py"
    base.write_text(
        base.read_text().replace("CELERY_RESULT_EXPIRES = 0", "CELERY_RESULT_EXPIRES = 3600")
    )
    after = _run(folder)
    assert not any(code == "TQ504" for _, _, code, _ in after)


def test_read_only_cache_directory_is_survived(tmp_path: Path) -> None:
    folder = _copy("django_split_settings", tmp_path)
    expected = _run(folder, use_cache=False)
    (folder / CACHE_DIR).mkdir()
    (folder / CACHE_DIR).chmod(0o500)
    try:
        assert _run(folder) == expected
    finally:
        (folder / CACHE_DIR).chmod(0o700)


def test_canary_project_is_never_imported(tmp_path: Path) -> None:
    folder = _copy("canary_never_imported", tmp_path)
    findings = _run(folder, use_cache=False)
    assert {code for _, _, code, _ in findings} >= {"TQ201", "TQ501"}
    cli = subprocess.run(
        [sys.executable, "-m", "tasklint", "--no-cache", "."],
        cwd=folder,
        capture_output=True,
        text=True,
    )
    assert cli.returncode == 1, cli.stderr
    assert "TQ002" not in cli.stdout, cli.stdout
    flake8 = subprocess.run(
        [sys.executable, "-m", "flake8", "--select", "TQ", "."],
        cwd=folder,
        capture_output=True,
        text=True,
    )
    assert "TQ201" in flake8.stdout, flake8.stdout + flake8.stderr
    assert not list(folder.rglob("IMPORTED")), "tasklint imported project code"


def test_module_facts_are_read_only_when_a_file_must_be_linted_again(tmp_path: Path) -> None:
    folder = _copy("django_split_settings", tmp_path)
    expected = _run(folder)
    (modules,) = (folder / CACHE_DIR).glob("modules-*.json")
    (state,) = (folder / CACHE_DIR).glob("facts-*.json")
    assert state.exists()  # the file read on every run (the module facts are compact)
    modules.write_text("{not json", encoding="utf-8")
    assert _run(folder) == expected  # nothing changed: cached findings, facts not needed
    assert modules.read_text(encoding="utf-8") == "{not json"
    tasks = next(folder.rglob("tasks.py"))
    tasks.write_text(tasks.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    assert _run(folder) == expected  # facts of the unchanged files computed again
    header, *lines = modules.read_text(encoding="utf-8").splitlines()
    assert "modules" in json.loads(header)  # written again, whole: one line per module
    assert len(lines) == len(list(folder.rglob("*.py")))


def test_cache_files_of_other_versions_are_removed(tmp_path: Path) -> None:
    folder = _copy("django_split_settings", tmp_path)
    (folder / CACHE_DIR).mkdir()
    stale = folder / CACHE_DIR / "facts-0.0.1-abcdef.json"
    stale.write_text("{}", encoding="utf-8")
    _run(folder)
    assert not stale.exists()
    assert len(list((folder / CACHE_DIR).glob("facts-*.json"))) == 1


def _state_text(folder: Path) -> str:
    (state,) = (folder / CACHE_DIR).glob("facts-*.json")
    return state.read_text(encoding="utf-8")


def _edit_runs(folder: Path) -> list[list[tuple[str, int, str, str]]]:
    """A cold run writing the cache, a comment edit, a touch, an added finding."""
    import os

    out = [_run(folder)]
    tasks = next(folder.rglob("tasks.py"))
    tasks.write_text(tasks.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    out.append(_run(folder))
    settings = next(folder.rglob("base.py"))
    stat = settings.stat()
    os.utime(settings, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))  # touched
    out.append(_run(folder))
    tasks.write_text(
        tasks.read_text(encoding="utf-8") + "\n\n@shared_task\ndef added(x):\n    return x\n",
        encoding="utf-8",
    )
    out.append(_run(folder))
    return out


def test_unchanged_entries_are_written_back_as_read(tmp_path: Path, monkeypatch) -> None:
    """The facts file keeps the text of entries no run changed (not encoded again), and
    is then byte for byte what encoding every entry again writes: touched stamps, new
    findings and new entries are written from what the run holds."""
    import tasklint.project.cache as cache_module
    from tasklint.project.cache import FactsCache

    reused = _copy("django_split_settings", tmp_path / "reused")
    with_reuse = _edit_runs(reused)
    calls: list[int] = []
    real = cache_module._entry_texts

    def counted(text: str, entries: dict[str, object]) -> dict[str, str]:
        found = real(text, entries)
        calls.append(len(found))
        return found

    monkeypatch.setattr(cache_module, "_entry_texts", counted)
    _run(reused)  # nothing changed: every entry's text is kept
    assert calls and calls[-1] == len(json.loads(_state_text(reused))["entries"]) > 5
    # what the file would be with every entry encoded again
    cache = FactsCache(reused.resolve())
    assert cache.entries and cache._unchanged
    cache._unchanged = {}
    assert "".join(cache._state_chunks()) == _state_text(reused)
    settings = next(reused.rglob("base.py"))
    entry = json.loads(_state_text(reused))["entries"][str(settings.resolve())]
    assert entry["mtime"] == settings.stat().st_mtime_ns  # the touch was written
    # the same runs without keeping any text give the same findings
    monkeypatch.setattr(cache_module, "_entry_texts", lambda text, entries: {})
    encoded = _copy("django_split_settings", tmp_path / "encoded")
    assert _edit_runs(encoded) == with_reuse


def test_a_state_file_in_another_layout_is_read_and_written_whole(tmp_path: Path) -> None:
    folder = _copy("django_split_settings", tmp_path)
    expected = _run(folder)
    (state,) = (folder / CACHE_DIR).glob("facts-*.json")
    data = json.loads(state.read_text(encoding="utf-8"))
    state.write_text(json.dumps(data, indent=1), encoding="utf-8")  # one line per value
    tasks = next(folder.rglob("tasks.py"))
    tasks.write_text(tasks.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    assert _run(folder) == expected
    written = json.loads(state.read_text(encoding="utf-8"))
    assert written["entries"].keys() == data["entries"].keys()
    assert _run(folder) == expected == _run(folder, use_cache=False)
