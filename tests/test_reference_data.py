# mypy: disable-error-code="import-not-found,import-untyped"
"""Unit tests of the reference tables (tasklint.data) and near-miss matching."""

from __future__ import annotations

import importlib.util
import itertools
import json
import random
import re
import sys
import time
import types
from pathlib import Path
from typing import Any

import pytest

from tasklint.data import celery_settings as cs
from tasklint.data import celery_task_options as cto
from tasklint.data import dramatiq_options as dro
from tasklint.data.nearmiss import canonical, closest, edit_distance, max_edits, near_misses

ROOT = Path(__file__).resolve().parent.parent


# ---------------------------------------------------------------------------------------
# Celery settings: lookups
# ---------------------------------------------------------------------------------------


def test_version_and_counts() -> None:
    assert re.fullmatch(r"5\.\d+\.\d+", cs.CELERY_VERSION)
    assert len(cs.SETTINGS) > 180
    assert len(cs.all_new_names()) == len(cs.SETTINGS)
    assert len(cs.all_old_names()) >= len(cs.SETTINGS)
    assert [s.name for s in cs.SETTINGS] == sorted(s.name for s in cs.SETTINGS)
    assert cs.OLD_NAMES_REMOVAL.startswith("6.")


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("CELERY_ACKS_LATE", "task_acks_late"),
        ("BROKER_URL", "broker_url"),
        ("CELERYD_PREFETCH_MULTIPLIER", "worker_prefetch_multiplier"),
        ("BROKER_TRANSPORT_OPTIONS", "broker_transport_options"),
        ("CELERY_TASK_RESULT_EXPIRES", "result_expires"),
        ("CELERY_RESULT_BACKEND", "result_backend"),
        ("CELERYBEAT_SCHEDULE", "beat_schedule"),
        ("CELERY_ALWAYS_EAGER", "task_always_eager"),
        ("CELERY_SEND_EVENTS", "worker_send_task_events"),
        ("CELERY_MAX_CACHED_RESULTS", "result_cache_max"),
        ("CELERYD_TASK_TIME_LIMIT", "task_time_limit"),
        ("CELERY_TASK_SERIALIZER", "task_serializer"),
        ("CELERY_QUEUES", "task_queues"),
        ("CELERY_ROUTES", "task_routes"),
        ("ENABLE_UTC", "enable_utc"),
    ],
)
def test_old_to_new(old: str, new: str) -> None:
    assert cs.is_old_name(old)
    assert not cs.is_new_name(old)
    assert cs.new_name(old) == new
    info = cs.setting(old)
    assert info is not None and info.name == new
    assert old in info.old_names
    assert cs.setting(new) is info
    assert old in cs.old_names(new)
    assert cs.style(old) == "old" and cs.style(new) == "new"


def test_lookup_negatives() -> None:
    assert cs.setting("my_custom_setting") is None
    assert cs.new_name("my_custom_setting") is None
    assert cs.new_name("task_acks_late") == "task_acks_late"  # a new name maps to itself
    assert cs.old_names("nope") == ()
    assert cs.setting("TASK_ACKS_LATE") is None  # names are case-sensitive
    assert cs.setting("celery_acks_late") is None
    assert cs.style("visibility_timeout") is None
    assert not cs.is_old_name("task_acks_late")


def test_old_names_are_upper_and_new_names_lower() -> None:
    for info in cs.SETTINGS:
        assert info.name == info.name.lower()
        assert info.old_names and all(o == o.upper() for o in info.old_names)
        assert info.compat_name == info.old_names[0]
    assert not cs.all_new_names() & cs.all_old_names()


