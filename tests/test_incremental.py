"""After an edit, only what the edit can change is linted again, with identical findings.

A file's cached findings are reused when its bytes are unchanged, every file's facts are
unchanged and no file whose source a rule read on demand (a call followed into another
module's body) changed. Each test compares the cached run with a run without the cache.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

from tasklint.config import load_settings
from tasklint.engine import Linter, lint_paths

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "fixtures" / "projects"


def _run(folder: Path, use_cache: bool = True) -> list[tuple[str, int, int, str, str]]:
    settings = load_settings(folder)
    result = lint_paths([folder], settings, use_cache=use_cache, base=folder, root=folder)
    return [(f.path, f.line, f.col, f.code, f.message) for f in result.findings]


@pytest.fixture
def linted(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The display paths of the files the engine lints (not served from the cache)."""
    seen: list[str] = []
    original = Linter.check_path

    def spy(self: Linter, path: Path, shown: str, parse_error: object = None) -> object:
        seen.append(shown)
        return original(self, path, shown, parse_error)  # type: ignore[arg-type]

    monkeypatch.setattr(Linter, "check_path", spy)
    return seen


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, (path, old)
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_comment_appended_relints_only_that_file(tmp_path: Path, linted: list[str]) -> None:
    folder = tmp_path / "p"
    shutil.copytree(FIXTURES / "reachable_from_transaction", folder)
    first = _run(folder)
    assert any(f[3] == "TQ203" for f in first)
    linted.clear()
    tasks = folder / "shop" / "tasks.py"
    tasks.write_text(tasks.read_text(encoding="utf-8") + "\n# a comment\n", encoding="utf-8")
    assert _run(folder) == first
    assert linted == ["shop/tasks.py"]
    assert _run(folder, use_cache=False) == first


def test_edit_of_a_body_another_file_follows(tmp_path: Path, linted: list[str]) -> None:
    """notifications.py's facts do not change when its enqueue goes, but checkout.py's
    TQ203 followed the call into its body: checkout.py is linted again."""
    folder = tmp_path / "p"
    shutil.copytree(FIXTURES / "reachable_from_transaction", folder)
    before = _run(folder)
    line = "services.two_levels(order)"
    assert any(f[3] == "TQ203" and f[0] == "shop/checkout.py" and f[1] == 12 for f in before)
    linted.clear()
    _edit(folder / "shop" / "notifications.py", "notify.apply_async((order.id,))", "print(order)")
    after = _run(folder)
    assert after == _run(folder, use_cache=False)
    assert not any(f[3] == "TQ203" and f[0] == "shop/checkout.py" and f[1] == 12 for f in after)
    assert "shop/checkout.py" in linted, line


@pytest.mark.parametrize(
    ("relative", "old", "new"),
    [
        ("shop/tasks.py", "@shared_task\ndef ship", "@shared_task(time_limit=60)\ndef ship"),
        ("shop/services.py", "ship.delay(order.id)", "pass"),
        ("shop/services.py", "from django.db import transaction", "import os\n"),
        ("shop/checkout.py", "        order.save()\n", ""),
        ("shop/tasks.py", "def notify(order_id):", "def notify(order_id, extra):"),
    ],
)
def test_edits_keep_findings_identical(tmp_path: Path, relative: str, old: str, new: str) -> None:
    folder = tmp_path / "p"
    shutil.copytree(FIXTURES / "reachable_from_transaction", folder)
    _run(folder)
    _edit(folder / relative, old, new)
    assert _run(folder) == _run(folder, use_cache=False)
    _edit(folder / relative, new, old)  # and back
    assert _run(folder) == _run(folder, use_cache=False)


