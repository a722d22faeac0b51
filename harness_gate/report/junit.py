"""JUnit XML report: one testcase per deployment.

The document is valid against the Jenkins xUnit junit-10 XSD, and its `<testsuite>` against
Maven Surefire's test-report XSD (what the Jenkins junit step and most readers model). Against
the Ant XSD (windyroad) it differs only where Ant forbids what the CI viewers need: the
per-testcase `system-out` (GitLab, Azure and Jenkins show it with the case) and the suite-level
`hostname`, `system-out`/`system-err` and `package`/`id` it requires (Surefire forbids the
first two). docs/reports.md lists the differences; tests/report checks all three.

The suite `time` is the sum of the testcases' times, which is what GitLab and junitparser
show for a suite; the run's wall-clock time is the `harness-gate.wall_clock_seconds` property.

junit-xml builds the document (a product requirement); ElementTree then repairs what junit-xml
1.9 gets wrong for CI consumers: it writes `disabled` (rejected by the XSD), float-noise or
missing times, `type="skipped"`, no encoding declaration, and it silently turns an empty
failure into a pass. Inputs are cleaned here first, so its own illegal-character pass has
nothing left to delete.
"""

from __future__ import annotations

import os
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from typing import Optional

from harness_gate.fileio import StrPath, write_report_text
from harness_gate.model import DeploymentResult, Outcome, RunResult
from harness_gate.report._common import (
    as_utc,
    bound,
    clean_text,
    deployment_message,
    effective_outcome,
    is_interrupted,
    iso_utc,
    link_note,
    one_line,
    run_error_message,
    same_words,
)

ROOT_NAME = "harness-gate"
_NAME_LIMIT = 255
_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n'

# Element and CamelCase type per outcome; never an ActiveSupport type name such as "integer",
# which GitLab would use to cast (or reject) the body.
TYPE_DEPLOYMENT_FAILED = "DeploymentFailed"
TYPE_TIMEOUT = "Timeout"
TYPE_GATE_ERROR = "GateError"
TYPE_INTERRUPTED = "Interrupted"
TYPE_NOT_STARTED = "NotStarted"
TYPE_OUTCOME_UNKNOWN = "OutcomeUnknown"


@dataclass
class _Case:
    name: str
    classname: str
    time: float
    element: Optional[str] = None  # failure, error, skipped; None for a pass
    type: Optional[str] = None
    message: str = ""
    body: str = ""
    stdout: str = ""


def render_junit(result: RunResult) -> str:
    """The JUnit XML document for result, as text with a UTF-8 declaration."""
    import junit_xml  # lazy: only report writing pays for it (and for six)

    cases = _plan(result)
    junit_cases = []
    for case in cases:
        junit_case = junit_xml.TestCase(
            case.name, classname=case.classname, elapsed_sec=case.time, stdout=case.stdout or None
        )
        # message and body are never empty: junit-xml drops a failure that has neither.
        if case.element == "failure":
            junit_case.add_failure_info(
                message=case.message, output=case.body, failure_type=case.type
            )
        elif case.element == "error":
            junit_case.add_error_info(message=case.message, output=case.body, error_type=case.type)
        elif case.element == "skipped":
            junit_case.add_skipped_info(message=case.message, output=case.body)
        junit_cases.append(junit_case)

    suite = junit_xml.TestSuite(
        suite_name(result),
        junit_cases,
        timestamp=as_utc(result.started_at).strftime("%Y-%m-%dT%H:%M:%S"),
        properties=_properties(result),
    )
    # prettyprint=False: minidom would turn attribute newlines into spaces and drop the encoding.
    raw = junit_xml.to_xml_report_string([suite], prettyprint=False)
    root = ET.fromstring(raw)
    _repair(root, result, cases)
    ET.indent(root, space="  ")
    return _DECLARATION + ET.tostring(root, encoding="unicode") + "\n"


def write_junit(result: RunResult, path: StrPath) -> None:
    """Render and write the report atomically (parent directories are created)."""
    write_report_text(path, render_junit(result))


def suite_name(result: RunResult) -> str:
    """harness-gate.<spec file stem>, or harness-gate.<command> without a spec file."""
    stem = ""
    if result.spec_path:
        stem = one_line(os.path.splitext(os.path.basename(result.spec_path))[0], _NAME_LIMIT)
    if not stem or stem == "-":
        stem = one_line(result.command, _NAME_LIMIT) or "run"
    return f"{ROOT_NAME}.{stem}"


