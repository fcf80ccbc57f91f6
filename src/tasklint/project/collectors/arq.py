"""arq worker settings: candidate ``WorkerSettings`` classes, job-function lists, runners.

Per module, plain data only (assembled and confirmed project-wide by
:mod:`tasklint.analysis.arq`):

- ``worker_settings``: module-level classes that may be arq worker settings (named
  ``*WorkerSettings``, or assigning ``functions`` / ``cron_jobs`` in their body), each with
  the job functions of its *own* ``functions`` and ``cron_jobs`` attributes (``functions``,
  ``cron_jobs``: entries; ``refs``: names of lists spliced in; ``functions_complete``: every
  element was understood);
- ``lists``: module-level sequences that look like job-function lists
  (``BACKGROUND_FUNCTIONS = [send_email, func(resize, timeout=60)]``), referenced by
  settings classes in other modules;
- ``runners``: names passed to ``run_worker`` / ``create_worker`` / ``check_health`` /
  ``get_kwargs`` (proof that a class is read as worker settings);
- ``worker_calls``: ``Worker(...)`` constructions (their functions and keywords);
- ``mutated``: names changed after their definition (``JOBS.append(f)``,
  ``WorkerSettings.functions = [...]``, ``JOBS += [...]``): their contents are incomplete.

An entry: ``qualname`` (as written, resolved through this module's imports; ``None`` when
not a name), ``name`` (an explicit ``name=`` or the string given to ``func("a.b")``),
``name_unknown`` (``name=`` given but not a constant), ``line``/``col``, ``wrapper``
(``"func"``, ``"cron"`` or ``None``), ``string`` (the coroutine is an import path) and
``options`` (keyword → ``{"value": Value, "line", "col"}``).
"""

from __future__ import annotations

import ast
import re
from typing import Any

from tasklint.data.arq_worker import (
    CRON_FUNCTIONS,
    FUNC_FUNCTIONS,
    RUNNER_FUNCTIONS,
    WORKER_CLASSES,
)
from tasklint.project.facts import ModuleFacts, register_collector
from tasklint.syntax.constants import fold
from tasklint.syntax.names import NameResolver
from tasklint.syntax.walk import walk

# A module with none of these cannot define, list or change arq jobs or worker settings:
# arq itself, a settings class, its ``functions``/``cron_jobs`` attributes (bound or
# mutated) or a module-level job list (``FUNCTIONS``, ``JOBS``, ``BACKGROUND_FUNCTIONS``).
MARKER_WORDS = ("arq", "WorkerSettings", "cron_jobs", "FUNCTIONS", "JOBS", "functions")
MARKERS = re.compile(
    r"arq|WorkerSettings|cron_jobs|FUNCTIONS|JOBS|\bfunctions\s*(?::|=|\+=)|\.functions\s*(?:\.|=|\+=|\[)|[\x27\"]functions[\x27\"]"
)
# MARKERS' alternatives: the plain words, and those around "functions" (at offset 0 or 1)
_MARKER_PLAIN = ("arq", "WorkerSettings", "cron_jobs", "FUNCTIONS", "JOBS")
_MARKERS_AT_FUNCTIONS = (
    (re.compile(r"\bfunctions\s*(?::|=|\+=)"), 0),
    (re.compile(r"\.functions\s*(?:\.|=|\+=|\[)"), 1),
    (re.compile(r"[\x27\"]functions[\x27\"]"), 1),
)


def _marked(source: str) -> bool:
    """``MARKERS.search(source) is not None``, without trying the pattern at every position
    of the text: the plain words by ``in``; the others only where "functions" is."""
    if any(word in source for word in _MARKER_PLAIN):
        return True
    at = source.find("functions")
    while at >= 0:
        for pattern, offset in _MARKERS_AT_FUNCTIONS:
            if at >= offset and pattern.match(source, at - offset) is not None:
                return True
        at = source.find("functions", at + 1)
    return False


MUTATORS = frozenset({"append", "extend", "insert", "add", "update", "remove", "clear", "pop"})
SETTINGS_LISTS = ("functions", "cron_jobs")


