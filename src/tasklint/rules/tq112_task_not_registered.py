"""TQ112: a Celery task in a module the worker never imports."""

from __future__ import annotations

from collections.abc import Iterator

from tasklint.config import Settings
from tasklint.findings import Finding
from tasklint.project.celery_config import CeleryModel, is_test_module
from tasklint.project.index import ProjectIndex
from tasklint.project.worker_imports import WorkerImports
from tasklint.rules._base import Rule, register


@register
class TaskNotRegistered(Rule):
    """
    ## What it does
    Flags a Celery task defined in a module that the worker never imports: not the app
    module or the `-A` module of the deployment files, not named by `include=`, `imports`,
    `CELERY_IMPORTS` or the worker's `--include` option, not the `<package>.tasks` (or `related_name`) module that
    `autodiscover_tasks()` finds, and not imported at module level, directly or through
    other modules, from any of these or from what Django imports while the worker starts
    (the settings, each installed app's `apps`, `models` and `admin` modules and template
    tag libraries, the imports inside `AppConfig.ready()`, and the URL configuration, which
    the system checks run by Celery's Django fixup import).

    ## Why is this bad?
    A task is registered when its module is imported. The worker imports only what the
    app tells it to; a task in any other module is unknown to it, and every message for
    it fails with `Received unregistered task of type '...'` and is discarded. It works
    in development (where the web process imported the module and ran the task eagerly)
    and fails in production.

    ## Example
    ```python
    # file: shop/celery.py
    from celery import Celery

    app = Celery("shop")
    app.autodiscover_tasks(["shop"])  # imports shop.tasks, never shop.jobs

    # file: shop/jobs.py
    from shop.celery import app


    @app.task(time_limit=60)
    def send_receipt(order_id):
        ...
    ```

    Use instead:
    ```python
    # file: shop/celery.py
    from celery import Celery

    app = Celery(
        "shop",
        include=["shop.jobs"],
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
    )
    app.autodiscover_tasks(["shop"])

    # file: shop/jobs.py
    from shop.celery import app


    @app.task(time_limit=60)
    def send_receipt(order_id):
        ...
    ```

    ## Options
    - `celery.django-settings`: the settings module whose `INSTALLED_APPS` the worker
      loads, when the code and the deployment files do not name it.
    - `test-modules`: tasks in test modules are not checked.

    ## Known limitations
    The import set is worked out statically, so the rule stays silent whenever part of it
    cannot be known: a module name computed at run time (`importlib.import_module(name)`,
    `__import__`, `import_string`) at module level of an imported module or in a function
    that may run while the worker starts (`ready()`, a signal receiver, a function named
    in the imported modules); a computed `INSTALLED_APPS` or `autodiscover_tasks()` package
    list; an unknown `imports` value; an app configuration that cannot be read; a worker
    app that cannot be found; Django settings that cannot be found; a project module that
    cannot be read. `import_module(f"pkg.plugins.{name}")` and
    `import_module(settings.X)` are followed (every module under `pkg.plugins.`, the
    module the setting names). A module imported only inside a function counts as possibly
    imported. Dotted paths in the Django settings count as imported (Django or a
    third-party app may import them at start-up); for a setting whose value is not known
    (a `MIDDLEWARE.append(...)` under `if`, a `+=` in a settings module that star-imports
    another), every dotted string written to it at module level, in any branch. With several apps and no deployment
    file naming the worker's, a task fires only when no app imports it, and a module that
    imports an app module, defines no task and is imported by nothing may be the `-A`
    module (what it imports counts as possibly imported); a worker command whose app
    cannot be read (`--app="${APP}"`) makes the set unknown. The URL
    configuration counts as imported although `CELERY_SKIP_CHECKS` skips the checks that
    import it. `sys.path` manipulation is not followed.

    ## References
    - Celery: https://docs.celeryq.dev/en/stable/userguide/tasks.html#automatic-naming-and-relative-imports
    - Celery: https://docs.celeryq.dev/en/stable/reference/celery.html#celery.Celery.autodiscover_tasks
    - Celery: https://docs.celeryq.dev/en/stable/userguide/configuration.html#imports
    - Celery source: `celery/loaders/base.py` (`find_related_module`), `celery/fixups/django.py`
    - Django: https://docs.djangoproject.com/en/stable/ref/applications/#how-applications-are-loaded
    """

    code = "TQ112"
    name = "task-not-registered"
    message = (
        "Task `{task}` is never registered: the worker never imports `{module}` "
        "(its imports start from {starts}), so its messages fail with `Received unregistered "
        "task`; {fix}"
    )

    def check_project(self, index: ProjectIndex, settings: Settings) -> Iterator[Finding]:
        model = CeleryModel.of(index, settings)
        tasks = [t for t in model.tasks() if not is_test_module(t.module, settings, index)]
        if not tasks:
            return
        worker = WorkerImports.of(index, settings)
        if worker.unknown is not None:
            return
        starts: str | None = None  # the same for every task: worked out once
        discovered: dict[str, str] | None = None
        for task in tasks:
            if worker.registration(task.module).state != "unregistered":
                continue
            if starts is None or discovered is None:
                starts, discovered = _starts(worker), _discovered_by_parent(worker)
            yield self.project_finding(
                task.path,
                task.line,
                task.col,
                task=task.registered_name,
                module=task.module,
                starts=starts,
                fix=_fix(task.module, worker, index, discovered),
            )


def _starts(worker: WorkerImports) -> str:
    """The modules the import set starts from, the most telling first."""
    order = ("the `-A", "named by", "discovered by", "the module that creates")

    def rank(item: tuple[str, str]) -> tuple[int, str]:
        module, why = item
        found = [i for i, prefix in enumerate(order) if why.startswith(prefix)]
        return (found[0] if found else len(order), module)

    modules = [f"`{m}`" for m, _ in sorted(worker.roots.items(), key=rank)]
    shown = ", ".join(modules[:4])
    if len(modules) > 4:
        shown += f" and {len(modules) - 4} more"
    return shown or "the app module"


def _discovered_by_parent(worker: WorkerImports) -> dict[str, str]:
    """For each package, the first (by name) module autodiscovery imports in it."""
    out: dict[str, str] = {}
    for m, why in worker.roots.items():
        if why.startswith("discovered by"):
            parent = m.rpartition(".")[0]
            if parent not in out or m < out[parent]:
                out[parent] = m
    return out


def _fix(
    module: str, worker: WorkerImports, index: ProjectIndex, discovered: dict[str, str]
) -> str:
    parent = module.rpartition(".")[0]
    shadow = index.modules.get(parent)
    if shadow is not None and not shadow.is_package:
        # ``core/tasks.py`` beside a ``core/tasks/`` folder without ``__init__.py``: Python
        # imports the module, and ``core.tasks.x`` cannot be imported at all
        return (
            f"`{parent}` is the module {parent.replace('.', '/')}.py, which hides the folder "
            f"of the same name: rename one of them"
        )
    if parent and parent not in index.modules:
        return (
            f"`{parent.replace('.', '/')}/` has no `__init__.py` (importing the folder imports "
            f"none of its modules): add one that imports `{module}`, or name it in `include=`"
        )
    if parent in discovered:
        return f"move it into `{discovered[parent]}` or import `{module}` from it"
    if parent and parent in worker.imported:
        return f"import `{module}` from `{parent}` or add it to `include=`/`imports`"
    return f"add `{module}` to the app's `include=`/`imports`"
