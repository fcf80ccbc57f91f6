"""flake8 entry point: a thin adapter from flake8's ``(tree, filename)`` to the engine.

The plugin reads the same ``[tool.tasklint]`` table as the CLI (nearest pyproject.toml
above the checked file), builds the project index once per process per project root, and
reports the same findings; flake8's own select/ignore/per-file-ignores/noqa apply on top.
"""

from __future__ import annotations

import ast
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

from tasklint import __version__
from tasklint.config import (
    ConfigError,
    exclude_nested_projects,
    find_config_file,
    load_settings,
)
from tasklint.engine import Linter
from tasklint.output.escape import printable
from tasklint.project import build_index
from tasklint.project.discovery import (
    Excluder,
    absolute,
    iter_python_files,
    marked_root,
    module_name_for,
    project_scope,
    resolved,
)

_LINTERS: dict[tuple[str, str], Linter | ConfigError] = {}


# Directory of a checked file -> (project root, config file): flake8 calls the plugin once
# per file, and finding the config means reading pyproject.toml files up the tree.
_KEYS: dict[str, tuple[str, str]] = {}
# (linter key, directory) -> is that directory excluded (or below an excluded one)?
_EXCLUDED_DIRS: dict[tuple[tuple[str, str], str], bool] = {}
_EXCLUDERS: dict[tuple[str, str], Excluder] = {}


def _key_for(path: Path) -> tuple[str, str]:
    directory = str(path.parent)
    key = _KEYS.get(directory)
    if key is None:
        config = find_config_file(path)
        root = config.parent if config is not None else marked_root(path)
        if root is None:
            return _unmarked_key(path)
        key = _KEYS[directory] = (str(root), str(config))
    return key


# Outside any project: the directories flake8 was given (walked, as asked), and the files
# to index for a file given on its own (its own package, or itself), by linter key.
_NOT_PARSED: list[Path] = []  # parse_options has not run (the plugin used as a library)
_GIVEN_DIRS: list[Path] = _NOT_PARSED
_ONLY: dict[tuple[str, str], list[Path]] = {}


def _unmarked_key(path: Path) -> tuple[str, str]:
    """No marker anywhere above, as in the CLI: inside a directory given to flake8 (or the
    one it runs in, when given none), that directory is the project; a file given on its
    own is checked with its own package only, never with its whole parent directory."""
    full = absolute(path)
    for given in _GIVEN_DIRS if _GIVEN_DIRS is not _NOT_PARSED else [absolute(Path.cwd())]:
        if given in full.parents:
            return (str(given), "None")
    root, scope = project_scope([path])
    files = scope or [full]
    key = (str(root), "None|" + "|".join(str(p) for p in files))
    _ONLY[key] = files
    return key


def _excluded(key: tuple[str, str], linter: Linter, path: Path) -> bool:
    settings = linter.settings
    excluder = _EXCLUDERS.get(key)
    if excluder is None:
        root = Path(settings.base_dir) if settings.base_dir else Path(linter.index.root)
        excluder = _EXCLUDERS[key] = Excluder(settings.excludes(), root.resolve())
    full = resolved(path)
    if excluder.excluded(full):
        return True
    parent = full.parent
    dir_key = (key, str(parent))
    hit = _EXCLUDED_DIRS.get(dir_key)
    if hit is None:
        # Excluder.excluded_anywhere(path), with the directory part memoised
        below_root = parent != excluder.root and excluder.root in parent.parents
        hit = _EXCLUDED_DIRS[dir_key] = below_root and excluder.excluded_anywhere(parent)
    return hit


def _linter_for(path: Path) -> Linter | ConfigError:
    key = _key_for(path)
    root = Path(key[0])
    cached = _LINTERS.get(key)
    if cached is not None:
        return cached
    try:
        settings = load_settings(path)
    except ConfigError as exc:
        _LINTERS[key] = exc
        return exc
    if TasklintChecker.opt_in:
        # flake8 --select/--extend-select naming an opt-in rule turns it on, as in the CLI
        settings = settings.with_overrides(
            extend_select=(*settings.extend_select, *TasklintChecker.opt_in)
        )
    # a nested project with its own [tool.tasklint] is its own index, as in the CLI
    settings = exclude_nested_projects(settings, resolved(root))
    only = _ONLY.get(key)
    if only is not None:  # outside any project: its own package only, and no cache
        excluder = Excluder(settings.excludes(), resolved(root))
        files = list(iter_python_files(only, excluder))
        index, _ = build_index(root, settings, use_cache=False, only_files=files)
    else:
        index, _ = build_index(root, settings, use_cache=TasklintChecker.use_cache)
    linter = Linter(settings, index)
    _LINTERS[key] = linter
    return linter


