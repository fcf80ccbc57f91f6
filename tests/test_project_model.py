"""Unit tests of the richer project model: task decorator aliases, apps by class and by use,
the worker's app named by deployment files, library-named modules, test-only settings."""

from __future__ import annotations

import pytest

from tasklint.config import Settings
from tasklint.project.celery_config import CeleryModel, is_test_module, settings_only_in_test_config
from tasklint.project.deployment import CeleryCommand, DeploymentFacts, SettingsMention
from tasklint.project.index import ProjectIndex
from tests.test_project_index import make_index


def _with_worker(index: ProjectIndex, app: str) -> ProjectIndex:
    index.deployment = DeploymentFacts(
        celery_commands=[CeleryCommand(app, "worker", "Procfile", 1)]
    )
    return index


APP = "from celery import Celery\n{name} = Celery('x', task_time_limit=30)\n"


@pytest.mark.parametrize(
    ("files", "command", "expected"),
    [
        # -A proj: proj.app, then proj.celery (attribute), then the proj.celery module
        ({"proj.__init__": "", "proj.celery": APP.format(name="app")}, "proj", "proj.celery.app"),
        (
            {
                "proj.__init__": "from .celery import app as celery_app\n",
                "proj.celery": APP.format(name="app"),
            },
            "proj",
            "proj.celery.app",
        ),
        ({"proj.__init__": APP.format(name="app")}, "proj", "proj.app"),
        ({"proj.__init__": APP.format(name="celery")}, "proj", "proj.celery"),
        # the one app of a module, whatever its name
        (
            {"proj.__init__": "", "proj.worker": APP.format(name="application")},
            "proj.worker",
            "proj.worker.application",
        ),
        # module:attribute and module.attribute
        (
            {"proj.__init__": "", "proj.jobs": APP.format(name="queue")},
            "proj.jobs:queue",
            "proj.jobs.queue",
        ),
        (
            {"proj.__init__": "", "proj.jobs": APP.format(name="queue")},
            "proj.jobs.queue",
            "proj.jobs.queue",
        ),
        # nothing to find
        ({"proj.__init__": "", "proj.jobs": APP.format(name="queue")}, "other", None),
        ({"proj.__init__": "", "proj.jobs": APP.format(name="queue")}, "proj.jobs:missing", None),
    ],
)
def test_worker_app_is_found_as_celery_does(
    files: dict[str, str], command: str, expected: str | None
) -> None:
    index = _with_worker(make_index(files), command)
    model = CeleryModel(index, Settings())
    found = model.worker_apps()
    assert [a.ident for a in found] == ([expected] if expected else [])


def test_two_apps_in_one_module_name_no_worker_without_attribute() -> None:
    files = {"proj.__init__": "", "proj.apps": APP.format(name="a") + "b = Celery('y')\n"}
    model = CeleryModel(_with_worker(make_index(files), "proj.apps"), Settings())
    assert model.worker_apps() == []


def test_alias_options_apply_in_order() -> None:
    index = make_index(
        {
            "proj.__init__": "",
            "proj.celery": """
                import functools
                from celery import Celery, shared_task
                app = Celery("proj")
                retrying = shared_task(acks_late=True, time_limit=60, bind=True)
                stricter = functools.partial(retrying, time_limit=30)
                on_app = app.task(queue="low")
                def instrumented(fn):
                    return app.task(soft_time_limit=10)(fn)
            """,
            "proj.tasks": """
                from proj.celery import instrumented, on_app, retrying, stricter

                @retrying(time_limit=90)
                def a(self): ...

                @stricter
                def b(self): ...

                @on_app
                def c(): ...

                @instrumented
                def d(): ...
            """,
        }
    )
    model = CeleryModel(index, Settings())
    tasks = {t.function: t for t in model.tasks()}
    assert tasks["a"].options["time_limit"].value.value == 90  # the decorator's own keyword wins
    assert tasks["a"].options["acks_late"].source == "task decorator alias in proj.celery"
    assert tasks["b"].options["time_limit"].value.value == 30
    assert tasks["c"].options["queue"].value.value == "low"
    assert [a.ident for a in tasks["c"].apps] == ["proj.celery.app"]
    assert tasks["d"].options["soft_time_limit"].value.value == 10
    a = index.task("proj.tasks.a")
    assert a is not None and a.bind  # bind=True from the alias: TQ208 skips ``self``
    assert index.task("proj.celery.retrying") is None  # the alias itself is no task


def test_lookalike_aliases_are_not_task_decorators() -> None:
    index = make_index(
        {
            "proj.tasks": """
                import os
                from celery import shared_task
                from locust import task
                from tenacity import retry

                retrying = retry(stop=3)
                if os.environ.get("X"):
                    twice = shared_task(time_limit=5)
                else:
                    twice = retry(stop=1)
                def wrapper(fn):
                    return retry()(fn)

                @retrying
                def a(): ...

                @task
                def b(): ...

                @twice
                def c(): ...

                @wrapper
                def d(): ...
            """
        }
    )
    for name in "abcd":
        assert index.task(f"proj.tasks.{name}") is None, name


