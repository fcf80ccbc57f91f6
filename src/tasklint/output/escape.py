"""Text from the checked code (task names, strings, file names) made safe to print.

A repository is untrusted: a task name ``"x\\n::error file=README.md::INJECTED"`` or a
file named ``new\\nline.py`` must not start a line of its own (GitHub Actions runs such a
line as a workflow command, whatever the format), and ANSI/OSC escape sequences or bidi
overrides must not reach the terminal. Every character Python does not call printable
(controls, format characters such as U+202E, separators, lone surrogates) is written as
its backslash escape.
"""

from __future__ import annotations

from urllib.parse import quote


def printable(text: str) -> str:
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else ascii(c)[1:-1] for c in text)


def uri_path(path: str) -> str:
    """A relative path as a URI reference: percent-encoded (spaces, ``#``, ``?``...)."""
    try:
        raw = path.encode("utf-8", "surrogateescape")  # file names Python could not decode
    except UnicodeEncodeError:
        raw = path.encode("utf-8", "surrogatepass")
    return quote(raw, safe="/")
