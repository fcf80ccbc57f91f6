"""Where the project is, which files belong to it, and what their module names are."""

from __future__ import annotations

import fnmatch
import os
import re
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path

from tasklint import inputs

ROOT_MARKERS = ("pyproject.toml", "setup.cfg", "setup.py", ".git")


_RESOLVED: dict[str, Path] = {}
_IS_PACKAGE: dict[str, bool] = {}


def clear_caches() -> None:
    """Forget resolved paths and package directories (call at the start of a run)."""
    _RESOLVED.clear()
    _IS_PACKAGE.clear()
    _IS_ROOT.clear()
    _CHAIN.clear()
    _PREFIX.clear()
    _PACKAGE.clear()


def resolved(path: Path) -> Path:
    """``path.resolve()``, memoised per directory: one ``lstat`` per new path component."""
    key = str(path)
    hit = _RESOLVED.get(key)
    if hit is not None:
        return hit
    if not path.is_absolute():
        out = resolved(Path(os.getcwd()) / path)
    elif path.name in ("", ".", "..") or path.parent == path:
        out = safe_resolve(path)
    else:
        candidate = resolved(path.parent) / path.name
        out = safe_resolve(candidate) if os.path.islink(candidate) else candidate
    _RESOLVED[key] = out
    # a resolved path resolves to itself: callers that resolve again (module_name_for on a
    # path scan_project resolved) hit the memo instead of an lstat
    _RESOLVED.setdefault(str(out), out)
    return out


def _remember(path: Path, real: Path) -> None:
    """Record ``resolved(path) == real`` (and ``resolved(real) == real``)."""
    _RESOLVED[str(path)] = real
    _RESOLVED[str(real)] = real


def safe_resolve(path: Path) -> Path:
    """``path.resolve()``, or the absolute path when a symlink loop makes that fail."""
    try:
        return path.resolve()
    except (RuntimeError, OSError):
        return Path(os.path.abspath(path))


def _is_package_dir(directory: Path) -> bool:
    key = str(directory)
    hit = _IS_PACKAGE.get(key)
    if hit is None:
        # os.path.isfile: a directory that cannot be searched is no package, not an error
        hit = _IS_PACKAGE[key] = os.path.isfile(directory / "__init__.py")
    return hit


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
    """The nearest directory at or above ``start`` holding a project marker, else ``start``
    (a directory) or the directory holding its top-level package (a file)."""
    marked = marked_root(start)
    if marked is not None:
        return marked
    start = absolute(start)
    return package_top(start) if not os.path.isdir(start) else start


def absolute(path: Path) -> Path:
    """The absolute path, ``..`` removed lexically, links not followed: where the user
    named it (a link to ``/nonexistent`` given as the path does not move the project to
    ``/``)."""
    return Path(os.path.abspath(path))


def marked_root(start: Path) -> Path | None:
    """The nearest directory at or above ``start`` holding a project marker, if any; never
    the file system root (a marker there marks no project)."""
    start = absolute(start)
    if not os.path.isdir(start):
        start = start.parent
    for candidate in (start, *start.parents):
        if candidate.parent == candidate:
            break
        if _is_project_root(candidate):
            return safe_resolve(candidate)
    return None


def package_top(path: Path) -> Path:
    """The directory holding the top-level package around a file (its ``sys.path`` entry),
    or the file's own directory when that is no package."""
    directory = absolute(path).parent
    while _is_package_dir(directory) and directory.parent != directory:
        directory = directory.parent
    return directory


def project_scope(paths: Sequence[Path]) -> tuple[Path, list[Path] | None]:
    """(project root, what to index) for paths checked without configuration.

    Inside a marked project: its root, and the whole of it (None). Outside any: a directory
    given is walked, as asked; a file is checked with its own package only (the directories
    with ``__init__.py`` around it), never with its whole parent directory.
    """
    given = [absolute(p) for p in paths] or [absolute(Path("."))]
    common = Path(os.path.commonpath([str(p) for p in given]))
    marked = marked_root(common)
    if marked is not None:
        return marked, None
    scope: list[Path] = []
    tops: list[Path] = []
    for path in given:
        if os.path.isdir(path):
            scope.append(path)
            tops.append(path)
            continue
        top = package_top(path)
        tops.append(top)
        if top == path.parent:
            scope.append(path)  # a loose file: a project of one file
        else:
            scope.append(top / path.relative_to(top).parts[0])  # its top-level package
    root = Path(os.path.commonpath([str(t) for t in tops]))
    return safe_resolve(root), scope


