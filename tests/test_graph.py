"""Unit tests of the import graph layer (project/graph.py) and the facts it is built from."""

from __future__ import annotations

from pathlib import Path

from tasklint.config import Settings
from tasklint.project import build_index
from tasklint.project.discovery import module_name_for
from tasklint.project.facts import ImportFact
from tasklint.project.graph import ImportGraph, statement_targets
from tests.test_project_index import make_index


def edges(index_files: dict[str, str]) -> dict[str, set[str]]:
    graph = make_index(index_files).import_graph
    return {m: graph.imports_of(m) for m in graph.modules if graph.imports_of(m)}


# -- queries on a graph built in code ----------------------------------------------------


def chain_graph() -> ImportGraph:
    graph = ImportGraph()
    for a, b in [
        ("t", "m"),
        ("m", "s"),
        ("s", "t"),
        ("t", "a"),
        ("a", "b"),
        ("b", "t"),
        ("t", "x"),
        ("x", "y"),
        ("y", "z"),
        ("z", "t"),
        ("q", "t"),
    ]:
        graph.add_import(a, b, line=1)
    return graph


def test_shortest_chain_is_shortest_then_lexicographic() -> None:
    graph = chain_graph()
    assert graph.cycle_through("t", "m") == ("t", "m", "s", "t")
    assert graph.cycle_through("t", "x") == ("t", "x", "y", "z", "t")
    # two chains of equal length from q: only one exists here; add a lexicographically
    # smaller one and check it is chosen
    graph.add_import("t", "c")
    graph.add_import("c", "s")
    assert graph.shortest_chain("t", "s") == ("t", "c", "s")
    assert graph.shortest_chain("q", "z") == ("q", "t", "x", "y", "z")
    assert graph.shortest_chain("s", "q") is None
    assert graph.cycle_through("t", "q") is None  # q imports t, not the other way round


def test_components_and_in_cycle() -> None:
    graph = chain_graph()
    graph.add_import("lonely", "t")
    cyclic = [c for c in graph.strongly_connected_components() if len(c) > 1]
    assert cyclic == [frozenset({"t", "m", "s", "a", "b", "x", "y", "z"})]
    assert graph.in_cycle("t") and graph.in_cycle("z")
    assert not graph.in_cycle("q") and not graph.in_cycle("lonely")
    assert not graph.in_cycle("not-a-module")


def test_cycle_distances_search_only_the_cycle_and_give_the_same_chains() -> None:
    graph = chain_graph()
    graph.add_import("lonely", "t")  # above the cycle: reaches t, but t never reaches it
    graph.add_import("t", "c")
    graph.add_import("c", "s")
    graph.add_import("t", "outside")  # imported by t, never leads back
    full = graph.distances_to("t")
    assert full["q"] == 1 and full["lonely"] == 1
    cycle = graph.cycle_distances_to("t")
    assert cycle == {m: d for m, d in full.items() if m not in ("q", "lonely")}
    for first in sorted(graph.imports_of("t")):
        assert graph.shortest_chain(first, "t", cycle) == graph.shortest_chain(first, "t", full)
    assert graph.shortest_chain("outside", "t", cycle) is None
    assert graph.cycle_distances_to("q") == {"q": 0}  # in no cycle: nothing leads back
    graph.add_import("t", "q")  # now q is in the cycle: the memo is rebuilt
    assert graph.cycle_distances_to("t")["q"] == 1


def test_self_import_is_no_edge_and_distances() -> None:
    graph = ImportGraph()
    graph.add_import("a", "a")
    graph.add_import("a", "b")
    assert graph.imports_of("a") == {"b"}
    assert graph.importers_of("b") == {"a"}
    assert graph.distances_to("b") == {"b": 0, "a": 1}
    assert not graph.in_cycle("a")


def test_deep_chain_does_not_recurse() -> None:
    graph = ImportGraph()
    n = 5000
    for i in range(n):
        graph.add_import(f"m{i}", f"m{i + 1}")
    graph.add_import(f"m{n}", "m0")
    assert graph.in_cycle("m0")
    chain = graph.cycle_through("m0", "m1")
    assert chain is not None and len(chain) == n + 2


# -- statement resolution ----------------------------------------------------------------


def imp(module: str, names: list[str] | None = None) -> ImportFact:
    return ImportFact(1, 1, module, names or [], "module")


MODULES = {m: None for m in ["a", "a.b", "a.b.c", "a.d", "x", "x.y"]}


def test_statement_targets_follow_python_import_semantics() -> None:
    # import a.b.c runs a, a.b and a.b.c
    assert statement_targets("x", imp("a.b.c"), MODULES) == ["a", "a.b", "a.b.c"]
    # the enclosing packages of the importer are already started: no edge
    assert statement_targets("a.d", imp("a.b.c"), MODULES) == ["a.b", "a.b.c"]
    # from a.b import c: c is a submodule
    assert statement_targets("x", imp("a.b", ["c"]), MODULES) == ["a", "a.b", "a.b.c"]
    # from a import b, d (both submodules) inside package a: no read of a's namespace
    assert statement_targets("a.b.c", imp("a", ["b", "d"]), MODULES) == ["a.d"]
    # from a import NAME inside package a: reads a possibly unfinished namespace
    assert statement_targets("a.d", imp("a", ["NAME"]), MODULES) == ["a"]
    assert statement_targets("a.d", imp("a", ["*"]), MODULES) == ["a"]
    # a package reading a name from itself: nothing
    assert statement_targets("a", imp("a", ["NAME"]), MODULES) == []
    # third-party modules are not part of the graph
    assert statement_targets("a", imp("celery", ["Celery"]), MODULES) == []
    # a submodule the index does not know: the packages on the way still run
    assert statement_targets("x", imp("a.b.generated"), MODULES) == ["a", "a.b"]


