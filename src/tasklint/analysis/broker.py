"""What the broker is, and its effective visibility timeout (Redis and SQS)."""

from __future__ import annotations

from dataclasses import dataclass

from tasklint.config import Settings
from tasklint.project.celery_config import AppConfig, dict_entry
from tasklint.syntax.values import as_number

REDIS_SCHEMES = frozenset({"redis", "rediss", "redis+socket", "sentinel", "redis+sentinel"})
SQS_SCHEMES = frozenset({"sqs"})
AMQP_SCHEMES = frozenset({"amqp", "amqps", "pyamqp", "librabbitmq", "rabbitmq"})
DEFAULT_VISIBILITY = {"redis": 3600.0, "sqs": 1800.0}


def broker_kind(app: AppConfig) -> str | None:
    """ "redis", "sqs", "amqp", "other" when the broker URL is known; None when unknown/absent."""
    setting = app.get("broker_url")
    if setting is None or setting.value.kind != "const":
        return None
    url = setting.value.value
    urls = url if isinstance(url, list) else [url]
    kinds = set()
    for u in urls:
        if not isinstance(u, str) or "://" not in u:
            return None
        scheme = u.split("://", 1)[0].lower()
        if scheme in REDIS_SCHEMES:
            kinds.add("redis")
        elif scheme in SQS_SCHEMES:
            kinds.add("sqs")
        elif scheme in AMQP_SCHEMES:
            kinds.add("amqp")
        else:
            kinds.add("other")
    return kinds.pop() if len(kinds) == 1 else None


@dataclass(frozen=True)
class Visibility:
    seconds: float
    source: str
    path: str = ""
    line: int = 0


def visibility_timeout(app: AppConfig, settings: Settings) -> Visibility | None:
    """The effective visibility timeout of a Redis/SQS broker; None when not applicable/unknown."""
    options = app.get("broker_transport_options")
    entry = dict_entry(options.value, "visibility_timeout") if options is not None else None
    if entry is not None:
        seconds = as_number(entry.value) if entry.kind == "const" else None
        if seconds:  # zero, negative, inf, nan, huge or of the wrong kind: unknown
            assert options is not None
            return Visibility(seconds, "broker_transport_options", options.path, options.line)
        return None  # set, value unknown
    if options is not None and options.value.kind not in ("const", "dict"):
        return None  # the whole options mapping is unknown
    kind = broker_kind(app)
    if kind in DEFAULT_VISIBILITY:
        if settings.visibility_timeout is not None:
            return Visibility(
                settings.visibility_timeout, "the configured celery.visibility-timeout"
            )
        return Visibility(DEFAULT_VISIBILITY[kind], f"the {kind} default (kombu)")
    if kind is None and settings.visibility_timeout is not None:
        return Visibility(settings.visibility_timeout, "the configured celery.visibility-timeout")
    return None
