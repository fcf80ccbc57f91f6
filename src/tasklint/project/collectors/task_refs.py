"""Task names written as strings (``send_task("x")``, beat entries ``{"task": "x", ...}``,
arq ``enqueue_job("x")``) and signs of dynamic task registration."""

from __future__ import annotations

import ast
from typing import Any

from tasklint.project.facts import ModuleFacts, register_collector
from tasklint.syntax.names import NameResolver
from tasklint.syntax.walk import walk_active

MARKERS = (
    "send_task",
    "enqueue_job",
    '"task"',
    "'task'",
    "register_task",
    "tasks.register",
    "task(",
)


def _string(node: ast.AST) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


# The node classes the walk below looks at (parsed trees hold only these exact classes).
_LOOKED_AT = frozenset({ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Call, ast.Dict})


@register_collector("task_refs", version=2)
def collect(tree: ast.Module, resolver: NameResolver, facts: ModuleFacts) -> dict[str, Any] | None:
    source = resolver.source
    if source is not None and not any(m in source for m in MARKERS):
        return None
    refs: list[dict[str, Any]] = []
    dynamic: list[int] = []
    decorators: set[int] = set()
    makers: set[int] = set()  # ``return app.task(fn, ...)`` of a task-making function
    # one breadth-first walk: a def comes before its decorators and its body's calls, so
    # both sets are complete for a call by the time the walk reaches it
    for node in walk_active(tree):  # the nodes looked at are never inert
        kind = node.__class__
        if kind not in _LOOKED_AT:  # most nodes: names, attributes, constants...
            continue
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            decorators.update(id(d) for d in node.decorator_list)
            if isinstance(node, ast.ClassDef):
                continue
            params = [a.arg for a in [*node.args.posonlyargs, *node.args.args]]
            for stmt in node.body:
                if (
                    params
                    and isinstance(stmt, ast.Return)
                    and isinstance(stmt.value, ast.Call)
                    and len(stmt.value.args) == 1
                    and isinstance(stmt.value.args[0], ast.Name)
                    and stmt.value.args[0].id == params[0]
                ):
                    makers.add(id(stmt.value))
        elif isinstance(node, ast.Call):
            func = node.func
            attr = func.attr if isinstance(func, ast.Attribute) else None
            if attr in ("send_task", "enqueue_job") and node.args:
                name = _string(node.args[0])
                if name is not None:
                    refs.append(
                        {
                            "kind": attr,
                            "name": name,
                            "line": node.args[0].lineno,
                            "col": node.args[0].col_offset + 1,
                            "receiver": resolver.qualname(func.value)
                            if isinstance(func, ast.Attribute)
                            else None,
                        }
                    )
            elif attr == "register_task" or (
                attr == "register"
                and isinstance(func, ast.Attribute)
                and isinstance(func.value, ast.Attribute)
                and func.value.attr == "tasks"
            ):
                dynamic.append(node.lineno)
            elif (
                id(node) not in decorators
                and id(node) not in makers
                and node.args
                and ((attr == "task") or (isinstance(func, ast.Name) and func.id == "shared_task"))
            ):
                # app.task(fn) / shared_task(fn) called, not used as a decorator
                if isinstance(node.args[0], (ast.Name, ast.Attribute, ast.Lambda)):
                    dynamic.append(node.lineno)
        elif isinstance(node, ast.Dict):
            keys = {_string(k): v for k, v in zip(node.keys, node.values) if k is not None}
            if "task" in keys and "schedule" in keys:
                name = _string(keys["task"])
                if name is not None:
                    value = keys["task"]
                    refs.append(
                        {
                            "kind": "beat",
                            "name": name,
                            "line": value.lineno,
                            "col": value.col_offset + 1,
                        }
                    )
    if not refs and not dynamic:
        return None
    return {"refs": refs, "dynamic": dynamic}
