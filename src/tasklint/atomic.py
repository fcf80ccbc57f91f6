"""Files written whole or not at all: into a temporary file beside the target, then
renamed over it (a reader sees the old file or the new one, never a part)."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable
from pathlib import Path


def write_atomically(path: Path, chunks: Iterable[bytes], prefix: str) -> None:
    """Write ``chunks`` to ``path``; the temporary file (``prefix``...``.tmp`` in the same
    directory) is removed if anything fails, and the error raised again."""
    fd, tmp = tempfile.mkstemp(prefix=prefix, suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            for chunk in chunks:
                fh.write(chunk)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