class _Reader:
    def __init__(self, resolver: NameResolver, imports_arq: bool) -> None:
        self.resolver = resolver
        self.imports_arq = imports_arq

    def qualname(self, expr: ast.AST) -> str | None:
        return self.resolver.qualname(expr)

    def wrapper(self, call: ast.Call) -> str | None:
        qn = self.qualname(call.func)
        if qn in FUNC_FUNCTIONS:
            return "func"
        if qn in CRON_FUNCTIONS:
            return "cron"
        return None

    def entry(self, expr: ast.expr) -> dict[str, Any] | None:
        """One element of a job-function list; ``None`` when it cannot be understood."""
        base: dict[str, Any] = {
            "qualname": None,
            "name": None,
            "name_unknown": False,
            "line": expr.lineno,
            "col": expr.col_offset + 1,
            "wrapper": None,
            "string": False,
            "options": {},
        }
        if isinstance(expr, (ast.Name, ast.Attribute)):
            qn = self.qualname(expr)
            if qn is None:
                return None
            base["qualname"] = qn
            return base
        if isinstance(expr, ast.Constant) and isinstance(expr.value, str):
            base.update(qualname=expr.value, name=expr.value, string=True)
            return base
        if isinstance(expr, ast.Call):
            kind = self.wrapper(expr)
            if kind is None or not expr.args or any(kw.arg is None for kw in expr.keywords):
                return None
            target = expr.args[0]
            base["wrapper"] = kind
            if isinstance(target, ast.Constant) and isinstance(target.value, str):
                base.update(qualname=target.value, string=True)
                base["name"] = target.value if kind == "func" else f"cron:{target.value}"
            elif isinstance(target, (ast.Name, ast.Attribute)):
                qn = self.qualname(target)
                if qn is None:
                    return None
                base["qualname"] = qn
            else:
                return None
            for kw in expr.keywords:
                assert kw.arg is not None
                value = fold(kw.value, self.resolver)
                base["options"][kw.arg] = {
                    "value": value.__dict__,
                    "line": kw.lineno,
                    "col": kw.col_offset + 1,
                }
                if kw.arg == "name":
                    if value.kind == "const" and isinstance(value.value, str):
                        base["name"] = value.value
                    elif not (value.kind == "const" and value.value is None):
                        base["name_unknown"] = True
            return base
        return None

    def sequence(self, expr: ast.expr) -> dict[str, Any]:
        """A job-function list: entries, names of spliced lists, and completeness."""
        out: dict[str, Any] = {"entries": [], "refs": [], "complete": True}
        self._sequence(expr, out, 0)
        return out

    def _sequence(self, expr: ast.expr, out: dict[str, Any], depth: int) -> None:
        if depth > 10:
            out["complete"] = False
            return
        if isinstance(expr, (ast.List, ast.Tuple, ast.Set)):
            for elt in expr.elts:
                if isinstance(elt, ast.Starred):
                    self._sequence(elt.value, out, depth + 1)
                    continue
                entry = self.entry(elt)
                if entry is None:
                    out["complete"] = False
                else:
                    out["entries"].append(entry)
        elif isinstance(expr, ast.BinOp) and isinstance(expr.op, ast.Add):
            self._sequence(expr.left, out, depth + 1)
            self._sequence(expr.right, out, depth + 1)
        elif isinstance(expr, (ast.Name, ast.Attribute)):
            qn = self.qualname(expr)
            if qn is None:
                out["complete"] = False
            else:
                out["refs"].append(qn)
        elif isinstance(expr, ast.Call) and isinstance(expr.func, ast.Name) and expr.args:
            # list(X) / tuple(X) / set(X)
            if expr.func.id in ("list", "tuple", "set") and len(expr.args) == 1:
                self._sequence(expr.args[0], out, depth + 1)
            else:
                out["complete"] = False
        elif isinstance(expr, ast.Constant) and expr.value is None:
            return  # cron_jobs = None
        else:
            out["complete"] = False

    def looks_like_job_list(self, expr: ast.expr) -> bool:
        """A module-level sequence worth recording: job functions and nothing else."""
        if isinstance(expr, ast.BinOp) and isinstance(expr.op, ast.Add):
            return self.looks_like_job_list(expr.left) and self.looks_like_job_list(expr.right)
        if isinstance(expr, (ast.Name, ast.Attribute)):
            return self.imports_arq  # an alias of another list
        if not isinstance(expr, (ast.List, ast.Tuple, ast.Set)):
            return False
        if not expr.elts:
            return self.imports_arq
        for elt in expr.elts:
            if isinstance(elt, ast.Starred):
                continue
            if isinstance(elt, ast.Call):
                if self.wrapper(elt) is None:
                    return False
            elif isinstance(elt, ast.Constant):
                if not (self.imports_arq and isinstance(elt.value, str)):
                    return False
            elif not isinstance(elt, (ast.Name, ast.Attribute)):
                return False
        return True