def common_root(paths: Iterable[Path]) -> Path:
    return project_scope(list(paths))[0]


def inside(path: Path, roots: Iterable[Path]) -> bool:
    """``path`` (resolved) lies at or below one of ``roots`` (resolved)."""
    return any(path == root or root in path.parents for root in roots)


def _alternation(patterns: Iterable[str]) -> re.Pattern[str] | None:
    parts = [f"(?:{fnmatch.translate(p)})" for p in patterns]
    return re.compile("|".join(parts)) if parts else None


class Excluder:
    """flake8-style exclusion: a pattern matches a file or directory by name or by path."""

    def __init__(self, patterns: Iterable[str], root: Path) -> None:
        self.patterns = [p.rstrip("/") for p in patterns if p]
        self.root = root
        # fnmatch.fnmatch(x, p) for every p at once: one alternation of the translated globs
        norm = os.path.normcase
        self._name_re = _alternation(norm(p) for p in self.patterns)
        path_patterns = [
            p[2:] if p.startswith("./") else p
            for p in self.patterns
            if "/" in p or p.startswith(".")
        ]
        self._rel_re = _alternation(norm(p) for p in path_patterns)
        self._rel_prefixes = tuple(p.rstrip("*") + "/" for p in path_patterns)
        # what each path pattern's matches start with (its text before the first wildcard):
        # a directory whose relative path agrees with none needs no path check per entry
        self._literal_prefixes = tuple(re.split(r"[*?\[]", p, maxsplit=1)[0] for p in path_patterns)
        # and the directories those texts go through ("a/", "a/b/" for "a/b/c*")
        self._literal_dirs = frozenset(
            literal[: i + 1]
            for literal in self._literal_prefixes
            for i, char in enumerate(literal)
            if char == "/"
        )
        # name -> the name patterns match it (read by _walk directly)
        self.excluded_names: dict[str, bool] = {}

    @property
    def has_path_patterns(self) -> bool:
        return self._rel_re is not None

    def relative(self, directory: Path) -> str | None:
        """``directory`` relative to the root, ``/``-separated ("" for the root itself);
        None when it lies outside the root."""
        if self._rel_re is None:
            return None
        try:
            rel = resolved(directory).relative_to(self.root).as_posix()
        except ValueError:
            return None
        return "" if rel == "." else rel

    def paths_may_match_below(self, rel_dir: str | None) -> bool:
        """Whether a path pattern can match an entry of the directory ``rel_dir`` (as
        returned by ``relative``); when not, ``excluded_name`` needs only the name."""
        if self._rel_re is None or rel_dir is None:
            return False
        if os.path.normcase("A") != "A":
            return True  # a case-folding system: no shortcut
        if not rel_dir:
            return True  # the root: every pattern's text starts at or below it
        start = f"{rel_dir}/"
        # a text the directory lies below, or one that goes on below the directory
        return start.startswith(self._literal_prefixes) or start in self._literal_dirs

    def excluded_name(self, name: str, rel_dir: str | None, paths: bool = True) -> bool:
        """``excluded(directory / name)`` for an entry that is no symlink, given
        ``relative(directory)`` (and ``paths_may_match_below(rel_dir)`` as ``paths``)."""
        hit = self.excluded_names.get(name)
        if hit is None:
            hit = self.excluded_names[name] = self._name_re is not None and bool(
                self._name_re.match(os.path.normcase(name))
            )
        if hit:
            return True
        if self._rel_re is None or not paths:
            return False
        if rel_dir is None:
            return False  # outside the root: callers use excluded() there
        rel = f"{rel_dir}/{name}" if rel_dir else name
        return bool(self._rel_re.match(os.path.normcase(rel))) or rel.startswith(self._rel_prefixes)

    def excluded(self, path: Path) -> bool:
        if self._name_re is not None and self._name_re.match(os.path.normcase(path.name)):
            return True
        if self._rel_re is None:
            return False
        try:
            rel = resolved(path).relative_to(self.root).as_posix()
        except ValueError:
            rel = path.as_posix()
        return bool(self._rel_re.match(os.path.normcase(rel))) or rel.startswith(self._rel_prefixes)

    def excluded_anywhere(self, path: Path) -> bool:
        """The file or any directory between it and the root is excluded."""
        full = resolved(path)
        if self.excluded(full):
            return True
        for parent in full.parents:
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
        if not os.path.isdir(path):  # a file; missing or unreadable: reported as TQ001
            key = os.path.normcase(str(path))
            real = resolved(path)
            if real != absolute(path) and not inside(real, (excluder.root,)):
                continue  # through a link out of the project: neither read nor reported
            if key not in seen and not excluder.excluded_anywhere(path):
                seen.add(key)
                yield path
            continue
        visited: set[tuple[int, int]] = set()
        yield from _walk(path, excluder, visited, seen, top=True)


