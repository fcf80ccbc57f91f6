"""The record of a whole CLI run: what it read, with stamps, and the findings it made.

A warm run that changes nothing still walks the tree twice, names every module and loads
the facts cache. The record written at the end of a run lets the next run with the same
arguments skip all of it: it stats the recorded directories and files and, when every one
is unchanged, hands back the recorded findings (the CLI renders them as usual: baseline,
format and statistics are applied afresh). Anything else is a miss and the run goes the
normal way, which writes a new record.

What it holds, in ``ROOT/.tasklint_cache/run-KEY.json`` and ``run-KEY.findings.json``
(``ROOT`` the nearest directory above the paths whose cache the run wrote, a project it
checked; ``KEY`` a digest of tasklint's build, Python, the parser, the working directory
and the arguments that decide the findings):

- every directory a walk listed (project files, nested projects, deployment files) and
  every directory above a recorded file up to the root, with its stamp (mtime, ctime,
  inode, device: a file added, removed or renamed changes its directory's mtime);
- every file read (Python files, ``pyproject.toml``, markers read, deployment files), with
  its stamp and the digest of the bytes the run read;
- what the searches above the root looked at (``pyproject.toml``, ``.git``, ``setup.*``,
  ``__init__.py`` in each directory above it);
- the findings, sorted, with the number of files checked and the project root (the
  findings in the second file, tied to the record by a token: a run whose inputs changed
  reads only the first).

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
import itertools
import json
import operator
import os
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tasklint.data.codes import RULE_CODES
from tasklint.findings import Edit, Finding, Fix

# project/cache.py's CACHE_DIR (this module sits below the project model: importing it
# would import the whole model on a run answered from the record; tests check they agree)
from tasklint.inputs import CACHE_DIR, UNTOLD, listing_now

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
_STR = {str}
_INT = {int}
_OPT_INT = {int, type(None)}


class Miss(Exception):
    """The record cannot be used (absent, damaged, another run's, or an input changed)."""


@dataclass
class Hit:
    """What a run answered from the record reports (what it recorded of its RunResult)."""

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


def _findings_file(where: Path, key: str) -> Path:
    """The findings of a record, in a file of their own: a run whose inputs changed reads
    only the (smaller) stamps; this file starts with the token the record names."""
    return where / CACHE_DIR / f"{PREFIX}{key}{FINDINGS_SUFFIX}"


FINDINGS_SUFFIX = ".findings.json"


def _read_regular(path: str | Path, limit: int) -> bytes | None:
    """The bytes of a regular file, if it is one of at most ``limit`` bytes (opened without
    blocking: a FIFO put in its place never makes the run wait for a writer)."""
    import stat as stat_module

    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError:
        return None
    try:
        st = os.fstat(fd)
        if not stat_module.S_ISREG(st.st_mode) or st.st_size > limit:
            return None
        with os.fdopen(fd, "rb") as fh:
            fd = -1
            data = fh.read()
    except OSError:
        return None
    finally:
        if fd >= 0:
            os.close(fd)
    return data if len(data) <= limit else None


def _read(path: Path) -> bytes:
    """The bytes of a regular file of the cache (not a link), at most MAX_RECORD_BYTES."""
    data = None if _links_out(path) else _read_regular(path, MAX_RECORD_BYTES)
    if data is None:
        raise Miss("not a record")
    return data


def _digest_of(path: str, limit: int = 1 << 40) -> str | None:
    """The digest of a regular file's bytes (None: not one, or it cannot be read)."""
    data = _read_regular(path, limit)
    return None if data is None else hashlib.blake2b(data, digest_size=16).hexdigest()


def _racy(st: os.stat_result, start: int) -> bool:
    return max(st.st_mtime_ns, st.st_ctime_ns) >= start - MARGIN_NS


def _probe_state(path: str) -> list[Any] | None:
    """[kind] of one name looked at above the root (a content probe that is a file: with
    its stamp); None when it does not exist; raises Miss when it cannot be told."""
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
    return type(rel) is str and _rels_ok([rel], empty=True)


def _rels_ok(rels: list[Any], empty: bool = False) -> bool:
    """``_rel_ok`` of every path of a column at once (a few passes in C, not one call per
    path); ``empty``: the root itself ("") may be among them."""
    if not rels:
        return True
    if not set(map(type, rels)) <= _STR or max(map(len, rels)) >= 4096:
        return False
    if not empty and "" in rels:
        return False
    # NUL and every other control character are unprintable; then, with every separator
    # a NUL, an empty part (a leading, trailing or doubled ``/``), ``.`` and ``..`` show
    if not "/".join(rels).isprintable():
        return False
    named = [r for r in rels if r]
    if not named:
        return True
    parts = "\x00" + "\x00".join(named).replace("/", "\x00") + "\x00"
    return "\x00\x00" not in parts and "\x00.\x00" not in parts and "\x00..\x00" not in parts


def _int(value: object) -> bool:
    return type(value) is int and value >= 0


def _columns(data: object, names: tuple[str, ...]) -> list[list[Any]]:
    """A table stored by column: a dict of equally long lists, exactly ``names``."""
    if not isinstance(data, dict) or set(data) != set(names):
        raise Miss("bad table")
    columns = [data[name] for name in names]
    if any(type(c) is not list or len(c) != len(columns[0]) for c in columns):
        raise Miss("bad table")
    return columns


DIR_COLUMNS = ("rel", "mtime", "ctime", "ino", "dev")
FILE_COLUMNS = ("rel", "mtime", "size", "ctime", "digest", "racy")
_DIR_STAMP = operator.attrgetter("st_mtime_ns", "st_ctime_ns", "st_ino", "st_dev")
_FILE_STAMP = operator.attrgetter("st_mtime_ns", "st_size", "st_ctime_ns")


def load(where: Path, key: str) -> tuple[Hit, dict[str, Any] | None]:
    """The recorded result of this run when every input is unchanged, and the record to
    write back (its stamps refreshed) when some stamps moved but no bytes did, else None.
    Raises Miss otherwise."""
    try:
        data = json.loads(_read(_file(where, key)))
    except (ValueError, UnicodeDecodeError, RecursionError, MemoryError) as exc:
        raise Miss("unreadable") from exc
    if not isinstance(data, dict) or set(data) != {
        "format",
        "key",
        "start",
        "dirs",
        "listings",
        "files",
        "probes",
        "result",
    }:
        raise Miss("not a record")
    if data["format"] != RECORD_FORMAT or data["key"] != key or not _int(data["start"]):
        raise Miss("another run's record")
    top = str(where)
    moved = _check_files(top, data["files"])  # first: an edit stops it early
    _check_dirs(top, data["dirs"], data["listings"])
    _check_probes(where, data["probes"])
    hit = _result(where, key, data["result"])
    if not moved:
        return hit, None
    # stamps that moved with the same bytes: the record with the new ones (racy when they
    # are recent: checked by their bytes next time again)
    import time

    now = time.time_ns()
    files = data["files"]
    for i, st in moved.items():
        for name, value in zip(FILE_COLUMNS[1:4], _FILE_STAMP(st)):
            files[name][i] = value
        files["racy"][i] = 1 if _racy(st, now) else 0
    return hit, data


def _join(top: str, rel: str) -> str:
    return top if rel == "" else f"{top}/{rel}"


def _stats(top: str, rels: list[str]) -> list[os.stat_result]:
    prefix = f"{top}/"
    stat = os.stat
    try:
        return [stat(prefix + rel if rel else top) for rel in rels]
    except OSError as exc:
        raise Miss(f"gone: {exc.filename}") from exc


def _check_dirs(top: str, table: object, listings: object) -> None:
    rels, *stamps = _columns(table, DIR_COLUMNS)
    if not _rels_ok(rels, empty=True):
        raise Miss("bad directory")
    if list(map(_DIR_STAMP, _stats(top, rels))) != list(zip(*stamps)):
        raise Miss("a directory changed")
    # racy when recorded: what each lists (names and kinds) decides
    if type(listings) is not list:
        raise Miss("bad listings")
    for row in listings:
        if type(row) is not list or len(row) != 2 or not _rel_ok(row[0]):
            raise Miss("bad listing")
        if type(row[1]) is not str or listing_now(_join(top, row[0])) != row[1]:
            raise Miss(f"changed: {row[0]}")


def _check_files(top: str, table: object) -> dict[int, os.stat_result]:
    """The files whose stamps moved with their bytes unchanged (by row)."""
    rels, mtimes, sizes, ctimes, digests, racy = _columns(table, FILE_COLUMNS)
    if not _rels_ok(rels):
        raise Miss("bad file")
    now: list[os.stat_result] = []
    stamps: list[tuple[int, int, int]] = []
    recorded = list(zip(mtimes, sizes, ctimes))
    moved: dict[int, os.stat_result] = {}
    for at in range(0, len(rels), CHUNK):  # a run whose first files changed stops early
        now.extend(_stats(top, rels[at : at + CHUNK]))
        stamps.extend(map(_FILE_STAMP, now[at:]))
        if stamps[at:] == recorded[at : at + CHUNK] and not any(racy[at : at + CHUNK]):
            continue
        for i in range(at, len(stamps)):
            if stamps[i] != recorded[i] or racy[i]:
                _same_bytes(top, rels[i], digests[i])
                moved[i] = now[i]
    return moved


CHUNK = 2048


def _same_bytes(top: str, rel: str, digest: object) -> None:
    """Racy, or the stamp moved: the bytes decide (no digest: it could not be read)."""
    if type(digest) is not str or not _HEX32.fullmatch(digest):
        raise Miss(f"changed: {rel}")
    if _digest_of(f"{top}/{rel}") != digest:
        raise Miss(f"changed: {rel}")


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


def _result(where: Path, key: str, result: object) -> Hit:
    if not isinstance(result, dict) or set(result) != {"files", "root", "findings"}:
        raise Miss("bad result")
    files, root, token = result["files"], result["root"], result["findings"]
    if not _int(files) or not (root is None or _rel_ok(root)) or type(token) is not str:
        raise Miss("bad result")
    try:
        found = json.loads(_read(_findings_file(where, key)))
    except (ValueError, UnicodeDecodeError, RecursionError, MemoryError) as exc:
        raise Miss("unreadable findings") from exc
    # written with the record: the token the record names (another run's findings, left by
    # a run interrupted between the two files, name another)
    if type(found) is not list or len(found) != 2 or found[0] != token:
        raise Miss("the findings of another record")
    columns = found[1]
    return Hit(
        findings=_findings(columns),
        files=files,
        root=None if root is None else Path(_join(str(where), root)),
    )


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


_FIELDS = operator.attrgetter(
    "path", "line", "col", "code", "message", "name", "end_line", "end_col", "source"
)


def finding_columns(findings: list[Finding]) -> list[list[Any]]:
    """The findings by column (the transpose of their fields, made in C)."""
    if not findings:
        return [[] for _ in range(10)]
    columns = [list(c) for c in zip(*map(_FIELDS, findings))]
    columns.append([None if f.fix is None else _fix_row(f.fix) for f in findings])
    return columns


# -- writing -------------------------------------------------------------------------------


Stamp = tuple[int, int, int]  # (mtime_ns, size, ctime_ns), as project/cache.py's


def build(
    where: Path,
    key: str,
    start: int,
    listed: dict[str, set[str]],
    read: set[str],
    sources: dict[str, tuple[Stamp | None, str]],
    findings: list[Finding],
    files: int,
    root: Path | None,
) -> dict[str, Any]:
    """The record of a run that started at ``start`` (``time.time_ns()``): ``listed`` the
    directories its walks listed (with the digests of what they saw in the racy ones:
    inputs.listed), ``read`` the other
    files it read, ``sources`` each Python file's stamp (taken before it was read) and
    the digest of its bytes as read. Raises Miss when the run cannot be recorded (an
    input outside the root, one that changed while the run read it, a walk that entered
    the cache)."""
    top = str(where)
    prefix = top.rstrip("/") + "/"

    cut = len(prefix)

    def relative(paths: list[str], empty: bool = False) -> list[str]:
        inside = list(map(str.startswith, paths, itertools.repeat(prefix)))
        if not all(inside) and (
            not empty or any(not i and p != top for p, i in zip(paths, inside))
        ):
            raise Miss("an input outside the root")
        out = (
            [p[cut:] for p in paths]
            if all(inside)
            else [p[cut:] if p != top else "" for p in paths]
        )
        if not _rels_ok(out, empty=empty):
            raise Miss("a path the record cannot hold")
        return out

    file_table: dict[str, list[Any]] = {name: [] for name in FILE_COLUMNS}
    names = list(sources)
    file_table["rel"] = relative(names)
    stamps = [stamp for stamp, _ in sources.values()]
    if None in stamps:
        raise Miss("a file that could not be stat'ed")
    if stamps:
        mtimes, sizes, ctimes = (list(c) for c in zip(*stamps))
        file_table.update(mtime=mtimes, size=sizes, ctime=ctimes)
    file_table["digest"] = [digest for _, digest in sources.values()]
    threshold = start - MARGIN_NS
    file_table["racy"] = [
        1 if m >= threshold or c >= threshold else 0
        for m, c in zip(file_table["mtime"], file_table["ctime"])
    ]
    ancestors = [where, *where.parents]
    above = {os.path.join(str(a), n) for i, a in enumerate(ancestors) if i for n in PROBE_NAMES}
    others = sorted(read - set(sources) - above)  # markers above the root: probes (below)
    file_table["rel"].extend(relative(others))
    for path in others:
        try:
            st = os.stat(path)
        except OSError as exc:
            raise Miss(f"gone: {path}") from exc
        if _racy(st, start):
            raise Miss(f"changed while read: {path}")
        read_digest = _digest_of(path)
        if read_digest is None:
            raise Miss(f"unreadable: {path}")
        for name, value in zip(FILE_COLUMNS[1:4], _FILE_STAMP(st)):
            file_table[name].append(value)
        file_table["digest"].append(read_digest)
        file_table["racy"].append(0)
    probe_rows: list[list[Any]] = []
    for i, ancestor in enumerate(ancestors):
        for name in PROBE_NAMES:
            full = os.path.join(str(ancestor), name)
            state = _probe_state(full)
            found = ""
            if state is not None and len(state) == 5:
                if max(state[1], state[3]) >= start - MARGIN_NS:
                    raise Miss(f"changed while read: {full}")
                found = _digest_of(full, MAX_PROBE_BYTES) or ""
                if not found:
                    raise Miss(f"unreadable: {full}")
            probe_rows.append([i, name, state, found])
    # directories: every one listed, and every one above a recorded file or directory
    wanted: dict[str, set[str]] = dict(listed)
    for path in [*listed, *names, *others]:
        parent = os.path.dirname(path)
        while parent.startswith(prefix) and parent not in wanted:
            wanted[parent] = set()
            parent = os.path.dirname(parent)
        if parent == top and top not in wanted:
            wanted[top] = set()
    dir_table: dict[str, list[Any]] = {name: [] for name in DIR_COLUMNS}
    listing_rows: list[list[str]] = []
    dirs = sorted(wanted)
    if any(map(str.endswith, dirs, itertools.repeat(f"/{CACHE_DIR}"))):
        raise Miss("a walk entered the cache directory")
    for path, rel in zip(dirs, relative(dirs, empty=True)):
        try:
            st = os.stat(path)
        except OSError as exc:
            raise Miss(f"gone: {path}") from exc
        if not _racy(st, start):
            dir_table["rel"].append(rel)
            for name, value in zip(DIR_COLUMNS[1:], _DIR_STAMP(st)):
                dir_table[name].append(value)
            continue
        # changed lately: what the run's walks saw, if they all saw the same
        seen = wanted[path]
        if len(seen) != 1 or UNTOLD in seen:
            raise Miss(f"changed while listed: {path}")
        listing_rows.append([rel, next(iter(seen))])
    return {
        "format": RECORD_FORMAT,
        "key": key,
        "start": start,
        "dirs": dir_table,
        "listings": listing_rows,
        "files": file_table,
        "probes": probe_rows,
        "result": {
            "files": files,
            "root": None if root is None else relative([str(root)], empty=True)[0],
            "findings": finding_columns(findings),
        },
    }


def save(where: Path, key: str, record: dict[str, Any]) -> None:
    """Write the record atomically into the root's existing cache directory (a run that
    made none, or one behind a link, gets no record); keep the newest few records."""
    directory = where / CACHE_DIR
    if not os.path.isdir(directory) or _links_out(directory / "x"):
        return
    try:
        result = record["result"]
        if isinstance(result["findings"], list):  # fresh: written first, the record after
            token = os.urandom(16).hex()
            _write(_findings_file(where, key), [token, result["findings"]])
            result["findings"] = token
        _write(_file(where, key), record)
        _prune(directory)
    except (OSError, UnicodeError):
        return


_SLICE = 512  # values of a long list made text at a time (no text of the whole file held)


def _chunks(value: Any) -> Iterator[str]:
    """``json.dumps(value, separators=(",", ":"))`` as pieces: a dict key by key, a long
    list a slice at a time (the text of a record is several times the size of its parts)."""
    dumps = json.dumps
    if isinstance(value, dict):
        yield "{"
        for i, (key, item) in enumerate(value.items()):
            yield ("," if i else "") + dumps(key) + ":"
            yield from _chunks(item)
        yield "}"
    elif isinstance(value, list) and any(isinstance(v, (list, dict)) for v in value[:1]):
        yield "["
        for i, item in enumerate(value):
            if i:
                yield ","
            yield from _chunks(item)
        yield "]"
    elif isinstance(value, list) and len(value) > _SLICE:
        yield "["
        for at in range(0, len(value), _SLICE):
            text = dumps(value[at : at + _SLICE], separators=(",", ":"))
            yield ("," if at else "") + text[1:-1]
        yield "]"
    else:
        yield dumps(value, separators=(",", ":"))


def _write(path: Path, value: Any) -> None:
    """Write ``value`` as JSON (ASCII) atomically."""
    from tasklint.atomic import write_atomically  # (only a run that writes a record needs it)

    write_atomically(path, (chunk.encode("ascii") for chunk in _chunks(value)), prefix=".run-")


STALE_TEMPORARY_NS = 3600 * 10**9


def _prune(directory: Path) -> None:
    """Keep the newest KEEP records, each with its findings (and no findings without)."""
    import time

    records = []
    findings = []
    stale = time.time_ns() - STALE_TEMPORARY_NS
    for entry in os.scandir(directory):
        if entry.name.startswith(".run-") and entry.name.endswith(".tmp"):
            try:  # left by a run interrupted while writing (never one being written now)
                if entry.stat(follow_symlinks=False).st_mtime_ns < stale:
                    os.unlink(entry.path)
            except OSError:
                pass
            continue
        if not entry.name.startswith(PREFIX):
            continue
        if entry.name.endswith(FINDINGS_SUFFIX):
            findings.append(entry.path)
        elif entry.name.endswith(".json"):
            try:
                records.append((entry.stat(follow_symlinks=False).st_mtime_ns, entry.path))
            except OSError:
                continue
    kept = sorted(records, reverse=True)[:KEEP]
    keep = {path[: -len(".json")] + FINDINGS_SUFFIX for _, path in kept}
    for path in [p for _, p in sorted(records, reverse=True)[KEEP:]] + findings:
        if path not in keep:
            try:
                os.unlink(path)
            except OSError:
                pass


def forget(where: Path, key: str) -> None:
    """Remove this run's record (an input changed and the run could not record a new one)."""
    for path in (_file(where, key), _findings_file(where, key)):
        if not _links_out(path):
            try:
                os.unlink(path)
            except OSError:
                pass
