"""TQ502: acks_late without reject_on_worker_lost."""

from __future__ import annotations

from collections.abc import Iterator

from tasklint.analysis.celery_options import global_level
from tasklint.config import Settings
from tasklint.findings import Finding
from tasklint.project.celery_config import CeleryModel
from tasklint.project.index import ProjectIndex
from tasklint.rules._base import Rule, register


@register
class AcksLateWithoutRejectOnWorkerLost(Rule):
    """
    ## What it does
    Flags `task_acks_late=True` when `task_reject_on_worker_lost` is not `True`.

    ## Why is this bad?
    `acks_late` is meant to redeliver a task whose worker died. But when the worker
    process is killed (SIGKILL, OOM killer), Celery's default is to *acknowledge* the
    message anyway — the task is lost exactly in the case `acks_late` was chosen for.
    `task_reject_on_worker_lost=True` makes Celery requeue it instead.

    ## Example
    ```python
    from celery import Celery

    app = Celery("shop", task_acks_late=True, worker_prefetch_multiplier=1)
    ```

    Use instead:
    ```python
    from celery import Celery

    app = Celery(
        "shop",
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
    )
    ```

    ## Options
    None.

    ## Known limitations
    A task that sets `reject_on_worker_lost=True` itself is still covered by the global
    finding; silence it with `# noqa: TQ502` if every such task does.

    ## References
    - Celery: https://docs.celeryq.dev/en/stable/userguide/configuration.html#task-reject-on-worker-lost
    """

    code = "TQ502"
    name = "acks-late-without-reject-on-worker-lost"
    message = (
        "`task_acks_late` is on but `task_reject_on_worker_lost` is not: a worker killed by "
        "SIGKILL/OOM still acknowledges the message and the task is lost; set "
        "`task_reject_on_worker_lost=True`"
    )

    def check_project(self, index: ProjectIndex, settings: Settings) -> Iterator[Finding]:
        model = CeleryModel.of(index, settings)
        for app in model.apps:
            acks = global_level(app, "task_acks_late")
            if not (acks.known and acks.value is True):
                continue
            reject = global_level(app, "task_reject_on_worker_lost")
            if reject.state == "unknown" or (reject.known and reject.value is True):
                continue
            yield self.project_finding(acks.path, acks.line, acks.col)
