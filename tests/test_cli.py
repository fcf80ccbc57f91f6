"""The ``tasklint`` command line: options, formats, exit statuses, colour, ``python -m``."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tasklint import __version__, cli
from tasklint.rules import ALL_RULES, default_codes
from tests.support.runner import FIXTURES

SAMPLE = FIXTURES / "sample_project"
SAMPLE_CODES = ["TQ508", "TQ101", "TQ109", "TQ201"]  # in path order
SRC = Path(__file__).resolve().parents[1] / "src"


@pytest.fixture()
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the sample project as the working directory."""
    root = tmp_path / "sample"
    shutil.copytree(SAMPLE, root)
    monkeypatch.chdir(root)
    monkeypatch.delenv("NO_COLOR", raising=False)
    return root


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = cli.main(["--no-cache", *argv])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def codes_of_json(out: str) -> list[str]:
    return [item["code"] for item in json.loads(out)]


def test_findings_exit_1_with_text_lines(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run(capsys, ".")
    assert status == 1, err
    lines = out.splitlines()
    assert [line.split(": ", 2)[1].split()[0] for line in lines] == SAMPLE_CODES
    assert lines[0].startswith("shop/settings.py:10:1: TQ508 ")
    assert lines[0].endswith("[unknown-celery-setting]")
    assert "\033[" not in out  # captured output is no terminal: no colour


def test_default_path_is_the_working_directory(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(capsys)[1] == run(capsys, ".")[1]


def test_clean_code_exits_0(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, "shop/models.py")
    assert (status, out) == (0, "")


def test_exit_zero(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, "--exit-zero", ".")
    assert status == 0
    assert len(out.splitlines()) == len(SAMPLE_CODES)


def test_select_extend_select_ignore(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = run(capsys, "--format", "json", "--select", "TQ2", ".")
    assert codes_of_json(out) == ["TQ201"]
    _, out, _ = run(capsys, "--format", "json", "--select", "TQ101,TQ508", ".")
    assert codes_of_json(out) == ["TQ508", "TQ101"]
    _, out, _ = run(capsys, "--format", "json", "--ignore", "TQ1,TQ508", ".")
    assert codes_of_json(out) == ["TQ201"]
    # an ignore more specific than the select wins
    _, out, _ = run(capsys, "--format", "json", "--select", "TQ", "--ignore", "TQ109", ".")
    assert "TQ109" not in codes_of_json(out) and "TQ101" in codes_of_json(out)
    # opt-in rules run only when named in full
    opt_in = sorted(set(ALL_RULES) - default_codes())
    assert "TQ003" in opt_in
    (project / "shop" / "util.py").write_text("X = 1  # noqa: TQ201\n", encoding="utf-8")
    _, out, _ = run(capsys, "--format", "json", ".")
    assert "TQ003" not in codes_of_json(out)
    _, out, _ = run(capsys, "--format", "json", "--extend-select", "TQ003", ".")
    assert codes_of_json(out).count("TQ003") == 1
    assert {"TQ101", "TQ201"} <= set(codes_of_json(out))


def test_unknown_code_on_the_command_line_exits_2(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for option in ("--select", "--extend-select", "--ignore"):
        status, out, err = run(capsys, option, "TQ999", ".")
        assert status == 2 and out == ""
        assert "TQ999" in err and "Traceback" not in err
        assert option.lstrip("-") in err


def test_json_fields_and_relative_paths(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "shop" / "api").mkdir()
    (project / "shop" / "api" / "__init__.py").write_text("", encoding="utf-8")
    (project / "shop" / "api" / "hooks.py").write_text(
        "from django.db import transaction\n\nfrom shop.tasks import ship\n\n\n"
        "def hook(pk):\n    with transaction.atomic():\n        ship.delay(pk)\n",
        encoding="utf-8",
    )
    status, out, _ = run(capsys, "--format", "json", ".")
    assert status == 1
    items = json.loads(out)
    assert {tuple(sorted(item)) for item in items} == {
        tuple(
            sorted(
                [
                    "code",
                    "rule",
                    "message",
                    "path",
                    "line",
                    "column",
                    "end_line",
                    "end_column",
                    "tool",
                    "version",
                ]
            )
        )
    }
    nested = [i for i in items if i["path"].startswith("shop/api/")]
    assert nested and nested[0]["path"] == "shop/api/hooks.py"
    assert nested[0]["code"] == "TQ201" and nested[0]["line"] == 8
    for item in items:
        assert not os.path.isabs(item["path"]) and "\\" not in item["path"]
        assert item["rule"] == ALL_RULES[item["code"]].name
        assert item["version"] == __version__
    # run from elsewhere: paths stay relative to the working directory
    os.chdir(project.parent)
    _, out, _ = run(capsys, "--format", "json", "sample")
    assert all(i["path"].startswith("sample/shop/") for i in json.loads(out))


def test_findings_are_sorted(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "shop" / "a_first.py").write_text(
        "from shop.tasks import ship\nfrom django.db import transaction\n\n\n"
        "def b():\n    with transaction.atomic():\n        ship.delay(2); ship.delay(1)\n"
        "\n\ndef a():\n    with transaction.atomic():\n        ship.delay(1)\n",
        encoding="utf-8",
    )
    _, out, _ = run(capsys, "--format", "json", ".")
    items = json.loads(out)
    keys = [(i["path"], i["line"], i["column"], i["code"]) for i in items]
    assert keys == sorted(keys)
    assert [k for k in keys if k[0] == "shop/a_first.py"] == [
        ("shop/a_first.py", 7, 9, "TQ201"),
        ("shop/a_first.py", 7, 24, "TQ201"),
        ("shop/a_first.py", 12, 9, "TQ201"),
    ]


@pytest.mark.parametrize("fmt", ["text", "json", "sarif", "github", "gitlab"])
def test_every_format_reports_the_same_findings(
    fmt: str, project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, _ = run(capsys, "--format", fmt, ".")
    assert status == 1
    for code in SAMPLE_CODES:
        assert code in out
    if fmt in ("json", "sarif", "gitlab"):
        json.loads(out)


def test_statistics(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, "--statistics", ".")
    assert status == 1
    tail = out.splitlines()[len(SAMPLE_CODES) :]
    assert tail == [
        "1     TQ101 task-without-time-limit",
        "1     TQ109 unknown-task-option",
        "1     TQ201 enqueue-in-transaction",
        "1     TQ508 unknown-celery-setting",
        "4 findings; checked 6 files",
    ]
    # with a machine format the counts go to stderr and stdout stays parseable
    status, out, err = run(capsys, "--statistics", "--format", "json", ".")
    assert len(json.loads(out)) == 4
    assert "4 findings; checked 6 files" in err


def test_missing_path_exits_2(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run(capsys, "no_such_dir", ".")
    assert (status, out) == (2, "")
    assert "no_such_dir: no such file or directory" in err


def test_bad_option_exits_2(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        cli.main(["--format", "xml", "."])
    assert exc.value.code == 2
    assert "invalid choice: 'xml'" in capsys.readouterr().err


def test_list_rules(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["--list-rules"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines] == list(ALL_RULES)
    for line, rule in zip(lines, ALL_RULES.values()):
        assert line.split()[1] == rule.name
        assert line.split()[2] == ("on" if rule.default else "opt-in")
    assert cli.main(["--list-rules", "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["code"] for r in rows] == list(ALL_RULES)
    assert all(r["summary"] and r["family"] for r in rows)


@pytest.mark.parametrize("code", list(ALL_RULES))
def test_explain_every_code(code: str, capsys: pytest.CaptureFixture[str]) -> None:
    rule = ALL_RULES[code]
    assert cli.main(["--explain", code]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"{code} {rule.name} (")
    assert "## What it does" in out and "## Example" in out
    # by name, and in lower case, too
    assert cli.main(["--explain", rule.name]) == 0
    assert capsys.readouterr().out == out
    assert cli.main(["--explain", code.lower()]) == 0
    assert capsys.readouterr().out == out


def test_explain_unknown_code_suggests(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["--explain", "TQ2011"]) == 2
    err = capsys.readouterr().err
    assert "unknown rule 'TQ2011'" in err and "did you mean" in err and "TQ201" in err
    assert cli.main(["--explain", "enqueue-in-transactoin"]) == 2
    assert "TQ201" in capsys.readouterr().err
    assert cli.main(["--explain", "zzz"]) == 2
    err = capsys.readouterr().err
    assert "unknown rule 'zzz'" in err and "did you mean" not in err


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        cli.main(["--version"])
    assert exc.value.code == 0
    assert capsys.readouterr().out.strip() == f"tasklint {__version__}"


def test_rule_crash_becomes_tq002_and_the_run_goes_on(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    rule = ALL_RULES["TQ201"]

    def boom(self: object, node: object, ctx: object) -> None:
        raise RuntimeError("kaboom")

    monkeypatch.setattr(rule, "check", boom)
    status, out, err = run(capsys, "--format", "json", ".")
    assert status == 1 and "Traceback" not in err
    items = json.loads(out)
    crashes = [i for i in items if i["code"] == "TQ002"]
    assert crashes and all(i["line"] == 1 for i in crashes)
    assert "TQ201" in crashes[0]["message"] and "kaboom" in crashes[0]["message"]
    assert {"TQ101", "TQ109", "TQ508"} <= {i["code"] for i in items}
    assert "TQ201" not in {i["code"] for i in items}


def _subprocess(
    args: list[str], cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    full = {**os.environ, "PYTHONPATH": str(SRC), **(env or {})}
    full.pop("NO_COLOR", None) if env is None or "NO_COLOR" not in env else None
    return subprocess.run(
        [sys.executable, "-m", "tasklint", "--no-cache", *args],
        cwd=cwd,
        env=full,
        capture_output=True,
        text=True,
        check=False,
    )


def test_python_dash_m(project: Path) -> None:
    result = _subprocess(["."], project)
    assert result.returncode == 1, result.stderr
    assert [line.split()[1] for line in result.stdout.splitlines()] == SAMPLE_CODES
    assert "\033[" not in result.stdout  # a pipe is no terminal
    assert _subprocess(["--version"], project).stdout.strip() == f"tasklint {__version__}"


def _run_in_tty(project: Path, env: dict[str, str]) -> str:
    pty = pytest.importorskip("pty")
    main_fd, child_fd = pty.openpty()
    full = {**os.environ, "PYTHONPATH": str(SRC), **env}
    proc = subprocess.Popen(
        [sys.executable, "-m", "tasklint", "--no-cache", "."],
        cwd=project,
        env=full,
        stdout=child_fd,
        stderr=subprocess.DEVNULL,
    )
    os.close(child_fd)
    chunks = []
    while True:
        try:
            data = os.read(main_fd, 65536)
        except OSError:
            break
        if not data:
            break
        chunks.append(data)
    proc.wait(timeout=60)
    os.close(main_fd)
    return b"".join(chunks).decode()


@pytest.mark.skipif(sys.platform == "win32", reason="needs a pseudo-terminal")
def test_colour_on_a_terminal_unless_no_color(project: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    coloured = _run_in_tty(project, {**env, "TERM": "xterm"})
    assert "\033[31m\033[1mTQ201" in coloured
    os.environ.pop("NO_COLOR", None)
    plain = _run_in_tty(project, {"NO_COLOR": "1"})
    assert "TQ201" in plain and "\033[" not in plain


def test_closed_output_pipe_is_no_traceback(project: Path) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "tasklint", "--no-cache", "--format", "json", "."],
        cwd=project,
        env={**os.environ, "PYTHONPATH": str(SRC)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # like `tasklint | head -0`: the reader is gone before any output
    err = proc.stderr.read().decode()
    proc.wait(timeout=60)
    proc.stderr.close()
    assert "Traceback" not in err and "BrokenPipeError" not in err
    assert proc.returncode == 2
