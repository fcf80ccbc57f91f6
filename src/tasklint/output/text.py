"""Human-readable output: ``path:line:col: CODE message``."""

from __future__ import annotations

from typing import TextIO

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
