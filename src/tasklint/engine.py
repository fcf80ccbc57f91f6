"""Discover files -> build the project index -> run rules in one walk per file -> suppress -> sort."""

from __future__ import annotations

import ast
import hashlib
import os
import traceback
from bisect import bisect_left
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tasklint.config import Settings, exclude_nested_projects
from tasklint.data.codes import OPT_IN_CODES, RULE_CODES
from tasklint.findings import Edit, Finding, Fix
from tasklint.project import (
    BAD_INPUT,
    FileState,
    balanced_parts,
    parse_source,
    read_source,
    scan_project,
    syntax_error_info,
    take_reads,
    track_reads,
)
from tasklint.project.cache import FactsCache
from tasklint.project.discovery import (
    Excluder,
    clear_caches,
    iter_python_files,
    module_name_for,
    project_scope,
    resolved,
)
from tasklint.project.index import ProjectIndex
from tasklint.syntax.walk import CHILD_LAYOUTS, child_layout

if TYPE_CHECKING:
    from tasklint.project.context import FileContext
    from tasklint.rules import ENGINE_CODES, Rule
    from tasklint.rules.tq003_unused_suppression import UnusedSuppression
    from tasklint.suppression import (
        Suppressions,
        noqa_comments,
        unused_codes_edit,
        unused_suppressions,
    )
    from tasklint.syntax.walk import share_walk


def _import_linting() -> None:
    """Import the rules and what runs them, once, when the first Linter is made, as this
    module's globals (as if imported above): a run whose findings all come from the cache
    never makes one, and importing them was a fifth of its start-up."""
    if "share_walk" in globals():
        return
    from tasklint.project.context import FileContext
    from tasklint.rules import ENGINE_CODES, Rule
    from tasklint.rules.tq003_unused_suppression import UnusedSuppression
    from tasklint.suppression import (
        Suppressions,
        noqa_comments,
        unused_codes_edit,
        unused_suppressions,
    )
    from tasklint.syntax.walk import share_walk

    globals().update(
        FileContext=FileContext,
        ENGINE_CODES=ENGINE_CODES,
        Rule=Rule,
        UnusedSuppression=UnusedSuppression,
        Suppressions=Suppressions,
        noqa_comments=noqa_comments,
        unused_codes_edit=unused_codes_edit,
        unused_suppressions=unused_suppressions,
        share_walk=share_walk,
    )


class _Registry(Mapping[str, "type[Rule]"]):
    """``tasklint.rules.ALL_RULES`` as the engine sees it: which codes exist comes from the
    codes table (tests/test_layers.py checks it against the registry); a rule class is
    imported when first asked for."""

    def __getitem__(self, code: str) -> type[Rule]:
        from tasklint.rules import ALL_RULES as registry

        return registry[code]

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(RULE_CODES))

    def __len__(self) -> int:
        return len(RULE_CODES)

    def __contains__(self, code: object) -> bool:
        return code in RULE_CODES


ALL_RULES: Mapping[str, type[Rule]] = _Registry()


def default_codes() -> set[str]:
    """``tasklint.rules.default_codes()`` from the codes table."""
    return set(RULE_CODES - OPT_IN_CODES)


def display_path(path: Path, base: Path) -> str:
    """Path relative to ``base`` when below it, ``/``-separated."""
    if os.sep == "/":  # the common case without pathlib (once per file, even when warm)
        full, top = str(resolved(path)), str(resolved(base)).rstrip("/")
        if full.startswith(top + "/"):
            return full[len(top) + 1 :]
    try:
        return resolved(path).relative_to(resolved(base)).as_posix()
    except ValueError:
        try:
            return Path(os.path.relpath(resolved(path), resolved(base))).as_posix()
        except ValueError:
            return path.as_posix()


# Node types that can hold no other node than these: never a node a rule looks at unless
# a rule names the type itself (check_tree does not walk them otherwise).
_LEAF_TYPES = frozenset(
    {ast.Name, ast.Constant, ast.Load, ast.Store, ast.Del, ast.alias, ast.Import, ast.ImportFrom}
    | {ast.Pass, ast.Break, ast.Continue, ast.Global, ast.Nonlocal}
    | {
        t
        for base in (ast.operator, ast.unaryop, ast.cmpop, ast.boolop)
        for t in base.__subclasses__()
    }
)


# Per node class: the names of its fields that can hold nodes, last first.
_REVERSED_FIELDS: dict[type, tuple[str, ...]] = {}


def _reversed_fields(cls: type) -> tuple[str, ...]:
    found = _REVERSED_FIELDS[cls] = tuple(name for name, _ in reversed(child_layout(cls)))
    return found