def test_library_named_root_module_does_not_hide_the_library() -> None:
    index = make_index(
        {
            "celery": "x = 1\n",
            "proj.__init__": "",
            "proj.worker": "from celery import Celery\napp = Celery('proj')\n\n@app.task\ndef t(): ...\n",
        }
    )
    assert index.resolve("celery.Celery").external == "celery.Celery"
    assert index.resolve("celery.x").module == "celery"  # what the module defines stays its own
    assert index.is_celery_app("proj.worker.app")
    assert index.task("proj.worker.t") is not None


def test_library_named_root_module_importing_the_library() -> None:
    index = make_index({"celery": "from celery import Celery\napp = Celery('proj')\n"})
    assert index.resolve("celery.Celery").external == "celery.Celery"
    assert index.is_celery_app("celery.app")


def test_library_named_package_stays_the_project() -> None:
    index = make_index({"celery.__init__": "x = 1\n"})
    assert index.resolve("celery.Celery").module == "celery"


def test_settings_named_only_by_test_configuration_are_test_only() -> None:
    index = make_index(
        {
            "manage": "import os\nos.environ.setdefault('DJANGO_SETTINGS_MODULE', 'shop.settings')\n",
            "shop.settings": "X = 1\n",
            "shop.ci": "X = 2\n",
        }
    )
    index.deployment = DeploymentFacts(
        settings_mentions=[
            SettingsMention("shop.ci", "pytest.ini", 2, True),
            SettingsMention("shop.settings", "tox.ini", 3, True),
        ]
    )
    assert settings_only_in_test_config(index) == frozenset({"shop.ci"})
    assert is_test_module("shop.ci", Settings(), index)
    assert not is_test_module("shop.settings", Settings(), index)
    assert not is_test_module("shop.ci", Settings())


def test_an_option_shared_by_many_tasks_is_reported_once() -> None:
    from tests.support.runner import FIXTURES, lint_project

    folder = FIXTURES / "projects" / "task_aliases"
    lines = (folder / "proj" / "celery.py").read_text(encoding="utf-8").splitlines()
    line = next(i for i, text in enumerate(lines, 1) if "max_retries=None" in text)
    findings = lint_project(folder, {"TQ105"})
    assert [(f.path, f.line) for f in findings] == [("proj/celery.py", line)]


def test_partial_alias_named_task_with_calls() -> None:
    index = make_index(
        {
            "feedback.tasks": """
                from functools import partial
                from celery import shared_task
                task = partial(shared_task, bind=True, ignore_result=True)

                @task(max_retries=15, rate_limit="1/s")
                def upload(self, feedback_id): ...

                @task()
                def cleanup(self): ...
            """
        }
    )
    model = CeleryModel(index, Settings())
    tasks = {t.function: t for t in model.tasks()}
    assert set(tasks) == {"upload", "cleanup"}
    assert tasks["upload"].options["max_retries"].value.value == 15
    assert tasks["cleanup"].options["ignore_result"].value.value is True
    upload = index.task("feedback.tasks.upload")
    assert upload is not None and upload.bind
    assert index.tasks_by_module()["feedback.tasks"]  # TQ401 sees the task module


def test_forwarding_decorator_that_edits_its_options_is_not_followed() -> None:
    index = make_index(
        {
            "proj.celery": """
                from celery import Celery
                app = Celery("proj")

                def task(*args, **kwargs):
                    kwargs.setdefault("bind", True)
                    return app.task(*args, **kwargs)

                def plain(*args, **kwargs):
                    return app.task(*args, **kwargs, acks_late=True)

                @task
                def a(self, x): ...

                @plain(bind=True)
                def b(self, x): ...
            """
        }
    )
    # ``bind`` may come from the edited kwargs: not a task tasklint could bind arguments to
    assert index.task("proj.celery.a") is None
    b = index.task("proj.celery.b")
    assert b is not None and b.bind


def test_an_app_assigned_to_no_name_keeps_the_configuration_written_on_it() -> None:
    index = make_index(
        {
            "proj.__init__": "",
            "proj.runtime": """
                from celery import Celery

                def setup(registry):
                    registry["celery.app"] = Celery("x")
                    registry["celery.app"].conf.update(task_time_limit=300)
                    registry["celery.app"].conf.task_acks_late = True
            """,
        }
    )
    (app,) = CeleryModel(index, Settings()).apps
    assert app.ident == "proj.runtime:5"  # module and line: no absolute path in messages
    assert app.value("task_time_limit").value == 300  # type: ignore[union-attr]
    assert app.value("task_acks_late").value is True  # type: ignore[union-attr]
    assert not app.is_open


def test_configuration_reaching_no_known_app_opens_apps_made_in_functions() -> None:
    index = make_index(
        {
            "proj.__init__": "",
            "proj.runtime": """
                from celery import Celery

                class Runtime:
                    def __init__(self):
                        self.celery = Celery("x")

                    def configure(self):
                        self.celery.conf.update(task_time_limit=300)

                def module_level():
                    app = Celery("y", task_acks_late=True)
                    return app
            """,
        }
    )
    apps = CeleryModel(index, Settings()).apps
    assert [a.ident for a in apps] == ["proj.runtime:6", "proj.runtime:12"]
    assert all(a.is_open for a in apps)
    assert apps[1].value("task_acks_late").value is True  # type: ignore[union-attr]
    assert apps[0].value("task_time_limit") is None  # absent here, but the app is open
