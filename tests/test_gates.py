"""The rules' textual gates: the fast search answers exactly as ``pattern.search``."""

from __future__ import annotations

import random
import re

import pytest

from tasklint.analysis.enqueue import ENQUEUE_TRIGGERS
from tasklint.analysis.gates import _split, quick_search
from tasklint.rules import ALL_RULES

RULE_PATTERNS = sorted(
    {c.triggers for c in ALL_RULES.values() if c.triggers is not None} | {ENQUEUE_TRIGGERS},
    key=lambda p: p.pattern,
)

TRICKY = [
    r"\bgroup\b|\bchord\b",
    r"\b(chain|group|chord|enqueue)\s*\(",
    r"\b(?:alpha|beta)\s*=",
    r"[|]alpha|beta",
    r"[]|]alpha|beta",
    r"[^]|]alpha|beta",
    r"alpha\|beta",
    r"(alpha|beta)gamma|delta",
    r"\Balpha",
    r"(a)\1|alpha",  # a backreference: searched as it is
    r"(?i)alpha|beta",
    r"^alpha|beta$",
    r"\bab|cd",
    r"(?:)|alpha",
    r"\b(alpha|)x",
]


def _texts() -> list[str]:
    rnd = random.Random(17)
    pieces = [
        "alpha", "beta", "gamma", "delta", "group", "chord", "chain", "enqueue", "countdown",
        "eta", "=", "(", ")", " ", "\n", ".", "_", "x", "é", "|", "]", "[", "\\", "ab", "cd",
        "atomic", ".delay", ".s", "receiver", ".connect", "job_timeout", "class", "\t", "a",
    ]  # fmt: skip
    texts = ["", "group(", "xgroup(", "_group (", "égroup(", "groups(", "group\n(", " eta =",
             "beta=", "zeta =", "\nclass C:", "  class\tC", "a.delay (", "self.s(", "chord"]  # fmt: skip
    for _ in range(3000):
        texts.append("".join(rnd.choice(pieces) for _ in range(rnd.randrange(1, 12))))
    return texts


TEXTS = _texts()


@pytest.mark.parametrize("pattern", RULE_PATTERNS, ids=lambda p: p.pattern[:40])
def test_rule_gates_answer_as_the_pattern(pattern: re.Pattern[str]) -> None:
    search = quick_search(pattern)
    for text in TEXTS:
        assert search(text) is (pattern.search(text) is not None), (pattern.pattern, text)


@pytest.mark.parametrize("source", TRICKY)
@pytest.mark.parametrize("flags", [0, re.MULTILINE])
def test_tricky_patterns_answer_as_the_pattern(source: str, flags: int) -> None:
    pattern = re.compile(source, flags)
    search = quick_search(pattern)
    for text in TEXTS:
        assert search(text) is (pattern.search(text) is not None), (source, text)


def test_split_keeps_groups_classes_and_escapes_whole() -> None:
    assert _split(r"a|b(c|d)|[|]|\||e") == ["a", "b(c|d)", "[|]", r"\|", "e"]
    assert _split(r"[]|]x|y") == ["[]|]x", "y"]


def _collector_texts() -> list[str]:
    rnd = random.Random(23)
    pieces = [
        "functions", "function", "FUNCTIONS", "JOBS", "arq", "ar", "q", "cron_jobs",
        "WorkerSettings", ".", ":", "=", "+=", "+", "[", "'", '"', " ", "\t", "\n", "_", "x",
        "é", "self", "self.", "job", "s", "(", ")",
    ]  # fmt: skip
    texts = ["", "functions", "functions =", "xfunctions =", "_functions=", "éfunctions:",
             "s.functions[", "s.functions .x", "'functions'", '"functions\'', "functions\n=",
             "parquet", "class W:\n    functions: list = []", "func tions ="]  # fmt: skip
    for _ in range(4000):
        texts.append("".join(rnd.choice(pieces) for _ in range(rnd.randrange(1, 14))))
    return texts


def test_the_arq_collectors_gate_answers_as_its_pattern() -> None:
    from tasklint.project.collectors.arq import MARKERS, _marked

    for text in _collector_texts():
        assert _marked(text) is (MARKERS.search(text) is not None), text
