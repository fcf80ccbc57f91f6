"""``tasklint inventory``: every task the project defines, with its limits and retries.

The review artefact a team lead asks for: library, registered name, where it is defined,
time limits (and where they come from), retries, acks_late, queue, and whether anything in
the project enqueues it.
"""

from __future__ import annotations

import ast
import json
import math
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, TextIO

from tasklint.analysis.arq import ArqModel, JobFunction, WorkerSettingsInfo
from tasklint.analysis.celery_options import Found, effective, fmt_seconds
from tasklint.analysis.enqueue import ENQUEUE_TRIGGERS, EnqueueRecognizer, wrapper_task_names
from tasklint.config import Settings
from tasklint.data.arq_worker import WORKER_PARAMETERS
from tasklint.data.dramatiq_options import millisecond_option
from tasklint.output.escape import printable
from tasklint.project import build_index, parse_source, read_source
from tasklint.project.celery_config import CeleryModel, is_test_module
from tasklint.project.context import FileContext
from tasklint.project.facts import FunctionFact
from tasklint.project.index import ProjectIndex
from tasklint.project.worker_imports import WorkerImports
from tasklint.syntax.values import Value


@dataclass(frozen=True)
class Option:
    """One option of a task as it takes effect, and where that value comes from.

    ``state``: ``known`` (``value`` holds it; durations in seconds), ``unknown`` (set, but
    not statically: ``value`` is None), ``absent`` (not set and no default applies) or
    ``n/a`` (the library has no such option).
    """

    state: str
    value: Any = None
    source: str = ""

    def text(self) -> str:
        if self.state == "absent":
            return "-"
        if self.state == "n/a":
            return "n/a"
        if self.state == "unknown":
            return f"? ({self.source})" if self.source else "?"
        shown = fmt_seconds(self.value) if _is_number(self.value) else str(self.value)
        return f"{shown} ({self.source})" if self.source else shown

    def json_source(self) -> str | None:
        """The source as JSON shows it: None when absent or not applicable."""
        if self.state in ("absent", "n/a"):
            return None
        if self.state == "unknown":
            return f"unknown ({self.source})" if self.source else "unknown"
        return self.source or None


NOT_SET = Option("absent")
NOT_APPLICABLE = Option("n/a")


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


@dataclass
class TaskRow:
    """One row of the inventory. Every output derives its columns from these fields, so a
    new column is one new field (an ``Option`` shows as value and ``<field>_source``)."""

    library: str
    name: str
    path: str
    line: int
    time_limit: Option
    soft_time_limit: Option
    max_retries: Option
    acks_late: Option
    queue: Option
    enqueued: bool
    # does the worker import the task's module (TQ112), and why: "yes (<how>)", "no", "? (...)"
    registered: str = "-"

    @property
    def location(self) -> str:
        return f"{self.path}:{self.line}"

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"location": self.location}
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, Option):
                out[f.name] = value.value if value.state == "known" else None
                out[f"{f.name}_source"] = value.json_source()
            else:
                out[f.name] = value
        return out

    def cells(self) -> dict[str, str]:
        out = {"location": self.location}
        for f in fields(self):
            if f.name in ("path", "line"):
                continue
            value = getattr(self, f.name)
            if isinstance(value, Option):
                out[f.name] = value.text()
            elif isinstance(value, bool):
                out[f.name] = "yes" if value else "no"
            else:
                out[f.name] = str(value)
        return out


