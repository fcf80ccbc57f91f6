"""Syntax newer than the running Python (3.10-3.14) is lowered and checked, lines kept.

Every fixture under fixtures/syntax/ runs twice: as the running Python reads it (files it
cannot parse go through the lowering), and with the lowering forced on every file, so the
suite proves the lowering of `match`, `except*` and star annotations on interpreters that
parse them natively too.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

from tasklint.config import Settings
from tasklint.engine import lint_paths
from tasklint.project import parse_source, syntax_error_info
from tasklint.syntax import lowering
from tests.support import expectations
from tests.support.runner import FIXTURES, lint_single

pytest.importorskip("libcst")

SYNTAX = FIXTURES / "syntax"
CASES = sorted(SYNTAX.glob("*.py"))


def _check(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    exp = expectations.parse(text)
    assert exp.count > 0, f"{path.name} has no annotations"
    found = {(f.line, f.code) for f in lint_single(path, exp.config, exp.codes)}
    forbidden = exp.oks | exp.todo_errors
    missing = exp.expected - found
    unexpected = (found - exp.expected) | (found & forbidden)
    assert not missing and not unexpected, (
        f"missing {sorted(missing)}, unexpected {sorted(unexpected)}"
    )


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.name)
def test_modern_syntax_fixture(path: Path) -> None:
    _check(path)


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.name)
def test_modern_syntax_fixture_forced_lowering(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(lowering.FORCE_ENV, "1")
    _check(path)


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.name)
def test_lowering_keeps_every_line(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(lowering.FORCE_ENV, "1")
    source = path.read_text(encoding="utf-8")
    try:
        lowered = lowering.lower(source)
    except SyntaxError:
        assert "invalid" in path.name
        return
    assert lowered is not None
    assert lowered.count("\n") == source.count("\n")
    ast.parse(lowered)  # the running Python accepts it


def _names(source: str) -> dict[str, tuple[int, int]]:
    found: dict[str, tuple[int, int]] = {}
    for node in ast.walk(parse_source(source, "<test>")):
        if isinstance(node, ast.Name):
            found.setdefault(node.id, (node.lineno, node.col_offset))
    return found


@pytest.mark.parametrize(
    ("source", "names"),
    [
        ("class Box[T](Base):\n    x = y\n", ["Base", "y"]),
        ("def f[T](a: T) -> Out:\n    return a\n", ["T", "Out", "a"]),
        ('x = f"{d["k"]} {é} {e}"\n', ["x", "d", "é", "e"]),
        ('x = f"{"\\n".join(d)} é {e!r:>{w}}"\n', ["x", "d", "e", "w"]),
        ("try:\n    pass\nexcept A, B:\n    pass\n", ["A", "B"]),
        ("try:\n    pass\nexcept* A:\n    pass\n", ["A"]),
        ("match s:\n    case [a] if g:\n        b\n", ["s", "g", "b"]),
        ("match s, t:\n    case _:\n        b\n", ["s", "t", "b"]),
        ("match (s, t):\n    case (1, 2):\n        b\n", ["s", "t", "b"]),
        ("def f(*a: *Ts): pass\n", ["Ts"]),
    ],
)
def test_lowering_keeps_columns(
    source: str, names: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Names keep their line and UTF-8 column: findings point at the real code."""
    monkeypatch.setenv(lowering.FORCE_ENV, "1")
    lines = source.splitlines()
    got = _names(source)
    for name in names:
        line, col = got[name]
        text = lines[line - 1].encode("utf-8")
        assert text[col : col + len(name.encode("utf-8"))].decode("utf-8") == name, (name, line)


def test_type_alias_becomes_an_assignment() -> None:
    tree = parse_source("type JobId = int\n", "<test>")
    (node,) = tree.body
    assert isinstance(node, ast.Assign) or sys.version_info >= (3, 12)


def test_fstring_keeps_its_text_when_requoting_suffices() -> None:
    lowered = lowering.lower('x = f"{d["k"]}"\n')
    assert lowered == "x = f'{d[\"k\"]}'\n"


@pytest.mark.parametrize(
    ("source", "line"),
    [
        ("type X = int\n\ndef f(:\n    pass\n", 3),
        ("class Box[T]:\n    pass\nx = (\n", 3),
        ("x = 1\nprint 'py2'\n", 2),
        ("type X = int\n  y = 1\n", 2),
        ("type X = int\ntry:\n    pass\nexcept A, B  # no colon\n    pass\n", 4),
        ("type X = int\nx = 1 +\ny = 2\n", 2),
        ("type X = int\ntry:\n    pass\nexcept A, B as e:\n    pass\n", 4),
    ],
)
def test_invalid_everywhere_is_a_syntax_error_at_its_line(source: str, line: int) -> None:
    with pytest.raises(SyntaxError) as info:
        parse_source(source, "/abs/path/to/file.py")
    got_line, reason = syntax_error_info(info.value)
    assert got_line == line
    assert "/abs/path" not in reason


def test_without_libcst_modern_syntax_is_tq001(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "libcst", None)  # import libcst now raises ImportError
    module = tmp_path / "tasks.py"
    module.write_text("type X = int\n", encoding="utf-8")
    result = lint_paths([module], Settings(), use_cache=False, base=tmp_path, root=tmp_path)
    codes = [(f.code, f.line) for f in result.findings]
    if sys.version_info >= (3, 12):
        assert codes == []
    else:
        assert codes == [("TQ001", 1)]
        assert str(tmp_path) not in result.findings[0].message


NEWEST = "try:\n    pass\nexcept A, B:\n    pass\n"  # 3.14 syntax: lowered before 3.14


@pytest.mark.skipif(sys.version_info >= (3, 14), reason="parsed natively")
@pytest.mark.parametrize(
    "source",
    [
        # libcst's native parser crashes the process on this (a segmentation fault): the
        # lowering runs in a forked child, so the run goes on and reports TQ001
        NEWEST + "x = " + "not \\\n" * 100_000 + "1\n",
        # refused before libcst sees them (deep nesting, a giant line)
        NEWEST + "x = " + "(" * 150 + ")" * 150 + "\n",
        NEWEST + "x = " + "-" * 100_000 + "1\n",
    ],
    ids=["crashes-libcst", "deep-nesting", "giant-line"],
)
def test_hostile_input_never_takes_the_run_down(source: str, tmp_path: Path) -> None:
    module = tmp_path / "hostile.py"
    module.write_text(source, encoding="utf-8")
    result = lint_paths([module], Settings(), use_cache=False, base=tmp_path, root=tmp_path)
    assert [f.code for f in result.findings] == ["TQ001"]
