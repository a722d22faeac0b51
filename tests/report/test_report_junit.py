from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from harness_gate.model import Outcome, StatusChange
from harness_gate.report.junit import render_junit, suite_name, write_junit
from tests.report.report_helpers import (
    T0,
    ant_projection,
    check_junit,
    make_deployment,
    make_result,
    schema_errors,
)


def only_case(root: etree._Element) -> etree._Element:
    cases = root.findall("testsuite/testcase")
    assert len(cases) == 1
    return cases[0]


def result_element(case: etree._Element) -> etree._Element | None:
    found = [child for child in case if child.tag in ("failure", "error", "skipped")]
    return found[0] if found else None


@pytest.mark.parametrize(
    ("outcome", "tag", "type_"),
    [
        (Outcome.SUCCESS, None, None),
        (Outcome.FAILURE, "failure", "DeploymentFailed"),
        (Outcome.TIMEOUT, "error", "Timeout"),
        (Outcome.ERROR, "error", "GateError"),
        (Outcome.SKIPPED, "skipped", None),  # Surefire and Ant allow no type there
        (None, "error", "OutcomeUnknown"),
    ],
)
def test_outcome_maps_to_element_and_type(build, validate, outcome, tag, type_):
    deployment = build.deployment("api", outcome=outcome, message="")
    root = validate(render_junit(build.result(deployment)))
    case = only_case(root)
    assert case.get("name") == "api"
    assert case.get("classname") == deployment.classname == "harness.Payments.Deploy_api"
    element = result_element(case)
    if tag is None:
        assert element is None
    else:
        assert element is not None and element.tag == tag
        assert element.get("type") == type_


def test_every_outcome_validates_against_the_three_schemas(build, junit_schema):
    # The schema checks proper, which need ../shared (skipped with a reason without it).
    check_junit(render_junit(build.all_outcomes()), junit_schema)
    check_junit(render_junit(build.result(exit_code=2, error="spec: bad")), junit_schema)


def test_all_outcomes_in_one_report(build, validate):
    root = validate(render_junit(build.all_outcomes()))
    suite = root.find("testsuite")
    assert suite.get("name") == "harness-gate.release-prod"
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors")) == ("6", "1", "3")
    assert suite.get("skipped") == "1"
    assert suite.get("timestamp") == "2024-05-01T10:00:00"
    assert [case.get("name") for case in suite.findall("testcase")] == [
        "ok",
        "broken",
        "slow",
        "lost",
        "later",
        "unsure",
    ]


def test_empty_message_is_derived_and_body_has_the_facts(build, validate):
    deployment = build.deployment(
        "worker",
        outcome=Outcome.FAILURE,
        message="",
        details=["Stage Rollout failed", "Reason: readiness probe"],
        abort_result="abort not needed",
        warning="artifact is old",
    )
    case = only_case(validate(render_junit(build.result(deployment, exit_code=1))))
    failure = case.find("failure")
    assert failure.get("message") == "worker: pipeline 'Deploy worker' ended with status FAILED"
    lines = failure.text.splitlines()
    assert lines[0] == failure.get("message")
    assert "status: FAILED" in lines
    assert "execution id: exec-worker" in lines
    assert f"execution url: {deployment.url}" in lines
    assert "application: Payments" in lines
    assert "pipeline: Deploy worker" in lines
    assert "Stage Rollout failed" in lines and "Reason: readiness probe" in lines
    assert "abort: abort not needed" in lines
    assert "warning: artifact is old" in lines


def test_not_started_error_and_skipped_say_so(build, validate):
    report = render_junit(
        build.result(
            build.deployment("a", outcome=Outcome.ERROR, started=False, message=""),
            build.deployment("b", outcome=Outcome.SKIPPED, started=False, message=""),
            exit_code=3,
        )
    )
    first, second = validate(report).findall("testsuite/testcase")
    assert first.find("error").get("type") == "GateError"
    assert first.find("error").get("message") == "a: pipeline 'Deploy a' was not started"
    assert "execution id: (not started)" in first.find("error").text
    assert (
        second.find("skipped").get("message") == "b: pipeline 'Deploy b' was not started (skipped)"
    )
    assert first.find("system-out").text == "execution id: (not started)"


