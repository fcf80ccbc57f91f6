"""TQ508: a setting name Celery silently ignores."""

from __future__ import annotations

from collections.abc import Iterator

from tasklint.analysis.edits import with_rename
from tasklint.config import Settings
from tasklint.findings import Finding
from tasklint.project.celery_config import CeleryModel, RawEntry
from tasklint.project.index import ProjectIndex
from tasklint.rules._base import Rule, register


def _read_by_project(index: ProjectIndex) -> set[str]:
    names: set[str] = set()
    for facts in index.modules.values():
        names.update((facts.extras.get("setting_reads") or {}).get("names", []))
    return names


# The groups Celery's setting names start with; a word-level near miss may drop or add one
# (`CELERY_TIME_LIMIT` for `CELERY_TASK_TIME_LIMIT`, `CELERY_TASK_ACCEPT_CONTENT` for
# `CELERY_ACCEPT_CONTENT`). Backend-specific groups (`redis_`, `elasticsearch_` ...) are not
# in the list: `CELERY_TIMEOUT` is no typo of `elasticsearch_timeout`.
GROUP_WORDS = frozenset({"task", "worker", "broker", "result", "beat"})
# Connection parts that projects name `CELERY_HOST`, `CELERY_PORT` ... to build their URLs.
GENERIC_WORDS = frozenset({"host", "port", "user", "password", "url", "vhost", "db", "name"})


def _word_edit(words: tuple[str, ...], setting: tuple[str, ...]) -> str | None:
    """How ``words`` is one word off ``setting``, or None."""
    if len(setting) == len(words) + 1:
        for i, word in enumerate(setting):
            if setting[:i] + setting[i + 1 :] == words:
                if word in GROUP_WORDS or 0 < i < len(setting) - 1:
                    return f"`{word}` missing"
    elif len(words) == len(setting) + 1:
        for i, word in enumerate(words):
            if words[:i] + words[i + 1 :] == setting and word in GROUP_WORDS:
                return f"`{word}` added"
    elif len(words) == len(setting) >= 2:
        diff = [i for i in range(len(words)) if words[i] != setting[i]]
        if (
            len(diff) == 2
            and diff[1] == diff[0] + 1
            and words[diff[0]] == setting[diff[1]]
            and words[diff[1]] == setting[diff[0]]
        ):
            return f"`{words[diff[0]]}` and `{words[diff[1]]}` swapped"
    return None


def word_near_miss(key: str, namespace: str) -> tuple[str, str, str] | None:
    """``(setting, spelling, how)`` when the namespaced upper-case ``key`` is one word off
    exactly one Celery setting: a group word missing or added, an inner word missing, or two
    adjacent words swapped."""
    from tasklint.data import celery_settings as data

    prefix = data.namespace_prefix(namespace)
    if key != key.upper() or not key.startswith(prefix.upper()):
        return None
    words = tuple(w for w in key[len(prefix) :].lower().split("_") if w)
    if not words or (len(words) == 1 and words[0] in GENERIC_WORDS):
        return None
    found: dict[str, str] = {}
    for name in data.all_new_names():
        how = _word_edit(words, tuple(name.split("_")))
        if how is not None:
            found[name] = how
    if len(found) != 1:
        return None
    ((name, how),) = found.items()
    info = data.setting(name)
    if info is None:
        return None
    return name, info.namespaced(namespace), how


def diagnose(entry: RawEntry, project_reads: set[str]) -> str | None:
    """Why Celery ignores this key and what was meant, or None when it is fine/unrelated."""
    from tasklint.data import celery_settings as data

    key = entry.key
    namespace = entry.namespace
    prefix = data.namespace_prefix(namespace) if namespace else ""
    if namespace and not key.startswith(prefix):
        return None  # Django's own settings: not Celery's business
    if key in project_reads or data.resolve(key, namespace) is not None:
        return None
    bare = key[len(prefix) :] if namespace else key
    if bare.lower() == "visibility_timeout":
        where = f"{prefix}BROKER_TRANSPORT_OPTIONS" if namespace else "broker_transport_options"
        return f"Celery never reads `{key}`: put `visibility_timeout` in `{where}`"
    suggestion = data.suggest(key, namespace)
    if suggestion is None:
        word = word_near_miss(key, namespace) if namespace else None
        if word is None:
            return None
        name, spelling, how = word
        return (
            f"Celery ignores `{key}` (one word off `{spelling}`: {how}) and keeps the default of "
            f"`{name}`; did you mean `{spelling}`?"
        )
    if suggestion.reason == "needs-namespace":
        return (
            f'Celery ignores `{key}`: this source is read without `namespace="CELERY"`; '
            f"name it `{suggestion.spelling}` or pass the namespace to `config_from_object`"
        )
    return (
        f"Celery ignores `{key}` and keeps the default of `{suggestion.setting.name}`; "
        f"did you mean `{suggestion.spelling}`?"
    )


