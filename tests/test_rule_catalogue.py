"""Meta-tests over every registered rule: identity, documentation, examples, fixtures.

A rule's docstring is its documentation (``--explain``, docs/rules/*.md, SARIF), so its
Example block must produce the rule and its Use-instead block must not, run through the
engine exactly as a user would. An example that needs more than one module marks each
file with a ``# file: <relative path>`` line (see ``tasklint.docs.example_files``).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from tasklint import docs
from tasklint.config import TABLES, TOP_FIELDS, Settings
from tasklint.engine import lint_paths
from tasklint.findings import Finding
from tasklint.rules import ALL_RULES, RULE_MODULES
from tests.support import expectations
from tests.support.runner import FIXTURES

RULES_DIR = Path(docs.__file__).parent / "rules"
SECTIONS = (
    "What it does",
    "Why is this bad?",
    "Example",
    "Options",
    "Known limitations",
    "References",
)
# TQ002 reports a crash of tasklint itself: no code triggers it on purpose, so it has no
# example and no fixture; tests/test_cli.py makes a rule fail to exercise it.
NO_EXAMPLE = {"TQ002"}
NO_FIXTURE = {"TQ002"}
# TQ001 is about source that does not parse: its Example block is invalid on purpose.
UNPARSABLE_EXAMPLE = {"TQ001"}

CODES = list(ALL_RULES)


def test_registry_is_not_empty() -> None:
    assert len(ALL_RULES) >= 30


@pytest.mark.parametrize("code", CODES)
def test_code_name_and_message(code: str) -> None:
    rule = ALL_RULES[code]
    assert rule.code == code
    assert re.fullmatch(r"TQ\d{3}", code)
    assert re.fullmatch(r"[a-z][a-z0-9]*(-[a-z0-9]+)+", rule.name), rule.name
    assert rule.message and "\n" not in rule.message
    assert not rule.message.endswith("."), "messages have no trailing period"
    assert not rule.message.startswith("TQ"), "the code is added when rendering"
    module = Path(__import__(rule.__module__, fromlist=["_"]).__file__ or "").name
    assert module == f"tq{code[2:]}_{rule.name.replace('-', '_')}.py", (
        f"{code} lives in {module}; rule modules are named tqNNN_<name>.py"
    )


def test_names_are_unique() -> None:
    names = [rule.name for rule in ALL_RULES.values()]
    assert len(names) == len(set(names))


def test_every_rule_module_is_imported_in_order() -> None:
    on_disk = sorted(p.stem for p in RULES_DIR.glob("tq*.py"))
    init = ast.parse((RULES_DIR / "__init__.py").read_text(encoding="utf-8"))
    imported = [
        alias.name
        for node in init.body
        if isinstance(node, ast.ImportFrom) and node.module == "tasklint.rules"
        for alias in node.names
    ]
    assert imported == sorted(imported), "keep rules/__init__.py imports sorted by code"
    assert sorted(imported) == on_disk, (
        f"not imported: {sorted(set(on_disk) - set(imported))}; "
        f"no such module: {sorted(set(imported) - set(on_disk))}"
    )
    assert sorted(m.__name__.rsplit(".", 1)[-1] for m in RULE_MODULES) == on_disk
    # and every module registers exactly one rule
    per_module = sorted(rule.__module__.rsplit(".", 1)[-1] for rule in ALL_RULES.values())
    assert per_module == on_disk


@pytest.mark.parametrize("code", CODES)
def test_docstring_has_every_section_in_order(code: str) -> None:
    secs = docs.sections(ALL_RULES[code])
    missing = [s for s in SECTIONS if s not in secs]
    assert not missing, f"{code} docstring lacks {missing}"
    order = [s for s in secs if s in SECTIONS]
    assert order == list(SECTIONS), f"{code} sections out of order: {order}"
    for title in SECTIONS:
        assert secs[title].strip(), f"{code}: section {title!r} is empty"
    if code not in NO_EXAMPLE:
        assert "Use instead:" in secs["Example"], f"{code}: Example has no 'Use instead:'"


@pytest.mark.parametrize("code", CODES)
def test_documented_options_exist(code: str) -> None:
    known = {f.key for f in TOP_FIELDS} | {"per-file-ignores"}
    known |= {f"{table}.{f.key}" for table, fields in TABLES.items() for f in fields}
    for option in docs.documented_options(ALL_RULES[code]):
        assert option in known, f"{code} documents unknown option {option!r}"


def _lint_example(code: str, block: str, tmp_path: Path) -> list[Finding]:
    files = docs.example_files(block)
    for rel, text in files.items():
        target = tmp_path / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    for rel in files:
        for parent in Path(rel).parents:
            init = tmp_path / parent / "__init__.py"
            if parent != Path(".") and not init.exists():
                init.write_text("", encoding="utf-8")
    settings = Settings(extend_select=(code,))
    result = lint_paths([tmp_path], settings, use_cache=False, base=tmp_path, root=tmp_path)
    return [f for f in result.findings if f.code == code]


@pytest.mark.parametrize("code", [c for c in CODES if c not in NO_EXAMPLE])
def test_example_produces_the_rule(code: str, tmp_path: Path) -> None:
    bad, _ = docs.examples(ALL_RULES[code])
    assert bad is not None, f"{code}: no ```python block under Example"
    if code not in UNPARSABLE_EXAMPLE:
        for rel, text in docs.example_files(bad).items():
            ast.parse(text, rel)
    found = _lint_example(code, bad, tmp_path)
    assert found, f"{code}: its Example does not produce {code}"
    assert {f.path for f in found} <= set(docs.example_files(bad))


@pytest.mark.parametrize("code", [c for c in CODES if c not in NO_EXAMPLE])
def test_use_instead_does_not_produce_the_rule(code: str, tmp_path: Path) -> None:
    _, good = docs.examples(ALL_RULES[code])
    assert good is not None, f"{code}: no ```python block after 'Use instead:'"
    for rel, text in docs.example_files(good).items():
        ast.parse(text, rel)
    found = _lint_example(code, good, tmp_path)
    assert not found, f"{code}: its Use-instead block produces {found}"


def test_example_files_convention() -> None:
    assert docs.example_files("x = 1\n") == {"example.py": "x = 1\n"}
    block = "# file: pkg/a.py\nA = 1\n\n# file: pkg/b.py\nfrom pkg.a import A\n"
    assert docs.example_files(block) == {
        "pkg/a.py": "A = 1\n\n",
        "pkg/b.py": "from pkg.a import A\n",
    }


def _annotations() -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    fires: dict[str, list[str]] = {}
    near_misses: dict[str, list[str]] = {}
    for path in sorted(FIXTURES.rglob("*.py")):
        if "sample_project" in path.parts:
            continue
        exp = expectations.parse(path.read_text(encoding="utf-8"))
        rel = path.relative_to(FIXTURES).as_posix()
        for _, code in exp.errors | exp.todo_oks:
            fires.setdefault(code, []).append(rel)
        for _, code in exp.oks | exp.todo_errors:
            near_misses.setdefault(code, []).append(rel)
    return fires, near_misses


def test_every_rule_has_a_firing_fixture_and_a_near_miss() -> None:
    fires, near_misses = _annotations()
    without_hit = [c for c in CODES if c not in fires and c not in NO_FIXTURE]
    without_ok = [c for c in CODES if c not in near_misses and c not in NO_FIXTURE]
    assert not without_hit, f"rules no fixture annotates with `# error:`: {without_hit}"
    assert not without_ok, f"rules no fixture annotates with `# ok:`: {without_ok}"


def test_every_annotated_code_exists() -> None:
    fires, near_misses = _annotations()
    unknown = sorted((set(fires) | set(near_misses)) - set(ALL_RULES))
    assert not unknown, f"fixtures annotate unknown codes {unknown}"
