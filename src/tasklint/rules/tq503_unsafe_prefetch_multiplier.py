"""TQ503: worker_prefetch_multiplier unlimited, or > 1 with acks_late."""

from __future__ import annotations

from collections.abc import Iterator

from tasklint.analysis.celery_options import global_level, number
from tasklint.config import Settings
from tasklint.findings import Finding
from tasklint.project.celery_config import CeleryModel
from tasklint.project.index import ProjectIndex
from tasklint.rules._base import Rule, register


@register
class UnsafePrefetchMultiplier(Rule):
    """
    ## What it does
    Flags `worker_prefetch_multiplier = 0` (unlimited prefetch), and a multiplier that is
    absent (Celery's default is 4) or greater than 1 while `task_acks_late` is on.

    ## Why is this bad?
    Each worker process reserves `multiplier` messages ahead. With 0 a worker takes
    everything in the queue. With `acks_late`, reserved-but-unstarted messages sit behind
    a long task on one worker while other workers are idle, and are all redelivered if that
    worker dies.

    ## Example
    ```python
    from celery import Celery

    app = Celery(
        "shop",
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=8,
    )
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
    The setting is read from the app configuration only; a `--prefetch-multiplier` given
    on the worker command line, or an environment variable read at start-up, is not seen.

    ## References
    - Celery: https://docs.celeryq.dev/en/stable/userguide/optimizing.html#prefetch-limits
    """

    code = "TQ503"
    name = "unsafe-prefetch-multiplier"
    message = "{what}; set `worker_prefetch_multiplier=1`"

    def check_project(self, index: ProjectIndex, settings: Settings) -> Iterator[Finding]:
        model = CeleryModel.of(index, settings)
        for app in model.apps:
            prefetch = global_level(app, "worker_prefetch_multiplier")
            value = number(prefetch)
            if value == 0:
                yield self.project_finding(
                    prefetch.path,
                    prefetch.line,
                    prefetch.col,
                    what="`worker_prefetch_multiplier` 0 means unlimited prefetch: one worker reserves the whole queue",
                )
                continue
            acks = global_level(app, "task_acks_late")
            if not (acks.known and acks.value is True):
                continue
            if prefetch.known and value is not None and value > 1:
                yield self.project_finding(
                    prefetch.path,
                    prefetch.line,
                    prefetch.col,
                    what=f"`worker_prefetch_multiplier` {int(value)} with `task_acks_late`: reserved messages wait behind long tasks and are redelivered together",
                )
            elif prefetch.absent:
                yield self.project_finding(
                    acks.path,
                    acks.line,
                    acks.col,
                    what="`task_acks_late` with the default `worker_prefetch_multiplier` (4): reserved messages wait behind long tasks and are redelivered together",
                )
