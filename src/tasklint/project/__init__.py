"""The project model: discover modules, collect facts (cached), assemble the index."""

from __future__ import annotations

import ast
import warnings
from collections.abc import Iterable
from pathlib import Path

from tasklint.config import Settings
from tasklint.project.cache import FactsCache
from tasklint.project.discovery import Excluder, iter_python_files, module_name_for
from tasklint.project.facts import ModuleFacts, module_facts
from tasklint.project.index import IndexSettings, ProjectIndex


def read_source(path: Path) -> str:
    """Decode a Python file as Python does (BOM, encoding cookie); raises on bad input."""
    import tokenize

    with tokenize.open(path) as fh:
        return fh.read()


def parse_source(source: str, filename: str) -> ast.Module:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return ast.parse(source, filename=filename)


def syntax_error_info(exc: BaseException) -> tuple[int, str]:
    if isinstance(exc, SyntaxError):
        line = exc.lineno or 1
        return line, f"syntax error: {exc.msg}"
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


def facts_for_file(
    path: Path, cache: FactsCache | None
) -> tuple[ModuleFacts | None, tuple[int, str] | None]:
    key = str(path)
    stamp = FactsCache.stamp(path) if cache is not None else None
    if cache is not None:
        cached = cache.get(key, stamp)
        if cached is not None:
            return cached, None
        err = cache.get_error(key, stamp)
        if err is not None:
            return None, (int(err[0]), str(err[1]))
    module, is_package = module_name_for(path)
    try:
        source = read_source(path)
        tree = parse_source(source, str(path))
        facts = module_facts(tree, module, key, is_package, source=source)
    except (
        SyntaxError,
        UnicodeDecodeError,
        LookupError,
        OSError,
        ValueError,
        RecursionError,
        MemoryError,
    ) as exc:
        error = syntax_error_info(exc)
        if cache is not None:
            cache.put(key, stamp, None, error)
        return None, error
    if cache is not None:
        cache.put(key, stamp, facts)
    return facts, None


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
    root = root.resolve()
    excluder = Excluder(settings.excludes(), root)
    cache = FactsCache(root, enabled=use_cache)
    index = ProjectIndex(root=str(root), settings=index_settings(settings))
    errors: dict[str, tuple[int, str]] = {}
    seen: set[str] = set()
    if only_files is not None:
        files = [p.resolve() for p in only_files]
    else:
        files = list(iter_python_files([root], excluder))
    files.extend(p.resolve() for p in extra_files)
    for path in files:
        key = str(path.resolve()) if not path.is_absolute() else str(path)
        if key in seen:
            continue
        seen.add(key)
        facts, error = facts_for_file(Path(key), cache)
        if facts is not None:
            if facts.module in index.modules and index.modules[facts.module].path != key:
                continue  # two files claim one module name: keep the first (sorted walk)
            index.add(facts)
        elif error is not None:
            errors[key] = error
            index.unparsed.add(module_name_for(Path(key))[0])
    cache.prune(seen)
    cache.save()
    return index, errors
