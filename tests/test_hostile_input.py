"""A repository is hostile input (issue 14): tasklint never runs its code, never leaves the
checked roots, never crashes on what it finds there, and never lets names from the code
inject output. Every case runs the real command line in a subprocess unless it needs an
in-process patch.
"""

from __future__ import annotations

import ast
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import tasklint

SRC = Path(tasklint.__file__).resolve().parents[1]
REPO = SRC.parent
FIXTURE = REPO / "fixtures" / "projects" / "django_split_settings"


def run(
    cwd: Path, *args: str, env: dict[str, str] | None = None, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, "PYTHONPATH": str(SRC), "NO_COLOR": "1", **(env or {})}
    full_env.pop("TASKLINT_DEBUG", None)
    return subprocess.run(
        [sys.executable, "-m", "tasklint", *args],
        cwd=cwd,
        env=full_env,
        capture_output=True,
        text=True,
        encoding="utf-8",
        errors="backslashreplace",
        timeout=timeout,
    )


def no_traceback(proc: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stdout, proc.stdout


def json_findings(proc: subprocess.CompletedProcess[str]) -> list[dict[str, Any]]:
    no_traceback(proc)
    data: list[dict[str, Any]] = json.loads(proc.stdout)
    return data


@pytest.fixture
def project(tmp_path: Path) -> Path:
    target = tmp_path / "proj"
    shutil.copytree(FIXTURE, target)
    return target


# -- running repository code ---------------------------------------------------------------


def _imported_stdlib_modules() -> set[str]:
    """Every top-level module tasklint's source imports, lazily or not."""
    names = {"__future__"}
    for path in (SRC / "tasklint").rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module.split(".")[0])
    return {n for n in names if n != "tasklint"}


@pytest.mark.skipif(
    sys.version_info < (3, 11),
    reason="Python 3.9 and 3.10 import runpy and its imports for -m from the working "
    "directory before tasklint runs (3.11 has them frozen): the README says to run the "
    "console script or python -I -m there",
)
def test_python_m_never_imports_the_repositorys_modules(project: Path) -> None:
    modules = _imported_stdlib_modules()
    assert {"json", "argparse", "fnmatch", "dataclasses", "tokenize"} <= modules
    modules |= set(getattr(sys, "stdlib_module_names", ())) - {"sys", "builtins"}
    marker = project.parent / "canary.log"
    for name in sorted(modules):
        (project / f"{name}.py").write_text(
            f"open({str(marker)!r}, 'a').write({name!r} + '\\n')\nraise SystemExit(99)\n",
            encoding="utf-8",
        )
    commands = [
        ("--no-cache", "."),
        ("--format", "sarif", "-j", "2", "--statistics", "."),
        ("--format", "github", "."),
        ("--explain", "TQ101"),
        ("--list-rules",),
        ("inventory", "--format", "markdown", "--no-cache", "."),
    ]
    for args in commands:
        proc = run(project, *args)
        no_traceback(proc)
        assert proc.returncode in (0, 1), (args, proc.stderr)
        assert not marker.exists(), (args, marker.read_text())


# -- writing what it should not --------------------------------------------------------------

HOSTILE_NAMES = [
    "x\n::error file=README.md,line=1::INJECTED",
    "osc\x1b]8;;https://evil.example\x07link\x1b[31mred",
    "bidi\u202eevil",
    "dup\ud800",
]
FORMATS = ["text", "json", "sarif", "github", "gitlab"]


DUPLICATES = """from celery import shared_task


@shared_task(name="{name}")
def one():
    pass


@shared_task(name="{name}")
def two():
    pass
"""


def _hostile_project(tmp_path: Path) -> Path:
    proj = tmp_path / "inject"
    proj.mkdir()
    (proj / "pyproject.toml").write_text("[project]\nname = 'inject'\n", encoding="utf-8")
    body = ["from celery import shared_task", ""]
    for i, name in enumerate(HOSTILE_NAMES):
        literal = ascii(name)  # keeps the lone surrogate writable as UTF-8 source
        for j in range(2):
            body += [f"@shared_task(name={literal})", f"def task_{i}_{j}():", "    pass", ""]
    (proj / "tasks.py").write_text("\n".join(body), encoding="utf-8")
    # a file whose name carries a newline and a workflow command, with a finding of its own
    (proj / "new\n::error file=x::FILE.py").write_text(
        DUPLICATES.format(name="f"), encoding="utf-8"
    )
    return proj


def _assert_inert(out: str) -> None:
    for line in out.splitlines():
        assert not line.startswith("::error file=README.md"), line
        assert not line.startswith("::error file=x"), line
    for bad in ("\x1b", "\x07", "\u202e"):
        assert bad not in out, repr(bad)


@pytest.mark.parametrize("fmt", FORMATS)
def test_names_and_file_names_from_the_code_are_escaped(tmp_path: Path, fmt: str) -> None:
    proj = _hostile_project(tmp_path)
    proc = run(proj, "--no-cache", "--format", fmt, ".")
    no_traceback(proc)
    assert proc.returncode == 1, proc.stderr
    _assert_inert(proc.stdout)
    if fmt in ("json", "sarif", "gitlab"):
        json.loads(proc.stdout)  # still valid JSON
    if fmt == "text":
        assert "TQ108" in proc.stdout and "\\u202e" in proc.stdout and "\\ud800" in proc.stdout
        assert "new\\n::error file=x::FILE.py:" in proc.stdout
    if fmt == "github":
        lines = proc.stdout.splitlines()
        assert lines and all(
            line.startswith(("::error file=", "::warning file=", "::notice file="))
            for line in lines
        )