@pytest.mark.parametrize(
    ("name", "type_", "accepts_str"),
    [
        ("task_acks_late", "bool", False),
        ("task_time_limit", "float", False),
        ("task_soft_time_limit", "float", False),
        ("worker_prefetch_multiplier", "int", False),
        ("broker_transport_options", "dict", False),
        ("broker_url", "string", True),
        ("accept_content", "list", False),
        ("imports", "tuple", True),
        ("task_routes", "any", False),
        ("worker_concurrency", "any", False),
        ("result_expires", "float", False),
        ("broker_heartbeat", "int", False),
        ("beat_schedule", "dict", False),
        ("security_key_password", "bytes", False),
    ],
)
def test_types(name: str, type_: str, accepts_str: bool) -> None:
    info = cs.setting(name)
    assert info is not None
    assert info.type == type_
    assert ("str" in info.accepts) is accepts_str


def test_declared_types_and_extras() -> None:
    deadline = cs.setting("beat_cron_starting_deadline")
    assert deadline is not None and deadline.type == "int"
    assert deadline.declared_type == "builtins.int"  # defaults.py writes type=int
    compression = cs.setting("result_compression")
    assert compression is not None and compression.type == "string"
    assert compression.declared_type == "str"
    expires = cs.setting("result_expires")
    assert expires is not None and "timedelta" in expires.accepts
    ssl = cs.setting("broker_use_ssl")
    assert ssl is not None and ssl.type == "bool" and "dict" in ssl.accepts
    assert all(info.accepts for info in cs.SETTINGS)


def test_defaults_are_strict_json() -> None:
    def no_constants(value: str) -> None:
        raise ValueError(value)

    for info in cs.SETTINGS:
        json.loads(info.default_json, parse_constant=no_constants)
    acks = cs.setting("task_acks_late")
    assert acks is not None and acks.default is False
    prefetch = cs.setting("worker_prefetch_multiplier")
    assert prefetch is not None and prefetch.default == 4
    expires = cs.setting("result_expires")
    assert expires is not None and expires.default == 86400.0
    assert expires.default_repr == "datetime.timedelta(days=1)"
    retries = cs.setting("result_backend_max_retries")
    assert retries is not None and retries.default == "inf" and retries.default_repr == "inf"
    accept = cs.setting("accept_content")
    assert accept is not None and accept.default == ["json"]
    policy = cs.setting("task_publish_retry_policy")
    assert policy is not None and isinstance(policy.default, dict)
    assert policy.default["max_retries"] == 3
    time_limit = cs.setting("task_time_limit")
    assert time_limit is not None and time_limit.default is None


def test_deprecation_fields() -> None:
    info = cs.setting("task_acks_on_failure_or_timeout")
    assert info is not None
    assert info.deprecate_by == "6.0" and info.remove_by == "7.0"
    assert info.alternative and "task_acks_on_failure" in info.alternative
    acks = cs.setting("task_acks_late")
    assert acks is not None and acks.deprecate_by is None


def test_fallbacks_and_environment() -> None:
    assert "TIME_ZONE" in cs.FALLBACK_KEYS["timezone"]
    assert cs.FALLBACK_KEYS["broker_url"] == ("broker_host",)
    assert cs.ENVIRONMENT_OVERRIDES["CELERY_BROKER_URL"] == "broker_url"
    assert cs.ENVIRONMENT_OVERRIDES["CELERY_RESULT_BACKEND"] == "result_backend"


# ---------------------------------------------------------------------------------------
# Celery settings: namespaces, mixing, suggestions
# ---------------------------------------------------------------------------------------


def test_keys_read() -> None:
    assert cs.keys_read("task_acks_late", "CELERY") == (
        "CELERY_TASK_ACKS_LATE",
        "task_acks_late",
        "CELERY_ACKS_LATE",
    )
    assert cs.keys_read("task_acks_late") == ("task_acks_late", "CELERY_ACKS_LATE")
    assert cs.keys_read("CELERY_ACKS_LATE") == ("task_acks_late", "CELERY_ACKS_LATE")
    assert cs.keys_read("broker_url", "CELERY") == ("CELERY_BROKER_URL", "broker_url", "BROKER_URL")
    assert cs.keys_read("task_acks_late", "celery")[0] == "celery_task_acks_late"
    assert cs.keys_read("task_acks_late", "CELERY_")[0] == "CELERY_TASK_ACKS_LATE"
    # an old name that equals the prefixed new name is listed once
    assert cs.keys_read("task_serializer", "CELERY") == (
        "CELERY_TASK_SERIALIZER",
        "task_serializer",
    )
    assert cs.keys_read("nope") == ()


