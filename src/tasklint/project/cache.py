"""Per-module facts cached on disk, keyed by path, mtime, size and tasklint's version.

Two JSON files per project, each written atomically (temporary file, then ``os.replace``)
so that parallel flake8 workers never see half a file: ``facts-*.json`` holds each file's
stamp, digest, parse error and cached findings (small: read on every run), and
``modules-*.json`` the module facts themselves (large: read only when some file has to be
linted again). Anything unreadable, unexpected or missing is a miss, never an error.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from tasklint import __version__, build_id
from tasklint.atomic import write_atomically
from tasklint.findings import Finding
from tasklint.project.facts import LazyModuleFacts, ModuleFacts, module_from_row, module_row

CACHE_DIR = ".tasklint_cache"
# bump when the core facts (facts.py, not a collector) or module naming change what they
# record (3: namespace portions and the project root bound module names)
# 4: module facts in their own file, read lazily; 5: symbolic values (expr); 6: one-branch
# assignments unknown; 7: ctime and module name kept in each entry; 8: module facts as
# positional lists (ModuleFacts.to_json); 9: project findings in their own file; 10: the
# cells of a module's row each its own JSON text, tab-separated (facts.module_row)
FORMAT = 10

# (mtime_ns, size, ctime_ns): chmod/chown change only the ctime, and they change what a
# file reads as (an unreadable file is TQ001)
Stamp = tuple[int, int, int]


def python_tag() -> str:
    """The interpreter's name and version: its parser decides what parses (TQ001) and what
    the facts are, so a cache written by another Python is never read."""
    return f"{sys.implementation.name}-{sys.version_info[0]}.{sys.version_info[1]}"


class FactsCache:
    def __init__(self, root: Path, enabled: bool = True) -> None:
        self.root = root
        self.enabled = enabled
        self.directory = root / CACHE_DIR
        import hashlib

        from tasklint.project.facts import collectors_signature
        from tasklint.syntax.lowering import parser_signature

        tag = hashlib.sha256(
            f"{FORMAT}|{collectors_signature()}|{build_id()}|{parser_signature()}|"
            f"{python_tag()}".encode()
        ).hexdigest()[:12]
        self.file = self.directory / f"facts-{__version__}-{tag}.json"
        self.modules_file = self.directory / f"modules-{__version__}-{tag}.json"
        self.project_file = self.directory / f"project-{__version__}-{tag}.json"
        self.index_file = self.directory / f"index-{__version__}-{tag}.json"
        # the project index's tables (ProjectIndex.table) for one state of every module's
        # facts: its key, the tables (filled by the run), and the names read from the file
        self._tables: tuple[str, dict[str, Any], frozenset[str]] | None = None
        self.entries: dict[str, Any] = {}
        self._modules: dict[str, Any] | None = None  # loaded on first use
        self.dirty = False
        self.modules_dirty = False
        # files whose source rules read besides the file they lint (engine.lint_paths)
        self.bodies: set[str] = set()
        # project rules' findings for one project fingerprint (read on first use):
        # the fingerprint, and by absolute path their JSON text or the findings
        self._project: tuple[str, dict[str, Any]] | None = None
        self.project_dirty = False
        # key -> the JSON text of its entry as read from the facts file, for entries not
        # changed since (written back as they were, not encoded again): see _entry_texts
        self._unchanged: dict[str, str] = {}
        if enabled:
            data, text = self._read_state(self.file)
            found = data.get("entries")
            self.entries = found if isinstance(found, dict) else {}
            if self.entries and text:
                self._unchanged = _entry_texts(text, self.entries)
            bodies = data.get("bodies")
            if isinstance(bodies, list) and all(isinstance(x, str) for x in bodies):
                self.bodies = set(bodies)
            elif self.entries:
                self.bodies = {"*"}  # unreadable: every file's body counts

    @staticmethod
    def _read_state(path: Path) -> tuple[dict[str, Any], str]:
        """The facts file's JSON and its text (empty when unreadable)."""
        try:
            with open(path, encoding="utf-8") as fh:
                text = fh.read()
            data = json.loads(text)
        except (OSError, ValueError, UnicodeDecodeError, RecursionError, MemoryError):
            return {}, ""
        return (data, text) if isinstance(data, dict) else ({}, "")

    @staticmethod
    def _read_all(path: Path) -> dict[str, Any]:
        try:
            with open(path, encoding="utf-8") as fh:
                data = json.load(fh)
        except (OSError, ValueError, UnicodeDecodeError):
            return {}
        return data if isinstance(data, dict) else {}

    def _project_state(self) -> tuple[str, dict[str, Any]]:
        """The project file: a header line with the fingerprint and the number of lines,
        then one ``PATH<tab>ITEMS`` line per file (both JSON; the items stay text until
        asked for)."""
        if self._project is None:
            self._project = ("", {})
            if self.enabled:
                meta, by_path = _read_lines(self.project_file)
                fingerprint = meta.get("project")
                # every line read back (a lost line would look like a file without findings)
                if (
                    isinstance(fingerprint, str)
                    and meta.get("count") == len(by_path)
                    and meta == _project_meta(fingerprint, len(by_path))
                ):
                    self._project = (fingerprint, by_path)
        return self._project

    def project_findings(
        self, fingerprint: str, paths: Iterable[str]
    ) -> dict[str, list[Any]] | None:
        """Project rules' findings of ``paths`` (JSON, by absolute path) computed for
        ``fingerprint``; None when not cached or damaged."""
        if not self.enabled:
            return None
        cached, by_path = self._project_state()
        if cached != fingerprint:
            return None
        out: dict[str, list[Any]] = {}
        for path in paths:
            found = by_path.get(path)
            if isinstance(found, str):
                try:
                    found = json.loads(found)
                except (ValueError, RecursionError):
                    return None
            if found is not None:
                if not isinstance(found, list):
                    return None
                out[path] = found
        return out

    def put_project_findings(self, fingerprint: str, by_path: dict[str, list[Finding]]) -> None:
        if self.enabled:
            self._project = (fingerprint, dict(by_path))
            self.dirty = self.project_dirty = True

    def index_tables(self, key: str) -> dict[str, Any]:
        """The index tables an earlier run made for the module facts ``key`` stands for
        (ProjectScan.tables_key; checked by ProjectIndex.use_tables), as a dict the index
        fills with the tables it makes: written back when it has new ones."""
        tables: dict[str, Any] = {}
        if self.enabled and os.path.isfile(self.index_file) and not _links_out(self.index_file):
            data = self._read_all(self.index_file)
            found = data.get("tables")
            if data.get("facts") == key and isinstance(found, dict):
                tables = found
        self._tables = (key, tables, frozenset(tables))
        return tables

    def _tables_grew(self) -> bool:
        return self._tables is not None and set(self._tables[1]) != self._tables[2]

    def _module_facts(self) -> dict[str, Any]:
        if self._modules is None:
            self._modules = {}
            if self.enabled:
                meta, found = _read_lines(self.modules_file)
                if meta == _modules_meta():
                    self._modules = found
        return self._modules

    def module(self, key: str) -> ModuleFacts | None:
        """The cached facts of an unchanged file (None: not cached, compute them again);
        raises on a damaged entry. Held as the dataclass from then on, not as JSON."""
        modules = self._module_facts()
        found = modules.get(key)
        if found is None or isinstance(found, ModuleFacts):
            return found
        facts = module_from_row(found)
        modules[key] = facts
        return facts

    def lazy_module(
        self,
        key: str,
        module: str,
        is_package: bool,
        heal: Callable[[ModuleFacts], ModuleFacts | None] | None = None,
    ) -> ModuleFacts | None:
        """The cached facts of an unchanged file named ``module`` today, decoded field by
        field when a field is first read (see LazyModuleFacts: a damaged row is ``heal``-ed
        then); None: not cached, compute them again."""
        modules = self._module_facts()
        found = modules.get(key)
        if found is None or isinstance(found, ModuleFacts):
            return found
        if not isinstance(found, str):
            return None
        facts = LazyModuleFacts.from_row(found, module, key, is_package, heal)
        modules[key] = facts
        return facts

    def restore(self, key: str, facts: ModuleFacts) -> None:
        """Facts collected again for a file whose cached facts were missing or damaged."""
        if self.enabled and key in self.entries:
            self._module_facts()[key] = facts
            self.dirty = self.modules_dirty = True

    def keep(self, key: str, facts: ModuleFacts) -> None:
        """Fresh facts ``put`` did not store because its entry's facts digest matched: once
        the module file is read, make sure it holds them (a damaged file may not)."""
        if self._modules is not None and key not in self._modules and key in self.entries:
            self._modules[key] = facts
            self.dirty = self.modules_dirty = True

    @staticmethod
    def stamp(path: Path) -> Stamp | None:
        try:
            st = os.stat(path)  # not Path.stat: one call per project file on a warm run
        except OSError:
            return None
        return st.st_mtime_ns, st.st_size, st.st_ctime_ns

    def entry(
        self, key: str, stamp: Stamp | None, module: str | None = None
    ) -> dict[str, Any] | None:
        """The entry of an unchanged file (same mtime, size and ctime, and, when given, the
        same module name: that depends on other files, ``__init__.py`` and project markers),
        else None. An unreadable file (no digest) is never taken from the cache."""
        if not self.enabled or stamp is None:
            return None
        entry = self.entries.get(key)
        if (
            isinstance(entry, dict)
            and entry.get("mtime") == stamp[0]
            and entry.get("size") == stamp[1]
            and entry.get("ctime") == stamp[2]
            and isinstance(entry.get("digest"), str)
            and entry["digest"]
            and (module is None or entry.get("module") == module)
            and _valid_error(entry.get("error"))
        ):
            return entry
        return None

    def by_digest(self, key: str, digest: str, module: str | None = None) -> dict[str, Any] | None:
        """The entry of a file whose bytes are unchanged although its mtime moved (touch)."""
        if not self.enabled or not digest:
            return None
        entry = self.entries.get(key)
        if (
            isinstance(entry, dict)
            and entry.get("digest") == digest
            and (module is None or entry.get("module") == module)
            and _valid_error(entry.get("error"))
        ):
            return entry
        return None

    def restamp(self, key: str, stamp: Stamp | None) -> None:
        entry = self.entries.get(key)
        if self.enabled and stamp is not None and isinstance(entry, dict):
            entry["mtime"], entry["size"], entry["ctime"] = stamp
            self._unchanged.pop(key, None)
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

    def put_findings(self, key: str, fingerprint: str, shown: str, items: list[Finding]) -> None:
        entry = self.entries.get(key) if self.enabled else None
        if isinstance(entry, dict):
            entry["findings"] = {"fingerprint": fingerprint, "shown": shown, "items": items}
            self._unchanged.pop(key, None)
            self.dirty = True

    def hold_findings(self, key: str, items: list[Finding]) -> None:
        """Hold the findings just read back from ``findings(key, ...)`` as objects (the
        same findings: the cache file does not change)."""
        entry = self.entries.get(key)
        cached = entry.get("findings") if isinstance(entry, dict) else None
        if isinstance(cached, dict):
            cached["items"] = items

    def retag_findings(self, old: str, new: str) -> None:
        """Findings cached under fingerprint ``old`` hold under ``new`` too."""
        if not self.enabled or old == new:
            return
        project, by_path = self._project_state()
        if project == old:
            self._project = (new, by_path)
            self.dirty = self.project_dirty = True
        for key, entry in self.entries.items():
            cached = entry.get("findings") if isinstance(entry, dict) else None
            if isinstance(cached, dict) and cached.get("fingerprint") == old:
                cached["fingerprint"] = new
                self._unchanged.pop(key, None)
                self.dirty = True

    def set_bodies(self, bodies: set[str]) -> None:
        if self.enabled and bodies != self.bodies:
            self.bodies = set(bodies)
            self.dirty = True

    def put(
        self,
        key: str,
        stamp: Stamp | None,
        facts: ModuleFacts | dict[str, Any] | None,
        error: tuple[int, str] | None = None,
        digest: str = "",
        module: str | None = None,
        facts_digest: str = "",
    ) -> None:
        if not self.enabled or stamp is None:
            return
        old = self.entries.get(key)
        self._unchanged.pop(key, None)
        self.entries[key] = {
            "mtime": stamp[0],
            "size": stamp[1],
            "ctime": stamp[2],
            "digest": digest,
            "error": list(error) if error else None,
            "module": module,
            "facts_digest": facts_digest,
        }
        if (
            facts_digest
            and isinstance(old, dict)
            and old.get("facts_digest") == facts_digest
            # the facts digest covers the parse error too; the module file, when already
            # read, must also agree (an interrupted run may have left it behind)
            and (self._modules is None or (facts is None) == (key not in self._modules))
        ):
            self.dirty = True  # same facts (an edit that changes none): keep the module file
            return
        modules = self._module_facts()
        if facts is None:
            modules.pop(key, None)
        else:
            modules[key] = facts  # made JSON when written (_write_modules)
        self.dirty = self.modules_dirty = True

    def prune(self, keep: set[str]) -> None:
        stale = [k for k in self.entries if k not in keep]
        for k in stale:
            del self.entries[k]
            self._unchanged.pop(k, None)
        if stale:
            self.dirty = True
        if self._modules is not None:
            gone = [k for k in self._modules if k not in keep]
            for k in gone:
                del self._modules[k]
            if gone:
                self.modules_dirty = True

    def save(self) -> None:
        if not self.enabled or not (self.dirty or self._tables_grew()):
            return
        if _links_out(self.directory):
            return  # a committed link would make tasklint write outside the project
        try:
            self.directory.mkdir(exist_ok=True)
            gitignore = self.directory / ".gitignore"
            if not gitignore.exists():
                gitignore.write_text("# created by tasklint\n*\n", encoding="utf-8")
            if self.modules_dirty and self._modules is not None:
                # the facts first: a reader never finds a stamp whose facts are not written
                self._write_modules(self._modules)
            if self.project_dirty and self._project is not None:
                self._write_project(*self._project)
            if self._tables is not None and self._tables_grew():
                key, tables, _ = self._tables
                text = json.dumps({"version": __version__, "facts": key, "tables": tables})
                self._write_chunks(self.index_file, [text])
                self._tables = (key, tables, frozenset(tables))
            self._write_chunks(self.file, self._state_chunks())
            self._remove_stale()
        except OSError:
            return  # read-only tree, full disk...: run without a cache
        self.dirty = self.modules_dirty = self.project_dirty = False

    def _remove_stale(self) -> None:
        """Cache files of other tasklint versions or collector sets: never read again."""
        for pattern in ("facts-*.json", "modules-*.json", "project-*.json", "index-*.json"):
            for old in self.directory.glob(pattern):
                if old not in (self.file, self.modules_file, self.project_file, self.index_file):
                    try:
                        old.unlink()
                    except OSError:
                        pass

    def _write_modules(self, modules: dict[str, Any]) -> None:
        """The module facts, one module at a time: fresh facts stay dataclasses until here
        (no JSON copy of every module's facts held in memory next to them)."""

        def chunks() -> Iterable[str]:
            yield json.dumps(_modules_meta()) + "\n"
            for key, value in modules.items():
                if isinstance(value, str):  # never read back this run: the text it was
                    row = value if value.endswith("\n") else value + "\n"
                elif isinstance(value, ModuleFacts):  # a lazy one keeps the text it was
                    row = module_row(value) + "\n"
                else:
                    continue  # nothing else is module facts
                yield json.dumps(key) + "\t" + row

        self._write_chunks(self.modules_file, chunks())

    def _state_chunks(self) -> Iterable[str]:
        """The facts file, one entry at a time (one JSON text of every entry and finding
        would be held in memory whole next to them); findings are written as JSON here."""
        dumps = json.JSONEncoder(default=_plain).encode
        yield '{"version": ' + dumps(__version__) + ', "bodies": ' + dumps(sorted(self.bodies))
        yield ', "entries": {'
        sep = "\n"
        unchanged = self._unchanged
        for key, entry in self.entries.items():
            # one entry per line (_entry_texts reads them back); an entry not changed
            # since it was read is written as the text it was read from
            text = unchanged.get(key)
            yield sep + dumps(key) + ": " + (text if text is not None else dumps(entry))
            sep = ",\n"
        yield "\n}}"

    def _write_project(self, fingerprint: str, by_path: dict[str, Any]) -> None:
        def chunks() -> Iterable[str]:
            dumps = json.JSONEncoder(default=_plain).encode
            yield json.dumps(_project_meta(fingerprint, len(by_path))) + "\n"
            for path, items in by_path.items():
                if isinstance(items, str):  # never read back this run: the text it was
                    row = items if items.endswith("\n") else items + "\n"
                else:
                    row = dumps(items) + "\n"
                yield json.dumps(path) + "\t" + row

        self._write_chunks(self.project_file, chunks())

    def _write_chunks(self, path: Path, chunks: Iterable[str]) -> None:
        write_atomically(path, (chunk.encode("utf-8") for chunk in chunks), prefix=".facts-")


