"""What a rule is, what it sees, and the registry that lists every rule."""

from __future__ import annotations

import ast
import inspect
import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from tasklint.analysis.gates import quick_search
from tasklint.config import Settings
from tasklint.findings import Finding
from tasklint.project.context import FileContext
from tasklint.project.index import ProjectIndex

if TYPE_CHECKING:
    from tasklint.project.celery_config import CeleryTask

FAMILIES = {
    "TQ0": "the tool itself",
    "TQ1": "task definitions",
    "TQ2": "enqueue sites",
    "TQ3": "task bodies",
    "TQ4": "project structure",
    "TQ5": "Celery configuration",
    "TQ6": "arq workers",
}


class Rule:
    """A rule: identity, message template, documentation (the docstring) and check."""

    code: ClassVar[str] = ""
    name: ClassVar[str] = ""
    message: ClassVar[str] = ""
    default: ClassVar[bool] = True  # False: opt-in
    # "error" (tasklint could not check the code) or "warning" (a finding in the code): the
    # one severity every output format shows (output/severity.py maps it per format)
    severity: ClassVar[str] = "warning"
    node_types: ClassVar[tuple[type[ast.AST], ...]] = ()
    # A pattern a file must contain for this rule to possibly fire (a cheap gate before
    # parsing and walking); None: always run.
    triggers: ClassVar[re.Pattern[str] | None] = None
    # Packages one of which a module must import (``FileContext.imports_package``) for this
    # rule to possibly fire in it (its checks return at once elsewhere): the engine does not
    # parse a file for it when the file's facts show none of them. Empty: any module.
    packages: ClassVar[tuple[str, ...]] = ()

    def wants(self, source: str, settings: Settings) -> bool:
        triggers = self.triggers
        if triggers is None:
            return True
        return quick_search(triggers)(source) or any(
            name.rsplit(".", 1)[-1] in source for name in self.extra_triggers(settings)
        )

    def extra_triggers(self, settings: Settings) -> tuple[str, ...]:
        return ()

    def prepare(self, index: ProjectIndex, settings: Settings) -> None:
        """Called once before any file is checked (precompute project-wide gates)."""
        return None

    def check(self, node: Any, ctx: FileContext) -> Iterable[Finding]:
        """Called for every node whose type is in ``node_types``."""
        return ()

    def check_file(self, ctx: FileContext) -> Iterable[Finding]:
        """Called once per file after the walk."""
        return ()

    def check_project(self, index: ProjectIndex, settings: Settings) -> Iterable[Finding]:
        """Called once per run with the whole project index (no ``ast`` trees).

        Findings carry the absolute path of the file they belong to (``ModuleFacts.path``);
        the engine reports each one when that file is checked (so flake8 shows it too).
        """
        return ()

    @classmethod
    def is_project_rule(cls) -> bool:
        return cls.check_project is not Rule.check_project

    def project_finding(
        self,
        path: str,
        line: int,
        col: int = 1,
        end_line: int | None = None,
        end_col: int | None = None,
        **fmt: Any,
    ) -> Finding:
        return Finding(
            path=path,
            line=line,
            col=col,
            code=self.code,
            message=self.message.format(**fmt),
            name=self.name,
            end_line=end_line,
            end_col=end_col,
        )

    def task_finding(self, task: CeleryTask, /, **fmt: Any) -> Finding:
        """A project finding on a Celery task's decorator, ending where the decorator ends
        (its facts know: the file need not be parsed again to find the end). ``task`` is
        positional: ``fmt`` may name a message field ``task`` too."""
        end_line: int | None = None
        end_col: int | None = None
        for dec in task.fact.decorators if task.fact is not None else ():
            if dec.line == task.line and dec.col == task.col:
                # the widest expression starting at the decorator is the decorator (what
                # engine.with_ranges would find); 0 is unknown, and a range ends after it starts
                if (
                    dec.end_line > 0
                    and dec.end_col > 0
                    and (dec.end_line, dec.end_col)
                    > (
                        dec.line,
                        dec.col,
                    )
                ):
                    end_line, end_col = dec.end_line, dec.end_col
                break
        return self.project_finding(
            task.path, task.line, task.col, end_line=end_line, end_col=end_col, **fmt
        )

    @classmethod
    def summary(cls) -> str:
        doc = inspect.getdoc(cls) or ""
        for block in doc.split("## ")[1:]:
            title, _, body = block.partition("\n")
            if title.strip().lower() == "what it does":
                return " ".join(body.split())
        return cls.message

    def finding(
        self, ctx: FileContext, node: ast.AST | None, line: int | None = None, **fmt: Any
    ) -> Finding:
        lineno = line if line is not None else getattr(node, "lineno", 1)
        col = getattr(node, "col_offset", 0) + 1 if node is not None and line is None else 1
        end_line = getattr(node, "end_lineno", None) if line is None else None
        end_col_raw = getattr(node, "end_col_offset", None) if line is None else None
        source = ctx.lines[lineno - 1].strip() if 0 < lineno <= len(ctx.lines) else ""
        return Finding(
            path=ctx.path,
            line=lineno,
            col=col,
            code=self.code,
            message=self.message.format(**fmt),
            name=self.name,
            end_line=end_line,
            end_col=end_col_raw + 1 if end_col_raw is not None else None,
            source=source,
        )


R = TypeVar("R", bound=type[Rule])

REGISTRY: dict[str, type[Rule]] = {}


def register(cls: R) -> R:
    """Add a rule class to the registry; codes and names must be unique."""
    if cls.code in REGISTRY:
        raise ValueError(f"duplicate rule code {cls.code}")
    if any(r.name == cls.name for r in REGISTRY.values()):
        raise ValueError(f"duplicate rule name {cls.name}")
    REGISTRY[cls.code] = cls
    return cls
