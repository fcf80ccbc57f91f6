"""Human-readable output: ``path:line:col: CODE message``."""

from __future__ import annotations

from typing import Callable, TextIO

from tasklint.findings import Finding
from tasklint.output.escape import printable

BOLD = "\033[1m"
RED = "\033[31m"
CYAN = "\033[36m"
RESET = "\033[0m"


def render(findings: list[Finding], stream: TextIO, color: bool = False) -> None:
    for f in findings:
        path, message, name = printable(f.path), printable(f.message), printable(f.name)
        if color:
            stream.write(
                f"{BOLD}{path}{RESET}:{f.line}:{f.col}: {RED}{BOLD}{f.code}{RESET} "
                f"{message} {CYAN}[{name}]{RESET}\n"
            )
        else:
            stream.write(f"{path}:{f.line}:{f.col}: {f.code} {message} [{name}]\n")


def caret_line(line: str, col: int, end_col: int | None, same_line: bool) -> str:
    """A caret under the finding: from its column to its end on that line (at least one
    ``^``); tabs before it are kept so the caret lines up in any tab width."""
    start = max(col - 1, 0)
    prefix = "".join(c if c == "\t" else " " for c in line[:start])
    if same_line and end_col is not None and end_col > col:
        width = end_col - col
    else:
        width = len(line.rstrip()) - start
    return prefix + "^" * max(width, 1)


def render_with_source(
    findings: list[Finding],
    stream: TextIO,
    color: bool,
    lines_of: Callable[[str], list[str] | None],
) -> None:
    """``render``, each finding followed by its source line and a caret (``--show-source``).

    ``lines_of(path)`` gives the lines of a file (None when it cannot be read: no source).
    """
    files: dict[str, list[str] | None] = {}
    for f in findings:
        render([f], stream, color)
        if f.path not in files:
            files[f.path] = lines_of(f.path)
        lines = files[f.path]
        if not lines or not 0 < f.line <= len(lines):
            continue
        line = lines[f.line - 1]
        same_line = f.end_line is None or f.end_line == f.line
        caret = caret_line(line, f.col, f.end_col, same_line)
        shown = printable(line)  # the source is the repository's: no escapes reach the terminal
        stream.write(f"{shown}\n{RED}{caret}{RESET}\n" if color else f"{shown}\n{caret}\n")
