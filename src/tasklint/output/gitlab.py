"""GitLab Code Quality report (a JSON array of issues)."""

from __future__ import annotations

import json
from typing import Any, TextIO

from tasklint.findings import Finding
from tasklint.output.fingerprints import fingerprints
from tasklint.output.severity import level


def render(findings: list[Finding], stream: TextIO, color: bool = False) -> None:
    issues: list[dict[str, Any]] = []
    for f, fp in zip(findings, fingerprints(findings)):
        issues.append(
            {
                "type": "issue",
                "description": f"{f.code} {f.message}",
                "check_name": f"{f.code} {f.name}",
                "categories": ["Bug Risk"],
                "fingerprint": fp,
                "severity": level(f.code, "gitlab"),
                "location": {
                    "path": f.path,
                    "lines": {"begin": f.line, "end": f.end_line or f.line},
                },
            }
        )
    json.dump(issues, stream, indent=2)
    stream.write("\n")
