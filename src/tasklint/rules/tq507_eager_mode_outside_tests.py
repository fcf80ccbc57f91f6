"""TQ507: task_always_eager in a production configuration source."""

from __future__ import annotations

from collections.abc import Iterator

from tasklint.config import Settings
from tasklint.findings import Finding
from tasklint.project.celery_config import CeleryModel, is_test_module
from tasklint.project.index import ProjectIndex
from tasklint.rules._base import Rule, register


@register
class EagerModeOutsideTests(Rule):
    """
    ## What it does
    Flags `task_always_eager = True` (`CELERY_TASK_ALWAYS_EAGER`, `CELERY_ALWAYS_EAGER`) in a
    configuration source that is neither test-only nor development-only.

    ## Why is this bad?
    In eager mode `.delay()` runs the task inline in the caller's process: no broker, no
    worker, no retries, no time limits — and the web request waits for the task. It is a
    testing aid; in production it silently turns background work into foreground work.

    ## Example
    ```python
    from celery import Celery

    app = Celery("shop", task_always_eager=True)
    ```

    Use instead:
    ```python
    from celery import Celery

    app = Celery("shop")
    app.conf.update(
        task_acks_late=True, task_reject_on_worker_lost=True, worker_prefetch_multiplier=1
    )
    ```

    Set eager mode in test settings (or with `CELERY_TASK_ALWAYS_EAGER` in a
    `settings/test.py`) instead.

    ## Options
    - `test-modules`: module globs treated as test- or development-only.

    ## Known limitations
    Whether a configuration module is test-only is decided by its module name (see
    `test-modules`); a production settings module named like a test module is not
    reported. Eager mode switched on at run time (`app.conf.task_always_eager = flag`) is an
    unknown value and not reported.

    ## References
    - Celery: https://docs.celeryq.dev/en/stable/userguide/configuration.html#task-always-eager
    """

    code = "TQ507"
    name = "eager-mode-outside-tests"
    message = (
        "`{name}` is True in a production configuration: `.delay()` runs tasks inline in the "
        "caller, without workers or retries; set it only in test settings"
    )

    def check_project(self, index: ProjectIndex, settings: Settings) -> Iterator[Finding]:
        model = CeleryModel.of(index, settings)
        for app in model.apps:
            setting = app.get("task_always_eager")
            if setting is None or setting.value.kind != "const" or setting.value.value is not True:
                continue
            module = index.path_to_module.get(setting.path, "")
            if is_test_module(module, settings, index):
                continue
            yield self.project_finding(
                setting.path, setting.line, setting.col, name=setting.raw_name
            )
