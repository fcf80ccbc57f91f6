"""Benchmark tasklint against ruff and flake8-bugbear on a corpus.

    python benchmarks/run.py --setup            # once: a throwaway venv with the corpus
    python benchmarks/run.py                    # default corpus (see README.md)
    python benchmarks/run.py --corpus DIR ...   # any tree

Reports wall time, CPU time, lines/s and peak RSS (largest process) for: tasklint cold
(--no-cache), warm (cache, nothing changed), after touching one file, after editing one
file; the flake8 plugin's per-file cost against flake8-bugbear's on the same parsed trees
in one process; ``ruff check --select ALL --no-cache``; and cold runs on the corpus copied
1x, 2x and 4x. Nothing is installed or imported at import time; ``--setup`` is the only
thing that installs anything (into --workdir).
"""

from __future__ import annotations

import argparse
import ast
import os
import shutil
import subprocess
import sys
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
SRC = HERE.parent / "src"
DEFAULT_WORKDIR = Path("/tmp/tasklint-bench")
CORPUS_PACKAGES = ("django", "celery", "kombu")


@dataclass
class Measure:
    label: str
    wall: float
    cpu: float
    rss_mb: float
    lines: int

    def row(self) -> str:
        rate = self.lines / self.wall if self.wall else 0.0
        return (
            f"{self.label:<42} {self.wall:8.2f} s {self.cpu:8.2f} s "
            f"{rate:>11,.0f} {self.rss_mb:8.0f} MB"
        )


def count_lines(root: Path) -> tuple[int, int]:
    files = lines = 0
    for path in root.rglob("*.py"):
        if ".tasklint_cache" in path.parts:
            continue
        try:
            lines += path.read_bytes().count(b"\n")
            files += 1
        except OSError:
            pass
    return files, lines