def _walk(
    directory: Path,
    excluder: Excluder,
    visited: set[tuple[int, int]],
    seen: set[str],
    top: bool = False,
    rel_dir: str | None = None,
) -> Iterator[Path]:
    """``os.walk`` without following links, sorted, with exclusion decided on strings: the
    directory's path relative to the root is computed once, not once per entry (and handed
    down: ``rel_dir``, when known, is ``excluder.relative(directory)``).

    A file that is no link is yielded resolved (what every caller asks of it first: it is
    the same file); ``seen`` keeps the path as spelled below the walked directory."""
    try:
        st = os.stat(directory)
        with os.scandir(directory) as it:
            entries = sorted(it, key=_entry_name)
    except OSError:
        inputs.read(resolved(directory))  # cannot be listed: no run record (its bytes decide)
        if not top:  # listed as a directory by its parent
            yield directory  # cannot be listed: reported (TQ001), never skipped in silence
        return
    by_name = {e.name: e for e in entries}
    if inputs.active():
        inputs.listed(resolved(directory), entries, st, top, by_name)
    ident = (st.st_dev, st.st_ino)
    if ident in visited:
        return
    visited.add(ident)
    if not top and "pyvenv.cfg" in by_name:
        return  # a virtualenv
    if rel_dir is None:
        rel_dir = excluder.relative(directory)
    exact = rel_dir is None and excluder.has_path_patterns
    paths = excluder.paths_may_match_below(rel_dir)
    # an entry that is no symlink resolves to its name below the resolved directory
    real_dir = resolved(directory)
    _learn(real_dir, by_name)
    spelled = str(directory)
    # str(directory / name) without a Path: pathlib drops a lone "."
    prefix = "" if spelled == "." else os.path.join(spelled, "")

    def is_excluded(name: str) -> bool:
        if exact:  # outside the root: the slow, exact check
            return excluder.excluded(directory / name)
        return excluder.excluded_name(name, rel_dir, paths)

    # most entries: a file no path pattern can reach, excluded or not by its name alone
    by_name_only = None if exact or paths else excluder.excluded_names
    real_child = _child_maker(real_dir)
    subdirs: list[tuple[Path, str]] = []
    for entry in entries:
        name = entry.name
        try:
            is_dir = entry.is_dir(follow_symlinks=False)
        except OSError:
            continue
        if is_dir:
            if not is_excluded(name):
                sub = _child(directory, name)
                _remember(sub, _child(real_dir, name))
                subdirs.append((sub, name))
            continue
        if not name.endswith(".py"):
            continue
        if entry.is_symlink():
            file_path = directory / name
            if excluder.excluded(file_path) or not file_path.is_file():
                continue  # a dangling link or one to a file outside: the slow, exact check
            if not inside(resolved(file_path), (excluder.root,)):
                continue  # a link out of the project: neither read nor reported
        else:
            excluded = by_name_only.get(name) if by_name_only is not None else None
            if excluded is None:
                excluded = is_excluded(name)
            if excluded or not entry.is_file():
                continue
            file_path = real_child(name)
            _RESOLVED[str(file_path)] = file_path
        key = os.path.normcase(prefix + name)
        if key not in seen:
            seen.add(key)
            yield file_path
    for sub, name in subdirs:
        # below the root, a subdirectory's relative path is its parent's plus its name
        # (it is no link: it resolves to its name below the resolved directory)
        sub_rel = None if rel_dir is None else f"{rel_dir}/{name}" if rel_dir else name
        yield from _walk(sub, excluder, visited, seen, rel_dir=sub_rel)