def with_buffer(linter: Linter, path: Path, source: str) -> Linter:
    """A linter whose project index has ``source`` (flake8's standard input) in place of
    the file ``path`` on disk, so project rules see the buffer, as in the CLI."""
    from tasklint.project import compute_facts_of
    from tasklint.project.index import ProjectIndex

    key = str(resolved(path))
    facts, _ = compute_facts_of(source, path)
    index = ProjectIndex(root=linter.index.root, settings=linter.index.settings)
    for module in sorted(linter.index.modules):
        other = linter.index.modules[module]
        if other.path != key:
            index.add(other)
    if facts is not None:
        index.add(facts)
    index.unreadable_modules = set(linter.index.unreadable_modules)
    return Linter(linter.settings, index, enabled=set(linter.enabled))


def opt_in_codes(options: Any) -> tuple[str, ...]:
    """The opt-in TQ rules that flake8's ``--select``/``--extend-select`` name in full.

    As in the CLI, an opt-in rule runs only when its whole code is selected: ``--select TQ``
    leaves them off, ``--select TQ106`` or ``--extend-select TQ106`` turns TQ106 on.
    """
    from tasklint.rules import ALL_RULES, default_codes

    named: list[str] = []
    for attr in ("select", "extend_select"):
        value = getattr(options, attr, None)
        if isinstance(value, str):
            value = value.split(",")
        if isinstance(value, (list, tuple)):
            named.extend(str(code).strip().upper() for code in value)
    on = default_codes()
    return tuple(sorted({c for c in named if c in ALL_RULES and c not in on}))


class TasklintChecker:
    name = "tasklint"
    version = __version__
    use_cache: ClassVar[bool] = True
    # opt-in rules named in full in flake8's --select/--extend-select (flake8-bugbear's B9xx)
    opt_in: ClassVar[tuple[str, ...]] = ()
    # ``flake8 --stdin-display-name path -``: the name the buffer on standard input goes by
    stdin_name: ClassVar[str | None] = None

    def __init__(self, tree: ast.AST, filename: str, lines: list[str] | None = None) -> None:
        self.tree = tree
        self.filename = filename
        self.lines = lines

    @classmethod
    def add_options(cls, manager: Any) -> None:
        manager.add_option(
            "--tasklint-no-cache",
            action="store_true",
            default=False,
            parse_from_config=True,
            help="tasklint: do not read or write .tasklint_cache",
        )

    @classmethod
    def parse_options(cls, options: Any) -> None:
        cls.use_cache = not getattr(options, "tasklint_no_cache", False)
        cls.opt_in = opt_in_codes(options)
        filenames = getattr(options, "filenames", None) or []
        cls.stdin_name = (
            str(getattr(options, "stdin_display_name", "stdin") or "stdin")
            if "-" in filenames
            else None
        )
        # A broken [tool.tasklint] in the working directory is a usage error, as in the CLI.
        try:
            load_settings(Path.cwd())
        except ConfigError as exc:
            sys.stderr.write(f"tasklint: {exc}\n")
            raise SystemExit(2) from None
        names = getattr(options, "filenames", None) or ["."]
        global _GIVEN_DIRS
        _GIVEN_DIRS = [
            absolute(Path(n)) for n in names if n not in ("-", "stdin") and os.path.isdir(n)
        ]
        cls._prebuild(names)

    @classmethod
    def _prebuild(cls, filenames: list[str]) -> None:
        """Build each linted project's index here, in flake8's main process.

        flake8 forks its ``--jobs`` workers after ``parse_options``: built now, the index is
        inherited by every worker instead of being rebuilt in each of them (with ``spawn``
        the workers find it in the disk cache this build wrote). A failure is left to the
        per-file path, which reports it.
        """
        for name in filenames:
            if name in ("-", "stdin"):
                continue
            path = Path(name)
            try:
                _linter_for(path / "__init__.py" if path.is_dir() else path)
            except Exception:  # never break flake8's start-up; run() reports what is wrong
                continue

    def run(self) -> Iterator[tuple[int, int, str, type[Any]]]:
        if self.filename in ("-", "stdin", None):
            path = Path.cwd() / "stdin.py"
        else:
            path = Path(self.filename)
        linter = _linter_for(path)
        if isinstance(linter, ConfigError):
            first = linter.errors[0] if linter.errors else str(linter)
            yield (
                1,
                0,
                f"TQ002 tasklint configuration error in {printable(str(linter.source))}: "
                f"{printable(first)}",
                type(self),
            )
            return
        if path.exists() and _excluded(_key_for(path), linter, path):
            return
        if not isinstance(self.tree, ast.Module):
            return
        module, is_package = module_name_for(path)
        lines = [line.rstrip("\r\n") for line in (self.lines or [])]
        source = "".join(self.lines) if self.lines is not None else None
        if (
            source is not None
            and self.stdin_name is not None
            and self.filename
            in (
                self.stdin_name,
                "-",
                "stdin",
            )
        ):
            linter = with_buffer(linter, path, source)
        try:
            findings = linter.check_tree(
                self.tree,
                str(path),
                lines,
                module,
                is_package,
                source,
                abs_path=str(resolved(path)),
            )
        except RecursionError as exc:
            findings = [linter.internal_error(str(path), "the tree walk", exc)]
        for f in findings:
            yield f.line, f.col - 1, f"{f.code} {printable(f.message)}", type(self)