def _module_statements(stmts: list[ast.stmt]) -> list[ast.stmt]:
    """Module-level statements, including those under ``if`` / ``try``."""
    out: list[ast.stmt] = []
    for stmt in stmts:
        out.append(stmt)
        if isinstance(stmt, ast.If):
            out.extend(_module_statements(stmt.body))
            out.extend(_module_statements(stmt.orelse))
        elif isinstance(stmt, ast.Try) or type(stmt).__name__ == "TryStar":
            out.extend(_module_statements(stmt.body))  # type: ignore[attr-defined]
            for handler in stmt.handlers:  # type: ignore[attr-defined]
                out.extend(_module_statements(handler.body))
            out.extend(_module_statements(stmt.orelse))  # type: ignore[attr-defined]
            out.extend(_module_statements(stmt.finalbody))  # type: ignore[attr-defined]
    return out


def _assignment(stmt: ast.stmt) -> tuple[str, ast.expr] | None:
    if (
        isinstance(stmt, ast.Assign)
        and len(stmt.targets) == 1
        and isinstance(stmt.targets[0], ast.Name)
    ):
        return stmt.targets[0].id, stmt.value
    if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name) and stmt.value:
        return stmt.target.id, stmt.value
    return None


def _class_statements(body: list[ast.stmt], conditional: bool) -> list[tuple[ast.stmt, bool]]:
    """Statements of a class body, with those under ``if`` / ``try`` / ``with`` / loops
    (``True``: the statement may not run)."""
    out: list[tuple[ast.stmt, bool]] = []
    for stmt in body:
        if isinstance(stmt, (ast.If, ast.For, ast.AsyncFor, ast.While, ast.With, ast.AsyncWith)):
            out.extend(_class_statements(stmt.body, True))
            out.extend(_class_statements(getattr(stmt, "orelse", []), True))
        elif isinstance(stmt, ast.Try) or type(stmt).__name__ == "TryStar":
            for part in (stmt.body, stmt.orelse, stmt.finalbody):  # type: ignore[attr-defined]
                out.extend(_class_statements(part, True))
            for handler in stmt.handlers:  # type: ignore[attr-defined]
                out.extend(_class_statements(handler.body, True))
        else:
            out.append((stmt, conditional))
    return out


def _bound_names(stmt: ast.stmt) -> list[str]:
    """Names a class-body statement binds other than by a simple ``name = value``."""
    targets: list[ast.expr] = []
    if isinstance(stmt, ast.Assign):
        targets = list(stmt.targets)
    elif isinstance(stmt, (ast.AugAssign, ast.AnnAssign)):
        targets = [stmt.target]
    names: list[str] = []
    for target in targets:
        for sub in walk(target):
            if isinstance(sub, ast.Name):
                names.append(sub.id)
    return names


def _settings_class(reader: _Reader, node: ast.ClassDef, nested: bool) -> dict[str, Any] | None:
    lists: dict[str, dict[str, Any]] = {}
    attributes: dict[str, Any] = {}
    methods: list[str] = []
    unsure: set[str] = set()  # bound conditionally, twice, or by unpacking/augmented assignment
    for stmt, conditional in _class_statements(node.body, False):
        assigned = _assignment(stmt)
        if assigned is not None:
            name, value = assigned
            if name in attributes or conditional:
                unsure.add(name)
            if name in SETTINGS_LISTS:
                lists[name] = reader.sequence(value)
            attributes[name] = {
                "line": stmt.lineno,
                "col": stmt.col_offset + 1,
                "value": fold(value, reader.resolver).__dict__,
            }
        elif isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
            methods.append(stmt.name)
        else:
            for name in _bound_names(stmt):
                unsure.add(name)
                attributes.setdefault(
                    name,
                    {"line": stmt.lineno, "col": stmt.col_offset + 1, "value": {"kind": "unknown"}},
                )
    for name in unsure & set(attributes):
        attributes[name]["value"] = {"kind": "unknown"}
    for name in unsure & set(SETTINGS_LISTS):
        lists.setdefault(name, {"entries": [], "refs": [], "complete": False})["complete"] = False
    named = node.name.endswith("WorkerSettings")
    if not lists and not named:
        return None
    functions = lists.get("functions") or {"entries": [], "refs": [], "complete": True}
    crons = lists.get("cron_jobs") or {"entries": [], "refs": [], "complete": True}
    return {
        "name": node.name,
        "line": node.lineno,
        "col": node.col_offset + 1,
        "named": named,
        "has_lists": sorted(lists),
        "functions": functions["entries"],
        "cron_jobs": crons["entries"],
        "refs": {"functions": functions["refs"], "cron_jobs": crons["refs"]},
        "functions_complete": bool(functions["complete"] and crons["complete"]),
        "decorated": bool(node.decorator_list),
        "metaclass": any(kw.arg == "metaclass" for kw in node.keywords),
        "nested": nested,
        "bases": [reader.qualname(b) for b in node.bases],
        "attributes": attributes,
        "methods": methods,
    }


