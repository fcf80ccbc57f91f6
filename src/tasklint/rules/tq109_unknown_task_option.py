"""TQ109: a task decorator keyword that Celery never reads."""

from __future__ import annotations

from collections.abc import Iterator

from tasklint.analysis.edits import with_rename
from tasklint.config import Settings
from tasklint.findings import Finding
from tasklint.project.celery_config import CeleryModel, CeleryTask
from tasklint.project.index import ProjectIndex
from tasklint.rules._base import Rule, register


def base_names(model: CeleryModel, task: CeleryTask) -> set[str] | None:
    """Attributes the task's project base classes define or read; None if unknowable."""
    fact = task.fact
    if fact is None:
        return set()
    names: set[str] = set()
    decorators = list(fact.decorators)
    for dec in fact.decorators:  # the calls of task decorator aliases may give ``base=``
        found = model.index.task_decorator(dec.qualname)
        decorators.extend(d for _, d in (found.layers if found is not None else ()))
    for dec in decorators:
        base = dec.keywords.get("base")
        qualnames = []
        if base is not None:
            if base.kind != "name" or not base.qualname:
                return None
            qualnames.append(base.qualname)
        app_cls = {a.task_cls for a in task.apps if a.task_cls}
        qualnames.extend(app_cls)
        for qn in qualnames:
            stack, seen = [qn], set()
            while stack:
                current = stack.pop()
                if current in seen:
                    continue
                seen.add(current)
                target = model.index.resolve(current)
                if target.external is not None:
                    if not target.external.startswith("celery."):
                        return None  # a third-party base class may read anything
                    continue
                cls = model.index.klass(target)
                if cls is None:
                    return None
                names.update(cls.attributes)
                names.update(cls.methods)
                names.update(cls.reads)
                stack.extend(b for b in cls.bases if b)
    return names


@register
class UnknownTaskOption(Rule):
    """
    ## What it does
    Flags a keyword of a Celery task decorator that is no task option but is a near miss
    of one: `@app.task(max_retry=5)`, `acks_lat=True`, `soft_timelimit=60`.

    ## Why is this bad?
    Celery turns every decorator keyword into a class attribute without checking it. A
    misspelled option becomes a dead attribute and the real option keeps its default —
    the retry limit, late acknowledgement or time limit you wrote is silently not applied.

    ## Example
    ```python
    from celery import shared_task


    @shared_task(max_retry=5, time_limit=60)
    def push(order_id):
        ...
    ```

    Use instead:
    ```python
    from celery import shared_task


    @shared_task(max_retries=5, time_limit=60)
    def push(order_id):
        ...
    ```

    ## Fix safety
    Fix: unsafe (`--fix --unsafe-fixes`). The keyword is renamed to the option the message
    names; the option then applies, which changes what the task does (that is the point).
    No fix when the task already passes that option.

    ## Options
    - `celery.task-decorators`: decorators that create Celery tasks.

    ## Known limitations
    Only names close to exactly one option are reported. Attributes that the task's
    project base class (or the app's `task_cls`) defines or reads are legitimate and never
    reported; a third-party base class silences the rule for that task.

    ## References
    - Celery: https://docs.celeryq.dev/en/stable/userguide/tasks.html#list-of-options
    """

    code = "TQ109"
    name = "unknown-task-option"
    message = (
        "Celery keeps `{key}=` as an unused attribute of task `{task}`; `{meant}` stays at its "
        "default{default}: did you mean `{meant}=`?"
    )

    def check_project(self, index: ProjectIndex, settings: Settings) -> Iterator[Finding]:
        from tasklint.data import celery_task_options as data
        from tasklint.data.nearmiss import closest

        model = CeleryModel.of(index, settings)
        candidates = data.all_task_option_names()
        for task in model.tasks():
            unknown = [
                opt
                for key, opt in task.options.items()
                if opt.on_decorator and key not in data.known_task_names()
            ]
            if not unknown:
                continue
            allowed = base_names(model, task)
            if allowed is None:
                continue
            for opt in unknown:
                if opt.name in allowed:
                    continue
                meant = closest(opt.name, candidates)
                if meant is None:
                    continue
                info = data.task_option(meant)
                default = (
                    f" ({info.default_repr})" if info is not None and info.default_repr else ""
                )
                finding = self.project_finding(
                    opt.path,
                    opt.line,
                    opt.col,
                    key=opt.name,
                    task=task.function,
                    meant=meant,
                    default=default,
                )
                written = task.options.get(meant)
                if written is None or written.source != "decorator":  # no duplicate keyword
                    finding = with_rename(finding, opt.name, meant)
                yield finding
