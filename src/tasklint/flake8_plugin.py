"""flake8 entry point: a thin adapter from flake8's ``(tree, filename)`` to the engine.

The plugin reads the same ``[tool.tasklint]`` table as the CLI (nearest pyproject.toml
above the checked file), builds the project index once per process per project root, and
reports the same findings; flake8's own select/ignore/per-file-ignores/noqa apply on top.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

from tasklint import __version__
from tasklint.config import ConfigError, Settings, find_config_file, load_settings
from tasklint.engine import Linter
from tasklint.project import build_index
from tasklint.project.discovery import Excluder, find_project_root, module_name_for

_LINTERS: dict[tuple[str, str], Linter | ConfigError] = {}


def _linter_for(path: Path) -> Linter | ConfigError:
    config = find_config_file(path)
    root = config.parent if config is not None else find_project_root(path)
    key = (str(root), str(config))
    cached = _LINTERS.get(key)
    if cached is not None:
        return cached
    try:
        settings = load_settings(path)
    except ConfigError as exc:
        _LINTERS[key] = exc
        return exc
    index, _ = build_index(root, settings, use_cache=TasklintChecker.use_cache)
    linter = Linter(settings, index)
    _LINTERS[key] = linter
    return linter


class TasklintChecker:
    name = "tasklint"
    version = __version__
    use_cache: ClassVar[bool] = True

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
        # A broken [tool.tasklint] in the working directory is a usage error, as in the CLI.
        try:
            load_settings(Path.cwd())
        except ConfigError as exc:
            sys.stderr.write(f"tasklint: {exc}\n")
            raise SystemExit(2) from None

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
                f"TQ002 tasklint configuration error in {linter.source}: {first}",
                type(self),
            )
            return
        settings: Settings = linter.settings
        root = Path(settings.base_dir) if settings.base_dir else Path(linter.index.root)
        if path.exists() and Excluder(settings.excludes(), root.resolve()).excluded_anywhere(path):
            return
        if not isinstance(self.tree, ast.Module):
            return
        module, is_package = module_name_for(path)
        lines = [line.rstrip("\r\n") for line in (self.lines or [])]
        source = "".join(self.lines) if self.lines is not None else None
        try:
            findings = linter.check_tree(
                self.tree,
                str(path),
                lines,
                module,
                is_package,
                source,
                abs_path=str(path.resolve()),
            )
        except RecursionError as exc:
            findings = [linter.internal_error(str(path), "the tree walk", exc)]
        for f in findings:
            yield f.line, f.col - 1, f"{f.code} {f.message}", type(self)
