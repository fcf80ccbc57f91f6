"""Where the project is, which files belong to it, and what their module names are."""

from __future__ import annotations

import fnmatch
import os
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path

ROOT_MARKERS = ("pyproject.toml", "setup.cfg", "setup.py", ".git")

DEFAULT_EXCLUDES = (
    ".git",
    ".hg",
    ".svn",
    ".bzr",
    ".tox",
    ".nox",
    ".venv",
    "venv",
    ".env",
    "env",
    "virtualenv",
    ".eggs",
    "*.egg-info",
    "build",
    "dist",
    "__pycache__",
    "node_modules",
    "site-packages",
    ".mypy_cache",
    ".pytest_cache",
    ".ruff_cache",
    ".tasklint_cache",
    "__pypackages__",
)


# Libraries whose names tasklint resolves (and the standard library): a single-file module of
# that name in a plain folder is a script or settings file, not the library.
SHADOWED_LIBRARIES = frozenset(
    {
        "celery",
        "kombu",
        "billiard",
        "rq",
        "django_rq",
        "dramatiq",
        "django_dramatiq",
        "arq",
        "huey",
        "django",
        "sqlalchemy",
        "sqlmodel",
        "flask_sqlalchemy",
        "redis",
        "requests",
        "httpx",
        "psycopg2",
        "psycopg",
        *getattr(sys, "stdlib_module_names", ()),
    }
)


def find_project_root(start: Path) -> Path:
    """The nearest directory at or above ``start`` holding a project marker."""
    start = start.resolve()
    if start.is_file() or not start.exists():
        start = start.parent
    for candidate in (start, *start.parents):
        for marker in ROOT_MARKERS:
            if (candidate / marker).exists():
                return candidate
    return start


def common_root(paths: Iterable[Path]) -> Path:
    resolved = [p.resolve() for p in paths] or [Path.cwd().resolve()]
    common = Path(os.path.commonpath([str(p) for p in resolved]))
    return find_project_root(common)


class Excluder:
    """flake8-style exclusion: a pattern matches a file or directory by name or by path."""

    def __init__(self, patterns: Iterable[str], root: Path) -> None:
        self.patterns = [p.rstrip("/") for p in patterns if p]
        self.root = root

    def excluded(self, path: Path) -> bool:
        name = path.name
        try:
            rel = path.resolve().relative_to(self.root).as_posix()
        except ValueError:
            rel = path.as_posix()
        for pattern in self.patterns:
            if fnmatch.fnmatch(name, pattern):
                return True
            if "/" in pattern or pattern.startswith("."):
                norm = pattern[2:] if pattern.startswith("./") else pattern
                if fnmatch.fnmatch(rel, norm) or rel.startswith(norm.rstrip("*") + "/"):
                    return True
        return False

    def excluded_anywhere(self, path: Path) -> bool:
        """The file or any directory between it and the root is excluded."""
        resolved = path.resolve()
        if self.excluded(resolved):
            return True
        for parent in resolved.parents:
            if parent == self.root or self.root not in parent.parents:
                break
            if self.excluded(parent):
                return True
        return False


def is_virtualenv(directory: Path) -> bool:
    return (directory / "pyvenv.cfg").is_file()


def iter_python_files(paths: Iterable[Path], excluder: Excluder) -> Iterator[Path]:
    """Python files under ``paths`` that no exclude pattern matches (explicit files included)."""
    seen: set[str] = set()
    for path in paths:
        if path.is_file() or (not path.exists() and path.suffix == ".py"):
            key = os.path.normcase(str(path))
            if key not in seen and not excluder.excluded_anywhere(path):
                seen.add(key)
                yield path
            continue
        if not path.is_dir():
            continue
        visited: set[tuple[int, int]] = set()
        for dirpath, dirnames, filenames in os.walk(path, followlinks=False):
            current = Path(dirpath)
            try:
                st = current.stat()
                ident = (st.st_dev, st.st_ino)
            except OSError:
                dirnames[:] = []
                continue
            if ident in visited:
                dirnames[:] = []
                continue
            visited.add(ident)
            dirnames[:] = sorted(
                d
                for d in dirnames
                if not excluder.excluded(current / d) and not is_virtualenv(current / d)
            )
            for filename in sorted(filenames):
                if not filename.endswith(".py") and not filename.endswith(".pyi"):
                    continue
                if filename.endswith(".pyi"):
                    continue
                file_path = current / filename
                if excluder.excluded(file_path):
                    continue
                if not (file_path.is_file()):
                    continue
                key = os.path.normcase(str(file_path))
                if key not in seen:
                    seen.add(key)
                    yield file_path


def module_name_for(path: Path) -> tuple[str, bool]:
    """(dotted module name, is_package) from the ``__init__.py`` chain above ``path``."""
    path = path.resolve()
    is_package = path.name == "__init__.py"
    parts: list[str] = [] if is_package else [path.stem]
    directory = path.parent
    if is_package:
        if _is_project_root(directory):
            return "__init__", False  # a repository root is no package of its own code
        parts.append(directory.name)
        directory = directory.parent
    while directory.parent != directory:
        if _is_project_root(directory):
            break  # an ``__init__.py`` beside pyproject.toml/.git: the clone's name is arbitrary
        if not (directory / "__init__.py").is_file():
            # A folder without ``__init__.py`` inside a regular package is a namespace
            # portion of it (``pkg/importers/jira/tasks.py`` is ``pkg.importers.jira.tasks``
            # when only ``pkg/importers/`` has an ``__init__.py``); elsewhere it is a root.
            above = _package_above(directory)
            if above is None:
                break
            while directory != above:
                parts.append(directory.name)
                directory = directory.parent
            continue
        parts.append(directory.name)
        directory = directory.parent
    if len(parts) == 1 and not is_package and parts[0] in SHADOWED_LIBRARIES:
        # ``docker/settings/celery.py`` in a plain folder is no top-level ``celery``: it would
        # hide the library every other module imports. Name it from the project root.
        root = find_project_root(path.parent)
        try:
            rel = path.with_suffix("").relative_to(root).parts
        except ValueError:
            rel = ()
        if len(rel) > 1 and all(p.isidentifier() for p in rel):
            return ".".join(rel), False
    return ".".join(reversed(parts)), is_package


def _is_project_root(directory: Path) -> bool:
    return any((directory / marker).exists() for marker in ROOT_MARKERS)


NAMESPACE_DEPTH = 2  # plain folders a namespace portion may nest below its package


def _package_above(directory: Path) -> Path | None:
    """The regular package just above up to NAMESPACE_DEPTH plain folders, if any."""
    current = directory
    for _ in range(NAMESPACE_DEPTH):
        current = current.parent
        if current.parent == current:
            return None
        if (current / "__init__.py").is_file():
            return current
    return None