def _rule_gates(
    rules: Iterable[Rule], settings: Settings
) -> list[tuple[Rule, int, Callable[[str], bool]]]:
    """(rule, gate number, gate) of each rule, in order: ``gate(source)`` is
    ``rule.wants(source, settings)``, and rules with the same gate number have the same gate
    (the same triggers and ``wants``, no extra triggers) so one answer serves them all."""
    from tasklint.analysis.gates import quick_search

    numbers: dict[tuple[int, object], int] = {}
    out: list[tuple[Rule, int, Callable[[str], bool]]] = []
    for rule in rules:
        extra = rule.extra_triggers(settings)
        key = (id(rule.triggers), type(rule).wants)  # a rule may widen its gate
        number = len(out) if extra else numbers.setdefault(key, len(out))
        gate: Callable[[str], bool]
        if type(rule).wants is Rule.wants and not extra:
            # Rule.wants without extra triggers: the textual gate alone
            gate = _always if rule.triggers is None else quick_search(rule.triggers)
        else:
            gate = partial(_wants, rule, settings)
        out.append((rule, number, gate))
    return out


def _always(source: str) -> bool:
    return True


def _wants(rule: Rule, settings: Settings, source: str) -> bool:
    return rule.wants(source, settings)


def _dispatch(rules: Iterable[Rule]) -> dict[type[ast.AST], list[Rule]]:
    table: dict[type[ast.AST], list[Rule]] = {}
    for rule in rules:
        for node_type in rule.node_types:
            table.setdefault(node_type, []).append(rule)
    return table