@pytest.mark.parametrize(
    ("key", "namespace", "expected"),
    [
        ("CELERY_TASK_ACKS_LATE", "CELERY", "task_acks_late"),
        ("CELERY_ACKS_LATE", "CELERY", "task_acks_late"),
        ("task_acks_late", "CELERY", "task_acks_late"),
        ("CELERYD_PREFETCH_MULTIPLIER", "CELERY", "worker_prefetch_multiplier"),
        ("CELERY_WORKER_PREFETCH_MULTIPLIER", "CELERY", "worker_prefetch_multiplier"),
        ("BROKER_URL", "CELERY", "broker_url"),
        ("CELERY_BROKER_URL", "CELERY", "broker_url"),
        ("CELERY_TASK_RESULT_EXPIRES", "CELERY", "result_expires"),
        ("CELERY_RESULT_EXPIRES", "CELERY", "result_expires"),
        ("CELERY_CELERYD_PREFETCH_MULTIPLIER", "CELERY", None),
        ("CELERY_TASK_ACKS_LATE", "celery", None),
        ("celery_task_acks_late", "celery", "task_acks_late"),
        ("CELERY_TASK_ACKS_LATE", None, None),
        ("CELERY_BROKER_URL", None, None),
        ("CELERY_RESULT_EXPIRES", None, None),
        ("CELERY_TASK_SERIALIZER", None, "task_serializer"),
        ("CELERY_RESULT_BACKEND", None, "result_backend"),
        ("CELERY_ACKS_LATE", None, "task_acks_late"),
        ("task_acks_late", None, "task_acks_late"),
        ("visibility_timeout", None, None),
        ("TIME_ZONE", "CELERY", None),  # read only as a fallback (FALLBACK_KEYS)
    ],
)
def test_resolve(key: str, namespace: str | None, expected: str | None) -> None:
    info = cs.resolve(key, namespace)
    assert (info.name if info else None) == expected


def test_names_read_and_strip_namespace() -> None:
    with_ns = cs.names_read("CELERY")
    without = cs.names_read()
    assert without == cs.all_new_names() | cs.all_old_names()
    assert "CELERY_TASK_ACKS_LATE" in with_ns and "CELERY_TASK_ACKS_LATE" not in without
    assert cs.strip_namespace("CELERY_TASK_ACKS_LATE") == "task_acks_late"
    assert cs.strip_namespace("CELERY_task_acks_late") is None
    assert cs.strip_namespace("CELERY_RESTRICT_WRITER_METHOD") is None
    assert cs.strip_namespace("celery_task_acks_late", "celery") == "task_acks_late"
    assert cs.strip_namespace("BROKER_URL") is None
    info = cs.setting("task_acks_late")
    assert info is not None and info.namespaced() == "CELERY_TASK_ACKS_LATE"
    assert info.namespaced("Celery") == "celery_task_acks_late"


def test_mixed_style_conflicts() -> None:
    assert cs.mixed_style_conflicts(["task_acks_late", "broker_url"]) is None
    assert cs.mixed_style_conflicts(["CELERY_ACKS_LATE", "BROKER_URL"]) is None
    assert cs.mixed_style_conflicts([]) is None
    conflict = cs.mixed_style_conflicts(["task_serializer", "CELERYD_PREFETCH_MULTIPLIER"])
    assert conflict is not None and conflict.kept == "new"  # a tie keeps the new style
    assert conflict.renames == (("CELERYD_PREFETCH_MULTIPLIER", "worker_prefetch_multiplier"),)
    conflict = cs.mixed_style_conflicts(["BROKER_URL", "CELERYD_CONCURRENCY", "task_acks_late"])
    assert conflict is not None and conflict.kept == "old"
    assert conflict.renames == (("task_acks_late", "CELERY_ACKS_LATE"),)
    # both names of the same setting: no conflict
    assert cs.mixed_style_conflicts(["result_expires", "CELERY_TASK_RESULT_EXPIRES"]) is None
    assert cs.mixed_style_conflicts(["DEBUG", "SECRET_KEY", "task_acks_late"]) is None


