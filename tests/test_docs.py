"""The generated documentation (docs/rules/*.md, the README rule table) is up to date."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tasklint import docs
from tasklint.rules import ALL_RULES

REPO = Path(__file__).resolve().parents[1]


def test_generated_docs_are_current() -> None:
    changed, orphans = docs.stale_files(REPO)
    assert not changed and not orphans, (
        f"stale generated docs {[str(p) for p in changed]}, pages of no rule "
        f"{[str(p) for p in orphans]}: run `python -m tasklint.docs --write`"
    )


def test_every_rule_page_carries_its_metadata() -> None:
    for code, rule in ALL_RULES.items():
        page = (REPO / "docs" / "rules" / f"{code}.md").read_text(encoding="utf-8")
        assert page.startswith(docs.BANNER)
        assert f"# {code} `{rule.name}`" in page
        assert f"| Default | {'on' if rule.default else 'opt-in'}" in page
        assert docs.family(code) in page
        assert "## What it does" in page


def test_readme_table_lists_every_rule_with_a_link() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    block = readme.split(docs.README_START, 1)[1].split(docs.README_END, 1)[0]
    rows = [line for line in block.splitlines() if line.startswith("| [TQ")]
    assert [row.split("]", 1)[0][3:] for row in rows] == list(ALL_RULES)
    for row, (code, rule) in zip(rows, ALL_RULES.items()):
        assert f"(docs/rules/{code}.md)" in row
        assert f"`{rule.name}`" in row
        assert (REPO / "docs" / "rules" / f"{code}.md").is_file()


def _fake_repo(tmp_path: Path) -> Path:
    (tmp_path / "README.md").write_text(
        f"# x\n\nintro\n\n{docs.README_START}\nold table\n{docs.README_END}\n\nafter\n",
        encoding="utf-8",
    )
    return tmp_path


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tasklint.docs", *args],
        capture_output=True,
        text=True,
        check=False,
    )


def test_check_fails_when_stale_and_write_fixes_it(tmp_path: Path) -> None:
    root = _fake_repo(tmp_path)
    orphan = root / "docs" / "rules" / "TQ999.md"
    orphan.parent.mkdir(parents=True)
    orphan.write_text("gone\n", encoding="utf-8")

    stale = _run("--check", "--root", str(root))
    assert stale.returncode == 1
    assert "README.md" in stale.stdout and "TQ999.md" in stale.stdout

    written = _run("--write", "--root", str(root))
    assert written.returncode == 0, written.stderr
    assert not orphan.exists()
    assert sorted(p.name for p in (root / "docs" / "rules").iterdir()) == sorted(
        f"{code}.md" for code in ALL_RULES
    )
    readme = (root / "README.md").read_text(encoding="utf-8")
    assert "old table" not in readme
    assert readme.startswith("# x\n\nintro\n") and readme.endswith("after\n")

    current = _run("--check", "--root", str(root))
    assert current.returncode == 0, current.stdout
    # writing again changes nothing
    assert _run("--write", "--root", str(root)).stdout == ""


def test_readme_without_markers_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "README.md").write_text("# no table\n", encoding="utf-8")
    result = _run("--check", "--root", str(tmp_path))
    assert result.returncode == 2
    assert "rules:start" in result.stderr


def test_summary_is_one_line_without_table_breaking_pipes() -> None:
    for rule in ALL_RULES.values():
        summary = docs.one_line_summary(rule)
        assert summary and "\n" not in summary
        assert "|" not in docs._cell(summary).replace("\\|", "")
