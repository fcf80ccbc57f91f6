"""The worker's import set (project/worker_imports.py): the textual helpers that decide
whether a computed import may run while the worker starts, and the inventory reasons."""

from __future__ import annotations

import ast
from pathlib import Path

from tasklint.config import Settings
from tasklint.project import build_index
from tasklint.project.worker_imports import WorkerImports, _decorated, _enclosing_def, _writes

SOURCE = '''\
"""docstring naming load()"""
import importlib

VALUE = compute(
    load("x"),
)


def outer(
    name: str,
) -> None:
    if name:
        return load(name)


class Holder:
    attr = load("y")

    @property
    def value(self):
        return load("z")

    def plain(self):
        return 1


@receiver(post_save)
def handler(sender, **kwargs):
    pass


@app.task(
    bind=True,
)
def task_like(self):
    pass


@receiver(
    post_save,
)
def late_handler(sender, **kwargs):
    pass
'''


def lines() -> list[str]:
    return SOURCE.splitlines()


def line_of(text: str, start: int = 0) -> int:
    return next(i for i, line in enumerate(lines()) if i >= start and text in line)


def test_enclosing_def_reads_indentation() -> None:
    src = lines()
    assert _enclosing_def(src, line_of('load("x")')) is None  # a continuation at module level
    assert _enclosing_def(src, line_of("return load(name)")) == "outer"  # past `) -> None:`
    assert _enclosing_def(src, line_of('attr = load("y")')) is None  # a class body runs
    assert _enclosing_def(src, line_of('return load("z")')) == "value"


def test_decorated_tells_start_up_decorators_from_passive_ones() -> None:
    src = lines()
    assert not _decorated(src, line_of("def outer("))
    assert _decorated(src, line_of("def value("))  # a property runs on attribute access
    assert not _decorated(src, line_of("def plain("))
    assert _decorated(src, line_of("def handler("))  # a signal receiver
    # decorators spread over lines are read from their first line
    assert not _decorated(src, line_of("def task_like("))  # a task runs when called
    assert _decorated(src, line_of("def late_handler("))


def write(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def test_registration_names_the_discovery_path(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "pyproject.toml": "[tool.tasklint]\n",
            "proj/__init__.py": "",
            "proj/app.py": (
                "from celery import Celery\n\n"
                "app = Celery('proj', include=['proj.jobs'])\n"
                "app.autodiscover_tasks(['shop'])\n"
            ),
            "proj/jobs.py": "from proj import helpers\n",
            "proj/helpers.py": "def lazy():\n    from proj import later\n",
            "proj/later.py": "",
            "proj/orphan.py": "",
            "shop/__init__.py": "",
            "shop/tasks.py": "",
        },
    )
    index, _ = build_index(tmp_path, Settings(), use_cache=False)
    worker = WorkerImports.of(index, Settings())
    assert worker.unknown is None
    assert worker.registration("proj.jobs").reason.startswith("named by include=")
    assert worker.registration("proj.helpers").reason == "imported by proj.jobs"
    assert worker.registration("shop.tasks").reason == (
        "discovered by autodiscover_tasks('shop') as `tasks`"
    )
    assert worker.registration("proj").reason == "the parent package of proj.app"
    later = worker.registration("proj.later")
    assert later.state == "unknown" and "inside a function of proj.helpers" in later.reason
    assert worker.registration("proj.orphan").state == "unregistered"


def _plugin_project(root: Path, called_at_import: bool) -> None:
    files = {
        "pyproject.toml": "[tool.tasklint]\n",
        "proj/__init__.py": "",
        "proj/app.py": "from celery import Celery\n\napp = Celery('proj', include=['proj.jobs'])\n",
        "proj/jobs.py": "".join(f"from proj import m{k}\n" for k in range(12)),
        "proj/orphan.py": "",
    }
    for k in range(12):  # many computed imports in functions of the same few names
        files[f"proj/m{k}.py"] = (
            "import importlib\n\n\n"
            f"def load_{k % 3}(name):\n    return importlib.import_module(name)\n\n\n"
            f"def helper_{k}():\n    return load_{k % 3}('x')\n"
        )
    if called_at_import:  # the last module by name runs one helper at import
        files["proj/m9.py"] += "\n\nVALUE = helper_9()\n"
    write(root, files)


