"""``[tool.tasklint]`` settings: one typed schema, validated once, shared by every entry point."""

from __future__ import annotations

import math
import os
import re
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from fnmatch import fnmatch
from pathlib import Path
from typing import Any, Callable

from tasklint import inputs
from tasklint.data.codes import RULE_CODES

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


DEFAULT_TEST_MODULES = (
    "test",
    "tests",
    "*.test",
    "*.tests",
    "*.tests.*",
    "tests.*",
    "test_*",
    "*.test_*",
    "*_test",
    "*_tests",
    "conftest",
    "*.conftest",
    "testing",
    "*.testing",
    "*.settings.test*",
    "*.settings.dev*",
    "*.settings.local*",
)


DEFAULT_MAX_FILE_SIZE = 10 * 1024 * 1024


class ConfigError(Exception):
    """Invalid configuration; ``errors`` lists one message per problem, each naming the key."""

    def __init__(self, errors: Sequence[str], source: str = "") -> None:
        self.errors = list(errors)
        self.source = source
        where = f" in {source}" if source else ""
        super().__init__(f"invalid tasklint configuration{where}:\n  " + "\n  ".join(errors))


@dataclass(frozen=True)
class Settings:
    select: tuple[str, ...] | None = None
    extend_select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    exclude: tuple[str, ...] | None = None
    extend_exclude: tuple[str, ...] = ()
    per_file_ignores: tuple[tuple[str, tuple[str, ...]], ...] = ()
    test_modules: tuple[str, ...] = DEFAULT_TEST_MODULES
    task_decorators: tuple[str, ...] = ()
    enqueue_functions: tuple[str, ...] = ()
    django_settings: str | None = None
    visibility_timeout: float | None = None
    atomic_contexts: tuple[str, ...] = ()
    # a larger file is reported as too large (TQ001) instead of being read and parsed
    max_file_size: int = DEFAULT_MAX_FILE_SIZE
    # where the settings were read from (for messages), and the directory they apply to
    source: str | None = None
    base_dir: str | None = None

    def with_overrides(self, **changes: Any) -> Settings:
        return replace(self, **{k: v for k, v in changes.items() if v is not None})

    # -- rule selection ------------------------------------------------------------------
    def enabled_codes(self, all_codes: Iterable[str], default_on: Iterable[str]) -> set[str]:
        """Codes that run. Opt-in rules run only when their full code is selected."""
        codes = sorted(all_codes)
        on = set(default_on)
        selected: set[str] = set()
        for code in codes:
            sel = self._match(code, self.select) if self.select is not None else None
            ext = self._match(code, self.extend_select)
            best_select = max((m for m in (sel, ext) if m is not None), default=None)
            if self.select is None and code in on:
                best_select = max(best_select or 0, 0)
            if best_select is None:
                continue
            if code not in on and best_select < len(code):
                # opt-in rules need their full code
                if not (code in (self.select or ()) or code in self.extend_select):
                    continue
            ign = self._match(code, self.ignore)
            if ign is not None and ign >= best_select:
                continue
            selected.add(code)
        return selected

    @staticmethod
    def _match(code: str, prefixes: Iterable[str]) -> int | None:
        best: int | None = None
        for p in prefixes:
            if code.startswith(p) and (best is None or len(p) > best):
                best = len(p)
        return best

    def ignored_for_path(self, rel_path: str) -> set[str]:
        """Codes (or prefixes) per-file-ignores switches off for a project-relative path."""
        out: set[str] = set()
        name = rel_path.rsplit("/", 1)[-1]
        for pattern, codes in self.per_file_ignores:
            if fnmatch(rel_path, pattern) or fnmatch(name, pattern):
                out.update(codes)
        return out

    def excludes(self) -> tuple[str, ...]:
        base = self.exclude if self.exclude is not None else DEFAULT_EXCLUDES
        return (*base, *self.extend_exclude)


# -- schema ------------------------------------------------------------------------------


def _str_list(value: Any) -> tuple[str, ...] | None:
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(value)
    return None


def _opt_str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
        return None
    try:
        number = float(value)
    except OverflowError:  # an integer too large for a float
        return None
    return number if math.isfinite(number) else None  # nan, inf, 1e400


