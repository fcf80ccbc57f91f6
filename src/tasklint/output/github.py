"""GitHub Actions workflow commands: one ``::error`` annotation per finding."""

from __future__ import annotations

from typing import TextIO

from tasklint.findings import Finding
from tasklint.output.escape import printable
from tasklint.output.severity import level


def _data(text: str) -> str:
    # GitHub's own escapes for line ends (it shows them as line breaks), then every other
    # control, format character or lone surrogate as a backslash escape
    return printable(text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A"))


def _prop(text: str) -> str:
    return _data(text).replace(":", "%3A").replace(",", "%2C")


def render(findings: list[Finding], stream: TextIO, color: bool = False) -> None:
    for f in findings:
        props = [f"file={_prop(f.path)}", f"line={f.line}", f"col={f.col}"]
        if f.end_line is not None:
            props.append(f"endLine={f.end_line}")
        if f.end_col is not None:
            props.append(f"endColumn={f.end_col}")
        props.append(f"title={_prop(f'{f.code} {f.name}')}")
        stream.write(f"::{level(f.code, 'github')} {','.join(props)}::{_data(f.message)}\n")
