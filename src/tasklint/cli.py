"""The ``tasklint`` command line."""

from __future__ import annotations

import argparse
import errno
import json
import os
import stat
import sys
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from tasklint import __version__, inputs
from tasklint.config import ConfigError, Settings, load_settings
from tasklint.findings import Finding
from tasklint.output import REPORTERS
from tasklint.output.escape import printable

if TYPE_CHECKING:
    from tasklint.engine import RunResult

EXIT_OK, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2
EXIT_INTERRUPTED = 130  # Ctrl-C: 128 + SIGINT

if TYPE_CHECKING:
    from tasklint.engine import RunResult


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        sys.stderr.write(f"tasklint: error: {message}\n")
        raise SystemExit(EXIT_ERROR)


def _not_python(path: Path, quiet: bool = False) -> bool:
    """An explicitly named file that is not Python source (warned about, skipped).

    ``.py``/``.pyi`` files and extension-less scripts with a ``python`` shebang are Python;
    only regular files are read (a FIFO or a device named on the command line is skipped,
    never read: reading it could block forever).
    """
    if path.is_dir() or not os.path.lexists(path):
        return False
    if not path.is_file():
        if os.path.islink(path) and not path.exists():
            return False  # a dangling link: reported as unreadable by the engine
        if not quiet:
            sys.stderr.write(f"tasklint: warning: skipping {path}: not a regular file\n")
        return True
    if path.suffix in (".py", ".pyi"):
        return False
    try:
        with open(path, "rb") as fh:
            first = fh.readline(200)
    except OSError:
        return False  # reported as unreadable by the engine
    if first.startswith(b"#!") and b"python" in first:
        return False
    if not quiet:
        _say(f"warning: skipping {path}: not a Python source file")
    return True


def _codes(value: str) -> list[str]:
    """Comma-separated rule codes or prefixes, in any case (``tq201`` is ``TQ201``)."""
    codes = [c.strip().upper() for c in value.split(",") if c.strip()]
    if not codes:
        raise argparse.ArgumentTypeError(f"expected comma-separated rule codes, got {value!r}")
    return codes


# how many messages _say printed: a run that printed any (a path skipped while planning)
# writes no run record (a run answered from the record would not print them)
_SAID = [0]


def _say(message: str) -> None:
    _SAID[0] += 1
    sys.stderr.write(f"tasklint: {printable(message)}\n")


def _say_config_error(exc: ConfigError) -> None:
    """One line per problem: each part is escaped (it quotes paths and values), the line
    breaks between them are tasklint's own."""
    where = f" in {exc.source}" if exc.source else ""
    lines = [f"invalid tasklint configuration{where}:"]
    lines.extend(f"  {error}" for error in exc.errors)
    sys.stderr.write("tasklint: " + "\n".join(printable(line) for line in lines) + "\n")


def check_paths(paths: Sequence[Path]) -> tuple[list[Path], list[str]]:
    """(the paths to check, errors): a missing or unreadable path is an error naming why;
    a link to nothing is skipped with a warning. Shared by every subcommand."""
    kept: list[Path] = []
    errors: list[str] = []
    for path in paths:
        try:
            st = os.lstat(path)
        except OSError as exc:
            reason = "no such file or directory" if exc.errno == errno.ENOENT else exc.strerror
            errors.append(f"{path}: {str(reason or exc).lower()}")
            continue
        if stat.S_ISLNK(st.st_mode):
            try:
                st = os.stat(path)
            except OSError as exc:
                if exc.errno == errno.ELOOP:
                    kept.append(path)  # a link loop inside the project: TQ001, cannot read
                    continue
                reason = str(exc.strerror or "nothing").lower()
                _say(f"warning: skipping {path}: a link to {reason}")
                continue
        if stat.S_ISDIR(st.st_mode):
            try:
                os.scandir(path).close()
            except OSError as exc:
                errors.append(f"{path}: cannot read the directory: {exc.strerror or exc}")
                continue
        kept.append(path)
    return kept, errors


