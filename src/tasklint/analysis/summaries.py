"""Function summaries: what calling a project function does (STYLE.md section 21).

Each project function gets its *local effects* computed once from its own body (its first
enqueue outside ``on_commit``, the project functions it calls, its first commit, whether it
opens a transaction, which parameters it passes to an enqueue). Effects through calls are
then settled over the call graph: "does calling this enqueue?" is a least fixed point over
the functions reachable from the one asked about, iterated until nothing changes (with a
bound on rounds and on the functions visited), so recursion and cycles need no special
case. A caller reads the callee's summary; nothing is walked twice.

Summaries are computed once per run and memoised on the project index (modules are parsed
on demand, only for functions some rule asks about): they depend on the enqueue
recognition, which needs the whole index, so they are not per-module facts. What a project
decorator's wrapper does (enqueue the wrapped function, connect it as a receiver) *is*
per-module and comes from the ``wrappers`` facts.

Calls followed: project functions (imports, module attributes), ``Class.method(...)``,
``self.m()`` / ``cls.m()`` / ``super().m()`` through project base classes, ``x.m()`` where
``x`` is bound in the same function to ``ProjectClass(...)`` or is a parameter annotated
with a project class, ``ProjectClass(...).m()``, and ``self.attr.m()`` where the class (or
a project base) annotates ``attr`` with a project class. Every other call is unresolved:
counted, never guessed.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from pathlib import Path

from tasklint.analysis.enqueue import EnqueueRecognizer, decorator_wrapper
from tasklint.analysis.models import ModelValues
from tasklint.analysis.transactions import (
    is_atomic_function,
    is_commit_call,
    is_on_commit_call,
    is_transaction_with,
)
from tasklint.config import Settings
from tasklint.project.context import FileContext
from tasklint.project.index import ProjectIndex
from tasklint.syntax.names import Scope

FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)
NESTED = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)
COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)
_LEAVES = (ast.Name, ast.Constant, ast.expr_context)  # nothing below them, none of the above
MAX_REACH = 5000  # functions visited for one query (beyond: unknown, never a finding)
MAX_CHAIN = 12  # steps kept in a reported path
MAX_CLASS_DEPTH = 12


@dataclass(frozen=True)
class Step:
    function: str  # qualified name of the function that makes the call / enqueue
    path: str
    line: int
    what: str  # callee name, or the enqueued task


@dataclass
class LocalEffects:
    """What one function's own body does (the effects of its callees not included)."""

    function: str
    path: str
    enqueue: Step | None = None  # its first enqueue outside on_commit
    calls: list[tuple[int, str]] = field(default_factory=list)  # (line, project callee)
    commit_line: int | None = None  # its first commit
    opens_transaction: bool = False
    forwards: frozenset[str] = frozenset()  # parameters passed as enqueue arguments
    unresolved: int = 0  # calls that resolve to nothing in the project
    # every own enqueue outside on_commit (line, col, step) and where each of ``calls`` is
    enqueue_sites: list[tuple[int, int, Step]] = field(default_factory=list)
    call_cols: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class Summary:
    """What calling a project function does, effects of project callees included."""

    function: str
    enqueue: tuple[Step, ...] | None  # a path to an enqueue outside on_commit
    commits: bool
    opens_transaction: bool
    returns_model: str | None  # the kind of model value returned on every path
    forwards: frozenset[str]
    wraps_enqueue: bool  # as a decorator: calling the decorated function enqueues it
    connects: tuple[tuple[str, str], ...]  # as a decorator: (how, signal) receivers


@dataclass
class _Module:
    ctx: FileContext
    functions: dict[str, ast.FunctionDef | ast.AsyncFunctionDef] = field(default_factory=dict)
    classes: dict[str, ast.ClassDef] = field(default_factory=dict)


def function_scope(scope: Scope) -> Scope | None:
    """The innermost ``def`` scope at or above ``scope`` (comprehensions skipped)."""
    current: Scope | None = scope
    while current is not None:
        if isinstance(current.node, FUNCTIONS):
            return current
        if current.is_class or current.is_module:
            return None
        current = current.parent
    return None


