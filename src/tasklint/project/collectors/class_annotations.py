"""Attribute annotations of module-level classes: ``svc: Service`` in the class body and
``self.svc: Service`` in its methods.

Recorded as ``{class: {attribute: qualified name or None}}`` (None: annotated with several
different names, or with something that is not a plain name such as ``Optional[X]``), so
the function summaries can resolve ``self.svc.run()`` without parsing the module again.
"""

from __future__ import annotations

import ast
import re
from typing import Any

from tasklint.project.facts import ModuleFacts, register_collector
from tasklint.syntax.names import NameResolver

FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)
# an annotated assignment statement to an attribute of self, at the start of a line
SELF_ANNOTATION = re.compile(r"^[ \t]+self\.\w+[ \t]*:[ \t]*[\w\"']", re.MULTILINE)


def _name(ann: ast.expr, resolver: NameResolver) -> str | None:
    if isinstance(ann, ast.Constant) and isinstance(ann.value, str):
        try:
            ann = ast.parse(ann.value, mode="eval").body
        except SyntaxError:
            return None
    if not isinstance(ann, (ast.Name, ast.Attribute)):
        return None
    return resolver.qualname(ann)


def _self_annotations(body: list[ast.stmt]) -> list[tuple[str, ast.expr]]:
    """``self.x: T = ...`` statements in a method body (statements only, not expressions;
    nested functions and classes skipped)."""
    out: list[tuple[str, ast.expr]] = []
    stack = list(body)
    while stack:
        stmt = stack.pop()
        if isinstance(stmt, ast.AnnAssign):
            target = stmt.target
            if (
                isinstance(target, ast.Attribute)
                and isinstance(target.value, ast.Name)
                and target.value.id == "self"
            ):
                out.append((target.attr, stmt.annotation))
            continue
        if isinstance(stmt, (*FUNCTIONS, ast.ClassDef)):
            continue
        for name in ("body", "orelse", "finalbody"):
            block = getattr(stmt, name, None)
            if isinstance(block, list):
                stack.extend(s for s in block if isinstance(s, ast.stmt))
        for handler in getattr(stmt, "handlers", None) or []:
            stack.extend(handler.body)
        for case in getattr(stmt, "cases", None) or []:
            stack.extend(case.body)
    return out


@register_collector("class_annotations", version=1)
def collect(tree: ast.Module, resolver: NameResolver, facts: ModuleFacts) -> dict[str, Any] | None:
    source = resolver.source
    # annotated ``self.x: T`` anywhere in the text: searched for when a class has a method
    in_methods: bool | None = None
    out: dict[str, dict[str, str | None]] = {}
    for stmt in tree.body:
        if not isinstance(stmt, ast.ClassDef):
            continue
        found: list[tuple[str, ast.expr]] = []
        for item in stmt.body:
            if isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name):
                found.append((item.target.id, item.annotation))
            elif isinstance(item, FUNCTIONS):
                if in_methods is None:
                    in_methods = source is None or SELF_ANNOTATION.search(source) is not None
                if in_methods:
                    found.extend(_self_annotations(item.body))
        attrs: dict[str, str | None] = {}
        for attr, ann in found:
            name = _name(ann, resolver)
            attrs[attr] = name if attrs.get(attr, name) == name else None
        if attrs:
            out[stmt.name] = attrs
    return out or None