def _properties(result: RunResult) -> dict[str, str]:
    # What the run as a whole says lives here: Surefire's schema has no suite-level system-out.
    properties = {
        "harness-gate.command": one_line(result.command),
        "harness-gate.exit_code": str(result.exit_code),
    }
    if result.spec_path:
        properties["harness-gate.spec"] = one_line(result.spec_path, None)
    properties["harness-gate.started_at"] = iso_utc(result.started_at) or ""
    if result.finished_at is not None:
        properties["harness-gate.finished_at"] = iso_utc(result.finished_at) or ""
        properties["harness-gate.wall_clock_seconds"] = _seconds(_run_seconds(result))
    if result.interrupted_by:
        properties["harness-gate.interrupted_by"] = one_line(result.interrupted_by)
    if result.no_wait:
        properties["harness-gate.no_wait"] = "true"
    if result.error:
        properties["harness-gate.error"] = one_line(result.error, 1000)
    return properties


def _plan(result: RunResult) -> list[_Case]:
    if result.deployments:
        return [_deployment_case(result, deployment) for deployment in result.deployments]
    if result.error or result.interrupted_by or result.exit_code != 0:
        return [_run_error_case(result)]
    return []


def _deployment_case(result: RunResult, deployment: DeploymentResult) -> _Case:
    case = _Case(
        name=one_line(deployment.name, _NAME_LIMIT) or "unnamed",
        classname=one_line(deployment.classname, None),
        time=deployment.duration,
        stdout=_timeline(result, deployment),
    )
    outcome = effective_outcome(result, deployment)
    if outcome is Outcome.SUCCESS:
        return case
    case.element, case.type = _element_and_type(result, deployment, outcome)
    case.message = deployment_message(result, deployment)
    case.body = _body(case.message, deployment)
    return case


def _element_and_type(
    result: RunResult, deployment: DeploymentResult, outcome: Outcome
) -> tuple[str, Optional[str]]:
    if outcome is Outcome.FAILURE:
        return "failure", TYPE_DEPLOYMENT_FAILED
    if outcome is Outcome.SKIPPED:
        return "skipped", TYPE_NOT_STARTED
    if outcome is Outcome.TIMEOUT:
        return "error", TYPE_TIMEOUT
    if is_interrupted(result, deployment):
        return "error", TYPE_INTERRUPTED
    if deployment.outcome is None:
        return "error", TYPE_OUTCOME_UNKNOWN
    return "error", TYPE_GATE_ERROR


def _headline(message: str, full: str) -> str:
    """The message as the body opens with it: the full text when the one-line message is that
    text folded or cut (a multi-line Harness message is then shown once, with its lines)."""
    if not full or full == message:
        return message
    folded = one_line(full, None)
    if folded == message or (message.endswith("\u2026") and folded.startswith(message[:-1])):
        return full
    return f"{message}\n{full}"


def _status_line(deployment: DeploymentResult) -> str:
    if deployment.status:
        return f"status: {one_line(deployment.status)}"
    if deployment.started:
        return "status: not reported by Harness yet"
    return "status: not started"


def _url_lines(deployment: DeploymentResult) -> list[str]:
    if not deployment.url:
        return []
    lines = [f"execution url: {one_line(deployment.url, None)}"]
    note = link_note(deployment.url)
    if note:
        lines.append(f"note: {note}")
    return lines


def _detail_text(detail: str) -> str:
    """A detail line without its label ("Harness said: ", "failure details: ")."""
    label, sep, rest = detail.partition(": ")
    return rest if sep and len(label) <= 40 and "\n" not in label else detail


def _body(message: str, deployment: DeploymentResult) -> str:
    # GitLab shows only the body, Jenkins and Azure show it as the stack trace: it must stand
    # alone, so it opens with the message and then says where to look. Harness's words appear
    # once: a detail that repeats what is already written is left out.
    opening = _headline(message, clean_text(deployment.message).strip())
    lines = [opening]
    lines.append(_status_line(deployment))
    lines.append(f"execution id: {one_line(deployment.execution_id) or '(not started)'}")
    lines.extend(_url_lines(deployment))
    lines.append(f"application: {one_line(deployment.application)}")
    lines.append(
        f"{one_line(deployment.entity_type, 40) or 'entity'}: {one_line(deployment.entity_name)}"
    )
    written = opening
    for detail in deployment.details:
        text = clean_text(detail).rstrip()
        if not text.strip() or same_words(_detail_text(text), written):
            continue
        lines.append(text)
        written += "\n" + text
    if deployment.abort_result:
        lines.append(f"abort: {one_line(deployment.abort_result, None)}")
    if deployment.warning:
        lines.append(f"warning: {one_line(deployment.warning, None)}")
    return bound("\n".join(lines))


