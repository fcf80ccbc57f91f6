"""Unit tests of values over names: the per-module folder and the project resolver."""

from __future__ import annotations

import ast
import json
import textwrap
from pathlib import Path

import pytest

from tasklint.config import Settings
from tasklint.engine import lint_paths
from tasklint.project.celery_config import CeleryModel
from tasklint.project.values import resolve_name, resolve_value
from tasklint.rules import ALL_RULES
from tasklint.syntax.constants import MAX_DEPTH, evaluate, fold
from tasklint.syntax.names import NameResolver
from tasklint.syntax.values import Value, as_number, json_safe
from tests.test_project_index import make_index


def folded(source: str, module: str = "m") -> Value:
    """The folded value of the last line of ``source`` (an expression)."""
    tree = ast.parse(textwrap.dedent(source))
    last = tree.body[-1]
    assert isinstance(last, ast.Expr)
    return fold(last.value, NameResolver(tree, module))


def no_names(qualname: str, depth: int) -> Value:
    return Value("unknown")


# -- the folder: a pure function of one tree --------------------------------------------------
@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ("30 * 60", 1800),
        ("60.0", 60.0),
        ("-5", -5),
        ("2 ** 10", 1024),
        ("'a' + 'b'", "ab"),
        ("['json'] + ['yaml']", ["json", "yaml"]),
        ("{'a': 1} | {'b': 2}", {"a": 1, "b": 2}),
        ("timedelta(minutes=5)", 300.0),
        ("timedelta(1)", 86400.0),
        ("timedelta(hours=1).total_seconds()", 3600.0),
        ("int(timedelta(hours=1).total_seconds())", 3600),
        ("dict(a=1, b='x')", {"a": 1, "b": "x"}),
        ("{**{'a': 1}, 'b': 2}", {"a": 1, "b": 2}),
        ("f'redis://host'", "redis://host"),
    ],
)
def test_constant_expressions_fold(expr: str, expected: object) -> None:
    value = folded(f"from datetime import timedelta\n{expr}\n")
    assert value == Value("const", expected)


@pytest.mark.parametrize(
    "expr",
    [
        "float('inf')",
        "float('nan')",
        "1e999",
        "-1e999",
        "3j",
        "b'x'",
        "0x" + "f" * 5000,
        "2 ** 65",
        "10 ** 64 * 10 ** 64 * 10 ** 64",
        "1 / 0",
        "(-8) ** 0.5",
        "'a' * 3",
        "True + 1",
        "int(os.environ['X'])",
        "{**load()}",
    ],
)
def test_values_of_the_wrong_kind_are_unknown(expr: str) -> None:
    value = folded(f"import os\n{expr}\n")
    assert value.kind == "unknown", value
    json.dumps(value.__dict__)  # and JSON-safe, like every Value


def test_names_meeting_operators_stay_symbolic_and_json_safe() -> None:
    value = folded(
        """
        from datetime import timedelta
        from myproj import units
        from .consts import GRACE
        import myproj.units as u2
        HOUR = 3600
        (45 * MINUTE, units.HOUR // 4, HOUR - 2 * GRACE, {"visibility_timeout": VT},
         timedelta(minutes=TTL), -u2.DAY, int(LATER), {**BASE, "x": 1})
        MINUTE = 60
        (45 * MINUTE, units.HOUR // 4, {"visibility_timeout": VT}, {**BASE, "x": 1})
        """,
        module="myproj.tasks",
    )
    assert value.kind == "list"
    items = [Value(**i) for i in value.value]
    assert [i.kind for i in items] == ["expr", "expr", "dict", "expr"]
    assert items[0].value["op"] == "binop" and items[0].value["right"] == {
        "kind": "name",
        "value": None,
        "qualname": "myproj.tasks.MINUTE",  # a module name, also when defined below its use
    }
    assert items[1].value["left"]["qualname"] == "myproj.units.HOUR"
    assert items[3].value["op"] == "merge"
    json.dumps(value.__dict__)


def test_an_unbound_name_is_a_module_name_unless_builtin() -> None:
    assert folded("from .units import *\nHOUR\n", "p.m") == Value("name", qualname="p.m.HOUR")
    assert folded("Exception\n") == Value("name", qualname="builtins.Exception")


