"""Rule documentation from the rule docstrings: ``--explain``, ``--list-rules``, markdown pages."""

from __future__ import annotations

import difflib
import inspect
import re

from tasklint.rules import ALL_RULES, FAMILIES, Rule

REQUIRED_SECTIONS = ("What it does", "Why is this bad?", "Example")
OPTION_RE = re.compile(r"^- `([a-z-]+(?:\.[a-z-]+)?)`", re.MULTILINE)


def sections(rule: type[Rule]) -> dict[str, str]:
    doc = inspect.getdoc(rule) or ""
    out: dict[str, str] = {}
    for block in doc.split("## ")[1:]:
        title, _, body = block.partition("\n")
        out[title.strip()] = body.strip("\n")
    return out


def family(code: str) -> str:
    return FAMILIES.get(code[:3], "")


def explain(code: str) -> str:
    rule = ALL_RULES[code]
    default = "on by default" if rule.default else "opt-in (enable with extend-select)"
    head = f"{rule.code} {rule.name} ({family(code)}; {default})"
    body = inspect.getdoc(rule) or ""
    return f"{head}\n{'=' * len(head)}\n\n{body}\n"


def suggest(code: str) -> list[str]:
    names = {r.name: c for c, r in ALL_RULES.items()}
    by_code = difflib.get_close_matches(code.upper(), list(ALL_RULES), n=3, cutoff=0.6)
    by_name = [names[n] for n in difflib.get_close_matches(code, list(names), n=3, cutoff=0.6)]
    return list(dict.fromkeys([*by_code, *by_name]))


def lookup(code_or_name: str) -> str | None:
    if code_or_name.upper() in ALL_RULES:
        return code_or_name.upper()
    for code, rule in ALL_RULES.items():
        if rule.name == code_or_name:
            return code
    return None


def examples(rule: type[Rule]) -> tuple[str | None, str | None]:
    """The code of the Example block and of the Use-instead block."""
    secs = sections(rule)
    text = secs.get("Example", "")
    bad, _, good = text.partition("Use instead:")
    return _first_code_block(bad), _first_code_block(good)


def _first_code_block(text: str) -> str | None:
    match = re.search(r"```python\n(.*?)```", text, re.DOTALL)
    return match.group(1) if match else None


def documented_options(rule: type[Rule]) -> list[str]:
    return OPTION_RE.findall(sections(rule).get("Options", ""))
