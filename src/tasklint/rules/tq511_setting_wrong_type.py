"""TQ511: a Celery setting given a value of the wrong type."""

from __future__ import annotations

from collections.abc import Iterator

from tasklint.analysis.edits import with_replacement
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


TRUE_WORDS = frozenset({"true", "yes", "on", "1"})
FALSE_WORDS = frozenset({"false", "no", "off", "0"})


def real_value(text: str, accepts: tuple[str, ...]) -> str | None:
    """The literal the string stands for (``"false"`` -> ``False``, ``"300"`` -> ``300``)
    when the setting takes that kind and the string says it unambiguously, else None."""
    kinds = set(accepts)
    word = text.strip().lower()
    if "bool" in kinds:
        if word in TRUE_WORDS:
            return "True"
        if word in FALSE_WORDS:
            return "False"
        return None
    if kinds & NUMBER_KINDS:
        try:
            number = int(word, 10)
        except ValueError:
            pass
        else:
            return str(number) if "_" not in word else None
        if kinds & {"float", "timedelta"}:
            try:
                real = float(word)
            except ValueError:
                return None
            if real == real and real not in (float("inf"), float("-inf")) and "_" not in word:
                return repr(real)
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

    ## Fix safety
    Fix: unsafe (`--fix --unsafe-fixes`). A string written on the setting's line becomes the
    value it spells: `"false"`/`"no"`/`"off"`/`"0"` -> `False`, `"true"`/`"yes"`/`"on"`/`"1"`
    -> `True` for a boolean, `"300"` -> `300` for a number. The value Celery sees changes
    (that is the point). No fix for a value read through a name or for other strings.

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
                finding = self.project_finding(
                    entry.path,
                    entry.line,
                    entry.col,
                    key=entry.key,
                    problem=problem,
                    expected=expected,
                )
                value = entry.value.value
                real = real_value(value, info.accepts) if isinstance(value, str) else None
                if isinstance(value, str) and real is not None:
                    finding = with_replacement(finding, value, real)
                yield finding