def suggested_name(entry: RawEntry) -> str | None:
    """The one name the message of a reported key tells to write instead (for the fix);
    None for a top-level `visibility_timeout`, which belongs inside another setting."""
    from tasklint.data import celery_settings as data

    prefix = data.namespace_prefix(entry.namespace) if entry.namespace else ""
    if entry.key[len(prefix) :].lower() == "visibility_timeout":
        return None
    suggestion = data.suggest(entry.key, entry.namespace)
    return suggestion.spelling if suggestion is not None else None


@register
class UnknownCelerySetting(Rule):
    """
    ## What it does
    Flags a configuration name that Celery silently ignores: a near miss of a real setting
    (`task_ack_late`, `worker_prefetch_multiplyer`, `CELERY_RESULT_EXPIRE`), including a
    word missing, added or swapped (`CELERY_TIME_LIMIT` for `CELERY_TASK_TIME_LIMIT`), a top-level
    `visibility_timeout` (it belongs in `broker_transport_options`), and `CELERY_`-prefixed
    new-style names in Django settings read without `namespace="CELERY"`.

    ## Why is this bad?
    Celery does not validate setting names. A misspelled setting keeps the default, so the
    behaviour you configured (late acks, a limit, an expiry) never happens and nothing
    says so.

    ## Example
    ```python
    from celery import Celery

    app = Celery("shop")
    app.conf.update(task_ack_late=True)
    ```

    Use instead:
    ```python
    from celery import Celery

    app = Celery("shop")
    app.conf.update(
        task_acks_late=True, task_reject_on_worker_lost=True, worker_prefetch_multiplier=1
    )
    ```

    ## Fix safety
    Fix: unsafe (`--fix --unsafe-fixes`). The name is renamed to the one the message names
    (where it is written: keyword, assignment, attribute or dict key); the setting then
    applies, which changes the worker's behaviour. No fix for a top-level
    `visibility_timeout` (it must move into `broker_transport_options`) or when the same
    source already sets the intended name.

    ## Options
    - `celery.django-settings`: the Django settings module, when the code does not name it.

    ## Known limitations
    Only names close to exactly one Celery setting are reported, so that project settings
    that merely look similar stay silent. Besides spelling, names read under a namespace
    (`CELERY_...` in Django settings) are matched word by word: one of the groups `task`,
    `worker`, `broker`, `result`, `beat` missing or added (`CELERY_TIME_LIMIT` for
    `CELERY_TASK_TIME_LIMIT`, `CELERY_TASK_ACCEPT_CONTENT` for `CELERY_ACCEPT_CONTENT`),
    an inner word missing (`CELERY_BROKER_TIMEOUT`), or two adjacent words swapped;
    one-word names of connection parts (`CELERY_HOST`, `CELERY_URL` ...) are left alone.
    `CELERY_*` names that the project's own code reads (`settings.CELERY_X`,
    `getattr(settings, "CELERY_X")`) are never reported; a name used only inside the
    settings module to compute another setting (`CELERY_TIME_LIMIT = CELERY_SOFT_TIME_LIMIT
    + 60`) is not a read: Celery still ignores both.

    ## References
    - Celery: https://docs.celeryq.dev/en/stable/userguide/configuration.html
    """

    code = "TQ508"
    name = "unknown-celery-setting"
    message = "{diagnosis}"

    def check_project(self, index: ProjectIndex, settings: Settings) -> Iterator[Finding]:
        model = CeleryModel.of(index, settings)
        reads = _read_by_project(index)
        seen: set[tuple[str, int]] = set()
        for app in model.apps:
            for entry in app.entries:
                diagnosis = diagnose(entry, reads)
                if diagnosis is None or (entry.path, entry.line) in seen:
                    continue
                seen.add((entry.path, entry.line))
                finding = self.project_finding(
                    entry.path, entry.line, entry.col, diagnosis=diagnosis
                )
                meant = suggested_name(entry)
                if meant is not None and not any(
                    other.key == meant and other.source_id == entry.source_id
                    for other in app.entries
                ):
                    finding = with_rename(finding, entry.key, meant)
                yield finding
