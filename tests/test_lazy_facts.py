"""Cached module facts read one field at a time (issue 17): a run that lints one edited
file decodes only what its rules ask about, and reads exactly the facts a full decode
gives; a damaged row or field is collected again from the file, never a crash and never a
wrong finding."""

from __future__ import annotations

import ast
import json
import os
import pickle
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import tasklint
from tasklint.project.cache import _plain_key, _read_lines
from tasklint.project.facts import (
    _EAGER_FUNCTION_FIELDS,
    _LAZY_FIELDS,
    _ROW_REQUIRED,
    _ROW_SIZE,
    FunctionFact,
    LazyFunctionFact,
    LazyModuleFacts,
    ModuleFacts,
    _codecs,
    class_defaults,
    module_facts,
    module_from_row,
    module_row,
)
from tests.support.facts import fixture_facts

ROOT = Path(__file__).resolve().parents[1]
SRC = Path(tasklint.__file__).resolve().parents[1]

TASKS = """\
from celery import shared_task
from django.db import transaction


@shared_task(bind=True, max_retries=3)
def charge(self, order_id):
    self.retry(countdown=5)


class Service:
    def run(self):
        return 1


def place(order_id):
    with transaction.atomic():
        charge.delay(order_id)
"""


def _facts(
    source: str = TASKS, module: str = "shop.tasks", path: str = "/p/shop/tasks.py"
) -> ModuleFacts:
    return module_facts(ast.parse(source), module, path, False, None, source)


def _lazy(facts: ModuleFacts, text: str | None = None, heal: Any = None) -> LazyModuleFacts:
    return LazyModuleFacts.from_row(
        module_row(facts) if text is None else text,
        facts.module,
        facts.path,
        facts.is_package,
        heal,
    )


def test_the_lazy_tables_match_the_dataclass() -> None:
    names = _codecs()[ModuleFacts].names
    assert {n: names.index(n) for n in _LAZY_FIELDS} == _LAZY_FIELDS
    assert set(names) - set(_LAZY_FIELDS) == {"module", "path", "is_package"}
    assert (_ROW_REQUIRED, _ROW_SIZE) == (_codecs()[ModuleFacts].required, len(names))
    # a field the class holds a default for is never asked of __getattr__ (Python 3.9's
    # dataclasses have no slots): LazyModuleFacts has none, LazyFunctionFact decodes its
    # own at once
    assert class_defaults(ModuleFacts, _LAZY_FIELDS) == []
    fact = _facts()
    _lazy(fact).functions  # noqa: B018  (fills the function tables)
    function_names = _codecs()[FunctionFact].names
    assert _EAGER_FUNCTION_FIELDS == class_defaults(FunctionFact, function_names)


def test_lazy_facts_equal_the_collected_ones_read_in_any_order() -> None:
    facts = fixture_facts()
    assert len(facts) > 100
    fields = list(_LAZY_FIELDS)
    for i, fact in enumerate(facts):
        text = module_row(fact)
        assert "\n" not in text
        assert module_from_row(text) == fact, fact.path
        lazy = _lazy(fact)
        assert module_row(lazy) == text  # not decoded: written back as it was read
        order = fields[i % len(fields) :] + fields[: i % len(fields)]
        for name in order if i % 2 else reversed(order):
            assert getattr(lazy, name) == getattr(fact, name), (fact.path, name)
        assert lazy == fact and fact == lazy
        assert lazy.cached_text is None  # all decoded: the objects only
        assert module_row(lazy) == text  # and written again byte for byte
        assert pickle.loads(pickle.dumps(lazy)) == fact
        for func in lazy.functions.values():
            assert isinstance(func, LazyFunctionFact)
            assert type(pickle.loads(pickle.dumps(func))) is FunctionFact
            assert pickle.loads(pickle.dumps(func)) == fact.functions[func.name]


