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
    module.write_text("try:\n    pass\nexcept A, B:\n    pass\n", encoding="utf-8")
    result = lint_paths([module], Settings(), use_cache=False, base=tmp_path, root=tmp_path)
    codes = [(f.code, f.line) for f in result.findings]
    if sys.version_info >= (3, 14):
        assert codes == []
    else:
        assert codes == [("TQ001", 3)]
        assert str(tmp_path) not in result.findings[0].message


def test_without_libcst_type_parameters_are_lowered(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """PEP 695 alone is lowered by the tokenizer: no libcst needed, the task is checked."""
    monkeypatch.setitem(sys.modules, "libcst", None)
    module = tmp_path / "tasks.py"
    module.write_text(
        'from celery import Celery\n\napp = Celery("shop")\ntype X = int\n\n\n'
        "@app.task\ndef ship[T](order_id: T) -> T:\n    return order_id\n",
        encoding="utf-8",
    )
    result = lint_paths([module], Settings(), use_cache=False, base=tmp_path, root=tmp_path)
    assert [(f.code, f.line) for f in result.findings] == [("TQ501", 3), ("TQ101", 7)]


# PEP 695 as real projects write it: each is lowered by the tokenizer exactly as libcst's
# lowering does it (the same text, so the same lines and columns)
BY_TOKENS = [
    "class Box[T]:\n    pass\n",
    "class Box [T] :\n    pass\n",
    "def f[T: (int, str), *Ts, **P](x: T) -> T:\n    return x\n",
    "async def f[T](): pass\n",
    "def f[T = int, U: dict[str, int] = dict[str, int]](x): pass\n",
    "type X = int\n",
    "type Pair[K] = tuple[K, K]\n",
    "x = 1; type Y = int | None\n",
    "class A:\n    type Z = int\n    def m[T](self): pass\n",
    "class R[\n    K,  # the key\n    V: (int, str),\n]:\n    pass\n",
    "class C[T](Base[T], metaclass=M): pass\n",
    "class C[T,]: pass\n",
    "type = 5\ntype(x)\nclass Box[T]: pass\n",
    "def f[T](x: T) -> T:\n    return f'{x!r:>{10}}'\n",
]
# what the tokenizer leaves to libcst: no type parameters, a list that is not one, an
# alias that is not one, or something else new or wrong in the file
NOT_BY_TOKENS = [
    "x = 1\n",
    "type = 5\n",
    "def f[](x): pass\n",
    "def g[T: int = ](x): pass\n",
    "def g[T, *](x): pass\n",
    "def g[if](x): pass\n",
    "type X\n",
    "class Box[T]:\n    pass\nx = (\n",
    "type X = int\ndef f(:\n    pass\n",
    "type X = int\ntry:\n    pass\nexcept A, B:\n    pass\n",
    "type X = int\r\n",
]


@pytest.mark.parametrize("source", BY_TOKENS)
def test_type_parameters_lowered_by_tokens_as_by_libcst(source: str) -> None:
    quick = lowering._type_params_by_tokens(source)
    assert quick is not None
    assert quick == lowering._outcome(source)
    ast.parse(quick)


@pytest.mark.parametrize("source", NOT_BY_TOKENS)
def test_tokens_leave_the_rest_to_libcst(source: str) -> None:
    if sys.version_info >= (3, 14) and "except A, B" in source:
        pytest.skip("parsed natively")
    assert lowering._type_params_by_tokens(source) is None


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.name)
def test_fixture_lowered_by_tokens_as_by_libcst(path: Path) -> None:
    source = path.read_text(encoding="utf-8")
    quick = lowering._type_params_by_tokens(source)
    if quick is None:
        return  # libcst lowers it (the fixture tests check how)
    assert quick == lowering._outcome(source)


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
