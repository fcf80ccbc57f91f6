"""Imports run one way: entry points -> engine -> rules -> rule helpers -> project model ->
AST helpers -> base (configuration, findings, reference data). A lower layer never imports a
higher one, not even inside a function or for a type."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "tasklint"

# Highest layer first; a module may import its own layer and the ones below it.
LAYERS: list[tuple[str, tuple[str, ...]]] = [
    (
        "entry points",
        (
            "tasklint.__main__",
            "tasklint.cli",
            "tasklint.flake8_plugin",
            "tasklint.baseline",
            "tasklint.inventory",
            "tasklint.docs",
            "tasklint.output",
            "tasklint.fixes",
            "tasklint.lowering",
        ),
    ),
    ("engine", ("tasklint.engine", "tasklint.suppression")),
    ("rules", ("tasklint.rules",)),
    ("rule helpers", ("tasklint.analysis",)),
    ("project model", ("tasklint.project",)),
    ("AST helpers", ("tasklint.syntax",)),
    ("base", ("tasklint.config", "tasklint.findings", "tasklint.data", "tasklint")),
]


def layer_of(module: str) -> int:
    best = (-1, len(LAYERS))
    for i, (_, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            if module == prefix or module.startswith(prefix + "."):
                if len(prefix) > best[0]:
                    best = (len(prefix), i)
    return best[1]


def module_name(path: Path) -> str:
    rel = path.relative_to(SRC.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = module_name(path)
    if path.name != "__init__.py":
        package = package.rsplit(".", 1)[0]
    out: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.extend((node.lineno, a.name) for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            out.append((node.lineno, mod))
            for alias in node.names:
                out.append((node.lineno, f"{mod}.{alias.name}"))
    return [(line, m) for line, m in out if m == "tasklint" or m.startswith("tasklint.")]


MODULES = sorted(SRC.rglob("*.py"))


def test_every_module_has_a_layer() -> None:
    unplaced = [module_name(p) for p in MODULES if layer_of(module_name(p)) == len(LAYERS)]
    assert unplaced == []


@pytest.mark.parametrize("path", MODULES, ids=lambda p: module_name(p))
def test_imports_run_one_way(path: Path) -> None:
    here = layer_of(module_name(path))
    upward = []
    for line, target in imports_of(path):
        if target.rsplit(".", 1)[0] == "tasklint" and target != "tasklint":
            # ``from tasklint import x``: x is a subpackage/module or a name of tasklint/__init__
            if (SRC / target.rsplit(".", 1)[1]).exists() or (
                SRC / (target.rsplit(".", 1)[1] + ".py")
            ).exists():
                pass
            else:
                continue
        there = layer_of(target)
        if there < here:
            upward.append(f"line {line}: {target} ({LAYERS[there][0]})")
    assert upward == [], f"{module_name(path)} ({LAYERS[here][0]}) imports upward"


def test_codes_table_matches_the_registry() -> None:
    from tasklint.data.codes import OPT_IN_CODES, RULE_CODES
    from tasklint.rules import ALL_RULES

    assert set(ALL_RULES) == set(RULE_CODES)
    assert {code for code, rule in ALL_RULES.items() if not rule.default} == set(OPT_IN_CODES)


def test_the_engine_knows_the_rules_without_importing_them() -> None:
    """engine.ALL_RULES answers codes and defaults from the table, and is the registry."""
    from tasklint import engine
    from tasklint.rules import ALL_RULES, default_codes

    assert list(engine.ALL_RULES) == list(ALL_RULES)
    assert len(engine.ALL_RULES) == len(ALL_RULES)
    assert all(code in engine.ALL_RULES for code in ALL_RULES)
    assert "TQ999" not in engine.ALL_RULES
    assert all(engine.ALL_RULES[code] is rule for code, rule in ALL_RULES.items())
    assert engine.default_codes() == default_codes()