@dataclass
class Linter:
    """Runs the enabled rules over files, against one project index."""

    settings: Settings
    index: ProjectIndex
    enabled: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        _import_linting()
        if not self.enabled:
            self.enabled = self.settings.enabled_codes(ALL_RULES, default_codes())
        self.rules: list[Rule] = [
            ALL_RULES[code]() for code in sorted(self.enabled) if code not in ENGINE_CODES
        ]
        for rule in self.rules:
            rule.prepare(self.index, self.settings)
        self.tree_rules = [
            r for r in self.rules if r.node_types or type(r).check_file is not Rule.check_file
        ]
        self.dispatch = _dispatch(self.rules)
        self.project_rules = [r for r in self.rules if r.is_project_rule()]
        self._project_findings: dict[str, list[Finding]] | None = None
        self._gates: list[tuple[Rule, int, Callable[[str], bool]]] | None = None

    def project_findings(self) -> dict[str, list[Finding]]:
        """Findings of project rules, by absolute file path (computed once)."""
        if self._project_findings is None:
            by_path: dict[str, list[Finding]] = {}
            seen: set[tuple[str, str, int, int]] = set()
            for rule in self.project_rules:
                try:
                    produced = list(rule.check_project(self.index, self.settings))
                except Exception as exc:  # never abort the run
                    if os.environ.get("TASKLINT_DEBUG"):
                        traceback.print_exc()
                    if "TQ002" in self.enabled and self.index.modules:
                        first = _blamed_path(exc, self.index) or min(
                            f.path for f in self.index.modules.values()
                        )
                        produced = [
                            self.internal_error(first, f"rule {rule.code} ({rule.name})", exc)
                        ]
                    else:
                        produced = []
                for finding in produced:
                    # several apps can share one source, and many tasks one option written
                    # once (a task decorator alias, a base class): one finding per place
                    # (a set, not a scan of the bucket: 20,000 findings in one file)
                    place = _place(finding)
                    if place not in seen:
                        seen.add(place)
                        by_path.setdefault(finding.path, []).append(finding)
            self._project_findings = by_path
        return self._project_findings

    def use_project_findings(self, stored: dict[str, list[dict[str, Any]]]) -> bool:
        """Take the project rules' findings from the cache (written for the same project
        fingerprint, so the same index); False when an entry cannot be read back."""
        try:
            self._project_findings = {
                path: [_finding_from_json(d) for d in items] for path, items in stored.items()
            }
        except (KeyError, TypeError, ValueError, AttributeError):
            return False
        return True

    def findings_for(self, abs_path: str, shown: str, lines: list[str]) -> list[Finding]:
        """Project-rule findings that belong to one file, re-pathed for display."""
        out = []
        for f in self.project_findings().get(abs_path, ()):
            text = lines[f.line - 1].strip() if 0 < f.line <= len(lines) else ""
            out.append(replace(f, path=shown, source=text))
        return out

    def active_rules(self, source: str) -> list[Rule]:
        """The enabled rules that look at the tree and whose textual gate this source passes.

        A project rule with no node types and no ``check_file`` never needs the file's tree
        (its findings come from ``check_project``), so it does not make a file worth parsing.
        """
        gates = self._gates
        if gates is None:  # the rules' gates are fixed once they are prepared
            gates = self._gates = _rule_gates(self.tree_rules, self.settings)
        seen: list[bool | None] = [None] * len(gates)
        active: list[Rule] = []
        for rule, key, gate in gates:
            found = seen[key]
            if found is None:
                found = seen[key] = gate(source)
            if found:
                active.append(rule)
        return active

    def internal_error(self, path: str, what: str, exc: BaseException) -> Finding:
        detail = f"{type(exc).__name__}: {exc}".strip()
        if len(detail) > 200:
            detail = detail[:197] + "..."
        rule = ALL_RULES["TQ002"]
        return Finding(
            path=path,
            line=1,
            col=1,
            code="TQ002",
            message=rule.message.format(what=what, error=detail),
            name=rule.name,
        )

    def check_tree(
        self,
        tree: ast.Module,
        path: str,
        lines: list[str],
        module: str,
        is_package: bool,
        source: str | None = None,
        abs_path: str | None = None,
        active: list[Rule] | None = None,
    ) -> list[Finding]:
        """Run every enabled rule on a parsed file; rule failures become TQ002.

        ``active``: the rules whose gate ``source`` passes, when the caller knows them."""
        findings: list[Finding] = []
        if abs_path is not None and self.project_rules:
            findings.extend(self.findings_for(abs_path, path, lines))
        if active is not None:
            rules = active
        else:
            rules = self.rules if source is None else self.active_rules(source)
        if not rules:
            return self._path_filtered(path, findings)
        ctx = FileContext(
            path=path,
            module=module,
            is_package=is_package,
            tree=tree,
            lines=lines,
            index=self.index,
            settings=self.settings,
        )
        failed: set[str] = set()

        def fail(rule: Rule, exc: Exception) -> None:
            failed.add(rule.code)
            if os.environ.get("TASKLINT_DEBUG"):
                traceback.print_exc()
            if "TQ002" in self.enabled:
                findings.append(self.internal_error(path, f"rule {rule.code} ({rule.name})", exc))

        def run(rule: Rule, produce: Callable[[], Iterable[Finding]]) -> None:
            # the call itself is inside the try: a check that is no generator raises there
            try:
                findings.extend(produce())
            except Exception as exc:  # a rule bug must never abort the run
                fail(rule, exc)

        everything = rules is self.rules or len(rules) == len(self.tree_rules)
        dispatch = self.dispatch if everything else _dispatch(rules)
        ancestors = ctx.ancestors
        # nodes that hold no node a rule could look at (a name, a constant, an operator):
        # not entered, not even pushed (they would only go on and off ``ancestors``)
        skip = _LEAF_TYPES.difference(dispatch)
        leave = None  # on the stack: the node on top of ``ancestors`` is done
        stack: list[ast.AST | None] = [tree]
        reversed_fields, node_class = _REVERSED_FIELDS, ast.AST
        while stack:
            node = stack.pop()
            if node is leave:
                ancestors.pop()
                continue
            handlers = dispatch.get(type(node))
            if handlers:
                for rule in handlers:
                    if rule.code not in failed:
                        # the call itself is inside the try: a check that is no generator
                        # raises there
                        try:
                            findings.extend(rule.check(node, ctx))
                        except Exception as exc:  # a rule bug must never abort the run
                            fail(rule, exc)
            ancestors.append(node)
            stack.append(leave)
            # ast.iter_child_nodes, inlined (the hottest loop), last child pushed first; only
            # the fields that can hold nodes (walk.child_layout), in reverse
            cls = node.__class__
            fields = reversed_fields.get(cls)
            if fields is None:
                fields = _reversed_fields(cls)
            for name in fields:
                value = getattr(node, name, None)
                if value is None:
                    continue
                if value.__class__ is list:
                    for item in reversed(value):
                        if item.__class__ not in skip and isinstance(item, node_class):
                            stack.append(item)
                elif value.__class__ not in skip and isinstance(value, node_class):
                    stack.append(value)
        ancestors.clear()
        base_check_file = Rule.check_file
        for rule in rules:
            # Rule.check_file finds nothing: not called for the rules that keep it
            if rule.code not in failed and type(rule).check_file is not base_check_file:
                run(rule, partial(rule.check_file, ctx))
        # what rules memoised refers back to the context (a recognizer keeps it): without
        # the cycle the tree and all built on it are freed now, not by a garbage collection
        ctx.memo.clear()
        return self._path_filtered(path, findings)

    def _path_filtered(self, path: str, findings: list[Finding]) -> list[Finding]:
        ignored = self.path_ignores(path)
        if ignored:
            findings = [f for f in findings if not f.code.startswith(tuple(ignored))]
        return findings

    def path_ignores(self, path: str) -> set[str]:
        if not self.settings.per_file_ignores:  # the common case: no path to work out
            return set()
        base = Path(self.settings.base_dir) if self.settings.base_dir else Path(self.index.root)
        rel = display_path(Path(path), base)
        return self.settings.ignored_for_path(rel)

    def check_path(
        self,
        path: Path,
        shown: str,
        parse_error: tuple[int, str] | None = None,
        text: str | None = None,
    ) -> list[Finding]:
        """Read, parse and check one file (CLI mode: ``noqa`` applied here).

        ``text``: the file's content as given (an editor's buffer on standard input)
        instead of what is on disk.
        """
        abs_path = str(resolved(path))
        try:
            # its own file: not a body read elsewhere (read_source records those)
            source = read_source(path, track=False) if text is None else text
            active = self.active_rules(source) if parse_error is None else None
            if active:
                active = self._importing(active, path)
            if parse_error is None and not active:
                # the lines only serve the project findings' source text
                lines = source.splitlines() if abs_path in self.project_findings() else []
                pending = self._path_filtered(shown, self.findings_for(abs_path, shown, lines))
                return with_ranges(self._suppress(pending, source, shown), source)
            tree = parse_source(source, str(path))
        except BAD_INPUT as exc:
            line, reason = parse_error or syntax_error_info(exc)
            if "TQ001" not in self.enabled:
                return []
            rule = ALL_RULES["TQ001"]
            finding = Finding(
                path=shown,
                line=line,
                col=1,
                code="TQ001",
                message=rule.message.format(reason=reason),
                name=rule.name,
            )
            if "TQ001" in self.path_ignores(shown):
                return []
            return [finding]
        lines = source.splitlines()
        module, is_package = module_name_for(path)  # only a checked tree needs it
        share_walk(tree)  # rules that walk the whole module walk it once between them
        try:
            findings = self.check_tree(
                tree, shown, lines, module, is_package, source, abs_path=abs_path, active=active
            )
        except RecursionError as exc:
            findings = (
                [self.internal_error(shown, "the tree walk", exc)]
                if "TQ002" in self.enabled
                else []
            )
        finally:
            share_walk(None)
        return with_ranges(self._suppress(findings, source, shown), source, tree)

    def _importing(self, active: list[Rule], path: Path) -> list[Rule]:
        """The rules of ``active`` that can fire in the module at ``path`` given the packages
        its facts say it imports (Rule.packages): a rule that asks ``imports_package`` first
        finds nothing where the answer is no, so the file is not parsed for it."""
        if not any(rule.packages for rule in active):
            return active
        facts = self.index.modules.get(module_name_for(path)[0])  # as FileContext asks
        imported = facts.imported_packages if facts is not None else ()
        return [r for r in active if not r.packages or any(p in imported for p in r.packages)]

    def _suppress(self, findings: list[Finding], source: str, shown: str) -> list[Finding]:
        """Apply ``noqa``; report unused ``# noqa: TQ...`` comments when TQ003 is on."""
        kept = findings
        if findings:
            suppressions = Suppressions(source)
            kept = [f for f in findings if not suppressions.suppressed(f.line, f.code)]
        if "TQ003" in self.enabled and "noqa" in source:
            rule = ALL_RULES["TQ003"]
            listed = {(line, col): codes for line, col, codes in noqa_comments(source)}
            for line, col, codes in unused_suppressions(source, findings, self.enabled):
                fields = UnusedSuppression.describe(codes, listed.get((line, col), codes))
                finding = Finding(
                    path=shown,
                    line=line,
                    col=col,
                    code="TQ003",
                    message=rule.message.format(**fields),
                    name=rule.name,
                    fix=_unused_noqa_fix(source, line, col - 1, codes),
                )
                if "TQ003" not in self.path_ignores(shown):
                    kept.append(finding)
        return kept


