"""Which project functions enqueue, directly or through further project calls.

Function bodies are analysed lazily, only for functions reached from a transaction (or a
view under ``ATOMIC_REQUESTS``): their module is parsed on demand, once per run. Calls are
resolved through imports, module attributes and ``self.method(...)`` within a class and its
project bases; unresolved calls are counted, never guessed.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from pathlib import Path

from tasklint.analysis.enqueue import EnqueueRecognizer
from tasklint.config import Settings
from tasklint.project.context import FileContext
from tasklint.project.index import ProjectIndex
from tasklint.syntax.names import NameResolver, Scope

FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)
MAX_DEPTH = 12


@dataclass(frozen=True)
class Step:
    function: str  # qualified name of the function that makes the call / enqueue
    path: str
    line: int
    what: str  # callee name, or the enqueued task


@dataclass
class _Module:
    ctx: FileContext
    functions: dict[str, ast.FunctionDef | ast.AsyncFunctionDef] = field(default_factory=dict)


class CallGraph:
    """Memoised "does calling this function enqueue?" queries over the project."""

    def __init__(self, index: ProjectIndex, settings: Settings) -> None:
        self.index = index
        self.settings = settings
        self._modules: dict[str, _Module | None] = {}
        self._results: dict[str, tuple[Step, ...] | None] = {}
        self._in_progress: set[str] = set()
        self.unresolved_calls = 0

    @classmethod
    def of(cls, index: ProjectIndex, settings: Settings) -> CallGraph:
        cached = index.__dict__.get("_call_graph")
        if isinstance(cached, CallGraph) and cached.settings is settings:
            return cached
        graph = cls(index, settings)
        index.__dict__["_call_graph"] = graph
        return graph

    # -- modules -------------------------------------------------------------------------
    def _module(self, name: str) -> _Module | None:
        if name in self._modules:
            return self._modules[name]
        facts = self.index.modules.get(name)
        loaded: _Module | None = None
        if facts is not None:
            try:
                from tasklint.project import parse_source, read_source

                source = read_source(Path(facts.path))
                tree = parse_source(source, facts.path)
            except (OSError, SyntaxError, ValueError, UnicodeDecodeError, RecursionError):
                tree = None
            if tree is not None:
                ctx = FileContext(
                    path=facts.path,
                    module=name,
                    is_package=facts.is_package,
                    tree=tree,
                    lines=source.splitlines(),
                    index=self.index,
                    settings=self.settings,
                )
                loaded = _Module(ctx)
                for stmt in tree.body:
                    if isinstance(stmt, FUNCTIONS):
                        loaded.functions[stmt.name] = stmt
                    elif isinstance(stmt, ast.ClassDef):
                        for item in stmt.body:
                            if isinstance(item, FUNCTIONS):
                                loaded.functions[f"{stmt.name}.{item.name}"] = item
        self._modules[name] = loaded
        return loaded

    def module_context(self, name: str) -> FileContext | None:
        mod = self._module(name)
        return mod.ctx if mod is not None else None

    # -- queries -------------------------------------------------------------------------
    def resolve_call(
        self, call: ast.Call, ctx: FileContext, scope: Scope, owner_class: str | None = None
    ) -> str | None:
        """``module.function`` or ``module.Class.method`` a call goes to, if in the project."""
        func = call.func
        if (
            owner_class is not None
            and isinstance(func, ast.Attribute)
            and isinstance(func.value, ast.Name)
            and func.value.id in ("self", "cls")
        ):
            return self._method(f"{ctx.module}.{owner_class}", func.attr)
        qn = ctx.resolver.qualname(func, scope)
        if qn is None:
            return None
        target = self.index.resolve(qn)
        if target.module is None or target.name is None:
            return None
        if not target.rest and self.index.function(target) is not None:
            return f"{target.module}.{target.name}"
        if len(target.rest) == 1:
            cls = self.index.klass(self.index.resolve(f"{target.module}.{target.name}"))
            if cls is not None:
                return self._method(f"{target.module}.{target.name}", target.rest[0])
        return None

    def _method(self, class_qualname: str, method: str, depth: int = 0) -> str | None:
        if depth > 10:
            return None
        target = self.index.resolve(class_qualname)
        cls = self.index.klass(target)
        if cls is None or target.module is None:
            return None
        if method in cls.methods:
            return f"{target.module}.{cls.name}.{method}"
        for base in cls.bases:
            if base is not None:
                found = self._method(base, method, depth + 1)
                if found is not None:
                    return found
        return None

    def enqueue_path(self, function: str, depth: int = 0) -> tuple[Step, ...] | None:
        """Steps from ``function`` to an enqueue outside ``on_commit``, or None."""
        if function in self._results:
            return self._results[function]
        if function in self._in_progress or depth > MAX_DEPTH:
            return None
        self._in_progress.add(function)
        try:
            result = self._analyse(function, depth)
        finally:
            self._in_progress.discard(function)
        self._results[function] = result
        return result

    def _locate(
        self, function: str
    ) -> tuple[_Module, ast.FunctionDef | ast.AsyncFunctionDef, str | None] | None:
        parts = function.split(".")
        for cut in (len(parts) - 1, len(parts) - 2):
            if cut <= 0:
                continue
            module = ".".join(parts[:cut])
            if module not in self.index.modules:
                continue
            mod = self._module(module)
            if mod is None:
                return None
            local = ".".join(parts[cut:])
            node = mod.functions.get(local)
            if node is None:
                return None
            owner = parts[cut] if len(parts) - cut == 2 else None
            return mod, node, owner
        return None

    def _analyse(self, function: str, depth: int) -> tuple[Step, ...] | None:
        located = self._locate(function)
        if located is None:
            return None
        mod, node, owner = located
        ctx = mod.ctx
        scope = ctx.resolver.scope_of(node) or ctx.resolver.module_scope
        recognizer = EnqueueRecognizer.of(ctx)
        calls: list[ast.Call] = []
        stack: list[ast.AST] = list(node.body)
        while stack:
            current = stack.pop()
            if isinstance(current, (*FUNCTIONS, ast.Lambda, ast.ClassDef)):
                continue  # deferred or separate code (on_commit callbacks live here)
            if isinstance(current, ast.Call):
                if _is_on_commit(current):
                    continue
                calls.append(current)
            stack.extend(ast.iter_child_nodes(current))
        calls.sort(key=lambda c: (c.lineno, c.col_offset))
        for call in calls:
            enqueue = recognizer.enqueue(call, _scope_for(ctx.resolver, node, scope))
            if enqueue is not None and not enqueue.deferred:
                return (Step(function, ctx.path, call.lineno, enqueue.target),)
        for call in calls:
            callee = self.resolve_call(call, ctx, scope, owner)
            if callee is None:
                if isinstance(call.func, (ast.Name, ast.Attribute)):
                    self.unresolved_calls += 1
                continue
            if callee == function:
                continue
            rest = self.enqueue_path(callee, depth + 1)
            if rest is not None:
                return (Step(function, ctx.path, call.lineno, callee.rsplit(".", 1)[-1]), *rest)
        return None


def _is_on_commit(call: ast.Call) -> bool:
    func = call.func
    return (isinstance(func, ast.Attribute) and func.attr == "on_commit") or (
        isinstance(func, ast.Name) and func.id == "on_commit"
    )


def _scope_for(resolver: NameResolver, node: ast.AST, default: Scope) -> Scope:
    return resolver.scope_of(node) or default
