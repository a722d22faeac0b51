"""Hand-built RunResults and the JUnit checks every report test applies (no fixtures here)."""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Optional

from lxml import etree

from harness_gate.model import DeploymentResult, Outcome, RunResult, StatusChange

T0 = datetime(2024, 5, 1, 10, 0, 0, tzinfo=timezone.utc)

XSD_PARTS = ("junit-xsd", "jenkins-xunit-junit-10.xsd")
SUREFIRE_XSD_PARTS = ("junit-xsd", "maven-surefire-test-report.xsd")
ANT_XSD_PARTS = ("junit-xsd", "windyroad-JUnit.xsd")


@dataclass(frozen=True)
class JunitSchemas:
    """The three schemas a report is checked against (see harness_gate/report/junit.py)."""

    xunit: etree.XMLSchema  # Jenkins xUnit junit-10: the whole document
    surefire: etree.XMLSchema  # Maven Surefire: each <testsuite> (its root is a testsuite)
    ant: etree.XMLSchema  # Ant (windyroad): each <testsuite>, after ant_projection()


def ant_projection(suite: Any) -> Any:
    """A copy of a <testsuite> with exactly the documented Ant differences made up for: the
    per-testcase system-out removed, a hostname, and empty suite system-out/system-err."""
    projected = copy.deepcopy(suite)
    for case in projected.findall("testcase"):
        for output in case.findall("system-out"):
            case.remove(output)
    projected.set("hostname", "localhost")
    etree.SubElement(projected, "system-out")
    etree.SubElement(projected, "system-err")
    return projected


def schema_errors(schema: etree.XMLSchema, element: Any) -> list[str]:
    if schema.validate(etree.ElementTree(element)):
        return []
    return [error.message for error in schema.error_log]


RESULT_TAGS = ("failure", "error", "skipped")
ERROR_TYPES = {"DeploymentFailed", "GateError", "Timeout", "Interrupted", "OutcomeUnknown"}
TIME = re.compile(r"\d+\.\d{3}")

TERMINAL = {
    Outcome.SUCCESS: "SUCCESS",
    Outcome.FAILURE: "FAILED",
    Outcome.SKIPPED: None,
    Outcome.TIMEOUT: "RUNNING",
    Outcome.ERROR: "RUNNING",
}


def make_deployment(
    name: str = "api",
    *,
    outcome: Optional[Outcome] = Outcome.SUCCESS,
    started: bool = True,
    seconds: float = 12.5,
    entity_type: str = "pipeline",
    **fields: Any,
) -> DeploymentResult:
    """A deployment with a plausible timeline for its outcome; fields override anything."""
    status = TERMINAL[outcome] if outcome is not None else "RUNNING"
    values: dict[str, Any] = {
        "name": name,
        "application": "Payments",
        "entity_type": entity_type,
        "entity_name": f"Deploy {name}",
        "outcome": outcome,
        "status": status if started else None,
    }
    if started:
        values.update(
            execution_id=f"exec-{name}",
            url=f"https://app.harness.io/#/account/acc/app/app1/pipeline-execution/exec-{name}",
            started_at=T0 + timedelta(seconds=1),
            gate_started_at=T0,
            timeline=[
                StatusChange(T0, None, "start requested"),
                StatusChange(T0 + timedelta(seconds=2), "RUNNING"),
            ],
        )
        if status not in (None, "RUNNING"):
            values["timeline"].append(StatusChange(T0 + timedelta(seconds=seconds), status))
        if outcome is not None:
            values["gate_ended_at"] = T0 + timedelta(seconds=seconds)
            values["ended_at"] = T0 + timedelta(seconds=seconds)
    values.update(fields)
    return DeploymentResult(**values)


def make_result(*deployments: DeploymentResult, **fields: Any) -> RunResult:
    values: dict[str, Any] = {
        "command": "run",
        "spec_path": "specs/release-prod.yaml",
        "deployments": list(deployments),
        "exit_code": 0,
        "started_at": T0,
        "finished_at": T0 + timedelta(seconds=30),
    }
    values.update(fields)
    return RunResult(**values)


def all_outcomes_result() -> RunResult:
    return make_result(
        make_deployment("ok", outcome=Outcome.SUCCESS),
        make_deployment("broken", outcome=Outcome.FAILURE, message="broken: Rollout failed"),
        make_deployment("slow", outcome=Outcome.TIMEOUT, message=""),
        make_deployment("lost", outcome=Outcome.ERROR, message="Harness answered HTTP 503"),
        make_deployment("later", outcome=Outcome.SKIPPED, started=False, message=""),
        make_deployment("unsure", outcome=None, message=""),
        exit_code=1,
    )


def words(text: str) -> str:
    return " ".join(text.split())


def check_junit(text: str, schemas: Optional[JunitSchemas]) -> Any:
    """Parse, validate against the three schemas (when ../shared has them) and check the
    invariants every rendered report must hold."""
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>\n')
    assert "\x1b" not in text
    root = etree.fromstring(text.encode("utf-8"))
    if schemas is not None:
        assert schemas.xunit.validate(root), schemas.xunit.error_log
        for suite in root.findall("testsuite"):
            assert not schema_errors(schemas.surefire, copy.deepcopy(suite))
            assert not schema_errors(schemas.ant, ant_projection(suite))
    assert root.tag == "testsuites"
    assert root.get("name") == "harness-gate"
    for element in root.iter():
        assert "disabled" not in element.attrib
        if "time" in element.attrib:
            assert TIME.fullmatch(element.get("time")), element.get("time")
    suites = root.findall("testsuite")
    assert len(suites) == 1
    suite = suites[0]
    cases = suite.findall("testcase")
    counts = {tag: sum(1 for case in cases if case.find(tag) is not None) for tag in RESULT_TAGS}
    assert suite.get("tests") == root.get("tests") == str(len(cases))
    assert suite.get("failures") == root.get("failures") == str(counts["failure"])
    assert suite.get("errors") == root.get("errors") == str(counts["error"])
    assert suite.get("skipped") == str(counts["skipped"])
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", suite.get("timestamp"))
    assert "hostname" not in suite.attrib  # Surefire's schema has none
    assert suite.find("system-out") is None  # nor a suite-level system-out
    # The suite time is what GitLab and junitparser show: the sum of the cases.
    case_sum = sum(float(case.get("time")) for case in suite.findall("testcase"))
    assert suite.get("time") == root.get("time") == f"{case_sum:.3f}"
    for case in cases:
        assert case.get("name")
        assert TIME.fullmatch(case.get("time") or "")
        results = [child for child in case if child.tag in RESULT_TAGS]
        assert len(results) <= 1
        for child in results:
            message = child.get("message")
            assert message
            assert "\n" not in message and "\r" not in message
            assert len(message) <= 200
            # The body opens with the message (or the text it folds onto one line).
            assert child.text and words(child.text).startswith(words(message.rstrip("\u2026")))
            if child.tag == "skipped":
                assert "type" not in child.attrib
            else:
                assert child.get("type") in ERROR_TYPES
    return root