def test_generated_project_edits(tmp_path: Path, linted: list[str]) -> None:
    folder = tmp_path / "gen"
    _generated(folder)
    first = _run(folder)
    assert first and first == _run(folder, use_cache=False)
    files = sorted(p for p in folder.rglob("*.py") if ".tasklint_cache" not in p.parts)
    assert len(files) > 40
    # an appended comment changes no facts: one file linted again, the same findings
    victim = files[len(files) // 3]
    linted.clear()
    victim.write_text(victim.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    assert _run(folder) == first
    assert linted == [victim.relative_to(folder).as_posix()]
    # edits that change facts or bodies: every finding as a run without the cache
    for path in files[::7]:
        text = path.read_text(encoding="utf-8")
        if ".delay(" in text:
            path.write_text(text.replace(".delay(", ".apply(", 1), encoding="utf-8")
        elif "=" in text:
            path.write_text("\n" + text.replace("=", "= 1 or ", 1), encoding="utf-8")
        else:
            path.write_text("import os\n" + text, encoding="utf-8")
        assert _run(folder) == _run(folder, use_cache=False), path


def test_rules_read_other_files_only_through_read_source() -> None:
    """Cached findings are reused when no file a rule read changed, and read_source is
    what records those reads: rules and their helpers must not open files otherwise."""
    import re

    opening = re.compile(
        r"(?<![.\w])open\(|read_text\(|read_bytes\(|tokenize\.open|ast\.parse\("
        r"|(?<![.\w])compile\("
    )
    # Known exception: TQ213 searches the project's deployment files (not Python: no facts,
    # no read_source) for CELERY_RESULT_BACKEND; only those the deployment fingerprint
    # digests (Procfile, compose, Dockerfile, ...) invalidate cached findings when edited.
    known = {"tq213_chord_without_results.py"}
    offenders = []
    for folder in ("rules", "analysis"):
        for path in sorted((ROOT / "src" / "tasklint" / folder).glob("*.py")):
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                code = line.split("#", 1)[0]
                if opening.search(code) and 'mode="eval"' not in code and path.name not in known:
                    offenders.append(f"{path.name}:{number}: {line.strip()}")
    assert offenders == []


def test_statement_walks_of_the_facts_match_a_full_walk() -> None:
    """The facts' imports and def names come from walks that skip simple statements (they
    hold no statement): on every file of the repository, the same as walking every node."""
    import ast

    from tasklint.project.facts import module_facts

    count = 0
    for folder in ("src", "tests", "fixtures", "benchmarks"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            try:
                tree = ast.parse(path.read_text(encoding="utf-8"))
            except (SyntaxError, UnicodeDecodeError, ValueError):
                continue
            facts = module_facts(tree, "m", str(path), False)
            nodes = list(ast.walk(tree))
            defs = {n.name for n in nodes if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}
            assert facts.defined_function_names == sorted(defs), path
            imports = sorted(
                (n.lineno, n.col_offset + 1)
                for n in nodes
                if isinstance(n, (ast.Import, ast.ImportFrom))
                for _ in (n.names if isinstance(n, ast.Import) else [None])
            )
            assert sorted((i.line, i.col) for i in facts.imports) == imports, path
            count += 1
    assert count > 200


def test_test_module_globs_match_fnmatch_on_each_name_and_part() -> None:
    """is_test_module matches the globs as one compiled regex (asked for every module by
    the project rules): the same answers as fnmatchcase on the name and on each part."""
    import fnmatch
    import itertools

    from tasklint.config import Settings
    from tasklint.project.celery_config import _matches_test_globs

    patterns = (*Settings().test_modules, "proj.dev*", "a?c", "[!x]y", "*.settings.test*")

    def reference(module: str) -> bool:
        parts = module.split(".")
        return any(
            fnmatch.fnmatchcase(module, p)
            or ("." not in p and any(fnmatch.fnmatchcase(part, p) for part in parts))
            for p in patterns
        )

    words = ["tests", "test_x", "conftest", "proj", "dev", "devtools", "settings", "test"]
    words += ["abc", "xy", "zy", "TestS", "testing", "x_tests"]
    names = [".".join(c) for k in (1, 2, 3) for c in itertools.product(words, repeat=k)]
    assert sum(reference(n) for n in names) > 100
    assert [_matches_test_globs(n, patterns) for n in names] == [reference(n) for n in names]


def test_shared_walk_is_made_once_and_equals_ast_walk() -> None:
    import ast

    from tasklint.syntax.walk import share_walk, walk

    tree = ast.parse((ROOT / "src" / "tasklint" / "engine.py").read_text(encoding="utf-8"))
    other = ast.parse("x = [y for y in z]")
    share_walk(tree)
    try:
        first = walk(tree)
        assert walk(tree) is first  # walked once while shared
        assert [type(n) for n in first] == [type(n) for n in ast.walk(tree)]
        assert all(a is b for a, b in zip(first, ast.walk(tree)))
        assert walk(other) is not walk(other)  # any other tree: walked afresh
    finally:
        share_walk(None)
    assert walk(tree) is not first


def _generated(folder: Path) -> None:
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        from generate import generate  # type: ignore[import-not-found]
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    generate(folder, 12, seed=3)


def test_project_findings_of_an_edited_file_come_back_from_the_cache(
    tmp_path: Path, linted: list[str]
) -> None:
    """The project rules' findings live in their own cache file, one line per file; an edit
    that changes no facts reads back the edited file's line only, and a lost line is a
    miss (every project finding computed again), never a file without findings."""
    from tasklint.project.cache import CACHE_DIR
    from tasklint.rules import ALL_RULES

    folder = tmp_path / "p"
    shutil.copytree(FIXTURES / "django_split_settings", folder)
    first = _run(folder)
    project_codes = {code for code, rule in ALL_RULES.items() if rule().is_project_rule()}
    owners = sorted({f[0] for f in first if f[3] in project_codes})
    assert owners, "the project has project-rule findings"
    victim = folder / owners[0]
    for edit in range(2):
        linted.clear()
        victim.write_text(victim.read_text(encoding="utf-8") + f"\n# edit {edit}\n", "utf-8")
        assert _run(folder) == first
        assert linted == [owners[0]]
        (project,) = (folder / CACHE_DIR).glob("project-*.json")
        header, *lines = project.read_text(encoding="utf-8").splitlines()
        mine = [line for line in lines if line.startswith(f'"{victim.resolve()}"\t')]
        assert len(mine) == 1  # one line per file with project findings (written again)
        # a lost line (the edited file's own): read back, it would drop its findings
        project.write_text("\n".join([header, *(x for x in lines if x not in mine)]) + "\n")
    assert _run(folder) == _run(folder, use_cache=False) == first