def test_only_the_fields_read_are_decoded() -> None:
    fact = _facts()
    lazy = _lazy(fact)
    assert lazy.module == "shop.tasks" and lazy.path == "/p/shop/tasks.py"
    assert lazy.cached_text is not None
    with pytest.raises(AttributeError):
        object.__getattribute__(lazy, "symbols")  # nothing parsed yet
    assert lazy.imported_packages == ["celery", "django"]
    with pytest.raises(AttributeError):
        object.__getattribute__(lazy, "symbols")
    charge = lazy.functions["charge"]
    assert isinstance(charge, LazyFunctionFact)
    with pytest.raises(AttributeError):
        object.__getattribute__(charge, "decorators")
    assert charge.params == fact.functions["charge"].params
    with pytest.raises(AttributeError):
        object.__getattribute__(charge, "decorators")  # still not needed
    assert charge.decorators == fact.functions["charge"].decorators
    assert charge == fact.functions["charge"]
    with pytest.raises(AttributeError):
        lazy.not_a_field  # noqa: B018


def _cells(fact: ModuleFacts) -> list[str]:
    return module_row(fact).split("\t")


def _with_cell(i: int, text: str) -> Any:
    def change(fact: ModuleFacts) -> str:
        cells = _cells(fact)
        cells += ["{}", "{}", "{}", "[]", "[]", "[]", "{}"][len(cells) - 3 :]
        cells[i] = text
        return "\t".join(cells)

    return change


def _function_field(field: str, value: Any) -> Any:
    def change(fact: ModuleFacts) -> str:
        cells = _cells(fact)
        functions = json.loads(cells[4])
        row = functions["charge"]
        row += [None] * (len(_codecs()[FunctionFact].names) - len(row))  # every field
        row[_codecs()[FunctionFact].names.index(field)] = value
        cells[4] = json.dumps(functions)
        return "\t".join(cells)

    return change


DAMAGED_ROWS = {
    "not-json": lambda f: "{not json",
    "empty": lambda f: "",
    "other-module": lambda f: module_row(_facts(module="shop.other")),
    "other-path": lambda f: module_row(_facts(path="/p/shop/other.py")),
    "other-flag": lambda f: "\t".join(
        ["true" if c == "false" else c for c in _cells(f)[:3]] + _cells(f)[3:]
    ),
    "too-few-cells": lambda f: "\t".join(_cells(f)[:2]),
    "too-many-cells": lambda f: "\t".join([*_with_cell(9, "{}")(f).split("\t"), "{}"]),
    "escaped-name": lambda f: "\t".join(['"shop.t\\u0061sks"', *_cells(f)[1:]]),
    "symbols-a-list": _with_cell(3, "[]"),
    "symbols-cut": _with_cell(3, '{"charge": '),
    "functions-not-rows": _with_cell(4, '{"charge": "x"}'),
    "function-row-too-long": _with_cell(4, '{"charge": [' + ", ".join(["1"] * 20) + "]}"),
    "classes-not-a-mapping": _with_cell(5, "7"),
    "imports-a-mapping": _with_cell(6, "{}"),
    "deeply-nested": _with_cell(9, "[" * 100_000 + "]" * 100_000),
    "function-decorators-not-a-list": _function_field("decorators", "x"),
    "function-decorator-not-a-row": _function_field("decorators", [7]),
    "function-keywords-not-a-mapping": _function_field(
        "decorators", [["shared_task", True, 5, 1, []]]
    ),
}


@pytest.mark.parametrize("kind", sorted(DAMAGED_ROWS))
def test_a_damaged_row_takes_the_facts_collected_again(kind: str) -> None:
    fact = _facts()
    healed: list[ModuleFacts] = []

    def heal(damaged: ModuleFacts) -> ModuleFacts:
        healed.append(damaged)
        return _facts()

    lazy = _lazy(fact, DAMAGED_ROWS[kind](fact), heal)
    # every read of every field and of every function's field: the true facts
    for name in _LAZY_FIELDS:
        assert getattr(lazy, name) == getattr(fact, name), name
    for name, func in lazy.functions.items():
        for field in _codecs()[FunctionFact].names:
            assert getattr(func, field) == getattr(fact.functions[name], field), field
    assert lazy == fact
    assert len(healed) == 1 and healed[0] is lazy
    assert lazy.cached_text is None  # written again from the repaired facts