def _celery_option(found: Found) -> Option:
    if found.absent:
        return NOT_SET
    if found.state == "unknown":
        return Option("unknown", source=found.source)
    where = "task" if found.level == "task" and found.source == "decorator" else found.source
    return Option("known", found.value, where)


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
    from tasklint.config import exclude_nested_projects
    from tasklint.project.discovery import Excluder, iter_python_files, project_scope

    only: list[Path] | None = None
    if settings.base_dir:
        root = Path(settings.base_dir)
    else:
        root, scope = project_scope(paths or [Path(".")])
        if scope is not None:  # no project around the paths: only what was given
            only = list(iter_python_files(scope, Excluder(settings.excludes(), root)))
            use_cache = False
    if only is None:
        settings = exclude_nested_projects(settings, root.resolve())
    index, _ = build_index(root, settings, use_cache=use_cache, only_files=only)
    model = CeleryModel(index, settings)
    enqueued, names = _enqueued_targets(index, settings)
    worker = WorkerImports.of(index, settings)
    rows: list[TaskRow] = []
    root_path = Path(index.root)

    def relative(path: str) -> str:
        try:
            return Path(path).relative_to(root_path).as_posix()
        except ValueError:
            return path

    for task in model.tasks():
        if is_test_module(task.module, settings):
            continue
        app = task.apps[0] if task.apps else None
        if app is not None:
            hard, soft = effective(task, app, "time_limit"), effective(task, app, "soft_time_limit")
            acks = _celery_option(effective(task, app, "acks_late"))
            if acks.state == "absent":
                acks = Option("known", False, "Celery default")
        else:
            hard = soft = Found("unknown", source="no Celery app in the project")
            acks = Option("unknown", source="no Celery app in the project")
        retries = task.options.get("max_retries")
        queue = task.options.get("queue")
        if retries is None:
            max_retries = Option("known", 3, "Celery default")
        elif retries.value.kind == "const":
            max_retries = Option("known", retries.value.value, "task")
        else:
            max_retries = Option("unknown", source="task")
        rows.append(
            TaskRow(
                library="celery",
                name=task.registered_name,
                path=relative(task.path),
                line=task.line,
                time_limit=_celery_option(hard),
                soft_time_limit=_celery_option(soft),
                max_retries=max_retries,
                acks_late=acks,
                queue=Option("known", queue.value.value, "task")
                if queue and queue.value.kind == "const"
                else (Option("unknown", source="task") if queue else NOT_SET),
                enqueued=(task.module, task.function) in enqueued or task.registered_name in names,
                registered=_registered(worker, task.module),
            )
        )
    arq_rows = _arq_rows(index, settings, names, relative)
    rows.extend(arq_rows)
    arq_functions = {(r.path, r.line) for r in arq_rows}
    for facts in sorted(index.modules.values(), key=lambda f: f.module):
        if is_test_module(facts.module, settings):
            continue
        for fname in sorted(facts.functions):
            info = index.task(f"{facts.module}.{fname}")
            if info is None or info.library == "celery":
                continue
            rel = relative(facts.path)
            if info.library == "arq" and (rel, info.line) in arq_functions:
                continue
            if info.library == "dramatiq":
                row = _dramatiq_row(facts.functions[fname], facts.module, rel, info.line)
                row.enqueued = (facts.module, fname) in enqueued or row.name in names
                rows.append(row)
                continue
            rows.append(
                TaskRow(
                    info.library,
                    f"{facts.module}.{fname}",
                    rel,
                    info.line,
                    NOT_APPLICABLE,
                    NOT_APPLICABLE,
                    NOT_APPLICABLE,
                    NOT_APPLICABLE,
                    NOT_APPLICABLE,
                    (facts.module, fname) in enqueued,
                )
            )
    rows.sort(key=lambda r: (r.path, r.line, r.name))
    return rows


def _registered(worker: WorkerImports, module: str) -> str:
    """Does the worker import the task's module (TQ112)? With the discovery path."""
    found = worker.registration(module)
    if found.state == "registered":
        return f"yes ({found.reason})"
    if found.state == "unregistered":
        return "no (the worker never imports the module)"
    return f"? ({found.reason})"


def _const_option(value: Value, source: str, scale: float = 1.0) -> Option:
    if value.kind != "const":
        return Option("unknown", source=source)
    raw = value.value
    if raw is None:
        return Option("absent")
    if _is_number(raw) and not math.isfinite(raw):
        return Option("absent")  # float("inf"): no limit (and no number JSON can hold)
    if _is_number(raw) and scale != 1.0:
        raw = raw * scale
    return Option("known", raw, source)


