"""TQ501: task_acks_late not enabled."""

from __future__ import annotations

from collections.abc import Iterator

from tasklint.analysis.celery_options import Found, global_level, task_level
from tasklint.config import Settings
from tasklint.findings import Finding
from tasklint.project.celery_config import AppConfig, CeleryModel, CeleryTask
from tasklint.project.index import ProjectIndex
from tasklint.rules._base import Rule, register


@register
class AcksLateDisabled(Rule):
    """
    ## What it does
    Flags a Celery app whose `task_acks_late` is not enabled (absent or `False`) while
    not every one of its tasks sets `acks_late=True`.

    ## Why is this bad?
    By default Celery acknowledges a message when a worker *starts* the task. If the
    worker then dies (deploy, OOM kill, node loss), the task is gone: the broker believes
    it was done. With `acks_late` the message is acknowledged when the task finishes, so
    an interrupted task is delivered again. (Make such tasks idempotent.)

    ## Example
    ```python
    from celery import Celery

    app = Celery("shop", broker="amqp://")


    @app.task(time_limit=60)
    def charge(order_id):
        ...
    ```

    Use instead:
    ```python
    from celery import Celery

    app = Celery(
        "shop",
        broker="amqp://",
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
    )


    @app.task(time_limit=60)
    def charge(order_id):
        ...
    ```

    ## Options
    - `celery.django-settings`: the Django settings module, when the code does not name it.

    An app of a project that defines no Celery task the app could run (an app used only
    to send tasks by name or to ping a broker) is not reported: it runs nothing.

    ## Known limitations
    Apps whose configuration cannot be read statically are not reported.

    ## References
    - Celery: https://docs.celeryq.dev/en/stable/userguide/configuration.html#task-acks-late
    - Celery FAQ: https://docs.celeryq.dev/en/stable/faq.html#faq-acks-late-vs-retry
    """

    code = "TQ501"
    name = "acks-late-disabled"
    message = (
        "{what}: a worker that dies mid-task loses the task (it was acknowledged at start); "
        "set `task_acks_late=True` with `task_reject_on_worker_lost=True`"
    )

    def check_project(self, index: ProjectIndex, settings: Settings) -> Iterator[Finding]:
        model = CeleryModel.of(index, settings)
        # per app object: does it ack late (or may it)? Asked for every app of every task
        late = {id(a): _enabled_or_unknown(global_level(a, "task_acks_late")) for a in model.apps}
        # per task: can another app that acks late (or may) run it? (The app checked below
        # does not ack late, so "another" is any app of the task that does.)
        late_elsewhere: dict[int, bool] = {}
        by_worker: dict[int, bool] = {}  # per task: is one of its value apps a worker's app?
        for app in model.apps:
            found = global_level(app, "task_acks_late")
            if found.state == "unknown" or (found.known and found.value is True):
                continue
            if found.known and found.value not in (False, 0, None):
                continue  # truthy non-bool values are TQ511's business
            tasks = model.tasks_of(app)
            if not tasks and not index.unresolved_task_decorators():
                continue  # an app that only sends tasks or pings a broker runs nothing
            workers = model.worker_apps()
            if (
                workers
                and app not in workers
                and all(_run_by_a_worker(t, workers, by_worker) for t in tasks)
            ):
                continue  # the deployment's worker runs these tasks with its own app: see there
            # several apps: when this app merely lacks the setting, a task that another app
            # able to run it runs late-acked (or may: unknown) is covered
            covered = bool(tasks)
            if not found.known:
                for t in tasks:
                    if id(t) not in late_elsewhere:
                        late_elsewhere[id(t)] = any(
                            late[id(other)]
                            if id(other) in late
                            else _enabled_or_unknown(global_level(other, "task_acks_late"))
                            for other in t.apps
                        )
            tasks = [t for t in tasks if found.known or not late_elsewhere[id(t)]]
            if not tasks and covered:
                continue
            per_task = [task_level(t, "acks_late") for t in tasks]
            if tasks and all(f.known and f.value is True for f in per_task):
                continue
            # a task known not to ack late (False, or no acks_late from any source) shows
            # the pitfall whatever the tasks of unknown options do
            if any(f.state == "unknown" for f in per_task) and not any(
                f.state == "absent" or (f.known and f.value is False) for f in per_task
            ):
                continue
            if found.known:
                yield self.project_finding(
                    found.path, found.line, found.col, what="`task_acks_late` is disabled"
                )
            else:
                yield self.project_finding(
                    app.path,
                    app.line,
                    app.col,
                    what="This Celery app does not enable `task_acks_late`",
                )


def _run_by_a_worker(task: CeleryTask, workers: list[AppConfig], memo: dict[int, bool]) -> bool:
    """Is one of the apps whose configuration the task reads a worker's app (by identity)?
    (The same answer for every app asking: remembered per task.)"""
    if id(task) not in memo:
        memo[id(task)] = bool(set(map(id, task.value_apps)) & set(map(id, workers)))
    return memo[id(task)]


def _enabled_or_unknown(found: Found) -> bool:
    return found.state == "unknown" or (found.known and found.value is True)