def test_a_damaged_function_field_read_last_repairs_the_module() -> None:
    fact = _facts()
    calls: list[int] = []
    text = _function_field("returns_decorated", "not a decorator")(fact)

    def heal(damaged: ModuleFacts) -> ModuleFacts:
        calls.append(1)
        return _facts()

    lazy = _lazy(fact, text, heal)
    charge = lazy.functions["charge"]
    assert charge.name == "charge" and charge.params == fact.functions["charge"].params
    # the damaged field is not read yet; on Python 3.9 (dataclasses without slots) a field
    # with a class default is decoded with its function, and the module repaired then
    eager = bool(class_defaults(FunctionFact, ["returns_decorated"]))
    assert calls == ([1] if eager else [])
    assert charge.returns_decorated is None
    assert calls == [1]
    assert lazy == fact and charge == fact.functions["charge"]


def test_a_damaged_row_whose_file_cannot_be_read_again_is_empty_never_a_crash() -> None:
    fact = _facts()
    lazy = _lazy(fact, "{not json", heal=lambda damaged: None)
    assert lazy.symbols == {} and lazy.functions == {} and lazy.extras == {}
    assert lazy.module == fact.module
    other = _lazy(fact, _function_field("decorators", "x")(fact), heal=lambda damaged: None)
    charge = other.functions["charge"]
    assert charge.decorators == []  # repaired to nothing known (a blank function)
    assert other.functions == {}


def test_module_keys_read_back_as_written() -> None:
    keys = [
        "/p/a.py",
        '/p/q"uote.py',
        "/p/back\\slash.py",
        "/p/t\tab.py",
        "/p/\x01.py",
        "/p/é.py",
        "",
    ]
    for key in keys:
        text = json.dumps(key)
        assert (_plain_key(text) or json.loads(text)) == key
        assert _plain_key(json.dumps(key, ensure_ascii=False)) in (key, None)
    for text in ['"a"b"', '"a', 'a"', '"', '"\x01"', "1", '"a\\"']:
        assert _plain_key(text) is None, text