def test_a_local_assigned_once_folds_to_its_value() -> None:
    tree = ast.parse("DAY = 86400\ndef f(x):\n    delay = 2 * DAY\n    x = 1\n    g(delay, x)\n")
    func = tree.body[1]
    assert isinstance(func, ast.FunctionDef)
    resolver = NameResolver(tree, "m")
    scope = resolver.scope_of(func)
    call = func.body[-1]
    assert isinstance(call, ast.Expr) and isinstance(call.value, ast.Call)
    delay, x = call.value.args
    assert fold(delay, resolver, scope).kind == "expr"
    assert fold(x, resolver, scope).kind == "unknown"  # a parameter rebound: not one value


ONE = {"kind": "const", "value": 1, "qualname": None}


def test_evaluate_bounds_depth_and_never_raises() -> None:
    deep = Value("const", 1)
    for _ in range(MAX_DEPTH + 5):
        deep = Value(
            "expr",
            {"op": "binop", "operator": "Add", "left": deep.__dict__, "right": ONE},
        )
    assert evaluate(deep, no_names).kind == "unknown"
    assert evaluate(Value("expr", {"op": "bogus"}), no_names).kind == "unknown"
    assert evaluate(Value("expr", {"op": "binop", "left": 3}), no_names).kind == "unknown"


def test_json_safe_and_as_number_refuse_what_cannot_be_compared() -> None:
    with pytest.raises(ValueError):
        json_safe(1 << 200)
    with pytest.raises(ValueError):
        json_safe(float("inf"))
    assert [as_number(v) for v in (5, 2.5, True, -1, "5", None, [1], float("nan"))] == [
        5.0,
        2.5,
        None,
        None,
        None,
        None,
        None,
        None,
    ]


# -- the resolver: names across the project ---------------------------------------------------
UNITS = {
    "myproj.__init__": "",
    "myproj.units": "MINUTE = 60\nHOUR = 60 * MINUTE\nDAY = 24 * HOUR\n",
    "myproj.consts": "from .units import *\nGRACE = 5 * MINUTE\n",
    "myproj.more": "from myproj.consts import *\nfrom .units import HOUR as H\n",
}


def test_names_resolve_through_imports_star_imports_and_module_attributes() -> None:
    index = make_index(
        {
            **UNITS,
            "myproj.tasks": """
                from myproj import units
                import myproj.units as u2
                import myproj.units
                from myproj.more import *
                from myproj.consts import GRACE, HOUR

                A = units.HOUR // 4
                B = HOUR - 2 * GRACE
                C = {"visibility_timeout": VT}
                D = timedelta(minutes=TTL)
                E = -u2.DAY + myproj.units.MINUTE
                F = H * DAY
                VT = 2 * HOUR
                TTL = 10
                from datetime import timedelta
                """,
        }
    )
    got = {n: resolve_name(index, f"myproj.tasks.{n}") for n in "ABCDEF"}
    assert got == {
        "A": Value("const", 900),
        "B": Value("const", 3000),
        "C": Value("const", {"visibility_timeout": 7200}),
        "D": Value("const", 600.0),
        "E": Value("const", -86340),
        "F": Value("const", 3600 * 86400),
    }


def test_what_cannot_be_followed_is_unknown() -> None:
    chain = "\n".join(["A0 = 1", *(f"A{i} = A{i - 1} + 1" for i in range(1, 40))])
    index = make_index(
        {
            **UNITS,
            "myproj.m": f"""
import os
from thirdparty import *
{chain}
TWICE = 1
if os.environ.get("X"):
    TWICE = 2
SAME = 5
if os.environ.get("X"):
    SAME = 5
SELF = SELF + 1
LOOP_A = LOOP_B * 2
LOOP_B = LOOP_A * 2
ENV = int(os.environ["T"])
FROM_STAR_ELSEWHERE = NOT_DEFINED_ANYWHERE
""",
        }
    )

    def value(name: str) -> Value:
        return resolve_name(index, f"myproj.m.{name}")

    assert value("A3") == Value("const", 4)  # short chains resolve
    assert value("A39").kind == "unknown"  # too long: Unknown, never Absent
    assert value("TWICE").kind == "unknown"
    assert value("SAME") == Value("const", 5)
    for name in ("SELF", "LOOP_A", "ENV", "FROM_STAR_ELSEWHERE", "MISSING"):
        assert value(name).kind == "unknown", name


