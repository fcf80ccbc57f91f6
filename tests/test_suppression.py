"""``# noqa`` in the CLI (flake8's semantics) and ``per-file-ignores``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tasklint import cli
from tasklint.suppression import Suppressions

HEADER = "import arq\n\n\nasync def f(pool, data):\n"


def lint(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    body: str,
    *argv: str,
    pyproject: str = "[tool.tasklint]\n",
) -> set[tuple[int, str]]:
    (tmp_path / "pyproject.toml").write_text(pyproject, encoding="utf-8")
    (tmp_path / "jobs.py").write_text(HEADER + body, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    status = cli.main(["--no-cache", "--format", "json", *argv, "."])
    out = capsys.readouterr().out
    items = json.loads(out)
    assert status == (1 if items else 0)
    return {(i["line"], i["code"]) for i in items}


@pytest.mark.parametrize(
    ("comment", "suppressed"),
    [
        ("", False),
        ("  # noqa", True),
        ("  # NOQA", True),
        ("  # noqa: TQ205", True),
        ("  # noqa:TQ205", True),
        ("  # noqa: TQ201,TQ205", True),
        ("  # noqa: TQ201, TQ205", True),
        ("  # noqa: TQ2", True),  # a prefix, as in flake8
        ("  # noqa: TQ201", False),
        ("  # noqa: E501", False),
        ("  # type: ignore  # noqa: TQ205", True),
        ("  # noqa : TQ205", True),  # flake8 reads this as a blanket noqa, so do we
    ],
)
def test_noqa_on_the_reported_line(
    comment: str,
    suppressed: bool,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    body = f"    await pool.enqueue_job('x', data){comment}\n"
    found = lint(tmp_path, monkeypatch, capsys, body)
    assert found == (set() if suppressed else {(5, "TQ205")})


def test_noqa_and_multi_line_constructs_as_in_flake8(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # flake8 joins only the lines of one token (a multi-line string): a noqa on the closing
    # bracket of a call does not reach the call's first line
    body = "    await pool.enqueue_job(\n        'x',\n        data,\n    )  # noqa: TQ205\n"
    assert lint(tmp_path, monkeypatch, capsys, body) == {(5, "TQ205")}
    body = "    await pool.enqueue_job(  # noqa: TQ205\n        'x',\n        data,\n    )\n"
    assert lint(tmp_path, monkeypatch, capsys, body) == set()
    # a noqa after a multi-line string applies to every line of the string
    body = '    await pool.enqueue_job("""x\n""", data)  # noqa: TQ205\n'
    assert lint(tmp_path, monkeypatch, capsys, body) == set()


def test_noqa_only_suppresses_its_own_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    body = "    await pool.enqueue_job('x')  # noqa: TQ205\n    await pool.enqueue_job('y')\n"
    assert lint(tmp_path, monkeypatch, capsys, body) == {(6, "TQ205")}


def test_noqa_inside_a_string_is_no_comment_but_flake8_still_matches_the_line() -> None:
    # flake8 searches the physical/logical line text: we do the same
    sup = Suppressions("x = '# noqa: TQ205'\n")
    assert sup.suppressed(1, "TQ205")
    assert not sup.suppressed(1, "TQ201")


def test_file_level_flake8_noqa(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    body = "    await pool.enqueue_job('x')\n# flake8: noqa\n"
    assert lint(tmp_path, monkeypatch, capsys, body) == set()


def test_unused_noqa_is_reported_by_opt_in_tq003(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    body = (
        "    await pool.enqueue_job('x')  # noqa: TQ205\n"
        "    await pool.enqueue_job('y', _job_id='y')  # noqa: TQ205\n"
        "    return 1  # noqa: E501\n"
    )
    assert lint(tmp_path, monkeypatch, capsys, body) == set()
    found = lint(tmp_path, monkeypatch, capsys, body, "--extend-select", "TQ003")
    assert found == {(6, "TQ003")}


def test_per_file_ignores(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    body = "    await pool.enqueue_job('x')\n"
    for pattern, codes, expected in [
        ("jobs.py", '["TQ205"]', set()),
        ("*.py", '["TQ2"]', set()),
        ("job*.py", '["TQ201"]', {(5, "TQ205")}),
        ("other/*", '["TQ205"]', {(5, "TQ205")}),
    ]:
        pyproject = f'[tool.tasklint]\nper-file-ignores = {{ "{pattern}" = {codes} }}\n'
        found = lint(tmp_path, monkeypatch, capsys, body, pyproject=pyproject)
        assert found == expected, pattern


def test_per_file_ignores_match_paths_relative_to_the_config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.tasklint]\nper-file-ignores = { "legacy/*" = ["TQ205"] }\n', encoding="utf-8"
    )
    for folder in ("legacy", "app"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "jobs.py").write_text(
            HEADER + "    await pool.enqueue_job('x')\n", encoding="utf-8"
        )
    # run from a subdirectory and on an explicit file: the pattern still matches
    monkeypatch.chdir(tmp_path / "app")
    assert cli.main(["--no-cache", "--format", "json", "../legacy/jobs.py", "."]) == 1
    items = json.loads(capsys.readouterr().out)
    assert [(i["path"], i["code"]) for i in items] == [("jobs.py", "TQ205")]


@pytest.mark.parametrize(
    ("source", "line", "suppressed"),
    [
        ("x = 1\ny = 2\n", 1, False),  # no noqa text anywhere: nothing is suppressed
        ("x = 1  # NoQa\n", 1, True),  # the text gate is case-insensitive, as the patterns
        ("x = 1\n# FLAKE8: NOQA\n", 1, True),
        ("x = 1\ny = 2  # noqa\n", 1, False),  # the text elsewhere: only its own line
        ("x = f(\n    1,  # noqa\n)\n", 1, False),  # a bracket's lines are separate lines
        ('x = """\nnoqa\n"""  # noqa\n', 1, True),  # a multi-line string's lines are one
        ("x = 1 + \\\n    2  # noqa\n", 1, True),  # so are a backslash continuation's
        ("x = '''\n", 1, False),  # tokenize fails: physical lines, no text on line 1
    ],
)
def test_suppression_with_and_without_noqa_text(source: str, line: int, suppressed: bool) -> None:
    assert Suppressions(source).suppressed(line, "TQ201") is suppressed


def test_noqa_comments_skip_strings_and_share_one_tokenization() -> None:
    from tasklint.suppression import noqa_comments, unused_suppressions

    source = "x = '# noqa: TQ201'\ny = 1  # noqa: TQ201, E501\n"
    assert noqa_comments(source) == [(2, 8, ["TQ201"])]
    assert noqa_comments("x = 1\n") == []
    assert unused_suppressions(source, [], {"TQ201"}) == [(2, 8, ["TQ201"])]
    # the same text in a new string object is tokenized again, not mistaken for the last
    other = "".join(["z = 1  # noqa: TQ205", "\n"])
    assert noqa_comments(other) == [(1, 8, ["TQ205"])]
