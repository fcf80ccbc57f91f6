"""Generate a Django + Celery project of many task modules, for benchmarking.

``python benchmarks/generate.py OUT [--modules 3000] [--seed 1]`` writes a project with a
Celery app, split Django settings (broker options, time limits, routes), and OUT/apps/
app_N/{__init__,models,services,tasks}.py: tasks with retry/time-limit options, enqueues
inside and outside ``transaction.atomic``, ``on_commit`` callbacks, helpers that enqueue
through a call chain, and the odd pitfall (so the benchmark lints realistic code, with
findings). Deterministic for a given seed; installs and imports nothing.
"""

from __future__ import annotations

import argparse
import random
from pathlib import Path

CELERY_APP = """import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shopsite.settings.production")

app = Celery("shopsite")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
"""

SETTINGS_BASE = """from datetime import timedelta

INSTALLED_APPS = [{apps}]
DATABASES = {{"default": {{"ENGINE": "django.db.backends.postgresql", "NAME": "shop"}}}}
ATOMIC_REQUESTS = False

CELERY_BROKER_URL = "redis://localhost:6379/0"
CELERY_RESULT_BACKEND = "redis://localhost:6379/1"
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_EXPIRES = timedelta(days=1)
CELERY_BROKER_TRANSPORT_OPTIONS = {{"visibility_timeout": 7200}}
CELERY_TASK_TIME_LIMIT = 1800
CELERY_TASK_SOFT_TIME_LIMIT = 1500
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_ROUTES = {{
    "apps.app_0.tasks.*": {{"queue": "priority"}},
}}
"""

SETTINGS_PROD = """from .base import *  # noqa: F401,F403

DEBUG = False
CELERY_BROKER_HEARTBEAT = 30
"""

MODELS = """from django.db import models


class {model}(models.Model):
    name = models.CharField(max_length=200)
    total = models.DecimalField(max_digits=10, decimal_places=2, default=0)
    status = models.CharField(max_length=20, default="new")
    created = models.DateTimeField(auto_now_add=True)

    def mark_paid(self):
        self.status = "paid"
        self.save(update_fields=["status"])
"""

SERVICES = """from django.db import transaction

from .models import {model}
from .tasks import {first}_task


def notify_{first}(obj_id):
    {first}_task.delay(obj_id)


def create_{first}(name):
    obj = {model}.objects.create(name=name)
    transaction.on_commit(lambda: {first}_task.delay(obj.pk))
    return obj


def settle_{first}(obj_id):
    with transaction.atomic():
        obj = {model}.objects.select_for_update().get(pk=obj_id)
        obj.mark_paid()
        {chain}
"""

TASK = """

@shared_task({options})
def {name}_task({params}):
    {body}
"""

BODIES = [
    "obj = {model}.objects.get(pk=obj_id)\n    obj.mark_paid()\n    return obj.pk",
    'for obj in {model}.objects.filter(status="new")[:100]:\n        obj.mark_paid()\n    return None',
    'logger.info("processing %s", obj_id)\n    return {{"id": obj_id, "ok": True}}',
    "try:\n        obj = {model}.objects.get(pk=obj_id)\n    except {model}.DoesNotExist:\n"
    "        return None\n    return obj.name",
]

OPTIONS = [
    "",
    "bind=True, max_retries=5, default_retry_delay=30",
    "autoretry_for=(ConnectionError,), retry_backoff=True, retry_kwargs={{'max_retries': 5}}",
    "time_limit=600, soft_time_limit=540",
    "acks_late=True, ignore_result=True",
    "rate_limit='10/m'",
]


def module_name(rng: random.Random, i: int) -> str:
    words = ["order", "invoice", "payment", "shipment", "report", "email", "stock", "refund"]
    return f"{rng.choice(words)}_{i}"


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def generate(out: Path, modules: int, seed: int) -> int:
    """Write the project; returns the number of Python lines written."""
    rng = random.Random(seed)
    lines = 0
    apps = [f"apps.app_{i}" for i in range(modules)]
    files: dict[str, str] = {
        "pyproject.toml": '[project]\nname = "shopsite"\n\n[tool.tasklint.celery]\n'
        'django-settings = "shopsite.settings.production"\n',
        "manage.py": 'import os\nimport sys\n\nif __name__ == "__main__":\n'
        '    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shopsite.settings.production")\n'
        "    from django.core.management import execute_from_command_line\n\n"
        "    execute_from_command_line(sys.argv)\n",
        "shopsite/__init__.py": "from .celery import app as celery_app\n\n__all__ = ['celery_app']\n",
        "shopsite/celery.py": CELERY_APP,
        "shopsite/settings/__init__.py": "",
        "shopsite/settings/base.py": SETTINGS_BASE.format(
            apps=", ".join(repr(a) for a in apps[:50])
        ),
        "shopsite/settings/production.py": SETTINGS_PROD,
        "apps/__init__.py": "",
    }
    for rel, text in files.items():
        write(out / rel, text)
        lines += text.count("\n")
    for i in range(modules):
        base = out / "apps" / f"app_{i}"
        model = f"Record{i}"
        names = [module_name(rng, i * 10 + k) for k in range(rng.randint(2, 5))]
        tasks = [
            "import logging\n\nfrom celery import shared_task\n\n"
            f"from .models import {model}\n\nlogger = logging.getLogger(__name__)\n"
        ]
        for k, name in enumerate(names):
            options = rng.choice(OPTIONS)
            body = rng.choice(BODIES).format(model=model)
            params = "self, obj_id" if "bind=True" in options else "obj_id"
            if "bind=True" in options and k % 2 == 0:
                body = (
                    "try:\n        return process(obj_id)\n    except ConnectionError as exc:\n"
                    "        raise self.retry(exc=exc)"
                )
            tasks.append(TASK.format(options=options, name=name, params=params, body=body))
        tasks.append("\n\ndef process(obj_id):\n    return obj_id\n")
        # the odd pitfall: an enqueue inside a transaction, or a chain that reaches one
        chain = (
            f"{names[0]}_task.delay(obj.pk)"
            if i % 7 == 0
            else (f"notify_{names[0]}(obj.pk)" if i % 11 == 0 else "obj.refresh_from_db()")
        )
        parts = {
            "__init__.py": "",
            "models.py": MODELS.format(model=model),
            "tasks.py": "".join(tasks),
            "services.py": SERVICES.format(model=model, first=names[0], chain=chain),
        }
        for rel, text in parts.items():
            write(base / rel, text)
            lines += text.count("\n")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--modules", type=int, default=3000, help="apps (4 modules each)")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    lines = generate(args.out, args.modules, args.seed)
    print(f"wrote {args.modules} apps ({args.modules * 4} modules, {lines} lines) to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
