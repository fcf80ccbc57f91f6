"""Human-readable output: ``path:line:col: CODE message``."""

from __future__ import annotations

from typing import TextIO

from tasklint.findings import Finding

BOLD = "\033[1m"
RED = "\033[31m"
CYAN = "\033[36m"
RESET = "\033[0m"


def render(findings: list[Finding], stream: TextIO, color: bool = False) -> None:
    for f in findings:
        if color:
            stream.write(
                f"{BOLD}{f.path}{RESET}:{f.line}:{f.col}: {RED}{BOLD}{f.code}{RESET} "
                f"{f.message} {CYAN}[{f.name}]{RESET}\n"
            )
        else:
            stream.write(f"{f.path}:{f.line}:{f.col}: {f.code} {f.message} [{f.name}]\n")
