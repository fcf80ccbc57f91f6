"""TQ209: a task name in a string that no task of the project registers."""

from __future__ import annotations

import difflib
from collections.abc import Iterator

from tasklint.analysis.arq import ArqModel
from tasklint.config import Settings
from tasklint.findings import Finding
from tasklint.project.celery_config import CeleryModel, is_test_module
from tasklint.project.index import ProjectIndex
from tasklint.rules._base import Rule, register


def arq_names(index: ProjectIndex, settings: Settings) -> tuple[set[str], bool]:
    """Names of functions registered with arq workers, and whether that list is complete."""
    return ArqModel.of(index).registered_names(lambda module: is_test_module(module, settings))


@register
class UnknownTaskName(Rule):
    """
    ## What it does
    Flags a task name written as a string — `app.send_task("name")`, a beat schedule
    entry `{"task": "name", "schedule": ...}`, arq `pool.enqueue_job("name")` — that no
    task or arq job function of the project registers.

    ## Why is this bad?
    Nothing checks these strings: a typo or a renamed task is only noticed when the worker
    rejects the message (`NotRegistered`, arq's "function not found") — or never, for a
    beat entry that silently stops doing its job.

    ## Example
    ```python
    # file: shop/tasks.py
    from celery import Celery

    app = Celery("shop")


    @app.task(name="shop.send_digest", time_limit=60)
    def send_digest():
        ...


    def kick():
        app.send_task("shop.send_digests")
    ```

    Use instead:
    ```python
    # file: shop/tasks.py
    from celery import Celery

    app = Celery("shop")
    app.conf.update(
        task_acks_late=True, task_reject_on_worker_lost=True, worker_prefetch_multiplier=1
    )


    @app.task(name="shop.send_digest", time_limit=60)
    def send_digest():
        ...


    def kick():
        app.send_task("shop.send_digest")
    ```

    ## Options
    - `celery.task-decorators`: decorators that create Celery tasks.

    ## Known limitations
    Celery names are checked only when they start with one of the project's own top-level
    packages (tasks of installed libraries are not indexed) or match no dotted module at
    all while the registry is known; projects that register tasks dynamically
    (`register_task`, `app.task(fn)` calls) are not checked, nor names in a module that could
    not be parsed (TQ001).

    ## References
    - Celery: https://docs.celeryq.dev/en/stable/userguide/tasks.html#names
    - arq: https://arq-docs.helpmanual.io/#arq.worker.Worker
    """

    code = "TQ209"
    name = "unknown-task-name"
    message = "No {what} named `{task_name}` is registered in this project{hint}: the worker will reject the message"

    def check_project(self, index: ProjectIndex, settings: Settings) -> Iterator[Finding]:
        refs = []
        dynamic = False
        for facts in index.modules.values():
            data = facts.extras.get("task_refs")
            if not isinstance(data, dict):
                continue
            if data.get("dynamic"):
                dynamic = True
            for ref in data.get("refs", []):
                refs.append((facts, ref))
        if not refs:
            return
        model = CeleryModel.of(index, settings)
        celery_names = {t.registered_name for t in model.tasks()}
        # an app that names its tasks its own way (gen_task_name): derived names are unknown
        names_open = any(not t.name_known for t in model.tasks())
        packages = {m.split(".")[0] for m in index.modules if not is_test_module(m, settings)}
        arq_registered, arq_complete = arq_names(index, settings)
        for facts, ref in sorted(refs, key=lambda r: (r[0].path, r[1]["line"])):
            if is_test_module(facts.module, settings):
                continue
            name = ref["name"]
            if ref["kind"] == "enqueue_job":
                if (
                    not arq_complete
                    or name in arq_registered
                    or ("arq" not in facts.imported_packages and not arq_registered)
                ):
                    continue
                yield self._finding(facts.path, ref, "arq job function", arq_registered)
                continue
            if dynamic or not model.tasks() or name in celery_names or names_open:
                continue
            if name.split(".")[0] not in packages or "." not in name:
                continue
            if _under_any(name, index.unreadable_modules):
                continue  # defined in a file that does not parse here: unknown, not absent
            yield self._finding(facts.path, ref, "Celery task", celery_names)

    def _finding(self, path: str, ref: dict[str, object], what: str, known: set[str]) -> Finding:
        name = str(ref["name"])
        close = difflib.get_close_matches(name, sorted(known), n=1, cutoff=0.8)
        hint = f" (did you mean `{close[0]}`?)" if close else ""
        by_path = sorted(k for k in known if k.endswith(f".{name}"))
        if what.startswith("arq") and by_path:
            # func("pkg.jobs.render") / functions = ["pkg.jobs.render"]: arq names a job
            # given as an import path by that path, not by the function's name
            hint = (
                f" (a function registered as the string `{by_path[0]}` is named by that "
                "path: enqueue that name or register the function object)"
            )
        return self.project_finding(
            path,
            int(str(ref["line"])),
            int(str(ref["col"])),
            what=what,
            task_name=name,
            hint=hint,
        )


def _under_any(name: str, modules: set[str]) -> bool:
    """``name`` starts with ``m + "."`` for some ``m`` of ``modules``: one of its proper
    dotted prefixes is one of them (a lookup per prefix, not a scan per name)."""
    at = name.find(".")
    while at != -1:
        if name[:at] in modules:
            return True
        at = name.find(".", at + 1)
    return False
