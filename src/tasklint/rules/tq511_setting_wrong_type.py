"""TQ511: a Celery setting given a value of the wrong type."""

from __future__ import annotations

from collections.abc import Iterator

from tasklint.config import Settings
from tasklint.findings import Finding
from tasklint.project.celery_config import CeleryModel, normalize_setting
from tasklint.project.index import ProjectIndex
from tasklint.rules._base import Rule, register

NUMBER_KINDS = frozenset({"int", "float", "timedelta"})
CONTAINER_KINDS = frozenset({"dict", "list", "tuple", "set"})


def mismatch(value: object, accepts: tuple[str, ...]) -> str | None:
    """What Celery will do with a value of the wrong kind, or None when it is fine."""
    kinds = set(accepts)
    if "any" in kinds or value is None:
        return None
    if isinstance(value, str):
        if "str" in kinds or "bytes" in kinds:
            return None
        if "bool" in kinds:
            truth = "true" if value else "false"
            return f"is the string {value!r}: Celery keeps it as is and reads it as {truth} (a non-empty string is truthy)"
        if kinds & NUMBER_KINDS:
            return f"is the string {value!r}: Celery keeps it as is and fails or misbehaves when it compares it with a number"
        if kinds & CONTAINER_KINDS:
            return f"is the string {value!r} where Celery expects a {'/'.join(sorted(kinds & CONTAINER_KINDS))}"
        return None
    if isinstance(value, bool):
        if kinds & ({"bool", "int"}):
            return None
        if kinds & CONTAINER_KINDS:
            return (
                f"is {value!r} where Celery expects a {'/'.join(sorted(kinds & CONTAINER_KINDS))}"
            )
        return None
    if isinstance(value, (int, float)):
        if kinds & (NUMBER_KINDS | {"bool"}):
            return None
        if kinds & CONTAINER_KINDS:
            return f"is the number {value!r} where Celery expects a {'/'.join(sorted(kinds & CONTAINER_KINDS))}"
        return None
    return None


@register
class SettingWrongType(Rule):
    """
    ## What it does
    Flags a Celery setting whose value has a type Celery does not convert: a string for a
    boolean (`task_acks_late = "false"`), a string for a number (`task_time_limit = "300"`),
    a bare number where a mapping or list is expected.

    ## Why is this bad?
    Celery keeps configuration values as given (only command-line values are converted).
    `"false"` is a non-empty string, so `task_acks_late = "false"` turns late acks **on**;
    `"300"` as a time limit breaks the first comparison a worker makes.

    ## Example
    ```python
    from celery import Celery

    app = Celery("shop")
    app.conf.update(task_acks_late="false", task_time_limit="300")
    ```

    Use instead:
    ```python
    from celery import Celery

    app = Celery("shop")
    app.conf.update(
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_time_limit=300,
    )
    ```

    ## Options
    None.

    ## Known limitations
    Values read from the environment are unknown and not checked — convert them
    explicitly (`int(os.environ["X"])`, `os.environ.get("X") == "true"`).

    ## References
    - Celery: https://docs.celeryq.dev/en/stable/userguide/configuration.html
    """

    code = "TQ511"
    name = "setting-wrong-type"
    message = "`{key}` {problem}; write a {expected}"

    def check_project(self, index: ProjectIndex, settings: Settings) -> Iterator[Finding]:
        from tasklint.data import celery_settings as data

        model = CeleryModel.of(index, settings)
        seen: set[tuple[str, int]] = set()
        for app in model.apps:
            for entry in app.entries:
                if entry.value.kind != "const":
                    continue
                name = normalize_setting(entry.key, entry.namespace)
                info = data.setting(name) if name else None
                if info is None:
                    continue
                problem = mismatch(entry.value.value, info.accepts)
                if problem is None or (entry.path, entry.line) in seen:
                    continue
                seen.add((entry.path, entry.line))
                expected = " or ".join(k for k in info.accepts if k != "any")
                yield self.project_finding(
                    entry.path,
                    entry.line,
                    entry.col,
                    key=entry.key,
                    problem=problem,
                    expected=expected,
                )
