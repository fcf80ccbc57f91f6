"""How many files a parse-skipping gate could skip on a corpus (issue 17).

    python benchmarks/gate_count.py CORPUS [CORPUS ...]

A file whose text shows no task-queue, transaction, settings or configuration word still
gives the project model its definitions: constants other modules import (``HOUR = 3600``),
functions that project calls are followed into (summaries), classes used as bases. So the
only files a gate can skip without changing a finding are those that bind nothing but
imports (no ``def``, ``class`` or assignment). This prints both counts and their share of
the corpus's bytes. Reads the files; imports and runs nothing of theirs.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

EVIDENCE = re.compile(
    r"celery|Celery|arq|\brq\b|dramatiq|shared_task|\.task\b|delay|apply_async|enqueue"
    r"|transaction|atomic|on_commit|config|settings|INSTALLED_APPS|worker|broker"
)
BINDS = re.compile(r"^\s*(?:async\s+def|def|class)\b|^[^#\n]*=", re.M)


def count(root: Path) -> str:
    files = quiet = skippable = 0
    total = quiet_bytes = skippable_bytes = 0
    for path in sorted(root.rglob("*.py")):
        if ".tasklint_cache" in path.parts:
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        files += 1
        total += len(text)
        if EVIDENCE.search(text):
            continue
        quiet += 1
        quiet_bytes += len(text)
        if not BINDS.search(text):
            skippable += 1
            skippable_bytes += len(text)
    share = (lambda n: f"{n / total:.1%}") if total else (lambda n: "-")
    return (
        f"{root}: {files} files; {quiet} show no evidence word ({share(quiet_bytes)} of the "
        f"bytes); {skippable} of those bind nothing but imports ({share(skippable_bytes)})"
    )


if __name__ == "__main__":
    for arg in sys.argv[1:] or ["."]:
        print(count(Path(arg)))
