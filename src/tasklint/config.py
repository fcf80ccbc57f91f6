"""``[tool.tasklint]`` settings: one typed schema, validated once, shared by every entry point."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from fnmatch import fnmatch
from pathlib import Path
from typing import Any, Callable

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


if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python < 3.11
    import tomli as tomllib

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
    return float(value)


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
    Field("exclude", "exclude", _str_list, "a list of glob patterns"),
    Field("extend-exclude", "extend_exclude", _str_list, "a list of glob patterns"),
    Field("test-modules", "test_modules", _str_list, "a list of module-name globs"),
)
CELERY_FIELDS = (
    Field("task-decorators", "task_decorators", _str_list, "a list of dotted paths"),
    Field("enqueue-functions", "enqueue_functions", _str_list, "a list of dotted paths"),
    Field("django-settings", "django_settings", _opt_str, "a dotted module name"),
    Field("visibility-timeout", "visibility_timeout", _number, "a positive number of seconds"),
)
TRANSACTION_FIELDS = (
    Field("atomic-contexts", "atomic_contexts", _str_list, "a list of dotted paths"),
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
    try:
        with open(path, "rb") as fh:
            data = tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError([f"not valid TOML: {exc}"], str(path)) from None
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
        if candidate.is_file():
            try:
                if read_pyproject(candidate) is not None:
                    return candidate
            except ConfigError:
                return candidate  # report the broken file, don't skip past it
    return None


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
