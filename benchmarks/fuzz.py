"""Long fuzz run: ``python benchmarks/fuzz.py [N]`` checks N valid generated programs.

Same check as ``tests/test_fuzz.py`` (the CLI engine with every rule, and the flake8
plugin, on hypothesmith programs), for as many programs as asked (default 10,000).
Prints how many valid programs were checked. Needs ``pip install -e '.[test]'``.
"""

from __future__ import annotations

import sys
import tempfile
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


class _Enough(Exception):
    """Raised once the target is reached: hypothesis would otherwise keep drawing."""


def main(argv: list[str]) -> int:
    target = int(argv[0]) if argv else 10_000
    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(ROOT / "src"))
    warnings.simplefilter("ignore")
    import hypothesmith
    from hypothesis import HealthCheck, Phase, given, settings

    from tests.test_fuzz import check_program

    counts = {"valid": 0, "drawn": 0}
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)

        @settings(
            max_examples=target * 3,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
            phases=[Phase.generate],  # no shrinking: _Enough below ends the run at once
        )
        @given(source=hypothesmith.from_grammar())
        def run(source: str) -> None:
            if counts["valid"] >= target:
                raise _Enough
            counts["drawn"] += 1
            if check_program(source, directory):
                counts["valid"] += 1
                if counts["valid"] % 500 == 0:
                    elapsed = time.perf_counter() - start
                    print(f"{counts['valid']} programs checked ({elapsed:.0f} s)", flush=True)

        try:
            run()
        except _Enough:
            pass
    elapsed = time.perf_counter() - start
    print(
        f"fuzz: {counts['valid']} valid programs checked ({counts['drawn']} drawn), "
        f"no exception, no TQ002, in {elapsed:.0f} s"
    )
    return 0 if counts["valid"] >= target else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
