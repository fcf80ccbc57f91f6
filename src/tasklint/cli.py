"""The ``tasklint`` command line."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from tasklint import __version__
from tasklint.config import ConfigError, Settings, load_settings
from tasklint.output import REPORTERS
from tasklint.rules import ALL_RULES

if TYPE_CHECKING:
    from tasklint.engine import RunResult

EXIT_OK, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2

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
        sys.stderr.write(f"tasklint: warning: skipping {path}: not a Python source file\n")
    return True


def _codes(value: str) -> list[str]:
    """Comma-separated rule codes or prefixes, in any case (``tq201`` is ``TQ201``)."""
    return [c.strip().upper() for c in value.split(",") if c.strip()]


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
    p.add_argument("paths", nargs="*", type=Path, help="files or directories (default: .)")
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


def _apply_cli(settings: Settings, args: argparse.Namespace) -> Settings:
    from tasklint.config import parse_settings

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
    try:
        return _main(argv)
    except BrokenPipeError:
        # the reader went away (`tasklint | head`): no traceback; silence the final flush
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        except (OSError, ValueError):
            pass
        return EXIT_ERROR


def _main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "inventory":
        from tasklint import inventory

        return inventory.main(argv[1:])
    parser = build_parser()
    args = parser.parse_args(argv)
    out = sys.stdout

    if args.explain:
        from tasklint.docs import explain, lookup, suggest

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
    paths: list[Path] = args.paths or [Path(".")]
    missing = [p for p in paths if not os.path.lexists(p)]
    if missing:
        for path in missing:
            hint = (
                " (the subcommand comes first: `tasklint inventory [options] [paths]`)"
                if str(path) == "inventory"
                else ""
            )
            sys.stderr.write(f"tasklint: {path}: no such file or directory{hint}\n")
        return EXIT_ERROR
    if args.paths:
        paths = [p for p in args.paths if not _not_python(p, args.quiet)]
        if not paths:
            sys.stderr.write("tasklint: error: none of the given paths is Python source\n")
            return EXIT_ERROR
    try:
        start = paths[0] if paths else Path(".")
        settings = load_settings(start, args.config)
        settings = _apply_cli(settings, args)
    except ConfigError as exc:
        sys.stderr.write(f"tasklint: {exc}\n")
        return EXIT_ERROR

    from tasklint.engine import default_jobs, lint_paths

    try:
        result = lint_paths(
            paths, settings, use_cache=not args.no_cache, jobs=args.jobs or default_jobs()
        )
    except KeyboardInterrupt:
        return EXIT_ERROR
    except Exception as exc:  # never a traceback for the user
        sys.stderr.write(f"tasklint: internal failure: {type(exc).__name__}: {exc}\n")
        if os.environ.get("TASKLINT_DEBUG"):
            raise
        return EXIT_ERROR
    if args.fix or args.diff:
        done = _fix(args, paths, settings, result, out)
        if isinstance(done, int):
            return done
        result = done
    return _report(args, result, out)


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
    result: RunResult,
    out: TextIO,
    lines_of: Callable[[str], list[str] | None] = _file_lines,
) -> int:
    """Baseline, render, statistics and the exit status of one run."""
    findings = result.findings
    base = Path.cwd().resolve()
    root = result.root or base
    if args.write_baseline is not None:
        from tasklint import baseline

        count = baseline.write(args.write_baseline, findings, root, base)
        if not args.quiet:
            sys.stderr.write(f"tasklint: wrote {count} finding(s) to {args.write_baseline}\n")
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
        counts = Counter(f.code for f in findings)
        stream = sys.stderr if args.format != "text" else out
        for code, n in sorted(counts.items()):
            stream.write(f"{n:<5} {code} {ALL_RULES[code].name}\n")
        stream.write(
            f"{len(findings)} finding{'s' if len(findings) != 1 else ''}; "
            f"checked {result.files} file{'s' if result.files != 1 else ''}\n"
        )
    out.flush()
    if findings and not args.exit_zero:
        return EXIT_FINDINGS
    return EXIT_OK
