"""SARIF 2.1.0 output, accepted by GitHub code scanning; rule metadata from the registry."""

from __future__ import annotations

import json
from typing import Any, TextIO

from tasklint import HOMEPAGE, __version__
from tasklint.findings import Finding
from tasklint.output.escape import uri_path
from tasklint.output.fingerprints import fingerprints
from tasklint.output.severity import level

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"


def rule_descriptors() -> list[dict[str, Any]]:
    from tasklint.docs import sections
    from tasklint.rules import ALL_RULES

    out = []
    for code, rule in ALL_RULES.items():
        secs = sections(rule)
        what = " ".join(secs.get("What it does", rule.summary()).split())
        why = " ".join(secs.get("Why is this bad?", "").split())
        out.append(
            {
                "id": code,
                "name": rule.name,
                "shortDescription": {"text": rule.name.replace("-", " ")},
                "fullDescription": {"text": what},
                "help": {
                    "text": f"{what} {why}".strip(),
                    "markdown": f"**{code} {rule.name}**\n\n{what}\n\n{why}".strip(),
                },
                "helpUri": f"{HOMEPAGE}/blob/main/docs/rules/{code}.md",
                "defaultConfiguration": {"level": level(code, "sarif")},
                "properties": {"default": "on" if rule.default else "opt-in"},
            }
        )
    return out


def document(findings: list[Finding]) -> dict[str, Any]:
    rules = rule_descriptors()
    index = {r["id"]: i for i, r in enumerate(rules)}
    results = []
    for f, fp in zip(findings, fingerprints(findings)):
        region: dict[str, int] = {"startLine": f.line, "startColumn": f.col}
        if f.end_line is not None:
            region["endLine"] = f.end_line
        if f.end_col is not None:
            region["endColumn"] = f.end_col
        results.append(
            {
                "ruleId": f.code,
                "ruleIndex": index.get(f.code, 0),
                "level": level(f.code, "sarif"),
                "message": {"text": f.message},
                "locations": [
                    {
                        "physicalLocation": {
                            "artifactLocation": {"uri": uri_path(f.path), "uriBaseId": "%SRCROOT%"},
                            "region": region,
                        }
                    }
                ],
                "partialFingerprints": {"tasklint/v2": fp},
            }
        )
    return {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "tasklint",
                        "version": __version__,
                        "semanticVersion": __version__,
                        "informationUri": HOMEPAGE,
                        "rules": rules,
                    }
                },
                "columnKind": "unicodeCodePoints",
                "results": results,
            }
        ],
    }


def render(findings: list[Finding], stream: TextIO, color: bool = False) -> None:
    json.dump(document(findings), stream, indent=2)
    stream.write("\n")
