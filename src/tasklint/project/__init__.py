"""The project model: discover modules, collect facts (cached), assemble the index."""

from __future__ import annotations

import ast
import hashlib
import os
import re
import stat
import sys
import warnings
from collections.abc import Callable, Iterable, Iterator
from dataclasses import field
from pathlib import Path
from typing import Any, TypeVar

from tasklint.config import DEFAULT_MAX_FILE_SIZE, Settings
from tasklint.data.compat import dataclass
from tasklint.project.cache import FactsCache, Stamp
from tasklint.project.deployment import DeploymentFacts, read_deployment
from tasklint.project.discovery import (
    SHADOWED_LIBRARIES,
    Excluder,
    clear_caches,
    iter_python_files,
    module_name_for,
    resolved,
)
from tasklint.project.facts import LazyModuleFacts, ModuleFacts, module_facts
from tasklint.project.index import IndexSettings, ProjectIndex
from tasklint.syntax import lowering

_T = TypeVar("_T")
_K = TypeVar("_K")


class RejectedSource(OSError):
    """A path that is not read: not a regular file, too large, a directory that cannot be
    listed. ``reason`` is the TQ001 message."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


# The size limit of the current run (``max-file-size``); set by scan_project, inherited by
# forked workers.
_MAX_SIZE: list[int] = [DEFAULT_MAX_FILE_SIZE]


def check_source_file(path: Path) -> None:
    """Raise unless ``path`` is a regular file within the size limit (never block on a FIFO,
    never read ``/dev/zero`` or a huge file whole)."""
    st = os.stat(path)
    if stat.S_ISDIR(st.st_mode):
        os.scandir(path).close()  # raises PermissionError for a directory that cannot be listed
        raise RejectedSource("cannot read the directory")
    if not stat.S_ISREG(st.st_mode):
        raise RejectedSource("not a regular file (a FIFO, socket or device): not read")
    limit = _MAX_SIZE[0]
    if st.st_size > limit:
        raise RejectedSource(
            f"too large: {st.st_size:,} bytes, above max-file-size "
            f"({limit:,} bytes); raise max-file-size in [tool.tasklint] to check it"
        )


def read_bytes(path: Path) -> bytes:
    check_source_file(path)
    with open(path, "rb") as fh:
        return fh.read(_MAX_SIZE[0] + 1)


def read_source(path: Path, track: bool = True) -> str:
    """Decode a Python file as Python does (BOM, encoding cookie); raises on bad input.

    While :func:`track_reads` is on, the path is recorded (``track=False``: the engine
    reading the file it lints): which other files' bodies the rules read decides which
    edits can change the findings of files that were not edited.
    """
    if track and _READS is not None:
        _READS.add(str(path))
    check_source_file(path)
    with open(path, "rb") as fh:
        return decode_source(fh.read())


def decode_source(data: bytes) -> str:
    """The bytes of a file decoded as read_source decodes the file (BOM, encoding cookie,
    universal newlines): the same text, or the same error, without reading it again."""
    plain = _plain_utf8(data)
    if plain is not None:
        return plain
    import io
    import tokenize

    buffer = io.BytesIO(data)
    encoding, _ = tokenize.detect_encoding(buffer.readline)
    buffer.seek(0)
    return io.TextIOWrapper(buffer, encoding, line_buffering=True).read()


def _plain_utf8(data: bytes) -> str | None:
    """The text of a file with no BOM and no ``coding`` in its first two lines that is valid
    UTF-8 (most files): what ``tokenize`` decodes it to (UTF-8, ``\r\n`` and ``\r`` read as
    ``\n``) without its per-file set-up; None for any other file (decoded by ``tokenize``,
    errors and all)."""
    if data[:3] == b"\xef\xbb\xbf":
        return None
    first = data.find(b"\n")
    second = data.find(b"\n", first + 1) if first >= 0 else -1
    if b"coding" in (data if second < 0 else data[:second]):
        return None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text


# Paths read by read_source since track_reads(True) (None: not tracking).
_READS: set[str] | None = None


def track_reads(on: bool) -> None:
    """Start (with an empty record) or stop recording the files read_source reads."""
    global _READS
    _READS = set() if on else None


def take_reads() -> list[str]:
    """The files read since the last call (sorted); the record is emptied, not stopped."""
    if not _READS:
        return []
    out = sorted(_READS)
    _READS.clear()
    return out


# What reading, decoding or parsing a file can raise on bad input (TQ001, never a crash).
BAD_INPUT = (
    SyntaxError,
    UnicodeDecodeError,
    LookupError,
    OSError,
    ValueError,
    RecursionError,
    MemoryError,
)


# Python 3.9 and 3.10 parse a long enough chain (``x = 1 + 1 + ...``, 150,000 operators)
# by a C recursion that overflows the stack: the process dies (3.11 raises RecursionError).
# A source that could hold such a chain (each link takes two characters at least) is
# parsed first in a forked child; a child killed by a signal means a tree too deep.
_PARSER_MAY_CRASH = sys.version_info < (3, 11) and hasattr(os, "fork")
_RISKY_SIZE = 150_000


def _crashes_the_parser(source: str) -> bool:
    """Does ``ast.parse(source)`` kill the process? (Tried in a forked child.)"""
    import gc

    try:
        pid = os.fork()
    except OSError:  # no process to spare: parsed in place, as on any other platform
        return False
    if pid == 0:  # the child: parse, exit without any cleanup
        try:
            gc.disable()  # no collection walks (and so copies) the parent's objects
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                ast.parse(source)
        finally:  # an exception is an error the parent meets again: not a crash
            os._exit(0)
    _, status = os.waitpid(pid, 0)
    return os.WIFSIGNALED(status)


def parse_source(source: str, filename: str) -> ast.Module:
    """The file's tree; syntax newer than the running Python is lowered first (lines and,
    mostly, columns kept: see syntax/lowering.py). Code invalid on every Python raises a
    SyntaxError at its real line (the interpreter's, or libcst's when they disagree)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if lowering.forced():  # tests: prove the lowering on code this Python parses
            try:
                lowered = lowering.lower(source)
            except SyntaxError:
                lowered = None
            if lowered is not None:
                return ast.parse(lowered, filename=filename)
        if _PARSER_MAY_CRASH and len(source) > _RISKY_SIZE and _crashes_the_parser(source):
            raise RecursionError("too deeply nested")
        try:
            return ast.parse(source, filename=filename)
        except SyntaxError as native:
            try:
                lowered = lowering.lower(source)
            except SyntaxError as everywhere:  # libcst rejects it too: invalid on any Python
                if native.lineno and (everywhere.lineno or 0) > native.lineno:
                    raise everywhere from None  # the interpreter stopped at newer syntax
                raise native from None  # its message is the more precise one
            if lowered is None:
                raise
            # still an error: lines are kept, so it names the real line and problem
            return ast.parse(lowered, filename=filename)