def test_inventory_escapes_names_in_every_format(tmp_path: Path) -> None:
    proj = _hostile_project(tmp_path)
    for fmt in ("text", "markdown", "json"):
        proc = run(proj, "inventory", "--no-cache", "--format", fmt, ".")
        no_traceback(proc)
        assert proc.returncode == 0, proc.stderr
        _assert_inert(proc.stdout)
        if fmt == "markdown":
            rows = [line for line in proc.stdout.splitlines() if line.startswith("|")]
            assert len(rows) == 2 + 2 * len(HOSTILE_NAMES) + 2, proc.stdout  # + the file's two
            assert all(line.endswith("|") for line in rows)


def test_flake8_survives_lone_surrogates_and_escapes(tmp_path: Path) -> None:
    pytest.importorskip("flake8")
    proj = _hostile_project(tmp_path)
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    proc = subprocess.run(
        [sys.executable, "-m", "flake8", "--select", "TQ", "tasks.py"],
        cwd=proj,
        env=env,
        capture_output=True,
        text=True,
        encoding="utf-8",
        errors="backslashreplace",
        timeout=300,
    )
    no_traceback(proc)
    assert "TQ108" in proc.stdout, proc.stdout + proc.stderr
    _assert_inert(proc.stdout)


def test_sarif_uris_are_percent_encoded(tmp_path: Path) -> None:
    proj = tmp_path / "uris"
    proj.mkdir()
    (proj / "pyproject.toml").write_text("", encoding="utf-8")
    for name in ("with space.py", "hash#frag.py", "q?uery.py", "pct%41.py"):
        (proj / name).write_text(DUPLICATES.format(name=name), encoding="utf-8")
    proc = run(proj, "--no-cache", "--format", "sarif", ".")
    no_traceback(proc)
    doc = json.loads(proc.stdout)
    uris = {
        loc["physicalLocation"]["artifactLocation"]["uri"]
        for result in doc["runs"][0]["results"]
        for loc in result["locations"]
    }
    assert {"with%20space.py", "hash%23frag.py", "q%3Fuery.py", "pct%2541.py"} <= uris


# -- trusting a stale or damaged cache --------------------------------------------------------


def _cold_and_warm(proj: Path, *args: str) -> tuple[list[Any], list[Any]]:
    cold = json_findings(run(proj, "--format", "json", "--no-cache", *args, "."))
    warm = json_findings(run(proj, "--format", "json", *args, "."))
    return cold, warm


def _cache_files(proj: Path, prefix: str) -> list[Path]:
    return sorted((proj / ".tasklint_cache").glob(f"{prefix}-*.json"))


def _damage(proj: Path, change: Any) -> None:
    for path in _cache_files(proj, "facts"):
        data = json.loads(path.read_text(encoding="utf-8"))
        for entry in data["entries"].values():
            change(entry)
        path.write_text(json.dumps(data), encoding="utf-8")


def _set_error(value: Any) -> Any:
    def change(entry: dict[str, Any]) -> None:
        entry["error"] = value

    return change


def _set_finding_field(key: str, value: Any) -> Any:
    def change(entry: dict[str, Any]) -> None:
        for item in entry.get("findings", {}).get("items", []):
            item[key] = value

    return change


def _drop_finding_field(entry: dict[str, Any]) -> None:
    for item in entry.get("findings", {}).get("items", []):
        item.pop("message", None)


def _items_not_a_list(entry: dict[str, Any]) -> None:
    if "findings" in entry:
        entry["findings"]["items"] = {"a": 1}


def _items_not_dicts(entry: dict[str, Any]) -> None:
    if "findings" in entry:
        entry["findings"]["items"] = [1, "x", None]


DAMAGE = {
    "error-empty-list": _set_error([]),
    "error-strings": _set_error(["x", "y"]),
    "error-line-zero": _set_error([0, "r"]),
    "error-string": _set_error("broken"),
    "error-dict": _set_error({"line": 1}),
    "finding-line-string": _set_finding_field("line", "x"),
    "finding-line-bool": _set_finding_field("line", True),
    "finding-unknown-code": _set_finding_field("code", "TQ999"),
    "finding-code-int": _set_finding_field("code", 201),
    "finding-message-list": _set_finding_field("message", ["a"]),
    "finding-missing-key": _drop_finding_field,
    "items-not-a-list": _items_not_a_list,
    "items-not-dicts": _items_not_dicts,
}


@pytest.mark.parametrize("kind", sorted(DAMAGE))
def test_a_damaged_cache_entry_is_a_miss(project: Path, kind: str) -> None:
    cold, first = _cold_and_warm(project)
    assert cold == first and cold
    _damage(project, DAMAGE[kind])
    for extra in ((), ("--statistics",)):
        proc = run(project, "--format", "json", *extra, ".")
        assert json_findings(proc) == cold, kind
    assert json_findings(run(project, "--format", "json", ".")) == cold