def test_outcome_none_is_an_error_with_unknown_outcome(build, validate):
    case = only_case(validate(render_junit(build.result(build.deployment("x", outcome=None)))))
    assert case.find("error").get("message") == "x: outcome unknown (last status RUNNING)"


def test_a_deployment_harness_never_gave_a_status_says_so_in_words(build, validate):
    deployment = build.deployment("x", outcome=Outcome.TIMEOUT, status=None, message="")
    case = only_case(validate(render_junit(build.result(deployment))))
    error = case.find("error")
    assert error.get("message") == (
        "x: timed out waiting for pipeline 'Deploy x' (no status from Harness yet)"
    )
    assert "status: not reported by Harness yet" in error.text.splitlines()
    assert "(none)" not in render_junit(build.result(deployment))


def test_no_deployments_with_error_reports_the_spec_file(build, validate):
    result = build.result(
        spec_path="deploy/specs/prod.yaml",
        exit_code=2,
        error="deploy/specs/prod.yaml:4: deployments: expected a list\nsee docs/spec.md",
    )
    root = validate(render_junit(result))
    assert root.find("testsuite").get("name") == "harness-gate.prod"
    case = only_case(root)
    assert case.get("name") == "prod.yaml"
    error = case.find("error")
    assert error.get("type") == "GateError"
    assert error.get("message") == (
        "deploy/specs/prod.yaml:4: deployments: expected a list see docs/spec.md"
    )
    assert "deploy/specs/prod.yaml:4: deployments: expected a list\nsee docs/spec.md" in error.text
    assert "exit code: 2" in error.text


def test_no_deployments_and_no_spec_names_the_command(build, validate):
    result = build.result(command="wait", spec_path=None, exit_code=5, error="HTTP 401")
    root = validate(render_junit(result))
    assert root.find("testsuite").get("name") == "harness-gate.wait"
    assert only_case(root).get("name") == "harness-gate wait"


def test_interrupted_before_anything_started(build, validate):
    result = build.result(interrupted_by="SIGINT", exit_code=130)
    error = only_case(validate(render_junit(result))).find("error")
    assert error.get("type") == "Interrupted"
    assert error.get("message") == "harness-gate run interrupted by SIGINT"


def test_clean_success_without_deployments_is_an_empty_valid_suite(build, validate):
    root = validate(render_junit(build.result(exit_code=0)))
    assert root.findall("testsuite/testcase") == []
    assert root.get("tests") == "0"


def test_interrupted_deployments(build, validate):
    running = build.deployment(
        "api",
        outcome=Outcome.ERROR,
        status="RUNNING",
        message="",
        abort_result="abort accepted",
    )
    done = build.deployment("db", outcome=Outcome.SUCCESS)
    failed_before = build.deployment(
        "web", outcome=Outcome.ERROR, status="FAILED", terminal=True, message="Harness lost it"
    )
    result = build.result(running, done, failed_before, interrupted_by="SIGTERM", exit_code=143)
    root = validate(render_junit(result))
    api, db, web = root.findall("testsuite/testcase")
    error = api.find("error")
    assert error.get("type") == "Interrupted"
    assert error.get("message") == "api: interrupted by SIGTERM (last status RUNNING)"
    assert "abort: abort accepted" in error.text.splitlines()
    assert result_element(db) is None
    assert web.find("error").get("type") == "GateError"  # it ended before the signal
    properties = {p.get("name"): p.get("value") for p in root.iter("property")}
    assert properties["harness-gate.interrupted_by"] == "SIGTERM"