@pytest.mark.parametrize(
    ("key", "namespace", "spelling", "reason"),
    [
        ("task_ack_late", None, "task_acks_late", "near-miss"),
        ("worker_prefetch_multiplyer", None, "worker_prefetch_multiplier", "near-miss"),
        ("result_expire", None, "result_expires", "near-miss"),
        # under a namespace an upper-case name is matched with the namespaced names
        ("CELERY_RESULT_EXPIRE", "CELERY", "CELERY_RESULT_EXPIRES", "near-miss"),
        ("CELERY_TASK_ACK_LATE", "CELERY", "CELERY_TASK_ACKS_LATE", "near-miss"),
        (
            "CELERY_WORKER_PREFETCH_MULTIPLYER",
            "CELERY",
            "CELERY_WORKER_PREFETCH_MULTIPLIER",
            "near-miss",
        ),
        (
            "CELERY_BROKER_TRANSPORT_OPTION",
            "CELERY",
            "CELERY_BROKER_TRANSPORT_OPTIONS",
            "near-miss",
        ),
        # ... and with the old names, read without the prefix
        ("CELERY_ACK_LATE", "CELERY", "CELERY_ACKS_LATE", "near-miss"),
        ("CELERYD_PREFETCH_MULTIPLYER", None, "CELERYD_PREFETCH_MULTIPLIER", "near-miss"),
        # without a namespace: the old names, then the new name after the CELERY_ prefix
        ("CELERY_RESULT_EXPIRE", None, "result_expires", "near-miss"),
        ("CELERY_TASK_ACKS_LATE", None, "task_acks_late", "needs-namespace"),
        (
            "CELERY_CELERYD_PREFETCH_MULTIPLIER",
            "CELERY",
            "CELERYD_PREFETCH_MULTIPLIER",
            "extra-prefix",
        ),
        ("celery_task_ack_late", "celery", "celery_task_acks_late", "near-miss"),
        ("broker_urls", None, "broker_url", "near-miss"),
    ],
)
def test_suggest(key: str, namespace: str | None, spelling: str, reason: str) -> None:
    found = cs.suggest(key, namespace)
    assert found is not None
    assert (found.spelling, found.reason) == (spelling, reason)
    assert cs.resolve(found.spelling, namespace) is found.setting or reason == "needs-namespace"


@pytest.mark.parametrize(
    ("key", "namespace"),
    [
        ("task_acks_late", None),
        ("CELERY_TASK_ACKS_LATE", "CELERY"),
        ("BROKER_URL", "CELERY"),
        ("broker_url", None),
        ("my_custom_setting", None),
        ("CELERY_RESTRICT_WRITER_METHOD", "CELERY"),
        ("CELERY_RESTRICT_WRITER_METHOD", None),
        ("visibility_timeout", None),
        ("DEBUG", "CELERY"),
        ("SECRET_KEY", None),
    ],
)
def test_suggest_negatives(key: str, namespace: str | None) -> None:
    assert cs.suggest(key, namespace) is None


# ---------------------------------------------------------------------------------------
# Near-miss matching
# ---------------------------------------------------------------------------------------

SETTING_NAMES = cs.all_new_names()
OPTION_NAMES = cto.all_task_option_names()