def test_damaged_module_facts_are_collected_again(project: Path) -> None:
    _cold_and_warm(project)
    damaged = 0
    for path in _cache_files(project, "modules"):
        header, *lines = path.read_text(encoding="utf-8").splitlines()
        rows = [line.split("\t", 1)[0] + "\t" + json.dumps({"module": 5}) for line in lines]
        damaged += len(rows)
        path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    assert damaged
    (project / "shop" / "tasks.py").write_text(
        (project / "shop" / "tasks.py").read_text(encoding="utf-8") + "\n", encoding="utf-8"
    )  # some file must be linted again for the module facts to be read
    cold2 = json_findings(run(project, "--format", "json", "--no-cache", "."))
    assert json_findings(run(project, "--format", "json", ".")) == cold2


def _tasks_in(directory: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "jobs.py").write_text(
        "from celery import shared_task\n\n\n@shared_task\ndef charge():\n    pass\n",
        encoding="utf-8",
    )


def _same_name_elsewhere(directory: Path) -> None:
    (directory / "other.py").write_text(
        "from celery import shared_task\n\n\n"
        '@shared_task(name="jobs.charge")\ndef other_charge():\n    pass\n',
        encoding="utf-8",
    )


@pytest.mark.parametrize("change", ["add-init", "remove-init", "add-setup-py", "add-pyproject"])
def test_warm_equals_cold_when_module_names_change(project: Path, change: str) -> None:
    """``billing/jobs.py`` registers ``charge`` as ``jobs.charge`` or ``billing.jobs.charge``
    depending on ``billing/__init__.py`` and project markers; ``shop/other.py`` registers
    ``jobs.charge`` explicitly, so TQ108 (duplicate name) depends on the module name."""
    pkg = project / "billing"
    _tasks_in(pkg)
    if change != "add-init":
        (pkg / "__init__.py").write_text("", encoding="utf-8")
    _same_name_elsewhere(project / "shop")
    cold, warm = _cold_and_warm(project, "--select", "TQ108")
    assert cold == warm
    if change == "add-init":
        (pkg / "__init__.py").write_text("", encoding="utf-8")
    elif change == "remove-init":
        (pkg / "__init__.py").unlink()
    elif change == "add-setup-py":
        (pkg / "setup.py").write_text("from setuptools import setup\n\nsetup()\n", encoding="utf-8")
    else:
        (pkg / "pyproject.toml").write_text("", encoding="utf-8")
    cold2, warm2 = _cold_and_warm(project, "--select", "TQ108")
    assert cold2 == warm2, change
    assert cold2 != cold, "the change must matter for the test to mean something"


# -- leaving the project -----------------------------------------------------------------------


def _names_no_outside_path(proc: subprocess.CompletedProcess[str], *outside: str) -> None:
    out = proc.stdout
    if out.startswith("{") and '"runs"' in out:  # SARIF: the rule documentation aside
        doc = json.loads(out)
        for sarif_run in doc["runs"]:
            sarif_run.pop("tool")
        out = json.dumps(doc)
    for text in (out, proc.stderr):
        for path in outside:
            assert path not in text, text
        assert "../" not in text, text


def test_a_dangling_link_given_as_the_path_stays_put(tmp_path: Path) -> None:
    work = tmp_path / "work"
    work.mkdir()
    (work / "dangling.py").symlink_to("/nonexistent/target.py")
    proc = run(work, "--format", "json", "dangling.py")
    no_traceback(proc)
    assert proc.returncode == 2, proc.stderr
    assert "dangling.py" in proc.stderr and proc.stdout == ""
    assert not Path("/.tasklint_cache").exists()
    assert not (tmp_path / ".tasklint_cache").exists()


def test_links_out_of_the_tree_are_neither_read_nor_reported(project: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "celeryconfig.py").write_text(
        "task_time_limit = 0\nbroker_url = 'redis://x'\n", encoding="utf-8"
    )
    (elsewhere / "dup.py").write_text(DUPLICATES.format(name="outside"), encoding="utf-8")
    before = json_findings(run(project, "--format", "json", "--no-cache", "."))
    (project / "passwd.py").symlink_to("/etc/passwd")
    (project / "shop" / "celeryconfig.py").symlink_to(elsewhere / "celeryconfig.py")
    (project / "shop" / "dup.py").symlink_to(elsewhere / "dup.py")
    for fmt in FORMATS:
        for cache in ((), ("--no-cache",)):
            proc = run(project, "--format", fmt, *cache, ".")
            no_traceback(proc)
            _names_no_outside_path(proc, "passwd", str(elsewhere), "celeryconfig", "dup.py")
            if fmt == "json":
                assert json.loads(proc.stdout) == before
    # explicitly named: skipped with a warning that names the link, not its target
    proc = run(project, "--format", "json", "passwd.py", "shop/tasks.py")
    no_traceback(proc)
    assert "passwd.py" in proc.stderr and "outside the project" in proc.stderr
    assert all(f["path"] == "shop/tasks.py" for f in json.loads(proc.stdout))
    (project / "outdir").symlink_to(elsewhere, target_is_directory=True)
    for given in ("outdir", "outdir/dup.py"):
        proc = run(project, "--format", "json", given)
        no_traceback(proc)
        assert proc.returncode == 2 and "outside the project" in proc.stderr, proc.stderr
        _names_no_outside_path(proc, str(elsewhere))
    assert json_findings(run(project, "--format", "json", ".")) == before
    assert not (elsewhere / ".tasklint_cache").exists()
    assert sorted(p.name for p in elsewhere.iterdir()) == ["celeryconfig.py", "dup.py"]


