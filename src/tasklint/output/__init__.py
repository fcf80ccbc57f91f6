"""Output formats: one renderer per format, each a pure function of the findings."""

from __future__ import annotations

from typing import Callable, TextIO

from tasklint.findings import Finding
from tasklint.output import github, gitlab, json_format, sarif, text

Renderer = Callable[[list[Finding], TextIO, bool], None]

REPORTERS: dict[str, Renderer] = {
    "text": text.render,
    "json": json_format.render,
    "sarif": sarif.render,
    "github": github.render,
    "gitlab": gitlab.render,
}