@pytest.mark.parametrize(
    ("name", "candidates", "expected"),
    [
        ("task_ack_late", SETTING_NAMES, "task_acks_late"),
        ("worker_prefetch_multiplyer", SETTING_NAMES, "worker_prefetch_multiplier"),
        ("result_expire", SETTING_NAMES, "result_expires"),
        ("task_time_limt", SETTING_NAMES, "task_time_limit"),
        ("task_softtime_limit", SETTING_NAMES, "task_soft_time_limit"),
        ("broker_urls", SETTING_NAMES, "broker_url"),
        ("CELERY_ACK_LATE", cs.all_old_names(), "CELERY_ACKS_LATE"),
        ("max_retry", OPTION_NAMES, "max_retries"),
        ("acks_lat", OPTION_NAMES, "acks_late"),
        ("soft_timelimit", OPTION_NAMES, "soft_time_limit"),
        ("timelimit", OPTION_NAMES, "time_limit"),
        ("autoretry_fro", OPTION_NAMES, "autoretry_for"),
        ("retry_backof", OPTION_NAMES, "retry_backoff"),
        ("ack_late", OPTION_NAMES, "acks_late"),
        ("Acks_Late", OPTION_NAMES, "acks_late"),  # differs only in case
        ("ignore_results", OPTION_NAMES, "ignore_result"),
    ],
)
def test_closest(name: str, candidates: frozenset[str], expected: str) -> None:
    assert closest(name, candidates) == expected
    assert closest(name, sorted(candidates, reverse=True)) == expected  # order-independent


@pytest.mark.parametrize(
    ("name", "candidates"),
    [
        ("task_acks_late", SETTING_NAMES),  # the name itself
        ("broker_url", SETTING_NAMES),  # valid, although broker_urls would be 1 edit away
        ("my_custom_setting", SETTING_NAMES),
        ("worker_hostname", SETTING_NAMES),
        ("acks_late", OPTION_NAMES),
        ("queue", OPTION_NAMES),
        ("my_flag", OPTION_NAMES),
        ("abc", ["abd"]),  # 3 characters: no edits allowed
        ("limit_a", ["limit_b", "limit_c"]),  # two candidates equally close
        ("", SETTING_NAMES),
        ("x", []),
    ],
)
def test_closest_negatives(name: str, candidates: frozenset[str] | list[str]) -> None:
    assert closest(name, candidates) is None


def test_closest_prefers_the_strictly_closest() -> None:
    # 1 edit from one candidate, 2 from another: the nearer wins
    assert closest("time_limitx", ["time_limit", "time_limits_"]) == "time_limit"
    assert [m.candidate for m in near_misses("time_limitx", ["time_limit", "time_limits_"])] == [
        "time_limit",
        "time_limits_",
    ]
    # a case-only difference beats one edit
    assert closest("Max_Retries", ["max_retries", "Max_Retried"]) == "max_retries"


def test_thresholds_and_canonical() -> None:
    assert [max_edits("a" * n) for n in (3, 4, 8, 9, 30)] == [0, 1, 1, 2, 2]
    assert canonical("soft_time_limit") == canonical("soft_timelimit") == "softtimelimit"
    assert canonical("max_retries") == canonical("max_retry") == "maxretry"
    assert canonical("task_acks_late") == canonical("task_ack_late")
    assert canonical("__x__") == "x"
    assert canonical("address") == "address"  # "ss" is not a plural


def _osa(a: str, b: str) -> int:
    d = [[0] * (len(b) + 1) for _ in range(len(a) + 1)]
    for i in range(len(a) + 1):
        d[i][0] = i
    for j in range(len(b) + 1):
        d[0][j] = j
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
    return d[-1][-1]


def test_edit_distance_matches_reference() -> None:
    rng = random.Random(7)
    for _ in range(3000):
        a = "".join(rng.choice("ab_") for _ in range(rng.randint(0, 7)))
        b = "".join(rng.choice("ab_") for _ in range(rng.randint(0, 7)))
        full = _osa(a, b)
        assert edit_distance(a, b) == full
        for limit in (0, 1, 2):
            assert edit_distance(a, b, limit) == (full if full <= limit else limit + 1)
    assert edit_distance("ca", "ac") == 1  # a transposition is one edit


