"""The ends the engine gives findings made without their node (project rules)."""

from __future__ import annotations

import ast
from dataclasses import replace
from pathlib import Path

import pytest

from tasklint.config import Settings
from tasklint.engine import _node_ends, lint_paths, with_ranges
from tasklint.project.facts import DecoratorFact, ModuleFacts, module_facts
from tests.support.runner import FIXTURES

SOURCE = '''\
import celery


@app.task(
    bind=True,
    time_limit=limit(3),
)
def task(self, x: int = f(
    1,
)):
    y = f"""{x!r} {g(x,
    2)}"""
    return call(a,
                b)


class C(Base, metaclass=M):
    @decorate(
        1)
    def m(self):
        pass
'''


def test_ends_of_wanted_lines_are_those_of_the_whole_tree() -> None:
    tree = ast.parse(SOURCE)
    everything = _node_ends(tree)
    last = SOURCE.count("\n")
    for wanted in [[n] for n in range(1, last + 1)] + [
        [4, 13],
        [5, 18],
        [12, 20],
        list(range(1, last)),
    ]:
        asked = _node_ends(tree, wanted)
        assert {k: v for k, v in asked.items() if k[0] in wanted} == {
            k: v for k, v in everything.items() if k[0] in wanted
        }


@pytest.mark.parametrize(
    ("position", "end"),
    [
        ((4, 2), (7, 2)),  # a decorator below the definition's span start
        ((6, 16), (6, 24)),
        ((8, 25), (10, 2)),  # a parameter's default spanning lines
        ((11, 9), (12, 11)),  # an f-string
        ((11, 20), (12, 7)),  # a call inside it
        ((13, 12), (14, 19)),
        ((18, 6), (19, 11)),  # a method's decorator inside a class
    ],
)
def test_end_of_one_wanted_position(position: tuple[int, int], end: tuple[int, int]) -> None:
    ends = _node_ends(ast.parse(SOURCE), [position[0]])
    assert ends[position] == end


def _decorators(facts: ModuleFacts) -> list[DecoratorFact]:
    functions = [*facts.functions.values()]
    for cls in facts.classes.values():
        functions.extend(cls.methods.values())
    return [d for f in functions for d in f.decorators]


def test_decorator_ends_in_the_facts_are_those_of_the_tree() -> None:
    """A finding on a task's decorator takes its end from the facts (Rule.task_finding),
    not from the tree: the same end as the tree gives, on every fixture's decorators."""
    sources = [SOURCE] + [
        p.read_text(encoding="utf-8", errors="replace") for p in sorted(FIXTURES.rglob("*.py"))
    ]
    checked = 0
    for source in sources:
        try:
            tree = ast.parse(source)
        except SyntaxError:
            continue
        facts = module_facts(tree, "m", "m.py", False, None, source)
        for dec in _decorators(facts):
            ends = _node_ends(tree, [dec.line])
            assert (dec.end_line, dec.end_col) == ends[(dec.line, dec.col)]
            checked += 1
    assert checked > 100


def test_task_findings_end_where_the_engine_would_end_them(tmp_path: Path) -> None:
    """TQ101/TQ112 findings ending from the facts end where with_ranges, given the tree,
    ends the same findings made without an end."""
    (tmp_path / "proj").mkdir()
    (tmp_path / "proj" / "__init__.py").write_text("")
    (tmp_path / "proj" / "celery.py").write_text(
        "from celery import Celery\n\napp = Celery('proj', include=['proj.tasks'])\n"
    )
    source = (
        "from celery import shared_task\n\n\n"
        "@shared_task(\n    acks_late=True,\n)\ndef one():\n    pass\n\n\n"
        "@shared_task\ndef two():\n    pass\n"
    )
    (tmp_path / "proj" / "tasks.py").write_text(source)
    (tmp_path / "proj" / "other.py").write_text(
        "from celery import shared_task\n\n\n@shared_task()\ndef three():\n    pass\n"
    )
    settings = Settings().with_overrides(select=("TQ101", "TQ112"))
    findings = lint_paths(
        [tmp_path], settings, use_cache=False, base=tmp_path, root=tmp_path
    ).findings
    assert {f.code for f in findings} == {"TQ101", "TQ112"}
    for f in findings:
        text = (tmp_path / f.path).read_text()
        bare = replace(f, end_line=None, end_col=None)
        assert with_ranges([bare], text, ast.parse(text)) == [f]
    ends = {(f.code, f.path, f.line, f.col, f.end_line, f.end_col) for f in findings}
    assert ends == {
        ("TQ101", "proj/tasks.py", 4, 2, 6, 2),  # the call, over three lines
        ("TQ101", "proj/tasks.py", 11, 2, 11, 13),  # a bare name
        ("TQ101", "proj/other.py", 4, 2, 4, 15),
        ("TQ112", "proj/other.py", 4, 2, 4, 15),
    }