def owner_class(fscope: Scope | None) -> ast.ClassDef | None:
    """The module-level class whose method opens ``fscope``."""
    if fscope is None or fscope.parent is None or not fscope.parent.is_class:
        return None
    cls_scope = fscope.parent
    if cls_scope.parent is None or not cls_scope.parent.is_module:
        return None
    node = cls_scope.node
    return node if isinstance(node, ast.ClassDef) else None


def _on(function: str, receiver: str) -> str:
    """The summary key of ``function`` (``module.Class.method``) run on a ``receiver``."""
    defining = function.rsplit(".", 1)[0]
    return function if defining == receiver else f"{function}@{receiver}"


def _first_param(node: ast.FunctionDef | ast.AsyncFunctionDef) -> ast.arg | None:
    params = [*node.args.posonlyargs, *node.args.args]
    return params[0] if params else None


def _is_static(node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    return any(isinstance(d, ast.Name) and d.id == "staticmethod" for d in node.decorator_list)


def _always_returns(stmts: list[ast.stmt]) -> bool:
    """Does every path through ``stmts`` end in ``return`` or ``raise``?"""
    if not stmts:
        return False
    last = stmts[-1]
    if isinstance(last, (ast.Return, ast.Raise)):
        return True
    if isinstance(last, ast.If):
        return _always_returns(last.body) and _always_returns(last.orelse)
    if isinstance(last, (ast.With, ast.AsyncWith)):
        return _always_returns(last.body)
    if isinstance(last, ast.Try):
        if _always_returns(last.finalbody):
            return True
        body = _always_returns(last.orelse) if last.orelse else _always_returns(last.body)
        return body and all(_always_returns(h.body) for h in last.handlers)
    return False


def _is_method(mod: _Module, node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    return any(node in cls.body for cls in mod.classes.values())


def _falsy_default(value: ast.expr | None) -> bool:
    return isinstance(value, ast.Constant) and not value.value


def _flags_left_off(
    call: ast.Call, node: ast.FunctionDef | ast.AsyncFunctionDef, is_method: bool
) -> set[str]:
    """The parameters with a falsy constant default that ``call`` leaves falsy: not
    passed, or passed a falsy constant (any ``*``/``**`` argument: none, unknown)."""
    if any(isinstance(a, ast.Starred) for a in call.args) or any(
        k.arg is None for k in call.keywords
    ):
        return set()
    args = node.args
    positional = [*args.posonlyargs, *args.args]
    defaults: dict[str, ast.expr] = dict(
        zip([a.arg for a in positional[len(positional) - len(args.defaults) :]], args.defaults)
    )
    defaults.update((a.arg, d) for a, d in zip(args.kwonlyargs, args.kw_defaults) if d is not None)
    bound = positional
    if is_method and not _is_static(node) and isinstance(call.func, ast.Attribute):
        bound = positional[1:]  # ``self.m(...)`` / ``cls.m(...)`` / ``obj.m(...)``
    keywords = {k.arg: k.value for k in call.keywords if k.arg is not None}
    left: set[str] = set()
    for name, default in defaults.items():
        if not _falsy_default(default):
            continue
        if name in keywords:
            value: ast.expr | None = keywords[name]
        else:
            index = next((i for i, a in enumerate(bound) if a.arg == name), None)
            value = call.args[index] if index is not None and index < len(call.args) else None
        if value is None or _falsy_default(value):
            left.add(name)
    return left


def _flag_ranges(
    node: ast.FunctionDef | ast.AsyncFunctionDef, flags: set[str]
) -> list[tuple[tuple[int, int], tuple[int, int]]]:
    """Source ranges of ``node`` that run only when one of ``flags`` is truthy: the body
    of ``if flag:`` / ``if flag and ...:``, and what follows a top-level ``if not flag:``
    that always returns. Flags the function rebinds guard nothing."""
    if not flags:
        return []
    rebound = {
        sub.id
        for sub in ast.walk(node)
        if isinstance(sub, ast.Name) and not isinstance(sub.ctx, ast.Load)
    } | {
        name
        for sub in ast.walk(node)
        if isinstance(sub, (ast.Global, ast.Nonlocal))
        for name in sub.names
    }
    flags = flags - rebound
    if not flags:
        return []

    def tested(test: ast.expr) -> bool:
        if isinstance(test, ast.Name):
            return test.id in flags
        return (
            isinstance(test, ast.BoolOp)
            and isinstance(test.op, ast.And)
            and any(tested(v) for v in test.values)
        )

    ranges: list[tuple[tuple[int, int], tuple[int, int]]] = []
    for sub in ast.walk(node):
        if isinstance(sub, ast.If) and sub.body and tested(sub.test):
            first, last = sub.body[0], sub.body[-1]
            end = (last.end_lineno or last.lineno, last.end_col_offset or 0)
            ranges.append(((first.lineno, first.col_offset), end))
    body = node.body
    for i, stmt in enumerate(body[:-1]):
        if (
            isinstance(stmt, ast.If)
            and not stmt.orelse
            and isinstance(stmt.test, ast.UnaryOp)
            and isinstance(stmt.test.op, ast.Not)
            and isinstance(stmt.test.operand, ast.Name)
            and stmt.test.operand.id in flags
            and _always_returns(stmt.body)
        ):
            first, last = body[i + 1], body[-1]
            end = (last.end_lineno or last.lineno, last.end_col_offset or 0)
            ranges.append(((first.lineno, first.col_offset), end))
            break
    return ranges


class Summaries:
    """Function summaries of one project, computed on demand and memoised for the run."""

    def __init__(self, index: ProjectIndex, settings: Settings) -> None:
        self.index = index
        self.settings = settings
        self._modules: dict[str, _Module | None] = {}
        self._local: dict[str, LocalEffects | None] = {}
        self._paths: dict[str, tuple[Step, ...] | None] = {}
        self._returns: dict[str, str | None] = {}
        self._returns_in_progress: set[str] = set()
        self._attributes: dict[tuple[str, str], str | None] = {}
        self._annotations: dict[str, dict[str, set[str | None]]] = {}

    @classmethod
    def of(cls, index: ProjectIndex, settings: Settings) -> Summaries:
        cached = index.__dict__.get("_summaries")
        if isinstance(cached, Summaries) and cached.settings is settings:
            return cached
        made = cls(index, settings)
        index.__dict__["_summaries"] = made
        return made

    @property
    def unresolved_calls(self) -> int:
        """Calls seen in summarised functions that resolve to nothing in the project."""
        return sum(e.unresolved for e in self._local.values() if e is not None)

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
                        loaded.classes[stmt.name] = stmt
                        for item in stmt.body:
                            if isinstance(item, FUNCTIONS):
                                loaded.functions[f"{stmt.name}.{item.name}"] = item
        self._modules[name] = loaded
        return loaded

    def module_context(self, name: str) -> FileContext | None:
        mod = self._module(name)
        return mod.ctx if mod is not None else None

    def locate(
        self, function: str
    ) -> tuple[_Module, ast.FunctionDef | ast.AsyncFunctionDef] | None:
        parts = function.split("@", 1)[0].split(".")
        for cut in (len(parts) - 1, len(parts) - 2):
            if cut <= 0:
                continue
            module = ".".join(parts[:cut])
            if module not in self.index.modules:
                continue
            mod = self._module(module)
            if mod is None:
                return None
            node = mod.functions.get(".".join(parts[cut:]))
            return (mod, node) if node is not None else None
        return None

    def label(self, function: str) -> str:
        """How messages name a function: ``finalize``, or ``Invoice.save`` for a method."""
        parts = function.split("@", 1)[0].split(".")
        if len(parts) >= 3 and ".".join(parts[:-2]) in self.index.modules:
            if self.index.klass(self.index.resolve(".".join(parts[:-1]))) is not None:
                return f"{parts[-2]}.{parts[-1]}"
        return parts[-1]

    # -- call resolution -----------------------------------------------------------------
    def resolve_call(
        self, call: ast.Call, ctx: FileContext, scope: Scope, receiver: str | None = None
    ) -> str | None:
        """The function a call goes to, if in the project: ``module.function``,
        ``module.Class.method``, or ``module.Class.method@module.Receiver`` for a method
        run on an instance of a subclass (its ``self.m()`` calls resolve in the subclass).

        ``receiver`` is the class of ``self`` when the call is in a method summarised for
        a subclass; by default, the class that defines the method.
        """
        func = call.func
        fscope = function_scope(scope)
        owner = owner_class(fscope)
        defining = f"{ctx.module}.{owner.name}" if owner is not None and ctx.module else None
        here = receiver or defining
        if isinstance(func, ast.Attribute):
            recv = func.value
            if (
                defining is not None
                and here is not None
                and isinstance(recv, ast.Call)
                and isinstance(recv.func, ast.Name)
                and recv.func.id == "super"
                and not recv.args
            ):
                found = self._method_in_bases(defining, func.attr)
                return _on(found, here) if found is not None else None
            if here is not None and fscope is not None and self._is_self(recv, ctx, scope, fscope):
                found = self.method(here, func.attr)
                return _on(found, here) if found is not None else None
            if (
                here is not None
                and fscope is not None
                and isinstance(recv, ast.Attribute)
                and self._is_self(recv.value, ctx, scope, fscope)
            ):
                cls = self._attribute_class(here, recv.attr)
                return self._method_on(cls, func.attr)
            if isinstance(recv, ast.Name) and ctx.resolver.is_local(recv.id, scope):
                return self._method_on(self._class_of_local(recv.id, ctx, scope), func.attr)
            if isinstance(recv, ast.Call):
                cls = self._project_class(ctx.resolver.qualname(recv.func, scope))
                return self._method_on(cls, func.attr)
        qn = ctx.resolver.qualname(func, scope)
        if qn is None:
            return None
        target = self.index.resolve(qn)
        if target.module is None or target.name is None:
            return None
        if not target.rest and self.index.function(target) is not None:
            return f"{target.module}.{target.name}"
        if len(target.rest) == 1:
            cls_target = self.index.resolve(f"{target.module}.{target.name}")
            if self.index.klass(cls_target) is not None:
                return self.method(f"{target.module}.{target.name}", target.rest[0])
        return None

    def _method_on(self, cls: str | None, name: str) -> str | None:
        """The method ``name`` called on an instance of ``cls``."""
        if cls is None:
            return None
        found = self.method(cls, name)
        return _on(found, cls) if found is not None else None

    def _is_self(self, expr: ast.AST, ctx: FileContext, scope: Scope, fscope: Scope) -> bool:
        """``self`` / ``cls``: the first parameter of the enclosing method, not rebound."""
        node = fscope.node
        if not isinstance(expr, ast.Name) or not isinstance(node, FUNCTIONS) or _is_static(node):
            return False
        first = _first_param(node)
        if first is None or first.arg != expr.id:
            return False
        found = ctx.resolver.lookup(expr.id, scope)
        return found is not None and found[0] is fscope and len(found[1]) == 1

    def _project_class(self, qualname: str | None) -> str | None:
        if qualname is None:
            return None
        target = self.index.resolve(qualname)
        if self.index.klass(target) is None:
            return None
        return f"{target.module}.{target.name}"

    def _annotation_class(self, ann: ast.expr | None, ctx: FileContext, scope: Scope) -> str | None:
        if ann is None:
            return None
        if isinstance(ann, ast.Constant) and isinstance(ann.value, str):
            try:
                ann = ast.parse(ann.value, mode="eval").body
            except SyntaxError:
                return None
        if not isinstance(ann, (ast.Name, ast.Attribute)):
            return None  # Optional[X], X | None, unions: not one class
        return self._project_class(ctx.resolver.qualname(ann, scope))

    def _class_of_local(self, name: str, ctx: FileContext, scope: Scope) -> str | None:
        """The project class a function-local name holds (one binding: ``X(...)`` or a
        parameter annotated ``X``)."""
        found = ctx.resolver.lookup(name, scope)
        if found is None:
            return None
        owner, bindings = found
        if not owner.is_function or len(bindings) != 1:
            return None
        binding = bindings[0]
        if binding.kind == "assign" and isinstance(binding.value, ast.Call):
            return self._project_class(ctx.resolver.qualname(binding.value.func, owner))
        node = binding.node
        if binding.kind == "param" and isinstance(node, ast.arg):
            return self._annotation_class(node.annotation, ctx, owner.parent or owner)
        return None

    def _attribute_class(self, class_qualname: str, attr: str, depth: int = 0) -> str | None:
        """The project class an attribute is annotated with (``svc: Service`` in the class
        body or ``self.svc: Service`` in a method), in the class or its project bases."""
        if depth > MAX_CLASS_DEPTH:
            return None
        key = (class_qualname, attr)
        if key in self._attributes:
            return self._attributes[key]
        self._attributes[key] = None  # a cycle of base classes settles as unknown
        target = self.index.resolve(class_qualname)
        fact = self.index.klass(target)
        found: str | None = None
        if fact is not None and target.module is not None and target.name is not None:
            classes = self._annotated(target.module, target.name).get(attr)
            if classes is not None:
                found = next(iter(classes)) if len(classes) == 1 else None  # several: unknown
            else:
                for base_target, _ in self.index.project_bases(fact):
                    base = f"{base_target.module}.{base_target.name}"
                    found = self._attribute_class(base, attr, depth + 1)
                    if found is not None:
                        break
        self._attributes[key] = found
        return found

    def _annotated(self, module: str, name: str) -> dict[str, set[str | None]]:
        """Attribute name -> the project classes its annotations name, for one class
        (from the ``class_annotations`` facts: no parsing)."""
        key = f"{module}.{name}"
        known = self._annotations.get(key)
        if known is not None:
            return known
        out: dict[str, set[str | None]] = {}
        facts = self.index.modules.get(module)
        data = facts.extras.get("class_annotations") if facts is not None else None
        attrs = data.get(name) if isinstance(data, dict) else None
        if isinstance(attrs, dict):
            for attr, qualname in attrs.items():
                cls = self._project_class(qualname) if isinstance(qualname, str) else None
                out[attr] = {cls}
        self._annotations[key] = out
        return out

    def method(self, class_qualname: str, method: str, depth: int = 0) -> str | None:
        """``module.Class.method`` defining ``method`` for a class (project bases followed)."""
        if depth > MAX_CLASS_DEPTH:
            return None
        target = self.index.resolve(class_qualname)
        cls = self.index.klass(target)
        if cls is None or target.module is None:
            return None
        if method in cls.methods:
            return f"{target.module}.{cls.name}.{method}"
        return self._method_in_bases(class_qualname, method, depth)

    def _method_in_bases(self, class_qualname: str, method: str, depth: int = 0) -> str | None:
        cls = self.index.klass(self.index.resolve(class_qualname))
        if cls is None:
            return None
        for base_target, _ in self.index.project_bases(cls):
            found = self.method(f"{base_target.module}.{base_target.name}", method, depth + 1)
            if found is not None:
                return found
        return None

    # -- local effects -------------------------------------------------------------------
    def local(self, function: str) -> LocalEffects | None:
        """The effects of one function's own body (computed once)."""
        if function in self._local:
            return self._local[function]
        located = self.locate(function)
        effects = None if located is None else self._local_effects(function, *located)
        self._local[function] = effects
        return effects

    def _local_effects(
        self, function: str, mod: _Module, node: ast.FunctionDef | ast.AsyncFunctionDef
    ) -> LocalEffects:
        ctx = mod.ctx
        scope = ctx.resolver.scope_of(node) or ctx.resolver.module_scope
        receiver = function.split("@", 1)[1] if "@" in function else None
        recognizer = EnqueueRecognizer.of(ctx)
        effects = LocalEffects(function, ctx.path)
        args = node.args
        params = {a.arg for a in [*args.posonlyargs, *args.args, *args.kwonlyargs]}
        withs = False
        calls: list[tuple[ast.Call, Scope]] = []  # with the innermost scope (comprehensions)
        stack: list[tuple[ast.AST, Scope]] = [(stmt, scope) for stmt in node.body]
        while stack:
            current, here = stack.pop()
            if isinstance(current, NESTED):
                continue  # deferred or separate code (on_commit callbacks live here)
            if isinstance(current, COMPREHENSIONS):
                here = ctx.resolver.scope_of(current) or here
            if isinstance(current, (ast.With, ast.AsyncWith)) and not withs:
                withs = is_transaction_with(current, ctx, here)
            if isinstance(current, ast.Call):
                if is_on_commit_call(current, ctx, here):
                    continue
                calls.append((current, here))
            for attr in current._fields:  # ast.iter_child_nodes, inlined, leaves left out
                value = getattr(current, attr, None)
                if isinstance(value, list):
                    for item in value:
                        if isinstance(item, ast.AST) and not isinstance(item, _LEAVES):
                            stack.append((item, here))
                elif isinstance(value, ast.AST) and not isinstance(value, _LEAVES):
                    stack.append((value, here))
        calls.sort(key=lambda c: (c[0].lineno, c[0].col_offset))
        forwards: set[str] = set()
        for call, scope in calls:
            enqueue = recognizer.enqueue(call, scope)
            if enqueue is not None:
                if enqueue.deferred:
                    continue
                step = Step(function, ctx.path, call.lineno, enqueue.target)
                if effects.enqueue is None:
                    effects.enqueue = step
                effects.enqueue_sites.append((call.lineno, call.col_offset, step))
                for arg in [*call.args, *(k.value for k in call.keywords)]:
                    if isinstance(arg, ast.Starred):
                        arg = arg.value
                    if isinstance(arg, ast.Name) and arg.id in params:
                        forwards.add(arg.id)
                continue
            if effects.commit_line is None and is_commit_call(call, ctx, scope):
                effects.commit_line = call.lineno
                continue
            callee = self.resolve_call(call, ctx, scope, receiver)
            if callee is None:
                if isinstance(call.func, (ast.Name, ast.Attribute)):
                    effects.unresolved += 1
                continue
            if callee != function:
                effects.calls.append((call.lineno, callee))
                effects.call_cols.append(call.col_offset)
        effects.forwards = frozenset(forwards)
        effects.opens_transaction = withs or is_atomic_function(
            node, ctx, ctx.resolver.module_scope
        )
        return effects

    # -- effects through calls -----------------------------------------------------------
    def enqueue_path(self, function: str) -> tuple[Step, ...] | None:
        """Steps from ``function`` to an enqueue outside ``on_commit``, or None.

        A least fixed point over the functions reachable from ``function``: a function
        enqueues if its body does, or if it calls one that does; the path reported is a
        shortest one (the first callee in call order among equals).
        """
        if function in self._paths:
            return self._paths[function]
        order: list[str] = []
        seen: set[str] = set()
        stack = [function]
        complete = True
        while stack:
            current = stack.pop()
            if current in seen or current in self._paths:
                continue
            if len(seen) >= MAX_REACH:
                complete = False
                break
            seen.add(current)
            effects = self.local(current)
            if effects is None:
                self._paths[current] = None
                continue
            order.append(current)
            stack.extend(callee for _, callee in reversed(effects.calls))
        paths: dict[str, tuple[Step, ...] | None] = {}
        for name in order:
            effects = self.local(name)
            paths[name] = (effects.enqueue,) if effects and effects.enqueue else None
        # Shortest paths, level by level (a path of ``length`` steps goes through a callee
        # whose own path has ``length - 1``), the first such callee in call order: the
        # path a function gets does not depend on which functions earlier queries settled
        # (their paths, memoised, are shortest too), so neither on the order files are
        # linted in nor on --jobs
        longest_memo = 0  # the longest memoised path a function of ``order`` calls into
        for name in order:
            effects = self.local(name)
            for _, callee in effects.calls if effects is not None else ():
                memo = None if callee in paths else self._paths.get(callee)
                if memo is not None:
                    longest_memo = max(longest_memo, len(memo))
        for length in range(2, MAX_CHAIN + 1):
            found: dict[str, tuple[Step, ...]] = {}
            for name in order:
                if paths[name] is not None:
                    continue
                effects = self.local(name)
                assert effects is not None
                for line, callee in effects.calls:
                    rest = paths[callee] if callee in paths else self._paths.get(callee)
                    if rest is not None and len(rest) == length - 1:
                        found[name] = (Step(name, effects.path, line, self.label(callee)), *rest)
                        break
            paths.update(found)
            if not found and length - 1 >= longest_memo:
                break  # no path grows beyond this length any more
        if complete:
            self._paths.update(paths)
        else:  # too big to settle: the functions found so far stay unknown (None)
            self._paths[function] = paths.get(function)
        return paths.get(function, self._paths.get(function))

    def enqueue_path_at(self, call: ast.Call, callee: str) -> tuple[Step, ...] | None:
        """``enqueue_path(callee)`` for this call of it: the callee's code under ``if flag:``
        (or after ``if not flag: return``), where ``flag`` is a parameter with a falsy
        constant default that the callee never rebinds, does not run when the call leaves
        ``flag`` at its default or passes a falsy constant (``index_user=False``)."""
        steps = self.enqueue_path(callee)
        if steps is None:
            return None
        located = self.locate(callee)
        effects = self.local(callee)
        if located is None or effects is None:
            return steps
        mod, node = located
        ranges = _flag_ranges(node, _flags_left_off(call, node, _is_method(mod, node)))
        if not ranges:
            return steps

        def off(line: int, col: int) -> bool:
            return any(start <= (line, col) <= end for start, end in ranges)

        for line, col, step in effects.enqueue_sites:
            if not off(line, col):
                return (step,)
        best: tuple[Step, ...] | None = None  # a shortest one, the first in call order
        for (line, sub), col in zip(effects.calls, effects.call_cols):
            if off(line, col):
                continue
            rest = self.enqueue_path(sub)
            if (
                rest is not None
                and len(rest) < MAX_CHAIN
                and (best is None or len(rest) < len(best) - 1)
            ):
                best = (Step(callee, effects.path, line, self.label(sub)), *rest)
        return best

    def returns_model(self, function: str) -> str | None:
        """The kind of model value (``model instance``, ``queryset``) the function returns
        on every path; None when some path returns something else or nothing, or unknown."""
        if function in self._returns:
            return self._returns[function]
        if function in self._returns_in_progress:
            return None  # recursion: unknown
        located = self.locate(function)
        if located is None:
            self._returns[function] = None
            return None
        self._returns_in_progress.add(function)
        try:
            result = self._returned_kind_of(*located)
        finally:
            self._returns_in_progress.discard(function)
        self._returns[function] = result
        return result

    def _returned_kind_of(
        self, mod: _Module, node: ast.FunctionDef | ast.AsyncFunctionDef
    ) -> str | None:
        if isinstance(node, ast.AsyncFunctionDef) or not _always_returns(node.body):
            return None
        ctx = mod.ctx
        scope = ctx.resolver.scope_of(node) or ctx.resolver.module_scope
        returns: list[ast.Return] = []
        stack: list[ast.AST] = list(node.body)
        while stack:
            current = stack.pop()
            if isinstance(current, NESTED):
                continue
            if isinstance(current, (ast.Yield, ast.YieldFrom)):
                return None  # a generator
            if isinstance(current, ast.Return):
                returns.append(current)
            stack.extend(ast.iter_child_nodes(current))
        if not returns:
            return None
        values = ModelValues(ctx, lambda call, sc: self.returned_kind(call, ctx, sc))
        kinds: set[str] = set()
        for ret in returns:
            if ret.value is None:
                return None
            kind = values.kind(ret.value, scope)
            if kind is None:
                return None
            kinds.add("queryset" if kind.startswith("queryset") else "model instance")
        return kinds.pop() if len(kinds) == 1 else "model instance or queryset"

    def returned_kind(self, call: ast.Call, ctx: FileContext, scope: Scope) -> str | None:
        """For ``ModelValues``: the model value a call to a project function returns."""
        callee = self.resolve_call(call, ctx, scope)
        if callee is None:
            return None
        kind = self.returns_model(callee)
        if kind is None:
            return None
        return f"{kind} (returned by `{self.label(callee)}()`)"

    def summary(self, function: str) -> Summary | None:
        """Everything known about calling ``function``."""
        effects = self.local(function)
        if effects is None:
            return None
        wrapper = decorator_wrapper(self.index, function) or {}
        connects = wrapper.get("connects")
        return Summary(
            function=function,
            enqueue=self.enqueue_path(function),
            commits=effects.commit_line is not None,
            opens_transaction=effects.opens_transaction,
            returns_model=self.returns_model(function),
            forwards=effects.forwards,
            wraps_enqueue=bool(wrapper.get("enqueues")),
            connects=tuple(
                (str(p[0]), str(p[1]))
                for p in (connects if isinstance(connects, list) else [])
                if isinstance(p, list) and len(p) == 2
            ),
        )
