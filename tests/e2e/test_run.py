"""`harness-gate run` end to end: the installed command, the emulator, real HTTP on loopback.

One test per row of the exit-code table, for pipelines and workflows, in order and in
parallel with needs, and through approvals; each checks the JUnit file (against the XSD),
the JSON summary, the exit code and what the emulator saw.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

import pytest

from tests.e2e.conftest import GateRun, Workspace, graphql_requests
from tests.shared_schema import shared_path

WORKFLOW_OK = """\
  - name: {name}
    workflow: K8s Rolling Deployment
    artifacts:
      - {{service: guestbook, source: guestbook, build: v6}}
    variables:
      Environment: dev
      InfraDefinition_KUBERNETES: k8s-dev
      Service: guestbook
      branch: master
      skipCV: "true"
"""


def spec_text(*deployments: str, parallel: bool = False, extra: str = "") -> str:
    head = f"version: 1\napplication: Harness Demo\nparallel: {str(parallel).lower()}\n{extra}"
    return head + "deployments:\n" + "".join(deployments)


def simple(name: str, workflow: str, extra: str = "") -> str:
    return f"  - name: {name}\n    workflow: {workflow}\n{extra}"


@pytest.fixture(scope="module")
def xsd() -> Any:
    from lxml import etree

    return etree.XMLSchema(etree.parse(str(shared_path("junit-xsd", "jenkins-xunit-junit-10.xsd"))))


def junit_cases(run: GateRun, xsd: Any) -> dict[str, ET.Element]:
    from lxml import etree

    document = etree.parse(str(run.junit))
    assert xsd.validate(document), xsd.error_log
    root = ET.parse(run.junit).getroot()
    return {case.get("name", ""): case for case in root.iter("testcase")}


def result_of(case: ET.Element) -> str:
    for kind in ("failure", "error", "skipped"):
        element = case.find(kind)
        if element is not None:
            assert (element.get("message") or "").strip(), f"{kind} without a message"
            assert (element.text or "").strip(), f"{kind} without a body"
            return kind
    return "pass"


def test_success_workflow_and_pipeline_in_order(ws: Workspace, xsd: Any) -> None:
    pipeline = """\
  - name: pipeline
    pipeline: Guestbook Pipeline
    variables: {branch: master, skipCV: "true", hotfix: "false"}
