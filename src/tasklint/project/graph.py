"""The project import graph: which project modules a module executes when it is imported.

Assembled from cached per-module facts (``ModuleFacts.imports``) on every run, never cached
itself (grimp: cache facts, not answers). Only imports that run when the module is imported
count: module-level statements, wherever they are in the file (mid-file, at the end, in a
class body, under an ordinary ``if``). Imports inside functions, under ``if TYPE_CHECKING:``,
under ``if __name__ == "__main__":`` and in ``try``/``except ImportError`` fallbacks do not.

An edge ``A -> B`` means: executing A's module-level imports may execute B, or read a name
from B's namespace while B may still be initialising. Python's import semantics decide
which modules a statement touches:

- ``import a.b.c`` executes ``a/__init__``, then ``a/b/__init__``, then ``a/b/c``;
- ``from a.b import c`` executes ``a`` and ``a.b``; then ``a.b.c`` if it is a submodule,
  otherwise it reads the name ``c`` from ``a.b``;
- a package is always *started* before any module inside it, so importing (part of) a
  package that encloses the importer executes nothing new and reads nothing: no edge. The
  exception is ``from <enclosing package> import name`` where ``name`` is not a submodule:
  it reads the package's namespace, which may be unfinished, so it is an edge.

Third-party and standard-library modules are not part of the graph.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache

from tasklint.project.facts import ImportFact, ModuleFacts

RUNS_AT_IMPORT = frozenset({"module"})


@dataclass(frozen=True, order=True)
class ImportEdge:
    """``importer`` executes (or reads from) ``imported`` at import time, at ``line``:``col``."""

    importer: str
    imported: str
    line: int
    col: int


def _prefixes(module: str) -> list[str]:
    """``a.b.c`` -> ``["a", "a.b", "a.b.c"]``."""
    parts = module.split(".")
    return [".".join(parts[: i + 1]) for i in range(len(parts))]


@lru_cache(maxsize=65536)
def _prefix_set(module: str) -> tuple[str, ...]:
    """``_prefixes``, remembered: asked for every import statement of a module, and for the
    same imported modules all over the project (a tuple: a handful of names, where a
    frozenset takes 216 bytes each, 3 MB on 20,000 modules)."""
    return tuple(_prefixes(module))


def statement_targets(importer: str, imp: ImportFact, modules: Mapping[str, object]) -> list[str]:
    """The project modules an import statement executes or reads from (sorted, unique)."""
    if not imp.module and not imp.names:
        return []
    enclosing = _prefix_set(importer)  # itself, and the packages started before it
    targets: set[str] = set()
    if not imp.names:  # import a.b.c
        targets.update(p for p in _prefix_set(imp.module) if p in modules)
        targets.difference_update(enclosing)
        return sorted(targets)
    base = imp.module
    if base:
        targets.update(p for p in _prefix_set(base) if p in modules)
    reads_base = False
    for name in imp.names:
        if name == "*":
            reads_base = True
            continue
        sub = f"{base}.{name}" if base else name
        if sub in modules:
            targets.add(sub)
        else:
            reads_base = True
    targets.difference_update(enclosing)
    if reads_base and base in modules and base != importer:
        targets.add(base)  # a name read from a package that encloses the importer
    return sorted(targets)


class ImportGraph:
    """A directed graph of project modules; edges carry the import statement's position."""

    def __init__(self) -> None:
        # a list and sets while edges are added, tuples once compact()
        self._edges: dict[str, list[ImportEdge] | tuple[ImportEdge, ...]] = {}
        self._succ: dict[str, set[str] | tuple[str, ...]] = {}
        self._pred: dict[str, set[str] | tuple[str, ...]] = {}
        self._cyclic: set[str] | None = None
        self._cycle_of: dict[str, frozenset[str]] | None = None  # module -> its cycle

    # -- building ------------------------------------------------------------------------
    def add_module(self, module: str) -> None:
        # no edges yet: one shared empty tuple each (add_import makes a list or a set)
        self._edges.setdefault(module, ())
        self._succ.setdefault(module, ())
        self._pred.setdefault(module, ())

    def add_import(self, importer: str, imported: str, line: int = 0, col: int = 0) -> None:
        if importer == imported:
            return  # a module reading from itself re-enters nothing
        self.add_module(importer)
        self.add_module(imported)
        edges = self._edges[importer]
        if type(edges) is not list:  # none yet, or compacted
            edges = self._edges[importer] = list(edges)
        edges.append(ImportEdge(importer, imported, line, col))
        succ = self._succ[importer]
        if type(succ) is not set:
            succ = self._succ[importer] = set(succ)
        succ.add(imported)
        pred = self._pred[imported]
        if type(pred) is not set:
            pred = self._pred[imported] = set(pred)
        pred.add(importer)
        self._cyclic = None
        self._cycle_of = None

    def compact(self) -> None:
        """Hold each module's edges and neighbours as tuples (a set of a few names takes
        216 bytes, a tuple 48 to 80: 10 MB on 20,000 modules); every query reads them alike
        (none depends on their order), and add_import makes them a list and sets again."""
        self._edges = {m: tuple(e) if e else () for m, e in self._edges.items()}
        self._succ = {m: tuple(n) if n else () for m, n in self._succ.items()}
        self._pred = {m: tuple(n) if n else () for m, n in self._pred.items()}

    # -- queries -------------------------------------------------------------------------
    @property
    def modules(self) -> list[str]:
        return sorted(self._succ)

    def __contains__(self, module: object) -> bool:
        return module in self._succ

    def imports_of(self, module: str) -> set[str]:
        """Project modules that ``module`` executes directly at import time."""
        return set(self._succ.get(module, ()))

    def importers_of(self, module: str) -> set[str]:
        return set(self._pred.get(module, ()))

    def edges_from(self, module: str) -> list[ImportEdge]:
        """Every edge of ``module``'s import statements, in source order."""
        return sorted(self._edges.get(module, ()), key=lambda e: (e.line, e.col, e.imported))

    def distances_to(self, target: str) -> dict[str, int]:
        """Length of the shortest import chain from each module that reaches ``target``."""
        dist = {target: 0}
        queue = deque([target])
        while queue:
            current = queue.popleft()
            for pred in self._pred.get(current, ()):
                if pred not in dist:
                    dist[pred] = dist[current] + 1
                    queue.append(pred)
        return dist

    def cycle_distances_to(self, target: str) -> dict[str, int]:
        """``distances_to(target)`` for the modules of ``target``'s import cycle (its
        strongly connected component), which hold every chain from a module ``target``
        imports back to ``target``: a search of the cycle, not of every module above it.
        Enough for ``shortest_chain(x, target, ...)`` with ``x`` imported by ``target``."""
        if self._cycle_of is None:
            self._cycle_of = {
                member: component
                for component in self.strongly_connected_components(singletons=False)
                if len(component) > 1
                for member in component
            }
        component = self._cycle_of.get(target, frozenset((target,)))
        dist = {target: 0}
        queue = deque([target])
        while queue:
            current = queue.popleft()
            for pred in self._pred.get(current, ()):
                if pred not in dist and pred in component:
                    dist[pred] = dist[current] + 1
                    queue.append(pred)
        return dist

    def shortest_chain(
        self, source: str, target: str, distances: dict[str, int] | None = None
    ) -> tuple[str, ...] | None:
        """The shortest chain ``source -> ... -> target`` (lexicographically first of equals).

        ``distances`` may pass ``distances_to(target)`` when asking many sources.
        """
        dist = distances if distances is not None else self.distances_to(target)
        if source not in dist:
            return None
        chain = [source]
        current = source
        while current != target:
            left = dist[current] - 1
            current = min(n for n in self._succ[current] if dist.get(n) == left)
            chain.append(current)
        return tuple(chain)

    def cycle_through(self, module: str, first: str) -> tuple[str, ...] | None:
        """The shortest cycle ``module -> first -> ... -> module``, if ``first`` reaches back."""
        if first not in self._succ.get(module, ()):
            return None
        rest = self.shortest_chain(first, module)
        return None if rest is None else (module, *rest)

    def strongly_connected_components(self, singletons: bool = True) -> list[frozenset[str]]:
        """Tarjan's algorithm, iterative (import chains can be thousands deep).

        ``singletons=False`` leaves out the components of one module (the import cycles
        only: no frozenset for each of 20,000 modules outside any cycle)."""
        index_of: dict[str, int] = {}
        low: dict[str, int] = {}
        on_stack: set[str] = set()
        stack: list[str] = []
        result: list[frozenset[str]] = []
        counter = 0
        for root in sorted(self._succ):
            if root in index_of:
                continue
            work: list[tuple[str, list[str]]] = [(root, sorted(self._succ[root]))]
            index_of[root] = low[root] = counter
            counter += 1
            stack.append(root)
            on_stack.add(root)
            while work:
                node, pending = work[-1]
                if pending:
                    nxt = pending.pop()
                    if nxt not in index_of:
                        index_of[nxt] = low[nxt] = counter
                        counter += 1
                        stack.append(nxt)
                        on_stack.add(nxt)
                        work.append((nxt, sorted(self._succ[nxt])))
                    elif nxt in on_stack:
                        low[node] = min(low[node], index_of[nxt])
                    continue
                work.pop()
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[node])
                if low[node] == index_of[node]:
                    if stack[-1] == node:  # alone in its component
                        on_stack.discard(stack.pop())
                        if singletons:
                            result.append(frozenset((node,)))
                        continue
                    component: set[str] = set()
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.add(member)
                        if member == node:
                            break
                    result.append(frozenset(component))
        return result

    def in_cycle(self, module: str) -> bool:
        """Does some chain of module-level imports lead from ``module`` back to it?"""
        if self._cyclic is None:
            self._cyclic = set()
            for component in self.strongly_connected_components(singletons=False):
                if len(component) > 1:
                    self._cyclic.update(component)
        return module in self._cyclic


def build_import_graph(modules: Mapping[str, ModuleFacts]) -> ImportGraph:
    """The graph of imports that run at import time, between the given project modules."""
    graph = ImportGraph()
    for name in sorted(modules):
        facts = modules[name]
        graph.add_module(name)
        for imp in facts.imports:
            if imp.scope not in RUNS_AT_IMPORT:
                continue
            for target in statement_targets(name, imp, modules):
                graph.add_import(name, target, imp.line, imp.col)
    graph.compact()
    return graph


def format_chain(chain: Iterable[str]) -> str:
    return " -> ".join(chain)
