"""Names of ``CELERY_*`` settings the project's own code reads (``settings.CELERY_X``,
``getattr(settings, "CELERY_X")``): such names are the project's, not misspelled Celery ones."""

from __future__ import annotations

import ast
from typing import Any

from tasklint.project.facts import ModuleFacts, register_collector
from tasklint.syntax.names import NameResolver
from tasklint.syntax.walk import walk


@register_collector("setting_reads", version=1)
def collect(tree: ast.Module, resolver: NameResolver, facts: ModuleFacts) -> dict[str, Any] | None:
    source = getattr(resolver, "source", None)
    if source is not None and "CELERY_" not in source:
        return None
    names: set[str] = set()
    for node in walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Load):
            if node.attr.startswith("CELERY_"):
                names.add(node.attr)
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id
            in (
                "getattr",
                "hasattr",
            )
        ):
            if len(node.args) >= 2 and isinstance(node.args[1], ast.Constant):
                value = node.args[1].value
                if isinstance(value, str) and value.startswith("CELERY_"):
                    names.add(value)
    return {"names": sorted(names)} if names else None
