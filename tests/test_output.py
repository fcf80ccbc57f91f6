"""One golden file per output format; SARIF validated against the official 2.1.0 schema.

Regenerate after an intended change with ``TASKLINT_UPDATE_GOLDEN=1 python -m pytest
tests/test_output.py`` and review the diff.
"""

from __future__ import annotations

import io
import json
import os
import re
from pathlib import Path
from typing import Any

import pytest

from tasklint.findings import Finding
from tasklint.output import REPORTERS
from tasklint.output.fingerprints import fingerprints

GOLDEN = Path(__file__).parent / "golden"
SCHEMA = Path(__file__).resolve().parent / "data" / "sarif-schema-2.1.0.json"

FINDINGS = [
    Finding(
        path="shop/services.py",
        line=12,
        col=9,
        code="TQ201",
        message="`ship` is enqueued inside the transaction opened on line 10: the worker can run before the commit; wrap it in `transaction.on_commit(lambda: ...)` or use `delay_on_commit`",
        name="enqueue-in-transaction",
        end_line=12,
        end_col=31,
        source="ship.delay(order.id)",
    ),
    Finding(
        path="shop/worker.py",
        line=3,
        col=5,
        code="TQ205",
        message="arq job `charge` is enqueued without `_job_id=`: a repeated call runs it twice; pass a deterministic `_job_id` built from the arguments",
        name="arq-enqueue-without-job-id",
        source='await pool.enqueue_job("charge", 1)',
    ),
    Finding(
        path="weird, name:%.py",
        line=1,
        col=1,
        code="TQ001",
        message="Cannot check this file: syntax error: invalid syntax\nsecond line",
        name="syntax-error",
    ),
]


def render(fmt: str) -> str:
    buf = io.StringIO()
    REPORTERS[fmt](FINDINGS, buf, False)
    return buf.getvalue()


@pytest.mark.parametrize("fmt", sorted(REPORTERS))
def test_golden(fmt: str) -> None:
    golden = GOLDEN / f"findings.{fmt}"
    out = render(fmt)
    if os.environ.get("TASKLINT_UPDATE_GOLDEN"):
        golden.write_text(out, encoding="utf-8")
    assert golden.exists(), f"missing golden file {golden}; run with TASKLINT_UPDATE_GOLDEN=1"
    assert out == golden.read_text(encoding="utf-8")


def test_every_format_has_a_golden_file() -> None:
    assert {p.suffix[1:] for p in GOLDEN.glob("findings.*")} == set(REPORTERS)


def test_sarif_structure() -> None:
    doc = json.loads(render("sarif"))
    assert doc["version"] == "2.1.0"
    (run,) = doc["runs"]
    driver = run["tool"]["driver"]
    assert driver["name"] == "tasklint" and driver["version"] and driver["informationUri"]
    rule_ids = [r["id"] for r in driver["rules"]]
    assert len(rule_ids) == len(set(rule_ids))
    for result in run["results"]:
        assert driver["rules"][result["ruleIndex"]]["id"] == result["ruleId"]
        location = result["locations"][0]["physicalLocation"]
        assert not location["artifactLocation"]["uri"].startswith("/")
        assert location["region"]["startLine"] >= 1
        assert result["partialFingerprints"]["tasklint/v2"]


# RFC 3986 relative reference with no scheme: unreserved, percent-encoded, sub-delims, ":@/"
# (jsonschema checks "uri-reference" only when rfc3987 is installed: checked here instead)
URI_REFERENCE = re.compile(
    r"(?:[A-Za-z0-9\-._~!$&'()*+,;=@/]|%[0-9A-Fa-f]{2})(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/]|%[0-9A-Fa-f]{2})*"
)


def _sarif_validator() -> Any:
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    # the document's schema is the Root definition, not the file's top level (which has no
    # constraints of its own and accepts anything)
    root = {**schema, "$ref": "#/definitions/Root"}
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(root)
    return cls(root, format_checker=cls.FORMAT_CHECKER)


def test_sarif_validates_against_the_official_schema() -> None:
    validator = _sarif_validator()
    doc = json.loads(render("sarif"))
    errors = [e.message for e in validator.iter_errors(doc)]
    assert errors == []
    for run in doc["runs"]:
        for result in run["results"]:
            for location in result["locations"]:
                uri = location["physicalLocation"]["artifactLocation"]["uri"]
                assert URI_REFERENCE.fullmatch(uri), uri


def test_the_sarif_validator_rejects_what_is_not_sarif() -> None:
    validator = _sarif_validator()
    assert not validator.is_valid({"runs": 5})
    assert not validator.is_valid({"version": "2.1.0"})
    doc = json.loads(render("sarif"))
    doc["runs"][0]["results"][0]["level"] = "fatal"
    assert not validator.is_valid(doc)


def test_github_escapes_properties_and_data() -> None:
    lines = render("github").splitlines()
    assert lines[0].startswith(
        "::warning file=shop/services.py,line=12,col=9,endLine=12,endColumn=31,"
    )
    assert "file=weird%2C name%3A%25.py" in lines[2]
    assert lines[2].endswith("invalid syntax%0Asecond line")


def test_fingerprints_ignore_line_numbers_but_not_content() -> None:
    moved = [Finding(**{**f.__dict__, "line": f.line + 40}) for f in FINDINGS]
    assert fingerprints(moved) == fingerprints(FINDINGS)
    changed = [Finding(**{**FINDINGS[0].__dict__, "source": "ship.delay(order.pk)"})]
    assert fingerprints(changed) != fingerprints(FINDINGS[:1])
    twice = [FINDINGS[0], FINDINGS[0]]
    assert len(set(fingerprints(twice))) == 2
