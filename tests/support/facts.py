"""Module facts of every parseable fixture file (the codec tests' sample of real shapes)."""

from __future__ import annotations

import ast

from tasklint.project.facts import ModuleFacts, module_facts
from tests.support.runner import FIXTURES


def fixture_facts() -> list[ModuleFacts]:
    out = []
    for path in sorted(FIXTURES.rglob("*.py")):
        source = path.read_text(encoding="utf-8", errors="replace")
        try:
            tree = ast.parse(source)
        except SyntaxError:
            continue
        out.append(
            module_facts(tree, path.stem, str(path), path.name == "__init__.py", None, source)
        )
    return out