def _plan(
    paths: Sequence[Path], config: Path | None, args: argparse.Namespace | None
) -> list[tuple[Settings, list[Path]]]:
    """Group the paths by project, as ruff does: each file gets the configuration of its
    nearest pyproject.toml with a ``[tool.tasklint]`` table, each project its own index; a
    directory holding such projects hands their files to them. ``--config`` makes one group.
    """
    if config is not None:
        return [(_apply_cli(load_settings(paths[0], config), args), list(paths))]
    return plan_projects(paths, args)


def plan_projects(
    paths: Sequence[Path], args: argparse.Namespace | None = None
) -> list[tuple[Settings, list[Path]]]:
    """``_plan`` without ``--config`` (also used by ``tasklint inventory``)."""
    from tasklint.config import find_config_file, nested_config_dirs
    from tasklint.project.discovery import inside, project_scope, safe_resolve

    groups: dict[str, tuple[Settings, list[Path]]] = {}

    def add(path: Path) -> Settings:
        found = find_config_file(path)
        key = str(found) if found is not None else f"root:{project_scope([path])[0]}"
        if key not in groups:
            groups[key] = (_apply_cli(load_settings(path), args), [])
        settings, members = groups[key]
        root = Path(settings.base_dir) if settings.base_dir else project_scope([path])[0]
        if not inside(safe_resolve(path), (safe_resolve(root),)):
            # the path itself or a directory on the way is a link out of the project
            _say(f"warning: skipping {path}: a link to a place outside the project")
            return settings
        members.append(path)
        return settings

    for path in paths:
        settings = add(path)
        if os.path.isdir(path):
            for nested in nested_config_dirs(safe_resolve(path), settings.excludes()):
                add(nested)
    return [(settings, members) for settings, members in groups.values() if members]


def _joined(values: list[list[str]] | None) -> list[str] | None:
    """An option given several times (``--select TQ1 --select TQ2``): the values add up."""
    if values is None:
        return None
    return [code for group in values for code in group]