"""
    spec = ws.spec(spec_text(WORKFLOW_OK.format(name="workflow"), pipeline))
    run = ws.gate("run", str(spec))
    assert run.code == 0, run.stderr
    cases = junit_cases(run, xsd)
    assert {n: result_of(c) for n, c in cases.items()} == {"workflow": "pass", "pipeline": "pass"}
    summary = run.summary
    assert summary["exit_code"] == 0
    workflow = run.deployment("workflow")
    assert workflow["entity_type"] == "workflow" and workflow["entity"] == "K8s Rolling Deployment"
    assert workflow["outcome"] == "success" and workflow["status"] == "SUCCESS"
    assert workflow["url"].startswith(ws.emulator.base_url)
    assert run.deployment("pipeline")["entity_type"] == "pipeline"
    executions = ws.emulator.executions()
    assert [e["entity_name"] for e in executions] == [
        "K8s Rolling Deployment",
        "Guestbook Pipeline",
    ]
    # in listed order: the pipeline started only after the workflow ended
    assert executions[1]["created_at"] >= executions[0]["ended_at"]
    assert executions[0]["variables"]["skipCV"] == "true"
    # the URL is printed as soon as the execution starts, before it ends
    lines = run.stderr.splitlines()
    started = next(i for i, line in enumerate(lines) if "workflow: started" in line)
    ended = next(i for i, line in enumerate(lines) if "workflow: succeeded" in line)
    assert started < ended and executions[0]["id"] in lines[started]
    # batched resolution: applications, entities, artifact check
    operations = [r["operation"] for r in graphql_requests(ws.emulator)]
    assert operations[:3] == ["ResolveApplications", "ResolveEntities", "ExecutionInputs"]
    assert operations.count("ResolveApplications") == 1


def test_failed_deployment_exits_1_and_skips_the_rest(ws: Workspace, xsd: Any) -> None:
    spec = ws.spec(spec_text(simple("broken", "Failing Deployment"), simple("after", "Smoke Test")))
    run = ws.gate("run", str(spec))
    assert run.code == 1, run.stderr
    cases = junit_cases(run, xsd)
    assert result_of(cases["broken"]) == "failure"
    assert result_of(cases["after"]) == "skipped"
    failure = cases["broken"].find("failure")
    assert failure is not None
    assert "FAILED" in (failure.get("message") or "")
    assert "CrashLoopBackOff" in (failure.text or "")  # Harness's failure details
    assert run.deployment("broken")["outcome"] == "failure"
    assert run.deployment("after")["outcome"] == "skipped"
    assert len(ws.emulator.executions()) == 1


def test_spec_error_exits_2_with_report(ws: Workspace, xsd: Any) -> None:
    spec = ws.spec(
        spec_text(simple("a", "Smoke Test"), simple("b", "Smoke Test", "    timout: 5m\n"))
    )
    run = ws.gate("run", str(spec))
    assert run.code == 2
    assert "deploy.yaml:" in run.stderr and "timout" in run.stderr and "timeout" in run.stderr
    assert "Traceback" not in run.stderr
    cases = junit_cases(run, xsd)
    assert set(cases) == {"a", "b"}
    assert all(result_of(c) == "error" for c in cases.values())
    assert graphql_requests(ws.emulator) == []


def test_unreadable_spec_still_leaves_a_report(ws: Workspace, xsd: Any) -> None:
    run = ws.gate("run", str(ws.tmp / "missing.yaml"))
    assert run.code == 2
    cases = junit_cases(run, xsd)
    assert list(cases) == ["missing.yaml"] and result_of(cases["missing.yaml"]) == "error"


def test_resolution_error_exits_3_and_starts_nothing(ws: Workspace, xsd: Any) -> None:
    spec = ws.spec(
        spec_text(
            WORKFLOW_OK.format(name="good"),
            simple("typo", "K8s Rolling Deploymnet"),
            simple("badvar", "Regional Deploy", "    variables: {region: mars-1}\n"),
            parallel=True,
        )
    )
    run = ws.gate("run", str(spec))
    assert run.code == 3, run.stderr
    cases = junit_cases(run, xsd)
    assert result_of(cases["typo"]) == "failure"
    assert "Workflow does not exist" in (cases["typo"].find("failure").get("message") or "")  # type: ignore[union-attr]
    assert result_of(cases["badvar"]) == "failure"
    assert "mars-1" in (cases["badvar"].find("failure").get("message") or "")  # type: ignore[union-attr]
    assert result_of(cases["good"]) == "skipped"
    assert ws.emulator.executions() == []
    assert len(graphql_requests(ws.emulator)) <= 3


def test_unknown_variable_is_refused_unless_allowed(ws: Workspace) -> None:
    body = WORKFLOW_OK.format(name="wf") + "      brnch: main\n"
    run = ws.gate("run", str(ws.spec(spec_text(body))))
    assert run.code == 3
    assert "did you mean 'branch'" in run.deployment("wf")["message"]
    allowed = ws.spec(spec_text(body, extra="allow_unknown_variables: true\n"), "allowed.yaml")
    run = ws.gate("run", str(allowed))
    assert run.code == 0, run.stderr
    assert "brnch" in run.stderr  # the warning, and Harness's own warningMessage
    assert ws.emulator.executions()[0]["variables"]["brnch"] == "main"


def test_missing_artifact_is_caught_before_starting(ws: Workspace) -> None:
    body = WORKFLOW_OK.format(name="wf").replace(
        "    artifacts:\n      - {service: guestbook, source: guestbook, build: v6}\n", ""
    )
    run = ws.gate("run", str(ws.spec(spec_text(body))))
    assert run.code == 3
    assert "guestbook" in run.deployment("wf")["message"]
    assert ws.emulator.executions() == []


def test_refused_start_alone_is_3_and_with_others_is_1(ws: Workspace, xsd: Any) -> None:
    frozen = simple("frozen", "Prod Deployment")
    run = ws.gate("run", str(ws.spec(spec_text(frozen))))
    assert run.code == 3, run.stderr
    cases = junit_cases(run, xsd)
    message = cases["frozen"].find("failure").get("message") or ""  # type: ignore[union-attr]
    assert "Deployment Freeze" in message
    spec = ws.spec(spec_text(simple("ok", "Smoke Test"), frozen, parallel=True), "two.yaml")
    run = ws.gate("run", str(spec))
    assert run.code == 1
    assert run.deployment("ok")["outcome"] == "success"
    assert run.deployment("frozen")["outcome"] == "failure"


def test_timeout_exits_4_and_leaves_execution_running(ws: Workspace, xsd: Any) -> None:
    spec = ws.spec(spec_text(simple("slow", "Long Running Deployment", "    timeout: 1s\n")))
    run = ws.gate("run", str(spec))
    assert run.code == 4, run.stderr
    cases = junit_cases(run, xsd)
    assert result_of(cases["slow"]) == "error"
    assert run.deployment("slow")["outcome"] == "timeout"
    assert "left running" in (cases["slow"].find("error").text or "")  # type: ignore[union-attr]
    (execution,) = ws.emulator.executions()
    assert execution["status"] == "RUNNING" and not execution["aborted"]


def test_timeout_with_abort_on_exit_aborts(ws: Workspace) -> None:
    spec = ws.spec(spec_text(simple("slow", "Long Running Deployment", "    timeout: 1s\n")))
    run = ws.gate("run", str(spec), "--abort-on-exit")
    assert run.code == 4
    (execution,) = ws.emulator.executions()
    assert execution["aborted"] and execution["status"] == "ABORTED"
    assert "abort accepted" in run.deployment("slow")["abort_result"]


def test_overall_timeout_flag(ws: Workspace) -> None:
    spec = ws.spec(
        spec_text(simple("slow", "Long Running Deployment"), simple("next", "Smoke Test"))
    )
    run = ws.gate("run", str(spec), "--timeout", "1s")
    assert run.code == 4
    assert run.deployment("slow")["outcome"] == "timeout"
    assert run.deployment("next")["outcome"] == "skipped"


def test_wrong_key_exits_5(ws: Workspace, xsd: Any) -> None:
    spec = ws.spec(spec_text(simple("a", "Smoke Test")))
    env = ws.env(HARNESS_API_KEY="d3JvbmdrZXk6Ondyb25n")
    run = ws.gate("run", str(spec), env=env)
    assert run.code == 5
    assert "Token is not valid" in run.stderr
    cases = junit_cases(run, xsd)
    assert result_of(cases["a"]) == "error"


def test_unreachable_harness_exits_5_within_the_deadline(ws: Workspace) -> None:
    spec = ws.spec(spec_text(simple("a", "Smoke Test")))
    env = ws.env(HARNESS_ENDPOINT="http://127.0.0.1:9/gateway/api/graphql")
    run = ws.gate("run", str(spec), "--timeout", "2s", env=env)
    assert run.code == 5
    assert run.deployment("a")["outcome"] == "error"


def test_parallel_with_needs(ws: Workspace, xsd: Any) -> None:
    spec = ws.spec(
        spec_text(
            simple("first", "Smoke Test"),
            simple("second", "Guestbook Smoke Test"),
            simple("after-both", "Smoke Test", "    needs: [first, second]\n"),
            simple("broken", "Failing Deployment"),
            simple("after-broken", "Smoke Test", "    needs: [broken]\n"),
            simple("after-after", "Smoke Test", "    needs: [after-broken]\n"),
            parallel=True,
        )
    )
    run = ws.gate("run", str(spec))
    assert run.code == 1, run.stderr
    cases = junit_cases(run, xsd)
    assert {n: result_of(c) for n, c in cases.items()} == {
        "first": "pass",
        "second": "pass",
        "after-both": "pass",
        "broken": "failure",
        "after-broken": "skipped",
        "after-after": "skipped",
    }
    executions = {e["entity_name"] + str(i): e for i, e in enumerate(ws.emulator.executions())}
    assert len(executions) == 4
    by_notes = {}
    for e in ws.emulator.executions():
        for name in ("first", "second", "after-both", "broken"):
            if f" {name}]" in (e["notes"] or ""):
                by_notes[name] = e
    assert by_notes["after-both"]["created_at"] >= max(
        by_notes["first"]["ended_at"], by_notes["second"]["ended_at"]
    )
    # the three independent ones were started together, in one request
    starts = [r for r in graphql_requests(ws.emulator) if r["operation"] == "StartExecutions"]
    assert len(starts[0]["fields"]) == 3


@pytest.mark.parametrize(
    ("workflow", "code", "outcome", "status"),
    [
        ("Approved Deployment", 0, "success", "SUCCESS"),
        ("Rejected Deployment", 1, "failure", "REJECTED"),
        ("Expiring Deployment", 1, "failure", "EXPIRED"),
    ],
)
def test_approvals(ws: Workspace, workflow: str, code: int, outcome: str, status: str) -> None:
    spec = ws.spec(spec_text(simple("gated", workflow)))
    run = ws.gate("run", str(spec))
    assert run.code == code, run.stderr
    deployment = run.deployment("gated")
    assert deployment["outcome"] == outcome and deployment["status"] == status
    assert "PAUSED" in run.stderr and "waiting for approval" in run.stderr
    statuses = [change["status"] for change in deployment["timeline"]]
    assert "PAUSED" in statuses


def test_pipeline_with_approval_stage(ws: Workspace) -> None:
    spec = ws.spec(
        spec_text(
            "  - name: release\n    pipeline: Release Pipeline\n",
            "  - name: rejected\n    pipeline: Rejected Release\n",
            parallel=True,
        )
    )
    run = ws.gate("run", str(spec))
    assert run.code == 1
    assert run.deployment("release")["outcome"] == "success"
    rejected = run.deployment("rejected")
    assert rejected["status"] == "REJECTED" and rejected["outcome"] == "failure"
    assert "approval stage" in run.stderr


def test_no_wait(ws: Workspace, xsd: Any) -> None:
    spec = ws.spec(spec_text(simple("slow", "Long Running Deployment")))
    run = ws.gate("run", str(spec), "--no-wait")
    assert run.code == 0, run.stderr
    cases = junit_cases(run, xsd)
    assert result_of(cases["slow"]) == "pass"
    (execution,) = ws.emulator.executions()
    out = cases["slow"].find("system-out")
    assert out is not None and execution["id"] in (out.text or "")
    ordered = ws.spec(spec_text(simple("a", "Smoke Test"), simple("b", "Smoke Test")), "o.yaml")
    run = ws.gate("run", str(ordered), "--no-wait")
    assert run.code == 2
    assert len(ws.emulator.executions()) == 1


def test_only_selects_deployments(ws: Workspace, xsd: Any) -> None:
    spec = ws.spec(spec_text(simple("a", "Smoke Test"), simple("b", "Failing Deployment")))
    run = ws.gate("run", str(spec), "--only", "a")
    assert run.code == 0
    assert list(junit_cases(run, xsd)) == ["a"]
    assert [d["name"] for d in run.summary["deployments"]] == ["a"]
    run = ws.gate("run", str(spec), "--only", "c")
    assert run.code == 2 and "no deployment named 'c'" in run.stderr


def test_values_are_sent_exactly_as_written(ws: Workspace) -> None:
    spec = ws.spec(
        spec_text(
            simple(
                "wf",
                "Guestbook Config Update",
                "    variables:\n      skipCV: true\n      hotfix: 010\n"
                '      branch: "fe\\u00e9 $$x \\"q\\""\n',
            )
        )
    )
    run = ws.gate("run", str(spec))
    assert run.code == 0, run.stderr
    variables = ws.emulator.executions()[0]["variables"]
    assert variables == {"skipCV": "true", "hotfix": "010", "branch": 'feé $x "q"'}


def test_validate_and_plan(ws: Workspace) -> None:
    spec = ws.spec(spec_text(WORKFLOW_OK.format(name="wf")))
    run = ws.gate("validate", str(spec))
    assert run.code == 0 and "OK" in run.stdout
    assert graphql_requests(ws.emulator) == []
    run = ws.gate("plan", str(spec))
    assert run.code == 0, run.stderr
    assert '"entityId": "VzViT24gTluKWNFpdrL95A"' in run.stdout
    assert ws.emulator.executions() == []


def test_wait_attaches_to_running_executions(ws: Workspace, xsd: Any) -> None:
    run = ws.gate("run", str(ws.spec(spec_text(simple("a", "Smoke Test")))), "--no-wait")
    (execution,) = ws.emulator.executions()
    run = ws.gate("wait", execution["id"])
    assert run.code == 0, run.stderr
    cases = junit_cases(run, xsd)
    assert result_of(cases[execution["id"]]) == "pass"
    run = ws.gate("wait", execution["id"], "no-such-id")
    assert run.code == 3
    assert run.deployment("no-such-id")["outcome"] == "failure"


def test_version_and_default_report_path(ws: Workspace) -> None:
    import subprocess

    from tests.e2e.conftest import gate_command

    run = ws.gate("--version")
    assert run.code == 0 and "harness-gate" in run.stdout
    spec = ws.spec(spec_text(simple("a", "Smoke Test")))
    proc = subprocess.run(
        [*gate_command(), "run", str(spec), "--poll-interval", "0.05s", "--max-rpm", "100000"],
        env=ws.env(),
        cwd=ws.tmp,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert (ws.tmp / "harness-gate-junit.xml").exists()