def test_a_file_outside_any_project_is_checked_with_its_own_package_only(
    tmp_path: Path,
) -> None:
    scratch = tmp_path / "scratch"
    (scratch / "pkg").mkdir(parents=True)
    (scratch / "pkg" / "__init__.py").write_text("", encoding="utf-8")
    (scratch / "pkg" / "a.py").write_text(DUPLICATES.format(name="pkg"), encoding="utf-8")
    (scratch / "unrelated").mkdir()
    # a name clash with a file outside the package: only seen if the whole directory is indexed
    (scratch / "unrelated" / "b.py").write_text(DUPLICATES.format(name="x"), encoding="utf-8")
    (scratch / "loose.py").write_text(
        "from celery import shared_task\n\n\n@shared_task(name='x')\ndef three():\n    pass\n",
        encoding="utf-8",
    )
    (scratch / "broken.py").write_text("def (:\n", encoding="utf-8")
    proc = run(scratch, "--format", "json", "loose.py")
    assert json_findings(proc) == []  # b.py's "x" tasks are not part of loose.py's project
    items = json_findings(run(scratch, "--format", "json", "pkg/a.py"))
    assert {f["path"] for f in items} == {"pkg/a.py"} and items
    assert not (scratch / ".tasklint_cache").exists()
    # a directory given explicitly is walked, as asked
    walked = json_findings(run(scratch, "--format", "json", "--no-cache", "."))
    assert {f["path"] for f in walked} >= {"broken.py", "unrelated/b.py", "pkg/a.py"}
    if _has_flake8():  # the plugin draws the same line
        env = {**os.environ, "PYTHONPATH": str(SRC)}
        for name, expected in (("loose.py", 0), ("pkg/a.py", len(items))):
            proc = subprocess.run(
                [sys.executable, "-m", "flake8", "--select", "TQ", name],
                cwd=scratch,
                env=env,
                capture_output=True,
                text=True,
                timeout=300,
            )
            no_traceback(proc)
            assert len(proc.stdout.splitlines()) == expected, proc.stdout
        assert not (scratch / ".tasklint_cache").exists()


def test_the_project_root_is_never_above_the_nearest_marker(tmp_path: Path) -> None:
    outer = tmp_path / "outer"
    inner = outer / "inner"
    (inner / "app").mkdir(parents=True)
    (outer / "setup.py").write_text("", encoding="utf-8")
    (outer / "sibling.py").write_text(DUPLICATES.format(name="d"), encoding="utf-8")
    (inner / "pyproject.toml").write_text("[project]\nname='inner'\n", encoding="utf-8")
    (inner / "app" / "t.py").write_text(
        "from celery import shared_task\n\n\n@shared_task(name='d')\ndef t():\n    pass\n",
        encoding="utf-8",
    )
    items = json_findings(run(inner, "--format", "json", "app/t.py"))
    assert items == []  # outer/sibling.py is not part of inner's project
    assert not (outer / ".tasklint_cache").exists()


def test_config_search_stops_at_the_repository_root(project: Path, tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.tasklint]\nignore = ["TQ"]\n', encoding="utf-8"
    )  # above the checkout: would switch every rule off
    (project / "pyproject.toml").unlink()
    (project / ".git").mkdir()
    proc = run(project, "--format", "json", "--no-cache", ".")
    assert json_findings(proc), "the parent directory's configuration must not apply"


# -- reading what is not a source file -------------------------------------------------------


def test_only_regular_files_within_the_size_limit_are_read(project: Path, tmp_path: Path) -> None:
    huge = tmp_path / "huge.py"
    huge.write_text("x = 1\n" * 400_000, encoding="utf-8")  # 2.4 MB
    (project / "pyproject.toml").write_text(
        (project / "pyproject.toml")
        .read_text(encoding="utf-8")
        .replace("[tool.tasklint]", "[tool.tasklint]\nmax-file-size = 1000000", 1),
        encoding="utf-8",
    )
    assert "max-file-size" in (project / "pyproject.toml").read_text(encoding="utf-8")
    (project / "shop" / "big.py").write_text("y = 2\n" * 300_000, encoding="utf-8")
    (project / "shop" / "zero.py").symlink_to("/dev/zero")
    fifo = project / "shop" / "fifo.py"
    os.mkfifo(fifo)
    proc = run(project, "--format", "json", "--no-cache", ".", timeout=120)
    items = json_findings(proc)
    by_path = {f["path"]: f for f in items if f["code"] == "TQ001"}
    assert "too large" in by_path["shop/big.py"]["message"]
    assert "1,000,000" in by_path["shop/big.py"]["message"]
    assert "shop/zero.py" not in {f["path"] for f in items}  # a link out of the project
    assert any(f["path"] == "shop/tasks.py" for f in items)
    # named explicitly, a FIFO does not block: skipped with a clear message, exit 2
    proc = run(project, "--format", "json", "--no-cache", "shop/fifo.py", timeout=60)
    no_traceback(proc)
    assert proc.returncode == 2 and "shop/fifo.py" in proc.stderr, proc.stderr
    assert "not a regular file" in proc.stderr


