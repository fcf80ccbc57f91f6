"""Fitting a ruff user's workflow (issue 15, items 4-8): editors (standard input,
``--show-source``, ``-q``, colour variables, explicit files), flake8 opt-in selection,
``--config`` and baselines, the arq/Dramatiq inventory, and what every format reports."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tasklint import cli, docs
from tasklint.config import Settings, load_settings
from tasklint.engine import lint_paths
from tasklint.findings import Finding
from tasklint.output import REPORTERS
from tasklint.output.text import caret_line
from tasklint.rules import ALL_RULES, default_codes
from tests.support.runner import FIXTURES

SRC = Path(__file__).resolve().parents[1] / "src"
SAMPLE = FIXTURES / "sample_project"


@pytest.fixture()
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "sample"
    shutil.copytree(SAMPLE, root)
    monkeypatch.chdir(root)
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    return root


def tasklint(
    cwd: Path, *args: str, stdin: str | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    full = {**os.environ, "PYTHONPATH": str(SRC)}
    full.pop("NO_COLOR", None)
    full.pop("FORCE_COLOR", None)
    full.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "tasklint", "--no-cache", *args],
        cwd=cwd,
        input=stdin,
        capture_output=True,
        text=True,
        env=full,
        check=False,
    )


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = cli.main(["--no-cache", *argv])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


# -- 4. editors ------------------------------------------------------------------------------


def test_stdin_is_checked_as_the_named_file_of_its_project(project: Path) -> None:
    views = project / "shop" / "views.py"
    on_disk = views.read_text(encoding="utf-8")
    views.write_text("", encoding="utf-8")  # the buffer, not the disk, is what counts
    proc = tasklint(project, "-", "--stdin-filename", "shop/views.py", stdin=on_disk)
    assert proc.returncode == 1, proc.stderr
    # send_receipt is a task only the project index (shop/tasks.py) knows about
    assert proc.stdout.startswith("shop/views.py:10:9: TQ201 `send_receipt` is enqueued")
    assert proc.stdout.count("\n") == 1
    clean = on_disk.replace("        send_receipt.delay(order.pk)\n", "")
    proc = tasklint(project, "-", "--stdin-filename", "shop/views.py", stdin=clean)
    assert (proc.returncode, proc.stdout) == (0, ""), proc.stderr


def test_stdin_buffer_replaces_the_file_for_project_rules(project: Path) -> None:
    """TQ108 compares task names across files: the buffer's tasks, not the disk's, count;
    and a finding of the other file is not reported for the buffer."""
    (project / "shop" / "billing.py").write_text(
        "from celery import shared_task\n\n\n"
        '@shared_task(name="shop.charge", time_limit=60)\n'
        "def charge():\n    pass\n",
        encoding="utf-8",
    )
    buffer = (
        "from celery import shared_task\n\n\n"
        '@shared_task(name="shop.charge", time_limit=60)\n'
        "def charge_again():\n    pass\n"
    )
    proc = tasklint(
        project, "--select", "TQ108", "-", "--stdin-filename", "shop/refunds.py", stdin=buffer
    )
    assert proc.returncode == 1, proc.stderr
    assert proc.stdout.startswith("shop/refunds.py:4:2: TQ108 Task name `shop.charge`")
    assert "billing.py" in proc.stdout and proc.stdout.count("\n") == 1
    # the same check without the buffer: no duplicate, nothing reported
    proc = tasklint(project, "-", "--stdin-filename", "shop/refunds.py", stdin="x = 1\n", env={})
    assert (proc.returncode, proc.stdout) == (0, "")


def test_stdin_without_a_filename_and_bad_input(project: Path) -> None:
    proc = tasklint(project, "-", stdin="def broken(:\n")
    assert proc.returncode == 1
    assert proc.stdout.startswith("-:1:1: TQ001 Cannot check this file: syntax error")
    proc = tasklint(project, "-", "shop", stdin="x = 1\n")
    assert proc.returncode == 2 and "cannot be combined" in proc.stderr
    proc = tasklint(project, "-", "--stdin-filename", "shop/v.py", stdin="x = 1\n")
    assert (proc.returncode, proc.stdout) == (0, "")


def test_show_source_prints_the_line_and_a_caret(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, _ = run(capsys, "--show-source", "shop/views.py", "shop/tasks.py")
    assert status == 1
    lines = out.splitlines()
    i = lines.index(next(line for line in lines if " TQ201 " in line))
    assert lines[i + 1] == "        send_receipt.delay(order.pk)"
    assert lines[i + 2] == "        " + "^" * len("send_receipt.delay(order.pk)")
    j = lines.index(next(line for line in lines if " TQ109 " in line))
    assert lines[j + 1] == "@shared_task(max_retry=5)"
    assert lines[j + 2] == " " * 13 + "^" * len("max_retry=5")
    # the machine formats are unchanged by it
    _, plain, _ = run(capsys, "--format", "json", "shop")
    _, shown, _ = run(capsys, "--format", "json", "--show-source", "shop")
    assert plain == shown


def test_caret_keeps_tabs_and_covers_at_least_one_character() -> None:
    assert caret_line("\tfoo(x)", 2, 8, True) == "\t^^^^^^"
    assert caret_line("abc", 4, None, True) == "   ^"
    assert caret_line("call(", 1, 3, False) == "^^^^^"  # a multi-line node: to the line's end


def test_quiet_prints_findings_only(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "notes.txt").write_text("notes\n", encoding="utf-8")
    status, out, err = run(capsys, "--statistics", "notes.txt", "shop")
    assert "checked" in out and "skipping notes.txt" in err
    quiet_status, quiet_out, quiet_err = run(capsys, "-q", "--statistics", "notes.txt", "shop")
    assert quiet_status == status == 1
    assert quiet_err == ""
    assert quiet_out.splitlines() == [line for line in out.splitlines() if ": TQ" in line]
    status, out, err = run(capsys, "--quiet", "--write-baseline", "b.json", "shop")
    assert (status, out, err) == (0, "", "")


@pytest.mark.parametrize(
    ("env", "coloured"),
    [
        ({}, False),  # piped: no colour
        ({"FORCE_COLOR": "1"}, True),
        ({"FORCE_COLOR": ""}, False),  # empty: unset (force-color.org)
        ({"FORCE_COLOR": "1", "NO_COLOR": "1"}, False),  # NO_COLOR wins
    ],
)
def test_colour_environment_variables(project: Path, env: dict[str, str], coloured: bool) -> None:
    proc = tasklint(project, "shop/views.py", env=env)
    assert proc.returncode == 1
    assert ("\033[" in proc.stdout) is coloured
    proc = tasklint(project, "--format", "json", "shop/views.py", env=env)
    assert "\033[" not in proc.stdout  # never in a machine format
    json.loads(proc.stdout)


def test_extension_less_script_with_a_python_shebang(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    script = project / "bin" / "enqueue"
    script.parent.mkdir()
    script.write_text(
        "#!/usr/bin/env python3\nfrom django.db import transaction\n\n"
        "from shop.tasks import ship\n\nwith transaction.atomic():\n    ship.delay(1)\n",
        encoding="utf-8",
    )
    status, out, err = run(capsys, "bin/enqueue")
    assert status == 1, err
    assert out.startswith("bin/enqueue:7:5: TQ201 `ship` is enqueued inside")
    # a directory walk still takes only *.py files
    status, out, _ = run(capsys, "bin")
    assert (status, out) == (0, "")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_only_regular_files_are_read(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    os.mkfifo(project / "pipe.py")  # reading it would block forever
    status, out, err = run(capsys, "pipe.py", "shop/views.py")
    assert status == 1 and "skipping pipe.py: not a regular file" in err
    assert out.startswith("shop/views.py:10:9: TQ201 ")
    status, _, err = run(capsys, "pipe.py")
    assert status == 2 and "none of the given paths is Python source" in err


# -- 5. flake8 -------------------------------------------------------------------------------

FLAKE8_CASE = """\
from celery import shared_task