def test_an_unreadable_star_import_makes_a_name_unknown_not_absent() -> None:
    index = make_index({"p.__init__": "", "p.a": "from .broken import *\nX = Y * 2\n"})
    index.unreadable_modules.add("p.broken")
    assert resolve_name(index, "p.a.X").kind == "unknown"


def test_external_names_are_kept_and_containers_resolve_per_item() -> None:
    index = make_index(
        {
            **UNITS,
            "myproj.t": """
                from myproj.units import HOUR
                import os
                L = [HOUR, os.environ["X"], Exception]
                """,
        }
    )
    value = resolve_name(index, "myproj.t.L")
    assert value.kind == "list"
    assert [Value(**i) for i in value.value] == [
        Value("const", 3600),
        Value("unknown"),
        Value("name", qualname="builtins.Exception"),
    ]
    assert resolve_value(index, Value("name", qualname="celery.Task")) == Value(
        "name", qualname="celery.Task"
    )


def test_splats_contribute_known_keys_to_tasks_and_apps() -> None:
    index = make_index(
        {
            **UNITS,
            "myproj.celery": """
                from celery import Celery, shared_task
                from .units import *

                app = Celery("p", **OPTS)
                app.conf.update(**DEFAULTS)
                app.conf.update(EXTRA)

                @shared_task(**LIMITS)
                def known(): ...

                @shared_task(**load())
                def opened(): ...

                OPTS = {"broker": "redis://localhost/0"}
                DEFAULTS = dict(task_acks_late=True, task_time_limit=HOUR)
                EXTRA = {**DEFAULTS, "task_soft_time_limit": HOUR - MINUTE}
                LIMITS = {"time_limit": 20 * MINUTE, "acks_late": True}
                """,
        }
    )
    model = CeleryModel.of(index, Settings())
    (app,) = model.apps
    assert not app.is_open, app.open_reasons
    assert {k: app.value(k) for k in ("broker_url", "task_time_limit", "task_soft_time_limit")} == {
        "broker_url": Value("const", "redis://localhost/0"),
        "task_time_limit": Value("const", 3600),
        "task_soft_time_limit": Value("const", 3540),
    }
    tasks = {t.function: t for t in model.tasks()}
    assert not tasks["known"].options_open
    assert tasks["known"].options["time_limit"].value == Value("const", 1200)
    assert tasks["known"].options["time_limit"].line == 9  # the ``**LIMITS`` line
    assert tasks["opened"].options_open


# -- TQ002 names the file that caused it --------------------------------------------------------
def test_a_failing_project_rule_is_reported_on_the_file_it_was_reading(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "p"\n')
    pkg = tmp_path / "p"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "a_first.py").write_text("X = 1\n")
    (pkg / "celery.py").write_text("from celery import Celery\napp = Celery('p')\n")
    (pkg / "tasks.py").write_text(
        "from p.celery import app\n\n@app.task(time_limit=5)\ndef explode(): ...\n"
    )

    def boom(self: object, index: object, settings: Settings) -> object:
        for task in CeleryModel.of(index, settings).tasks():  # type: ignore[arg-type]
            if task.function == "explode":
                raise OverflowError("boom")
        return iter(())

    monkeypatch.setattr(ALL_RULES["TQ102"], "check_project", boom)
    settings = Settings().with_overrides(select=("TQ002", "TQ102"))
    result = lint_paths([tmp_path], settings, use_cache=False, base=tmp_path, root=tmp_path)
    errors = [(f.path, f.code) for f in result.findings]
    assert errors == [("p/tasks.py", "TQ002")]