def _entry_name(entry: os.DirEntry[str]) -> str:
    return entry.name


def _child_maker(directory: Path) -> Callable[[str], Path]:
    """``lambda name: _child(directory, name)``, bound once per directory."""
    if _child is _child_fast:
        return directory._make_child_relpath  # type: ignore[attr-defined,no-any-return]
    return directory.joinpath


def _child_fast(directory: Path, name: str) -> Path:
    return directory._make_child_relpath(name)  # type: ignore[attr-defined,no-any-return]


def _child_slow(directory: Path, name: str) -> Path:
    return directory / name


# ``directory / name`` for a name read from a listing (never empty, ``.``, ``..`` or holding a
# separator). Up to Python 3.11 pathlib's own helper for that (used by ``Path.iterdir``) skips
# parsing the name again: a fifth of the cost, once or twice per file of every run. Checked
# here against ``/``; later versions (where it is no faster or gone) use ``/``.
_child: Callable[[Path, str], Path] = _child_slow
if sys.version_info < (3, 12) and hasattr(Path, "_make_child_relpath"):
    try:
        if all(
            _child_fast(Path(d), "x.py") == Path(d) / "x.py"
            and str(_child_fast(Path(d), "x.py")) == str(Path(d) / "x.py")
            for d in (".", "a", "a/b", os.sep, os.path.join(os.sep, "a"))
        ):
            _child = _child_fast
    except Exception:  # pragma: no cover - a pathlib without the helper's usual signature
        pass


def _learn(directory: Path, by_name: dict[str, os.DirEntry[str]]) -> None:
    """What module names need to know of a listed directory (is it a package, does it hold
    a project marker), from its listing: no ``stat`` per marker and directory later.
    Only what the listing settles exactly is recorded; the rest is asked when needed."""
    key = str(directory)
    if key not in _IS_ROOT and not any(m in by_name for m in ROOT_MARKERS):
        _IS_ROOT[key] = False  # os.path.exists of a name the directory does not hold
    if key in _IS_PACKAGE:
        return
    init = by_name.get("__init__.py")
    if init is None:
        _IS_PACKAGE[key] = False
        return
    try:
        regular = init.is_file(follow_symlinks=False)  # no stat: the listing's file type
    except OSError:
        return
    # os.path.isfile follows a link, and fails in a directory that can be listed but not
    # searched: those cases are left to _is_package_dir
    if regular and os.access(directory, os.X_OK):
        _IS_PACKAGE[key] = True


def module_name_for(path: Path) -> tuple[str, bool]:
    """(dotted module name, is_package) from the ``__init__.py`` chain above ``path``."""
    path = resolved(path)
    name = path.name
    # once per file even when warm: what a directory's files share is memoised per
    # directory (clear_caches forgets it)
    directory = os.path.dirname(str(path))
    if name == "__init__.py":
        found = _PACKAGE.get(directory)
        if found is None:
            if _root_at(directory):
                found = ("__init__", False)  # a repository root is no package of its own code
            else:
                parts = (os.path.basename(directory), *_chain_at(os.path.dirname(directory)))
                found = (".".join(reversed(parts)), True)
            _PACKAGE[directory] = found
        return found
    prefix = _PREFIX.get(directory)
    if prefix is None:
        prefix = _PREFIX[directory] = "".join(p + "." for p in reversed(_chain_at(directory)))
    dot = name.rfind(".")
    stem = name[:dot] if 0 < dot < len(name) - 1 else name  # Path.stem
    if prefix or stem not in SHADOWED_LIBRARIES:
        return prefix + stem, False
    return _shadowing_name(path, stem)


# resolved directory -> the dotted package prefix of a plain module in it ("" at the top)
_PREFIX: dict[str, str] = {}
# resolved directory -> module_name_for its __init__.py
_PACKAGE: dict[str, tuple[str, bool]] = {}