def test_max_file_size_is_validated(project: Path) -> None:
    for value in ("0", "-1", '"big"', "1.5", "true"):
        (project / "pyproject.toml").write_text(
            f"[tool.tasklint]\nmax-file-size = {value}\n", encoding="utf-8"
        )
        proc = run(project, "--no-cache", ".")
        no_traceback(proc)
        assert proc.returncode == 2 and "max-file-size" in proc.stderr, value


def test_inventory_checks_its_paths(tmp_path: Path) -> None:
    proc = run(tmp_path, "inventory", "/nonexistent")
    no_traceback(proc)
    assert proc.returncode == 2 and "/nonexistent: no such file or directory" in proc.stderr


@pytest.mark.parametrize("args", [("--select", ""), ("--explain", ""), ("--ignore", " , ")])
def test_empty_option_values_are_usage_errors(project: Path, args: tuple[str, ...]) -> None:
    proc = run(project, *args, ".")
    no_traceback(proc)
    assert proc.returncode == 2 and args[0] in proc.stderr and proc.stdout == ""


# -- crashes: configuration and baselines -----------------------------------------------------

BAD_CONFIG = {
    "visibility-nan": ("[tool.tasklint.celery]\nvisibility-timeout = nan\n", "visibility-timeout"),
    "visibility-inf": ("[tool.tasklint.celery]\nvisibility-timeout = inf\n", "visibility-timeout"),
    "visibility-1e400": (
        "[tool.tasklint.celery]\nvisibility-timeout = 1e400\n",
        "visibility-timeout",
    ),
    "visibility-huge-int": (
        "[tool.tasklint.celery]\nvisibility-timeout = 99999999999999999999\n",
        None,  # a finite number: accepted
    ),
    "decorator-empty": ('[tool.tasklint.celery]\ntask-decorators = [""]\n', "task-decorators"),
    "decorator-dots": ('[tool.tasklint.celery]\ntask-decorators = ["a..b"]\n', "task-decorators"),
    "django-path": (
        '[tool.tasklint.celery]\ndjango-settings = "../../etc/passwd"\n',
        "django-settings",
    ),
    "django-empty": ('[tool.tasklint.celery]\ndjango-settings = ""\n', "django-settings"),
    "enqueue-path": (
        '[tool.tasklint.celery]\nenqueue-functions = ["/abs/path"]\n',
        "enqueue-functions",
    ),
    "atomic-space": (
        '[tool.tasklint.transactions]\natomic-contexts = ["a b"]\n',
        "atomic-contexts",
    ),
    "exclude-glob": ('[tool.tasklint]\nexclude = ["[z-a]"]\n', "exclude"),
    "extend-exclude-glob": ('[tool.tasklint]\nextend-exclude = ["x[b-a]"]\n', "extend-exclude"),
    "test-modules-glob": ('[tool.tasklint]\ntest-modules = ["[9-0]"]\n', "test-modules"),
    "per-file-ignores-glob": (
        '[tool.tasklint.per-file-ignores]\n"[z-a].py" = ["TQ101"]\n',
        "per-file-ignores",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_CONFIG))
def test_bad_configuration_values_exit_2_naming_the_key(project: Path, case: str) -> None:
    text, key = BAD_CONFIG[case]
    (project / "pyproject.toml").write_text(text, encoding="utf-8")
    proc = run(project, "--no-cache", ".")
    no_traceback(proc)
    if key is None:
        assert proc.returncode == 1, proc.stderr
        return
    assert proc.returncode == 2, proc.stderr
    assert key in proc.stderr and "pyproject.toml" in proc.stderr


@pytest.mark.parametrize(
    "content",
    [
        b'[tool.tasklint]\nselect = ["TQ1"]\n# caf\xe9\n',
        b"[tool.tasklint]\nx = " + b"[" * 100_000 + b"]" * 100_000 + b"\n",
    ],
    ids=["not-utf8", "deep-array"],
)
def test_unreadable_pyproject_is_a_clear_error(project: Path, content: bytes) -> None:
    (project / "pyproject.toml").write_bytes(content)
    for args in ((".",), ("inventory", ".")):
        proc = run(project, *args)
        no_traceback(proc)
        assert proc.returncode == 2 and "not valid TOML" in proc.stderr, proc.stderr


@pytest.mark.parametrize("target", ["missing/dir/baseline.json", "adir", "/proc/version"])
def test_write_baseline_to_an_impossible_place(project: Path, target: str) -> None:
    (project / "adir").mkdir()
    proc = run(project, "--no-cache", "--write-baseline", target, ".")
    no_traceback(proc)
    assert proc.returncode == 2 and "--write-baseline" in proc.stderr, proc.stderr


