"""Function summaries: local effects once per function, effects through calls settled by a
fixed point (cycles included), enqueue wrappers and receiver-connecting decorators."""

from __future__ import annotations

from pathlib import Path

from tasklint.analysis.summaries import Summaries
from tasklint.config import Settings
from tasklint.project import build_index

TASKS = """
from celery import shared_task


@shared_task(time_limit=60)
def ship(order_id):
    pass
"""

CYCLE = """
from django.db import transaction

from shop.tasks import ship


def ping(order, n):
    if n:
        pong(order, n - 1)


def pong(order, n):
    ping(order, n)
    ship.delay(order.id)


def spin(n):
    if n:
        spin_back(n - 1)


def spin_back(n):
    spin(n)


def later(order):
    transaction.on_commit(lambda: ship.delay(order.id))


def commits(order):
    transaction.commit()


@transaction.atomic
def opens(order):
    order.save()


def forwards(order_id, other):
    ship.delay(order_id)


def mystery(callback):
    callback()
    callback.run()
"""

MODELS = """
from django.db import models


class Order(models.Model):
    pass


def fetch(pk):
    return Order.objects.get(pk=pk)


def fetch_or_none(pk):
    if pk:
        return Order.objects.get(pk=pk)
    return None


def fetch_all():
    return Order.objects.filter(paid=True)


def chain(pk):
    return fetch(pk)


def loop(pk):
    return loop(pk)
"""

DECORATORS = """
from django.conf import settings
from django.db.models.signals import post_save


def background(func):
    def wrapper(*args, **kwargs):
        if settings.FOREGROUND:
            return func(*args, **kwargs)
        return func.delay(*args, **kwargs)

    return wrapper


def on_save(func):
    post_save.connect(func)
    return func


def logged(func):
    def wrapper(*args, **kwargs):
        return func(*args, **kwargs)

    return wrapper


def direct(task):
    task.delay()
    return task
"""


def _summaries(tmp_path: Path) -> Summaries:
    pkg = tmp_path / "shop"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "tasks.py").write_text(TASKS)
    (pkg / "services.py").write_text(CYCLE)
    (pkg / "models.py").write_text(MODELS)
    (pkg / "decorators.py").write_text(DECORATORS)
    settings = Settings()
    index, errors = build_index(tmp_path, settings, use_cache=False)
    assert not errors
    return Summaries.of(index, settings)


def test_cycle_settles_to_the_enqueue(tmp_path: Path) -> None:
    summaries = _summaries(tmp_path)
    ping = summaries.enqueue_path("shop.services.ping")
    assert ping is not None
    assert [step.what for step in ping] == ["pong", "ship"]
    assert ping[-1].function == "shop.services.pong"
    pong = summaries.enqueue_path("shop.services.pong")
    assert pong is not None and len(pong) == 1


CHAINS = """
from shop.tasks import ship


def notify(order):
    long_way(order)  # first in call order, three steps to the enqueue
    short_way(order)  # second, two steps


def long_way(order):
    middle(order)


def middle(order):
    ship.delay(order.id)


def short_way(order):
    ship.delay(order.id)


def both(order):
    middle(order)
    short_way(order)
"""


def _chains(tmp_path: Path) -> Summaries:
    pkg = tmp_path / "shop"
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "tasks.py").write_text(TASKS)
    (pkg / "flows.py").write_text(CHAINS)
    settings = Settings()
    index, errors = build_index(tmp_path, settings, use_cache=False)
    assert not errors
    return Summaries.of(index, settings)


def _route(summaries: Summaries, function: str) -> list[str]:
    path = summaries.enqueue_path(f"shop.flows.{function}")
    assert path is not None
    return [step.what for step in path]


def test_enqueue_path_is_a_shortest_one_whatever_was_asked_before(tmp_path: Path) -> None:
    # asked first: the shortest path, through the second call
    fresh = _chains(tmp_path / "fresh")
    assert _route(fresh, "notify") == ["short_way", "ship"]
    # the longer callee settled first (memoised) must not make it the path: the answer
    # does not depend on the order files are linted in, nor on --jobs
    warmed = _chains(tmp_path / "warmed")
    assert _route(warmed, "long_way") == ["middle", "ship"]
    assert _route(warmed, "notify") == ["short_way", "ship"]
    # among paths of equal length, the first call wins
    assert _route(fresh, "both") == ["middle", "ship"]


def test_cycle_without_enqueue_settles_to_none(tmp_path: Path) -> None:
    summaries = _summaries(tmp_path)
    assert summaries.enqueue_path("shop.services.spin") is None
    assert summaries.enqueue_path("shop.services.spin_back") is None
    assert summaries.enqueue_path("shop.services.later") is None


def test_local_effects(tmp_path: Path) -> None:
    summaries = _summaries(tmp_path)
    commits = summaries.summary("shop.services.commits")
    opens = summaries.summary("shop.services.opens")
    forwards = summaries.summary("shop.services.forwards")
    mystery = summaries.local("shop.services.mystery")
    assert commits is not None and commits.commits and not commits.opens_transaction
    assert opens is not None and opens.opens_transaction and not opens.commits
    assert forwards is not None and forwards.forwards == frozenset({"order_id"})
    assert forwards.enqueue is not None
    assert mystery is not None and mystery.unresolved == 2 and not mystery.calls
    assert summaries.unresolved_calls >= 2
    assert summaries.local("shop.services.nothing_here") is None


def test_returns_model_on_every_path(tmp_path: Path) -> None:
    summaries = _summaries(tmp_path)
    assert summaries.returns_model("shop.models.fetch") == "model instance"
    assert summaries.returns_model("shop.models.fetch_all") == "queryset"
    assert summaries.returns_model("shop.models.chain") == "model instance"
    assert summaries.returns_model("shop.models.fetch_or_none") is None
    assert summaries.returns_model("shop.models.loop") is None


def test_decorator_summaries(tmp_path: Path) -> None:
    summaries = _summaries(tmp_path)
    background = summaries.summary("shop.decorators.background")
    on_save = summaries.summary("shop.decorators.on_save")
    logged = summaries.summary("shop.decorators.logged")
    direct = summaries.summary("shop.decorators.direct")
    assert background is not None and background.wraps_enqueue and not background.connects
    assert on_save is not None and on_save.connects == (
        ("connect", "django.db.models.signals.post_save"),
    )
    assert logged is not None and not logged.wraps_enqueue and not logged.connects
    # an enqueue at decoration time is not a wrapper that enqueues when called
    assert direct is not None and not direct.wraps_enqueue
