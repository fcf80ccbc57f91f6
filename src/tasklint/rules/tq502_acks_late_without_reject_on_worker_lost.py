"""TQ502: acks_late without reject_on_worker_lost."""

from __future__ import annotations

from collections.abc import Iterator

from tasklint.analysis.celery_options import annotation_level, global_level, task_level
from tasklint.config import Settings
from tasklint.findings import Finding
from tasklint.project.celery_config import AppConfig, CeleryModel, CeleryTask, is_test_module
from tasklint.project.index import ProjectIndex
from tasklint.rules._base import Rule, register


@register
class AcksLateWithoutRejectOnWorkerLost(Rule):
    """
    ## What it does
    Flags `task_acks_late=True` when `task_reject_on_worker_lost` is not `True`; and a task
    that sets `acks_late=True` itself (decorator keyword or base class attribute) when
    neither the task nor the configuration sets `reject_on_worker_lost` to `True`.

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
    finding; silence it with `# noqa: TQ502` if every such task does. One cause, one
    finding: while the global finding fires for a task's app (global `task_acks_late=True`
    without `task_reject_on_worker_lost=True`), tasks of that app are not reported again,
    not even those that also set `acks_late=True` themselves: the same fix (the global
    `task_reject_on_worker_lost=True`) covers them. A task is reported on its own when the
    global setting is off or absent. Tasks whose `reject_on_worker_lost` or whose app's
    configuration cannot be read are not reported; `task_annotations` count as the task's
    own setting.

    ## References
    - Celery: https://docs.celeryq.dev/en/stable/userguide/configuration.html#task-reject-on-worker-lost
    """

    code = "TQ502"
    name = "acks-late-without-reject-on-worker-lost"
    message = (
        "{what}: a worker killed by SIGKILL/OOM still acknowledges the message and the task "
        "is lost; set {fix}"
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
            yield self.project_finding(
                acks.path,
                acks.line,
                acks.col,
                what="`task_acks_late` is on but `task_reject_on_worker_lost` is not",
                fix="`task_reject_on_worker_lost=True`",
            )
        seen: set[tuple[str, int]] = set()
        for task in model.tasks():
            if is_test_module(task.module, settings):
                continue
            finding = self._task_finding(task)
            if finding is not None and (finding.path, finding.line) not in seen:
                seen.add((finding.path, finding.line))  # a base class shared by several tasks
                yield finding

    def _task_finding(self, task: CeleryTask) -> Finding | None:
        acks = task_level(task, "acks_late")
        apps = task.value_apps or task.apps  # the worker's configuration decides
        if not (acks.known and acks.value is True) or not apps:
            return None
        own = task_level(task, "reject_on_worker_lost")
        if own.state == "unknown" or (own.known and own.value is True):
            return None
        for app in apps:
            if self._global_finding_covers(app):
                return None
            if own.known:
                continue  # the task's own False wins over the configuration
            found = annotation_level(task, app, "reject_on_worker_lost")
            if found.absent:
                found = global_level(app, "task_reject_on_worker_lost")
            if found.state == "unknown" or (found.known and found.value is True):
                return None
        if acks.source.startswith("base class "):
            cls = acks.source[len("base class ") :]
            what = (
                f"Base class `{cls}` sets `acks_late = True` (task `{task.function}` uses it) "
                "but neither it nor the configuration sets `reject_on_worker_lost=True`"
            )
            fix = f"`reject_on_worker_lost = True` on `{cls}`"
        else:
            what = (
                f"Task `{task.function}` sets `acks_late=True` but neither it nor the "
                "configuration sets `reject_on_worker_lost=True`"
            )
            fix = f"`reject_on_worker_lost=True` on `{task.function}`"
        return self.project_finding(
            acks.path,
            acks.line,
            acks.col,
            what=what,
            fix=f"{fix} (or `task_reject_on_worker_lost=True` in the configuration)",
        )

    def _global_finding_covers(self, app: AppConfig) -> bool:
        """Does the global finding fire for this app (same cause, same fix)?"""
        acks = global_level(app, "task_acks_late")
        if not (acks.known and acks.value is True):
            return False
        reject = global_level(app, "task_reject_on_worker_lost")
        return not (reject.state == "unknown" or (reject.known and reject.value is True))