MAX_FILE_SIZE_LIMIT = 1 << 40  # 1 TiB: beyond any real file, and within a read's size


def _size(value: Any) -> int | None:
    if (
        isinstance(value, bool)
        or not isinstance(value, int)
        or not 0 < value <= MAX_FILE_SIZE_LIMIT
    ):
        return None
    return value


def _dotted(value: str) -> bool:
    """``a.b.c``: identifiers joined by dots (not ``""``, not ``../../etc/passwd``)."""
    return all(part.isidentifier() for part in value.split("."))


def _dotted_list(value: Any) -> tuple[str, ...] | None:
    items = _str_list(value)
    if items is None or not all(_dotted(item) for item in items):
        return None
    return items


def _dotted_name(value: Any) -> str | None:
    return value if isinstance(value, str) and _dotted(value) else None


def _glob(pattern: str) -> bool:
    """A glob that can match something: not empty, printable, every ``[`` closed, no
    reversed range such as ``[z-a]`` (which fnmatch turns into a pattern matching nothing)."""
    from fnmatch import translate

    if not pattern or not pattern.isprintable():
        return False
    i = 0
    while i < len(pattern):
        if pattern[i] == "[":
            j = i + 1
            if j < len(pattern) and pattern[j] == "!":
                j += 1
            if j < len(pattern) and pattern[j] == "]":
                j += 1
            j = pattern.find("]", j)
            if j < 0:
                return False  # fnmatch would match the "[" literally: surely not meant
            i = j
        i += 1
    try:
        translated = translate(pattern)
        re.compile(translated)
    except re.error:
        return False
    return "(?!)" not in translated


def _glob_list(value: Any) -> tuple[str, ...] | None:
    items = _str_list(value)
    if items is None or not all(_glob(item) for item in items):
        return None
    return items


@dataclass(frozen=True)
class Field:
    key: str
    attr: str
    parse: Callable[[Any], Any]
    accepted: str
    codes: bool = False


TOP_FIELDS = (
    Field("select", "select", _str_list, 'a list of rule codes or prefixes, e.g. ["TQ2"]', True),
    Field("extend-select", "extend_select", _str_list, "a list of rule codes or prefixes", True),
    Field("ignore", "ignore", _str_list, "a list of rule codes or prefixes", True),
    Field("exclude", "exclude", _glob_list, "a list of glob patterns"),
    Field("extend-exclude", "extend_exclude", _glob_list, "a list of glob patterns"),
    Field("test-modules", "test_modules", _glob_list, "a list of module-name globs"),
    Field(
        "max-file-size",
        "max_file_size",
        _size,
        "a positive whole number of bytes up to 2**40, e.g. 10485760",
    ),
)
CELERY_FIELDS = (
    Field("task-decorators", "task_decorators", _dotted_list, "a list of dotted paths"),
    Field(
        "enqueue-functions",
        "enqueue_functions",
        _dotted_list,
        "a list of dotted paths",
    ),
    Field("django-settings", "django_settings", _dotted_name, "a dotted module name"),
    Field(
        "visibility-timeout",
        "visibility_timeout",
        _number,
        "a positive number of seconds",
    ),
)
TRANSACTION_FIELDS = (
    Field("atomic-contexts", "atomic_contexts", _dotted_list, "a list of dotted paths"),
)
TABLES: dict[str, tuple[Field, ...]] = {
    "celery": CELERY_FIELDS,
    "transactions": TRANSACTION_FIELDS,
}


def _known_codes() -> list[str]:
    return sorted(RULE_CODES)


def _check_codes(key: str, values: Iterable[str], errors: list[str]) -> None:
    known = _known_codes()
    for value in values:
        if not value.startswith("TQ") or not any(code.startswith(value) for code in known):
            errors.append(
                f"{key}: unknown rule code {value!r}; accepted: a code such as TQ201 or a prefix "
                f"such as TQ2 (see `tasklint --list-rules`)"
            )


