"""``[tool.tasklint]``: every documented key, validation errors, and which file is read."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from tasklint import cli
from tasklint.config import (
    DEFAULT_TEST_MODULES,
    ConfigError,
    Settings,
    find_config_file,
    load_settings,
    parse_settings,
)

# The [tool.tasklint] example of the option contract, key for key.
FULL_TABLE = """
[tool.tasklint]
select = ["TQ"]
extend-select = ["TQ106"]
ignore = []
exclude = []
extend-exclude = []
per-file-ignores = { "tests/*" = ["TQ201"] }
test-modules = ["*.tests.*", "*.test_*", "*.conftest", "*.settings.test*", "*.settings.dev*"]

[tool.tasklint.celery]
task-decorators = ["myproj.tasks.instrumented_task"]
enqueue-functions = ["myproj.jobs.enqueue"]
django-settings = "myproj.settings.production"
visibility-timeout = 3600

[tool.tasklint.transactions]
atomic-contexts = ["myproj.db.atomic_block"]
"""


def write(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return root


def lint_json(
    capsys: pytest.CaptureFixture[str], *argv: str
) -> tuple[int, list[dict[str, object]], str]:
    status = cli.main(["--no-cache", "--format", "json", *argv])
    captured = capsys.readouterr()
    items = json.loads(captured.out) if status in (0, 1) else []
    return status, items, captured.err


def found(items: list[dict[str, object]]) -> set[tuple[object, object, object]]:
    return {(i["path"], i["line"], i["code"]) for i in items}


def test_every_documented_key_is_parsed(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(FULL_TABLE, encoding="utf-8")
    s = load_settings(tmp_path)
    assert s.select == ("TQ",)
    assert s.extend_select == ("TQ106",)
    assert s.ignore == ()
    assert s.exclude == () and s.extend_exclude == ()
    assert s.per_file_ignores == (("tests/*", ("TQ201",)),)
    assert s.test_modules[0] == "*.tests.*" and len(s.test_modules) == 5
    assert s.task_decorators == ("myproj.tasks.instrumented_task",)
    assert s.enqueue_functions == ("myproj.jobs.enqueue",)
    assert s.django_settings == "myproj.settings.production"
    assert s.visibility_timeout == 3600.0
    assert s.atomic_contexts == ("myproj.db.atomic_block",)
    assert s.source == str(tmp_path / "pyproject.toml")
    assert s.base_dir == str(tmp_path.resolve())


def test_defaults_without_a_table(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n", encoding="utf-8")
    s = load_settings(tmp_path)
    assert s == Settings()
    assert s.test_modules == DEFAULT_TEST_MODULES


@pytest.mark.parametrize(
    ("toml", "needles"),
    [
        ('selct = ["TQ2"]', ["selct: unknown key", "accepted keys:", "select", "per-file-ignores"]),
        ('ignore = "TQ201"', ["ignore: expected a list of rule codes or prefixes", "'TQ201'"]),
        ('select = ["TQ999"]', ["select: unknown rule code 'TQ999'", "TQ201", "--list-rules"]),
        ('extend-select = ["E501"]', ["extend-select: unknown rule code 'E501'"]),
        ("exclude = 3", ["exclude: expected a list of glob patterns, got 3"]),
        ("test-modules = [1]", ["test-modules: expected a list of module-name globs"]),
        ('per-file-ignores = ["x"]', ["per-file-ignores: expected a table of glob = [codes]"]),
        (
            'per-file-ignores = { "a/*" = "TQ201" }',
            ["per-file-ignores.'a/*': expected a list of rule codes"],
        ),
        ('per-file-ignores = { "a/*" = ["TQ9"] }', ["unknown rule code 'TQ9'"]),
        ("celery = 3", ["celery: expected a table ([tool.tasklint.celery])"]),
        (
            "[tool.tasklint.celery]\nvisibility-timeout = -5",
            ["celery.visibility-timeout: expected a positive number of seconds, got -5"],
        ),
        (
            '[tool.tasklint.celery]\nvisibility-timeout = "1h"',
            ["celery.visibility-timeout: expected a positive number of seconds"],
        ),
        (
            "[tool.tasklint.celery]\nvisibility-timeout = true",
            ["celery.visibility-timeout: expected a positive number"],
        ),
        (
            '[tool.tasklint.celery]\ntask-decorators = "a.b"',
            ["celery.task-decorators: expected a list of dotted paths"],
        ),
        (
            "[tool.tasklint.celery]\ndjango-settings = 1",
            ["celery.django-settings: expected a dotted module name"],
        ),
        (
            "[tool.tasklint.celery]\ntask-decorator = []",
            ["celery.task-decorator: unknown key", "task-decorators", "visibility-timeout"],
        ),
        (
            "[tool.tasklint.transactions]\natomic-context = []",
            ["transactions.atomic-context: unknown key; accepted keys: atomic-contexts"],
        ),
        ("[tool.tasklint\n", ["not valid TOML"]),
        ("[tool]\ntasklint = 3", ["[tool.tasklint] must be a table"]),
    ],
)
def test_invalid_configuration_exits_2_naming_the_key(
    toml: str,
    needles: list[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    header = "" if toml.startswith("[") else "[tool.tasklint]\n"
    (tmp_path / "pyproject.toml").write_text(header + toml + "\n", encoding="utf-8")
    write(tmp_path, {"app.py": "x = 1\n"})
    monkeypatch.chdir(tmp_path)
    status, items, err = lint_json(capsys, ".")
    assert status == 2 and items == []
    assert "Traceback" not in err
    assert str(tmp_path / "pyproject.toml") in err
    for needle in needles:
        assert needle in err, err


def test_every_error_is_reported_at_once() -> None:
    with pytest.raises(ConfigError) as exc:
        parse_settings({"selct": [], "ignore": "x", "celery": {"visibility-timeout": 0}})
    assert [e.split(":")[0] for e in exc.value.errors] == [
        "selct",
        "ignore",
        "celery.visibility-timeout",
    ]


CELERY_PROJECT = {
    "proj/__init__.py": "",
    "proj/celery.py": """
        from celery import Celery

        app = Celery("proj", broker="redis://localhost", include=["proj.tasks"], task_acks_late=True,
                     task_reject_on_worker_lost=True, worker_prefetch_multiplier=1)
        """,
    "proj/tasks.py": """
        from proj.celery import app
        from proj.instruments import instrumented_task


        @instrumented_task
        def traced(order_id):
            return order_id


        @app.task(time_limit=30)
        def ship(order_id):
            return order_id
        """,
    "proj/instruments.py": """
        def instrumented_task(fn):
            return fn
        """,
}


def test_select_ignore_and_task_decorators_from_pyproject(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    write(tmp_path, CELERY_PROJECT)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pyproject.toml").write_text("[tool.tasklint]\n", encoding="utf-8")
    _, items, _ = lint_json(capsys, ".")
    assert not any(i["path"] == "proj/tasks.py" and i["code"] == "TQ101" for i in items)

    (tmp_path / "pyproject.toml").write_text(
        '[tool.tasklint]\nselect = ["TQ1"]\n'
        '[tool.tasklint.celery]\ntask-decorators = ["proj.instruments.instrumented_task"]\n',
        encoding="utf-8",
    )
    status, items, _ = lint_json(capsys, ".")
    assert status == 1
    assert found(items) == {("proj/tasks.py", 5, "TQ101")}

    (tmp_path / "pyproject.toml").write_text(
        '[tool.tasklint]\nignore = ["TQ101"]\n'
        '[tool.tasklint.celery]\ntask-decorators = ["proj.instruments.instrumented_task"]\n',
        encoding="utf-8",
    )
    _, items, _ = lint_json(capsys, ".")
    assert "TQ101" not in {i["code"] for i in items}
    # the command line adds to pyproject's ignore, and its select replaces pyproject's
    status, items, _ = lint_json(capsys, "--select", "TQ1", "--ignore", "TQ109", ".")
    assert status == 0 and items == []


ENQUEUE_PROJECT = {
    "shop/__init__.py": "",
    "shop/jobs.py": """
        def enqueue(name, *args):
            pass
        """,
    "shop/db.py": """
        from contextlib import contextmanager


        @contextmanager
        def unit_of_work():
            yield
        """,
    "shop/views.py": """
        from django.db import transaction

        from shop.db import unit_of_work
        from shop.jobs import enqueue


        def pay(pk):
            with transaction.atomic():
                enqueue("charge", pk)


        def refund(pk):
            with unit_of_work():
                enqueue("refund", pk)
        """,
}


def test_enqueue_functions_and_atomic_contexts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    write(tmp_path, ENQUEUE_PROJECT)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pyproject.toml").write_text("[tool.tasklint]\n", encoding="utf-8")
    status, items, _ = lint_json(capsys, "--select", "TQ201", ".")
    assert (status, items) == (0, [])
    (tmp_path / "pyproject.toml").write_text(
        '[tool.tasklint.celery]\nenqueue-functions = ["shop.jobs.enqueue"]\n',
        encoding="utf-8",
    )
    _, items, _ = lint_json(capsys, "--select", "TQ201", ".")
    assert found(items) == {("shop/views.py", 9, "TQ201")}
    (tmp_path / "pyproject.toml").write_text(
        '[tool.tasklint.celery]\nenqueue-functions = ["shop.jobs.enqueue"]\n'
        '[tool.tasklint.transactions]\natomic-contexts = ["shop.db.unit_of_work"]\n',
        encoding="utf-8",
    )
    _, items, _ = lint_json(capsys, "--select", "TQ201", ".")
    assert found(items) == {("shop/views.py", 9, "TQ201"), ("shop/views.py", 14, "TQ201")}


def test_exclude_extend_exclude_and_per_file_ignores(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = "import arq\n\n\nasync def f(pool):\n    await pool.enqueue_job('x')\n"
    write(tmp_path, {"app/jobs.py": bad, "tests/test_jobs.py": bad, "build/gen.py": bad})
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pyproject.toml").write_text("[tool.tasklint]\n", encoding="utf-8")
    _, items, _ = lint_json(capsys, ".")
    assert {i["path"] for i in items} == {"app/jobs.py", "tests/test_jobs.py"}  # build/ default

    (tmp_path / "pyproject.toml").write_text(
        '[tool.tasklint]\nextend-exclude = ["tests"]\n', encoding="utf-8"
    )
    _, items, _ = lint_json(capsys, ".")
    assert {i["path"] for i in items} == {"app/jobs.py"}

    (tmp_path / "pyproject.toml").write_text(
        '[tool.tasklint]\nexclude = ["app"]\n', encoding="utf-8"
    )
    _, items, _ = lint_json(capsys, ".")
    assert {i["path"] for i in items} == {"tests/test_jobs.py", "build/gen.py"}

    (tmp_path / "pyproject.toml").write_text(
        '[tool.tasklint]\nper-file-ignores = { "tests/*" = ["TQ205"], "gen.py" = ["TQ2"] }\n',
        encoding="utf-8",
    )
    _, items, _ = lint_json(capsys, ".", "build/gen.py")
    assert {i["path"] for i in items} == {"app/jobs.py"}


def test_test_modules_and_django_settings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    write(
        tmp_path,
        {
            "site/__init__.py": "",
            "site/celery.py": """
                from celery import Celery

                app = Celery("site")
                app.config_from_object("django.conf:settings", namespace="CELERY")
                """,
            "site/settings/__init__.py": "",
            "site/settings/ci.py": "CELERY_TASK_ALWAYS_EAGER = True\n",
        },
    )
    monkeypatch.chdir(tmp_path)
    base = '[tool.tasklint]\nselect = ["TQ507"]\n'
    (tmp_path / "pyproject.toml").write_text(base, encoding="utf-8")
    _, items, _ = lint_json(capsys, ".")
    assert items == []  # the settings module is never named: unknown
    with_settings = base + '[tool.tasklint.celery]\ndjango-settings = "site.settings.ci"\n'
    (tmp_path / "pyproject.toml").write_text(with_settings, encoding="utf-8")
    _, items, _ = lint_json(capsys, ".")
    assert found(items) == {("site/settings/ci.py", 1, "TQ507")}
    (tmp_path / "pyproject.toml").write_text(
        base.replace("\n", '\ntest-modules = ["*.settings.ci"]\n', 1)
        + '[tool.tasklint.celery]\ndjango-settings = "site.settings.ci"\n',
        encoding="utf-8",
    )
    _, items, _ = lint_json(capsys, ".")
    assert items == []


def test_visibility_timeout(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    write(
        tmp_path,
        {
            "proj/__init__.py": "",
            "proj/app.py": """
                import os

                from celery import Celery

                app = Celery("proj", broker=os.environ["BROKER_URL"])


                @app.task(time_limit=600)
                def report():
                    pass
                """,
        },
    )
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pyproject.toml").write_text(
        '[tool.tasklint]\nselect = ["TQ104"]\n', encoding="utf-8"
    )
    assert lint_json(capsys, ".")[1] == []  # unknown broker: nothing to compare with
    (tmp_path / "pyproject.toml").write_text(
        '[tool.tasklint]\nselect = ["TQ104"]\n[tool.tasklint.celery]\nvisibility-timeout = 300\n',
        encoding="utf-8",
    )
    _, items, _ = lint_json(capsys, ".")
    assert found(items) == {("proj/app.py", 8, "TQ104")}


def test_nearest_pyproject_above_the_paths(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = "import arq\n\n\nasync def f(pool):\n    await pool.enqueue_job('x')\n"
    write(
        tmp_path,
        {
            "repo/pyproject.toml": '[tool.tasklint]\nignore = ["TQ205"]\n',
            "repo/svc/jobs.py": bad,
            "repo/inner/pyproject.toml": "[tool.tasklint]\n",
            "repo/inner/jobs.py": bad,
            "repo/plain/pyproject.toml": "[project]\nname = 'plain'\n",
            "repo/plain/jobs.py": bad,
        },
    )
    monkeypatch.chdir(tmp_path)
    assert find_config_file(tmp_path / "repo" / "svc") == tmp_path / "repo" / "pyproject.toml"
    assert find_config_file(tmp_path / "repo" / "svc" / "jobs.py") == (
        tmp_path / "repo" / "pyproject.toml"
    )
    # a pyproject.toml without [tool.tasklint] is passed over
    assert find_config_file(tmp_path / "repo" / "plain") == tmp_path / "repo" / "pyproject.toml"
    assert find_config_file(tmp_path / "repo" / "inner") == (
        tmp_path / "repo" / "inner" / "pyproject.toml"
    )
    assert lint_json(capsys, "repo/svc")[:2] == (0, [])
    assert lint_json(capsys, "repo/plain/jobs.py")[:2] == (0, [])
    status, items, _ = lint_json(capsys, "repo/inner")
    assert status == 1 and found(items) == {("repo/inner/jobs.py", 5, "TQ205")}
    # run from inside the project: the same file is read
    monkeypatch.chdir(tmp_path / "repo" / "svc")
    assert lint_json(capsys)[:2] == (0, [])


def test_explicit_config_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = "import arq\n\n\nasync def f(pool):\n    await pool.enqueue_job('x')\n"
    write(
        tmp_path,
        {
            "pyproject.toml": "[tool.tasklint]\n",
            "jobs.py": bad,
            "configs/strict.toml": '[tool.tasklint]\nignore = ["TQ205"]\n',
            "configs/broken.toml": "[tool.tasklint]\nselect = 1\n",
        },
    )
    monkeypatch.chdir(tmp_path)
    assert lint_json(capsys, ".")[0] == 1
    assert lint_json(capsys, "--config", "configs/strict.toml", ".")[:2] == (0, [])
    status, _, err = lint_json(capsys, "--config", "configs/broken.toml", ".")
    assert status == 2 and "select: expected a list of rule codes" in err
    assert "broken.toml" in err
    status, _, err = lint_json(capsys, "--config", "configs/missing.toml", ".")
    assert status == 2 and "--config: no such file: configs/missing.toml" in err
