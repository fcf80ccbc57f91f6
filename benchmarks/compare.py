"""Compare two tasklint checkouts on one corpus, interleaved, in one run.

    python benchmarks/compare.py BEFORE_CHECKOUT AFTER_CHECKOUT CORPUS [--rounds 3]

Each round runs, for each checkout in turn: a cold run (``--no-cache``), a run that writes
the cache, and a warm run. It prints the median wall and CPU time (user + system of the
process and its workers) of each, and the after/before ratios. Interleaving the two
checkouts keeps a busy machine's noise from favouring one of them. Nothing is imported
from either checkout: both run as ``python -m tasklint`` with their ``src/`` on PYTHONPATH.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path


def run(checkout: Path, corpus: Path, *args: str) -> tuple[float, float]:
    env = dict(os.environ, PYTHONPATH=str(checkout / "src"), NO_COLOR="1")
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "tasklint", "--exit-zero", *args, "."],
        cwd=corpus,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        check=True,
    )
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("before", type=Path)
    parser.add_argument("after", type=Path)
    parser.add_argument("corpus", type=Path)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--jobs", default=None, help="tasklint --jobs")
    ns = parser.parse_args(argv)
    jobs = ["--jobs", ns.jobs] if ns.jobs else []
    results: dict[tuple[str, str], list[tuple[float, float]]] = {}
    for _ in range(ns.rounds):
        for label, checkout in (("before", ns.before), ("after", ns.after)):
            shutil.rmtree(ns.corpus / ".tasklint_cache", ignore_errors=True)
            results.setdefault((label, "cold"), []).append(
                run(checkout, ns.corpus, "--no-cache", *jobs)
            )
            run(checkout, ns.corpus, *jobs)  # writes the cache
            results.setdefault((label, "warm"), []).append(run(checkout, ns.corpus, *jobs))
            shutil.rmtree(ns.corpus / ".tasklint_cache", ignore_errors=True)
    print(f"corpus: {ns.corpus} ({ns.rounds} rounds, medians)")
    print(f"{'':6} {'run':5} {'wall s':>8} {'CPU s':>8}")
    medians: dict[tuple[str, str], tuple[float, float]] = {}
    for (label, kind), values in sorted(results.items()):
        wall = statistics.median(v[0] for v in values)
        cpu = statistics.median(v[1] for v in values)
        medians[(label, kind)] = (wall, cpu)
        print(f"{label:6} {kind:5} {wall:8.2f} {cpu:8.2f}")
    for kind in ("cold", "warm"):
        b, a = medians[("before", kind)], medians[("after", kind)]
        print(f"after/before {kind}: wall {a[0] / b[0]:.2f}x, CPU {a[1] / b[1]:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
