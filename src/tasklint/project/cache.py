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
# bump when the core facts (facts.py, not a collector) or module naming change what they
# record (3: namespace portions and the project root bound module names)
FORMAT = 3


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

    def entry(self, key: str, stamp: tuple[int, int] | None) -> dict[str, Any] | None:
        """The entry of an unchanged file (same mtime and size), else None."""
        if not self.enabled or stamp is None:
            return None
        entry = self.entries.get(key)
        if (
            isinstance(entry, dict)
            and entry.get("mtime") == stamp[0]
            and entry.get("size") == stamp[1]
            and isinstance(entry.get("digest"), str)
        ):
            return entry
        return None

    def by_digest(self, key: str, digest: str) -> dict[str, Any] | None:
        """The entry of a file whose bytes are unchanged although its mtime moved (touch)."""
        if not self.enabled:
            return None
        entry = self.entries.get(key)
        if isinstance(entry, dict) and entry.get("digest") == digest:
            return entry
        return None

    def restamp(self, key: str, stamp: tuple[int, int] | None) -> None:
        entry = self.entries.get(key)
        if self.enabled and stamp is not None and isinstance(entry, dict):
            entry["mtime"], entry["size"] = stamp
            self.dirty = True

    def findings(self, key: str, fingerprint: str, shown: str) -> list[dict[str, Any]] | None:
        """Cached findings of a file for this exact project state, settings and display path."""
        entry = self.entries.get(key) if self.enabled else None
        if not isinstance(entry, dict):
            return None
        cached = entry.get("findings")
        if (
            isinstance(cached, dict)
            and cached.get("fingerprint") == fingerprint
            and cached.get("shown") == shown
            and isinstance(cached.get("items"), list)
        ):
            items: list[dict[str, Any]] = cached["items"]
            return items
        return None

    def put_findings(
        self, key: str, fingerprint: str, shown: str, items: list[dict[str, Any]]
    ) -> None:
        entry = self.entries.get(key) if self.enabled else None
        if isinstance(entry, dict):
            entry["findings"] = {"fingerprint": fingerprint, "shown": shown, "items": items}
            self.dirty = True

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
        facts: ModuleFacts | dict[str, Any] | None,
        error: tuple[int, str] | None = None,
        digest: str = "",
    ) -> None:
        if not self.enabled or stamp is None:
            return
        self.entries[key] = {
            "mtime": stamp[0],
            "size": stamp[1],
            "digest": digest,
            "facts": facts.to_json() if isinstance(facts, ModuleFacts) else facts,
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
