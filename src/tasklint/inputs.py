"""What one CLI run lists and reads besides the Python files it indexes.

The directories its walks list (the project walk, the nested-project walk, the deployment
walk) and the other files it reads (``pyproject.toml``, ``setup.py``/``setup.cfg`` read as
project markers, deployment files): the run record (``project/runrecord.py``) stamps them,
so that a later run whose inputs are all unchanged can print the recorded findings.

Off (nothing recorded, one ``is None`` test per call) unless the CLI starts a log.
"""

from __future__ import annotations

import os

# directory -> each listing of it a walk made (its entries as that walk saw them)
_LISTED: dict[str, list[list[os.DirEntry[str]]]] | None = None
_READ: set[str] | None = None


def start() -> None:
    """Start an empty log (the CLI, before it plans the run)."""
    global _LISTED, _READ
    _LISTED, _READ = {}, set()


def stop() -> tuple[dict[str, list[list[os.DirEntry[str]]]], set[str]]:
    """(directories listed with their listings, other files read) since ``start``, as
    absolute paths; stops the log."""
    global _LISTED, _READ
    listed: dict[str, list[list[os.DirEntry[str]]]] = {}
    for directory, listings in (_LISTED or {}).items():
        listed.setdefault(os.path.abspath(directory), []).extend(listings)
    read = {os.path.abspath(p) for p in _READ or ()}
    _LISTED = _READ = None
    return listed, read


def active() -> bool:
    return _LISTED is not None


def listed(directory: str | os.PathLike[str], entries: list[os.DirEntry[str]]) -> None:
    """A walk listed ``directory`` and found ``entries`` (what it holds decides which
    files the run sees)."""
    if _LISTED is not None:
        _LISTED.setdefault(os.fspath(directory), []).append(entries)


def read(path: str | os.PathLike[str]) -> None:
    """The run reads ``path`` (or tries to: a file that cannot be read counts too)."""
    if _READ is not None:
        _READ.add(os.fspath(path))
