"""What one CLI run lists and reads besides the Python files it indexes.

The directories its walks list (the project walk, the nested-project walk, the deployment
walk) and the other files it reads (``pyproject.toml``, ``setup.py``/``setup.cfg`` read as
project markers, deployment files): the run record (``tasklint/runrecord.py``) stamps
them, so that a later run whose inputs are all unchanged can print the recorded findings.

A directory whose stamp is racy (changed at or after ``racy_from``: a later change in the
same clock tick would not show in it) is also remembered by what the walk saw in it (the
digest of its names and kinds); no listing is kept otherwise.

Off (nothing recorded, one ``is None`` test per call) unless the CLI starts a log.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Collection, Iterable

CACHE_DIR = ".tasklint_cache"  # project/cache.py's (left out of listings: tasklint writes it)

# directory -> the digests of what each walk saw in it, when its stamp was racy
_LISTED: dict[str, set[str]] | None = None
UNTOLD = "-"  # a listing whose digest was not taken
_READ: set[str] | None = None
_RACY_FROM = 0


def start(racy_from: int = 0) -> None:
    """Start an empty log (the CLI, before it plans the run); ``racy_from``: a directory
    stamp (mtime or ctime, ns) at or after it is racy."""
    global _LISTED, _READ, _RACY_FROM
    _LISTED, _READ, _RACY_FROM = {}, set(), racy_from


def stop() -> tuple[dict[str, set[str]], set[str]]:
    """(directories listed, with the listing digests of racy ones; other files read)
    since ``start``, as absolute paths; stops the log."""
    global _LISTED, _READ
    listed: dict[str, set[str]] = {}
    isabs, abspath = os.path.isabs, os.path.abspath
    for directory, digests in (_LISTED or {}).items():
        # the walks log absolute paths, made of names they listed (no ``.`` or ``..``)
        key = directory if isabs(directory) else abspath(directory)
        listed.setdefault(key, set()).update(digests)
    read = {os.path.abspath(p) for p in _READ or ()}
    _LISTED = _READ = None
    return listed, read


def active() -> bool:
    return _LISTED is not None


# what a directory where a run may create its cache holds (a project root: a marker, a
# cache already): its listing is kept even when its stamp is not racy yet, as the cache
# made in it will make it racy by the time the record is written
_ROOTISH = frozenset({"pyproject.toml", "setup.py", "setup.cfg", ".git", CACHE_DIR})


def listed(
    directory: str | os.PathLike[str],
    entries: list[os.DirEntry[str]],
    st: os.stat_result | None = None,
    top: bool = False,
    names: Collection[str] | None = None,
) -> None:
    """A walk listed ``directory`` and found ``entries`` (what it holds decides which
    files the run sees); ``st``: its stamp when the walk took one before listing it;
    ``top``: the directory the walk started from (a project root, or a directory given);
    ``names``: the entries' names, when the walk has them at hand."""
    if _LISTED is None:
        return
    key = os.fspath(directory)
    digests = _LISTED.setdefault(key, set())
    if (
        top
        or (st is not None and (st.st_mtime_ns >= _RACY_FROM or st.st_ctime_ns >= _RACY_FROM))
        or (
            not _ROOTISH.isdisjoint(names)
            if names is not None
            else any(e.name in _ROOTISH for e in entries)
        )
    ):
        digests.add(listing_digest((e.name, kind(e)) for e in entries))
    elif st is None:
        # no stamp taken before the listing: if the directory turns out racy, this listing
        # cannot be told from another (the record is then not written)
        digests.add(UNTOLD)


def read(path: str | os.PathLike[str]) -> None:
    """The run reads ``path`` (or tries to: a file that cannot be read counts too)."""
    if _READ is not None:
        _READ.add(os.fspath(path))


def kind(entry: os.DirEntry[str]) -> str:
    """A listed entry's kind as a walk tells it: link, directory, file or other."""
    try:
        if entry.is_symlink():
            return "l"
        if entry.is_dir(follow_symlinks=False):
            return "d"
        return "f" if entry.is_file(follow_symlinks=False) else "o"
    except OSError:
        return "?"


def listing_digest(items: Iterable[tuple[str, str]]) -> str:
    """What a directory holds as a walk sees it (names and kinds), the cache directory
    left out (tasklint writes it; no walk enters it, or no record is written)."""
    text = "\0".join(f"{name}/{kind}" for name, kind in sorted(items) if name != CACHE_DIR)
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


def listing_now(directory: str) -> str | None:
    """``listing_digest`` of what ``directory`` holds now (None: it cannot be listed)."""
    try:
        with os.scandir(directory) as it:
            return listing_digest((e.name, kind(e)) for e in it)
    except OSError:
        return None
