"""Deployment files read as text: settings modules and ``celery -A`` commands."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tasklint.config import Settings
from tasklint.project.deployment import (
    CeleryCommand,
    find_deployment_files,
    read_deployment,
    scan_text,
)


@pytest.mark.parametrize(
    ("name", "text", "module"),
    [
        ("Dockerfile", "ENV DJANGO_SETTINGS_MODULE=app.settings.prod\n", "app.settings.prod"),
        ("Dockerfile", "ENV DJANGO_SETTINGS_MODULE app.settings.prod\n", "app.settings.prod"),
        ("Dockerfile", "ENV A=1 \\\n    DJANGO_SETTINGS_MODULE=app.prod\n", "app.prod"),
        ("docker-compose.yml", "    environment:\n      - DJANGO_SETTINGS_MODULE=a.b\n", "a.b"),
        ("docker-compose.yml", "    environment:\n      DJANGO_SETTINGS_MODULE: 'a.b'\n", "a.b"),
        (
            "docker-compose.yml",
            "      DJANGO_SETTINGS_MODULE: ${DJANGO_SETTINGS_MODULE:-a.settings}\n",
            "a.settings",
        ),
        (".env", "DJANGO_SETTINGS_MODULE=conf.settings\n", "conf.settings"),
        ("Procfile", "web: DJANGO_SETTINGS_MODULE=x.s gunicorn x.wsgi\n", "x.s"),
        ("app.service", "Environment=DJANGO_SETTINGS_MODULE=x.s\n", "x.s"),
        ("supervisord.conf", 'environment=DJANGO_SETTINGS_MODULE="x.s"\n', "x.s"),
        ("Makefile", "DJANGO_SETTINGS_MODULE ?= x.s\n", "x.s"),
        ("entrypoint.sh", "export DJANGO_SETTINGS_MODULE=x.s\n", "x.s"),
    ],
)
def test_settings_module_forms(name: str, text: str, module: str) -> None:
    mentions, _ = scan_text(text, name, name)
    assert [m.module for m in mentions] == [module]
    assert not mentions[0].test_only


@pytest.mark.parametrize(
    "text",
    [
        "# ENV DJANGO_SETTINGS_MODULE=app.settings\n",  # a comment
        'echo "DJANGO_SETTINGS_MODULE is not set"\n',  # prose
        "DJANGO_SETTINGS_MODULE=${SETTINGS}\n",  # computed
        "DJANGO_SETTINGS_MODULE=$SETTINGS\n",
        "MY_DJANGO_SETTINGS_MODULE=a.b\n",  # another variable
    ],
)
def test_settings_module_near_misses(text: str) -> None:
    mentions, _ = scan_text(text, "run.sh", "run.sh")
    assert mentions == []


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("pytest.ini", "[pytest]\nDJANGO_SETTINGS_MODULE = a.test\n"),
        ("setup.cfg", "[tool:pytest]\nDJANGO_SETTINGS_MODULE = a.test\n"),
        ("tox.ini", "[testenv]\nsetenv =\n    DJANGO_SETTINGS_MODULE=a.test\n"),
        ("pyproject.toml", '[tool.pytest.ini_options]\nDJANGO_SETTINGS_MODULE = "a.test"\n'),
        ("pytest.ini", "[pytest]\naddopts = --ds=a.test -q\n"),
    ],
)
def test_test_configuration_is_test_only(name: str, text: str) -> None:
    mentions, _ = scan_text(text, name, name)
    assert [(m.module, m.test_only) for m in mentions] == [("a.test", True)]


def test_pyproject_outside_pytest_section_is_ignored() -> None:
    text = '[tool.other]\nDJANGO_SETTINGS_MODULE = "a.b"\n'
    assert scan_text(text, "pyproject.toml", "pyproject.toml") == ([], [])


@pytest.mark.parametrize(
    ("text", "app", "sub"),
    [
        ("worker: celery -A proj worker -l info\n", "proj", "worker"),
        ("command: celery --app=proj.celery:app worker\n", "proj.celery:app", "worker"),
        ("command: celery --app proj.celery beat\n", "proj.celery", "beat"),
        ('command: ["celery", "-A", "proj", "worker"]\n', "proj", "worker"),
        ("exec python -m celery -A proj.worker worker --concurrency=2\n", "proj.worker", "worker"),
        ("celery worker -A proj -l info\n", "proj", "worker"),
        ("/usr/local/bin/celery -A proj multi start w1\n", "proj", "multi"),
        ("ExecStart=/venv/bin/celery -A proj worker\n", "proj", "worker"),
    ],
)
def test_celery_commands(text: str, app: str, sub: str) -> None:
    _, commands = scan_text(text, "f", "Procfile")
    assert [(c.app, c.subcommand) for c in commands] == [(app, sub)]


@pytest.mark.parametrize(
    "text",
    [
        "celery -A $CELERY_APP worker\n",  # computed
        "celery_worker:\n",  # a compose service name
        "# celery -A proj worker\n",  # a comment
        "tar -A x.tar y.tar\n",  # another program's -A
    ],
)
def test_celery_command_near_misses(text: str) -> None:
    _, commands = scan_text(text, "f", "Procfile")
    assert commands == []


def test_command_module_and_attribute() -> None:
    cmd = CeleryCommand("proj.celery:app", "worker", "Procfile", 1)
    assert (cmd.module, cmd.attribute) == ("proj.celery", "app")


def test_files_found_and_bounded(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("ENV DJANGO_SETTINGS_MODULE=a.prod\n")
    (tmp_path / ".env").write_text("DJANGO_SETTINGS_MODULE=a.local\n")
    pkg = tmp_path / "a"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "run.sh").write_text("DJANGO_SETTINGS_MODULE=a.inside_package\n")  # not entered
    venv = tmp_path / "venv"
    venv.mkdir()
    (venv / "Dockerfile").write_text("ENV DJANGO_SETTINGS_MODULE=a.venv\n")  # excluded
    outside = tmp_path.parent / f"{tmp_path.name}-outside"
    outside.mkdir()
    (outside / "Dockerfile").write_text("ENV DJANGO_SETTINGS_MODULE=a.outside\n")
    os.symlink(outside / "Dockerfile", tmp_path / "Dockerfile.prod")  # a link: not read
    (tmp_path / "big.sh").write_bytes(b"#" * (600 * 1024) + b"\nDJANGO_SETTINGS_MODULE=a.big\n")
    files = {p.name for p in find_deployment_files(tmp_path, Settings())}
    assert files == {"Dockerfile", ".env", "big.sh"}
    facts = read_deployment(tmp_path, Settings())
    assert facts.settings_modules() == ["a.local", "a.prod"]  # sorted file order
    assert set(facts.digests) == {"Dockerfile", ".env"}  # big.sh is over the size limit


def test_editing_a_deployment_file_invalidates_cached_findings(tmp_path: Path) -> None:
    import shutil

    from tasklint.config import load_settings
    from tasklint.engine import lint_paths

    src = Path(__file__).resolve().parents[1] / "fixtures/projects/settings_from_dockerfile"
    proj = tmp_path / "p"
    shutil.copytree(src, proj)

    def run() -> list[str]:
        settings = load_settings(proj)
        result = lint_paths([proj], settings, use_cache=True, base=proj)
        return [f"{f.path}:{f.line}:{f.code}" for f in result.findings]

    assert "shop/settings/production.py:4:TQ504" in run()
    dockerfile = proj / "deploy/docker/Dockerfile"
    dockerfile.write_text(dockerfile.read_text().replace("production", "nowhere"))
    assert run() == []  # warm: the settings module is no longer known