@shared_task(autoretry_for=(Exception,), max_retries=3, time_limit=60)
def sync():
    pass
"""


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        (["--select", "TQ"], set()),  # opt-in rules need their full code, as in the CLI
        (["--select", "TQ106"], {"TQ106"}),
        (["--select", "TQ1,TQ106"], {"TQ106"}),  # TQ107 (opt-in) is not named in full
        (["--extend-select", "TQ106"], {"TQ106"}),
        (["--select", "TQ", "--extend-select", "TQ106,TQ107"], {"TQ106", "TQ107"}),
    ],
)
def test_flake8_select_turns_on_opt_in_rules(
    tmp_path: Path, options: list[str], expected: set[str]
) -> None:
    pytest.importorskip("flake8")
    (tmp_path / "pyproject.toml").write_text("[tool.tasklint]\n", encoding="utf-8")
    (tmp_path / "jobs.py").write_text(FLAKE8_CASE, encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, "-m", "flake8", "--isolated", "--tasklint-no-cache", *options],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(SRC)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode in (0, 1), proc.stderr
    codes = {line.split(": ")[1].split()[0] for line in proc.stdout.splitlines()}
    assert {c for c in codes if c.startswith("TQ")} == expected, proc.stdout
    # the CLI with the same selection reports the same TQ codes
    cli_options = [o for o in options]
    mine = tasklint(tmp_path, "--format", "json", *cli_options, ".")
    assert {f["code"] for f in json.loads(mine.stdout)} == expected


# -- 6. configuration and baselines ----------------------------------------------------------


def test_config_file_without_a_table_is_an_error(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    other = project / "other.toml"
    other.write_text("[tool.ruff]\nline-length = 100\n", encoding="utf-8")
    status, out, err = run(capsys, "--config", "other.toml", ".")
    assert status == 2 and out == ""
    assert "other.toml" in err and "no [tool.tasklint] table" in err
    other.write_text("[tool.tasklint]\n", encoding="utf-8")  # an empty table is fine
    status, _, _ = run(capsys, "--config", "other.toml", ".")
    assert status == 1


def test_select_given_twice_adds_up_and_codes_in_any_case(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def codes(*argv: str) -> list[str]:
        status, out, err = run(capsys, "--format", "json", *argv, ".")
        assert status in (0, 1), err
        return sorted(f["code"] for f in json.loads(out))

    assert codes("--select", "TQ101", "--select", "TQ201") == ["TQ101", "TQ201"]
    assert codes("--select", "tq101,tq2") == ["TQ101", "TQ201"]
    assert codes("--ignore", "tq1", "--ignore", "TQ508") == ["TQ201"]
    (project / "shop" / "extra.py").write_text(
        "from celery import shared_task\n\n\n"
        "@shared_task(autoretry_for=(Exception,), time_limit=60)\ndef f():\n    pass\n",
        encoding="utf-8",
    )
    assert "TQ106" in codes("--extend-select", "tq106", "--extend-select", "TQ107")
    assert "TQ107" in codes("--extend-select", "tq106", "--extend-select", "TQ107")
    pyproject = project / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text(encoding="utf-8") + 'select = ["tq2"]\n', encoding="utf-8"
    )
    assert codes() == ["TQ201"]
    status, out, _ = run(capsys, "--explain", "tq101")
    assert status == 0 and out.startswith("TQ101 task-without-time-limit")


def _baseline_entries(path: Path) -> list[dict[str, str]]:
    data = json.loads(path.read_text(encoding="utf-8"))
    assert (data["tool"], data["format"]) == ("tasklint", 2)
    entries: list[dict[str, str]] = data["findings"]
    return entries


def test_baseline_is_anchored_to_the_project_root(project: Path) -> None:
    wrote = tasklint(project / "shop", "--write-baseline", "../baseline.json", ".")
    assert wrote.returncode == 0, wrote.stderr
    entries = _baseline_entries(project / "baseline.json")
    # paths relative to the project root, whichever directory it was written from
    assert sorted({e["path"] for e in entries}) == [
        "shop/settings.py",
        "shop/tasks.py",
        "shop/views.py",
    ]
    for cwd, args in [
        (project, ["."]),
        (project, ["shop"]),
        (project, ["shop/views.py"]),
        (project / "shop", ["."]),
        (project / "shop", ["views.py", "tasks.py"]),
        (project.parent, ["sample"]),
    ]:
        baseline = os.path.relpath(project / "baseline.json", cwd)
        proc = tasklint(cwd, "--baseline", baseline, *args)
        assert (proc.returncode, proc.stdout) == (0, ""), (cwd, args, proc.stdout)
    # a new finding is still reported, with the path as this run shows it
    tasks = project / "shop" / "tasks.py"
    tasks.write_text(
        tasks.read_text(encoding="utf-8") + "\n\n@shared_task\ndef added():\n    pass\n",
        encoding="utf-8",
    )
    proc = tasklint(project / "shop", "--baseline", "../baseline.json", "tasks.py")
    assert proc.returncode == 1
    assert proc.stdout.startswith("tasks.py:17:2: TQ101 Task `added`")


def test_a_new_task_above_a_baselined_one_is_new(project: Path) -> None:
    tasks = project / "shop" / "tasks.py"
    source = tasks.read_text(encoding="utf-8")
    tasks.write_text(source + "\n\n@shared_task\ndef first():\n    pass\n", encoding="utf-8")
    assert tasklint(project, "--write-baseline", "baseline.json", ".").returncode == 0
    # the same decorator line, added above the baselined task
    marker = "\n\n@shared_task\ndef first():"
    tasks.write_text(
        tasks.read_text(encoding="utf-8").replace(
            marker, "\n\n@shared_task\ndef second():\n    pass\n" + marker
        ),
        encoding="utf-8",
    )
    proc = tasklint(project, "--baseline", "baseline.json", ".")
    assert proc.returncode == 1
    assert proc.stdout.count("\n") == 1, proc.stdout
    assert "TQ101 Task `second`" in proc.stdout


def test_foreign_and_old_baselines_are_refused(project: Path) -> None:
    foreign = project / "ruff.json"
    foreign.write_text(json.dumps({"tool": "ruff", "findings": []}), encoding="utf-8")
    proc = tasklint(project, "--baseline", "ruff.json", ".")
    assert proc.returncode == 2 and proc.stdout == ""
    assert "ruff.json is not a tasklint baseline (it was written by 'ruff')" in proc.stderr
    old = project / "old.json"
    old.write_text(
        json.dumps({"tool": "tasklint", "version": "0.0.1", "format": 1, "findings": []}),
        encoding="utf-8",
    )
    proc = tasklint(project, "--baseline", "old.json", ".")
    assert proc.returncode == 2 and proc.stdout == ""
    assert "old.json has baseline format 1" in proc.stderr
    assert "--write-baseline" in proc.stderr and "Traceback" not in proc.stderr
    damaged = project / "damaged.json"
    damaged.write_text(json.dumps({"tool": "tasklint", "format": 2}), encoding="utf-8")
    proc = tasklint(project, "--baseline", "damaged.json", ".")
    assert proc.returncode == 2 and "damaged tasklint baseline" in proc.stderr


# -- 7. inventory ----------------------------------------------------------------------------


def _inventory(cwd: Path, *args: str) -> dict[str, dict[str, object]]:
    proc = subprocess.run(
        [sys.executable, "-m", "tasklint", "inventory", "--no-cache", "--format", "json", *args],
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": str(SRC)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    return {str(row["name"]): row for row in json.loads(proc.stdout)["tasks"]}


def test_inventory_lists_arq_jobs_with_their_options(tmp_path: Path) -> None:
    root = tmp_path / "svc"
    (root / "app").mkdir(parents=True)
    (root / "pyproject.toml").write_text("[tool.tasklint]\n", encoding="utf-8")
    (root / "app" / "__init__.py").write_text("", encoding="utf-8")
    (root / "app" / "worker.py").write_text(
        "from arq import cron, func\n\n\n"
        "async def send(ctx, to):\n    pass\n\n\n"
        "async def resize(ctx, image_id):\n    pass\n\n\n"
        "async def nightly(ctx):\n    pass\n\n\n"
        "class WorkerSettings:\n"
        "    functions = [send, func(resize, timeout=30, max_tries=2, name='resize_image')]\n"
        "    cron_jobs = [cron(nightly, hour=2)]\n"
        "    job_timeout = 120\n"
        "    queue_name = 'jobs'\n\n\n"
        "async def web(pool):\n    await pool.enqueue_job('send', 'a@example.com')\n",
        encoding="utf-8",
    )
    rows = _inventory(root, ".")
    assert set(rows) == {"send", "resize_image", "cron:nightly"}
    send = rows["send"]
    assert send["library"] == "arq" and send["location"] == "app/worker.py:4"
    assert (send["time_limit"], send["time_limit_source"]) == (120, "WorkerSettings.job_timeout")
    assert (send["max_retries"], send["max_retries_source"]) == (
        4,
        "max_tries from arq default",
    )
    assert (send["queue"], send["queue_source"]) == ("jobs", "WorkerSettings.queue_name")
    assert send["enqueued"] is True
    assert (send["soft_time_limit"], send["soft_time_limit_source"]) == (None, None)
    resize = rows["resize_image"]
    assert (resize["time_limit"], resize["time_limit_source"]) == (30, "func(timeout=...)")
    assert resize["max_retries"] == 1 and resize["enqueued"] is False


def test_inventory_lists_dramatiq_actors_in_seconds(tmp_path: Path) -> None:
    root = tmp_path / "svc"
    (root / "jobs").mkdir(parents=True)
    (root / "pyproject.toml").write_text("[tool.tasklint]\n", encoding="utf-8")
    (root / "jobs" / "__init__.py").write_text("", encoding="utf-8")
    (root / "jobs" / "actors.py").write_text(
        "import dramatiq\n\n\n"
        '@dramatiq.actor(time_limit=60_000, max_retries=3, queue_name="mail")\n'
        "def send(to):\n    pass\n\n\n"
        "@dramatiq.actor\ndef plain():\n    pass\n\n\n"
        '@dramatiq.actor(actor_name="renamed", time_limit=LIMIT)\ndef other():\n    pass\n\n\n'
        '@dramatiq.actor(time_limit=float("inf"))\ndef forever():\n    pass\n\n\n'
        "LIMIT = int('5')\n"
        'send.send("a@example.com")\n',
        encoding="utf-8",
    )
    rows = _inventory(root)
    assert set(rows) == {"send", "plain", "renamed", "forever"}
    # never Infinity (which is no JSON): null, as no limit or as a value not worked out
    assert rows["forever"]["time_limit"] is None
    assert rows["forever"]["time_limit_source"] in (None, "unknown (actor)")
    from tasklint.inventory import _const_option
    from tasklint.syntax.values import Value

    assert _const_option(Value("const", float("inf")), "actor").state == "absent"
    send = rows["send"]
    assert send["library"] == "dramatiq" and send["location"] == "jobs/actors.py:4"
    assert send["time_limit"] == 60 and send["time_limit_source"] == "actor: time_limit=60000 ms"
    assert (send["max_retries"], send["queue"], send["enqueued"]) == (3, "mail", True)
    plain = rows["plain"]
    assert (plain["time_limit"], plain["time_limit_source"]) == (600, "Dramatiq default")
    assert (plain["max_retries"], plain["queue"]) == (20, "default")
    other = rows["renamed"]
    assert other["time_limit"] is None and other["time_limit_source"] == "unknown (actor)"


def test_inventory_text_columns_follow_the_row_fields(tmp_path: Path) -> None:
    from tasklint.inventory import NOT_APPLICABLE, Option, TaskRow, columns, render

    row = TaskRow(
        "celery",
        "shop.tasks.ship",
        "shop/tasks.py",
        4,
        Option("known", 300, "task"),
        Option("absent"),
        Option("known", 3, "Celery default"),
        Option("unknown", source="no Celery app in the project"),
        NOT_APPLICABLE,
        True,
    )
    buf = io.StringIO()
    render([row], "text", buf)
    header, line, summary = buf.getvalue().splitlines()
    assert header.split() == columns()
    assert line.split("  ")[0] == "celery"
    assert "300 (task)" in line and "? (no Celery app in the project)" in line
    assert summary == "1 task, 0 without a time limit, 0 never enqueued in this project"
    data = row.as_json()
    assert data["time_limit"] == 300 and data["time_limit_source"] == "task"
    assert data["soft_time_limit"] is None and data["soft_time_limit_source"] is None


def test_help_mentions_inventory(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        cli.main(["--help"])
    out = capsys.readouterr().out
    assert "tasklint inventory" in out
    # options before the subcommand: the error says where the subcommand goes
    assert cli.main(["--no-cache", "inventory"]) == 2
    assert "the subcommand comes first" in capsys.readouterr().err


# -- 8. messages and formats -----------------------------------------------------------------


def test_statistics_says_how_many_files_were_checked(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, out, _ = run(capsys, "--statistics", "shop/views.py")
    assert out.splitlines()[-1] == "1 finding; checked 1 file"


def _render(fmt: str, findings: list[Finding]) -> str:
    buf = io.StringIO()
    REPORTERS[fmt](findings, buf, False)
    return buf.getvalue()


def test_one_severity_per_rule_in_every_format() -> None:
    from tasklint.output.severity import LEVELS

    findings = [
        Finding("a.py", 1, 1, code, "message", rule.name, 1, 2) for code, rule in ALL_RULES.items()
    ]
    sarif = json.loads(_render("sarif", findings))["runs"][0]
    gitlab = json.loads(_render("gitlab", findings))
    github = _render("github", findings).splitlines()
    descriptors = {
        r["id"]: r["defaultConfiguration"]["level"] for r in sarif["tool"]["driver"]["rules"]
    }
    for i, (code, rule) in enumerate(ALL_RULES.items()):
        spelled = LEVELS[rule.severity]
        assert sarif["results"][i]["level"] == descriptors[code] == spelled["sarif"]
        assert gitlab[i]["severity"] == spelled["gitlab"]
        assert github[i].startswith(f"::{spelled['github']} ")
    assert ALL_RULES["TQ001"].severity == "error" and ALL_RULES["TQ201"].severity == "warning"


def test_list_rules_json_gives_each_rules_severity(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["--list-rules", "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert {r["code"]: r["severity"] for r in rows} == {
        code: rule.severity for code, rule in ALL_RULES.items()
    }


def test_every_finding_has_a_range_that_ends_after_it_starts(tmp_path: Path) -> None:
    """Project rules build findings from facts, without nodes: the engine completes them
    from the node that starts at the finding (here TQ101, TQ108, TQ501, TQ508)."""
    seen: set[str] = set()
    single = tmp_path / "single"
    single.mkdir()
    shutil.copy(FIXTURES / "rules" / "TQ108.py", single / "TQ108.py")
    for folder in ["celeryconfig_module", "celery_conf_update", "arq_worker", "single"]:
        target = tmp_path / folder
        if folder != "single":
            shutil.copytree(FIXTURES / "projects" / folder, target)
        settings = load_settings(target)
        result = lint_paths([target], settings, use_cache=False, base=target, root=target)
        for f in result.findings:
            if f.code == "TQ001":
                continue  # no node: the file does not parse
            assert f.end_line is not None and f.end_col is not None, f
            assert (f.end_line, f.end_col) > (f.line, f.col), f
            seen.add(f.code)
    assert {"TQ101", "TQ108", "TQ501", "TQ508", "TQ602"} <= seen, seen
    proc = tasklint(tmp_path / "celeryconfig_module", "--format", "sarif", ".")
    regions = [
        r["locations"][0]["physicalLocation"]["region"]
        for r in json.loads(proc.stdout)["runs"][0]["results"]
    ]
    assert regions and all("endLine" in r and "endColumn" in r for r in regions)
    assert {"startLine": 7, "startColumn": 1, "endLine": 7, "endColumn": 14} in regions


@pytest.mark.parametrize("code", [c for c in ALL_RULES if docs.examples(ALL_RULES[c])[1]])
def test_use_instead_examples_trip_no_default_rule(code: str, tmp_path: Path) -> None:
    _, good = docs.examples(ALL_RULES[code])
    assert good is not None
    files = docs.example_files(good)
    for rel, text in files.items():
        target = tmp_path / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        for parent in Path(rel).parents:
            init = tmp_path / parent / "__init__.py"
            if parent != Path(".") and not init.exists():
                init.write_text("", encoding="utf-8")
    settings = Settings(select=tuple(sorted(default_codes())))
    result = lint_paths([tmp_path], settings, use_cache=False, base=tmp_path, root=tmp_path)
    assert result.findings == [], f"{code}: its 'Use instead' example trips {result.findings}"


@pytest.mark.skipif(
    shutil.which("pre-commit") is None or shutil.which("git") is None,
    reason="needs pre-commit and git",
)
def test_readme_pre_commit_snippet_works_as_written(tmp_path: Path) -> None:
    """The README's `.pre-commit-config.yaml`, verbatim, in a repository of the sample
    project, with `tasklint` on PATH (here: this checkout)."""
    import re

    from tests.support.runner import REPO

    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("## pre-commit", 1)[1]
    snippet = re.search(r"```yaml\n(.*?)```", section, re.DOTALL)
    assert snippet is not None and "repo: local" in snippet.group(1)
    repo = tmp_path / "shop-repo"
    shutil.copytree(SAMPLE, repo)
    (repo / ".pre-commit-config.yaml").write_text(snippet.group(1), encoding="utf-8")
    shim = tmp_path / "bin" / "tasklint"
    shim.parent.mkdir()
    shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m tasklint --no-cache "$@"\n')
    shim.chmod(0o755)
    env = {
        **os.environ,
        "PATH": f"{shim.parent}{os.pathsep}{os.environ['PATH']}",
        "PYTHONPATH": str(SRC),
        "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home"),
        "NO_COLOR": "1",
    }
    git = ["git", "-c", "user.email=t@example.com", "-c", "user.name=t"]
    subprocess.run([*git, "init", "-q"], cwd=repo, check=True)
    subprocess.run([*git, "add", "-A"], cwd=repo, check=True)

    def hook(*files: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["pre-commit", "run", "--color", "never", "--files", *files],
            cwd=repo,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )

    failed = hook("shop/views.py", "shop/tasks.py")
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert "shop/views.py:10:9: TQ201 " in failed.stdout  # the task is defined elsewhere
    assert "shop/tasks.py:6:14: TQ109 " in failed.stdout and "settings.py" not in failed.stdout
    passed = hook("shop/models.py")
    assert passed.returncode == 0 and "Passed" in passed.stdout, passed.stdout


def test_flake8_stdin_sees_the_buffer_in_its_project(project: Path) -> None:
    """`flake8 --stdin-display-name PATH -` and `tasklint - --stdin-filename PATH` agree,
    project rules included (TQ108 compares the buffer's task names with other files')."""
    pytest.importorskip("flake8")
    buffer = (
        "from celery import shared_task\n\n\n"
        '@shared_task(name="shop.tasks.ship", time_limit=60)\ndef again():\n    pass\n'
    )
    proc = subprocess.run(
        [
            *(sys.executable, "-m", "flake8", "--isolated", "--select", "TQ"),
            *("--tasklint-no-cache", "--stdin-display-name", "shop/refunds.py", "-"),
        ],
        cwd=project,
        input=buffer,
        env={**os.environ, "PYTHONPATH": str(SRC)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 1, proc.stderr
    assert proc.stdout.startswith("shop/refunds.py:4:2: TQ108 Task name `shop.tasks.ship`")
    mine = tasklint(project, "-", "--stdin-filename", "shop/refunds.py", stdin=buffer)
    assert [line.rsplit(" [", 1)[0] for line in mine.stdout.splitlines()] == (
        proc.stdout.splitlines()
    )
