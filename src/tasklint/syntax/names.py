"""Import-aware, scope-aware name resolution for one module's ``ast`` tree.

Everything a rule treats as evidence ("this is Celery's ``shared_task``", "this is Django's
``transaction.atomic``") starts here: a ``Name`` or ``Attribute`` expression is turned into
a dotted qualified name by following the module's imports, respecting Python's scoping (a
parameter or local variable named ``transaction`` is not the imported module).

Nothing is imported or executed; this is pure ``ast`` work.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from tasklint.syntax.walk import CHILD_LAYOUTS, child_layout, child_nodes, with_subclasses

SCOPE_NODES = (
    ast.Module,
    ast.FunctionDef,
    ast.AsyncFunctionDef,
    ast.Lambda,
    ast.ClassDef,
    ast.ListComp,
    ast.SetComp,
    ast.DictComp,
    ast.GeneratorExp,
)
FUNCTION_NODES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)


@dataclass
class Binding:
    """One place where a name is bound in a scope."""

    kind: str  # "import", "def", "class", "assign", "param", "unknown"
    node: ast.AST | None = None
    target: str | None = None  # qualified name, for "import"
    value: ast.expr | None = None  # assigned value, for "assign"


@dataclass(eq=False)
class Scope:
    node: ast.AST
    parent: Scope | None
    bindings: dict[str, list[Binding]] = field(default_factory=dict)
    globals: set[str] = field(default_factory=set)
    nonlocals: set[str] = field(default_factory=set)

    @property
    def is_module(self) -> bool:
        return isinstance(self.node, ast.Module)

    @property
    def is_class(self) -> bool:
        return isinstance(self.node, ast.ClassDef)

    @property
    def is_function(self) -> bool:
        return isinstance(self.node, FUNCTION_NODES)

    def add(self, name: str, binding: Binding) -> None:
        self.bindings.setdefault(name, []).append(binding)


def resolve_relative(module: str, is_package: bool, level: int, target: str | None) -> str:
    """The absolute module named by ``from <level dots><target> import ...`` in ``module``."""
    if level == 0:
        return target or ""
    parts = module.split(".") if module else []
    if not is_package:
        parts = parts[:-1]
    drop = level - 1
    if drop:
        parts = parts[:-drop] if drop <= len(parts) else []
    base = ".".join(parts)
    if target:
        return f"{base}.{target}" if base else target
    return base


def import_bindings(
    node: ast.Import | ast.ImportFrom, module: str, is_package: bool
) -> Iterator[tuple[str, str]]:
    """(bound name, qualified target) for every name an import statement binds."""
    if isinstance(node, ast.Import):
        for alias in node.names:
            if alias.asname:
                yield alias.asname, alias.name
            else:
                first = alias.name.split(".")[0]
                yield first, first
        return
    base = resolve_relative(module, is_package, node.level or 0, node.module)
    for alias in node.names:
        if alias.name == "*":
            continue
        target = f"{base}.{alias.name}" if base else alias.name
        yield alias.asname or alias.name, target


def _target_names(target: ast.expr) -> Iterator[tuple[str, bool]]:
    """Names bound by an assignment target; the flag says whether the value maps 1:1."""
    if isinstance(target, ast.Name):
        yield target.id, True
    elif isinstance(target, (ast.Tuple, ast.List)):
        for elt in target.elts:
            for name, _ in _target_names(elt):
                yield name, False
    elif isinstance(target, ast.Starred):
        for name, _ in _target_names(target.value):
            yield name, False


class _ScopeBuilder:
    def __init__(self, module: str, is_package: bool, module_only: bool = False) -> None:
        self.module = module
        self.is_package = is_package
        self.module_only = module_only
        self.scopes: dict[int, Scope] = {}
        # id(def or class) -> the node, its scope (made, not filled yet): a function's or
        # class's scope is filled only when asked for (see fill). What a scope binds comes
        # from its own arguments and body only (nested defs and lambdas bind in their own
        # scopes, a walrus in a comprehension in the enclosing function's), so filling it
        # later gives the same bindings in the same order as filling it with its parent.
        self.pending: dict[
            int, tuple[ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef, Scope]
        ] = {}

    def fill(self, key: int) -> None:
        """Fill the pending scope of the def or class whose id is ``key``."""
        node, inner = self.pending.pop(key)
        if isinstance(node, ast.ClassDef):
            self._body(node.body, inner)
        else:
            self._args(node.args, inner)
            self._body(node.body, inner)

    def fill_all(self) -> None:
        while self.pending:
            self.fill(next(iter(self.pending)))

    def build(self, tree: ast.Module) -> Scope:
        root = Scope(tree, None)
        self.scopes[id(tree)] = root
        self._body(tree.body, root)
        return root

    def _new(self, node: ast.AST, parent: Scope) -> Scope:
        scope = Scope(node, parent)
        self.scopes[id(node)] = scope
        return scope

    def _body(self, stmts: Iterable[ast.stmt], scope: Scope) -> None:
        for stmt in stmts:
            self._stmt(stmt, scope)

    def _args(self, args: ast.arguments, scope: Scope) -> None:
        every = [*args.posonlyargs, *args.args, *args.kwonlyargs]
        if args.vararg:
            every.append(args.vararg)
        if args.kwarg:
            every.append(args.kwarg)
        for arg in every:
            scope.add(arg.arg, Binding("param", arg))

    def _stmt(self, node: ast.stmt, scope: Scope) -> None:
        kind = node.__class__
        if kind not in _BINDING_STMTS:  # an expression statement, if, return...
            self._other_stmt(node, scope)
            return
        if self.module_only and kind in _DEF_STMTS:
            # what the branches below do when expressions are not looked at (_expr)
            binding = Binding("class" if kind in _CLASS_STMTS else "def", node)
            scope.add(node.name, binding)  # type: ignore[attr-defined]
            return
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for dec in node.decorator_list:
                self._expr(dec, scope)
            self._arg_defaults(node.args, scope)
            scope.add(node.name, Binding("def", node))
            if self.module_only:
                return
            self.pending[id(node)] = (node, self._new(node, scope))
            return
        if isinstance(node, ast.ClassDef):
            for dec in node.decorator_list:
                self._expr(dec, scope)
            for base in node.bases:
                self._expr(base, scope)
            for kw in node.keywords:
                self._expr(kw.value, scope)
            scope.add(node.name, Binding("class", node))
            if self.module_only:
                return
            self.pending[id(node)] = (node, self._new(node, scope))
            return
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            for name, target in import_bindings(node, self.module, self.is_package):
                scope.add(name, Binding("import", node, target=target))
            return
        if isinstance(node, ast.Global):
            scope.globals.update(node.names)
            return
        if isinstance(node, ast.Nonlocal):
            scope.nonlocals.update(node.names)
            return
        if isinstance(node, ast.Assign):
            self._expr(node.value, scope)
            single = len(node.targets) == 1
            for assigned in node.targets:
                self._bind_target(assigned, scope, node.value if single else None, node)
            return
        if isinstance(node, ast.AnnAssign):
            if node.value is not None:
                self._expr(node.value, scope)
                self._bind_target(node.target, scope, node.value, node)
            return
        if isinstance(node, ast.AugAssign):
            self._expr(node.value, scope)
            for name, _ in _target_names(node.target):
                scope.add(name, Binding("unknown", node))
            return
        if isinstance(node, (ast.For, ast.AsyncFor)):
            self._expr(node.iter, scope)
            for name, _ in _target_names(node.target):
                scope.add(name, Binding("unknown", node))
            self._body(node.body, scope)
            self._body(node.orelse, scope)
            return
        if isinstance(node, (ast.With, ast.AsyncWith)):
            for item in node.items:
                self._expr(item.context_expr, scope)
                if item.optional_vars is not None:
                    for name, _ in _target_names(item.optional_vars):
                        scope.add(name, Binding("unknown", node))
            self._body(node.body, scope)
            return
        if isinstance(node, ast.Try) or type(node).__name__ == "TryStar":
            self._body(node.body, scope)  # type: ignore[attr-defined]
            for handler in node.handlers:  # type: ignore[attr-defined]
                if handler.type is not None:
                    self._expr(handler.type, scope)
                if handler.name:
                    scope.add(handler.name, Binding("unknown", handler))
                self._body(handler.body, scope)
            self._body(node.orelse, scope)  # type: ignore[attr-defined]
            self._body(node.finalbody, scope)  # type: ignore[attr-defined]
            return
        self._other_stmt(node, scope)

    def _other_stmt(self, node: ast.stmt, scope: Scope) -> None:
        # Everything else: visit child statements in this scope and expressions for lambdas,
        # comprehensions and walrus targets.
        for child in child_nodes(node):
            if isinstance(child, ast.stmt):
                self._stmt(child, scope)
            elif isinstance(child, ast.expr):
                self._expr(child, scope)
            elif isinstance(child, ast.AST):
                self._generic(child, scope)

    def _generic(self, node: ast.AST, scope: Scope) -> None:
        # match_case, pattern nodes, excepthandler and friends
        for child in child_nodes(node):
            if isinstance(child, ast.stmt):
                self._stmt(child, scope)
            elif isinstance(child, ast.expr):
                self._expr(child, scope)
            elif isinstance(child, ast.AST):
                name = getattr(child, "name", None)
                if isinstance(name, str) and type(child).__name__.startswith("Match"):
                    scope.add(name, Binding("unknown", child))
                self._generic(child, scope)

    def _arg_defaults(self, args: ast.arguments, scope: Scope) -> None:
        for default in [*args.defaults, *[d for d in args.kw_defaults if d is not None]]:
            self._expr(default, scope)

    def _bind_target(
        self, target: ast.expr, scope: Scope, value: ast.expr | None, node: ast.AST
    ) -> None:
        for name, direct in _target_names(target):
            if direct and value is not None:
                scope.add(name, Binding("assign", node, value=value))
            else:
                scope.add(name, Binding("unknown", node))
        if not isinstance(target, (ast.Name, ast.Tuple, ast.List, ast.Starred)):
            self._expr(target, scope)

    def _expr(self, node: ast.expr, scope: Scope) -> None:
        if self.module_only:
            return
        # Iterative walk over an expression; new scopes for lambdas and comprehensions.
        stack: list[tuple[ast.AST, Scope]] = [(node, scope)]
        leaves = _LEAF_CLASSES
        layouts, node_class = CHILD_LAYOUTS, ast.AST
        while stack:
            current, sc = stack.pop()
            kind = current.__class__
            if kind in leaves:
                continue  # binds nothing, holds nothing that binds (the most common nodes)
            if kind not in _BINDING_EXPRS:  # binds nothing itself: its children may
                # child_nodes(current), inlined: the same children in the same order; those
                # that would be popped and skipped are not pushed
                layout = layouts.get(kind)
                if layout is None:
                    layout = child_layout(kind)
                for name, _how in layout:
                    value = getattr(current, name, None)
                    if value is None:
                        continue
                    if value.__class__ is list:
                        for child in value:
                            if child.__class__ not in leaves and isinstance(child, node_class):
                                stack.append((child, sc))
                    elif value.__class__ not in leaves and isinstance(value, node_class):
                        stack.append((value, sc))
                continue
            if isinstance(current, ast.Lambda):
                for d in [*current.args.defaults, *current.args.kw_defaults]:
                    if d is not None:
                        stack.append((d, sc))
                inner = self._new(current, sc)
                self._args(current.args, inner)
                stack.append((current.body, inner))
                continue
            if isinstance(current, (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)):
                inner = self._new(current, sc)
                for i, gen in enumerate(current.generators):
                    # the first iterable is evaluated in the enclosing scope
                    stack.append((gen.iter, sc if i == 0 else inner))
                    for name, _ in _target_names(gen.target):
                        inner.add(name, Binding("unknown", gen))
                    for cond in gen.ifs:
                        stack.append((cond, inner))
                if isinstance(current, ast.DictComp):
                    stack.append((current.key, inner))
                    stack.append((current.value, inner))
                else:
                    stack.append((current.elt, inner))
                continue
            if isinstance(current, ast.NamedExpr):
                target_scope = sc
                while target_scope.parent is not None and isinstance(
                    target_scope.node, (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)
                ):
                    target_scope = target_scope.parent
                if isinstance(current.target, ast.Name):
                    target_scope.add(
                        current.target.id, Binding("assign", current, value=current.value)
                    )
                stack.append((current.value, sc))
                continue
            for child in child_nodes(current):
                if not isinstance(child, _LEAVES):  # popped and skipped anyway: not pushed
                    stack.append((child, sc))


_LEAVES = (ast.Name, ast.Constant, ast.expr_context)


# The classes (parsed trees hold exact ``ast`` classes) of _LEAVES; of the expressions that
# bind or open a scope (any other expression: only its children are looked at); of the
# statements _ScopeBuilder._stmt handles itself (any other: _other_stmt).
_LEAF_CLASSES = with_subclasses(*_LEAVES)
_BINDING_EXPRS = with_subclasses(
    ast.Lambda, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp, ast.NamedExpr
)
_DEF_STMTS = with_subclasses(ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
_CLASS_STMTS = with_subclasses(ast.ClassDef)
_BINDING_STMTS = with_subclasses(
    ast.FunctionDef,
    ast.AsyncFunctionDef,
    ast.ClassDef,
    ast.Import,
    ast.ImportFrom,
    ast.Global,
    ast.Nonlocal,
    ast.Assign,
    ast.AnnAssign,
    ast.AugAssign,
    ast.For,
    ast.AsyncFor,
    ast.With,
    ast.AsyncWith,
    ast.Try,
    *[cls for cls in ast.stmt.__subclasses__() if cls.__name__ == "TryStar"],
)


class NameResolver:
    """Scopes and qualified names for one module."""

    def __init__(
        self, tree: ast.Module, module: str, is_package: bool = False, module_only: bool = False
    ) -> None:
        """``module_only`` skips function and class bodies: enough for module-level names."""
        self.tree = tree
        self.module = module
        self.is_package = is_package
        self.source: str | None = None  # the module's text, when the caller has it
        builder = _ScopeBuilder(module, is_package, module_only)
        self.module_scope = builder.build(tree)
        self._scopes = builder.scopes
        self._builder = builder
        # function and class scopes are filled on first use: a rule asks about the scopes of
        # the few functions holding the calls it looks at, not about every function
        self._pending = builder.pending

    def scope_of(self, node: ast.AST) -> Scope | None:
        """The scope a scope-creating node opens (its body's scope)."""
        key = id(node)
        if self._pending:
            if key in self._pending:
                self._builder.fill(key)
            elif key not in self._scopes and isinstance(node, SCOPE_NODES):
                # nested in a body not filled yet (its parent's scope is not known here)
                self._builder.fill_all()
        return self._scopes.get(key)

    def scope_at(self, ancestors: Iterable[ast.AST]) -> Scope:
        """The innermost scope enclosing a node, given its ancestors (outermost first)."""
        found = self.module_scope
        scopes = self._scopes
        pending = self._pending
        for anc in ancestors:
            key = id(anc)
            scope = scopes.get(key)
            if pending:
                if key in pending:  # outermost first: its parent's scope is filled
                    self._builder.fill(key)
                elif scope is None and isinstance(anc, SCOPE_NODES):
                    self._builder.fill_all()  # ancestors that skip a level
                    scope = scopes.get(key)
            if scope is not None:
                found = scope
        return found

    def lookup(self, name: str, scope: Scope) -> tuple[Scope, list[Binding]] | None:
        current: Scope | None = scope
        first = True
        while current is not None:
            if name in current.globals:
                current = self.module_scope
            if current.is_class and not first:
                current = current.parent
                continue
            bindings = current.bindings.get(name)
            if bindings and name not in current.nonlocals:
                return current, bindings
            first = False
            current = current.parent
        return None

    def qualname(self, expr: ast.AST, scope: Scope | None = None) -> str | None:
        """The dotted name an expression refers to, or None if it is not import-resolvable.

        Module-level definitions resolve to ``<this module>.<name>``, names bound only by a
        function-local import to what they import; other local variables and parameters
        resolve to None (use :meth:`local_value` for those).
        """
        scope = scope or self.module_scope
        parts: list[str] = []
        current = expr
        while isinstance(current, ast.Attribute):
            parts.append(current.attr)
            current = current.value
        if not isinstance(current, ast.Name):
            return None
        found = self.lookup(current.id, scope)
        if found is None:
            return None
        owner, bindings = found
        if owner.is_function:
            # a function-local import (``from .tasks import ship`` to break a cycle) names
            # what it imports, as long as the name is bound by nothing else there
            targets = {b.target for b in bindings if b.kind == "import"}
            if len(targets) != 1 or len(bindings) != sum(b.kind == "import" for b in bindings):
                return None
            head = targets.pop()
            return ".".join([head, *reversed(parts)]) if head else None
        if owner.is_class:
            return None
        head = self._module_binding_target(current.id, bindings)
        if head is None:
            return None
        return ".".join([head, *reversed(parts)])

    def _module_binding_target(self, name: str, bindings: list[Binding]) -> str | None:
        imports = [b for b in bindings if b.kind == "import" and b.target]
        if imports:
            # try/except ImportError fallbacks bind the same name twice: the first import wins.
            return imports[0].target
        prefix = f"{self.module}." if self.module else ""
        return f"{prefix}{name}"

    def local_value(self, name: str, scope: Scope) -> tuple[ast.expr, Scope] | None:
        """The single value assigned to a local variable, if it is assigned exactly once."""
        found = self.lookup(name, scope)
        if found is None:
            return None
        owner, bindings = found
        if not owner.is_function or len(bindings) != 1:
            return None
        binding = bindings[0]
        if binding.kind != "assign" or binding.value is None:
            return None
        return binding.value, owner

    def is_local(self, name: str, scope: Scope) -> bool:
        found = self.lookup(name, scope)
        return found is not None and not found[0].is_module


def dotted(expr: ast.AST) -> str | None:
    """``a.b.c`` for a chain of attributes on a name, else None (no resolution)."""
    parts: list[str] = []
    while isinstance(expr, ast.Attribute):
        parts.append(expr.attr)
        expr = expr.value
    if isinstance(expr, ast.Name):
        parts.append(expr.id)
        return ".".join(reversed(parts))
    return None


def root_name(expr: ast.AST) -> ast.Name | None:
    """The name at the root of an attribute/call/subscript chain."""
    while True:
        if isinstance(expr, ast.Attribute):
            expr = expr.value
        elif isinstance(expr, ast.Call):
            expr = expr.func
        elif isinstance(expr, ast.Subscript):
            expr = expr.value
        elif isinstance(expr, ast.Await):
            expr = expr.value
        else:
            break
    return expr if isinstance(expr, ast.Name) else None
