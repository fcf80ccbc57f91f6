"""The record of a whole CLI run: what it read, with stamps, and the findings it made.

A warm run that changes nothing still walks the tree twice, names every module and loads
the facts cache. The record written at the end of a run lets the next run with the same
arguments skip all of it: it stats the recorded directories and files and, when every one
is unchanged, hands back the recorded findings (the CLI renders them as usual: baseline,
format and statistics are applied afresh). Anything else is a miss and the run goes the
normal way, which writes a new record.

What it holds, in ``ROOT/.tasklint_cache/run-KEY.json`` (``ROOT`` the project around the
paths, ``KEY`` a digest of tasklint's build, Python, the working directory and the
arguments that decide the findings):

- every directory a walk listed (project files, nested projects, deployment files) and
  every directory above a recorded file up to the root, with its stamp (mtime, ctime,
  inode, device: a file added, removed or renamed changes its directory's mtime);
- every file read (Python files, ``pyproject.toml``, markers read, deployment files), with
  its stamp and the digest of the bytes the run read;
- what the searches above the root looked at (``pyproject.toml``, ``.git``, ``setup.*``,
  ``__init__.py`` in each directory above it);
- the findings, sorted, with the number of files checked and the project root.

Racy timestamps (git's "racily clean" problem): a stamp taken in the margin before the
run started or later may hide a change made in the same clock tick. Such a file is
checked by its bytes on every use (and a non-Python file's digest, taken when the record
is written, is not trusted at all: no record); such a directory by what it lists (names
and kinds, as the run's walk saw them). A file whose stamp moved but whose bytes did not
(``touch``) is unchanged, and the record is rewritten with its new stamp.

The record lies inside the repository: it is untrusted. Every field is checked (types,
sizes, paths below the root without ``..`` or control characters, known rule codes); a
record that fails any check is a miss, never an error and never a finding.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tasklint.data.codes import RULE_CODES
from tasklint.findings import Edit, Finding, Fix

# project/cache.py's CACHE_DIR (this module sits below the project model: importing it
# would import the whole model on a run answered from the record; tests check they agree)
CACHE_DIR = ".tasklint_cache"

# Bumped when what a record holds or means changes.
RECORD_FORMAT = 1
PREFIX = "run-"
KEEP = 4  # records kept per cache directory (other argument sets, the newest first)
MAX_RECORD_BYTES = 512 << 20
MAX_PROBE_BYTES = 16 << 20  # a marker file above the root hashed when the record is written
# A stamp within this much of the run's start (or later) is racy: a change in the same
# clock tick may not show in it (2 s: FAT's mtime granularity; coarse kernel clocks lag
# by milliseconds).
MARGIN_NS = 3_000_000_000
# What the searches for the project root, the configuration and packages look at in the
# directories above a root (discovery.marked_root, config.find_config_file, package_top).
PROBE_NAMES = ("pyproject.toml", "setup.cfg", "setup.py", ".git", "__init__.py")
CONTENT_PROBES = frozenset({"pyproject.toml", "setup.cfg", "setup.py"})

_HEX32 = re.compile(r"[0-9a-f]{32}")


class Miss(Exception):
    """The record cannot be used (absent, damaged, another run's, or an input changed)."""


@dataclass
class Hit:
    findings: list[Finding]
    files: int
    root: Path | None


def run_key(parts: Sequence[object]) -> str:
    """The digest naming a record: tasklint's build, Python, the working directory and
    ``parts`` (the arguments and whatever else decides the findings: the CLI adds the
    parser's signature)."""
    import sys

    from tasklint import __version__, build_id

    text = json.dumps(
        [
            RECORD_FORMAT,
            __version__,
            build_id(),
            sys.implementation.name,
            sys.version,
            os.getcwd(),
            *[str(p) if isinstance(p, Path) else p for p in parts],
        ],
        default=str,
    )
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


def location(paths: Sequence[Path]) -> Path | None:
    """Where the record of a run on ``paths`` is: the nearest directory at or above them
    all that holds a cache directory (what the record holds is checked, not where it was
    found: any directory above every input would do). None when there is none, or when
    a path or the working directory goes through a link (the searches above the root
    would then look elsewhere than the record can tell)."""
    try:
        cwd = os.getcwd()
        if os.path.realpath(cwd) != cwd:
            return None
        given = [os.path.abspath(p) for p in paths] or [cwd]
        for path in given:
            if os.path.realpath(path) != path:
                return None
        here = os.path.commonpath(given)
        if not os.path.isdir(here):
            here = os.path.dirname(here)
        while True:
            cache = os.path.join(here, CACHE_DIR)
            if os.path.isdir(cache) and not os.path.islink(cache):
                return Path(here)
            parent = os.path.dirname(here)
            if parent == here:
                return None
            here = parent
    except (OSError, ValueError):
        return None


def _links_out(path: Path) -> bool:
    """The file or its directory is a symbolic link (project/cache.py's check)."""
    return os.path.islink(path) or os.path.islink(path.parent)


def _file(where: Path, key: str) -> Path:
    return where / CACHE_DIR / f"{PREFIX}{key}.json"


def _digest_of(path: str, limit: int | None = None) -> str | None:
    try:
        with open(path, "rb") as fh:
            data = fh.read() if limit is None else fh.read(limit + 1)
    except OSError:
        return None
    if limit is not None and len(data) > limit:
        return None
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def _kind(entry: os.DirEntry[str]) -> str:
    try:
        if entry.is_symlink():
            return "l"
        if entry.is_dir(follow_symlinks=False):
            return "d"
        return "f" if entry.is_file(follow_symlinks=False) else "o"
    except OSError:
        return "?"


def _listing_digest(items: Iterable[tuple[str, str]]) -> str:
    """What a directory holds as a walk sees it (names and kinds), the cache directory
    left out (tasklint writes it; no walk enters it, or no record is written)."""
    text = "\0".join(f"{name}/{kind}" for name, kind in sorted(items) if name != CACHE_DIR)
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


def _listing_now(directory: str) -> str | None:
    try:
        with os.scandir(directory) as it:
            return _listing_digest((e.name, _kind(e)) for e in it)
    except OSError:
        return None


def _racy(st: os.stat_result, start: int) -> bool:
    return max(st.st_mtime_ns, st.st_ctime_ns) >= start - MARGIN_NS


def _probe_state(path: str) -> list[Any] | None:
    """[kind] of one name looked at above the root (a content probe that is a file: with
    its stamp and digest); None when it does not exist; raises Miss when it cannot be told."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    except NotADirectoryError:
        return None
    except OSError as exc:
        raise Miss(f"cannot stat {path}") from exc
    import stat as stat_module

    if stat_module.S_ISDIR(st.st_mode):
        return ["d"]
    if not stat_module.S_ISREG(st.st_mode):
        return ["o"]
    if os.path.basename(path) not in CONTENT_PROBES:
        return ["f"]
    return ["f", st.st_mtime_ns, st.st_size, st.st_ctime_ns, st.st_ino]


# -- reading -------------------------------------------------------------------------------


def _rel_ok(rel: object) -> bool:
    """A path below the root as the record writes it: ``/``-separated, relative, no
    ``.``/``..``/empty part, nothing unprintable ("" is the root itself)."""
    if type(rel) is not str or len(rel) >= 4096 or not rel.isprintable():
        return False
    padded = f"/{rel}/"
    return rel == "" or ("//" not in padded and "/./" not in padded and "/../" not in padded)


def _int(value: object) -> bool:
    return type(value) is int and value >= 0


def load(where: Path, key: str) -> tuple[Hit, dict[str, Any] | None]:
    """The recorded result of this run when every input is unchanged, and the record to
    write back (its stamps refreshed) when some stamps moved but no bytes did, else None.
    Raises Miss otherwise."""
    path = _file(where, key)
    if _links_out(path):
        raise Miss("the cache is a link")
    try:
        with open(path, "rb") as fh:
            if not os.path.isfile(path) or os.fstat(fh.fileno()).st_size > MAX_RECORD_BYTES:
                raise Miss("not a record")
            data = json.loads(fh.read())
    except (OSError, ValueError, UnicodeDecodeError, RecursionError, MemoryError) as exc:
        raise Miss("unreadable") from exc
    if not isinstance(data, dict) or set(data) != {
        "format",
        "key",
        "start",
        "dirs",
        "files",
        "probes",
        "result",
    }:
        raise Miss("not a record")
    if data["format"] != RECORD_FORMAT or data["key"] != key or not _int(data["start"]):
        raise Miss("another run's record")
    top = str(where)
    _check_dirs(top, data["dirs"])
    moved = _check_files(top, data["files"])
    _check_probes(where, data["probes"])
    hit = _result(where, data["result"])
    if not moved:
        return hit, None
    # stamps that moved with the same bytes: the record with the new ones (racy when they
    # are recent: checked by their bytes next time again)
    import time

    now = time.time_ns()
    rows = []
    for row in data["files"]:
        if row[0] in moved:
            st = moved[row[0]]
            row = [row[0], st.st_mtime_ns, st.st_size, st.st_ctime_ns, st.st_ino, row[5]]
            row.append(1 if _racy(st, now) else 0)
        rows.append(row)
    data["files"] = rows
    return hit, data


def _join(top: str, rel: str) -> str:
    return top if rel == "" else f"{top}/{rel}"


def _check_dirs(top: str, rows: object) -> None:
    if not isinstance(rows, list):
        raise Miss("bad dirs")
    stat = os.stat
    for row in rows:
        if type(row) is not list or not row or not _rel_ok(row[0]):
            raise Miss("bad directory row")
        full = _join(top, row[0])
        if len(row) == 2:  # racy when recorded: what it lists decides
            if type(row[1]) is not str or _listing_now(full) != row[1]:
                raise Miss(f"changed: {row[0]}")
            continue
        if len(row) != 5 or not all(_int(v) for v in row[1:]):
            raise Miss("bad directory row")
        try:
            st = stat(full)
        except OSError as exc:
            raise Miss(f"gone: {row[0]}") from exc
        if (
            st.st_mtime_ns != row[1]
            or st.st_ctime_ns != row[2]
            or st.st_ino != row[3]
            or st.st_dev != row[4]
        ):
            raise Miss(f"changed: {row[0]}")


def _check_files(top: str, rows: object) -> dict[str, os.stat_result]:
    """The files whose stamps moved with their bytes unchanged (by relative path)."""
    if not isinstance(rows, list):
        raise Miss("bad files")
    stat = os.stat
    moved: dict[str, os.stat_result] = {}
    prefix = f"{top}/"
    for row in rows:
        # the stamps need no check of their own: anything but the file's stamp differs
        if type(row) is not list or len(row) != 7 or not row[0] or not _rel_ok(row[0]):
            raise Miss("bad file row")
        try:
            st = stat(prefix + row[0])
        except OSError as exc:
            raise Miss(f"gone: {row[0]}") from exc
        if (
            row[6] == 0  # not racy when recorded
            and st.st_mtime_ns == row[1]
            and st.st_size == row[2]
            and st.st_ctime_ns == row[3]
            and st.st_ino == row[4]
        ):
            continue
        rel, mtime, size, ctime, ino, digest, racy = row
        full = prefix + rel
        # racy, or the stamp moved: the bytes decide (no digest: it could not be read)
        if type(digest) is not str or not _HEX32.fullmatch(digest) or _digest_of(full) != digest:
            raise Miss(f"changed: {rel}")
        if racy or (st.st_mtime_ns, st.st_size, st.st_ctime_ns, st.st_ino) != (
            mtime,
            size,
            ctime,
            ino,
        ):
            moved[rel] = st
    return moved


def _check_probes(where: Path, rows: object) -> None:
    if not isinstance(rows, list):
        raise Miss("bad probes")
    ancestors = [where, *where.parents]
    for row in rows:
        if type(row) is not list or len(row) != 4:
            raise Miss("bad probe row")
        up, name, state, digest = row
        if type(up) is not int or not 0 <= up < len(ancestors) or name not in PROBE_NAMES:
            raise Miss("bad probe row")
        full = os.path.join(ancestors[up], name)
        now = _probe_state(full)
        if now == state:
            continue
        # a content probe whose stamp moved: its bytes decide
        if (
            isinstance(now, list)
            and isinstance(state, list)
            and now[:1] == state[:1] == ["f"]
            and len(state) == 5
            and type(digest) is str
            and _HEX32.fullmatch(digest)
            and _digest_of(full) == digest
        ):
            continue
        raise Miss(f"changed: {full}")


def _result(where: Path, result: object) -> Hit:
    if not isinstance(result, dict) or set(result) != {"files", "root", "findings"}:
        raise Miss("bad result")
    files, root, columns = result["files"], result["root"], result["findings"]
    if not _int(files) or not (root is None or _rel_ok(root)):
        raise Miss("bad result")
    return Hit(
        findings=_findings(columns),
        files=files,
        root=None if root is None else Path(_join(str(where), root)),
    )


_STR = {str}
_INT = {int}
_OPT_INT = {int, type(None)}


def _findings(columns: object) -> list[Finding]:
    """The findings, stored by column (one list per field: checked a column at a time)."""
    if type(columns) is not list or len(columns) != 10:
        raise Miss("bad findings")
    if any(type(c) is not list or len(c) != len(columns[0]) for c in columns):
        raise Miss("bad findings")
    paths, lines, cols, codes, messages, names, end_lines, end_cols, sources, fixes = columns
    if not (
        set(map(type, paths)) <= _STR
        and set(map(type, lines)) <= _INT
        and set(map(type, cols)) <= _INT
        and set(map(type, codes)) <= _STR
        and set(map(type, messages)) <= _STR
        and set(map(type, names)) <= _STR
        and set(map(type, end_lines)) <= _OPT_INT
        and set(map(type, end_cols)) <= _OPT_INT
        and set(map(type, sources)) <= _STR
        and set(codes) <= RULE_CODES
        and (not lines or (min(lines) >= 1 and min(cols) >= 1))
    ):
        raise Miss("bad findings")
    made = [None if fix is None else _fix(fix) for fix in fixes]
    return list(
        map(Finding, paths, lines, cols, codes, messages, names, end_lines, end_cols, sources, made)
    )


def _fix(data: object) -> Fix:
    if type(data) is not list or len(data) != 3:
        raise Miss("bad fix")
    edits, safe, description = data
    if type(edits) is not list or type(safe) is not bool or type(description) is not str:
        raise Miss("bad fix")
    out = []
    for edit in edits:
        if type(edit) is not list or len(edit) != 5:
            raise Miss("bad fix")
        a, b, c, d, text = edit
        if not (_int(a) and _int(b) and _int(c) and _int(d) and type(text) is str):
            raise Miss("bad fix")
        out.append(Edit(a, b, c, d, text))
    return Fix(tuple(out), safe, description)


def _fix_row(fix: Fix | None) -> list[Any] | None:
    if fix is None:
        return None
    edits = [[e.line, e.col, e.end_line, e.end_col, e.text] for e in fix.edits]
    return [edits, fix.safe, fix.description]


def finding_columns(findings: list[Finding]) -> list[list[Any]]:
    return [
        [f.path for f in findings],
        [f.line for f in findings],
        [f.col for f in findings],
        [f.code for f in findings],
        [f.message for f in findings],
        [f.name for f in findings],
        [f.end_line for f in findings],
        [f.end_col for f in findings],
        [f.source for f in findings],
        [_fix_row(f.fix) for f in findings],
    ]


# -- writing -------------------------------------------------------------------------------


def build(
    where: Path,
    key: str,
    start: int,
    listed: dict[str, list[list[os.DirEntry[str]]]],
    read: set[str],
    sources: dict[str, str],
    findings: list[Finding],
    files: int,
    root: Path | None,
) -> dict[str, Any]:
    """The record of a run that started at ``start`` (``time.time_ns()``): ``listed`` the
    directories its walks listed (each listing as the walk saw it), ``read`` the other
    files it read, ``sources`` the digest of each Python file's bytes as read. Raises Miss
    when the run cannot be recorded (an input outside the root, one that changed while
    the run read it, a walk that entered the cache)."""
    top = str(where)
    prefix = top.rstrip("/") + "/"

    def rel(path: str) -> str:
        if path == top:
            return ""
        if not path.startswith(prefix):
            raise Miss(f"outside the root: {path}")
        out = path[len(prefix) :]
        if not _rel_ok(out):
            raise Miss(f"a path the record cannot hold: {path!r}")
        return out

    stat = os.stat
    file_rows: list[list[Any]] = []
    seen_files: set[str] = set()
    for path, digest in sources.items():
        r = rel(path)
        try:
            st = stat(path)
        except OSError as exc:
            raise Miss(f"gone: {path}") from exc
        racy = 1 if _racy(st, start) else 0
        file_rows.append([r, st.st_mtime_ns, st.st_size, st.st_ctime_ns, st.st_ino, digest, racy])
        seen_files.add(path)
    probe_rows: list[list[Any]] = []
    ancestors = [where, *where.parents]
    above = {
        os.path.join(str(a), n): (i, n) for i, a in enumerate(ancestors) if i for n in PROBE_NAMES
    }
    for path in sorted(read - seen_files):
        if path in above:
            continue  # a marker above the root: a probe (below)
        r = rel(path)
        try:
            st = stat(path)
        except OSError as exc:
            raise Miss(f"gone: {path}") from exc
        if _racy(st, start):
            raise Miss(f"changed while read: {path}")
        read_digest = _digest_of(path)
        if read_digest is None:
            raise Miss(f"unreadable: {path}")
        file_rows.append([r, st.st_mtime_ns, st.st_size, st.st_ctime_ns, st.st_ino, read_digest, 0])
    for i, ancestor in enumerate(ancestors):
        for name in PROBE_NAMES:
            full = os.path.join(str(ancestor), name)
            state = _probe_state(full)
            digest = ""
            if state is not None and len(state) == 5:
                if max(state[1], state[3]) >= start - MARGIN_NS:
                    raise Miss(f"changed while read: {full}")
                found = _digest_of(full, MAX_PROBE_BYTES)
                if found is None:
                    raise Miss(f"unreadable: {full}")
                digest = found
            probe_rows.append([i, name, state, digest])
    # directories: every one listed, and every one above a recorded file or directory
    wanted: dict[str, list[list[os.DirEntry[str]]]] = dict(listed)
    for path in [*listed, *seen_files, *(read - set(above))]:
        parent = os.path.dirname(path)
        while parent.startswith(prefix) and parent not in wanted:
            wanted[parent] = []
            parent = os.path.dirname(parent)
        if parent == top and top not in wanted:
            wanted[top] = []
    dir_rows: list[list[Any]] = []
    for path, listings in sorted(wanted.items()):
        r = rel(path)
        if os.path.basename(path) == CACHE_DIR:
            raise Miss("a walk entered the cache directory")
        try:
            st = stat(path)
        except OSError as exc:
            raise Miss(f"gone: {path}") from exc
        if not _racy(st, start):
            dir_rows.append([r, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, st.st_dev])
            continue
        # changed lately: what the run's walks saw, if they all saw the same
        seen = {_listing_digest((e.name, _kind(e)) for e in entries) for entries in listings}
        if len(seen) != 1:
            raise Miss(f"changed while listed: {path}")
        dir_rows.append([r, seen.pop()])
    return {
        "format": RECORD_FORMAT,
        "key": key,
        "start": start,
        "dirs": dir_rows,
        "files": file_rows,
        "probes": probe_rows,
        "result": {
            "files": files,
            "root": None if root is None else rel(str(root)),
            "findings": finding_columns(findings),
        },
    }


def save(where: Path, key: str, record: dict[str, Any]) -> None:
    """Write the record atomically into the root's existing cache directory (a run that
    made none, or one behind a link, gets no record); keep the newest few records."""
    directory = where / CACHE_DIR
    if not os.path.isdir(directory) or _links_out(directory / "x"):
        return
    text = json.dumps(record, separators=(",", ":"))
    try:
        fd, tmp = tempfile.mkstemp(prefix=".run-", suffix=".tmp", dir=directory)
        try:
            with os.fdopen(fd, "w", encoding="ascii") as fh:
                fh.write(text)
            os.replace(tmp, _file(where, key))
        except BaseException:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            raise
        _prune(directory)
    except (OSError, UnicodeError):
        return


def _prune(directory: Path) -> None:
    found = []
    for entry in os.scandir(directory):
        if entry.name.startswith(PREFIX) and entry.name.endswith(".json"):
            try:
                found.append((entry.stat(follow_symlinks=False).st_mtime_ns, entry.path))
            except OSError:
                continue
    for _, path in sorted(found, reverse=True)[KEEP:]:
        try:
            os.unlink(path)
        except OSError:
            pass


def forget(where: Path, key: str) -> None:
    """Remove this run's record (an input changed and the run could not record a new one)."""
    path = _file(where, key)
    if not _links_out(path):
        try:
            os.unlink(path)
        except OSError:
            pass