def test_a_dict_changed_in_place_at_module_level_is_unknown() -> None:
    index = make_index(
        {
            "p.__init__": "",
            "p.s": """
                import os
                OPTIONS = {"visibility_timeout": 60}
                OPTIONS["visibility_timeout"] = 43200
                LIMITS = {"time_limit": 60}
                if os.environ.get("SLOW"):
                    LIMITS.update(time_limit=600)
                KEPT = {"time_limit": 60}
                KEPT_COPY = dict(**KEPT)
                app_like = {"a": 1}.copy()
                """,
        }
    )
    assert resolve_name(index, "p.s.OPTIONS").kind == "unknown"
    assert resolve_name(index, "p.s.LIMITS").kind == "unknown"
    assert resolve_name(index, "p.s.KEPT") == Value("const", {"time_limit": 60})
    assert resolve_name(index, "p.s.KEPT_COPY") == Value("const", {"time_limit": 60})


def test_a_retry_countdown_from_a_local_is_not_the_module_constant_of_that_name() -> None:
    index = make_index(
        {
            "p.__init__": "",
            "p.tasks": """
                from celery import shared_task
                DELAY = 10 ** 6
                DAY = 86400

                @shared_task(bind=True)
                def t(self, attempt):
                    DELAY = 5 * attempt
                    self.retry(countdown=DELAY)
                    self.retry(countdown=2 * DAY)
                """,
        }
    )
    calls = index.modules["p.tasks"].functions["t"].retry_calls
    values = [resolve_value(index, Value(**c["countdown"]["value"])) for c in calls]
    assert sorted((v.kind, v.value) for v in values) == [("const", 172800), ("unknown", None)]


def test_long_expressions_keep_the_module_facts_of_their_collector() -> None:
    terms = " + ".join(f"T{i}" for i in range(25))
    defs = "\n".join(f"T{i} = {i}" for i in range(25))
    index = make_index(
        {
            "p.__init__": "",
            "p.celery": f"from celery import Celery\n{defs}\napp = Celery('p', task_time_limit={terms})\n",
        }
    )
    (app,) = CeleryModel.of(index, Settings()).apps
    assert app.value("task_time_limit") == Value("const", sum(range(25)))


def test_a_star_import_below_an_assignment_rebinds_the_name() -> None:
    index = make_index(
        {
            "p.__init__": "",
            "p.base": "VT = 100\nKEEP = 1\n",
            "p.local": "VT = 500\n",
            "p.settings": """
                VT = 10
                KEEP = 2
                OWN = 3
                from .base import *
                try:
                    from .local import *
                except ImportError:
                    pass
                try:
                    from .not_in_the_repository import *
                except ImportError:
                    pass
                """,
        }
    )
    got = {n: resolve_name(index, f"p.settings.{n}").value for n in ("VT", "KEEP", "OWN")}
    assert got == {"VT": 500, "KEEP": 1, "OWN": 3}


def test_a_base_class_chain_too_deep_to_follow_leaves_the_options_unknown() -> None:
    classes = "\n".join(f"class B{i}(B{i + 1}): pass" for i in range(15))
    index = make_index(
        {
            "p.__init__": "",
            "p.tasks": f"""
from celery import Celery, Task
app = Celery("p")
class B15(Task):
    time_limit = 60
{classes}
class Short(B14): pass

@app.task(base=B0)
def deep(): ...

@app.task(base=Short)
def short(): ...
""",
        }
    )
    tasks = {t.function: t for t in CeleryModel.of(index, Settings()).tasks()}
    assert tasks["deep"].options_open and "time_limit" not in tasks["deep"].options
    assert tasks["short"].options["time_limit"].value == Value("const", 60)


def test_bind_true_through_a_constant_or_a_splat_is_seen() -> None:
    index = make_index(
        {
            "p.__init__": "",
            "p.t": """
                from celery import shared_task
                BOUND = {"bind": True, "max_retries": 3}
                YES = True

                @shared_task(**BOUND)
                def a(self, x): ...

                @shared_task(bind=YES)
                def b(self, x): ...

                @shared_task(max_retries=3)
                def c(x): ...
                """,
        }
    )
    binds = {}
    for name in "abc":
        info = index.task(f"p.t.{name}")
        assert info is not None
        binds[name] = info.bind
    assert binds == {"a": True, "b": True, "c": False}