def test_no_wait_is_a_pass_with_execution_id_and_url(build, validate):
    deployment = build.deployment("api", outcome=None, status=None, gate_ended_at=None)
    result = build.result(deployment, no_wait=True)
    case = only_case(validate(render_junit(result)))
    assert result_element(case) is None
    out = case.find("system-out").text.splitlines()
    assert "execution id: exec-api" in out
    assert f"execution url: {deployment.url}" in out
    assert "not waited for (--no-wait)" in out
    assert case.get("time") == "0.000"


def test_no_wait_success_set_by_the_caller(build, validate):
    deployment = build.deployment(
        "api",
        outcome=Outcome.SUCCESS,
        status="RUNNING",
        message="started (--no-wait: not waited for)",
    )
    case = only_case(validate(render_junit(build.result(deployment, no_wait=True))))
    assert result_element(case) is None
    out = case.find("system-out").text.splitlines()
    assert out[-3:] == [
        "execution id: exec-api",
        f"execution url: {deployment.url}",
        "not waited for (--no-wait)",
    ]


def test_system_out_is_the_status_timeline(build, validate):
    deployment = build.deployment(
        "api",
        outcome=Outcome.FAILURE,
        timeline=[
            StatusChange(T0, None, "start requested"),
            StatusChange(T0 + timedelta(seconds=3), "RUNNING"),
            StatusChange(T0 + timedelta(minutes=2), "FAILED", "rolled\nback"),
        ],
    )
    case = only_case(validate(render_junit(build.result(deployment))))
    assert case.find("system-out").text.splitlines() == [
        "2024-05-01T10:00:00Z start requested",  # no status yet: no word for it
        "2024-05-01T10:00:03Z RUNNING",
        "2024-05-01T10:02:00Z FAILED rolled back",
        "execution id: exec-api",
        f"execution url: {deployment.url}",
    ]
    # Results come before output, as every consumer expects.
    assert [child.tag for child in case] == ["failure", "system-out"]


def test_times_have_three_decimals_including_zero(build, validate):
    deployments = [
        build.deployment("a", seconds=0.1),
        build.deployment("b", seconds=0.2),
        build.deployment("c", outcome=Outcome.SKIPPED, started=False),
        build.deployment("d", seconds=12.34567),
    ]
    root = validate(render_junit(build.result(*deployments, finished_at=None)))
    times = [case.get("time") for case in root.findall("testsuite/testcase")]
    assert times == ["0.100", "0.200", "0.000", "12.346"]
    # The suite sums its cases, without float noise.
    assert root.find("testsuite").get("time") == root.get("time") == "12.646"


def test_suite_time_is_the_sum_of_the_cases_and_the_wall_clock_a_property(build, validate):
    # Two parallel deployments of 50 s in a run of 30 s (the builder's numbers): the viewers
    # (GitLab, junitparser) add the cases up, so the attribute does too.
    result = build.result(build.deployment("a", seconds=50.0), build.deployment("b", seconds=20.0))
    root = validate(render_junit(result))
    assert root.get("time") == root.find("testsuite").get("time") == "70.000"
    properties = {p.get("name"): p.get("value") for p in root.iter("property")}
    assert properties["harness-gate.wall_clock_seconds"] == "30.000"
    assert properties["harness-gate.started_at"] == "2024-05-01T10:00:00Z"
    assert properties["harness-gate.finished_at"] == "2024-05-01T10:00:30Z"


def test_unicode_survives(build, validate):
    deployment = build.deployment(
        "déploiement-日本",
        outcome=Outcome.FAILURE,
        message="échec: ünïcødé ☃ 😀 Ω",
        application="Zahlungen-ß",
    )
    text = render_junit(build.result(deployment))
    case = only_case(validate(text))
    assert case.get("name") == "déploiement-日本"
    assert case.find("failure").get("message") == "échec: ünïcødé ☃ 😀 Ω"
    assert "application: Zahlungen-ß" in case.find("failure").text


