"""What a rule sees while it checks one file."""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from typing import Any

from tasklint.config import Settings
from tasklint.project.index import ProjectIndex
from tasklint.syntax.names import NameResolver, Scope
from tasklint.syntax.values import Value


@dataclass
class FileContext:
    """Everything a rule may look at while checking one file."""

    path: str
    module: str
    is_package: bool
    tree: ast.Module
    lines: list[str]
    index: ProjectIndex
    settings: Settings
    ancestors: list[ast.AST] = field(default_factory=list)
    memo: dict[str, Any] = field(default_factory=dict)
    _resolver: NameResolver | None = None

    @property
    def resolver(self) -> NameResolver:
        """Scopes and names of this file, built on first use (most files never need it)."""
        if self._resolver is None:
            self._resolver = NameResolver(self.tree, self.module, self.is_package)
        return self._resolver

    def scope(self) -> Scope:
        return self.resolver.scope_at(self.ancestors)

    @property
    def parent(self) -> ast.AST | None:
        return self.ancestors[-1] if self.ancestors else None

    def qualname(self, expr: ast.AST) -> str | None:
        return self.resolver.qualname(expr, self.scope())

    def canonical(self, expr: ast.AST) -> str | None:
        """Qualified name with project re-exports followed (``pkg.app`` -> ``pkg.celery.app``)."""
        return self.index.canonical(self.qualname(expr))

    def value(self, expr: ast.expr, scope: Scope | None = None) -> Value:
        """The statically known value of an expression, names followed across the project."""
        from tasklint.project.values import resolve_value
        from tasklint.syntax.constants import fold

        return resolve_value(self.index, fold(expr, self.resolver, scope or self.scope()))

    def imports_package(self, *packages: str) -> bool:
        facts = self.index.modules.get(self.module)
        if facts is None:
            return False
        return any(p in facts.imported_packages for p in packages)