def _arq_setting(info: WorkerSettingsInfo, key: str) -> tuple[Value, str] | None:
    """A ``Worker`` argument of one worker configuration: (value, where it is set)."""
    if info.kind == "class":
        fact = info.attributes.get(key)
        if fact is not None:
            return fact.value, f"{info.name}.{key}"
        return None
    raw = info.keywords.get(key)
    if isinstance(raw, dict) and isinstance(raw.get("value"), dict):
        return Value(**raw["value"]), f"Worker({key}=...)"
    return None


def _arq_option(
    job: JobFunction, info: WorkerSettingsInfo, job_key: str, worker_key: str
) -> Option:
    """A job's option: ``func(..., key=)``, else the worker's setting, else arq's default."""
    own = job.option(job_key)
    if own is not None and not (own[0].kind == "const" and own[0].value is None):
        return _const_option(own[0], f"{job.wrapper or 'func'}({job_key}=...)")
    worker = _arq_setting(info, worker_key)
    if worker is not None:
        value, where = worker
        if value.kind == "const" and value.value is None and worker_key == "job_timeout":
            return Option("absent")  # arq: None disables the timeout
        return _const_option(value, where)
    return Option("known", WORKER_PARAMETERS[worker_key], "arq default")


def _arq_rows(
    index: ProjectIndex, settings: Settings, names: set[str], relative: Any
) -> list[TaskRow]:
    """One row per job function registered with an arq worker, with the options that apply
    to it (the job's own ``func(...)`` options, else the worker's, else arq's defaults)."""
    rows: list[TaskRow] = []
    seen: set[tuple[str, str | None]] = set()
    model = ArqModel.of(index)
    for info in model.checked_settings(settings):
        for job in info.jobs:
            key = (info.qualname, job.name or job.qualname)
            if key in seen:
                continue
            seen.add(key)
            found = model.function_of(job)
            if found is not None:
                facts, func = found
                path, line = relative(facts.path), func.line
            else:
                path, line = relative(job.path), job.line
            tries = _arq_option(job, info, "max_tries", "max_tries")
            if tries.state == "known" and _is_number(tries.value):
                retries = Option(
                    "known", max(int(tries.value) - 1, 0), f"max_tries from {tries.source}"
                )
            else:
                retries = tries
            queue = _arq_setting(info, "queue_name")
            rows.append(
                TaskRow(
                    library="arq",
                    name=job.name or job.qualname or "?",
                    path=path,
                    line=line,
                    time_limit=_arq_option(job, info, "timeout", "job_timeout"),
                    soft_time_limit=NOT_APPLICABLE,
                    max_retries=retries,
                    acks_late=NOT_APPLICABLE,
                    queue=_const_option(*queue)
                    if queue is not None
                    else Option("known", WORKER_PARAMETERS["queue_name"], "arq default"),
                    enqueued=job.name is not None and job.name in names,
                )
            )
    return rows


# Dramatiq's defaults: TimeLimit middleware (600,000 ms), Retries middleware (20 retries),
# the "default" queue (dramatiq/middleware/time_limit.py, retries.py; dramatiq/actor.py)
DRAMATIQ_MAX_RETRIES = 20
DRAMATIQ_QUEUE = "default"


def _dramatiq_row(func: FunctionFact, module: str, path: str, line: int) -> TaskRow:
    """A Dramatiq actor with its options (``time_limit`` is in milliseconds: shown in s)."""
    keywords: dict[str, Value] = {}
    for dec in func.decorators:
        if dec.qualname is not None and dec.qualname.rsplit(".", 1)[-1] == "actor":
            keywords = dec.keywords
            break
    limit = keywords.get("time_limit")
    default_ms = millisecond_option("time_limit")
    if limit is not None:
        ms = limit.value if limit.kind == "const" and _is_number(limit.value) else None
        source = f"actor: time_limit={ms} ms" if ms is not None else "actor"
        time_limit = _const_option(limit, source, scale=0.001)
    elif default_ms is not None and default_ms.default_ms is not None:
        time_limit = Option("known", default_ms.default_ms / 1000, "Dramatiq default")
    else:
        time_limit = NOT_SET
    retries = keywords.get("max_retries")
    queue = keywords.get("queue_name")
    name = keywords.get("actor_name")
    return TaskRow(
        library="dramatiq",
        name=str(name.value) if name is not None and name.kind == "const" else func.name,
        path=path,
        line=line,
        time_limit=time_limit,
        soft_time_limit=NOT_APPLICABLE,
        max_retries=_const_option(retries, "actor")
        if retries is not None
        else Option("known", DRAMATIQ_MAX_RETRIES, "Dramatiq default"),
        acks_late=NOT_APPLICABLE,
        queue=_const_option(queue, "actor")
        if queue is not None
        else Option("known", DRAMATIQ_QUEUE, "Dramatiq default"),
        enqueued=False,
    )