def test_ansi_escapes_are_stripped_not_mangled(build, validate):
    deployment = build.deployment(
        "api",
        outcome=Outcome.FAILURE,
        message="\x1b[1;31mFAILED\x1b[0m at \x1b]8;;https://x\x1b\\link\x1b]8;;\x1b\\",
        details=["\x1b[32mgreen\x1b[39m \x1b[2K\x1b[1Gprogress"],
    )
    text = render_junit(build.result(deployment))
    failure = only_case(validate(text)).find("failure")
    assert failure.get("message") == "FAILED at link"
    assert "green progress" in failure.text.splitlines()
    assert "[31m" not in text and "[0m" not in text and "[2K" not in text


def test_control_characters_are_removed(build, validate):
    deployment = build.deployment(
        "api\x00",
        outcome=Outcome.ERROR,
        message="bell\x07 null\x00 vt\x0b ff\x0c del\x7f c1\x9b nonchar\ufffe end",
        details=["tab\tstays", "cr\r\nlf", "lone\rcr", "surrogate \ud800 gone"],
    )
    text = render_junit(build.result(deployment))
    case = only_case(validate(text))
    error = case.find("error")
    assert case.get("name") == "api"
    assert error.get("message") == "bell null vt ff del c1 nonchar end"
    lines = error.text.splitlines()
    assert "tab\tstays" in lines
    assert "cr" in lines and "lf" in lines and "lone" in lines
    assert "surrogate  gone" in lines


def test_cdata_terminator_and_markup_are_escaped(build, validate):
    deployment = build.deployment(
        "api",
        outcome=Outcome.FAILURE,
        message="bad ]]> <xml attr=\"x\"> & 'q'",
        details=["<![CDATA[ nope ]]>", "&amp; stays literal"],
    )
    error = only_case(validate(render_junit(build.result(deployment)))).find("failure")
    assert error.get("message") == "bad ]]> <xml attr=\"x\"> & 'q'"
    assert "<![CDATA[ nope ]]>" in error.text.splitlines()
    assert "&amp; stays literal" in error.text.splitlines()


def test_long_text_is_bounded(build, validate):
    deployment = build.deployment(
        "api",
        outcome=Outcome.FAILURE,
        message="m" * 1000,
        details=[f"line {n} " + "x" * 200 for n in range(200)],
    )
    failure = only_case(validate(render_junit(build.result(deployment)))).find("failure")
    message = failure.get("message")
    assert len(message) == 200 and message.endswith("\u2026")
    assert len(failure.text) < 8200
    assert "characters omitted" in failure.text
    assert failure.text.rstrip().endswith("x" * 50)  # the tail is kept


def test_multi_line_message_is_one_line_in_the_attribute(build, validate):
    deployment = build.deployment(
        "api", outcome=Outcome.FAILURE, message="first line\nsecond line\r\n\tthird"
    )
    failure = only_case(validate(render_junit(build.result(deployment)))).find("failure")
    assert failure.get("message") == "first line second line third"
    # The body shows Harness's text once, with its lines.
    assert failure.text.startswith("first line\nsecond line\n\tthird\nstatus: FAILED\n")


def test_harness_message_appears_once_in_the_body(build, validate):
    harness = "Rollout failed:\n  0 of 3 pods ready\n  CrashLoopBackOff"
    deployment = build.deployment(
        "api",
        outcome=Outcome.FAILURE,
        message=f"workflow 'Deploy api' ended FAILED: {harness}",
        details=[f"failure details: {harness}", f"Harness said: {harness}", "Reason: other"],
    )
    failure = only_case(validate(render_junit(build.result(deployment)))).find("failure")
    assert failure.text.count("0 of 3 pods ready") == 1
    assert "Reason: other" in failure.text.splitlines()
    assert "failure details" not in failure.text and "Harness said" not in failure.text