def _timeline(result: RunResult, deployment: DeploymentResult) -> str:
    lines = []
    for change in deployment.timeline:
        # A status Harness has not reported yet (null while an execution is prepared) is left
        # out rather than shown as a word Harness never said.
        parts = [iso_utc(change.at) or "", one_line(change.status), one_line(change.note, None)]
        lines.append(" ".join(part for part in parts if part))
    lines.append(f"execution id: {one_line(deployment.execution_id) or '(not started)'}")
    lines.extend(_url_lines(deployment))
    if result.no_wait and deployment.started and not deployment.terminal:
        lines.append("not waited for (--no-wait)")
    return bound("\n".join(lines))


def _run_error_case(result: RunResult) -> _Case:
    """The single testcase of a run that has no deployment to report (e.g. unreadable spec)."""
    if result.spec_path:
        name = one_line(os.path.basename(result.spec_path), _NAME_LIMIT) or result.spec_path
    else:
        name = f"harness-gate {one_line(result.command)}"
    message = run_error_message(result)
    lines = [message]
    full = clean_text(result.error).strip()
    if full and full != message:
        lines.append(full)
    lines.append(f"command: {one_line(result.command)}")
    if result.spec_path:
        lines.append(f"spec: {one_line(result.spec_path, None)}")
    if result.interrupted_by:
        lines.append(f"interrupted by: {one_line(result.interrupted_by)}")
    lines.append(f"exit code: {result.exit_code}")
    return _Case(
        name=one_line(name, _NAME_LIMIT) or "spec",
        classname=f"{ROOT_NAME}.{one_line(result.command, 80) or 'run'}",
        time=_run_seconds(result),
        element="error",
        type=TYPE_INTERRUPTED if result.interrupted_by else TYPE_GATE_ERROR,
        message=message,
        body=bound("\n".join(lines)),
    )


def _run_seconds(result: RunResult) -> float:
    if result.finished_at is None:
        return 0.0
    return max(0.0, (as_utc(result.finished_at) - as_utc(result.started_at)).total_seconds())


def _seconds(value: float) -> str:
    # junit-10's SUREFIRE_TIME allows at most 3 decimals; junit-xml writes float sums.
    return f"{max(0.0, value):.3f}"


def _reorder(element: ET.Element, values: dict[str, Optional[str]]) -> None:
    """Replace element's attributes by values, in that order, leaving out None."""
    element.attrib.clear()
    for key, value in values.items():
        if value is not None:
            element.set(key, value)


def _repair(root: ET.Element, result: RunResult, cases: list[_Case]) -> None:
    # The sum of the cases, as GitLab and junitparser compute a suite's time whatever the
    # attribute says: every viewer then shows the same number. Parallel deployments overlap,
    # so it can exceed the wall clock, which is in the harness-gate.wall_clock_seconds property.
    seconds = float(sum(float(_seconds(case.time)) for case in cases))
    totals = {"tests": 0, "failures": 0, "errors": 0}
    for suite in root.iter("testsuite"):
        testcases = suite.findall("testcase")
        for element, case in zip(testcases, cases):
            _reorder(
                element,
                {"name": case.name, "classname": case.classname, "time": _seconds(case.time)},
            )
            skipped = element.find("skipped")
            if skipped is not None:
                # junit-xml always writes type="skipped"; Surefire and Ant allow no type there.
                skipped.attrib.pop("type", None)
        counts = {
            tag: sum(1 for testcase in testcases if testcase.find(tag) is not None)
            for tag in ("failure", "error", "skipped")
        }
        _reorder(
            suite,
            {
                "name": suite.get("name"),
                "tests": str(len(testcases)),
                "failures": str(counts["failure"]),
                "errors": str(counts["error"]),
                "skipped": str(counts["skipped"]),
                "time": _seconds(seconds),
                "timestamp": suite.get("timestamp"),
            },
        )
        totals["tests"] += len(testcases)
        totals["failures"] += counts["failure"]
        totals["errors"] += counts["error"]
    _reorder(
        root,
        {
            "name": ROOT_NAME,
            "tests": str(totals["tests"]),
            "failures": str(totals["failures"]),
            "errors": str(totals["errors"]),
            "time": _seconds(seconds),
        },
    )
