"""Fuzzing: no syntactically valid program makes the engine or the flake8 plugin raise.

Programs come from hypothesmith's grammar strategy. The CI run draws a few hundred;
``python benchmarks/fuzz.py`` runs the same check for as many as you like.

The engine turns a rule that raises into a TQ002 finding instead of a traceback, so
"did not raise" here means: no exception escaped, and no TQ002 was produced.
"""

from __future__ import annotations

import ast
import os
import warnings
from pathlib import Path

import hypothesmith
import pytest
from hypothesis import HealthCheck, assume, given, settings

from tasklint.config import Settings
from tasklint.engine import Linter
from tasklint.flake8_plugin import TasklintChecker
from tasklint.project.facts import module_facts
from tasklint.project.index import ProjectIndex
from tasklint.rules import ALL_RULES
from tasklint.suppression import Suppressions

EXAMPLES = int(os.environ.get("TASKLINT_FUZZ_EXAMPLES", "200"))
PATH = "/fuzz/project/pkg/tasks.py"


def parse(source: str) -> ast.Module | None:
    """The tree of a program CPython compiles, else None (the grammar is looser)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            compile(source, PATH, "exec")
            return ast.parse(source, PATH)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def check_engine(source: str, tree: ast.Module) -> None:
    """Facts, index, every rule (opt-in ones too, textual gates bypassed) and noqa."""
    facts = module_facts(tree, "pkg.tasks", PATH, False, source=source)
    index = ProjectIndex(root="/fuzz/project")
    index.add(facts)
    linter = Linter(Settings(), index, enabled=set(ALL_RULES))
    lines = source.splitlines()
    findings = linter.check_tree(tree, PATH, lines, "pkg.tasks", False, None, abs_path=PATH)
    findings = linter._suppress(findings, source, PATH)
    Suppressions(source)
    errors = [f for f in findings if f.code == "TQ002"]
    assert not errors, errors[0].message


def check_plugin(source: str, tree: ast.Module, directory: Path) -> None:
    path = directory / "tasks.py"
    lines = source.splitlines(keepends=True)
    results = list(TasklintChecker(tree, str(path), lines).run())
    errors = [r for r in results if r[2].startswith("TQ002")]
    assert not errors, errors[0][2]


def check_program(source: str, directory: Path) -> bool:
    """Run both checks; False when the program is not valid Python (nothing to check)."""
    tree = parse(source)
    if tree is None:
        return False
    check_engine(source, tree)
    check_plugin(source, tree, directory)
    return True


@pytest.fixture(scope="module")
def plugin_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("fuzz")
    TasklintChecker.use_cache = False
    return directory


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@given(source=hypothesmith.from_grammar())
def test_no_valid_program_makes_tasklint_raise(source: str, plugin_dir: Path) -> None:
    assume(check_program(source, plugin_dir))


@settings(
    max_examples=max(EXAMPLES // 5, 20), deadline=None, suppress_health_check=list(HealthCheck)
)
@given(source=hypothesmith.from_node())
def test_no_valid_module_from_libcst_makes_tasklint_raise(source: str, plugin_dir: Path) -> None:
    assume(check_program(source, plugin_dir))
