"""The project's arq workers, assembled from the per-module ``arq`` facts.

A class counts as arq worker settings when one of these holds (precision first: a class
with a ``functions`` attribute in a project that never imports arq is not one):

1. the project passes it to ``run_worker`` / ``create_worker`` / ``check_health`` /
   ``get_kwargs``;
2. its module imports arq, and it is named ``*WorkerSettings`` or assigns ``functions`` /
   ``cron_jobs`` in its body;
3. the project imports arq, and it assigns ``cron_jobs``, or ``functions`` together with
   another ``Worker`` argument (a ``functions`` list alone is too common a name);
4. the project imports arq, it is named ``*WorkerSettings`` and it or a project base class
   sets a ``Worker`` argument;
5. even when no module imports arq (a worker started only by the ``arq`` command line): it
   is named ``*Settings`` / ``*Worker`` / ``*Config``, assigns ``functions`` / ``cron_jobs``
   and sets two of the distinctive ``Worker`` arguments (``on_startup``, ``job_timeout``,
   ``redis_settings``, ``allow_abort_jobs``...).

Rules 2 to 4 never accept a class derived from a class of another library (a pydantic
``BaseSettings`` named ``WorkerSettings`` holds the worker's own configuration); arq's
``WorkerSettingsBase`` protocol is allowed.

``Worker(functions=[...], ...)`` constructions count as settings too (``kind="worker_call"``).

The job functions of a settings class are those of its *own* ``functions`` and
``cron_jobs`` (arq reads only ``settings_cls.__dict__``), following lists defined in other
modules (``functions = jobs.ALL``, ``[*jobs.ALL, cleanup]``). A list is *incomplete* when an
element is not understood, a spliced list cannot be found, or a list is changed after its
definition (``ALL.append(f)``, ``WorkerSettings.functions = [...]``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from tasklint.config import Settings
from tasklint.data.arq_worker import WORKER_PARAMETERS
from tasklint.project.celery_config import is_test_module
from tasklint.project.facts import AttributeFact, ClassFact, FunctionFact, ModuleFacts
from tasklint.project.index import ProjectIndex
from tasklint.syntax.values import Value

SETTINGS_SUFFIXES = ("Settings", "Worker", "Config", "Conf")
# Worker arguments unlikely to be attribute names of anything but arq worker settings
DISTINCTIVE_PARAMETERS = frozenset(WORKER_PARAMETERS) - {
    "functions",
    "cron_jobs",
    "burst",
    "ctx",
    "timezone",
    "queue_name",
    "max_tries",
    "max_jobs",
}


@dataclass
class JobFunction:
    """A function registered with an arq worker, where it is registered, and its options."""

    qualname: str | None  # canonical; an import path for string entries
    name: str | None  # the job name arq registers it under; None when not known statically
    kind: str  # "function" or "cron"
    wrapper: str | None  # "func", "cron" or None (a bare function)
    path: str
    line: int
    col: int
    string: bool = False
    options: dict[str, Any] = field(default_factory=dict)

    def option(self, key: str) -> tuple[Value, int, int] | None:
        raw = self.options.get(key)
        if not isinstance(raw, dict):
            return None
        return Value(**raw["value"]), int(raw["line"]), int(raw["col"])


@dataclass
class WorkerSettingsInfo:
    """One arq worker configuration: a settings class or a ``Worker(...)`` call."""

    kind: str  # "class" or "worker_call"
    module: str
    name: str
    qualname: str
    path: str
    line: int
    col: int
    evidence: str
    functions: list[JobFunction] = field(default_factory=list)
    cron_jobs: list[JobFunction] = field(default_factory=list)
    complete: bool = True
    klass: ClassFact | None = None
    keywords: dict[str, Any] = field(default_factory=dict)
    # decorated or built with a metaclass: the class body may not be what arq reads
    rewritten: bool = False
    # ``Worker(**kwargs)`` without functions: passes on settings registered elsewhere
    forwarder: bool = False
    nested: bool = False  # defined inside a function
    attributes: dict[str, AttributeFact] = field(default_factory=dict)
    methods: set[str] = field(default_factory=set)
    bases: list[str | None] = field(default_factory=list)

    @property
    def jobs(self) -> list[JobFunction]:
        return [*self.functions, *self.cron_jobs]

    def own_attributes(self) -> dict[str, AttributeFact]:
        """Attributes assigned in the class body (what arq's ``get_kwargs`` sees)."""
        return dict(self.attributes)


def _data(facts: ModuleFacts) -> dict[str, Any] | None:
    data = facts.extras.get("arq")
    return data if isinstance(data, dict) else None


class ArqModel:
    """Assembled once per run from the index; rules query it."""

    def __init__(self, index: ProjectIndex) -> None:
        self.index = index
        self.uses_arq = "arq" in index.packages_used()
        self.runners: set[str] = set()
        self.mutated: set[str] = set()
        self.manual_reads: set[str] = set()
        for facts in self._modules():
            data = _data(facts)
            if data is None:
                continue
            for qn in data.get("runners", []):
                self.runners.add(self._canon(qn))
            for qn in data.get("mutated", []):
                self.mutated.add(self._canon(qn))
            for call in data.get("worker_calls", []):
                self.manual_reads.update(self._canon(qn) for qn in call.get("reads", []))
        self.settings: list[WorkerSettingsInfo] = []
        self._build()

    @classmethod
    def of(cls, index: ProjectIndex) -> ArqModel:
        cached = getattr(index, "_arq_model", None)
        if isinstance(cached, ArqModel) and cached.index is index:
            return cached
        model = cls(index)
        index._arq_model = model  # type: ignore[attr-defined]
        return model

    # -- assembly ------------------------------------------------------------------------
    def _modules(self) -> list[ModuleFacts]:
        return [self.index.modules[name] for name in sorted(self.index.modules)]

    def _canon(self, qualname: str) -> str:
        return self.index.canonical(qualname) or qualname

    def _build(self) -> None:
        for facts in self._modules():
            data = _data(facts)
            if data is None:
                continue
            for raw in data.get("worker_settings", []):
                info = self._settings_class(facts, raw)
                if info is not None:
                    self.settings.append(info)
            for raw in data.get("worker_calls", []):
                self.settings.append(self._worker_call(facts, raw))

    def _evidence(self, facts: ModuleFacts, raw: dict[str, Any], klass: ClassFact | None) -> str:
        qualname = self._canon(f"{facts.module}.{raw['name']}")
        if qualname in self.runners:
            return "runner"
        if klass is not None and self._foreign_base(klass):
            return ""  # a pydantic/dataclass-style settings model, not arq worker settings
        has_lists = bool(raw.get("has_lists"))
        named = bool(raw.get("named"))
        own = set(klass.attributes) if klass is not None else set()
        if (
            has_lists
            and str(raw["name"]).endswith(SETTINGS_SUFFIXES)
            and len(own & DISTINCTIVE_PARAMETERS) >= 2
        ):
            return "structure"  # e.g. started only by the `arq` command line, never imported
        if not self.uses_arq:
            return ""
        if "arq" in facts.imported_packages and (named or has_lists):
            return "module imports arq"
        lists = set(raw.get("has_lists") or [])
        if "cron_jobs" in lists or (
            lists and (own & set(WORKER_PARAMETERS)) - {"functions", "cron_jobs"}
        ):
            return "project imports arq"
        if named and klass is not None and self.settings_from_bases(klass, facts.module):
            return "project imports arq"
        if named and own & set(WORKER_PARAMETERS):
            return "project imports arq"
        return ""

    def _foreign_base(self, klass: ClassFact, depth: int = 0) -> bool:
        """Does the class derive from a class outside the project (other than arq's)?"""
        if depth > 20:
            return False
        for base in klass.bases:
            if base is None:
                continue  # ``object`` or an expression
            target = self.index.resolve(base)
            if target.external is not None:
                if not target.external.startswith("arq."):
                    return True
                continue
            base_class = self.index.klass(target)
            if base_class is not None and self._foreign_base(base_class, depth + 1):
                return True
        return False

    def _settings_class(self, facts: ModuleFacts, raw: dict[str, Any]) -> WorkerSettingsInfo | None:
        klass = ClassFact(
            name=str(raw["name"]),
            line=int(raw["line"]),
            bases=list(raw.get("bases") or []),
            attributes={
                name: AttributeFact(int(a["line"]), int(a["col"]), Value(**a["value"]))
                for name, a in (raw.get("attributes") or {}).items()
            },
        )
        evidence = self._evidence(facts, raw, klass)
        if not evidence:
            return None
        qualname = f"{facts.module}.{raw['name']}"
        info = WorkerSettingsInfo(
            kind="class",
            module=facts.module,
            name=str(raw["name"]),
            qualname=qualname,
            path=facts.path,
            line=int(raw["line"]),
            col=int(raw.get("col", 1)),
            evidence=evidence,
            klass=klass,
            nested=bool(raw.get("nested")),
            attributes=dict(klass.attributes),
            methods=set(raw.get("methods") or []),
            bases=list(klass.bases),
        )
        complete = self._fill_jobs(info, facts, raw)
        if any(f"{qualname}.{key}" in self.mutated for key in ("functions", "cron_jobs")):
            complete = False
        if qualname in self.mutated:
            complete = False
        if raw.get("decorated") or raw.get("metaclass"):
            info.rewritten = True
            complete = False
        info.complete = complete
        return info

    def _fill_jobs(self, info: WorkerSettingsInfo, facts: ModuleFacts, raw: dict[str, Any]) -> bool:
        """The ``functions``/``cron_jobs`` of a settings class or ``Worker(...)`` call, lists
        defined elsewhere followed; True when every job is known."""
        complete = bool(raw.get("functions_complete", True))
        info.functions, ok1 = self._jobs(facts, raw.get("functions", []), "function")
        info.cron_jobs, ok2 = self._jobs(facts, raw.get("cron_jobs", []), "cron")
        refs = raw.get("refs") or {}
        for key, kind, target in (
            ("functions", "function", info.functions),
            ("cron_jobs", "cron", info.cron_jobs),
        ):
            for ref in refs.get(key, []):
                jobs, ok = self._list(ref, kind, 0)
                target.extend(jobs)
                complete = complete and ok
        return complete and ok1 and ok2

    def _worker_call(self, facts: ModuleFacts, raw: dict[str, Any]) -> WorkerSettingsInfo:
        info = WorkerSettingsInfo(
            kind="worker_call",
            module=facts.module,
            name="Worker(...)",
            qualname=f"{facts.module}:Worker@{raw['line']}",
            path=facts.path,
            line=int(raw["line"]),
            col=int(raw.get("col", 1)),
            evidence="Worker call",
            keywords=dict(raw.get("keywords") or {}),
        )
        info.complete = self._fill_jobs(info, facts, raw)
        refs = raw.get("refs") or {}
        info.forwarder = bool(raw.get("splat")) and not info.jobs and not refs.get("functions")
        return info

    def _jobs(
        self, facts: ModuleFacts, entries: list[dict[str, Any]], kind: str
    ) -> tuple[list[JobFunction], bool]:
        out: list[JobFunction] = []
        complete = True
        for entry in entries:
            job = self._job(facts, entry, kind)
            if job.name is None:
                complete = False
            out.append(job)
        return out, complete

    def _job(self, facts: ModuleFacts, entry: dict[str, Any], kind: str) -> JobFunction:
        raw_qn = entry.get("qualname")
        string = bool(entry.get("string"))
        qualname = None if raw_qn is None else self._canon(str(raw_qn))
        name: str | None = entry.get("name")
        if name is None and not entry.get("name_unknown") and qualname:
            short = qualname.rsplit(".", 1)[-1]
            name = f"cron:{short}" if kind == "cron" else short
        return JobFunction(
            qualname=qualname,
            name=name,
            kind=kind,
            wrapper=entry.get("wrapper"),
            path=facts.path,
            line=int(entry["line"]),
            col=int(entry.get("col", 1)),
            string=string,
            options=dict(entry.get("options") or {}),
        )

    def _list(self, ref: str, kind: str, depth: int) -> tuple[list[JobFunction], bool]:
        """The jobs of a list defined elsewhere (a module-level list or a class's list)."""
        if depth > 10:
            return [], False
        canon = self._canon(ref)
        if canon in self.mutated:
            return [], False
        target = self.index.resolve(ref)
        if target.module is None or target.name is None:
            return [], False
        facts = self.index.modules.get(target.module)
        data = _data(facts) if facts is not None else None
        if facts is None or data is None:
            return [], False
        seq: dict[str, Any] | None = None
        if not target.rest:
            seq = (data.get("lists") or {}).get(target.name)
        elif len(target.rest) == 1 and target.rest[0] in ("functions", "cron_jobs"):
            for raw in data.get("worker_settings", []):
                if raw.get("name") == target.name:
                    key = target.rest[0]
                    seq = {
                        "entries": raw.get(key, []),
                        "refs": (raw.get("refs") or {}).get(key, []),
                        "complete": raw.get("functions_complete", False),
                    }
        if seq is None:
            return [], False
        jobs, complete = self._jobs(facts, seq.get("entries", []), kind)
        complete = complete and bool(seq.get("complete", False))
        for inner in seq.get("refs", []):
            more, ok = self._list(inner, kind, depth + 1)
            jobs.extend(more)
            complete = complete and ok
        return jobs, complete

    # -- queries -------------------------------------------------------------------------
    def settings_from_bases(
        self, klass: ClassFact, module: str, depth: int = 0
    ) -> dict[str, tuple[str, AttributeFact]]:
        """Worker arguments a class inherits from project base classes (nearest base wins):
        name -> (base class qualname, attribute)."""
        found: dict[str, tuple[str, AttributeFact]] = {}
        if depth > 20:
            return found
        for target, base_class in self.index.project_bases(klass):
            base_module = target.module or ""  # always set: project_bases finds project classes
            base_qn = f"{base_module}.{target.name}"
            for attr, fact in base_class.attributes.items():
                if attr in WORKER_PARAMETERS and attr not in found:
                    found[attr] = (base_qn, fact)
            for attr, origin in self.settings_from_bases(
                base_class, base_module, depth + 1
            ).items():
                found.setdefault(attr, origin)
        return found

    def checked_settings(self, settings: Settings) -> list[WorkerSettingsInfo]:
        """The worker settings rules report on: those outside test modules (tests build
        workers with deliberately odd settings, e.g. to test arq's own errors)."""
        return [info for info in self.settings if not is_test_module(info.module, settings)]

    def is_read_manually(self, info: WorkerSettingsInfo) -> bool:
        """Is the class read attribute by attribute (``Worker(functions=S.functions)``)?"""
        return self._canon(info.qualname) in self.manual_reads

    def is_mutated(self, qualname: str) -> bool:
        return self._canon(qualname) in self.mutated

    def registered_qualnames(self) -> set[str]:
        return {job.qualname for info in self.settings for job in info.jobs if job.qualname}

    def registered_names(
        self, is_test: Callable[[str], bool] = lambda module: False
    ) -> tuple[set[str], bool]:
        """Job names registered by the project's workers, and whether the list is complete.

        Workers configured in test modules add names but do not make the list incomplete;
        ``Worker(**kwargs)`` calls that only pass settings on are ignored.
        """
        names = {job.name for info in self.settings for job in info.jobs if job.name}
        relevant = [
            info for info in self.settings if not info.forwarder and not is_test(info.module)
        ]
        complete = bool(relevant) and all(info.complete for info in relevant)
        return names, complete

    def function_of(self, job: JobFunction) -> tuple[ModuleFacts, FunctionFact] | None:
        """The project ``def`` a registered job refers to."""
        if job.qualname is None:
            return None
        target = self.index.resolve(job.qualname)
        func = self.index.function(target)
        sym = self.index.symbol(target)
        if func is None or sym is None or sym.kind != "def" or target.module is None:
            return None
        return self.index.modules[target.module], func