def test_computed_imports_in_functions_never_run_leave_the_set_known(tmp_path: Path) -> None:
    _plugin_project(tmp_path, called_at_import=False)
    index, _ = build_index(tmp_path, Settings(), use_cache=False)
    worker = WorkerImports.of(index, Settings())
    assert worker.unknown is None
    assert worker.registration("proj.m11").state == "registered"
    assert worker.registration("proj.orphan").state == "unregistered"


def test_computed_import_reached_from_module_level_makes_the_set_unknown(tmp_path: Path) -> None:
    _plugin_project(tmp_path, called_at_import=True)
    index, _ = build_index(tmp_path, Settings(), use_cache=False)
    worker = WorkerImports.of(index, Settings())
    # load_0 (m0, m3, m6, m9) may run: m9 calls helper_9 at import, which calls load_0; the
    # first computed import found by module name is m0's
    assert worker.unknown == (
        "a computed module name is imported at proj/m0.py:5, in `load_0()`, which may run "
        "while the worker starts"
    )
    assert worker.registration("proj.orphan").state == "unknown"


SETTINGS_WRITES = """\
import os
from proj.base import *

MIDDLEWARE += ["proj.mw.A"]
if os.environ.get("X"):
    LOGGING["handlers"]["db"] = {"class": "proj.log.DbHandler"}
try:
    STORAGE, OTHER = "proj.storage.S3", "proj.other"
except ImportError:
    pass
for name in ["proj.extra.One"]:
    PLUGINS.append(name)
NAME = f"proj.{os.environ['X']}.Handler"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "proj.settings")


def later():
    MIDDLEWARE.append("proj.never.Called")


class Holder:
    VALUE = "proj.in_class"
"""


def test_settings_writes_every_branch_at_module_level() -> None:
    tree = ast.parse(SETTINGS_WRITES)
    found = [(w.key, w.where, w.mutates, w.strings) for w in _writes(tree.body, "s.py")]
    assert found == [
        ("MIDDLEWARE", "s.py:4", True, ("proj.mw.A",)),
        ("LOGGING", "s.py:6", True, ("proj.log.DbHandler", "class", "db", "handlers")),
        ("STORAGE", "s.py:8", False, ("proj.other", "proj.storage.S3")),
        ("OTHER", "s.py:8", False, ("proj.other", "proj.storage.S3")),
        ("PLUGINS", "s.py:12", True, ("proj.extra.One",)),  # what the loop goes over
        ("NAME", "s.py:13", False, ()),  # pieces of an f-string name nothing
        ("os", "s.py:14", True, ("proj.settings", "DJANGO_SETTINGS_MODULE")),
    ]


def _unknown_settings_project(root: Path, extra: str) -> None:
    write(
        root,
        {
            "pyproject.toml": "[tool.tasklint]\n",
            "proj/__init__.py": "",
            "proj/celery.py": (
                "import os\nfrom celery import Celery\n\n"
                "os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'proj.settings')\n"
                "app = Celery('proj')\n"
                "app.config_from_object('django.conf:settings', namespace='CELERY')\n"
            ),
            "proj/settings.py": (
                "import os\n\nINSTALLED_APPS = []\nMIDDLEWARE = ['proj.mw.Audit']\n" + extra
            ),
            "proj/mw.py": "",
            "proj/routing.py": "",
        },
    )


def test_unknown_setting_counts_every_string_written_to_it(tmp_path: Path) -> None:
    _unknown_settings_project(
        tmp_path, "if os.environ.get('R'):\n    MIDDLEWARE.append('proj.routing.Router')\n"
    )
    index, _ = build_index(tmp_path, Settings(), use_cache=False)
    worker = WorkerImports.of(index, Settings())
    assert worker.unknown is None
    assert worker.registration("proj.routing").reason == (
        "a dotted path in settings.MIDDLEWARE (proj/settings.py:6; its value is not known: "
        "every string written to it counts)"
    )
    assert worker.registration("proj.mw").state == "registered"


def test_known_setting_keeps_its_reason(tmp_path: Path) -> None:
    _unknown_settings_project(tmp_path, "")
    index, _ = build_index(tmp_path, Settings(), use_cache=False)
    worker = WorkerImports.of(index, Settings())
    assert worker.registration("proj.mw").reason == "a dotted path in settings.MIDDLEWARE"
    assert worker.registration("proj.routing").state == "unregistered"