def _unused_noqa_fix(source: str, line: int, col: int, codes: list[str]) -> Fix | None:
    """Safe: drop the codes that suppress nothing from the ``# noqa`` comment."""
    lines = source.split("\n")
    if not 0 < line <= len(lines):
        return None
    found = unused_codes_edit(lines[line - 1], col, codes)
    if found is None:
        return None
    start, end, text = found
    if end > len(lines[line - 1]):  # the whole line goes, with its line break
        if line >= len(lines):
            return None
        edit = Edit(line, 0, line + 1, 0, "")
    else:
        edit = Edit(line, start, line, end, text)
    what = ", ".join(f"`{c}`" for c in codes)
    return Fix((edit,), safe=True, description=f"Remove unused `noqa` code {what}")


_RANGE_NODES = (ast.expr, ast.keyword, ast.arg, ast.alias)
# Nodes with children outside their own line span (a definition's decorators are above its
# ``def`` line; positions inside an f-string are not always inside it): always entered.
_ENTERED = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.JoinedStr)
# Nodes with neither a position nor children (a context, an operator): never stacked.
_UNPLACED = frozenset(
    t
    for base in (ast.expr_context, ast.operator, ast.unaryop, ast.cmpop, ast.boolop)
    for t in base.__subclasses__()
)
# Per node class: (is a range node, is a simple statement, always entered)
_RANGE_KINDS: dict[type, tuple[bool, bool, bool]] = {}


