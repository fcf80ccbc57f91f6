"""TQ505: pickle as a serializer or accepted content type."""

from __future__ import annotations

from collections.abc import Iterator

from tasklint.analysis.celery_options import global_level
from tasklint.config import Settings
from tasklint.findings import Finding
from tasklint.project.celery_config import CeleryModel
from tasklint.project.index import ProjectIndex
from tasklint.rules._base import Rule, register

SERIALIZER_SETTINGS = ("task_serializer", "result_serializer", "event_serializer")
ACCEPT_SETTINGS = ("accept_content", "result_accept_content")
PICKLE_NAMES = frozenset({"pickle", "application/x-python-serialize"})


@register
class PickleSerializer(Rule):
    """
    ## What it does
    Flags `task_serializer`, `result_serializer` or `event_serializer` set to `"pickle"`,
    `accept_content` / `result_accept_content` containing `"pickle"` or
    `"application/x-python-serialize"`, and a task decorator's `serializer="pickle"`.

    ## Why is this bad?
    Unpickling runs arbitrary code: anyone who can put a message on the broker (or write
    to the result backend) can execute code on every worker. Pickle also ties messages to
    the exact code version that produced them.

    ## Example
    ```python
    from celery import Celery

    app = Celery("shop", task_serializer="pickle", accept_content=["pickle", "json"])
    ```

    Use instead:
    ```python
    from celery import Celery

    app = Celery("shop", task_serializer="json", accept_content=["json"])
    app.conf.update(
        task_acks_late=True, task_reject_on_worker_lost=True, worker_prefetch_multiplier=1
    )
    ```

    ## Options
    None.

    ## Known limitations
    A project's own serializer registered under another name (for example an HMAC-signed
    `"signed-pickle"`) is not reported.

    ## References
    - Celery: https://docs.celeryq.dev/en/stable/userguide/security.html#serializers
    """

    code = "TQ505"
    name = "pickle-serializer"
    message = "{what} uses pickle: a message from the broker can run arbitrary code on workers; use `json`"

    def check_project(self, index: ProjectIndex, settings: Settings) -> Iterator[Finding]:
        model = CeleryModel.of(index, settings)
        for app in model.apps:
            for name in SERIALIZER_SETTINGS:
                found = global_level(app, name)
                if (
                    found.known
                    and isinstance(found.value, str)
                    and found.value.lower() in PICKLE_NAMES
                ):
                    yield self.project_finding(found.path, found.line, found.col, what=f"`{name}`")
            for name in ACCEPT_SETTINGS:
                found = global_level(app, name)
                if found.known and isinstance(found.value, list):
                    if any(isinstance(v, str) and v.lower() in PICKLE_NAMES for v in found.value):
                        yield self.project_finding(
                            found.path, found.line, found.col, what=f"`{name}`"
                        )
        for task in model.tasks():
            opt = task.options.get("serializer")
            if (
                opt is not None
                and opt.value.kind == "const"
                and isinstance(opt.value.value, str)
                and opt.value.value.lower() in PICKLE_NAMES
            ):
                yield self.project_finding(
                    opt.path, opt.line, opt.col, what=f"Task `{task.function}`'s `serializer`"
                )
