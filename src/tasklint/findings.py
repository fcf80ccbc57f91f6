"""The one record every rule produces and every output format consumes."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Finding:
    """A problem found in one file.

    ``line`` and ``col`` are 1-based (``col`` counts characters as ``ast`` does, plus one).
    ``path`` is the file's path as the engine was given it; renderers make it relative.
    """

    path: str
    line: int
    col: int
    code: str
    message: str
    name: str = ""
    end_line: int | None = None
    end_col: int | None = None
    # Not part of identity: a short text of the flagged source, for fingerprints.
    source: str = field(default="", compare=False)

    def sort_key(self) -> tuple[str, int, int, str, str]:
        return (self.path, self.line, self.col, self.code, self.message)