def parse_settings(
    table: dict[str, Any], source: str = "", base_dir: str | None = None
) -> Settings:
    """Validate a ``[tool.tasklint]`` table; raise ConfigError listing every problem."""
    errors: list[str] = []
    values: dict[str, Any] = {}
    if not isinstance(table, dict):
        raise ConfigError(["[tool.tasklint] must be a table"], source)

    def apply(fields: tuple[Field, ...], data: dict[str, Any], prefix: str) -> None:
        by_key = {f.key: f for f in fields}
        for key, raw in data.items():
            full = f"{prefix}{key}"
            f = by_key.get(key)
            if f is None:
                if prefix == "" and key in TABLES:
                    continue
                if prefix == "" and key == "per-file-ignores":
                    continue
                accepted = sorted(by_key) + (
                    [*sorted(TABLES), "per-file-ignores"] if not prefix else []
                )
                errors.append(f"{full}: unknown key; accepted keys: {', '.join(accepted)}")
                continue
            parsed = f.parse(raw)
            if parsed is None and raw is not None:
                errors.append(f"{full}: expected {f.accepted}, got {raw!r}")
                continue
            if f.codes and parsed:
                parsed = tuple(code.upper() for code in parsed)  # `tq201` is TQ201
                _check_codes(full, parsed, errors)
            values[f.attr] = parsed

    apply(TOP_FIELDS, table, "")
    for name, fields in TABLES.items():
        sub = table.get(name)
        if sub is None:
            continue
        if not isinstance(sub, dict):
            errors.append(f"{name}: expected a table ([tool.tasklint.{name}]), got {sub!r}")
            continue
        apply(fields, sub, f"{name}.")

    pfi = table.get("per-file-ignores")
    if pfi is not None:
        if not isinstance(pfi, dict):
            errors.append(
                "per-file-ignores: expected a table of glob = [codes], "
                f'e.g. {{ "tests/*" = ["TQ201"] }}, got {pfi!r}'
            )
        else:
            items: list[tuple[str, tuple[str, ...]]] = []
            for pattern, codes in pfi.items():
                if not _glob(pattern):
                    errors.append(
                        f"per-file-ignores.{pattern!r}: not a valid glob pattern (empty, an "
                        "unclosed `[` or a reversed range such as `[z-a]` matches nothing)"
                    )
                    continue
                parsed = _str_list(codes)
                if parsed is None:
                    errors.append(
                        f"per-file-ignores.{pattern!r}: expected a list of rule codes, got {codes!r}"
                    )
                    continue
                parsed = tuple(code.upper() for code in parsed)
                _check_codes(f"per-file-ignores.{pattern!r}", parsed, errors)
                items.append((pattern, parsed))
            values["per_file_ignores"] = tuple(items)

    if errors:
        raise ConfigError(errors, source)
    return Settings(source=source or None, base_dir=base_dir, **values)


def read_pyproject(path: Path) -> dict[str, Any] | None:
    """The ``[tool.tasklint]`` table of a pyproject.toml, or None when it has none."""
    inputs.read(path)  # (a run record stamps it)
    # imported here: a tree without a pyproject.toml never needs a TOML parser
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised on Python < 3.11
        import tomli as tomllib
    try:
        with open(path, "rb") as fh:
            data = tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError([f"not valid TOML: {exc}"], str(path)) from None
    except UnicodeDecodeError as exc:
        raise ConfigError([f"not valid TOML: not UTF-8 ({exc.reason})"], str(path)) from None
    except (RecursionError, MemoryError):
        raise ConfigError(["not valid TOML: nested too deeply to read"], str(path)) from None
    except OSError as exc:
        raise ConfigError([f"cannot be read: {exc.strerror or exc}"], str(path)) from None
    tool = data.get("tool")
    if not isinstance(tool, dict):
        return None
    table = tool.get("tasklint")
    if table is None:
        return None
    if not isinstance(table, dict):
        raise ConfigError(["[tool.tasklint] must be a table"], str(path))
    return table


def find_config_file(start: Path) -> Path | None:
    """The nearest pyproject.toml at or above ``start`` that has a ``[tool.tasklint]`` table."""
    try:
        start = start.resolve()
    except (RuntimeError, OSError):  # a symlink loop
        start = Path(os.path.abspath(start))
    if not start.is_dir():
        start = start.parent
    for directory in (start, *start.parents):
        candidate = directory / "pyproject.toml"
        if os.path.isfile(candidate):
            try:
                if read_pyproject(candidate) is not None:
                    return candidate
            except ConfigError:
                return candidate  # report the broken file, don't skip past it
        if os.path.exists(directory / ".git"):
            break  # the repository root: a pyproject.toml above the checkout is not ours
    return None


