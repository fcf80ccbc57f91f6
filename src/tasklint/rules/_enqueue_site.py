"""The textual gate shared by the rules that look at enqueue calls (TQ201, TQ207, TQ208)."""

from __future__ import annotations

import ast

from tasklint.analysis.enqueue import (
    ENQUEUE_TRIGGERS,
    enqueue_triggered,
    mentions_wrapped_call,
    wrapper_task_names,
)
from tasklint.config import Settings
from tasklint.project.index import ProjectIndex
from tasklint.rules._base import Rule


class EnqueueSiteRule(Rule):
    """A rule checked at enqueue calls: a file is worth parsing when its text shows an
    enqueue, a configured trigger, or a call of a task behind an enqueue wrapper."""

    node_types = (ast.Call,)
    triggers = ENQUEUE_TRIGGERS
    wrapped: tuple[str, ...] = ()  # tasks that calling enqueues (enqueue wrappers)
    index: ProjectIndex | None = None

    def prepare(self, index: ProjectIndex, settings: Settings) -> None:
        self.wrapped = tuple(sorted(wrapper_task_names(index)))
        self.index = index

    def wants(self, source: str, settings: Settings) -> bool:
        if enqueue_triggered(source) or any(
            name.rsplit(".", 1)[-1] in source for name in self.extra_triggers(settings)
        ):
            return True
        return (
            bool(self.wrapped)
            and self.index is not None
            and mentions_wrapped_call(self.index, source)
        )