def test_closest_is_fast() -> None:
    candidates = sorted(cs.names_read("CELERY"))  # ~600 names
    rng = random.Random(3)
    names = []
    for name in itertools.islice(itertools.cycle(candidates), 400):
        i = rng.randrange(len(name))
        names.append(name[:i] + name[i + 1 :] + f"_{rng.randrange(100)}")
    start = time.perf_counter()
    for name in names:
        closest(name, candidates)
    assert time.perf_counter() - start < 5.0


# ---------------------------------------------------------------------------------------
# Celery task options and Dramatiq
# ---------------------------------------------------------------------------------------

BRIEF_TASK_OPTIONS = """
name typing max_retries default_retry_delay rate_limit ignore_result trail send_events
store_errors_even_if_ignored serializer time_limit soft_time_limit acks_late
acks_on_failure_or_timeout reject_on_worker_lost throws expires priority resultrepr_maxsize
request_stack abstract autoretry_for retry_kwargs retry_backoff retry_backoff_max retry_jitter
dont_autoretry_for store_eager_result track_started base bind shared lazy filter pydantic
pydantic_strict pydantic_context pydantic_dump_kwargs queue exchange routing_key backend
""".split()


def test_task_options() -> None:
    assert cto.CELERY_VERSION == cs.CELERY_VERSION
    for name in BRIEF_TASK_OPTIONS:
        assert cto.is_task_option(name), name
    assert not cto.is_task_option("max_retry")
    assert not cto.is_task_option("run")
    assert "run" in cto.known_task_names() and "on_failure" in cto.known_task_names()
    assert not set(cto.TASK_MEMBERS) & cto.all_task_option_names()
    acks = cto.task_option("acks_late")
    assert acks is not None and acks.setting == "task_acks_late"
    assert "attribute" in acks.roles and "config" in acks.roles
    bind = cto.task_option("bind")
    assert bind is not None and bind.roles == ("decorator",) and bind.default_repr == "False"
    backoff_max = cto.task_option("retry_backoff_max")
    assert backoff_max is not None and backoff_max.default_repr == "600"
    max_retries = cto.task_option("max_retries")
    assert max_retries is not None and max_retries.default_repr == "3"
    for option in cto.TASK_OPTIONS:
        if option.setting is not None:
            assert cs.is_new_name(option.setting), option


def test_deprecated_routing_options() -> None:
    assert set(cto.DEPRECATED_ROUTING_OPTIONS) >= {
        "queue",
        "exchange",
        "routing_key",
        "priority",
        "delivery_mode",
    }
    assert cto.ROUTING_OPTIONS_REMOVAL == "6.0"
    assert cto.is_deprecated_routing_option("queue")
    assert not cto.is_deprecated_routing_option("time_limit")
    queue = cto.task_option("queue")
    assert queue is not None and queue.deprecated_removal == "6.0"


def test_dramatiq_options() -> None:
    assert re.fullmatch(r"\d+\.\d+\.\d+", dro.DRAMATIQ_VERSION)
    time_limit = dro.millisecond_option("time_limit")
    assert time_limit is not None and time_limit.default_ms == 600_000
    assert time_limit.actor_option and time_limit.message_option
    assert time_limit.middleware == "dramatiq.middleware.TimeLimit"
    for name in ("max_age", "min_backoff", "max_backoff", "delay", "result_ttl"):
        assert dro.is_millisecond_option(name), name
    delay = dro.millisecond_option("delay")
    assert delay is not None and not delay.actor_option
    assert not dro.is_millisecond_option("max_retries")
    assert "time_limit" in dro.DEFAULT_ACTOR_OPTIONS
    assert "queue_name" in dro.ACTOR_DECORATOR_PARAMETERS
    assert dro.SECOND_PARAMETERS[0][1] == "window"


# ---------------------------------------------------------------------------------------
# Cross-checks against installed Celery / Dramatiq (skipped when not installed)
# ---------------------------------------------------------------------------------------


