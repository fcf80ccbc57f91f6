"""``tasklint inventory``: every task the project defines, with its limits and retries.

The review artefact a team lead asks for: library, registered name, where it is defined,
time limits (and where they come from), retries, acks_late, queue, and whether anything in
the project enqueues it.
"""

from __future__ import annotations

import ast
import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TextIO

from tasklint.analysis.celery_options import Found, effective
from tasklint.analysis.enqueue import ENQUEUE_TRIGGERS, EnqueueRecognizer, wrapper_task_names
from tasklint.config import Settings
from tasklint.project import build_index, parse_source, read_source
from tasklint.project.celery_config import CeleryModel, is_test_module
from tasklint.project.context import FileContext
from tasklint.project.index import ProjectIndex


@dataclass
class TaskRow:
    library: str
    name: str
    location: str
    time_limit: str
    soft_time_limit: str
    max_retries: str
    acks_late: str
    queue: str
    enqueued: bool


def _show(found: Found) -> str:
    if found.absent:
        return "-"
    if found.state == "unknown":
        return f"? ({found.source})" if found.source else "?"
    where = "task" if found.level == "task" and found.source == "decorator" else found.source
    return f"{found.value} ({where})" if where else str(found.value)


def _enqueued_targets(
    index: ProjectIndex, settings: Settings
) -> tuple[set[tuple[str, str]], set[str]]:
    """(module, function) of tasks enqueued anywhere, and names used in send_task/enqueue_job."""
    targets: set[tuple[str, str]] = set()
    names: set[str] = set()
    for facts in index.modules.values():
        refs = facts.extras.get("task_refs")
        if isinstance(refs, dict):
            names.update(r["name"] for r in refs.get("refs", []))
        try:
            source = read_source(Path(facts.path))
        except (OSError, UnicodeDecodeError, LookupError, SyntaxError):
            continue
        wrapped = wrapper_task_names(index)
        if ENQUEUE_TRIGGERS.search(source) is None and not any(n in source for n in wrapped):
            continue
        try:
            tree = parse_source(source, facts.path)
        except (SyntaxError, ValueError, RecursionError):
            continue
        ctx = FileContext(
            facts.path, facts.module, facts.is_package, tree, source.splitlines(), index, settings
        )
        recognizer = EnqueueRecognizer.of(ctx)
        for node, ancestors in _calls_with_ancestors(tree):
            if wrapped and isinstance(node.func, (ast.Name, ast.Attribute)):
                # ``index_post(...)`` of a task under an enqueue wrapper (a project decorator)
                scope = ctx.resolver.scope_at(ancestors)
                found = recognizer.enqueue(node, scope)
                wrapped_info = recognizer.task_info(node.func, scope) if found else None
                if found is not None and found.method == "__call__" and wrapped_info is not None:
                    targets.add((wrapped_info.module, wrapped_info.name))
                    continue
            if not isinstance(node.func, ast.Attribute):
                continue
            # in the enclosing function's scope: tasks imported inside functions count
            scope = ctx.resolver.scope_at(ancestors)
            recv = node.func.value
            if isinstance(recv, ast.Call) and isinstance(recv.func, ast.Attribute):
                recv = recv.func.value  # task.s(...).delay()
            info = recognizer.task_info(recv, scope)
            if info is None:
                continue
            # a signature (link=, link_error=, chain, group, chord) is dispatched by Celery
            if node.func.attr in SIGNATURE_METHODS or recognizer.enqueue(node, scope) is not None:
                targets.add((info.module, info.name))
    return targets, names


SIGNATURE_METHODS = frozenset({"s", "si", "signature", "map", "starmap", "chunks"})


def _calls_with_ancestors(tree: ast.AST) -> list[tuple[ast.Call, list[ast.AST]]]:
    out: list[tuple[ast.Call, list[ast.AST]]] = []
    stack: list[tuple[ast.AST, list[ast.AST]]] = [(tree, [])]
    while stack:
        node, ancestors = stack.pop()
        if isinstance(node, ast.Call):
            out.append((node, ancestors))
        inner = [*ancestors, node]
        stack.extend((child, inner) for child in ast.iter_child_nodes(node))
    return out