def _jobs(value: str) -> int:
    try:
        jobs = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {value!r}") from None
    if jobs < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return jobs


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="tasklint",
        description="Static linter for the pitfalls of Python task queues (Celery, arq, RQ, Dramatiq).",
        epilog=(
            "subcommands:\n  tasklint inventory [PATHS] [--format text|json|markdown]\n"
            "                        list every task the project defines, with its limits "
            "and retries\n                        (`tasklint inventory --help`)"
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("paths", nargs="*", type=_path_operand, help="files or directories (default: .)")
    p.add_argument(
        "--select",
        type=_codes,
        action="append",
        help="comma-separated codes or prefixes to run (repeatable: the values add up)",
    )
    p.add_argument(
        "--extend-select", type=_codes, action="append", help="codes to add (opt-in rules)"
    )
    p.add_argument("--ignore", type=_codes, action="append", help="codes or prefixes to skip")
    p.add_argument("--format", choices=sorted(REPORTERS), default="text", help="output format")
    p.add_argument("--config", type=Path, help="pyproject.toml to read [tool.tasklint] from")
    p.add_argument("--no-cache", action="store_true", help="do not read or write .tasklint_cache")
    p.add_argument(
        "--jobs",
        "-j",
        type=_jobs,
        default=None,
        metavar="N",
        help="worker processes (default: the number of CPUs; the output does not depend on it)",
    )
    p.add_argument("--exit-zero", action="store_true", help="exit 0 even when there are findings")
    p.add_argument(
        "--statistics", action="store_true", help="print counts per code after the findings"
    )
    p.add_argument(
        "--baseline", type=Path, metavar="FILE", help="report only findings not recorded in FILE"
    )
    p.add_argument(
        "--write-baseline",
        type=Path,
        metavar="FILE",
        help="record the current findings in FILE and exit 0",
    )
    p.add_argument("--fix", action="store_true", help="apply safe fixes, then report what remains")
    p.add_argument(
        "--unsafe-fixes",
        action="store_true",
        help="with --fix or --diff, also apply unsafe fixes (they change behaviour on purpose)",
    )
    p.add_argument(
        "--diff",
        action="store_true",
        help="print the diff of what --fix would change, change nothing (exit 1 if any)",
    )
    p.add_argument(
        "--show-fixes", action="store_true", help="with --fix, list what was fixed per file"
    )
    p.add_argument(
        "--stdin-filename",
        type=Path,
        metavar="PATH",
        help="with the path `-`: check standard input as the file PATH of its project",
    )
    p.add_argument(
        "--show-source",
        action="store_true",
        help="text format: print the flagged line and a caret under the finding",
    )
    p.add_argument(
        "--quiet", "-q", action="store_true", help="print the findings only: no summary, no notes"
    )
    p.add_argument("--list-rules", action="store_true", help="list every rule and exit")
    p.add_argument("--explain", metavar="CODE", help="print a rule's documentation and exit")
    p.add_argument("--version", action="version", version=f"tasklint {__version__}")
    return p


def _use_color(stream: object) -> bool:
    """Colour on a terminal; ``NO_COLOR`` (no-color.org) turns it off, ``FORCE_COLOR``
    (force-color.org) on even when piped; both count when set and not empty, NO_COLOR wins."""
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def list_rules(fmt: str) -> str:
    from tasklint.docs import family
    from tasklint.rules import ALL_RULES

    rows = [
        {
            "code": code,
            "name": rule.name,
            "family": family(code),
            "default": "on" if rule.default else "opt-in",
            "severity": rule.severity,
            "summary": rule.summary(),
        }
        for code, rule in ALL_RULES.items()
    ]
    if fmt == "json":
        return json.dumps(rows, indent=2) + "\n"
    width = max(len(r["name"]) for r in rows)
    return "".join(
        f"{r['code']}  {r['name']:<{width}}  {r['default']:<6}  {r['summary']}\n" for r in rows
    )


def _apply_cli(settings: Settings, args: argparse.Namespace | None) -> Settings:
    from tasklint.config import parse_settings

    if args is None:
        return settings
    # validate CLI codes with the same schema as pyproject
    table: dict[str, object] = {}
    select, extend_select, ignore = (
        _joined(args.select),
        _joined(args.extend_select),
        _joined(args.ignore),
    )
    if select is not None:
        table["select"] = select
    if extend_select is not None:
        table["extend-select"] = extend_select
    if ignore is not None:
        table["ignore"] = ignore
    if not table:
        return settings
    try:
        cli = parse_settings(table, "the command line")
    except ConfigError as exc:
        raise ConfigError(
            [e.replace("extend-select", "--extend-select") for e in exc.errors], "the command line"
        ) from None
    return settings.with_overrides(
        select=cli.select,
        extend_select=(*settings.extend_select, *cli.extend_select) if extend_select else None,
        ignore=(*settings.ignore, *cli.ignore) if ignore else None,
    )


# fixes run in rounds, re-linting in between: a fix that overlapped another, or a finding
# that appears once another is fixed, is fixed in the next round
MAX_FIX_ROUNDS = 4


def _fix(
    args: argparse.Namespace,
    paths: list[Path],
    settings: Settings,
    result: RunResult,
    out: TextIO,
) -> RunResult | int:
    """``--diff``: print what ``--fix`` would change and return the exit status.
    ``--fix``: apply the fixes (in rounds, re-linting in between) and return the final
    run's result, whose findings are what remains."""
    from tasklint import fixes
    from tasklint.engine import default_jobs, lint_paths
    from tasklint.rules import ALL_RULES

    base = Path.cwd()
    names = {code: rule.name for code, rule in ALL_RULES.items()}
    plan = fixes.plan(result.findings, base, paths, args.unsafe_fixes)
    if args.diff:
        for change in plan.changes:
            out.write(change.diff())
        count = plan.fixed()
        if not args.quiet:
            sys.stderr.write(f"tasklint: would fix {count} finding{'s' if count != 1 else ''}\n")
            _hint_unsafe(plan.hidden_unsafe)
        out.flush()
        return EXIT_FINDINGS if plan.changes else EXIT_OK
    applied: list[fixes.FileChange] = []
    for round_ in range(MAX_FIX_ROUNDS):
        if round_:
            plan = fixes.plan(result.findings, base, paths, args.unsafe_fixes)
        if not plan.changes:
            break
        for change in plan.changes:
            change.write()
        applied.extend(plan.changes)
        result = lint_paths(
            paths, settings, use_cache=not args.no_cache, jobs=args.jobs or default_jobs()
        )
    fixed = sum(sum(c.fixed.values()) for c in applied)
    if args.show_fixes:
        (out if args.format == "text" else sys.stderr).write(fixes.show_fixes(applied, names))
    if fixed and not args.quiet:
        remaining = len(result.findings)
        sys.stderr.write(
            f"tasklint: fixed {fixed} finding{'s' if fixed != 1 else ''}, {remaining} remaining\n"
        )
    if not args.unsafe_fixes and not args.quiet:
        _hint_unsafe(sum(1 for f in result.findings if f.fix is not None and not f.fix.safe))
    return result


def _hint_unsafe(hidden: int) -> None:
    if hidden:
        sys.stderr.write(
            f"tasklint: {hidden} more fix{'es' if hidden != 1 else ''} available with "
            "--fix --unsafe-fixes\n"
        )


def main(argv: Sequence[str] | None = None) -> int:
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            try:  # a non-UTF-8 terminal: escape what it cannot show, never crash
                reconfigure(errors="backslashreplace")
            except (OSError, ValueError):
                pass
    try:
        return _main(argv)
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # the reader went away (`tasklint | head`): no traceback; silence the final flush
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        except (OSError, ValueError):
            pass
        return EXIT_ERROR
    finally:
        inputs.stop()  # a run that ended early leaves no log running


def _path_operand(text: str) -> Path:
    """A path operand; only the exact operand ``-`` means standard input: ``./-`` names a
    file called ``-`` (``Path`` would fold it into ``-``), so it is made absolute."""
    path = Path(text)
    if text != "-" and path == Path("-"):
        return Path(os.path.abspath(text))
    return path


def _files_after_double_dash(argv: list[str], paths: list[Path] | None) -> list[Path] | None:
    """After ``--`` every operand is a file, ``-`` too (the pre-commit hook passes the
    staged files there, and a repository may hold a file named ``-``): such operands are
    the last ones argparse collected, in order."""
    if not paths or "--" not in argv:
        return paths
    after = argv[argv.index("--") + 1 :]
    if "-" not in after or len(after) > len(paths):
        return paths
    head, tail = paths[: len(paths) - len(after)], paths[len(paths) - len(after) :]
    return head + [Path(os.path.abspath("-")) if p == Path("-") else p for p in tail]


def _main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    from tasklint.config import clear_nested_cache

    clear_nested_cache()  # (main() may be called again in one process)
    if argv and argv[0] == "inventory":
        from tasklint import inventory

        return inventory.main(argv[1:])
    parser = build_parser()
    args = parser.parse_args(argv)
    args.paths = _files_after_double_dash(argv, args.paths)
    out = sys.stdout

    if args.explain is not None:
        from tasklint.docs import explain, lookup, suggest

        if not args.explain.strip():
            parser.error("--explain: expected a rule code such as TQ201, got ''")
        code = lookup(args.explain)
        if code is None:
            hints = suggest(args.explain)
            hint = f"; did you mean {', '.join(hints)}?" if hints else ""
            sys.stderr.write(f"tasklint: unknown rule {args.explain!r}{hint}\n")
            return EXIT_ERROR
        out.write(explain(code))
        return EXIT_OK
    if args.list_rules:
        out.write(list_rules(args.format))
        return EXIT_OK

    stdin = args.stdin_filename is not None or Path("-") in (args.paths or ())
    if stdin:
        return _lint_stdin(args, out)
    paths, errors = check_paths(args.paths or [Path(".")])
    for error in errors:
        hint = (
            " (the subcommand comes first: `tasklint inventory [options] [paths]`)"
            if error.startswith("inventory: no such file")
            else ""
        )
        _say(error + hint)
    if errors:
        return EXIT_ERROR
    if args.paths:
        paths = [p for p in paths if not _not_python(p, args.quiet)]
    if not paths:
        _say("error: none of the given paths is Python source")
        return EXIT_ERROR
    recording = _recorded_run(args, paths)
    if isinstance(recording, int):
        return recording  # answered from the run record
    said = _SAID[0]
    try:
        groups = _plan(paths, args.config, args)
    except ConfigError as exc:
        _say_config_error(exc)
        return EXIT_ERROR
    if not groups:
        _say("error: nothing to check")
        return EXIT_ERROR

    from tasklint.engine import RunResult, default_jobs, lint_paths

    findings: list[Finding] = []
    files = 0
    results: list[RunResult] = []
    try:
        for settings, members in groups:  # one project each (a monorepo: several)
            result = lint_paths(
                members, settings, use_cache=not args.no_cache, jobs=args.jobs or default_jobs()
            )
            results.append(result)
            findings.extend(result.findings)
            files += result.files
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except Exception as exc:  # never a traceback for the user
        _say(f"internal failure: {type(exc).__name__}: {exc}")
        if os.environ.get("TASKLINT_DEBUG"):
            raise
        return EXIT_ERROR
    findings.sort(key=Finding.sort_key)
    roots = [str(r.root) for r in results if r.root is not None]
    combined = RunResult(
        findings=findings,
        files=files,
        root=Path(os.path.commonpath(roots)) if len(roots) == len(results) and roots else None,
    )
    if recording is not None:
        _record_run(recording, paths, results, combined, clean=_SAID[0] == said)
    if args.fix or args.diff:  # per project: each with its own settings
        statuses: list[int] = []
        fixed: list[RunResult] = []
        for (settings, members), one in zip(groups, results):
            done = _fix(args, members, settings, one, out)
            if isinstance(done, int):
                statuses.append(done)
            else:
                fixed.append(done)
        if statuses:
            return max(statuses)
        combined = RunResult(
            findings=sorted((f for r in fixed for f in r.findings), key=Finding.sort_key),
            files=sum(r.files for r in fixed),
            root=combined.root,
        )
    return _report(args, combined, out)


def _recorded_run(args: argparse.Namespace, paths: list[Path]) -> int | tuple[str, int] | None:
    """The warm answer: when the run record of these arguments (tasklint/runrecord.py)
    finds every input unchanged, its findings are reported (the exit status returned).
    Else (key, start) for the record this run writes at its end, with the log of what it
    lists and reads started; None when the run can have no record."""
    if args.no_cache or args.fix or args.diff:
        return None
    import time

    from tasklint import runrecord

    start = time.time_ns()  # before anything the record stamps is read
    try:
        from tasklint.syntax.lowering import FORCE_ENV, parser_signature

        key = runrecord.run_key(
            [
                [str(p) for p in paths],
                None if args.config is None else str(args.config),
                _joined(args.select),
                _joined(args.extend_select),
                _joined(args.ignore),
                parser_signature(),
                os.environ.get(FORCE_ENV, ""),
            ]
        )
    except Exception:  # a bug here must never cost the run: the normal way, no record
        if os.environ.get("TASKLINT_DEBUG"):
            raise
        return None
    try:
        where = runrecord.location(paths)
        if where is None:
            raise runrecord.Miss("no cache yet")
        hit, refreshed = runrecord.load(where, key)
    except Exception as exc:  # a miss (a bug too: never the run's cost): the normal way
        if os.environ.get("TASKLINT_DEBUG") and not isinstance(exc, runrecord.Miss):
            raise
        inputs.start(racy_from=start - runrecord.MARGIN_NS)
        return key, start
    if refreshed is not None:  # stamps moved, bytes did not (touch): remember the new ones
        runrecord.save(where, key, refreshed)
    return _report(args, _Answer(hit.findings, hit.files, hit.root), sys.stdout)


@dataclass
class _Answer:
    """A run's result as the run record holds it (what _report reads of a RunResult)."""

    findings: list[Finding]
    files: int
    root: Path | None


def _record_run(
    recording: tuple[str, int],
    paths: list[Path],
    results: list[RunResult],
    combined: RunResult,
    clean: bool,
) -> None:
    """Write the run record of this run (``clean``: it printed nothing on the way that a
    recorded answer would not print again)."""
    from tasklint import runrecord

    key, start = recording
    listed, read = inputs.stop()
    for result in results:
        result.index = None  # (no longer needed: its memory is free for the record's)
    where = runrecord.location(paths)  # the cache this run made, if none was there
    if where is None or all(result.root != where for result in results):
        return  # only in the cache of a project this run checked (never one above it)
    sources: dict[str, tuple[tuple[int, int, int] | None, str]] = {}
    for result in results:
        if result.sources is None:
            clean = False
        else:
            sources.update(result.sources)
    try:
        if not clean:
            raise runrecord.Miss("the run printed warnings")
        record = runrecord.build(
            where,
            key,
            start,
            listed,
            read,
            sources,
            combined.findings,
            combined.files,
            combined.root,
        )
        runrecord.save(where, key, record)
    except runrecord.Miss:
        runrecord.forget(where, key)  # never loaded again only to miss
    except Exception:  # a bug here must never cost the run
        runrecord.forget(where, key)
        if os.environ.get("TASKLINT_DEBUG"):
            raise


def _lint_stdin(args: argparse.Namespace, out: TextIO) -> int:
    """``tasklint - --stdin-filename path/to/file.py``: the buffer on standard input, checked
    as that file inside its project (as ruff and flake8 do for editors)."""
    if args.paths not in (None, [], [Path("-")]):
        sys.stderr.write(
            "tasklint: error: standard input (`-` or --stdin-filename) cannot be combined with "
            "other paths\n"
        )
        return EXIT_ERROR
    if args.write_baseline is not None:
        sys.stderr.write("tasklint: error: --write-baseline needs paths, not standard input\n")
        return EXIT_ERROR
    filename: Path = args.stdin_filename or Path("stdin.py")
    try:
        settings = load_settings(filename, args.config)
        settings = _apply_cli(settings, args)
    except ConfigError as exc:
        sys.stderr.write(f"tasklint: {exc}\n")
        return EXIT_ERROR

    from tasklint.engine import lint_source

    data = sys.stdin.buffer.read() if hasattr(sys.stdin, "buffer") else sys.stdin.read().encode()
    try:
        result = lint_source(
            data,
            filename,
            settings,
            use_cache=not args.no_cache,
            shown=None if args.stdin_filename else "-",
        )
    except KeyboardInterrupt:
        return EXIT_ERROR
    except Exception as exc:  # never a traceback for the user
        sys.stderr.write(f"tasklint: internal failure: {type(exc).__name__}: {exc}\n")
        if os.environ.get("TASKLINT_DEBUG"):
            raise
        return EXIT_ERROR
    buffer = data.decode("utf-8", "replace").splitlines()
    return _report(args, result, out, lambda _path: buffer)


def _file_lines(path: str) -> list[str] | None:
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            return fh.read().splitlines()
    except OSError:
        return None


def _report(
    args: argparse.Namespace,
    result: RunResult | _Answer,
    out: TextIO,
    lines_of: Callable[[str], list[str] | None] = _file_lines,
) -> int:
    """Baseline, render, statistics and the exit status of one run."""
    findings = result.findings
    base = Path.cwd().resolve()
    root = result.root or base
    if args.write_baseline is not None:
        from tasklint import baseline

        try:
            count = baseline.write(args.write_baseline, findings, root, base)
        except OSError as exc:
            _say(f"--write-baseline: cannot write {args.write_baseline}: {exc.strerror or exc}")
            return EXIT_ERROR
        if not args.quiet:
            _say(f"wrote {count} finding(s) to {args.write_baseline}")
        return EXIT_OK
    if args.baseline is not None:
        from tasklint import baseline

        try:
            findings = baseline.filter_new(findings, baseline.load(args.baseline), root, base)
        except baseline.BaselineError as exc:
            sys.stderr.write(f"tasklint: {exc}\n")
            return EXIT_ERROR
    color = _use_color(out) and args.format == "text"
    if args.show_source and args.format == "text":
        from tasklint.output.text import render_with_source

        render_with_source(findings, out, color, lines_of)
    else:
        REPORTERS[args.format](findings, out, color)
    if args.statistics and not args.quiet:
        from tasklint.rules import ALL_RULES

        counts = Counter(f.code for f in findings)
        stream = sys.stderr if args.format != "text" else out
        for code, n in sorted(counts.items()):
            stream.write(f"{n:<5} {code} {ALL_RULES[code].name if code in ALL_RULES else ''}\n")
        stream.write(
            f"{len(findings)} finding{'s' if len(findings) != 1 else ''}; "
            f"checked {result.files} file{'s' if result.files != 1 else ''}\n"
        )
    out.flush()
    if findings and not args.exit_zero:
        return EXIT_FINDINGS
    return EXIT_OK