def nested_config_dirs(root: Path, excludes: Iterable[str] = DEFAULT_EXCLUDES) -> list[Path]:
    """Directories below ``root`` whose own pyproject.toml has a ``[tool.tasklint]`` table:
    projects of their own in a monorepo (their files get their own configuration and
    index, as ruff does). Excluded directory names and links are not entered."""
    import fnmatch as fnmatch_module

    names = [p.rstrip("/") for p in excludes if p and "/" not in p.rstrip("/")]
    memo_key = (str(root), tuple(names))
    memo = _NESTED.get(memo_key)
    if memo is not None:
        return list(memo)
    excluded = re.compile("|".join(f"(?:{fnmatch_module.translate(p)})" for p in names) or "(?!)")
    found: list[Path] = []
    top = os.fspath(root)
    # os.walk(root) in sorted order, without following links, errors skipped, written out:
    # a DirEntry's own type says whether it is a link (os.walk asks with an lstat per
    # directory), and an explicit stack has no recursion limit
    stack: list[str] = [top]
    while stack:
        directory = stack.pop()
        try:
            with os.scandir(directory) as it:
                entries = list(it)
        except OSError:
            inputs.read(directory)  # cannot be listed: no run record
            continue
        inputs.listed(directory, entries, top=directory == top)
        if directory != top and any(e.name == "pyproject.toml" for e in entries):
            candidate = os.path.join(directory, "pyproject.toml")
            if os.path.isfile(candidate):
                try:
                    table = read_pyproject(Path(candidate))
                except ConfigError:
                    table = {}  # broken: still its own project (its run reports the error)
                if table is not None:
                    found.append(Path(directory))
                    continue  # its own nested projects are its business
        subdirs: list[str] = []
        for entry in entries:
            try:
                # os.walk lists a link to a directory among the directories, never enters it
                if entry.is_symlink() or not entry.is_dir():
                    continue
            except OSError:
                continue
            if not excluded.match(entry.name):
                subdirs.append(entry.name)
        subdirs.sort(reverse=True)  # popped in sorted order
        stack.extend(os.path.join(directory, name) for name in subdirs)
    _NESTED[memo_key] = tuple(found)
    return found


# (root, excluded names) -> nested project directories: the CLI's plan and the engine ask
# about the same tree in one run. Cleared by clear_nested_cache (the CLI, at each start).
_NESTED: dict[tuple[str, tuple[str, ...]], tuple[Path, ...]] = {}


def clear_nested_cache() -> None:
    _NESTED.clear()


def exclude_nested_projects(
    settings: Settings, root: Path, walked: Iterable[Path] = ()
) -> Settings:
    """``settings`` with every nested project below ``root`` excluded from this one; also
    those below the directories ``walked`` (given explicitly, so walked even when an
    exclude pattern names them)."""
    import glob

    nested: dict[Path, None] = dict.fromkeys(nested_config_dirs(root, settings.excludes()))
    for directory in walked:
        nested.update(dict.fromkeys(nested_config_dirs(directory, settings.excludes())))
    patterns_list: list[str] = []
    for d in nested:
        try:
            patterns_list.append(f"./{glob.escape(d.relative_to(root).as_posix())}")
        except ValueError:
            continue  # outside the root: no pattern can name it
    patterns = tuple(patterns_list)
    if not patterns:
        return settings
    return replace(settings, extend_exclude=(*settings.extend_exclude, *patterns))


def load_settings(start: Path, config_file: Path | None = None) -> Settings:
    """Settings for the tree at ``start`` (or from an explicit ``config_file``)."""
    path = config_file or find_config_file(start)
    if path is None:
        return Settings()
    if config_file is not None and not config_file.is_file():
        raise ConfigError([f"--config: no such file: {config_file}"])
    table = read_pyproject(path)
    if table is None:
        if config_file is not None:
            # named on purpose: a missing table is a mistake (a typo, the wrong file)
            raise ConfigError(
                ["--config: the file has no [tool.tasklint] table; add one (it may be empty)"],
                str(path),
            )
        return Settings()
    return parse_settings(table, str(path), str(path.resolve().parent))