def collect(paths: list[Path], settings: Settings, use_cache: bool = True) -> list[TaskRow]:
    from tasklint.project.discovery import common_root

    root = Path(settings.base_dir) if settings.base_dir else common_root(paths or [Path(".")])
    index, _ = build_index(root, settings, use_cache=use_cache)
    model = CeleryModel(index, settings)
    enqueued, names = _enqueued_targets(index, settings)
    rows: list[TaskRow] = []
    root_path = Path(index.root)
    for task in model.tasks():
        if is_test_module(task.module, settings):
            continue
        app = task.apps[0] if task.apps else None
        try:
            rel = Path(task.path).relative_to(root_path).as_posix()
        except ValueError:
            rel = task.path
        if app is not None:
            hard, soft = effective(task, app, "time_limit"), effective(task, app, "soft_time_limit")
            acks = effective(task, app, "acks_late")
        else:
            hard = soft = acks = Found("unknown", source="no Celery app in the project")
        retries = task.options.get("max_retries")
        queue = task.options.get("queue")
        rows.append(
            TaskRow(
                library="celery",
                name=task.registered_name,
                location=f"{rel}:{task.line}",
                time_limit=_show(hard),
                soft_time_limit=_show(soft),
                max_retries=str(retries.value.value)
                if retries and retries.value.kind == "const"
                else ("?" if retries else "3 (default)"),
                acks_late=_show(acks),
                queue=str(queue.value.value) if queue and queue.value.kind == "const" else "-",
                enqueued=(task.module, task.function) in enqueued or task.registered_name in names,
            )
        )
    for facts in sorted(index.modules.values(), key=lambda f: f.module):
        if is_test_module(facts.module, settings):
            continue
        for fname in sorted(facts.functions):
            info = index.task(f"{facts.module}.{fname}")
            if info is None or info.library == "celery":
                continue
            try:
                rel = Path(facts.path).relative_to(root_path).as_posix()
            except ValueError:
                rel = facts.path
            rows.append(
                TaskRow(
                    info.library,
                    f"{facts.module}.{fname}",
                    f"{rel}:{info.line}",
                    "-",
                    "-",
                    "-",
                    "-",
                    "-",
                    (facts.module, fname) in enqueued,
                )
            )
    rows.sort(key=lambda r: (r.location.rsplit(":", 1)[0], int(r.location.rsplit(":", 1)[1])))
    return rows


def summary(rows: list[TaskRow]) -> str:
    def unlimited(value: str) -> bool:
        return value == "-" or value.startswith("0 ")

    no_limit = sum(
        1
        for r in rows
        if r.library == "celery" and unlimited(r.time_limit) and unlimited(r.soft_time_limit)
    )
    never = sum(1 for r in rows if not r.enqueued)
    return (
        f"{len(rows)} task{'s' if len(rows) != 1 else ''}, {no_limit} without a time limit, "
        f"{never} never enqueued in this project"
    )


COLUMNS = (
    "library",
    "name",
    "location",
    "time_limit",
    "soft_time_limit",
    "max_retries",
    "acks_late",
    "queue",
    "enqueued",
)


def render(rows: list[TaskRow], fmt: str, stream: TextIO) -> None:
    if fmt == "json":
        json.dump({"tasks": [asdict(r) for r in rows], "summary": summary(rows)}, stream, indent=2)
        stream.write("\n")
        return
    table = [
        [
            str(getattr(r, c)) if c != "enqueued" else ("yes" if r.enqueued else "no")
            for c in COLUMNS
        ]
        for r in rows
    ]
    if fmt == "markdown":
        stream.write("| " + " | ".join(COLUMNS) + " |\n")
        stream.write("|" + "---|" * len(COLUMNS) + "\n")
        for row in table:
            stream.write("| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |\n")
        stream.write(f"\n{summary(rows)}\n")
        return
    widths = [max([len(c)] + [len(row[i]) for row in table]) for i, c in enumerate(COLUMNS)]
    stream.write("  ".join(c.ljust(w) for c, w in zip(COLUMNS, widths)).rstrip() + "\n")
    for row in table:
        stream.write("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() + "\n")
    stream.write(f"{summary(rows)}\n")


def main(argv: list[str]) -> int:
    import argparse
    import sys

    from tasklint.config import ConfigError, load_settings

    parser = argparse.ArgumentParser(
        prog="tasklint inventory", description="List every task the project defines."
    )
    parser.add_argument("paths", nargs="*", type=Path)
    parser.add_argument("--format", choices=("text", "json", "markdown"), default="text")
    parser.add_argument("--config", type=Path)
    parser.add_argument("--no-cache", action="store_true")
    args = parser.parse_args(argv)
    paths = args.paths or [Path(".")]
    try:
        settings = load_settings(paths[0], args.config)
    except ConfigError as exc:
        sys.stderr.write(f"tasklint: {exc}\n")
        return 2
    rows = collect(paths, settings, use_cache=not args.no_cache)
    render(rows, args.format, sys.stdout)
    return 0
