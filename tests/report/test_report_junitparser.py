"""The JUnit report read by junitparser, the library GitLab-like readers and EnricoMi's
publish-unit-test-result action use: what they show must be what the report says. Needs no
../shared, so it runs on every clone."""

from __future__ import annotations

from datetime import timedelta

from junitparser import Error, Failure, JUnitXml, Skipped

from harness_gate.model import Outcome
from harness_gate.report.junit import render_junit
from tests.report.report_helpers import T0, all_outcomes_result, make_deployment, make_result


def read(text: str) -> JUnitXml:
    return JUnitXml.fromstring(text.encode("utf-8"))


def totals(node: object) -> tuple[object, ...]:
    return tuple(getattr(node, name) for name in ("tests", "failures", "errors", "skipped", "time"))


def test_suite_totals_are_what_junitparser_computes_from_the_cases() -> None:
    # Parallel deployments overlap: 50 s + 20 s in a run of 30 s. A reader that adds the
    # cases up (GitLab, junitparser) must find the number the attribute states.
    result = make_result(
        make_deployment("a", seconds=50.0),
        make_deployment("b", outcome=Outcome.FAILURE, seconds=20.0, message="b: broken"),
        make_deployment("c", outcome=Outcome.SKIPPED, started=False, message=""),
        exit_code=1,
        finished_at=T0 + timedelta(seconds=30),
    )
    report = read(render_junit(result))
    (suite,) = list(report)
    stated = totals(suite)
    assert stated == (3, 1, 0, 1, 70.0)
    suite.update_statistics()
    assert totals(suite) == stated
    assert report.time == 70.0


def test_every_outcome_reads_back_with_its_message_and_body() -> None:
    report = read(render_junit(all_outcomes_result()))
    (suite,) = list(report)
    seen = {}
    for case in suite:
        results = list(case.result)
        assert len(results) <= 1
        seen[case.name] = results[0] if results else None
        assert case.system_out and "execution id:" in case.system_out
    assert seen["ok"] is None
    assert isinstance(seen["broken"], Failure)
    assert seen["broken"].type == "DeploymentFailed"
    assert seen["broken"].message == "broken: Rollout failed"
    assert seen["broken"].text.startswith("broken: Rollout failed\n")
    assert isinstance(seen["slow"], Error) and seen["slow"].type == "Timeout"
    assert isinstance(seen["lost"], Error) and seen["lost"].type == "GateError"
    assert isinstance(seen["unsure"], Error) and seen["unsure"].type == "OutcomeUnknown"
    assert isinstance(seen["later"], Skipped)
    assert seen["later"].message == "later: pipeline 'Deploy later' was not started (skipped)"
    for result in seen.values():
        if result is not None:
            assert result.text and "(none)" not in result.text