def _range_kind(cls: type) -> tuple[bool, bool, bool]:
    found = _RANGE_KINDS.get(cls)
    if found is None:
        is_expr = issubclass(cls, _RANGE_NODES)
        simple = issubclass(cls, ast.stmt) and "body" not in getattr(cls, "_fields", ())
        found = _RANGE_KINDS[cls] = (is_expr, simple, issubclass(cls, _ENTERED))
    return found


def _node_ends(
    tree: ast.AST, wanted: Iterable[int] | None = None
) -> dict[tuple[int, int], tuple[int, int]]:
    """(line, column) where a node starts -> where the widest expression (else simple
    statement) starting there ends; 1-based columns, as in findings.

    ``wanted``: the only lines asked about; a node whose lines hold none of them is not
    entered (its descendants lie within its lines), so the answer for those lines is the
    same as with the whole tree walked, at the cost of the paths down to them."""
    best: dict[tuple[int, int], tuple[int, int, bool]] = {}
    lines = sorted(set(wanted)) if wanted is not None else None
    stack: list[ast.AST] = [tree]
    push, pop, unplaced = stack.append, stack.pop, _UNPLACED
    layouts, node_class = CHILD_LAYOUTS, ast.AST
    kinds = _RANGE_KINDS
    while stack:
        node = pop()
        cls = node.__class__
        kind = kinds.get(cls)
        if kind is None:
            kind = _range_kind(cls)
        line = getattr(node, "lineno", None)
        end_line = getattr(node, "end_lineno", None)
        if (
            lines is not None
            and line.__class__ is int
            and end_line.__class__ is int
            and not kind[2]
        ):
            at = bisect_left(lines, line)
            if at == len(lines) or lines[at] > end_line:
                continue  # none of the wanted lines is inside this node
        layout = layouts.get(cls)
        if layout is None:
            layout = child_layout(cls)
        for name, _how in layout:  # ast.iter_child_nodes, inlined
            value = getattr(node, name, None)
            if value is None:
                continue
            if value.__class__ is list:
                for item in value:
                    if isinstance(item, node_class) and item.__class__ not in unplaced:
                        push(item)
            elif isinstance(value, node_class) and value.__class__ not in unplaced:
                push(value)
        if not kind[0] and not kind[1]:
            continue  # a compound statement (def, class, with...): its header line instead
        col = getattr(node, "col_offset", None)
        end_col = getattr(node, "end_col_offset", None)
        if line is None or col is None or end_line is None or end_col is None:
            continue
        is_expr = kind[0]
        start = (line, col + 1)
        end = (end_line, end_col + 1)
        old = best.get(start)
        if old is None or (is_expr, end) > (old[2], old[:2]):
            best[start] = (*end, is_expr)
    return {start: (line, col) for start, (line, col, _) in best.items()}


def with_ranges(
    findings: list[Finding], source: str, tree: ast.Module | None = None
) -> list[Finding]:
    """Give every finding a range that ends after it starts: a finding made without its
    node (project rules work from facts) gets the end of the widest expression or simple
    statement starting at its position, else the end of its line's text."""
    if all(f.end_line is not None and f.end_col is not None for f in findings):
        return findings
    lines = source.splitlines()
    ends: dict[tuple[int, int], tuple[int, int]] | None = None
    out = []
    for f in findings:
        if f.end_line is not None and f.end_col is not None:
            out.append(f)
            continue
        if ends is None:
            if tree is None:
                try:
                    tree = parse_source(source, f.path)
                except BAD_INPUT:
                    tree = None
            wanted = {g.line for g in findings if g.end_line is None or g.end_col is None}
            ends = _node_ends(tree, wanted) if tree is not None else {}
        end = ends.get((f.line, f.col))
        if end is None or (f.end_line is not None and end[0] != f.end_line):
            text = lines[f.line - 1].rstrip() if 0 < f.line <= len(lines) else ""
            end = (f.line, max(len(text) + 1, f.col + 1))
        out.append(replace(f, end_line=end[0], end_col=end[1]))
    return out


@dataclass
class RunResult:
    findings: list[Finding]
    files: int
    index: ProjectIndex | None = None  # None when every file's findings came from the cache
    root: Path | None = None  # the project root (baselines anchor their paths to it)
    # each project file's stamp (taken before it was read) and digest of the bytes this run
    # read ("" unreadable): what the run record (tasklint/runrecord.py) checks them by
    sources: dict[str, tuple[tuple[int, int, int] | None, str]] | None = None


_FINDING_FIELDS: dict[str, tuple[type, ...]] = {
    "path": (str,),
    "line": (int,),
    "col": (int,),
    "code": (str,),
    "message": (str,),
    "name": (str,),
    "end_line": (int, type(None)),
    "end_col": (int, type(None)),
    "source": (str,),
}


