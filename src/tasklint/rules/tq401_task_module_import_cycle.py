"""TQ401: a task module's module-level import leads back to the task module."""

from __future__ import annotations

from collections.abc import Iterator

from tasklint.config import Settings
from tasklint.findings import Finding
from tasklint.project.facts import ImportFact
from tasklint.project.graph import ImportEdge, format_chain
from tasklint.project.index import ProjectIndex
from tasklint.rules._base import Rule, register


@register
class TaskModuleImportCycle(Rule):
    """
    ## What it does
    Flags a module-level import, in a module that defines tasks (Celery, RQ, Dramatiq, arq),
    of a project module from which the task module is imported again through module-level
    imports — an import cycle. The message shows the shortest chain, e.g.
    `app.tasks -> app.models -> app.signals -> app.tasks`. Importing a package runs its
    `__init__` first, so the chain can pass through a package.

    ## Why is this bad?
    Whichever module of the cycle is imported first sees the others half-initialised. The
    worker imports task modules in its own order (`autodiscover_tasks`, `include=`,
    `imports=`), the web process in another, so a cycle that works in one process fails in
    the other: `ImportError: cannot import name 'send_receipt' from partially initialized
    module 'app.tasks'`, raised at worker start-up or, worse, hidden until a rarely used
    entry point imports the modules in the unlucky order.

    ## Example
    ```python
    # file: app/tasks.py
    from celery import shared_task

    from app.models import Order


    @shared_task(time_limit=60)
    def send_receipt(order_id):
        Order.objects.get(pk=order_id).send_receipt()


    # file: app/models.py
    from app.tasks import send_receipt  # closes the cycle app.tasks -> app.models -> app.tasks
    ```

    Use instead:
    ```python
    # file: app/tasks.py
    from celery import shared_task


    @shared_task(time_limit=60)
    def send_receipt(order_id):
        from app.models import Order  # imported when the task runs

        Order.objects.get(pk=order_id).send_receipt()
    ```

    ## Options
    None. Task decorators configured in `celery.task-decorators` make their modules task
    modules too.

    ## Known limitations
    Imports inside functions, under `if TYPE_CHECKING:`, under
    `if __name__ == "__main__":` and in `try`/`except ImportError` fallbacks never close a
    cycle. Imports done dynamically (`importlib.import_module`, Django's app registry,
    Celery's `autodiscover_tasks`) are not seen. Module-level imports under an ordinary
    `if` count as executed. arq functions are recognised when a worker class lists them by
    name in `functions`/`cron_jobs` (not through `func(...)` or `cron(...)` wrappers).

    ## References
    - Python: https://docs.python.org/3/reference/import.html#submodules
    - Celery: https://docs.celeryq.dev/en/stable/django/first-steps-with-django.html
    """

    code = "TQ401"
    name = "task-module-import-cycle"
    message = (
        "Import cycle `{chain}`: this module-level import of a task module leads back to it; "
        "import `{imported}` inside the function that uses it, or move the shared code "
        "into a module that does not import `{module}`"
    )

    def check_project(self, index: ProjectIndex, settings: Settings) -> Iterator[Finding]:
        graph = index.import_graph
        for module, tasks in sorted(index.tasks_by_module().items()):
            if not tasks or not graph.in_cycle(module):
                continue
            facts = index.modules[module]
            distances = graph.cycle_distances_to(module)  # chains back stay in the cycle
            statements: dict[tuple[int, int], list[ImportEdge]] = {}
            for edge in graph.edges_from(module):
                statements.setdefault((edge.line, edge.col), []).append(edge)
            for (line, col), edges in sorted(statements.items()):
                best: tuple[str, ...] | None = None
                for edge in edges:
                    rest = graph.shortest_chain(edge.imported, module, distances)
                    if rest is None:
                        continue
                    chain = (module, *rest)
                    if best is None or (len(chain), chain) < (len(best), best):
                        best = chain
                if best is None:
                    continue
                yield self.project_finding(
                    facts.path,
                    line,
                    col,
                    chain=format_chain(best),
                    imported=_named(facts.imports, line, col, best[1]),
                    module=module,
                )


def _named(imports: list[ImportFact], line: int, col: int, first: str) -> str:
    """The module the statement names (not a package it merely runs on the way)."""
    for imp in imports:
        if imp.line == line and imp.col == col and imp.module.startswith(first + "."):
            return imp.module
    return first
