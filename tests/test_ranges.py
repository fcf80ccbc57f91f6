"""The ends the engine gives findings made without their node (project rules)."""

from __future__ import annotations

import ast

import pytest

from tasklint.engine import _node_ends

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