def _mutated(reader: _Reader, tree: ast.Module) -> list[str]:
    found: set[str] = set()

    def note(expr: ast.expr) -> None:
        qn = reader.qualname(expr)
        if qn is not None:
            found.add(qn)

    module_level = {id(stmt) for stmt in _module_statements(tree.body)}
    for node in walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Attribute) and func.attr in MUTATORS:
                note(func.value)
            elif isinstance(func, ast.Name) and func.id == "setattr" and len(node.args) >= 2:
                qn = reader.qualname(node.args[0])
                key = node.args[1]
                if qn is None:
                    continue
                if isinstance(key, ast.Constant) and isinstance(key.value, str):
                    found.add(f"{qn}.{key.value}")
                else:
                    found.add(qn)  # any attribute may change
        elif isinstance(node, ast.AugAssign):
            note(node.target)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if isinstance(target, ast.Attribute):
                    note(target)
                elif isinstance(target, ast.Subscript):
                    note(target.value)
        elif isinstance(node, ast.Global) and id(node) not in module_level:
            # ``global JOBS`` in a function: it may rebind the module-level list
            # (a module-level ``global`` is a no-op)
            prefix = f"{reader.resolver.module}." if reader.resolver.module else ""
            found.update(f"{prefix}{name}" for name in node.names)
    return sorted(found)


def _worker_call(reader: _Reader, call: ast.Call) -> dict[str, Any]:
    functions: dict[str, Any] = {"entries": [], "refs": [], "complete": True}
    crons: dict[str, Any] = {"entries": [], "refs": [], "complete": True}
    keywords: dict[str, Any] = {}
    reads: set[str] = set()
    splat = False
    if call.args:
        functions = reader.sequence(call.args[0])
    for kw in call.keywords:
        if kw.arg is None:
            splat = True
            continue
        if kw.arg == "functions":
            functions = reader.sequence(kw.value)
        elif kw.arg == "cron_jobs":
            crons = reader.sequence(kw.value)
        keywords[kw.arg] = {
            "value": fold(kw.value, reader.resolver).__dict__,
            "line": kw.lineno,
            "col": kw.col_offset + 1,
        }
        if isinstance(kw.value, ast.Attribute):
            qn = reader.qualname(kw.value.value)
            if qn is not None:
                reads.add(qn)
    return {
        "line": call.lineno,
        "col": call.col_offset + 1,
        "functions": functions["entries"],
        "cron_jobs": crons["entries"],
        "refs": {"functions": functions["refs"], "cron_jobs": crons["refs"]},
        "functions_complete": bool(functions["complete"] and crons["complete"] and not splat),
        "keywords": keywords,
        "splat": splat,
        "reads": sorted(reads),
    }


@register_collector("arq", version=6)  # 6: symbolic values (45 * MINUTE)
def collect(tree: ast.Module, resolver: NameResolver, facts: ModuleFacts) -> dict[str, Any] | None:
    source = resolver.source
    if source is not None and not _marked(source):
        return None
    imports_arq = "arq" in facts.imported_packages
    reader = _Reader(resolver, imports_arq)
    settings: list[dict[str, Any]] = []
    lists: dict[str, Any] = {}
    statements = _module_statements(tree.body)
    top_level = {id(stmt) for stmt in statements}
    for node in walk(tree):
        if isinstance(node, ast.ClassDef):
            # classes built inside functions too (``create_worker(Settings)`` right after)
            found = _settings_class(reader, node, nested=id(node) not in top_level)
            if found is not None:
                settings.append(found)
    for stmt in statements:
        assigned = _assignment(stmt)
        if assigned is not None and reader.looks_like_job_list(assigned[1]):
            name, value = assigned
            seq = reader.sequence(value)
            seq["line"] = stmt.lineno
            if name in lists:
                seq["complete"] = False  # bound twice (under if/else): either may win
            lists[name] = seq
    runners: set[str] = set()
    worker_calls: list[dict[str, Any]] = []
    if imports_arq:
        for node in walk(tree):
            if not isinstance(node, ast.Call):
                continue
            qn = resolver.qualname(node.func)
            if qn in RUNNER_FUNCTIONS and node.args:
                arg = resolver.qualname(node.args[0])
                if arg is not None:
                    runners.add(arg)
            elif qn in WORKER_CLASSES:
                worker_calls.append(_worker_call(reader, node))
    mutated = _mutated(reader, tree)
    if not settings and not lists and not runners and not worker_calls and not mutated:
        return None
    for name, seq in lists.items():
        if f"{facts.module}.{name}" in mutated:
            seq["complete"] = False
    return {
        "worker_settings": settings,
        "lists": lists,
        "runners": sorted(runners),
        "worker_calls": worker_calls,
        "mutated": mutated,
    }