def test_a_deeply_nested_baseline_is_a_clear_error(project: Path) -> None:
    (project / "deep.json").write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    proc = run(project, "--no-cache", "--baseline", "deep.json", ".")
    no_traceback(proc)
    assert proc.returncode == 2 and "deep.json" in proc.stderr


def test_python_version_is_part_of_the_cache_key(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tasklint.config import load_settings
    from tasklint.engine import lint_paths
    from tasklint.project import cache as cache_module

    settings = load_settings(project)
    monkeypatch.chdir(project)

    def lint(tag: str) -> list[Any]:
        monkeypatch.setattr(cache_module, "python_tag", lambda: tag)
        return lint_paths([Path(".")], settings, use_cache=True).findings

    cold = lint("cpython-3.98")
    assert cold
    # mark every cached finding: a run that reads this cache shows the marks
    _damage(project, _set_finding_field("message", "FROM THE CACHE"))
    assert all(f.message == "FROM THE CACHE" for f in lint("cpython-3.98"))
    assert lint("cpython-3.99") == cold  # another Python never reads it


# -- permissions ------------------------------------------------------------------------------
# Tests run as root, where mode 000 stops nothing. There the child process drops the
# capabilities that bypass file permissions (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH) from its
# bounding set before exec: root then reads only what the mode bits allow. Where that is not
# possible, the permission cases are skipped (and only then).


def _drop_dac_capabilities() -> None:
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    for cap in (1, 2):  # CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH
        if libc.prctl(24, cap, 0, 0, 0) != 0:  # PR_CAPBSET_DROP
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


def run_restricted(cwd: Path, *args: str, module: str = "tasklint") -> Any:
    env = {**os.environ, "PYTHONPATH": str(SRC), "NO_COLOR": "1"}
    env.pop("TASKLINT_DEBUG", None)
    preexec = _drop_dac_capabilities if os.geteuid() == 0 else None
    return subprocess.run(
        [sys.executable, "-m", module, *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        encoding="utf-8",
        errors="backslashreplace",
        timeout=300,
        preexec_fn=preexec,
    )


@pytest.fixture
def restricted(tmp_path: Path) -> None:
    """Skip unless mode 000 really stops a read in a restricted child."""
    if not sys.platform.startswith("linux") or not hasattr(os, "geteuid"):
        pytest.skip("needs Linux")
    probe = tmp_path / "probe.txt"
    probe.write_text("x", encoding="utf-8")
    probe.chmod(0)
    try:
        check = subprocess.run(
            [sys.executable, "-c", f"open({str(probe)!r}).read()"],
            capture_output=True,
            preexec_fn=_drop_dac_capabilities if os.geteuid() == 0 else None,
            timeout=60,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        pytest.skip(f"cannot drop privileges here: {exc}")
    finally:
        probe.chmod(0o644)
    if check.returncode == 0:
        pytest.skip("mode 000 does not stop reads here (root without a capability drop)")


def _restore(*paths: Path) -> None:
    for path in paths:
        if path.exists() or path.is_symlink():
            path.chmod(0o755)


def test_permissions_are_reported_never_a_crash(project: Path, restricted: None) -> None:
    noread = project / "shop" / "noread"
    noexec = project / "shop" / "noexec"
    for d in (noread, noexec):
        d.mkdir()
        (d / "m.py").write_text(DUPLICATES.format(name=d.name), encoding="utf-8")
        (d / "__init__.py").write_text("", encoding="utf-8")
    (noexec / "sub").mkdir()
    noread.chmod(0)
    noexec.chmod(0o644)  # read but no execute
    try:
        proc = run_restricted(project, "--format", "json", "--no-cache", ".")
        items = json_findings(proc)
        assert proc.returncode == 1, proc.stderr
        tq001 = {f["path"] for f in items if f["code"] == "TQ001"}
        assert "shop/noread" in tq001  # never skipped without a word
        assert {"shop/noexec/m.py", "shop/noexec/__init__.py"} <= tq001
        assert any(f["path"] == "shop/tasks.py" for f in items)  # the rest still checked
        # explicitly named: a clear error, exit 2
        for path, needle in (
            ("shop/noread", "cannot read the directory"),
            ("shop/noread/m.py", "permission denied"),
        ):
            proc = run_restricted(project, "--no-cache", path)
            no_traceback(proc)
            assert proc.returncode == 2 and needle in proc.stderr.lower(), proc.stderr
            assert "no such file" not in proc.stderr
        proc = run_restricted(project, "inventory", "--no-cache", ".")
        no_traceback(proc)
        assert proc.returncode == 0, proc.stderr
        if shutil.which("flake8") or _has_flake8():
            proc = run_restricted(project, "--select", "TQ", "shop", module="flake8")
            no_traceback(proc)
    finally:
        _restore(noread, noexec)


def _has_flake8() -> bool:
    try:
        import flake8  # noqa: F401
    except ImportError:
        return False
    return True


def test_a_file_that_becomes_readable_is_checked_again(project: Path, restricted: None) -> None:
    target = project / "shop" / "tasks.py"
    cold = json_findings(run_restricted(project, "--format", "json", "--no-cache", "."))
    target.chmod(0)
    try:
        warm = json_findings(run_restricted(project, "--format", "json", "."))
        locked = json_findings(run_restricted(project, "--format", "json", "--no-cache", "."))
        assert warm == locked
        assert any(f["path"] == "shop/tasks.py" and f["code"] == "TQ001" for f in warm)
        # chmod changes neither mtime nor size: the warm run must still see it
        assert json_findings(run_restricted(project, "--format", "json", ".")) == locked
    finally:
        target.chmod(0o644)
    assert json_findings(run_restricted(project, "--format", "json", ".")) == cold


# -- workers ----------------------------------------------------------------------------------


def test_workers_are_capped_by_cores_and_work(monkeypatch: pytest.MonkeyPatch) -> None:
    import multiprocessing

    import tasklint.project as project_module

    started: list[int] = []

    class FakePool:
        def __init__(self, processes: int, initializer: Any = None) -> None:
            started.append(processes)

        def __enter__(self) -> FakePool:
            return self

        def __exit__(self, *exc: object) -> None:
            return None

        def imap(self, func: Any, chunks: list[list[str]]) -> Any:
            return map(func, chunks)

    class FakeContext:
        Pool = FakePool

    monkeypatch.setattr(multiprocessing, "get_context", lambda method: FakeContext())
    monkeypatch.setattr(project_module, "usable_cores", lambda: 4)

    def double(keys: list[str]) -> list[str]:
        return [k + k for k in keys]

    keys = [str(i) for i in range(1000)]
    assert project_module.parallel_map(double, keys, 500) == [k + k for k in keys]
    assert started == [4]
    started.clear()
    few = keys[:20]  # two chunks' worth of work: two workers at most
    assert project_module.parallel_map(double, few, 500) == [k + k for k in few]
    assert started == [2]


def test_ctrl_c_during_a_parallel_run_stops_quietly(tmp_path: Path) -> None:
    import signal

    proj = tmp_path / "many"
    proj.mkdir()
    (proj / "pyproject.toml").write_text("", encoding="utf-8")
    for i in range(1500):
        (proj / f"m{i}.py").write_text(DUPLICATES.format(name=f"n{i}"), encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(SRC), "NO_COLOR": "1"}
    env.pop("TASKLINT_DEBUG", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "tasklint", "--no-cache", "-j", "2", "."],
        cwd=proj,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        proc.wait(timeout=1.5)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGINT)  # as the terminal does: the whole group
    _out, err = proc.communicate(timeout=120)
    if proc.returncode in (0, 1):
        pytest.skip("the run finished before the interrupt")
    assert "Traceback" not in err and "KeyboardInterrupt" not in err, err
    assert proc.returncode in (2, 130)


def test_messages_on_stderr_escape_path_names(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("", encoding="utf-8")
    odd = "notes\n::error file=README.md::INJECTED\x1b[31m.txt"
    (tmp_path / odd).write_text("hello\n", encoding="utf-8")
    for name in (odd, "missing\n::error file=x::Y.py"):
        proc = run(tmp_path, name)
        no_traceback(proc)
        assert proc.returncode == 2
        assert "\\n::error" in proc.stderr
        _assert_inert(proc.stderr)


def test_a_committed_cache_link_is_never_followed(project: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (project / ".tasklint_cache").symlink_to(outside, target_is_directory=True)
    cold = json_findings(run(project, "--format", "json", "--no-cache", "."))
    assert json_findings(run(project, "--format", "json", ".")) == cold
    assert json_findings(run(project, "--format", "json", ".")) == cold
    assert list(outside.iterdir()) == []


def test_a_fifo_named_pyproject_toml_does_not_block(project: Path) -> None:
    nested = project / "shop" / "sub"
    nested.mkdir()
    os.mkfifo(nested / "pyproject.toml")
    proc = run(project, "--format", "json", "--no-cache", ".", timeout=60)
    assert json_findings(proc)


def test_a_directory_given_outside_any_project_keeps_its_cache_inside(tmp_path: Path) -> None:
    """A directory given explicitly is walked as asked and is the project: its cache lives in
    it (warm runs stay warm); a file given outside any project writes no cache anywhere."""
    tree = tmp_path / "loose"
    (tree / "pkg").mkdir(parents=True)
    (tree / "pkg" / "__init__.py").write_text("", encoding="utf-8")
    (tree / "pkg" / "jobs.py").write_text(
        "from celery import shared_task\n\n\n@shared_task\ndef charge():\n    pass\n",
        encoding="utf-8",
    )
    first = run(tree, "--format", "json", ".")
    assert (tree / ".tasklint_cache").is_dir()
    assert json_findings(run(tree, "--format", "json", ".")) == json_findings(first)
    shutil.rmtree(tree / ".tasklint_cache")
    run(tree / "pkg", "--format", "json", "jobs.py")
    assert not any(p.name == ".tasklint_cache" for p in tmp_path.rglob("*"))


def _run_stdin(cwd: Path, data: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(SRC), "NO_COLOR": "1"}
    return subprocess.run(
        [sys.executable, "-m", "tasklint", *args],
        cwd=cwd,
        env=env,
        input=data,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_stdin_filename_outside_any_project_indexes_no_directory(tmp_path: Path) -> None:
    """``--stdin-filename`` outside any marked project is checked with its own package only:
    its directory is neither walked nor given a cache (it walked the whole tree, even /)."""
    scratch = tmp_path / "scratch"
    (scratch / "other").mkdir(parents=True)
    (scratch / "other" / "m.py").write_text("@@@ not python\n", encoding="utf-8")
    proc = _run_stdin(tmp_path, "x = 1\n", "-", "--stdin-filename", str(scratch / "n.py"))
    no_traceback(proc)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "other" not in proc.stdout  # the unrelated broken file was not read
    assert not any(p.name == ".tasklint_cache" for p in tmp_path.rglob("*"))


def test_configuration_errors_keep_their_line_breaks_and_bound_sizes(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.tasklint]\nmax-file-size = 99999999999999999999999999\nselect = ["TQX"]\n',
        encoding="utf-8",
    )
    (tmp_path / "m.py").write_text("x = 1\n", encoding="utf-8")
    proc = run(tmp_path, "--no-cache", ".")
    no_traceback(proc)
    assert proc.returncode == 2
    assert "\\n" not in proc.stderr  # a real line break, not an escaped one
    assert "\n  max-file-size: expected" in proc.stderr
    assert "\n  select: unknown rule code" in proc.stderr


def test_encoding_errors_name_no_absolute_path(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.tasklint]\n", encoding="utf-8")
    (tmp_path / "bom.py").write_bytes(b"\xef\xbb\xbf# -*- coding: latin-1 -*-\nx = 1\n")
    proc = run(tmp_path, "--no-cache", "--format", "json", ".")
    no_traceback(proc)
    assert "TQ001" in proc.stdout
    assert str(tmp_path) not in proc.stdout


def test_a_file_named_dash_is_a_file_after_double_dash_and_as_dot_slash(tmp_path: Path) -> None:
    """Only the operand ``-`` before ``--`` means standard input: the pre-commit hook passes
    staged files after ``--``, and a repository may commit a script named ``-``; ``./-``
    names that file too (``Path`` folds it into ``-``)."""
    (tmp_path / "pyproject.toml").write_text("[tool.tasklint]\n", encoding="utf-8")
    on_disk = "#!/usr/bin/env python\nfrom celery import shared_task\n\n\n"
    on_disk += "@shared_task(max_retry=5)\ndef f():\n    pass\n"
    (tmp_path / "-").write_text(on_disk, encoding="utf-8")
    buffer = "from celery import shared_task\n\n@shared_task(acks_lat=True)\ndef g():\n    pass\n"
    for args in (("--", "-"), ("./-",), ("--format", "json", "--", "-")):
        proc = _run_stdin(tmp_path, buffer, "--no-cache", *args)
        no_traceback(proc)
        assert proc.returncode == 1, (args, proc.stdout + proc.stderr)
        assert "max_retry" in proc.stdout, args  # the file on disk was checked
        assert "acks_lat" not in proc.stdout, args  # standard input was not read
        assert ":5:" in proc.stdout or '"line": 5' in proc.stdout, args
    stdin = _run_stdin(tmp_path, buffer, "--no-cache", "-")
    assert "acks_lat" in stdin.stdout and "max_retry" not in stdin.stdout


@pytest.mark.skipif(not hasattr(os, "fork"), reason="the parse is tried in a forked child")
def test_a_parse_that_would_kill_the_process_is_tq001(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Python 3.9 and 3.10 die (a C stack overflow) parsing a chain of 150,000 operators;
    there a large file is parsed in a forked child first, and a child killed by a signal
    makes the file TQ001 ("too deeply nested"), never a crash. On newer Pythons the
    interpreter raises instead: a parse that kills the child stands in for it here."""
    import signal

    from tasklint import project as model

    real_parse = ast.parse

    def fatal(source: Any, *args: Any, **kwargs: Any) -> ast.Module:
        if isinstance(source, str) and source.startswith("# fatal"):
            os.kill(os.getpid(), signal.SIGKILL)
        return real_parse(source, *args, **kwargs)

    monkeypatch.setattr(model, "_PARSER_MAY_CRASH", True)
    monkeypatch.setattr(model, "_RISKY_SIZE", 100)
    monkeypatch.setattr(ast, "parse", fatal)
    assert model._crashes_the_parser("# fatal\n") is True
    assert model._crashes_the_parser("x = 1\n") is False
    assert model._crashes_the_parser("def broken(:\n") is False  # an error, not a crash
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'p'\n", encoding="utf-8")
    (tmp_path / "deep.py").write_text("# fatal\n" + "x = 1\n" * 50, encoding="utf-8")
    (tmp_path / "fine.py").write_text("# a comment\n" + "y = 2\n" * 50, encoding="utf-8")
    from tasklint.config import Settings
    from tasklint.engine import lint_paths

    result = lint_paths([tmp_path], Settings(), use_cache=False, base=tmp_path, root=tmp_path)
    found = [(f.path, f.code, f.message) for f in result.findings]
    assert found == [
        ("deep.py", "TQ001", "Cannot check this file: the file is too deeply nested to parse")
    ]
