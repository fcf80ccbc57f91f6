"""The one record every rule produces and every output format consumes."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Edit:
    """Replace the text from (``line``, ``col``) to (``end_line``, ``end_col``) by ``text``.

    Lines are 1-based; columns are 0-based character offsets in the line (``str`` indexes,
    not the UTF-8 bytes ``ast`` counts). An empty range inserts, an empty text deletes.
    """

    line: int
    col: int
    end_line: int
    end_col: int
    text: str


@dataclass(frozen=True)
class Fix:
    """What a rule offers to change, with ruff's meaning of safe: ``--fix`` applies safe
    fixes; unsafe ones (they change behaviour, which is their point, or need a newer
    library) also need ``--unsafe-fixes``."""

    edits: tuple[Edit, ...]
    safe: bool
    description: str  # imperative, one line: "Rename `max_retry` to `max_retries`"

    def to_json(self) -> dict[str, object]:
        return {
            "edits": [[e.line, e.col, e.end_line, e.end_col, e.text] for e in self.edits],
            "safe": self.safe,
            "description": self.description,
        }

    @classmethod
    def from_json(cls, data: object) -> Fix | None:
        if not isinstance(data, dict):
            return None
        edits = tuple(
            Edit(int(a), int(b), int(c), int(d), str(t)) for a, b, c, d, t in data["edits"]
        )
        return cls(edits, bool(data["safe"]), str(data["description"]))


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
    # Not part of identity either: the change that removes the finding, when one is known.
    fix: Fix | None = field(default=None, compare=False)

    def sort_key(self) -> tuple[str, int, int, str, str]:
        return (self.path, self.line, self.col, self.code, self.message)
