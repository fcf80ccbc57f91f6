"""TQ504: result_expires None or 0."""

from __future__ import annotations

from collections.abc import Iterator

from tasklint.analysis.celery_options import global_level
from tasklint.config import Settings
from tasklint.findings import Finding
from tasklint.project.celery_config import CeleryModel
from tasklint.project.index import ProjectIndex
from tasklint.rules._base import Rule, register


@register
class ResultsNeverExpire(Rule):
    """
    ## What it does
    Flags `result_expires = None` or `result_expires = 0`.

    ## Why is this bad?
    Every task result is then kept in the result backend forever. In Redis this grows
    memory without bound until the instance evicts keys or falls over; in a database
    backend the results table grows forever. Celery's default is one day.

    ## Example
    ```python
    from celery import Celery

    app = Celery("shop", result_expires=None)
    ```

    Use instead:
    ```python
    from datetime import timedelta

    from celery import Celery

    app = Celery("shop", result_expires=timedelta(days=1))
    app.conf.update(
        task_acks_late=True, task_reject_on_worker_lost=True, worker_prefetch_multiplier=1
    )
    ```

    ## Options
    None.

    ## Known limitations
    Only a literal `None` or `0` is reported; a value read from the environment is treated
    as unknown. `result_expires` set per task through `expires=` on `apply_async` is not
    checked.

    ## References
    - Celery: https://docs.celeryq.dev/en/stable/userguide/configuration.html#result-expires
    """

    code = "TQ504"
    name = "results-never-expire"
    message = (
        "`result_expires` is {value}: results are kept in the backend forever; set a "
        "duration such as `timedelta(days=1)`"
    )

    def check_project(self, index: ProjectIndex, settings: Settings) -> Iterator[Finding]:
        model = CeleryModel.of(index, settings)
        for app in model.apps:
            found = global_level(app, "result_expires")
            if found.known and (
                found.value is None or (found.value == 0 and found.value is not False)
            ):
                yield self.project_finding(
                    found.path, found.line, found.col, value=repr(found.value)
                )
