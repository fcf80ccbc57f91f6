"""TQ111: routing options on a Celery task decorator (deprecated)."""

from __future__ import annotations

from collections.abc import Iterator

from tasklint.config import Settings
from tasklint.findings import Finding
from tasklint.project.celery_config import CeleryModel
from tasklint.project.index import ProjectIndex
from tasklint.rules._base import Rule, register

ROUTING_OPTIONS = ("queue", "exchange", "routing_key", "priority", "delivery_mode")


@register
class RoutingOptionOnTask(Rule):
    """
    ## What it does
    Flags `queue=`, `exchange=`, `routing_key=`, `priority=` and `delivery_mode=` given to
    a Celery task decorator.

    ## Why is this bad?
    Routing options on the task decorator are deprecated (Celery 5.7) and removed in
    Celery 6.0. Routing belongs in `task_routes`, or at the call site with
    `apply_async(queue=...)`, where it can change without touching the task.

    ## Example
    ```python
    from celery import shared_task


    @shared_task(queue="emails", time_limit=60)
    def send_email(address):
        ...
    ```

    Use instead:
    ```python
    from celery import shared_task


    @shared_task(time_limit=60)
    def send_email(address):
        ...
    ```

    with `task_routes = {"app.tasks.send_email": {"queue": "emails"}}` in the configuration.

    ## Options
    Opt-in: enable with `extend-select = ["TQ111"]`.

    ## Known limitations
    Only options on the decorator itself are reported; the same options on a base Task
    class or in `task_annotations` are not.

    ## References
    - Celery: https://docs.celeryq.dev/en/stable/userguide/routing.html
    """

    code = "TQ111"
    name = "routing-option-on-task"
    default = False
    message = (
        "`{option}=` on the task decorator is deprecated (removed in Celery 6); route with "
        "`task_routes` or `apply_async({option}=...)`"
    )

    def check_project(self, index: ProjectIndex, settings: Settings) -> Iterator[Finding]:
        model = CeleryModel.of(index, settings)
        for task in model.tasks():
            for option in ROUTING_OPTIONS:
                opt = task.options.get(option)
                if opt is not None and opt.on_decorator:
                    yield self.project_finding(opt.path, opt.line, opt.col, option=option)