def summary(rows: list[TaskRow]) -> str:
    def unlimited(option: Option) -> bool:
        return option.state == "absent" or (option.state == "known" and option.value == 0)

    no_limit = sum(
        1
        for r in rows
        if r.library in ("celery", "arq", "dramatiq")
        and unlimited(r.time_limit)
        and (r.soft_time_limit.state == "n/a" or unlimited(r.soft_time_limit))
    )
    never = sum(1 for r in rows if not r.enqueued)
    return (
        f"{len(rows)} task{'s' if len(rows) != 1 else ''}, {no_limit} without a time limit, "
        f"{never} never enqueued in this project"
    )


def columns() -> list[str]:
    """The table's columns: the row's fields, ``path`` and ``line`` shown as ``location``."""
    out: list[str] = []
    for f in fields(TaskRow):
        if f.name == "path":
            out.append("location")
        elif f.name != "line":
            out.append(f.name)
    return out


def render(rows: list[TaskRow], fmt: str, stream: TextIO) -> None:
    if fmt == "json":
        json.dump(
            {"tasks": [r.as_json() for r in rows], "summary": summary(rows)}, stream, indent=2
        )
        stream.write("\n")
        return
    names = columns()
    table = [[printable(r.cells()[c]) for c in names] for r in rows]
    if fmt == "markdown":
        stream.write("| " + " | ".join(names) + " |\n")
        stream.write("|" + "---|" * len(names) + "\n")
        for row in table:
            stream.write("| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |\n")
        stream.write(f"\n{summary(rows)}\n")
        return
    widths = [max([len(c)] + [len(row[i]) for row in table]) for i, c in enumerate(names)]
    stream.write("  ".join(c.ljust(w) for c, w in zip(names, widths)).rstrip() + "\n")
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
    from tasklint.cli import check_paths

    paths, errors = check_paths(args.paths or [Path(".")])
    for error in errors:
        sys.stderr.write(f"tasklint inventory: {printable(error)}\n")
    if errors or not paths:
        return 2
    from tasklint.cli import plan_projects

    try:
        if args.config is not None:
            groups = [(load_settings(paths[0], args.config), paths)]
        else:  # a monorepo: each project with its own configuration and index
            groups = plan_projects(paths)
    except ConfigError as exc:
        sys.stderr.write(f"tasklint: {printable(str(exc))}\n")
        return 2
    rows: list[TaskRow] = []
    for settings, members in groups:
        found = collect(members, settings, use_cache=not args.no_cache)
        if len(groups) > 1:  # locations from the working directory, as findings are
            found = [_from_cwd(row, settings, members) for row in found]
        rows.extend(found)
    if len(groups) > 1:
        rows.sort(key=_row_order)
    render(rows, args.format, sys.stdout)
    return 0


def _row_order(r: TaskRow) -> tuple[str, int]:
    return r.path, r.line


def _from_cwd(row: TaskRow, settings: Settings, members: list[Path]) -> TaskRow:
    import os
    from dataclasses import replace

    from tasklint.project.discovery import project_scope

    root = Path(settings.base_dir) if settings.base_dir else project_scope(members)[0]
    try:
        shown = Path(os.path.relpath(root / row.path)).as_posix()
    except ValueError:
        return row
    return replace(row, path=shown)
