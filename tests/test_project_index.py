"""Unit tests of facts, the index and the Celery model, built from in-memory sources."""

from __future__ import annotations

import ast
import textwrap

from tasklint.config import Settings
from tasklint.project.celery_config import CeleryModel
from tasklint.project.facts import ModuleFacts, module_facts
from tasklint.project.index import IndexSettings, ProjectIndex


def make_index(files: dict[str, str], settings: IndexSettings | None = None) -> ProjectIndex:
    """An index from {module name: source}; ``pkg/__init__`` modules end with ``.__init__``."""
    index = ProjectIndex(root="/virtual", settings=settings or IndexSettings())
    for name, source in files.items():
        is_package = name.endswith(".__init__")
        module = name[: -len(".__init__")] if is_package else name
        source = textwrap.dedent(source)
        facts = module_facts(
            ast.parse(source), module, f"/virtual/{name}.py", is_package, source=source
        )
        # facts survive the JSON round trip used by the cache
        facts = ModuleFacts.from_json(facts.to_json())
        index.add(facts)
    return index


def test_reexported_app_and_tasks_resolve_across_modules() -> None:
    index = make_index(
        {
            "proj.__init__": "from .celery import app as celery_app\n",
            "proj.celery": "from celery import Celery\napp = Celery('proj')\n",
            "proj.tasks": """
                from proj import celery_app
                from celery import shared_task as st

                @celery_app.task(bind=True)
                def a(self): ...

                @st
                def b(): ...

                def not_a_task(): ...
            """,
        }
    )
    assert index.is_celery_app("proj.celery_app")
    assert index.is_celery_app("proj.celery.app")
    a = index.task("proj.tasks.a")
    assert a is not None and a.library == "celery" and a.bind
    b = index.task("proj.tasks.b")
    assert b is not None and b.library == "celery" and not b.bind
    assert index.task("proj.tasks.not_a_task") is None
    assert index.task("proj.tasks.missing") is None


def test_lookalike_decorators_are_not_tasks() -> None:
    index = make_index(
        {
            "jobs": """
                from huey import RedisHuey
                huey = RedisHuey()

                class App:
                    def task(self, f):
                        return f
                app = App()

                @huey.task()
                def h(): ...

                @app.task
                def u(): ...
            """,
        }
    )
    assert index.task("jobs.h") is None
    assert index.task("jobs.u") is None


def test_celery_factory_function_and_current_app() -> None:
    index = make_index(
        {
            "factory": """
                from celery import Celery, current_app

                def make_celery():
                    return Celery("x")

                app = make_celery()
                default = current_app
            """,
        }
    )
    assert index.is_celery_app("factory.app")
    assert index.is_celery_app("factory.default")


def test_atomic_helpers_through_contextmanager() -> None:
    index = make_index(
        {
            "db": """
                from contextlib import contextmanager
                from django.db import transaction

                @contextmanager
                def traced():
                    with transaction.atomic():
                        with open("x"):
                            yield

                @contextmanager
                def outer():
                    with traced():
                        yield

                @contextmanager
                def not_atomic():
                    yield
            """,
        }
    )
    assert index.is_atomic_context("db.traced")
    assert index.is_atomic_context("db.outer")
    assert not index.is_atomic_context("db.not_atomic")
    assert index.is_atomic_context("django.db.transaction.atomic")


def test_configured_task_decorator_and_atomic_context() -> None:
    index = make_index(
        {
            "proj.deco": "def instrumented_task(f):\n    return f\n",
            "proj.t": "from proj.deco import instrumented_task\n@instrumented_task\ndef t(): ...\n",
        },
        IndexSettings(task_decorators=("proj.deco.instrumented_task",)),
    )
    info = index.task("proj.t.t")
    assert info is not None and info.library == "celery"


def test_constant_folding_and_conditional_assignments() -> None:
    index = make_index(
        {
            "consts": """
                import os
                from datetime import timedelta
                LIMIT = 30 * 60
                EXPIRES = timedelta(days=1)
                FROM_ENV = int(os.environ["X"])
                if os.environ.get("A"):
                    SAME = 5
                else:
                    SAME = 5
                if os.environ.get("B"):
                    DIFFERENT = 1
                else:
                    DIFFERENT = 2
            """,
        }
    )
    symbols = index.modules["consts"].symbols
    assert symbols["LIMIT"].kind == "const" and symbols["LIMIT"].value == 1800
    assert symbols["EXPIRES"].value == 86400.0
    assert symbols["FROM_ENV"].kind == "call"
    assert symbols["SAME"].kind == "const" and symbols["SAME"].value == 5
    assert symbols["DIFFERENT"].kind == "ambiguous"


def test_celery_model_merges_sources_and_marks_dynamic_config_open() -> None:
    index = make_index(
        {
            "proj.__init__": "",
            "proj.limits": "HARD = 600\n",
            "proj.celery": """
                from celery import Celery
                from proj.limits import HARD
                app = Celery("proj", broker="redis://localhost")
                app.conf.update(task_time_limit=HARD)
                app.conf.task_acks_late = True

                dynamic = Celery("dyn")
                dynamic.conf.update(load())
            """,
            "proj.tasks": """
                from proj.celery import app
                @app.task(time_limit=5)
                def t(): ...
            """,
        }
    )
    model = CeleryModel(index, Settings())
    apps = {a.ident: a for a in model.apps}
    app = apps["proj.celery.app"]
    assert app.value("task_time_limit").value == 600  # type: ignore[union-attr]
    assert app.value("broker_url").value == "redis://localhost"  # type: ignore[union-attr]
    assert app.value("task_acks_late").value is True  # type: ignore[union-attr]
    assert not app.is_open
    assert apps["proj.celery.dynamic"].is_open
    (task,) = model.tasks()
    # ``@app.task`` is shared by default: the other app of the package can run it too
    assert task.apps == [app, apps["proj.celery.dynamic"]]
    assert task.options["time_limit"].value.value == 5


def test_django_settings_found_through_setdefault_and_star_imports() -> None:
    index = make_index(
        {
            "site.__init__": "",
            "site.celery": """
                import os
                from celery import Celery
                os.environ.setdefault("DJANGO_SETTINGS_MODULE", "site.settings.prod")
                app = Celery("site")
                app.config_from_object("django.conf:settings", namespace="CELERY")
            """,
            "site.settings.__init__": "",
            "site.settings.base": "CELERY_TASK_TIME_LIMIT = 100\nCELERY_ACKS_LATE = True\nDEBUG = False\n",
            "site.settings.prod": "from .base import *\nCELERY_TASK_TIME_LIMIT = 200\n",
        }
    )
    model = CeleryModel(index, Settings())
    (app,) = model.apps
    assert model.django_settings_module() == "site.settings.prod"
    assert app.value("task_time_limit").value == 200  # type: ignore[union-attr]
    assert app.value("task_acks_late").value is True  # type: ignore[union-attr]  (old name under a namespace)
    assert app.get("debug") is None