def finding_to_json(f: Finding) -> dict[str, object]:
    """A finding as the cache holds it (field by field: ``dataclasses.asdict`` is a deep
    copy, 1 s on 10,000 findings)."""
    return {
        "path": f.path,
        "line": f.line,
        "col": f.col,
        "code": f.code,
        "message": f.message,
        "name": f.name,
        "end_line": f.end_line,
        "end_col": f.end_col,
        "source": f.source,
        "fix": f.fix.to_json() if f.fix is not None else None,  # the cache carries fixes
    }


def _plain(value: object) -> object:
    """JSON for what the cache holds as objects until it is written (findings)."""
    if isinstance(value, Finding):
        return finding_to_json(value)
    raise TypeError(f"not JSON: {type(value).__name__}")


def _modules_meta() -> dict[str, Any]:
    return {"version": __version__, "modules": "one per line"}


def _project_meta(fingerprint: str, count: int) -> dict[str, Any]:
    return {"version": __version__, "project": fingerprint, "count": count}


def _read_lines(path: Path) -> tuple[dict[str, Any], dict[str, str]]:
    """A file of ``KEY<tab>JSON`` lines (KEY a JSON string; a tab inside JSON text is
    always escaped) after a JSON header line: the header, and the JSON texts by key, not
    parsed (a damaged line is left out). Unreadable: ({}, {})."""
    found: dict[str, str] = {}
    try:
        if not os.path.isfile(path) or _links_out(path):  # a FIFO, a device, a link
            return {}, {}
        with open(path, encoding="utf-8") as fh:
            try:
                meta = json.loads(fh.readline())
            except (ValueError, RecursionError):
                return {}, {}
            if not isinstance(meta, dict):
                return {}, {}
            for line in fh:
                key, tab, row = line.partition("\t")
                if not tab or not row.endswith("\n"):
                    continue  # a damaged or cut line
                name = _plain_key(key)
                if name is None:
                    try:
                        name = json.loads(key)
                    except (ValueError, RecursionError):
                        continue
                if isinstance(name, str):
                    found[name] = row
    except (OSError, ValueError, UnicodeDecodeError, MemoryError):
        return {}, {}
    return meta, found