def _shadowing_name(path: Path, stem: str) -> tuple[str, bool]:
    """module_name_for a single-file module named like a library, outside any package."""
    # ``docker/settings/celery.py`` in a plain folder is no top-level ``celery``: it would
    # hide the library every other module imports. Name it from the project root.
    root = find_project_root(path.parent)
    try:
        rel = path.with_suffix("").relative_to(root).parts
    except ValueError:
        rel = ()
    if len(rel) > 1 and all(p.isidentifier() for p in rel):
        return ".".join(rel), False
    return stem, False


_CHAIN: dict[str, tuple[str, ...]] = {}


def _chain_at(key: str) -> tuple[str, ...]:
    """The package names from the resolved directory ``key`` upwards (innermost first),
    memoised per directory, the directories on the way up included: every file of a
    directory shares them, and every subdirectory shares its parent's."""
    hit = _CHAIN.get(key)
    if hit is not None:
        return hit
    # up to a directory whose chain is known or that ends it, then the chains on the way
    # back down, each what it adds in front of its parent's
    pending: list[tuple[str, tuple[str, ...]]] = []
    tail: tuple[str, ...] = ()
    here = key  # on strings: a Path is made only for what the memos do not know
    while True:
        known = _CHAIN.get(here)
        if known is not None:
            tail = known
            break
        parent = os.path.dirname(here)
        if parent == here or _root_at(here):
            # an ``__init__.py`` beside pyproject.toml/.git: the clone's name is arbitrary
            _CHAIN[here] = ()
            break
        if _package_at(here):
            pending.append((here, (os.path.basename(here),)))
            here = parent
            continue
        # a directory without ``__init__.py`` inside a regular package is a namespace
        # subpackage of it (``pkg/__init__.py`` + ``pkg/worker/arq.py`` is ``pkg.worker.arq``)
        gap = _namespace_gap(Path(here))
        if not gap:
            _CHAIN[here] = ()
            break
        pending.append((here, tuple(d.name for d in gap)))
        here = str(gap[-1].parent)
    for here, names in reversed(pending):
        tail = _CHAIN[here] = names + tail
    return _CHAIN[key]


def _root_at(directory: str) -> bool:
    """``_is_project_root`` of a resolved directory's string."""
    hit = _IS_ROOT.get(directory)
    return _is_project_root(Path(directory)) if hit is None else hit


def _package_at(directory: str) -> bool:
    """``_is_package_dir`` of a resolved directory's string."""
    hit = _IS_PACKAGE.get(directory)
    return _is_package_dir(Path(directory)) if hit is None else hit


_IS_ROOT: dict[str, bool] = {}


def _is_project_root(directory: Path) -> bool:
    key = str(directory)
    hit = _IS_ROOT.get(key)
    if hit is None:
        hit = _IS_ROOT[key] = any(_marks(directory, m) for m in ROOT_MARKERS)
    return hit


def _marks(directory: Path, marker: str) -> bool:
    """``marker`` in ``directory`` marks a project root. A ``setup.py`` or ``setup.cfg``
    inside a package (beside ``__init__.py``) is one of its modules or data files
    (``bookwyrm/views/setup.py`` is a view), unless it uses setuptools/distutils and the
    package is a top-level one (a repository whose root holds ``__init__.py``)."""
    path = directory / marker
    if not os.path.exists(path):
        return False
    if marker not in ("setup.py", "setup.cfg") or not os.path.exists(directory / "__init__.py"):
        return True
    if os.path.exists(directory.parent / "__init__.py"):
        return False  # a subpackage with its own setup script (treeherder/perfalert)
    inputs.read(path)
    try:
        with open(path, "rb") as fh:
            head = fh.read(65536)
    except OSError:
        return False
    if marker == "setup.cfg":
        return b"[metadata]" in head or b"[options]" in head
    return b"setuptools" in head or b"distutils" in head


def _namespace_gap(directory: Path, limit: int = 4) -> list[Path]:
    """Directories without ``__init__.py``, from ``directory`` up to just below the nearest
    regular package (at most ``limit`` of them); empty when no package is that close."""
    gap: list[Path] = []
    current = directory
    while len(gap) < limit and current.parent != current:
        if not current.name.isidentifier():
            return []
        gap.append(current)
        current = current.parent
        if _is_package_dir(current):
            return gap
    return []