def test_only_imports_that_run_at_import_time_make_edges() -> None:
    found = edges(
        {
            "app.__init__": "",
            "app.tasks": """
                import typing
                from typing import TYPE_CHECKING

                from app import models
                from . import late  # noqa

                if TYPE_CHECKING:
                    from app import hints
                if typing.TYPE_CHECKING:
                    import app.hints2
                if TYPE_CHECKING is True:
                    import app.hints3

                try:
                    from app import optional
                except ImportError:
                    optional = None

                def run():
                    from app import lazy

                class Task:
                    from app import in_class

                if __name__ == "__main__":
                    import app.script
                else:
                    import app.imported
            """,
            "app.models": "",
            "app.late": "",
            "app.hints": "",
            "app.hints2": "",
            "app.hints3": "",
            "app.optional": "",
            "app.lazy": "",
            "app.in_class": "",
            "app.script": "",
            "app.imported": "",
        }
    )
    assert found == {"app.tasks": {"app.models", "app.late", "app.in_class", "app.imported"}}


def test_package_init_reexporting_tasks_is_no_cycle() -> None:
    index = make_index(
        {
            "billing.__init__": "from .tasks import charge\n",
            "billing.tasks": """
                from celery import shared_task
                import billing.models
                from billing import models

                @shared_task
                def charge(): ...
            """,
            "billing.models": "",
        }
    )
    graph = index.import_graph
    assert graph.imports_of("billing") == {"billing.tasks"}
    assert graph.imports_of("billing.tasks") == {"billing.models"}
    assert not graph.in_cycle("billing.tasks")
    assert [t.name for t in index.tasks_by_module()["billing.tasks"]] == ["charge"]


def test_reading_a_name_from_an_importing_package_is_a_cycle() -> None:
    graph = make_index(
        {
            "crm.__init__": "from .tasks import sync\nDEFAULT = 1\n",
            "crm.tasks": "from crm import DEFAULT\n",
        }
    ).import_graph
    assert graph.cycle_through("crm.tasks", "crm") == ("crm.tasks", "crm", "crm.tasks")


def test_task_modules_of_every_library() -> None:
    index = make_index(
        {
            "jobs.__init__": "",
            "jobs.actors": "import dramatiq\n@dramatiq.actor\ndef a(): ...\n",
            "jobs.rq_jobs": "from rq.decorators import job\n@job('default')\ndef r(): ...\n",
            "jobs.arq_jobs": "async def fetch(ctx): ...\nasync def helper(): ...\n",
            "jobs.worker": """
                from arq import cron
                from jobs.arq_jobs import fetch

                class WorkerSettings:
                    functions = [fetch]
            """,
            "jobs.plain": "def f(): ...\n",
        }
    )
    found = {m: [(t.library, t.name) for t in ts] for m, ts in index.tasks_by_module().items()}
    assert found == {
        "jobs.actors": [("dramatiq", "a")],
        "jobs.arq_jobs": [("arq", "fetch")],
        "jobs.rq_jobs": [("rq", "r")],
    }


def test_app_returned_through_a_local_variable_is_a_celery_app() -> None:
    index = make_index(
        {
            "proj.worker": """
                from celery import Celery

                def create():
                    application = Celery("proj")
                    application.autodiscover_tasks()
                    return application

                app = create()
            """,
            "proj.tasks": "from proj.worker import app\n@app.task\ndef t(): ...\n",
        }
    )
    assert index.is_celery_app("proj.worker.app")
    assert "proj.tasks" in index.tasks_by_module()


# -- discovery -----------------------------------------------------------------------------


def test_namespace_directory_inside_a_package(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.tasklint]\n")
    pkg = tmp_path / "pkg"
    (pkg / "tasks").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "tasks" / "builds.py").write_text("")
    scripts = tmp_path / "scripts"
    scripts.mkdir()
    (scripts / "tool.py").write_text("")
    assert module_name_for(pkg / "tasks" / "builds.py") == ("pkg.tasks.builds", False)
    assert module_name_for(scripts / "tool.py") == ("tool", False)


def test_loose_module_below_root_does_not_shadow_a_library(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.tasklint]\n")
    (tmp_path / "deploy").mkdir()
    (tmp_path / "deploy" / "celery.py").write_text("CELERY_BROKER_URL = 'redis://'\n")
    (tmp_path / "proj").mkdir()
    (tmp_path / "proj" / "__init__.py").write_text("")
    (tmp_path / "proj" / "worker.py").write_text("from celery import Celery\napp = Celery('p')\n")
    index, _ = build_index(tmp_path, Settings(), use_cache=False)
    assert "celery" not in index.modules
    assert index.is_celery_app("proj.worker.app")
