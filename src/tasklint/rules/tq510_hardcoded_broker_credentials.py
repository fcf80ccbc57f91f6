"""TQ510: a password written into a broker or result-backend URL."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlsplit

from tasklint.config import Settings
from tasklint.findings import Finding
from tasklint.project.celery_config import CeleryModel
from tasklint.project.index import ProjectIndex
from tasklint.rules._base import Rule, register

URL_SETTINGS = ("broker_url", "result_backend", "broker_read_url", "broker_write_url")
SAFE_HOSTS = frozenset({"localhost", "127.0.0.1", "::1", "redis", "rabbitmq"})


def has_real_password(url: str) -> bool:
    try:
        parts = urlsplit(url)
        password = parts.password
        user = parts.username
        host = (parts.hostname or "").lower()
    except ValueError:
        return False
    if not password:
        return False
    if user == "guest" and password == "guest":
        return False
    if host in SAFE_HOSTS:
        return False
    return not (password.startswith("${") or password.startswith("$") or password.startswith("%("))


@register
class HardcodedBrokerCredentials(Rule):
    """
    ## What it does
    Flags a literal `broker_url` / `result_backend` (or `Celery(broker=...)`) URL that
    contains a password, except RabbitMQ's `guest:guest` and local hosts (`localhost`,
    `127.0.0.1`, and the compose service names `redis` and `rabbitmq`).

    ## Why is this bad?
    The password ends up in version control, in every clone, and in CI logs. Rotating it
    means a code change and a deploy.

    ## Example
    ```python
    from celery import Celery

    app = Celery("shop", broker="amqp://shop:s3cret@mq.internal.example.com:5672//")
    ```

    Use instead:
    ```python
    import os

    from celery import Celery

    app = Celery("shop", broker=os.environ["CELERY_BROKER_URL"])
    app.conf.update(
        task_acks_late=True, task_reject_on_worker_lost=True, worker_prefetch_multiplier=1
    )
    ```

    ## Options
    None.

    ## Known limitations
    Only literal URLs are checked; credentials assembled with f-strings or `%`
    formatting from constants are not. Passwords for the hosts `localhost`, `127.0.0.1`,
    `redis` and `rabbitmq` and the `guest:guest` default are not reported.

    ## References
    - Celery: https://docs.celeryq.dev/en/stable/userguide/configuration.html#broker-url
    """

    code = "TQ510"
    name = "hardcoded-broker-credentials"
    message = "`{name}` contains a password: it is committed with the code; read the URL from the environment"

    def check_project(self, index: ProjectIndex, settings: Settings) -> Iterator[Finding]:
        model = CeleryModel.of(index, settings)
        for app in model.apps:
            for name in URL_SETTINGS:
                setting = app.get(name)
                if setting is None or setting.value.kind != "const":
                    continue
                values = setting.value.value
                urls = values if isinstance(values, list) else [values]
                if any(isinstance(u, str) and has_real_password(u) for u in urls):
                    yield self.project_finding(
                        setting.path, setting.line, setting.col, name=setting.raw_name
                    )