def test_graphql_alias_paths_never_reach_the_reader(build, validate):
    deployment = build.deployment(
        "api",
        outcome=Outcome.FAILURE,
        message="Exception while fetching data (/s6) : Deployment Freeze Window is active",
        details=["Harness said: Exception while fetching data (/startExecution) : no access"],
    )
    text = render_junit(build.result(deployment))
    failure = only_case(validate(text)).find("failure")
    assert failure.get("message") == "Deployment Freeze Window is active"
    assert "Harness said: no access" in failure.text.splitlines()
    assert "Exception while fetching data" not in text and "/s6" not in text


def test_a_pipeline_link_carries_a_note_that_it_is_harness_s_own(build, validate):
    url = (
        "https://app.harness.io/#/account/acc/app/app1/pipeline-execution/exec-api"
        "/workflow-execution/undefined/details"
    )
    deployment = build.deployment("api", outcome=Outcome.FAILURE, url=url)
    failure_case = only_case(validate(render_junit(build.result(deployment))))
    for text in (failure_case.find("failure").text, failure_case.find("system-out").text):
        lines = text.splitlines()
        at = lines.index(f"execution url: {url}")
        assert lines[at + 1].startswith("note: this is Harness's own link to a pipeline execution")
    workflow = build.deployment("wf", outcome=Outcome.FAILURE)  # a link without 'undefined'
    assert "note:" not in render_junit(build.result(workflow))


def test_workflow_and_odd_names_make_stable_classnames(build, validate):
    deployment = build.deployment(
        "api", entity_type="workflow", application="My App.v2", entity_name="Deploy: prod/eu"
    )
    case = only_case(validate(render_junit(build.result(deployment))))
    assert case.get("classname") == "harness.My_App_v2.Deploy__prod_eu"


def test_suite_name_from_spec_stem_or_command(build):
    assert suite_name(build.result(spec_path="a/b/gate.prod.yml")) == "harness-gate.gate.prod"
    assert suite_name(build.result(spec_path="-", command="run")) == "harness-gate.run"
    assert suite_name(build.result(spec_path=None, command="wait")) == "harness-gate.wait"


def test_write_junit_creates_directories(build, validate, tmp_path):
    target = tmp_path / "reports" / "nested" / "junit.xml"
    result = build.all_outcomes()
    write_junit(result, target)
    assert target.read_text(encoding="utf-8") == render_junit(result)
    validate(target.read_text(encoding="utf-8"))
    assert [p.name for p in target.parent.iterdir()] == ["junit.xml"]


def test_the_report_differs_from_ant_only_where_documented(build, junit_schema):
    # What the Ant schema says of the raw <testsuite>: only the hostname, the per-testcase
    # system-out and the suite system-out/system-err it requires (Surefire forbids those).
    suite = etree.fromstring(render_junit(build.all_outcomes()).encode()).find("testsuite")
    errors = schema_errors(junit_schema.ant, suite)
    assert errors
    for error in errors:
        assert "hostname" in error or "system-out" in error, error
    assert not schema_errors(junit_schema.ant, ant_projection(suite))


text_strategy = st.text(
    alphabet=st.characters(codec=None, exclude_categories=()),
    max_size=60,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    name=text_strategy,
    message=text_strategy,
    details=st.lists(text_strategy, max_size=3),
    status=st.none() | text_strategy,
    note=text_strategy,
    outcome=st.sampled_from([*Outcome, None]),
    error=st.none() | text_strategy,
)
def test_any_text_gives_a_valid_report(
    optional_junit_schema, name, message, details, status, note, outcome, error
):
    deployment = make_deployment(
        name or "x",
        outcome=outcome,
        message=message,
        details=details,
        status=status,
        application=note,
        timeline=[StatusChange(T0, status, note)],
    )
    result = make_result(deployment, error=error, interrupted_by=error and "SIGTERM")
    check_junit(render_junit(result), optional_junit_schema)
    check_junit(
        render_junit(make_result(error=error or "x", spec_path=name)), optional_junit_schema
    )