def syntax_error_info(exc: BaseException) -> tuple[int, str]:
    if isinstance(exc, RejectedSource):
        return 1, exc.reason
    if isinstance(exc, SyntaxError):
        line = exc.lineno or 1
        msg = str(exc.msg)
        # tokenize names the file by absolute path ("encoding problem for '/abs/x.py': ..."):
        # the finding already says which file, and no output names a path outside the roots
        msg = re.sub(r" for '[^']*'", "", msg)
        if msg.startswith("invalid or missing encoding declaration"):
            # tokenize names the file by absolute path; the finding already says which file
            return line, "cannot decode the file: not UTF-8 and no valid encoding declaration"
        return line, f"syntax error: {msg}"
    if isinstance(exc, UnicodeDecodeError):
        return 1, f"cannot decode the file: {exc.reason}"
    if isinstance(exc, (LookupError,)):
        return 1, f"unknown encoding: {exc}"
    if isinstance(exc, OSError):
        return 1, f"cannot read the file: {exc.strerror or exc}"
    if isinstance(exc, (RecursionError, MemoryError)):
        return 1, "the file is too deeply nested to parse"
    if isinstance(exc, ValueError):
        return 1, f"cannot parse the file: {exc}"
    return 1, f"cannot parse the file: {type(exc).__name__}: {exc}"