def _finding_from_json(d: Any) -> Finding:
    """A cached finding, checked field by field: the cache is a file in the repository,
    anything can be in it; a wrong shape raises ValueError (the entry is a miss)."""
    if not isinstance(d, dict):
        raise ValueError("not a cached finding")
    d = dict(d)
    raw_fix = d.pop("fix", None)
    if set(d) != set(_FINDING_FIELDS):
        raise ValueError("not a cached finding")
    for key, types in _FINDING_FIELDS.items():
        value = d[key]
        if type(value) not in types:  # ``type``: a bool is no line number
            raise ValueError(f"cached finding: bad {key}")
    if d["code"] not in ALL_RULES or d["line"] < 1 or d["col"] < 1:
        raise ValueError("cached finding: unknown code or position")
    try:
        fix = Fix.from_json(raw_fix)
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError("cached finding: bad fix") from exc
    return Finding(**d, fix=fix)


# The linter a forked worker uses, the parse errors and the files to lint as (path, shown)
# (set in the parent just before the pool forks: workers are sent positions in the list).
_WORKER: tuple[Linter, dict[str, tuple[int, str]], list[tuple[str, str]]] | None = None


def _lint_chunk(positions: list[int]) -> list[tuple[list[tuple[Any, ...]], list[str]]]:
    """Findings of each file (as rows: see _finding_row), with the other files read since
    the previous file."""
    assert _WORKER is not None
    linter, errors, todo = _WORKER
    out = []
    for i in positions:
        file, shown = todo[i]
        found = linter.check_path(Path(file), shown, errors.get(str(resolved(Path(file)))))
        out.append(([_finding_row(f) for f in found], take_reads()))
    return out


def _finding_row(f: Finding) -> tuple[Any, ...]:
    """A finding as a worker sends it back: a tuple of its fields (a pickled dataclass
    arrives with an instance dictionary of its own, twice the size)."""
    return (
        f.path,
        f.line,
        f.col,
        f.code,
        f.message,
        f.name,
        f.end_line,
        f.end_col,
        f.source,
        f.fix,
    )


def _findings_of_rows(rows: list[tuple[Any, ...]], messages: dict[str, str]) -> list[Finding]:
    """The findings of _finding_row's rows; a message equal to one in ``messages`` (the
    project rules' findings, which workers copy into each file's findings) is that string,
    not a second copy."""
    if not rows:
        return _NO_FINDINGS
    out = []
    for path, line, col, code, message, name, end_line, end_col, source, fix in rows:
        message = messages.get(message, message)
        out.append(Finding(path, line, col, code, message, name, end_line, end_col, source, fix))
    return out


# The findings of a file without any (one list for all: never changed, only read).
_NO_FINDINGS: list[Finding] = []


def default_jobs() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


# Bumped when what a cached finding holds changes (2: every finding carries an end).
FINDINGS_FORMAT = "findings-2"


def _fingerprint(
    scan_fingerprint: str, settings: Settings, enabled: set[str], base: Path, root: Path
) -> str:
    from tasklint import __version__
    from tasklint.project.cache import python_tag
    from tasklint.project.facts import collectors_signature

    text = "|".join(
        [
            __version__,
            python_tag(),
            FINDINGS_FORMAT,
            collectors_signature(),
            repr(settings),
            ",".join(sorted(enabled)),
            str(base.resolve()),
            str(root.resolve()),
            scan_fingerprint,
        ]
    )
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


def lint_paths(
    paths: Sequence[Path],
    settings: Settings,
    use_cache: bool = True,
    base: Path | None = None,
    root: Path | None = None,
    project_files: Sequence[Path] | None = None,
    jobs: int = 1,
) -> RunResult:
    """Lint files and directories; findings are sorted and paths relative to ``base``.

    With the cache on, a file's findings are reused when its bytes are unchanged and so is
    everything else they depend on (see ``_lint_paths``); ``jobs`` > 1 forks workers for
    the parsing; the output does not depend on it.
    """
    import gc

    # Parsing allocates millions of tracked objects, almost none in cycles: collect the
    # young generation every 50,000 allocations rather than 700 (workers inherit this).
    thresholds = gc.get_threshold()
    gc.set_threshold(50_000, 20, 20)
    try:
        return _lint_paths(paths, settings, use_cache, base, root, project_files, jobs)
    finally:
        gc.set_threshold(*thresholds)
        gc.unfreeze()  # the structures frozen by _lint_paths are ordinary garbage again


def _frozen() -> None:
    """Exempt everything built so far (facts, index) from cyclic garbage collection: it
    lives until the run ends, and a full collection traverses it again and again (on 12,007
    files more than half the project rules' time); frozen before forking, workers share it."""
    import gc

    gc.freeze()


