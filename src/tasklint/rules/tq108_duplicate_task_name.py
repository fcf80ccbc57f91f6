"""TQ108: two tasks register the same name."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

from tasklint.config import Settings
from tasklint.findings import Finding
from tasklint.project.celery_config import CeleryModel, CeleryTask, is_test_module
from tasklint.project.index import ProjectIndex
from tasklint.rules._base import Rule, register


@register
class DuplicateTaskName(Rule):
    """
    ## What it does
    Flags two Celery tasks in the project that register the same name — an explicit
    `name=` or the derived `module.function`.

    ## Why is this bad?
    Celery's registry keeps one task per name: whichever module is imported last wins.
    Workers and producers that import modules in a different order run a different
    function for the same message.

    ## Example
    ```python
    from celery import shared_task


    @shared_task(name="billing.charge", time_limit=60)
    def charge(order_id):
        ...


    @shared_task(name="billing.charge", time_limit=60)
    def charge_v2(order_id):
        ...
    ```

    Use instead:
    ```python
    from celery import shared_task


    @shared_task(name="billing.charge", time_limit=60)
    def charge(order_id):
        ...


    @shared_task(name="billing.charge_v2", time_limit=60)
    def charge_v2(order_id):
        ...
    ```

    ## Options
    None.

    ## Known limitations
    Tasks in test modules (see `test-modules`) are not compared. Names given at run time
    (`name=f"..."`) and tasks registered without a decorator (`app.register_task`) are not
    seen; two apps in one project that each register the same name are reported although
    they may never run in one worker.

    ## References
    - Celery: https://docs.celeryq.dev/en/stable/userguide/tasks.html#names
    """

    code = "TQ108"
    name = "duplicate-task-name"
    message = "Task name `{task_name}` is also registered at {other}: the last import wins; give each task a unique `name=`"

    def check_project(self, index: ProjectIndex, settings: Settings) -> Iterator[Finding]:
        model = CeleryModel.of(index, settings)
        by_name: dict[str, list[CeleryTask]] = defaultdict(list)
        for task in model.tasks():
            if is_test_module(task.module, settings) or not task.name_known:
                continue
            by_name[task.registered_name].append(task)
        for name, tasks in sorted(by_name.items()):
            unique = {(t.path, t.line): t for t in tasks}
            if len(unique) < 2:
                continue
            ordered = sorted(unique.values(), key=lambda t: (t.path, t.line))
            for task in ordered:
                other = next(t for t in ordered if t is not task)
                rel = other.module.replace(".", "/")
                yield self.task_finding(task, task_name=name, other=f"{rel}.py:{other.line}")
