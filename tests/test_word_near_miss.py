"""TQ508's word-level near misses: one word missing, added or swapped, against one setting."""

from __future__ import annotations

import pytest

from tasklint.rules.tq508_unknown_celery_setting import word_near_miss


@pytest.mark.parametrize(
    ("key", "meant", "how"),
    [
        ("CELERY_TIME_LIMIT", "CELERY_TASK_TIME_LIMIT", "`task` missing"),
        ("CELERY_SOFT_TIME_LIMIT", "CELERY_TASK_SOFT_TIME_LIMIT", "`task` missing"),
        ("CELERY_TASK_ACCEPT_CONTENT", "CELERY_ACCEPT_CONTENT", "`task` added"),
        ("CELERY_TASK_LATE_ACKS", "CELERY_TASK_ACKS_LATE", "`late` and `acks` swapped"),
        ("CELERY_BROKER_TIMEOUT", "CELERY_BROKER_CONNECTION_TIMEOUT", "`connection` missing"),
        ("CELERY_PREFETCH_MULTIPLIER", "CELERY_WORKER_PREFETCH_MULTIPLIER", "`worker` missing"),
    ],
)
def test_one_word_off_one_setting(key: str, meant: str, how: str) -> None:
    found = word_near_miss(key, "CELERY")
    assert found is not None
    assert found[1:] == (meant, how)


@pytest.mark.parametrize(
    "key",
    [
        "CELERY_QUEUE_NAME",  # a project name: one word off no setting
        "CELERY_TIMEOUT",  # not `elasticsearch_timeout`: backend groups are not dropped
        "CELERY_MAX_RETRIES",  # likewise `elasticsearch_max_retries`
        "CELERY_HOST",  # a connection part a project builds its URL from
        "CELERY_URL",
        "CELERY_ENABLED",
        "CELERY_APP_NAME",
        "celery_time_limit",  # lower case: not read under the namespace at all
        "TIME_LIMIT",  # no namespace prefix: Django's, not Celery's
    ],
)
def test_project_names_stay_silent(key: str) -> None:
    assert word_near_miss(key, "CELERY") is None
