"""TQ506: broker heartbeats disabled on an AMQP broker."""

from __future__ import annotations

from collections.abc import Iterator

from tasklint.analysis.broker import broker_kind
from tasklint.analysis.celery_options import global_level
from tasklint.config import Settings
from tasklint.findings import Finding
from tasklint.project.celery_config import CeleryModel
from tasklint.project.index import ProjectIndex
from tasklint.rules._base import Rule, register


@register
class BrokerHeartbeatDisabled(Rule):
    """
    ## What it does
    Flags `broker_heartbeat = 0` or `None` when the broker is AMQP (RabbitMQ) or unknown.

    ## Why is this bad?
    Without heartbeats a half-open TCP connection (a NAT or load balancer dropping idle
    connections, a broker failover) is not noticed: the worker keeps waiting on a dead
    connection and consumes nothing, while looking healthy.

    ## Example
    ```python
    from celery import Celery

    app = Celery("shop", broker="amqp://rabbit//", broker_heartbeat=0)
    ```

    Use instead:
    ```python
    from celery import Celery

    app = Celery("shop", broker="amqp://rabbit//", broker_heartbeat=60)
    app.conf.update(
        task_acks_late=True, task_reject_on_worker_lost=True, worker_prefetch_multiplier=1
    )
    ```

    ## Options
    None.

    ## Known limitations
    Redis and SQS brokers have no heartbeats (the setting is AMQP-only) and are not
    reported.

    ## References
    - Celery: https://docs.celeryq.dev/en/stable/userguide/configuration.html#broker-heartbeat
    """

    code = "TQ506"
    name = "broker-heartbeat-disabled"
    message = (
        "`broker_heartbeat` is {value}: a dead AMQP connection goes unnoticed and the worker "
        "stops consuming; leave the default (120 s) or set a positive number"
    )

    def check_project(self, index: ProjectIndex, settings: Settings) -> Iterator[Finding]:
        model = CeleryModel.of(index, settings)
        for app in model.apps:
            found = global_level(app, "broker_heartbeat")
            if not found.known or found.value not in (0, None) or found.value is False:
                continue
            if broker_kind(app) in ("redis", "sqs", "other"):
                continue
            yield self.project_finding(found.path, found.line, found.col, value=repr(found.value))