def _generator() -> Any:
    spec = importlib.util.spec_from_file_location(
        "gen_celery_data", ROOT / "scripts" / "gen_celery_data.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("gen_celery_data", module)
    spec.loader.exec_module(module)
    return module


def _generated_block(path: Path, gen: Any) -> str:
    text = path.read_text(encoding="utf-8")
    start = text.index(gen.BEGIN)
    return text[start : text.index(gen.END, start) + len(gen.END)]


def _require(package: str, generated_from: str) -> Any:
    module = pytest.importorskip(package)
    if module.__version__ != generated_from:
        pytest.skip(f"tables come from {package} {generated_from}, {module.__version__} installed")
    return module


def test_celery_tables_match_installed_celery() -> None:
    _require("celery", cs.CELERY_VERSION)
    gen = _generator()
    data = ROOT / "src" / "tasklint" / "data"
    assert _generated_block(data / "celery_settings.py", gen) == gen.celery_settings_block()
    assert _generated_block(data / "celery_task_options.py", gen) == gen.celery_task_options_block()

    from celery.app import defaults

    assert cs.all_new_names() == set(defaults.SETTING_KEYS)
    assert cs.all_old_names() == set(defaults._OLD_SETTING_KEYS)
    for old, new in defaults._TO_NEW_KEY.items():
        assert cs.new_name(old) == new
    for new, old in defaults._TO_OLD_KEY.items():
        info = cs.setting(new)
        assert info is not None and info.compat_name == old


def test_namespace_resolution_matches_celery() -> None:
    _require("celery", cs.CELERY_VERSION)
    from celery import Celery

    sentinel = object()
    keys = sorted(cs.names_read("CELERY") | cs.names_read("celery"))
    keys = [
        *keys[::7],
        "CELERY_TASK_ACKS_LATE",
        "CELERY_ACKS_LATE",
        "CELERYD_PREFETCH_MULTIPLIER",
        "CELERY_CELERYD_PREFETCH_MULTIPLIER",
        "BROKER_URL",
        "CELERY_BROKER_URL",
        "CELERY_TASK_SERIALIZER",
        "celery_task_acks_late",
        "visibility_timeout",
    ]
    for namespace in (None, "CELERY", "celery"):
        for key in keys:
            app = Celery("refcheck", set_as_current=False)
            app.config_from_object(types.SimpleNamespace(**{key: sentinel}), namespace=namespace)
            read = {s.name for s in cs.SETTINGS if app.conf.get(s.name) is sentinel}
            info = cs.resolve(key, namespace)
            assert read == ({info.name} if info else set()), (key, namespace)


def test_mixing_matches_celery() -> None:
    _require("celery", cs.CELERY_VERSION)
    from celery.app.utils import detect_settings
    from celery.exceptions import ImproperlyConfigured

    rng = random.Random(11)
    new = sorted(cs.all_new_names())
    old = sorted(cs.all_old_names())
    for _ in range(400):
        keys = set(rng.sample(new, rng.randint(0, 3))) | set(rng.sample(old, rng.randint(0, 3)))
        if keys and rng.random() < 0.3:
            info = cs.setting(rng.choice(sorted(keys)))
            assert info is not None
            keys |= {info.name, info.compat_name}
        keys.add("UNRELATED_SETTING")
        try:
            detect_settings({k: 1 for k in keys})
            error = None
        except ImproperlyConfigured as exc:
            error = str(exc)
        conflict = cs.mixed_style_conflicts(keys)
        assert (error is None) == (conflict is None), keys
        if conflict is not None and error is not None:
            for key, replacement in conflict.renames:
                assert f"{key:<36} -> {replacement}" in error


def test_dramatiq_table_matches_installed_dramatiq() -> None:
    _require("dramatiq", dro.DRAMATIQ_VERSION)
    gen = _generator()
    path = ROOT / "src" / "tasklint" / "data" / "dramatiq_options.py"
    assert _generated_block(path, gen) == gen.dramatiq_block()
