"""The cache's encoding of module facts: compact, exact, and strict about what it reads."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import pytest

from tasklint.project.facts import ModuleFacts
from tests.support.facts import fixture_facts

ROOT = Path(__file__).resolve().parents[1]


def test_facts_read_back_from_json_and_pickle_equal_the_collected_ones() -> None:
    facts = fixture_facts()
    assert len(facts) > 100
    for fact in facts:
        text = json.dumps(fact.to_json())
        back = ModuleFacts.from_json(json.loads(text))
        assert back == fact, fact.path
        assert json.dumps(back.to_json()) == text  # written again byte for byte
        assert pickle.loads(pickle.dumps(fact)) == fact, fact.path


def test_read_back_facts_share_names_and_signatures() -> None:
    facts = [ModuleFacts.from_json(json.loads(json.dumps(f.to_json()))) for f in fixture_facts()]
    functions = [fn for f in facts for fn in f.functions.values()]
    by_params: dict[str, list[object]] = {}
    for fn in functions:
        by_params.setdefault(json.dumps(fn.params), []).append(fn.params)
    shared = [group for group in by_params.values() if len(group) > 1]
    assert shared and all(all(p is group[0] for p in group) for group in shared)
    names = [imp.module for f in facts for imp in f.imports if imp.module == "celery"]
    assert len(names) > 1 and all(n is names[0] for n in names)


@pytest.mark.parametrize(
    "damaged",
    [
        {"module": "x", "path": "/x.py", "is_package": False},  # the old format
        ["x", "/x.py"],  # a required field missing
        ["x", "/x.py", False, {}, {}, {}, [], [], [], {}, "extra"],  # one field too many
        ["x", "/x.py", False, {"a": "not a symbol"}],
        ["x", "/x.py", False, {}, {"f": ["f", 1, 1, False, "not a list"]}],
        ["x", "/x.py", False, {}, {}, {}, {"not": "a list"}],
        "x",
        None,
    ],
)
def test_damaged_facts_raise(damaged: object) -> None:
    with pytest.raises((ValueError, TypeError, AttributeError)):
        ModuleFacts.from_json(damaged)