def test_module_file_lines_with_odd_keys(tmp_path: Path) -> None:
    keys = ["/p/a.py", '/p/q"uote.py', "/p/back\\slash.py", "/p/t\tab.py", "/p/é.py"]
    path = tmp_path / "modules.json"
    lines = [json.dumps({"version": "x"})] + [
        json.dumps(k) + "\t" + f"row{i}" for i, k in enumerate(keys)
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    meta, found = _read_lines(path)
    assert meta == {"version": "x"}
    assert found == {k: f"row{i}\n" for i, k in enumerate(keys)}


# -- a whole run over a damaged module file --------------------------------------------------


def _run(cwd: Path, *args: str) -> list[dict[str, Any]]:
    env = {**os.environ, "PYTHONPATH": str(SRC), "NO_COLOR": "1"}
    proc = subprocess.run(
        [sys.executable, "-m", "tasklint", "--format", "json", *args, "."],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert "Traceback" not in proc.stderr + proc.stdout, proc.stderr
    data: list[dict[str, Any]] = json.loads(proc.stdout)
    return data


def _rows(project: Path) -> tuple[Path, str, dict[str, str]]:
    (path,) = (project / ".tasklint_cache").glob("modules-*.json")
    header, *lines = path.read_text(encoding="utf-8").splitlines()
    return path, header, dict(line.split("\t", 1) for line in lines)


@pytest.mark.parametrize("tables", ["cached", "made-again"])
@pytest.mark.parametrize("cell", [3, 4, 7, 9])
def test_a_run_over_a_damaged_field_equals_the_cold_run_and_heals_the_file(
    tmp_path: Path, cell: int, tables: str
) -> None:
    project = tmp_path / "proj"
    shutil.copytree(ROOT / "fixtures" / "projects" / "django_split_settings", project)
    cold = _run(project, "--no-cache")
    assert cold and _run(project) == cold
    path, header, rows = _rows(project)
    key = json.dumps(str((project / "shop" / "tasks.py").resolve()))
    good = rows[key]
    cells = good.split("\t")
    cells += ["{}", "{}", "{}", "[]", "[]", "[]", "{}"][len(cells) - 3 :]
    cells[cell] = '"damaged"'
    rows[key] = "\t".join(cells)
    path.write_text(
        "\n".join([header, *(k + "\t" + r for k, r in rows.items())]) + "\n", encoding="utf-8"
    )
    (index,) = (project / ".tasklint_cache").glob("index-*.json")
    assert json.loads(index.read_text(encoding="utf-8"))["tables"]
    if tables == "made-again":  # every module's functions, packages and extras are read
        index.unlink()
    db = project / "shop" / "db.py"  # a comment: its findings alone are computed again
    db.write_text(db.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    assert _run(project) == _run(project, "--no-cache")
    after = _rows(project)[2][key]
    assert after in (good, rows[key])  # repaired when read, else left as it was
    if tables == "made-again" and cell in (4, 7, 9):
        assert after == good


def _tables_file(project: Path) -> Path:
    (index,) = (project / ".tasklint_cache").glob("index-*.json")
    return index


TAMPERED_TABLES = {
    "not-json": "{not json",
    "a-list": "[]",
    "other-facts": None,  # the right tables for other facts: not used
    "packages-not-names": {"packages_used": "django"},
    "pairs-not-pairs": {"yielding_functions": [["a"]]},
    "extras-not-lists": {"extras": {"wrappers": "shop.tasks"}},
    "unknown-table": {"no_such_table": []},
}


@pytest.mark.parametrize("kind", sorted(TAMPERED_TABLES))
def test_index_tables_of_the_cache_are_checked(tmp_path: Path, kind: str) -> None:
    project = tmp_path / "proj"
    shutil.copytree(ROOT / "fixtures" / "projects" / "django_split_settings", project)
    assert _run(project)
    index = _tables_file(project)
    data = json.loads(index.read_text(encoding="utf-8"))
    assert set(data["tables"]) == {"packages_used", "yielding_functions", "extras"}
    assert "django" in data["tables"]["packages_used"]
    change = TAMPERED_TABLES[kind]
    if isinstance(change, str):
        index.write_text(change, encoding="utf-8")
    elif change is None:
        data["facts"] = "0" * 32
        index.write_text(json.dumps(data), encoding="utf-8")
    else:
        data["tables"].update(change)
        index.write_text(json.dumps(data), encoding="utf-8")
    tasks = project / "shop" / "tasks.py"
    tasks.write_text(tasks.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    assert _run(project) == _run(project, "--no-cache")
    written = json.loads(_tables_file(project).read_text(encoding="utf-8"))
    if kind != "unknown-table":  # made again and written back, well formed
        assert written["tables"]["packages_used"] == data["tables"]["packages_used"] or (
            kind == "packages-not-names"
        )
        assert "django" in written["tables"]["packages_used"]


def test_index_tables_follow_the_facts(tmp_path: Path) -> None:
    project = tmp_path / "proj"
    shutil.copytree(ROOT / "fixtures" / "projects" / "django_split_settings", project)
    assert _run(project)
    before = json.loads(_tables_file(project).read_text(encoding="utf-8"))
    assert "arq" not in before["tables"]["packages_used"]
    db = project / "shop" / "db.py"
    db.write_text(db.read_text(encoding="utf-8") + "\nimport arq\n", encoding="utf-8")
    assert _run(project) == _run(project, "--no-cache")
    after = json.loads(_tables_file(project).read_text(encoding="utf-8"))
    assert after["facts"] != before["facts"]
    assert "arq" in after["tables"]["packages_used"]


@pytest.mark.parametrize(
    "cell, text",
    [
        (7, '"celery"'),  # a string where a list of names is
        (7, '["celery", 7]'),
        (8, "[null]"),
        (9, "[]"),
        (3, '{"app": ["call", "7"]}'),  # a line that is not a number
        (3, '{"app": ["call", 7, 8]}'),  # a target that is not a name
        (5, '{"C": ["C", 1, [1]]}'),  # a base that is neither a name nor null
        (6, '[[1, 1, "celery", "shared_task", "module"]]'),  # names not a list
    ],
)
def test_plain_fields_of_the_wrong_type_are_damage(cell: int, text: str) -> None:
    fact = _facts()
    row = _with_cell(cell, text)(fact)
    with pytest.raises(ValueError):
        module_from_row(row)
    lazy = _lazy(fact, row, heal=lambda damaged: _facts())
    assert lazy == fact  # read lazily: repaired from the file


def test_a_base_may_be_unknown() -> None:
    source = "class C(make_base()):\n    pass\n"
    fact = _facts(source)
    assert fact.classes["C"].bases == [None]
    assert module_from_row(module_row(fact)) == fact
    assert _lazy(fact) == fact


def test_an_index_answers_from_the_tables_it_is_given_without_decoding() -> None:
    from tasklint.project.index import TABLES, ProjectIndex

    fact = _facts()
    eager = ProjectIndex(root="/p")
    eager.add(fact)
    made = {name: eager.table(name) for name in TABLES}
    assert made["packages_used"] == ["celery", "django"]
    assert made["yielding_functions"] == [] and made["extras"] == {}
    lazy_index = ProjectIndex(root="/p")
    lazy = _lazy(fact)
    lazy_index.add(lazy)
    lazy_index.use_tables(json.loads(json.dumps(made)))
    assert lazy_index.packages_used() == {"celery", "django"}
    assert lazy_index.yielding_functions() == []
    assert lazy_index.table("extras") == {}
    for name in ("imported_packages", "functions", "extras"):
        with pytest.raises(AttributeError):
            object.__getattribute__(lazy, name)  # answered without reading the facts
    other = ProjectIndex(root="/p")
    other.add(_lazy(fact))
    assert {name: other.table(name) for name in TABLES} == made  # made from lazy facts


def test_yielding_functions_and_extras_tables() -> None:
    from tasklint.project.index import ProjectIndex

    source = (
        "from contextlib import contextmanager\n"
        "from django.db import transaction\n\n\n"
        "@contextmanager\n"
        "def atomic_block():\n"
        "    with transaction.atomic():\n"
        "        yield\n"
    )
    index = ProjectIndex(root="/p")
    index.add(_facts(source, module="shop.db", path="/p/shop/db.py"))
    index.add(_facts())
    assert index.yielding_functions() == [("shop.db", "atomic_block")]
    assert index.is_atomic_context("shop.db.atomic_block")
    source = (ROOT / "fixtures/projects/django_split_settings/mysite/celery.py").read_text()
    settings = _facts(source, "mysite.celery", "/p/mysite/celery.py")
    index.add(settings)
    assert settings.extras and index.table("extras") == {
        name: ["mysite.celery"] for name in settings.extras
    }


def test_modules_the_extras_table_leaves_out_read_no_row(tmp_path: Path) -> None:
    from tasklint.config import Settings
    from tasklint.project import scan_project
    from tasklint.project.cache import FactsCache

    project = tmp_path / "proj"
    shutil.copytree(ROOT / "fixtures" / "projects" / "django_split_settings", project)
    assert _run(project)
    cache = FactsCache(project.resolve())
    index = scan_project(project, Settings(), cache).index()
    holding = {m for ms in index.table("extras").values() for m in ms}
    assert holding and set(index.modules) - holding
    for module, facts in index.modules.items():
        assert isinstance(facts, LazyModuleFacts)
        if module in holding:
            with pytest.raises(AttributeError):
                object.__getattribute__(facts, "extras")
            assert facts.extras
        else:
            assert object.__getattribute__(facts, "extras") == {}
            with pytest.raises(AttributeError):
                object.__getattribute__(facts, "symbols")  # the row is not read
