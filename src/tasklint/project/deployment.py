"""Deployment files as configuration sources, read as text and never run.

RULES.md: ``DJANGO_SETTINGS_MODULE`` is also read from Dockerfiles (``ENV``), docker-compose
``environment:``, ``.env`` files and Procfiles (and systemd/supervisor units, Makefiles and
shell scripts, which set it the same way), and from the pytest, tox and setup.cfg
configuration (a settings module named only in those three is test-only). The app the worker
runs is the one named by ``celery -A X worker`` in the same files.

What is found is plain data (module names, file, line), so it can be cached and compared.
"""

from __future__ import annotations

import fnmatch
import hashlib
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from tasklint import inputs
from tasklint.config import Settings

# Test configuration: a settings module named only here is test-only.
TEST_CONFIG_FILES = frozenset({"pytest.ini", "tox.ini", "setup.cfg", "pyproject.toml"})

_NAME_PATTERNS = (
    "Dockerfile",
    "Dockerfile.*",
    "*.Dockerfile",
    "*.dockerfile",
    "Containerfile",
    "docker-compose*.yml",
    "docker-compose*.yaml",
    "compose*.yml",
    "compose*.yaml",
    ".env",
    ".env.*",
    "*.env",
    "Procfile",
    "Procfile.*",
    "*.procfile",
    "*.service",
    "supervisord*.conf",
    "supervisor*.conf",
    "*.supervisor.conf",
    "Makefile",
    "makefile",
    "GNUmakefile",
    "*.mk",
    "*.sh",
    "*.bash",
    "entrypoint",
    "start",
    "start-*",
    "*-start",
    "run",
    "pytest.ini",
    "tox.ini",
    "setup.cfg",
    "pyproject.toml",
)
_NAME_RE = re.compile("|".join(fnmatch.translate(p) for p in _NAME_PATTERNS))
# Directories where supervisor programs and scripts without an extension usually live.
_CONF_DIRS = frozenset({"supervisor", "supervisord", "systemd", "deploy", "deployment"})

MAX_DEPTH = 5  # below the project root
MAX_FILES = 400
MAX_BYTES = 512 * 1024

_MODULE = r"([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*)(?![\w.$/-])"
# ``X=m``, ``X: m``, ``X ?= m``, ``"X": "m"``, ``X=${X:-m}``
_DSM = re.compile(
    r"""(?<![\w$])DJANGO_SETTINGS_MODULE["']?\s*(?:[?:+]?=|:)\s*["']?"""
    r"""(?:\$\{DJANGO_SETTINGS_MODULE:?-)?""" + _MODULE
)
# Dockerfile ``ENV DJANGO_SETTINGS_MODULE m`` (the old space-separated form)
_DSM_ENV = re.compile(r"^\s*ENV\s+DJANGO_SETTINGS_MODULE\s+[\"']?" + _MODULE)
_DS_OPTION = re.compile(r"(?:^|\s)--ds[= ]([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*)")
# ``celery -A proj worker``, ``celery --app=proj.celery:app worker``,
# ``python -m celery -A proj beat``, ``celery worker -A proj`` (Celery 4 order)
_CELERY_CMD = re.compile(r"(?:^|[\s\"'\[,;&|(/=])celery(?:\.exe)?[\"']?\s*,?\s*(?P<rest>.*)")
_APP_OPTION = re.compile(
    r"""(?:^|[\s"',\[])(?:-A|--app)(?:\s*=\s*|\s+|["']?\s*,\s*["'])["']?"""
    r"""(?P<app>[A-Za-z_][\w]*(?:\.[A-Za-z_]\w*)*(?::[A-Za-z_]\w*)?)"""
)
_SUBCOMMANDS = ("worker", "beat", "multi", "flower", "events", "inspect", "call", "shell")
_SUBCOMMAND = re.compile(r"(?:^|[\s\"',\[])(" + "|".join(_SUBCOMMANDS) + r")(?=$|[\s\"',\]])")


@dataclass(frozen=True)
class SettingsMention:
    """``DJANGO_SETTINGS_MODULE`` named in a deployment or test configuration file."""

    module: str
    path: str  # relative to the project root, with '/'
    line: int
    test_only: bool


@dataclass(frozen=True)
class CeleryCommand:
    """A ``celery -A X <subcommand>`` command line in a deployment file."""

    app: str  # as written: "proj", "proj.celery", "proj.celery:app"
    subcommand: str | None  # "worker", "beat", ... (None when not recognised)
    path: str
    line: int

    @property
    def module(self) -> str:
        return self.app.split(":", 1)[0]

    @property
    def attribute(self) -> str | None:
        return self.app.split(":", 1)[1] if ":" in self.app else None


@dataclass
class DeploymentFacts:
    settings_mentions: list[SettingsMention] = field(default_factory=list)
    celery_commands: list[CeleryCommand] = field(default_factory=list)
    # relative path -> content digest, for the findings cache's fingerprint
    digests: dict[str, str] = field(default_factory=dict)

    def settings_modules(self, test_only: bool = False) -> list[str]:
        """Distinct settings modules named outside (or, with ``test_only``, only inside) the
        test configuration files, in file order."""
        out: list[str] = []
        for m in self.settings_mentions:
            if m.test_only == test_only and m.module not in out:
                out.append(m.module)
        return out

    def worker_apps(self) -> list[CeleryCommand]:
        """Commands that start a worker (``celery -A X worker`` / ``multi``)."""
        return [c for c in self.celery_commands if c.subcommand in ("worker", "multi")]

    def fingerprint(self) -> str:
        h = hashlib.blake2b(digest_size=16)
        for rel in sorted(self.digests):
            h.update(f"{rel}\0{self.digests[rel]}\n".encode("utf-8", "surrogatepass"))
        return h.hexdigest()