def index_settings(settings: Settings) -> IndexSettings:
    return IndexSettings(
        task_decorators=settings.task_decorators,
        enqueue_functions=settings.enqueue_functions,
        atomic_contexts=settings.atomic_contexts,
    )


def shadows_library(facts: ModuleFacts, root: Path) -> bool:
    """A loose module below the project root still named like a library (module_name_for
    names such files from the root, but cannot when a folder name is no identifier, as in
    ``docker-files/celery.py``): it must not hide the library in name resolution."""
    return (
        facts.module in SHADOWED_LIBRARIES
        and not facts.is_package
        and Path(facts.path).parent != root
    )


def _digest(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def compute_facts(key: str) -> tuple[str, ModuleFacts | None, tuple[int, str] | None]:
    """(content digest, facts, parse error) of one file; never raises on bad input."""
    path = Path(key)
    try:
        data = read_bytes(path)
        digest = _digest(data)
    except OSError as exc:
        return "", None, syntax_error_info(exc)
    module, is_package = module_name_for(path)
    try:
        if _READS is not None:
            _READS.add(str(path))  # as read_source would
        source = decode_source(data)
        tree = parse_source(source, key)
        facts = module_facts(tree, module, key, is_package, source=source)
    except BAD_INPUT as exc:
        return digest, None, syntax_error_info(exc)
    return digest, facts, None


def compute_facts_of(source: str, path: Path) -> tuple[ModuleFacts | None, tuple[int, str] | None]:
    """(facts, parse error) of ``source`` given as the content of ``path`` (which need not
    exist: an editor's unsaved buffer); never raises on bad input."""
    key = str(resolved(path))
    module, is_package = module_name_for(path)
    try:
        tree = parse_source(source, key)
        return module_facts(tree, module, key, is_package, source=source), None
    except BAD_INPUT as exc:
        return None, syntax_error_info(exc)


def _compute_many(
    keys: list[str],
) -> list[tuple[str, ModuleFacts | None, tuple[int, str] | None, list[Any]]]:
    """compute_facts of each key, plus what lowering that file produced (a forked worker
    hands it back so the rule workers do not lower the file again)."""
    return _without_gc(keys, lambda k: (*compute_facts(k), lowering.drain()))


def facts_digest(facts: ModuleFacts | None, error: tuple[int, str] | None) -> str:
    """A digest of what one file gives the project index: its facts, or its parse error."""
    import json

    if facts is None:
        text = f"error:{error!r}"
    else:
        text = json.dumps(facts.to_json(), sort_keys=True, default=repr)
    return _digest(text.encode("utf-8", "surrogatepass"))


def _compute_many_digested(
    keys: list[str],
) -> list[tuple[str, ModuleFacts | None, tuple[int, str] | None, list[Any], str]]:
    """_compute_many, with the digest of each file's facts (computed in the worker)."""

    def one(key: str) -> tuple[str, ModuleFacts | None, tuple[int, str] | None, list[Any], str]:
        digest, facts, error = compute_facts(key)
        return (digest, facts, error, lowering.drain(), facts_digest(facts, error))

    return _without_gc(keys, one)


# Files parsed between two collections of the young generation (see _without_gc).
GC_EVERY = 100


def _without_gc(keys: list[str], one: Callable[[str], _T]) -> list[_T]:
    """``one`` of each key with the cyclic garbage collector off, collecting the young
    generation once every GC_EVERY files. Parsing and collecting allocate millions of
    objects and almost no cycles (ast trees hold no parent links): automatic collections
    traverse the same live trees again and again for nothing."""
    import gc

    enabled = gc.isenabled()
    gc.disable()
    try:
        out: list[_T] = []
        for i, key in enumerate(keys, 1):
            out.append(one(key))
            if i % GC_EVERY == 0:
                gc.collect(0)
        gc.collect(0)
        return out
    finally:
        if enabled:
            gc.enable()


def parallel_map(func: Callable[[list[str]], list[_T]], keys: list[str], jobs: int) -> list[_T]:
    """``func`` over ``keys`` in chunks, in ``jobs`` forked workers; results in input order."""
    out: list[_T] = []
    for part in parallel_parts(func, keys, jobs):
        out.extend(part)
    return out


def parallel_parts(
    func: Callable[[list[_K]], list[_T]], keys: list[_K], jobs: int
) -> Iterator[list[_T]]:
    """``func`` over consecutive chunks of ``keys`` (in ``jobs`` forked workers), each
    chunk's results yielded as it arrives, in input order: the caller can make each part
    compact before the next one is received (the pickled bytes of one chunk at a time)."""
    jobs = _worker_count(len(keys), jobs)
    if jobs <= 1:
        yield func(keys)
        return
    size = max(MIN_CHUNK, min(MAX_CHUNK, len(keys) // (jobs * 4) or 1))
    chunks = [keys[i : i + size] for i in range(0, len(keys), size)]
    yield from _pool_imap(func, chunks, jobs)


def _worker_count(keys: int, jobs: int) -> int:
    """How many workers ``keys`` items get: never more than the cores or the chunks can
    keep busy (``-j 500``); 1 (run in this process) for few items or without fork."""
    if jobs <= 1 or keys < 2 * MIN_CHUNK or not _can_fork():
        return 1
    return max(1, min(jobs, usable_cores(), keys // MIN_CHUNK))


def _pool_imap(
    func: Callable[[list[_K]], list[_T]], chunks: list[list[_K]], jobs: int
) -> Iterator[list[_T]]:
    """``func`` of each chunk in a pool of ``jobs`` forked workers, results in chunk order."""
    import multiprocessing

    jobs = min(jobs, len(chunks))
    # Ctrl-C reaches every process of the group: the workers ignore it (no traceback from
    # each), the parent stops the pool and exits quietly
    with multiprocessing.get_context("fork").Pool(jobs, initializer=_start_worker) as pool:
        fixed_malloc_thresholds()  # the parent's, once its workers are forked
        yield from pool.imap(func, chunks)


MIN_CHUNK = 8
# At most this many files in one chunk (one chunk's pickled results are held at a time).
MAX_CHUNK = 200

# What a file costs beyond its bytes, in bytes (opening it, a parse's fixed cost, the facts
# record, its results sent back): a tree of tiny files is not balanced as if it were empty.
FILE_COST = 2000
# Chunks per worker when they are balanced by size: the last chunk a worker takes is at
# most about 1/CHUNKS_PER_JOB of its share, so the workers finish close together.
CHUNKS_PER_JOB = 12


def balanced_parts(
    func: Callable[[list[_K]], list[_T]],
    keys: list[_K],
    jobs: int,
    sizes: list[int],
) -> Iterator[tuple[list[_K], list[_T]]]:
    """``func`` over chunks of ``keys`` in ``jobs`` forked workers, each chunk yielded with
    its results as it arrives: (chunk, results in chunk order). The chunks hold about equal
    work (``sizes[i]``, the bytes of ``keys[i]``, plus FILE_COST each) and go out largest
    files first: one large file met last no longer keeps one worker busy while the other
    waits, and a worker that drew large files takes fewer. Serially, one chunk: ``keys``
    in order."""
    jobs = _worker_count(len(keys), jobs)
    if jobs <= 1:
        yield keys, func(keys)
        return
    weights = [max(0, size) + FILE_COST for size in sizes]
    order = sorted(range(len(keys)), key=lambda i: -weights[i])  # stable: ties keep order
    per_chunk = sum(weights) / (jobs * CHUNKS_PER_JOB)
    chunks: list[list[_K]] = []
    chunk: list[_K] = []
    held = 0
    for i in order:
        chunk.append(keys[i])
        held += weights[i]
        if held >= per_chunk or len(chunk) >= MAX_CHUNK:
            chunks.append(chunk)
            chunk, held = [], 0
    if chunk:
        chunks.append(chunk)
    yield from zip(chunks, _pool_imap(func, chunks, jobs))


# Blocks at least this large get a mapping of their own from glibc's malloc (its default
# before it starts raising the threshold as such blocks are freed).
MALLOC_MMAP_THRESHOLD = 128 * 1024
_MALLOC_TUNED: list[bool] = []


# What a worker forked after that sets instead: glibc's own ceiling for the threshold it
# raises, so that parsing takes its large blocks from the heap as with the default.
WORKER_MMAP_THRESHOLD = 32 * 1024 * 1024


def fixed_malloc_thresholds() -> None:
    """Keep the parent's glibc malloc thresholds fixed at 128 KiB for the rest of the run:
    every freed block that large goes back to the system at once. By default the first
    such block freed raises the thresholds to its size, and the pickled results received
    chunk after chunk (a few hundred KB each), large dicts and lists then leave holes in
    the heap that stay resident: 6 to 9 MB of the parent's peak on 20,007 files. Once per
    process, after its first pool forked; nothing off glibc. Not in the workers: a block
    mapped and unmapped for each file parsed costs them 3 % more CPU (page faults)."""
    if _MALLOC_TUNED or not sys.platform.startswith("linux"):
        return
    _MALLOC_TUNED.append(True)
    _mallopt(MALLOC_MMAP_THRESHOLD, MALLOC_MMAP_THRESHOLD)


def _mallopt(mmap_threshold: int, trim_threshold: int) -> None:
    try:
        import ctypes

        mallopt = ctypes.CDLL(None).mallopt
        mallopt(-3, mmap_threshold)  # M_MMAP_THRESHOLD
        mallopt(-1, trim_threshold)  # M_TRIM_THRESHOLD
    except (ImportError, OSError, AttributeError, TypeError):
        pass  # not glibc (musl has no such knobs): the default allocator as it is


def _start_worker() -> None:
    _ignore_sigint()
    if _MALLOC_TUNED:  # forked from a parent that fixed its thresholds: not for parsing
        _mallopt(WORKER_MMAP_THRESHOLD, 2 * WORKER_MMAP_THRESHOLD)


def usable_cores() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def _ignore_sigint() -> None:
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _can_fork() -> bool:
    import multiprocessing

    return "fork" in multiprocessing.get_all_start_methods()


@dataclass(slots=True)
class FileState:
    """One project file as the index sees it: its content digest and facts (or error)."""

    key: str
    stamp: Stamp | None
    digest: str
    # JSON from the cache, fresh facts, or CACHED (in the cache's module file, read lazily)
    facts_json: Any
    error: tuple[int, str] | None
    # the module name the file has today (it depends on __init__.py files and markers)
    module: str = ""
    facts_digest: str = ""  # "" when unknown (a cache entry of an older run)


CACHED = "cached"


@dataclass
class ProjectScan:
    root: Path
    settings: Settings
    states: dict[str, FileState] = field(default_factory=dict)
    cache: FactsCache | None = None
    deployment: DeploymentFacts = field(default_factory=DeploymentFacts)

    def errors(self) -> dict[str, tuple[int, str]]:
        return {k: s.error for k, s in self.states.items() if s.error is not None}

    def fingerprint(self) -> str:
        """Changes whenever any project file's bytes change (rules read other files too)."""
        h = hashlib.blake2b(digest_size=16)
        for key in sorted(self.states):
            state = self.states[key]
            h.update(f"{key}\0{state.digest}\0{state.module}\n".encode("utf-8", "surrogatepass"))
        h.update(f"deployment\0{self.deployment.fingerprint()}\n".encode())
        return h.hexdigest()

    def facts_fingerprint(self, bodies: set[str]) -> str:
        """Changes whenever what the index is built from changes (every file's facts or
        parse error, the set of files, the deployment) or the bytes of a file in ``bodies``
        (files whose source the rules read besides the file they lint).

        Each file's findings depend only on its own bytes (checked by its cache entry), the
        index, the settings and the files rules read on demand; so an edit that changes no
        facts and touches no file in ``bodies`` changes no other file's findings.
        """
        h = hashlib.blake2b(digest_size=16)
        for key in sorted(self.states):
            state = self.states[key]
            # the module name too: an unreadable file gives the index only its name
            if state.facts_digest and key not in bodies:
                line = f"{key}\0{state.module}\0facts\0{state.facts_digest}\n"
            else:  # facts unknown, or its body is read: its bytes decide
                line = f"{key}\0{state.module}\0bytes\0{state.digest}\n"
            h.update(line.encode("utf-8", "surrogatepass"))
        h.update(f"deployment\0{self.deployment.fingerprint()}\n".encode())
        return h.hexdigest()

    def _facts(self, state: FileState) -> ModuleFacts:
        key, found = state.key, state.facts_json
        if isinstance(found, ModuleFacts):
            return found
        if isinstance(found, str):  # CACHED
            name, _, package = state.module.rpartition(":")
            cached = (
                self.cache.lazy_module(key, name, package == "1", self._heal)
                if self.cache is not None and name and package in ("0", "1")
                else None
            )
            if cached is None:
                raise LookupError(key)  # written by an interrupted run: compute again
            return cached
        return ModuleFacts.from_json(found)

    def _heal(self, damaged: ModuleFacts) -> ModuleFacts | None:
        """The facts of a file whose cached row turned out damaged when first read (see
        LazyModuleFacts), collected again; the module file then holds the repaired ones."""
        _, fresh, _ = compute_facts(damaged.path)
        if fresh is not None and self.cache is not None:
            self.cache.restore(damaged.path, damaged)  # repaired in place from ``fresh``
        return fresh

    def index(self) -> ProjectIndex:
        index = ProjectIndex(
            root=str(self.root),
            settings=index_settings(self.settings),
            deployment=self.deployment,
        )
        fresh_facts: list[ModuleFacts] = []
        taken: dict[str, ModuleFacts] = {}  # by module name, in the order index.add took them
        for key, state in self.states.items():
            if state.facts_json is None:
                if state.error is not None:  # its task names are unknown, not absent
                    index.unreadable_modules.add(module_name_for(Path(key))[0])
                continue
            try:
                facts = self._facts(state)
            except Exception:  # a damaged cache entry: collect this file's facts again
                _, fresh, _ = compute_facts(key)
                if fresh is None:
                    continue
                facts = fresh
                if self.cache is not None and state.facts_json == CACHED:
                    self.cache.restore(key, fresh)  # the module file heals
            if state.facts_json is facts and state.stamp is not None:  # not a buffer
                fresh_facts.append(facts)
            if facts.module in taken and taken[facts.module].path != key:
                continue  # two files claim one module name: keep the first (sorted walk)
            if shadows_library(facts, self.root):
                continue
            taken[facts.module] = facts
        index.add_many(taken.values())
        if self.cache is not None:  # after the loop: the module file is read by then, if at all
            for facts in fresh_facts:
                self.cache.keep(facts.path, facts)
            facts_key = self.tables_key()
            if facts_key is not None:
                index.use_tables(self.cache.index_tables(facts_key))
                # which modules have collectors' facts: the others' rows need not be read
                # for rules that look for some in every module (``facts.extras.get(...)``);
                # not cached: made now (those rules read every module's extras anyway)
                if "extras" in index.tables:
                    holding = {m for modules in index.tables["extras"].values() for m in modules}
                    for facts in index.modules.values():
                        if isinstance(facts, LazyModuleFacts) and facts.module not in holding:
                            facts.no_extras()
                else:
                    index.table("extras")
        return index

    def tables_key(self) -> str | None:
        """Stands for the facts of every module as the index takes them, in order (the
        first file to claim a module name wins): equal keys, equal index tables. None when
        some file's facts digest is unknown (an entry of an older run, a buffer)."""
        h = hashlib.blake2b(digest_size=16)
        h.update(f"tables\0{self.root}\n".encode("utf-8", "surrogatepass"))
        for key, state in self.states.items():
            if not state.facts_digest or state.stamp is None:
                return None
            line = f"{key}\0{state.module}\0{state.facts_digest}\n"
            h.update(line.encode("utf-8", "surrogatepass"))
        return h.hexdigest()


def scan_project(
    root: Path,
    settings: Settings,
    cache: FactsCache,
    extra_files: Iterable[Path] = (),
    only_files: Iterable[Path] | None = None,
    jobs: int = 1,
    walked: list[Path] | None = None,
) -> ProjectScan:
    """Digest and facts of every project file: from the cache when unchanged, else parsed.

    A file whose mtime moved but whose bytes did not (``touch``) keeps its cached facts.
    """
    root = resolved(root)
    _MAX_SIZE[0] = settings.max_file_size
    if only_files is not None:
        files = [resolved(p) for p in only_files]
    elif walked is not None:
        files = [resolved(p) for p in walked]
    else:
        excluder = Excluder(settings.excludes(), root)
        files = [resolved(p) for p in iter_python_files([root], excluder)]
    files.extend(resolved(p) for p in extra_files)
    # deployment files belong to a project: a set of files checked outside any marked
    # project (``only_files``) has none, and its directory is not walked for them
    deployment = read_deployment(root, settings) if only_files is None else DeploymentFacts()
    scan = ProjectScan(root=root, settings=settings, cache=cache, deployment=deployment)
    order: list[str] = []
    stamps: dict[str, Stamp | None] = {}
    modules: dict[str, str] = {}
    todo: list[str] = []
    for path in files:
        key = str(path)
        if key in stamps:
            continue
        order.append(key)
        stamp = FactsCache.stamp(path)
        stamps[key] = stamp
        name, is_package = module_name_for(path)
        module = modules[key] = f"{name}:{int(is_package)}"
        entry = cache.entry(key, stamp, module)
        if entry is None and stamp is not None and cache.enabled and key in cache.entries:
            try:
                entry = cache.by_digest(key, _digest(read_bytes(path)), module)
            except OSError:
                entry = None
            if entry is not None:
                cache.restamp(key, stamp)
        if entry is not None:
            err = entry.get("error")
            known = entry.get("facts_digest")
            scan.states[key] = FileState(
                key,
                stamp,
                str(entry["digest"]),
                None if err else CACHED,
                (int(err[0]), str(err[1])) if err else None,
                module,
                known if isinstance(known, str) else "",
            )
        else:
            todo.append(key)
    # the facts digest keys cached findings (engine.lint_paths); each chunk of results is
    # stored as it arrives (no list of every file's results next to the states)
    compute: Callable[[list[str]], list[Any]] = (
        _compute_many_digested if cache.enabled else _compute_many
    )
    sizes = [_size(stamps[key]) for key in todo]
    for chunk, part in balanced_parts(compute, todo, jobs, sizes):
        for key, item in zip(chunk, part):
            digest, facts_json, error, lowered = item[:4]
            known = item[4] if len(item) > 4 else ""
            lowering.remember(lowered)
            scan.states[key] = FileState(
                key, stamps[key], digest, facts_json, error, modules[key], known
            )
            cache.put(key, stamps[key], facts_json, error, digest, modules[key], facts_digest=known)
    scan.states = {k: scan.states[k] for k in order}
    cache.prune(set(order))
    return scan


def _size(stamp: Stamp | None) -> int:
    return stamp[1] if stamp is not None else 0


def build_index(
    root: Path,
    settings: Settings,
    extra_files: Iterable[Path] = (),
    use_cache: bool = True,
    only_files: Iterable[Path] | None = None,
) -> tuple[ProjectIndex, dict[str, tuple[int, str]]]:
    """Index every Python file of the project; returns the index and per-path parse errors.

    ``only_files`` replaces the walk of ``root`` (a project of exactly those files).
    """
    clear_caches()
    cache = FactsCache(root.resolve(), enabled=use_cache)
    scan = scan_project(root, settings, cache, extra_files, only_files)
    cache.save()
    return scan.index(), scan.errors()
