"""What a run whose findings all come from the cache loads: no rule module, nothing that
runs the rules (they are imported when the first file is linted). Each run is a fresh
interpreter, as a user's is."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from tests.support.runner import FIXTURES

SRC = Path(__file__).resolve().parents[1] / "src"

# runs tasklint as the command line does, then prints its findings and the tasklint modules
# the run imported (stdout carries the findings, stderr the module list)
PROBE = """
import contextlib, io, json, sys
from tasklint.cli import main
out = io.StringIO()
with contextlib.redirect_stdout(out):
    status = main(sys.argv[1:])
print(out.getvalue(), end="")
sys.stderr.write(json.dumps(sorted(m for m in sys.modules if m.startswith("tasklint"))))
"""


def _run(cwd: Path, *argv: str) -> tuple[list[dict[str, object]], list[str]]:
    env = dict(os.environ, PYTHONPATH=str(SRC), NO_COLOR="1")
    done = subprocess.run(
        [sys.executable, "-c", PROBE, "--exit-zero", "--format", "json", *argv, "."],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout), json.loads(done.stderr)


def _linting(modules: list[str]) -> list[str]:
    return [
        m
        for m in modules
        if m.startswith(("tasklint.rules", "tasklint.analysis", "tasklint.suppression"))
        or m == "tasklint.project.context"
    ]


def test_a_warm_run_imports_no_rule(tmp_path: Path) -> None:
    root = tmp_path / "sample"
    shutil.copytree(FIXTURES / "sample_project", root)
    cold, cold_modules = _run(root, "--no-cache")
    assert cold, "the sample project has findings"
    assert "tasklint.rules" in cold_modules  # linting imports the rules

    first, _ = _run(root)  # writes the cache
    warm, warm_modules = _run(root)
    assert warm == first == cold
    assert _linting(warm_modules) == []

    # one file touched (its mtime moves, its bytes do not): still nothing to lint
    victim = sorted(root.rglob("*.py"))[0]
    os.utime(victim, ns=(victim.stat().st_atime_ns, victim.stat().st_mtime_ns + 10**9))
    touched, touched_modules = _run(root)
    assert touched == cold
    assert _linting(touched_modules) == []

    # an edit relints that file: the rules are imported, the findings are the cold run's
    victim.write_text(victim.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    edited, edited_modules = _run(root)
    assert edited == cold
    assert "tasklint.rules" in edited_modules