def _lint_paths(
    paths: Sequence[Path],
    settings: Settings,
    use_cache: bool = True,
    base: Path | None = None,
    root: Path | None = None,
    project_files: Sequence[Path] | None = None,
    jobs: int = 1,
) -> RunResult:
    """lint_paths itself (which unfreezes what this one freezes).

    With the cache on, a file's findings are reused when its bytes, every project file's
    facts, the bytes of the files rules read besides their own (recorded by read_source
    while linting) and the settings are unchanged.
    """
    global _WORKER
    clear_caches()
    base = base or Path.cwd()
    paths = list(paths) or [Path(".")]
    walked_scope: list[Path] | None = None
    if root is None and settings.base_dir:
        root = Path(settings.base_dir)
    elif root is None:
        root, scope = project_scope(paths)
        if scope is not None and project_files is None:
            # no project around the paths: index only what was given (a file with its own
            # package); keep the cache only in a directory given explicitly (walked as asked,
            # it is the project), never in a directory above what was given
            project_files = list(iter_python_files(scope, Excluder(settings.excludes(), root)))
            given_dirs = {resolved(p) for p in paths if os.path.isdir(p)}
            if resolved(root) not in given_dirs or len(given_dirs) != len(paths):
                use_cache = False
            elif [resolved(p) for p in scope] == [resolved(p) for p in paths]:
                walked_scope = project_files  # the paths are the scope: one walk
    if project_files is None:
        walked_dirs = [resolved(p) for p in paths if os.path.isdir(p)]
        settings = exclude_nested_projects(settings, resolved(root), walked_dirs)
    excluder = Excluder(settings.excludes(), resolved(root))
    files = (
        list(walked_scope) if walked_scope is not None else list(iter_python_files(paths, excluder))
    )
    walked = None
    if project_files is None and all(resolved(p) == resolved(root) for p in paths):
        walked = files  # the same walk build_index would do: do it once
    cache = FactsCache(root.resolve(), enabled=use_cache)
    scan = scan_project(
        root, settings, cache, extra_files=files, only_files=project_files, jobs=jobs, walked=walked
    )
    _frozen()
    enabled = settings.enabled_codes(ALL_RULES, default_codes())
    # findings depend on the file's own bytes (its cache entry), the index (every file's
    # facts) and the bodies rules read in other files (recorded by earlier runs)
    bodies = set(scan.states) if "*" in cache.bodies else cache.bodies & set(scan.states)

    def fingerprint_over(read: set[str]) -> str:
        return _fingerprint(scan.facts_fingerprint(read), settings, enabled, base, root)

    fingerprint = fingerprint_over(bodies)
    findings: list[Finding] = []
    todo: list[tuple[str, str]] = []
    for file in files:
        key = str(resolved(file))
        shown = display_path(file, base)
        cached = cache.findings(key, fingerprint, shown) if use_cache else None
        if cached is not None:
            try:
                decoded = [d if isinstance(d, Finding) else _finding_from_json(d) for d in cached]
                findings.extend(decoded)
                cache.hold_findings(key, decoded)  # the objects, not their JSON too
                continue
            except (KeyError, TypeError, ValueError, AttributeError):
                pass  # a damaged cache entry is a miss
        todo.append((str(file), shown))
    index: ProjectIndex | None = None
    if todo:
        index = scan.index()
        _frozen()  # the index lives until the run ends: no collection traverses it again
        track_reads(use_cache)
        try:
            linter = Linter(settings, index, enabled=set(enabled))
            # only the files linted again need theirs read back (the rest stay JSON text)
            todo_keys = [str(resolved(Path(name))) for name, _ in todo]
            relinted = set(todo_keys)
            stored = cache.project_findings(fingerprint, relinted) if use_cache else None
            if stored is not None and not linter.use_project_findings(stored):
                stored = None  # a damaged entry: compute them again
            if linter.project_rules:
                linter.project_findings()  # once, before any fork
            index.release_project_working_sets()  # the workers do not start with them
            read = set(take_reads())
            _frozen()
            _WORKER = (linter, scan.errors(), todo)
            messages: dict[str, str] | None = None
            results: list[list[Finding] | None] = [None] * len(todo)
            sizes = [_size(scan.states.get(key)) for key in todo_keys]
            del todo_keys
            for positions, part in balanced_parts(_lint_chunk, list(range(len(todo))), jobs, sizes):
                if messages is None:  # once the workers are forked: they need none of it
                    index.release_memos()  # the parent lints nothing itself
                    messages = {
                        f.message: f.message
                        for fs in linter.project_findings().values()
                        for f in fs
                    }
                for position, (rows, reads) in zip(positions, part):
                    results[position] = _findings_of_rows(rows, messages)
                    read.update(reads)
                del part  # this chunk's rows, before the next one arrives
            del messages
        finally:
            _WORKER = None
            track_reads(False)
        # every project file linted again: the bodies this run read are all that count;
        # else the bodies earlier runs read still back the findings kept from them
        kept = set() if relinted >= set(scan.states) and stored is None else bodies
        grown = kept | (read & set(scan.states))
        new_fingerprint = fingerprint_over(grown) if grown != bodies else fingerprint
        cache.retag_findings(fingerprint, new_fingerprint)  # still valid: see fingerprint_over
        cache.set_bodies(grown)
        if stored is not None:
            pass  # read from the cache for this index: kept as they are (retagged above)
        elif linter.project_rules:
            cache.put_project_findings(
                new_fingerprint,
                {k: list(v) for k, v in linter.project_findings().items()},
            )
        for (name, shown), got in zip(todo, results):
            if got is None:  # every chunk comes back or the pool raises: never here
                raise RuntimeError(f"no findings came back for {shown}")
            findings.extend(got)
            cache.put_findings(
                str(resolved(Path(name))),
                new_fingerprint,
                shown,
                got,  # made JSON when the cache is written (no copy of every finding)
            )
    cache.save()
    findings.sort(key=Finding.sort_key)
    return RunResult(
        findings=findings,
        files=len(files),
        index=index,
        root=resolved(root),
        sources={key: (state.stamp, state.digest) for key, state in scan.states.items()},
    )