def _entry_texts(text: str, entries: dict[str, Any]) -> dict[str, str]:
    """The JSON text of each entry of the facts file ``text`` (whose parsed entries are
    ``entries``), as ``_state_chunks`` writes them: one ``KEY: ENTRY`` per line, between
    the header line and ``}}``. Any other layout (an older writer, a hand-edited or
    damaged file, a key with escapes, a line count that does not match): no text for
    that entry, or none at all, and the entries are encoded again when written. JSON
    text holds no raw newline, so a line is one entry whole, and the document parsed: the
    text after a key is exactly the value ``entries`` holds for it."""
    lines = text.split("\n")
    if len(lines) != len(entries) + 2 or lines[-1] != "}}":
        return {}
    out: dict[str, str] = {}
    for line in lines[1:-1]:
        if line.endswith(","):
            line = line[:-1]
        cut = line.find('": ')
        if cut < 0:
            return {}
        key = _plain_key(line[: cut + 1])
        if key is None:
            continue  # escapes in the key: encoded again
        if key in out or key not in entries:
            return {}  # a repeated key: the last one counts in JSON, none here
        out[key] = line[cut + 3 :]
    return out


def _plain_key(text: str) -> str | None:
    """The string a JSON string literal without escapes stands for (``json.loads`` costs
    more than the rest of reading a line); None: parse it as JSON."""
    if (
        len(text) >= 2
        and text[0] == '"'
        and text[-1] == '"'
        and "\\" not in text
        and text.count('"') == 2
        and text.isprintable()  # no control character (invalid in JSON)
    ):
        return text[1:-1]
    return None


def _valid_error(error: object) -> bool:
    """A cached parse error: None, or ``[line, reason]`` as ``put`` writes it."""
    return error is None or (
        isinstance(error, list)
        and len(error) == 2
        and type(error[0]) is int
        and error[0] >= 1
        and isinstance(error[1], str)
    )


def _links_out(path: Path) -> bool:
    """The cache directory or file is a symbolic link (its target may lie anywhere)."""
    return os.path.islink(path) or os.path.islink(path.parent)
