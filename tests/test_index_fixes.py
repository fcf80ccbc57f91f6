"""Index behaviour found while validating TQ401 on real projects (readthedocs.org)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tasklint.config import Settings
from tasklint.engine import lint_paths
from tasklint.project.celery_config import CeleryModel
from tests.test_project_index import make_index

# a Celery app configured from Django settings in proj.settings
DJANGO_WORKER = """
    import os
    from celery import Celery

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "proj.settings")
    app = Celery("proj")
    app.config_from_object("django.conf:settings", namespace="CELERY")
"""


def test_settings_exported_at_run_time_leave_the_configuration_open() -> None:
    index = make_index(
        {
            "proj.__init__": "",
            "proj.worker": DJANGO_WORKER,
            "proj.base": """
                class BaseSettings:
                    CELERY_TASK_TIME_LIMIT = 3600

                    @classmethod
                    def load_settings(cls, module_name): ...
            """,
            "proj.settings": """
                from proj.base import BaseSettings

                class Settings(BaseSettings):
                    DEBUG = False

                Settings.load_settings(__name__)
            """,
        }
    )
    [app] = CeleryModel.of(index, Settings()).apps
    assert app.is_open
    assert any("proj.settings" in r for r in app.open_reasons), app.open_reasons


def test_a_logger_named_after_the_module_does_not_open_the_configuration() -> None:
    index = make_index(
        {
            "proj.worker": """
                import logging
                import os
                from celery import Celery

                logging.getLogger(__name__)
                os.environ.setdefault("DJANGO_SETTINGS_MODULE", "proj.settings")
                app = Celery("proj")
                app.config_from_object("django.conf:settings", namespace="CELERY")
            """,
            "proj.settings": "import logging\nlogging.getLogger(__name__)\nDEBUG = False\n",
        }
    )
    [app] = CeleryModel.of(index, Settings()).apps
    assert not app.is_open


def test_task_named_in_an_unparsable_module_is_unknown_not_absent(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.tasklint]\n")
    shop = tmp_path / "shop"
    shop.mkdir()
    (shop / "__init__.py").write_text("")
    (shop / "celery.py").write_text(
        "from celery import Celery\n"
        "app = Celery('shop')\n"
        "app.conf.beat_schedule = {\n"
        "    'a': {'task': 'shop.broken.cleanup', 'schedule': 60.0},\n"
        "    'b': {'task': 'shop.tasks.missing', 'schedule': 60.0},\n"
        "}\n"
    )
    (shop / "tasks.py").write_text(
        "from shop.celery import app\n@app.task(time_limit=5)\ndef present(): ...\n"
    )
    (shop / "broken.py").write_text("def cleanup(:\n")
    settings = Settings().with_overrides(select=("TQ209",))
    found = lint_paths([tmp_path], settings, use_cache=False, base=tmp_path, root=tmp_path)
    assert [(f.path, f.line) for f in found.findings if f.code == "TQ209"] == [
        ("shop/celery.py", 5)
    ]


EXPORTER = """
    import sys
    from configurations import Configuration

    class BaseSettings{bases}:
        CELERY_TASK_TIME_LIMIT = 3600

        @classmethod
        def load_settings(cls, module_name):
            module = sys.modules[module_name]
            for name in dir(cls):
                if name.isupper():
                    setattr(module, name, getattr(cls, name))
"""


@pytest.mark.parametrize(
    ("bases", "is_open"),
    [
        ("", False),  # a project class chain copied attribute by attribute: fully known
        ("(Configuration)", True),  # a library base may contribute any setting
    ],
)
def test_settings_class_exporter_is_read_when_the_whole_chain_is_known(
    bases: str, is_open: bool
) -> None:
    index = make_index(
        {
            "proj.__init__": "",
            "proj.worker": DJANGO_WORKER,
            "proj.base": EXPORTER.replace("{bases}", bases),
            "proj.settings": """
                from proj.base import BaseSettings

                class Settings(BaseSettings):
                    CELERY_TASK_ACKS_LATE = True

                Settings.load_settings(__name__)
            """,
        }
    )
    [app] = CeleryModel.of(index, Settings()).apps
    assert app.is_open is is_open, app.open_reasons
    acks, limit = app.value("task_acks_late"), app.value("task_time_limit")
    assert acks is not None and acks.kind == "const" and acks.value is True
    assert limit is not None and limit.kind == "const" and limit.value == 3600


def test_split_settings_include_of_a_computed_path_leaves_the_configuration_open() -> None:
    index = make_index(
        {
            "proj.__init__": "",
            "proj.worker": DJANGO_WORKER,
            "proj.settings": """
                import os
                from split_settings.tools import include

                include(os.environ["SETTINGS_FILE"])
            """,
        }
    )
    [app] = CeleryModel.of(index, Settings()).apps
    assert app.is_open and any("proj.settings" in r for r in app.open_reasons), app.open_reasons
