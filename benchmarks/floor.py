"""What any Python linter that parses pays on a tree, before it analyses anything.

    python benchmarks/floor.py DIR [--jobs N] [--no-walk]

Reads every ``*.py`` file under DIR (hidden directories and ``.tasklint_cache`` skipped),
parses it with ``ast.parse`` and visits every node once with ``ast.walk``, doing nothing
with them, in ``--jobs`` forked workers (default: one per CPU, as tasklint), largest files first in
chunks of 50 (the workers finish together); prints the files, nodes, wall and CPU time. ``benchmarks/run.py`` times it as a
command next to tasklint and ruff, so the three pay the same interpreter start-up: the
difference between this floor and tasklint is tasklint's analysis, the difference between
this floor and ruff is the language. Imports nothing of tasklint's.
"""

from __future__ import annotations

import argparse
import ast
import gc
import os
import resource
import sys
import time


def python_files(root: str) -> list[str]:
    found = []
    for directory, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        found += [os.path.join(directory, f) for f in sorted(files) if f.endswith(".py")]
    return found


def visit(paths: list[str], walk: bool = True) -> int:
    """Read, parse and (``walk``) visit every node of each file; the nodes visited."""
    gc.disable()  # as tasklint's facts workers: parsing makes no cycles
    nodes = 0
    for path in paths:
        try:
            with open(path, "rb") as handle:
                tree = ast.parse(handle.read(), path)
        except (OSError, SyntaxError, ValueError, RecursionError, MemoryError):
            continue
        if walk:
            for _ in ast.walk(tree):
                nodes += 1
    return nodes


def _visit_walking(paths: list[str]) -> int:
    return visit(paths, True)


def _visit_parsing(paths: list[str]) -> int:
    return visit(paths, False)


def _cores() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))  # as tasklint counts them
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("root")
    parser.add_argument("--jobs", type=int, default=_cores())
    parser.add_argument("--no-walk", action="store_true", help="read and parse only")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    paths = python_files(args.root)
    work = _visit_parsing if args.no_walk else _visit_walking
    if args.jobs <= 1 or len(paths) < 2:
        nodes = work(paths)
    else:
        import multiprocessing

        paths.sort(key=lambda p: -os.path.getsize(p))
        chunks = [paths[i : i + 50] for i in range(0, len(paths), 50)]
        with multiprocessing.get_context("fork").Pool(args.jobs) as pool:
            nodes = sum(pool.imap(work, chunks))
    wall = time.perf_counter() - start
    cpu = sum(
        getattr(resource.getrusage(who), part)
        for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
        for part in ("ru_utime", "ru_stime")
    )
    print(f"{len(paths)} files, {nodes} nodes, wall {wall:.2f} s, CPU {cpu:.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