def timed(label: str, argv: list[str], cwd: Path, lines: int, env: dict[str, str]) -> Measure:
    """Run a command; wall time, CPU (user+sys, children included) and peak RSS via wait4."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        argv, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    err = proc.stderr.read().decode() if proc.stderr else ""
    if proc.returncode not in (0, 1) or "Traceback" in err:
        raise SystemExit(f"{label}: {' '.join(argv)} failed ({proc.returncode}):\n{err}")
    # ru_maxrss (kB on Linux) of a reaped child covers its reaped descendants (the maximum)
    return Measure(label, wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, lines)


def tasklint_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(SRC), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    env["NO_COLOR"] = "1"
    return env


def tasklint(*args: str) -> list[str]:
    return [sys.executable, "-m", "tasklint", "--exit-zero", *args, "."]


def site_dir(workdir: Path) -> Path:
    venv = workdir / "venv"
    found = sorted(venv.glob("lib/python3*/site-packages"))
    if not found:
        raise SystemExit(
            f"no corpus venv at {venv}: run `python {Path(__file__).name} --setup` first "
            "or pass --corpus DIR"
        )
    return found[0]


def setup(workdir: Path) -> None:
    venv = workdir / "venv"
    if not (venv / "bin" / "python").exists():  # re-running --setup only upgrades
        workdir.mkdir(parents=True, exist_ok=True)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    pip = venv / "bin" / "pip"
    subprocess.run(
        [str(pip), "install", "-q", "django", "celery", "kombu", "flake8-bugbear"], check=True
    )
    print(f"installed Django, Celery, kombu and flake8-bugbear into {venv}")


def build_corpora(workdir: Path, modules: int) -> dict[str, Path]:
    site = site_dir(workdir)
    dck = workdir / "corpus" / "django-celery-kombu"
    if not dck.exists():
        dck.mkdir(parents=True)
        for name in CORPUS_PACKAGES:
            shutil.copytree(
                site / name, dck / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc")
            )
    generated = workdir / "corpus" / f"generated-{modules}"
    if not generated.exists():
        sys.path.insert(0, str(HERE))
        from generate import generate

        generate(generated, modules, seed=1)
    return {"django+celery+kombu": dck, f"generated ({modules} apps)": generated}


def scaled(corpus: Path, workdir: Path, factor: int) -> Path:
    target = workdir / "corpus" / f"{corpus.name}-x{factor}"
    if not target.exists():
        target.mkdir(parents=True)
        for i in range(factor):
            shutil.copytree(
                corpus, target / f"copy{i}", ignore=shutil.ignore_patterns(".tasklint_cache")
            )
    return target


def pick_file(corpus: Path) -> Path:
    files = sorted(p for p in corpus.rglob("*.py") if ".tasklint_cache" not in p.parts)
    return max(files[: len(files) // 2 or 1], key=lambda p: p.stat().st_size)


# Issue 17's goals, checked at the end of a run: (what, measured, limit) rows.
TARGETS: list[tuple[str, float, float, str]] = []


# Per corpus: (name, floor / ruff wall, cold tasklint / floor wall); see floor.py.
FLOORS: list[tuple[str, float, float]] = []


def target(what: str, value: float, limit: float, unit: str) -> None:
    TARGETS.append((what, value, limit, unit))


def edit_victim(corpus: Path) -> Path:
    """The file a benchmark edits: the largest of the first half, sorted (stable)."""
    return pick_file(corpus)


def bench_cli(name: str, corpus: Path, jobs: int | None) -> list[Measure]:
    env = tasklint_env()
    files, lines = count_lines(corpus)
    print(f"\n== {name}: {corpus} ({files} files, {lines:,} lines)")
    extra = ["--jobs", str(jobs)] if jobs else []
    shutil.rmtree(corpus / ".tasklint_cache", ignore_errors=True)
    out = [timed("tasklint cold (--no-cache)", tasklint("--no-cache", *extra), corpus, lines, env)]
    timed("prime the cache", tasklint(*extra), corpus, lines, env)
    out.append(timed("tasklint warm (nothing changed)", tasklint(*extra), corpus, lines, env))
    victim = pick_file(corpus)
    os.utime(victim)
    out.append(timed(f"tasklint touched ({victim.name})", tasklint(*extra), corpus, lines, env))
    original = victim.read_bytes()
    try:
        victim.write_bytes(original + b"\n# edited by the benchmark\n")
        out.append(timed(f"tasklint edited ({victim.name})", tasklint(*extra), corpus, lines, env))
    finally:
        victim.write_bytes(original)
    shutil.rmtree(corpus / ".tasklint_cache", ignore_errors=True)
    if shutil.which("ruff"):
        ruff = ["ruff", "check", "--select", "ALL", "--no-cache", "--exit-zero", "-q", "."]
        out.append(timed("ruff check --select ALL --no-cache", ruff, corpus, lines, env))
    else:
        print("ruff not found on PATH: skipped")
    floor_argv = [sys.executable, str(HERE / "floor.py"), ".", *extra]
    floor = timed("floor: read + parse + one walk (Python)", floor_argv, corpus, lines, env)
    out.append(floor)
    for m in out:
        print(m.row())
    cold = out[0]
    ruff_m = next((m for m in out if m.label.startswith("ruff")), None)
    print(
        f"cold tasklint / floor: wall {cold.wall / floor.wall:.2f}x, "
        f"CPU {cold.cpu / floor.cpu:.2f}x (what tasklint's analysis costs)"
    )
    if ruff_m:
        print(
            f"cold tasklint / ruff: wall {cold.wall / ruff_m.wall:.2f}x, "
            f"CPU {cold.cpu / ruff_m.cpu:.2f}x"
        )
        print(
            f"floor / ruff: wall {floor.wall / ruff_m.wall:.2f}x, "
            f"CPU {floor.cpu / ruff_m.cpu:.2f}x (what parsing in Python alone costs)"
        )
        target(f"{name}: cold / ruff (wall)", cold.wall / ruff_m.wall, 1.0, "x")
        FLOORS.append((name, floor.wall / ruff_m.wall, cold.wall / floor.wall))
    target(f"{name}: warm", out[1].wall, 0.3, "s")
    target(f"{name}: touched", out[2].wall, 0.3, "s")
    target(f"{name}: edit / cold (wall)", out[3].wall / cold.wall, 0.15, "x")
    if name.startswith("generated"):
        target(f"{files} files: tasklint cold (--no-cache) peak RSS", cold.rss_mb, 200, "MB")
        target(f"{files} files: tasklint edited peak RSS", out[3].rss_mb, 200, "MB")
    return out


def bench_memory(workdir: Path, modules: int, jobs: int | None) -> None:
    """Peak memory on a generated project: cold (no cache), cold writing the cache, and
    after a one-line edit of one module."""
    generated = workdir / "corpus" / f"generated-{modules}"
    if not generated.exists():
        sys.path.insert(0, str(HERE))
        from generate import generate

        generate(generated, modules, seed=1)
    env = tasklint_env()
    files, lines = count_lines(generated)
    print(f"\n== memory: {generated} ({files} files, {lines:,} lines)")
    extra = ["--jobs", str(jobs)] if jobs else []
    shutil.rmtree(generated / ".tasklint_cache", ignore_errors=True)
    rows = [
        timed("tasklint cold (--no-cache)", tasklint("--no-cache", *extra), generated, lines, env)
    ]
    rows.append(timed("tasklint cold, cache written", tasklint(*extra), generated, lines, env))
    victim = edit_victim(generated)
    original = victim.read_bytes()
    try:
        victim.write_bytes(original + b"\n# edited by the benchmark\n")
        rows.append(
            timed(f"tasklint edited ({victim.name})", tasklint(*extra), generated, lines, env)
        )
    finally:
        victim.write_bytes(original)
        shutil.rmtree(generated / ".tasklint_cache", ignore_errors=True)
    for m in rows:
        print(m.row())
        target(f"{files} files: {m.label} peak RSS", m.rss_mb, 200, "MB")


def report_targets() -> None:
    if not TARGETS:
        return
    print("\n== issue 17 goals")
    for what, value, limit, unit in TARGETS:
        verdict = "ok" if value <= limit else "MISSED"
        print(f"{what:<58} {value:8.2f} {unit:<2} (goal <= {limit:g} {unit})  {verdict}")
    if FLOORS:
        print("\nreading, parsing and walking every file in Python, nothing else (floor.py):")
        for name, floor_ruff, cold_floor in FLOORS:
            print(
                f"{name}: floor / ruff {floor_ruff:.2f}x wall; cold tasklint / floor {cold_floor:.2f}x"
            )


def plugin_bench(corpus: Path, bugbear_site: Path) -> None:
    """In this process: parse every file once, then time each checker over the same trees."""
    sys.path.insert(0, str(SRC))
    sys.path.append(str(bugbear_site))
    warnings.simplefilter("ignore")
    from bugbear import BugBearChecker

    from tasklint.flake8_plugin import TasklintChecker

    TasklintChecker.use_cache = False
    trees = []
    for path in sorted(corpus.rglob("*.py")):
        try:
            source = path.read_text(encoding="utf-8")
            tree = ast.parse(source, str(path))
        except (SyntaxError, UnicodeDecodeError, ValueError):
            continue
        trees.append((str(path), tree, source.splitlines(keepends=True)))
    start = time.perf_counter()
    list(TasklintChecker(trees[0][1], trees[0][0], trees[0][2]).run())  # builds the index
    index_time = time.perf_counter() - start
    results = {}
    for name, run in (
        ("tasklint plugin", lambda f, t, ls: TasklintChecker(t, f, ls).run()),
        ("flake8-bugbear", lambda f, t, ls: BugBearChecker(tree=t, filename=f, lines=ls).run()),
    ):
        start = time.perf_counter()
        for filename, tree, lines in trees:
            list(run(filename, tree, lines))
        results[name] = (time.perf_counter() - start) / len(trees)
    ratio = results["tasklint plugin"] / results["flake8-bugbear"]
    print(f"flake8 plugins on {len(trees)} parsed trees (one process, same trees):")
    print(f"  tasklint plugin: project index built once in {index_time:.2f} s")
    for name, per_file in results.items():
        print(f"  {name:<16} {per_file * 1000:8.3f} ms/file")
    print(f"  tasklint / bugbear per-file cost: {ratio:.2f}x")


def bench_plugin(corpus: Path, workdir: Path) -> None:
    # in the corpus: the plugin used as a library takes the working directory as the
    # directory flake8 was given, so the index covers the corpus wherever this runs from
    subprocess.run(
        [sys.executable, __file__, "--plugin-only", str(corpus), "--workdir", str(workdir)],
        check=True,
        cwd=corpus,
    )


def bench_scaling(corpus: Path, workdir: Path, jobs: int | None) -> None:
    env = tasklint_env()
    extra = ["--jobs", str(jobs)] if jobs else []
    print(f"\n== scaling: cold tasklint on {corpus.name} copied 1x, 2x, 4x")
    base = None
    for factor in (1, 2, 4):
        tree = scaled(corpus, workdir, factor)
        files, lines = count_lines(tree)
        m = timed(f"{factor}x ({files} files)", tasklint("--no-cache", *extra), tree, lines, env)
        base = base or m
        print(
            m.row() + f"   time/1x {m.wall / base.wall:.2f} (CPU {m.cpu / base.cpu:.2f})"
            f"  per-line vs 1x {(m.cpu / m.lines) / (base.cpu / base.lines):.2f}"
        )
        if factor > 1:  # linear: CPU per line no worse than 1.15x the 1x run's
            per_line = (m.cpu / m.lines) / (base.cpu / base.lines)
            target(f"scaling {factor}x: CPU per line vs 1x", per_line, 1.15, "x")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, help="lint this tree instead of the default")
    parser.add_argument("--workdir", type=Path, default=DEFAULT_WORKDIR)
    parser.add_argument("--setup", action="store_true", help="create the corpus venv and exit")
    parser.add_argument("--modules", type=int, default=3000, help="apps in the generated project")
    parser.add_argument("--jobs", type=int, help="tasklint --jobs (default: its own default)")
    parser.add_argument("--no-scaling", action="store_true")
    parser.add_argument("--no-plugin", action="store_true")
    parser.add_argument(
        "--memory-modules",
        type=int,
        default=5000,
        help="apps of the generated project whose peak memory is measured (5000: 20,007 files)",
    )
    parser.add_argument("--no-memory", action="store_true")
    parser.add_argument("--plugin-only", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.setup:
        setup(args.workdir)
        return 0
    if args.plugin_only:
        plugin_bench(args.plugin_only, site_dir(args.workdir))
        return 0
    corpora = (
        {args.corpus.name: args.corpus.resolve()}
        if args.corpus
        else build_corpora(args.workdir, args.modules)
    )
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, load {os.getloadavg()}")
    print(f"{'':<42} {'wall':>10} {'CPU':>10} {'lines/s':>11} {'peak RSS':>11}")
    for name, corpus in corpora.items():
        bench_cli(name, corpus, args.jobs)
    first = next(iter(corpora.values()))
    if not args.no_plugin:
        print()
        bench_plugin(first, args.workdir)
    if not args.no_scaling:
        bench_scaling(first, args.workdir, args.jobs)
    if not args.corpus:
        for name, corpus in corpora.items():
            if name.startswith("generated"):
                files, _ = count_lines(corpus)
                shutil.rmtree(corpus / ".tasklint_cache", ignore_errors=True)
                env = tasklint_env()
                m = timed("cold, cache written", tasklint(), corpus, 0, env)
                shutil.rmtree(corpus / ".tasklint_cache", ignore_errors=True)
                target(f"{files} files: cold, cache written peak RSS", m.rss_mb, 200, "MB")
        if not args.no_memory:
            bench_memory(args.workdir, args.memory_modules, args.jobs)
    report_targets()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
