"""What the cold run's memory savings must not change: results streamed chunk by chunk in
input order, the compact import graph answering as the one being built, the memos the parent
forgets being worked out again alike."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

from tasklint import project as project_module
from tasklint.config import Settings
from tasklint.engine import lint_paths
from tasklint.project.graph import ImportGraph
from tests.test_project_index import make_index


def _tag(keys: list[str]) -> list[tuple[str, int]]:
    return [(k, len(keys)) for k in keys]


def test_parallel_parts_yields_each_chunk_in_input_order() -> None:
    keys = [f"k{i}" for i in range(250)]
    if "fork" not in multiprocessing.get_all_start_methods():
        return  # one part, computed in this process (checked below as well)
    parts = list(project_module.parallel_parts(_tag, keys, 2))
    assert len(parts) > 1  # streamed: one part per chunk, not one list of everything
    assert [k for part in parts for k, _ in part] == keys
    # each part is one call of the function on consecutive keys
    assert all(len({n for _, n in part}) == 1 and part[0][1] == len(part) for part in parts)
    assert project_module.parallel_map(_tag, keys, 2) == [item for p in parts for item in p]


def test_parallel_parts_serial_is_one_part() -> None:
    keys = [f"k{i}" for i in range(5)]
    assert list(project_module.parallel_parts(_tag, keys, 1)) == [_tag(keys)]


def test_balanced_parts_cover_every_key_once_largest_first(monkeypatch) -> None:
    if "fork" not in multiprocessing.get_all_start_methods():
        return  # one chunk in this process: checked by the serial test below
    monkeypatch.setattr(project_module, "usable_cores", lambda: 2)  # a 1-core CI runner too
    # one large file among many small ones, and a run of equal sizes
    keys = [f"k{i}" for i in range(300)]
    sizes = [100] * 300
    sizes[250] = 400_000
    sizes[10:20] = [20_000] * 10
    parts = list(project_module.balanced_parts(_tag, keys, 2, sizes))
    chunks = [chunk for chunk, _ in parts]
    assert sorted(k for chunk in chunks for k in chunk) == sorted(keys)  # each key once
    for chunk, results in parts:  # each chunk's results are the function of that chunk
        assert results == _tag(chunk)
    # largest first: the large file opens the first chunk, alone (it is more than a
    # chunk's share of the work); the next largest follow it, the smallest come last
    assert chunks[0] == ["k250"]
    assert chunks[1][0] == "k10"
    by_key = dict(zip(keys, sizes))
    flat = [k for chunk in chunks for k in chunk]
    assert [by_key[k] for k in flat] == sorted(sizes, reverse=True)
    # about equal work per chunk: none beyond a share plus its last file, at most MAX_CHUNK
    share = sum(s + project_module.FILE_COST for s in sizes) / (2 * project_module.CHUNKS_PER_JOB)
    for chunk in chunks:
        work = [by_key[k] + project_module.FILE_COST for k in chunk]
        assert sum(work[:-1]) < share
        assert len(chunk) <= project_module.MAX_CHUNK
    assert len(chunks) > 2 * 2  # several chunks per worker: the last ones are small


def test_balanced_parts_serial_is_one_chunk_in_order() -> None:
    keys = [f"k{i}" for i in range(40)]
    sizes = list(range(40))
    assert list(project_module.balanced_parts(_tag, keys, 1, sizes)) == [(keys, _tag(keys))]


def _graph(pairs: list[tuple[str, str]]) -> ImportGraph:
    graph = ImportGraph()
    for module in ("lonely", "t", "m", "s", "x"):
        graph.add_module(module)
    for a, b in pairs:
        graph.add_import(a, b, line=len(a), col=len(b))
    return graph


def _answers(graph: ImportGraph) -> list[object]:
    out: list[object] = [graph.modules]
    for m in graph.modules:
        out += [
            graph.imports_of(m),
            graph.importers_of(m),
            graph.edges_from(m),
            graph.in_cycle(m),
            graph.distances_to(m),
            graph.cycle_distances_to(m),
        ]
        out += [graph.shortest_chain(a, m) for a in graph.modules]
        out += [graph.cycle_through(m, a) for a in graph.modules]
    out.append(sorted(sorted(c) for c in graph.strongly_connected_components()))
    return out


def test_compact_graph_answers_as_the_graph_being_built() -> None:
    pairs = [("t", "m"), ("m", "s"), ("s", "t"), ("t", "x"), ("t", "m"), ("x", "y")]
    built, compacted = _graph(pairs), _graph(pairs)
    compacted.compact()
    assert _answers(compacted) == _answers(built)
    # edges added after compact(): a list and sets again
    for graph in (built, compacted):
        graph.add_import("y", "t", line=9)
        graph.add_import("lonely", "x", line=3)
    assert _answers(compacted) == _answers(built)
    assert compacted.in_cycle("y") and not compacted.in_cycle("lonely")


def test_components_without_singletons_are_the_cycles() -> None:
    graph = _graph([("t", "m"), ("m", "t"), ("s", "x"), ("x", "s"), ("lonely", "t")])
    every = graph.strongly_connected_components()
    assert graph.strongly_connected_components(singletons=False) == [c for c in every if len(c) > 1]
    assert frozenset({"lonely"}) in every


def test_released_memos_are_worked_out_again_alike() -> None:
    files = {
        "proj/__init__.py": "",
        "proj/celery.py": "from celery import Celery\napp = Celery('proj')\n",
        "proj/tasks.py": "from proj.celery import app\nfrom proj import jobs\n\n"
        "@app.task\ndef send(): ...\n",
        "proj/jobs.py": "from proj import tasks\n",
    }
    index = make_index(files)
    before = (index.tasks_by_module(), index.import_graph.in_cycle("proj.tasks"))
    index.resolve("proj.tasks.send")
    index.__dict__["_some_memo"] = object()
    index.release_memos()
    assert "_some_memo" not in index.__dict__
    assert (index.tasks_by_module(), index.import_graph.in_cycle("proj.tasks")) == before


def test_findings_the_same_serial_and_in_workers(tmp_path: Path) -> None:
    # many files with project findings (TQ101 and TQ112 on every task) and a suppression:
    # the rows workers send back become the same findings as the serial run's
    (tmp_path / "pyproject.toml").write_text("[tool.tasklint]\n")
    pkg = tmp_path / "shop"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "celery.py").write_text("from celery import Celery\napp = Celery('shop')\n")
    for i in range(40):
        (pkg / f"t{i}.py").write_text(
            "from shop.celery import app\n\n\n"
            f"@app.task\ndef job{i}(x):\n    return x\n\n\n"
            f"def go():\n    job{i}.delay(1)  # noqa: TQ201\n"
        )
    settings = Settings()
    serial = lint_paths([tmp_path], settings, use_cache=False, base=tmp_path, jobs=1)
    forked = lint_paths([tmp_path], settings, use_cache=False, base=tmp_path, jobs=2)
    assert serial.findings  # the project has findings to compare
    assert forked.findings == serial.findings
    assert [f.source for f in forked.findings] == [f.source for f in serial.findings]
