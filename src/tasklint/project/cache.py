"""Per-module facts cached on disk, keyed by path, mtime, size and tasklint's version.

The cache is one JSON file per project, written atomically (temporary file, then
``os.replace``) so that parallel flake8 workers never see half a file. Anything unreadable
or unexpected is a miss, never an error.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from tasklint import __version__
from tasklint.project.facts import ModuleFacts

CACHE_DIR = ".tasklint_cache"
FORMAT = 2  # 2: module names of namespace portions inside packages


class FactsCache:
    def __init__(self, root: Path, enabled: bool = True) -> None:
        self.root = root
        self.enabled = enabled
        self.directory = root / CACHE_DIR
        import hashlib

        from tasklint.project.facts import collectors_signature

        tag = hashlib.sha256(f"{FORMAT}|{collectors_signature()}".encode()).hexdigest()[:12]
        self.file = self.directory / f"facts-{__version__}-{tag}.json"
        self.entries: dict[str, Any] = {}
        self.dirty = False
        if enabled:
            self._load()

    def _load(self) -> None:
        try:
            with open(self.file, encoding="utf-8") as fh:
                data = json.load(fh)
            if isinstance(data, dict) and isinstance(data.get("entries"), dict):
                self.entries = data["entries"]
        except (OSError, ValueError, UnicodeDecodeError):
            self.entries = {}

    @staticmethod
    def stamp(path: Path) -> tuple[int, int] | None:
        try:
            st = path.stat()
        except OSError:
            return None
        return st.st_mtime_ns, st.st_size

    def get(self, key: str, stamp: tuple[int, int] | None) -> ModuleFacts | None:
        if not self.enabled or stamp is None:
            return None
        entry = self.entries.get(key)
        try:
            if entry and entry["mtime"] == stamp[0] and entry["size"] == stamp[1]:
                if entry.get("facts") is None:
                    return None
                return ModuleFacts.from_json(entry["facts"])
        except (KeyError, TypeError, ValueError):
            pass
        return None

    def get_error(self, key: str, stamp: tuple[int, int] | None) -> list[Any] | None:
        """A cached parse failure (line, reason) for an unchanged file."""
        if not self.enabled or stamp is None:
            return None
        entry = self.entries.get(key)
        try:
            if entry and entry["mtime"] == stamp[0] and entry["size"] == stamp[1]:
                err = entry.get("error")
                return list(err) if err else None
        except (KeyError, TypeError):
            pass
        return None

    def put(
        self,
        key: str,
        stamp: tuple[int, int] | None,
        facts: ModuleFacts | None,
        error: tuple[int, str] | None = None,
    ) -> None:
        if not self.enabled or stamp is None:
            return
        self.entries[key] = {
            "mtime": stamp[0],
            "size": stamp[1],
            "facts": facts.to_json() if facts is not None else None,
            "error": list(error) if error else None,
        }
        self.dirty = True

    def prune(self, keep: set[str]) -> None:
        stale = [k for k in self.entries if k not in keep]
        for k in stale:
            del self.entries[k]
        if stale:
            self.dirty = True

    def save(self) -> None:
        if not self.enabled or not self.dirty:
            return
        try:
            self.directory.mkdir(exist_ok=True)
            gitignore = self.directory / ".gitignore"
            if not gitignore.exists():
                gitignore.write_text("# created by tasklint\n*\n", encoding="utf-8")
            fd, tmp = tempfile.mkstemp(prefix=".facts-", suffix=".tmp", dir=self.directory)
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as fh:
                    json.dump({"version": __version__, "entries": self.entries}, fh)
                os.replace(tmp, self.file)
            except BaseException:
                try:
                    os.unlink(tmp)
                except OSError:
                    pass
                raise
        except OSError:
            return  # read-only tree, full disk...: run without a cache
        self.dirty = False