def is_deployment_file(name: str) -> bool:
    return _NAME_RE.match(name) is not None


def find_deployment_files(root: Path, settings: Settings) -> list[Path]:
    """Regular files (never links) below ``root`` named like deployment or test
    configuration, at most MAX_DEPTH levels down, not inside Python packages or excluded
    directories; sorted, at most MAX_FILES."""
    from tasklint.project.discovery import Excluder

    excluder = Excluder(settings.excludes(), root)
    out: list[Path] = []

    def walk(directory: Path, depth: int) -> None:
        try:
            with os.scandir(directory) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError:
            inputs.read(directory)  # cannot be listed: no run record
            return
        inputs.listed(directory, entries, top=not depth)
        names = {e.name for e in entries}
        if depth and ("__init__.py" in names or "pyvenv.cfg" in names):
            return  # a Python package or a virtualenv: code, not deployment
        rel_dir = excluder.relative(directory)
        conf_dir = directory.name in _CONF_DIRS
        subdirs: list[Path] = []
        for entry in entries:
            try:
                if entry.is_symlink():
                    continue  # never follow a link: its target may be outside the project
                if entry.is_dir(follow_symlinks=False):
                    if depth < MAX_DEPTH and not excluder.excluded_name(entry.name, rel_dir):
                        subdirs.append(Path(entry.path))
                    continue
                if not entry.is_file(follow_symlinks=False):
                    continue
            except OSError:
                continue
            name = entry.name
            wanted = is_deployment_file(name) or (
                conf_dir and (name.endswith((".conf", ".ini")) or "." not in name)
            )
            # files are not matched against the excludes: ``.env`` is a default exclude
            # (for virtualenv directories), and excluded directories are not entered
            if wanted:
                out.append(Path(entry.path))
                if len(out) >= MAX_FILES:
                    return
        for sub in subdirs:
            if len(out) >= MAX_FILES:
                return
            walk(sub, depth + 1)

    walk(root, 0)
    return out[:MAX_FILES]


def _read_text(path: Path) -> bytes | None:
    inputs.read(path)  # (a run record stamps it)
    try:
        with open(path, "rb") as fh:
            data = fh.read(MAX_BYTES + 1)
    except OSError:
        return None
    if len(data) > MAX_BYTES or b"\0" in data:
        return None
    return data


def _logical_lines(text: str) -> list[tuple[int, str]]:
    """Lines with backslash continuations joined, each with its first line number."""
    out: list[tuple[int, str]] = []
    buf: list[str] = []
    start = 0
    for i, line in enumerate(text.splitlines(), start=1):
        if not buf:
            start = i
        stripped = line.rstrip()
        if stripped.endswith("\\"):
            buf.append(stripped[:-1])
            continue
        buf.append(line)
        out.append((start, " ".join(buf)))
        buf = []
    if buf:
        out.append((start, " ".join(buf)))
    return out


def scan_text(text: str, rel: str, name: str) -> tuple[list[SettingsMention], list[CeleryCommand]]:
    """The settings modules and celery commands one file names (a pure function of text)."""
    test_only = name in TEST_CONFIG_FILES
    mentions: list[SettingsMention] = []
    commands: list[CeleryCommand] = []
    in_pytest_section = name != "pyproject.toml"
    for line_no, line in _logical_lines(text):
        stripped = line.strip()
        if stripped.startswith(("#", ";", "//")):
            continue
        if name == "pyproject.toml" and stripped.startswith("["):
            in_pytest_section = stripped.startswith(("[tool.pytest", "[tool.tox"))
            continue
        if not in_pytest_section:
            continue
        for m in (*_DSM.finditer(line), *_DSM_ENV.finditer(line)):
            mentions.append(SettingsMention(m.group(1), rel, line_no, test_only))
        if test_only:
            for m in _DS_OPTION.finditer(line):
                mentions.append(SettingsMention(m.group(1), rel, line_no, True))
            continue
        cmd = _CELERY_CMD.search(line)
        if cmd is None:
            continue
        rest = cmd.group("rest")
        app = _APP_OPTION.search(rest)
        if app is None:
            continue
        sub = _SUBCOMMAND.search(rest)
        commands.append(
            CeleryCommand(app.group("app"), sub.group(1) if sub else None, rel, line_no)
        )
    return mentions, commands


def read_deployment(root: Path, settings: Settings) -> DeploymentFacts:
    """Everything the deployment files of the project at ``root`` say (never raises)."""
    facts = DeploymentFacts()
    for path in find_deployment_files(root, settings):
        data = _read_text(path)
        if data is None:
            continue
        try:
            rel = path.relative_to(root).as_posix()
        except ValueError:
            continue
        facts.digests[rel] = hashlib.blake2b(data, digest_size=16).hexdigest()
        text = data.decode("utf-8", errors="replace")
        mentions, commands = scan_text(text, rel, path.name)
        facts.settings_mentions.extend(mentions)
        facts.celery_commands.extend(commands)
    return facts