def _size(state: FileState | None) -> int:
    """The size of a file to lint, as the scan stat-ed it (0: unknown)."""
    return state.stamp[1] if state is not None and state.stamp is not None else 0


def decode_source(data: bytes) -> str:
    """Decode bytes as Python decodes a source file (BOM, encoding cookie); raises on bad input."""
    import io
    import tokenize

    encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    text = data.decode(encoding)
    return text[1:] if text.startswith("\ufeff") else text


def lint_source(
    data: bytes,
    filename: Path,
    settings: Settings,
    use_cache: bool = True,
    base: Path | None = None,
    shown: str | None = None,
) -> RunResult:
    """Lint a buffer (an editor's standard input) as the file ``filename`` of its project.

    The project index is built from the files on disk with the buffer in place of
    ``filename``'s content (the file need not exist yet), so project rules see the edit.
    """
    from tasklint.project import _digest, compute_facts_of

    clear_caches()
    base = base or Path.cwd()
    only: list[Path] | None = None
    if settings.base_dir:
        root = Path(settings.base_dir)
    else:
        # as for a file given on the command line: inside a marked project, its root; outside
        # any, the buffer's own package only and no cache (never its whole directory, never /)
        root, scope = project_scope([filename])
        if scope is not None:
            only = [
                p
                for p in iter_python_files(
                    [s for s in scope if os.path.isdir(s)], Excluder(settings.excludes(), root)
                )
            ]
            use_cache = False
    cache = FactsCache(root.resolve(), enabled=use_cache)
    scan = scan_project(root, settings, cache, only_files=only)
    cache.save()
    key = str(resolved(filename))
    parse_error: tuple[int, str] | None = None
    try:
        text = decode_source(data)
    except BAD_INPUT as exc:
        text, parse_error = None, syntax_error_info(exc)
    if text is not None:
        facts, parse_error = compute_facts_of(text, filename)
        scan.states[key] = FileState(key, None, _digest(data), facts, parse_error)
    else:
        scan.states[key] = FileState(key, None, _digest(data), None, parse_error)
    index = scan.index()
    linter = Linter(settings, index, enabled=settings.enabled_codes(ALL_RULES, default_codes()))
    shown = shown if shown is not None else display_path(filename, base)
    if text is not None:
        findings = linter.check_path(filename, shown, parse_error, text=text)
    elif "TQ001" in linter.enabled and "TQ001" not in linter.path_ignores(shown):
        line, reason = parse_error or (1, "cannot decode the buffer")
        rule = ALL_RULES["TQ001"]
        message = rule.message.format(reason=reason)
        findings = [Finding(shown, line, 1, "TQ001", message, rule.name)]
    else:
        findings = []
    findings.sort(key=Finding.sort_key)
    return RunResult(findings=findings, files=1, index=index, root=resolved(root))


def _place(f: Finding) -> tuple[str, str, int, int]:
    return (f.path, f.code, f.line, f.col)


def _blamed_path(exc: BaseException, index: ProjectIndex) -> str | None:
    """The project file whose facts a failing project rule was reading, if it shows.

    Walks the traceback from the innermost frame outwards and returns the first project
    path held by a local variable (a path string, or an object with a ``path``: a task,
    a setting, module facts), so that a TQ002 names the file that caused it.
    """
    known = index.path_to_module
    frames = []
    tb = exc.__traceback__
    while tb is not None:
        frames.append(tb.tb_frame)
        tb = tb.tb_next
    for frame in reversed(frames):
        for value in list(frame.f_locals.values()):
            try:
                path = value if isinstance(value, str) else getattr(value, "path", None)
            except Exception:  # a property that fails: not evidence
                continue
            if isinstance(path, str) and path in known:
                return path
    return None
