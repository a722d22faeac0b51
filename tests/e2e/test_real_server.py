"""The real FirstGen server's hard parts, each against the emulator over HTTP with the real CLI.

Slow starts (a build collected inside the call), answers lost after the save, failures after the
save, runtime-input stages, Helm charts and parameterized sources, big status reads, deleted
executions, plain-text 500s and editions without the GraphQL API. Every assertion is about what
the gate did (the emulator's request log and executions, the exit code and the report), never
about how long it took.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml

import harness_gate.emulator
from harness_gate.emulator import Emulator
from tests.e2e.conftest import FAST, GateRun, Workspace, graphql_requests

# Harness may take this long to save one start: the scaled-down analogue of the real server's
# 120 s for a Jenkins build it has not collected yet. The slow starts below take 1 s each,
# longer than the client's --request-timeout of 0.5 s but within this grace.
SLOW_START_GRACE = "1.5s"
GATE_LAB = "version: 1\napplication: Gate Lab\n"


def lab_spec(*deployments: str, parallel: bool = False, extra: str = "") -> str:
    return (
        GATE_LAB
        + f"parallel: {str(parallel).lower()}\n{extra}deployments:\n"
        + "".join(deployments)
    )


def operations(ws: Workspace) -> list[str]:
    return [str(r["operation"]) for r in graphql_requests(ws.emulator)]


def requests_of(ws: Workspace, operation: str) -> list[dict[str, Any]]:
    """In the order they arrived (the log is in the order they were answered)."""
    found = [r for r in graphql_requests(ws.emulator) if r["operation"] == operation]
    return sorted(found, key=lambda r: int(r["seq"]))


def run_with_grace(ws: Workspace, spec: str, grace: str, *extra: str) -> GateRun:
    """The gate told how long Harness may take to save one start (the scaled-down analogue of
    the real server's 120 s for a Jenkins build it has not collected yet)."""
    return ws.gate("run", spec, *FAST, "--start-grace", grace, *extra, fast=False)


def graphql(ws: Workspace, query: str, variables: dict[str, Any]) -> dict[str, Any]:
    """Ask the emulator directly, as a Harness user would look at what the gate did."""
    env = ws.emulator.env()
    reply = requests.post(
        env["HARNESS_ENDPOINT"],
        params={"accountId": env["HARNESS_ACCOUNT_ID"]},
        headers={"x-api-key": env["HARNESS_API_KEY"]},
        json={"query": query, "variables": variables},
        timeout=10,
    )
    body: dict[str, Any] = reply.json()
    assert not body.get("errors"), body
    data: dict[str, Any] = body["data"]
    return data


def executions_by_name(ws: Workspace) -> dict[str, int]:
    counts: dict[str, int] = {}
    for execution in ws.emulator.executions():
        counts[execution["entity_name"]] = counts.get(execution["entity_name"], 0) + 1
    return counts


# ---- slow starts -----------------------------------------------------------------------------


def ci_deploy(name: str, build: str = "101") -> str:
    return (
        f"  - name: {name}\n    workflow: CI Deploy\n    artifacts:\n"
        f'      - {{service: guestbook-ci, source: jenkins-guestbook, build: "{build}"}}\n'
    )


def test_a_start_slower_than_the_read_timeout_is_awaited_not_resent(ws: Workspace) -> None:
    ws.emulator.add_fault("start_delay", match="startExecution", seconds=1)
    spec = ws.spec(lab_spec("  - name: smoke\n    workflow: Smoke Test\n"))
    run = run_with_grace(ws, str(spec), SLOW_START_GRACE, "--request-timeout", "0.5s")
    assert run.code == 0, run.stderr
    assert operations(ws).count("StartExecutions") == 1
    assert "FindStartedExecutions" not in operations(ws)
    assert executions_by_name(ws) == {"Smoke Test": 1}
    assert run.deployment("smoke")["execution_id"] == ws.emulator.executions()[0]["id"]


def test_a_batch_of_slow_starts_is_one_request_and_one_execution_each(ws: Workspace) -> None:
    # Build 101 is not collected yet: each start naming it spends a second inside the call,
    # and the server runs the batch's starts one after another (four seconds in all).
    names = [f"ci-{i}" for i in range(4)]
    spec = ws.spec(lab_spec(*(ci_deploy(n) for n in names), parallel=True))
    run = run_with_grace(ws, str(spec), SLOW_START_GRACE, "--request-timeout", "0.5s")
    assert run.code == 0, run.stderr
    starts = requests_of(ws, "StartExecutions")
    assert len(starts) == 1, "one request for the whole batch, never re-sent"
    assert len(starts[0]["started_execution_ids"]) == len(names)
    executions = ws.emulator.executions()
    assert len(executions) == len(names)
    assert sorted(run.deployment(n)["execution_id"] for n in names) == sorted(
        e["id"] for e in executions
    )
    assert all(run.deployment(n)["outcome"] == "success" for n in names)


def test_batches_of_slow_starts_wait_for_their_answers(ws: Workspace) -> None:
    # Twelve deployments start in two requests (ten starts, then two); every start spends
    # 0.2 s in the server, so each request outlasts the 0.5 s request timeout, within the
    # conftest's 0.3 s grace per start.
    ws.emulator.add_fault("start_delay", match="startExecution", count=2, seconds=0.2)
    names = [f"smoke-{i:02}" for i in range(12)]
    spec = lab_spec(*(f"  - name: {n}\n    workflow: Smoke Test\n" for n in names), parallel=True)
    run = ws.gate("run", str(ws.spec(spec)), "--request-timeout", "0.5s")
    assert run.code == 0, run.stderr
    starts = requests_of(ws, "StartExecutions")
    assert [len(r["started_execution_ids"]) for r in starts] == [10, 2]
    assert all(r["fault"] == "start_delay" for r in starts)
    assert "FindStartedExecutions" not in operations(ws)
    assert executions_by_name(ws) == {"Smoke Test": 12}
    assert sorted(run.deployment(n)["execution_id"] for n in names) == sorted(
        i for r in starts for i in r["started_execution_ids"]
    )


# ---- answers lost around the save ---------------------------------------------------------------

SMOKE = "  - name: smoke\n    workflow: Smoke Test\n"


def test_a_start_answer_lost_after_the_save_is_adopted(ws: Workspace) -> None:
    ws.emulator.add_fault("drop", match="startExecution", process=True)
    run = ws.gate("run", str(ws.spec(lab_spec(SMOKE, ci_deploy("ci", "100"), parallel=True))))
    assert run.code == 0, run.stderr
    assert operations(ws).count("StartExecutions") == 1
    assert "FindStartedExecutions" in operations(ws)
    executions = ws.emulator.executions()
    assert sorted(e["entity_name"] for e in executions) == ["CI Deploy", "Smoke Test"]
    for name in ("smoke", "ci"):
        assert run.deployment(name)["execution_id"] in {e["id"] for e in executions}
    assert "found the execution the lost start created" in run.stderr


def test_an_unprocessed_start_is_sent_again_only_after_lookups_over_the_window(
    ws: Workspace,
) -> None:
    ws.emulator.add_fault("drop", match="startExecution")  # refused before anything started
    run = ws.gate("run", str(ws.spec(lab_spec(SMOKE))), "--request-timeout", "0.5s")
    assert run.code == 0, run.stderr
    log = graphql_requests(ws.emulator)
    ops = [r["operation"] for r in log]
    starts = [i for i, op in enumerate(ops) if op == "StartExecutions"]
    lookups = [i for i, op in enumerate(ops) if op == "FindStartedExecutions"]
    assert len(starts) == 2 and len(lookups) >= 3
    assert starts[0] < lookups[0] and lookups[-1] < starts[1]
    # The last lookup went once the server's worst case for that start had passed:
    # --request-timeout 0.5 s plus --start-grace 0.3 s (conftest) after the gate sent the
    # first start (a little before the emulator logged its arrival).
    assert log[lookups[-1]]["wall"] - log[starts[0]]["wall"] >= 0.7
    assert executions_by_name(ws) == {"Smoke Test": 1}


def test_a_start_whose_lookups_fail_is_never_sent_again(ws: Workspace) -> None:
    ws.emulator.add_fault("drop", match="startExecution")
    ws.emulator.add_fault("http_500", match="executions", count=1000)
    run = ws.gate(
        "run", str(ws.spec(lab_spec(SMOKE, extra="timeout: 3s\n"))), "--request-timeout", "0.5s"
    )
    assert run.code == 5, run.stderr
    assert operations(ws).count("StartExecutions") == 1
    assert ws.emulator.executions() == []
    smoke = run.deployment("smoke")
    assert smoke["outcome"] == "error"
    assert "start outcome unknown" in smoke["message"]
    marker = next(d for d in smoke["details"] if "notes contain" in d)
    assert "[harness-gate " in marker and "smoke]" in marker
    junit = run.junit.read_text(encoding="utf-8")
    assert "notes contain" in junit and "smoke]" in junit


def test_a_failure_after_the_save_is_watched_to_the_real_end(ws: Workspace) -> None:
    # Harness's catch-all error after the execution was saved: the runs go on in Harness.
    ws.emulator.add_fault("start_error", match="startExecution")
    spec = (
        "version: 1\napplication: Harness Demo\nparallel: true\ndeployments:\n"
        "  - name: smoke\n    workflow: Smoke Test\n"
        "  - name: failing\n    workflow: Failing Deployment\n"
    )
    run = ws.gate("run", str(ws.spec(spec)))
    assert run.code == 1, run.stderr
    assert operations(ws).count("StartExecutions") == 1
    executions = {e["entity_name"]: e for e in ws.emulator.executions()}
    assert sorted(executions) == ["Failing Deployment", "Smoke Test"]
    smoke, failing = run.deployment("smoke"), run.deployment("failing")
    assert smoke["outcome"] == "success" and smoke["status"] == "SUCCESS"
    assert smoke["execution_id"] == executions["Smoke Test"]["id"]
    assert failing["outcome"] == "failure" and failing["status"] == "FAILED"
    assert failing["execution_id"] == executions["Failing Deployment"]["id"]
    assert "refused" not in failing["message"]
    assert "CrashLoopBackOff" in failing["message"]
    # Harness's words are kept beside the verdict.
    assert any("An error has occurred" in d for d in failing["details"])


def test_a_slow_start_that_fails_after_the_save_is_found_and_watched(ws: Workspace) -> None:
    # The save takes a second, longer than --request-timeout, then the catch-all error.
    ws.emulator.add_fault("start_error", match="startExecution", seconds=1)
    spec = ws.spec(lab_spec(ci_deploy("ci", "100")))
    run = run_with_grace(ws, str(spec), SLOW_START_GRACE, "--request-timeout", "0.5s")
    assert run.code == 0, run.stderr
    assert operations(ws).count("StartExecutions") == 1
    (execution,) = ws.emulator.executions()
    ci = run.deployment("ci")
    assert ci["execution_id"] == execution["id"] and ci["status"] == "SUCCESS"
    assert "found the execution the lost start created" in run.stderr


# ---- runtime inputs and the three PAUSEDs ---------------------------------------------------


def runtime_inputs(name: str, variables: str) -> str:
    return f"  - name: {name}\n    pipeline: Runtime Inputs Pipeline\n    variables: {variables}\n"


def test_a_stage_waiting_for_runtime_inputs_gets_the_spec_values(ws: Workspace) -> None:
    spec = ws.spec(lab_spec(runtime_inputs("regional", '{region: eu-west-1, replicas: "5"}')))
    run = ws.gate("run", str(spec))
    assert run.code == 0, run.stderr
    (execution,) = ws.emulator.executions()
    assert execution["status"] == "SUCCESS" and execution["waiting_for"] is None
    statuses = [h["status"] for h in execution["history"]]
    assert statuses[-3:] == ["PAUSED", "RUNNING", "SUCCESS"], "it paused and the gate resumed it"
    (resume,) = requests_of(ws, "ResumePipelineStages")
    (given,) = resume["variables"].values()
    assert given["pipelineExecutionId"] == execution["id"]
    assert given["applicationId"] == "GateLabAppId00000000001"
    assert {v["name"]: v["variableValue"]["value"] for v in given["variableInputs"]} == {
        "region": "eu-west-1",
        "replicas": "5",
    }
    assert execution["variables"]["region"] == "eu-west-1"
    assert execution["variables"]["replicas"] == "5"
    regional = run.deployment("regional")
    assert regional["outcome"] == "success" and regional["status"] == "SUCCESS"
    assert any("runtime inputs given from the spec" in t["note"] for t in regional["timeline"])


def test_a_runtime_input_the_spec_lacks_is_named(ws: Workspace) -> None:
    spec = ws.spec(lab_spec(runtime_inputs("lacking", "{region: eu-west-1}")))
    run = ws.gate("run", str(spec))
    assert run.code == 1, run.stderr
    assert "ResumePipelineStages" not in operations(ws), "nothing is resumed with a guess"
    lacking = run.deployment("lacking")
    assert lacking["outcome"] == "failure" and lacking["status"] == "PAUSED"
    assert "replicas" in lacking["message"] and "region" not in lacking["message"].split(":")[-1]
    assert "runtime input" in lacking["message"]
    assert "replicas" in run.junit.read_text(encoding="utf-8")
    (execution,) = ws.emulator.executions()
    assert execution["waiting_for"] == "inputs"


def test_a_runtime_service_gets_its_artifact_with_the_resume(ws: Workspace) -> None:
    spec = lab_spec(
        "  - name: svc\n    pipeline: Runtime Service Pipeline\n"
        "    variables: {svc: guestbook-ci}\n    artifacts:\n"
        '      - {service: guestbook-ci, source: jenkins-guestbook, build: "100"}\n'
    )
    run = ws.gate("run", str(ws.spec(spec)))
    assert run.code == 0, run.stderr
    (resume,) = requests_of(ws, "ResumePipelineStages")
    (given,) = resume["variables"].values()
    assert given["variableInputs"] == [
        {"name": "svc", "variableValue": {"type": "NAME", "value": "guestbook-ci"}}
    ]
    assert given["serviceInputs"] == [
        {
            "name": "guestbook-ci",
            "artifactValueInput": {
                "valueType": "BUILD_NUMBER",
                "buildNumber": {"buildNumber": "100", "artifactSourceName": "jenkins-guestbook"},
            },
        }
    ]
    (execution,) = ws.emulator.executions()
    assert execution["status"] == "SUCCESS"
    assert "PAUSED" in [h["status"] for h in execution["history"]]


@pytest.fixture
def slow_ws(tmp_path: Path) -> Iterator[Workspace]:
    """A minute of fixture time in a real second: a pause of one fixture minute is seen by
    many status reads."""
    with Emulator(time_scale=60, rate_limit=None) as emu:
        yield Workspace(tmp_path, emu)


def test_paused_for_inputs_an_approval_or_by_hand_read_differently(slow_ws: Workspace) -> None:
    ws = slow_ws
    spec = ws.spec(
        lab_spec(
            "  - name: gated\n    pipeline: Gated Release\n    timeout: 3s\n",
            "  - name: approval\n    workflow: Manual Approval Deployment\n"
            "    application: Harness Demo\n    timeout: 3s\n",
            "  - name: paused\n    pipeline: Paused Release\n",
            "  - name: by-hand\n    workflow: Manual Pause Deployment\n",
            runtime_inputs("inputs", "{region: eu-west-1}"),
            parallel=True,
        )
    )
    run = ws.gate("run", str(spec))
    assert run.code == 1, run.stderr  # the missing input fails; the approvals time out
    lines = run.stderr.splitlines()

    def said(name: str, text: str) -> bool:
        return any(line.split("] ", 1)[-1].startswith(f"{name}: PAUSED - {text}") for line in lines)

    assert said("gated", "waiting for approval (approval stage Approve PAUSED)")
    assert said("approval", "waiting for approval (approval step ")
    assert said("paused", "paused by hand")
    assert said("by-hand", "paused by hand")
    assert said("inputs", "waiting for runtime inputs")
    assert "waiting for approval or a manual resume" not in run.stderr

    def notes(name: str) -> list[str]:
        return [t["note"] for t in run.deployment(name)["timeline"] if t["status"] == "PAUSED"]

    assert notes("gated") == ["waiting for approval (approval stage Approve PAUSED)"]
    assert notes("approval")[0].startswith("waiting for approval (approval step ")
    assert notes("paused") == [
        "paused by hand (waiting for someone to resume it) (stage Deploy PAUSED)"
    ]
    assert notes("by-hand") == ["paused by hand (waiting for someone to resume it)"]
    assert notes("inputs")[0].startswith("waiting for runtime inputs")
    for name in ("gated", "approval"):
        d = run.deployment(name)
        assert d["outcome"] == "timeout" and "waiting for approval" in d["message"]
    for name in ("paused", "by-hand"):
        assert run.deployment(name)["outcome"] == "success"  # resumed by hand, in the fixture
    assert run.deployment("inputs")["outcome"] == "failure"
    # One approvalDetails read per pause, not one per status read.
    approvals = requests_of(ws, "PendingApprovals")
    asked = [v for r in approvals for k, v in r["variables"].items() if not k.endswith("app")]
    assert len(asked) == len(set(asked)) == 3  # approval, paused and by-hand


# ---- big status reads ---------------------------------------------------------------------------

MANY = 200
# --request-timeout 6s: the gate allows each execution of a status read 0.6 s of it, so a read
# asks for 10 executions at most (platforms/firstgen READ_COST_PER_EXECUTION).
READ_TIMEOUT = "6s"
READ_BATCH = 10


@pytest.fixture
def real_time_ws(tmp_path: Path) -> Iterator[Workspace]:
    """Fixture time runs at real speed: nothing ends until the test moves the clock."""
    with Emulator(time_scale=1, rate_limit=None) as emu:
        yield Workspace(tmp_path, emu)


def many_spec(ws: Workspace, many: int) -> Path:
    deployments = [
        f"  - name: d{i:03}\n    workflow: {'Failing Deployment' if i % 4 == 0 else 'Smoke Test'}\n"
        for i in range(many)
    ]
    return ws.spec(
        "version: 1\napplication: Harness Demo\nparallel: true\ndeployments:\n"
        + "".join(deployments)
    )


def status_reads(ws: Workspace) -> list[list[str]]:
    return [list(r["variables"].values()) for r in requests_of(ws, "ExecutionStatuses")]


def run_many(ws: Workspace, many: int, request_timeout: str, *faults: dict[str, Any]) -> GateRun:
    """Start `many` deployments, wait for one status read of all of them, then let them end."""
    proc, junit, summary = ws.start(
        "run", str(many_spec(ws, many)), "--request-timeout", request_timeout, log_to_file=True
    )
    emu = ws.emulator
    deadline = time.monotonic() + 120
    while True:
        assert proc.poll() is None, ws.stderr_path.read_text(encoding="utf-8")
        assert time.monotonic() < deadline, "the gate never read every execution"
        started = {e["id"] for e in emu.executions()}
        read = {i for ids in status_reads(ws) for i in ids}
        if len(started) == many and started <= read:
            break
        time.sleep(0.1)
    for fault in faults:
        emu.add_fault(**fault)
    emu.advance(3600)  # every execution ends now
    out, _ = proc.communicate(timeout=120)
    return GateRun(proc.returncode, out, ws.stderr_path.read_text("utf-8"), junit, summary)


def assert_every_verdict(ws: Workspace, run: GateRun, many: int, read_batch: int) -> None:
    assert run.code == 1, run.stderr
    assert len(ws.emulator.executions()) == many
    for i in range(many):
        d = run.deployment(f"d{i:03}")
        if i % 4 == 0:
            assert (d["outcome"], d["status"]) == ("failure", "FAILED"), d
        else:
            assert (d["outcome"], d["status"]) == ("success", "SUCCESS"), d
    assert all(0 < len(ids) <= read_batch for ids in status_reads(ws))


def test_a_read_of_200_executions_is_split_into_chunks(real_time_ws: Workspace) -> None:
    ws = real_time_ws
    run = run_many(ws, MANY, READ_TIMEOUT)
    assert_every_verdict(ws, run, MANY, READ_BATCH)
    assert max(len(ids) for ids in status_reads(ws)) == READ_BATCH


def test_one_slow_chunk_does_not_stop_the_other_verdicts(real_time_ws: Workspace) -> None:
    ws = real_time_ws
    # --request-timeout 1.5s: reads of 2 executions. The next four reads cost the server
    # 1 s per execution, 2 s each, past the read timeout.
    slow = {"kind": "slow_fields", "match": "execution", "count": 4, "seconds": 1}
    run = run_many(ws, 20, "1.5s", slow)
    assert_every_verdict(ws, run, 20, 2)
    assert "no answer within the request timeout" in run.stderr

    # A read that timed out is tried once more, then the next chunk goes first: the same
    # executions are never asked for three times in a row.
    def slow_reads() -> list[list[str]]:
        return [
            list(r["variables"].values())
            for r in requests_of(ws, "ExecutionStatuses")
            if r["fault"] == "slow_fields"
        ]

    end = time.monotonic() + 10
    while len(slow_reads()) < 4 and time.monotonic() < end:
        time.sleep(0.1)  # the server logs a read when it has answered it
    first, second, third, fourth = slow_reads()
    assert first == second and third == fourth and first != third
    reads = status_reads(ws)
    assert all(not (a == b == c) for a, b, c in zip(reads, reads[1:], reads[2:]))


# ---- Helm charts, parameterized sources, continue_with_default_values -----------------------

HELM = """\
  - name: {name}
    {kind}: {entity}
    manifests:
      - {{service: guestbook, manifest: guestbook-chart, version: "{version}"}}
"""


def test_a_helm_chart_service_deploys_the_chart_version_of_the_spec(ws: Workspace) -> None:
    spec = lab_spec(
        HELM.format(name="chart", kind="workflow", entity="Helm Deploy", version="0.2.0"),
        HELM.format(name="release", kind="pipeline", entity="Helm Release", version="0.1.0"),
        "  - name: by-id\n    workflow: Helm Deploy\n    manifests:\n"
        "      - service: guestbook\n        manifest: guestbook-chart\n"
        "        chart_id: GateLabChartVersion0010\n",
        parallel=True,
    )
    run = ws.gate("run", str(ws.spec(spec)))
    assert run.code == 0, run.stderr
    by_id = {e["id"]: e for e in ws.emulator.executions()}
    assert len(by_id) == 3
    for name, version in (("chart", "0.2.0"), ("release", "0.1.0"), ("by-id", "0.1.0")):
        d = run.deployment(name)
        assert d["outcome"] == "success", d
        (given,) = by_id[d["execution_id"]]["service_inputs"]
        assert given["name"] == "guestbook"
        chart = given["manifestValueInput"]
        if name == "by-id":
            assert chart == {"valueType": "HELM_CHART_ID", "helmChartId": "GateLabChartVersion0010"}
        else:
            assert chart["valueType"] == "VERSION_NUMBER"
            assert chart["versionNumber"] == {
                "appManifestName": "guestbook-chart",
                "versionNumber": version,
            }
    # The workflow executions show the chart they deploy, as Harness reads them back.
    for name, version in (("chart", "0.2.0"), ("by-id", "0.1.0")):
        execution_id = run.deployment(name)["execution_id"]
        data = graphql(
            ws,
            "query($id: String!) { execution(executionId: $id) {"
            " ... on WorkflowExecution { manifests { name version } } } }",
            {"id": execution_id},
        )
        assert data["execution"]["manifests"] == [{"name": "guestbook-chart", "version": version}]


def test_a_helm_chart_service_without_a_version_stops_before_anything_starts(
    ws: Workspace,
) -> None:
    spec = lab_spec(
        SMOKE,
        "  - name: chart\n    workflow: Helm Deploy\n",
        parallel=True,
    )
    run = ws.gate("run", str(ws.spec(spec)))
    assert run.code == 3, run.stderr
    assert ws.emulator.executions() == []
    assert "StartExecutions" not in operations(ws)
    chart = run.deployment("chart")
    assert chart["outcome"] == "failure"
    assert "guestbook" in chart["message"] and "Helm chart" in chart["message"]
    assert "manifests:" in chart["message"]
    assert run.deployment("smoke")["outcome"] == "skipped"


def test_a_parameterized_source_deploys_with_its_parameters(ws: Workspace) -> None:
    spec = lab_spec(
        "  - name: nexus\n    workflow: Nexus Deploy\n    artifacts:\n"
        "      - service: guestbook-nexus\n        source: guestbook-params\n"
        '        build: "1.1.0"\n        parameters: {repo: guestbook, path: releases/1.1}\n'
    )
    run = ws.gate("run", str(ws.spec(spec)))
    assert run.code == 0, run.stderr
    (execution,) = ws.emulator.executions()
    assert run.deployment("nexus")["execution_id"] == execution["id"]
    (given,) = execution["service_inputs"]
    source = given["artifactValueInput"]
    assert source["valueType"] == "PARAMETERIZED_ARTIFACT_SOURCE"
    assert source["parameterizedArtifactSource"] == {
        "artifactSourceName": "guestbook-params",
        "buildNumber": "1.1.0",
        "parameterValueInputs": [
            {"name": "repo", "value": "guestbook"},
            {"name": "path", "value": "releases/1.1"},
        ],
    }
    # The run went through PREPARING (status null) while Harness collected the artifact.
    assert execution["history"][0]["status"] is None


def test_continue_with_default_values_never_pauses(ws: Workspace) -> None:
    spec = lab_spec(
        runtime_inputs("defaults", "{region: us-east-1}")
        + "    continue_with_default_values: true\n"
    )
    run = ws.gate("run", str(ws.spec(spec)))
    assert run.code == 0, run.stderr
    (execution,) = ws.emulator.executions()
    assert execution["continue_with_defaults"] is True
    assert "PAUSED" not in [h["status"] for h in execution["history"]]
    assert "ResumePipelineStages" not in operations(ws)
    (start,) = requests_of(ws, "StartExecutions")
    assert [s["continueWithDefaultValues"] for s in start["variables"].values()] == [True]


def test_an_expression_variable_is_refused_before_anything_starts(ws: Workspace) -> None:
    spec = lab_spec(
        "  - name: regional\n    workflow: Regional Deploy\n    variables:\n"
        "      region: {value: '$${workflow.variables.home}', type: EXPRESSION}\n"
    )
    run = ws.gate("run", str(ws.spec(spec)))
    assert run.code == 2, run.stderr
    assert "EXPRESSION" in run.stderr and "regional" in run.stderr
    assert graphql_requests(ws.emulator) == []


# ---- the smaller mismatches -------------------------------------------------------------------


def test_a_fixed_variable_is_checked_for_workflows_only(ws: Workspace) -> None:
    workflow = lab_spec(
        "  - name: regional\n    workflow: Regional Deploy\n"
        "    variables: {region: us-east-1, strategy: blue-green}\n"
    )
    run = ws.gate("run", str(ws.spec(workflow, "workflow.yaml")))
    assert run.code == 3, run.stderr
    message = run.deployment("regional")["message"]
    assert "strategy" in message and "fixed" in message and "rolling" in message
    assert ws.emulator.executions() == []
    # A pipeline ignores a different value for its fixed variable: nothing to refuse.
    pipeline = lab_spec(
        runtime_inputs("pipeline", '{region: us-east-1, replicas: "2", strategy: blue-green}')
    )
    run = ws.gate("run", str(ws.spec(pipeline, "pipeline.yaml")))
    assert run.code == 0, run.stderr
    (execution,) = ws.emulator.executions()
    assert execution["status"] == "SUCCESS"


def test_allowed_values_apply_to_an_id_input_too(ws: Workspace) -> None:
    # Harness checks the text given against the allowed values whatever its type, so even
    # the id of the allowed environment is refused.
    by_id = lab_spec(
        "  - name: env\n    workflow: Env Choice Deploy\n    variables:\n"
        "      Environment: {value: GateLabQaEnvironment001, type: ID}\n"
    )
    run = ws.gate("run", str(ws.spec(by_id, "id.yaml")))
    assert run.code == 3, run.stderr
    message = run.deployment("env")["message"]
    assert "GateLabQaEnvironment001" in message and "[qa]" in message
    assert ws.emulator.executions() == []
    by_name = lab_spec(
        "  - name: env\n    workflow: Env Choice Deploy\n    variables: {Environment: qa}\n"
    )
    run = ws.gate("run", str(ws.spec(by_name, "name.yaml")))
    assert run.code == 0, run.stderr


def test_an_execution_deleted_mid_run_is_an_error_after_a_few_reads(ws: Workspace) -> None:
    spec = ws.spec(
        "version: 1\napplication: Harness Demo\ndeployments:\n"
        "  - name: long\n    workflow: Long Running Deployment\n"
    )
    proc, junit, summary = ws.start("run", str(spec), log_to_file=True)
    end = time.monotonic() + 30
    while not ws.logged("long: RUNNING"):
        assert proc.poll() is None and time.monotonic() < end, "the run never started"
        time.sleep(0.02)
    (execution,) = ws.emulator.executions()
    seen = len(ws.emulator.requests())
    assert ws.emulator.delete_execution(execution["id"])
    out, _ = proc.communicate(timeout=60)
    run = GateRun(proc.returncode, out, ws.stderr_path.read_text("utf-8"), junit, summary)
    assert run.code == 5, run.stderr
    long = run.deployment("long")
    assert long["outcome"] == "error"
    assert execution["id"] in long["message"] and "deleted" in long["message"]
    assert "deadline" not in long["message"]  # its 30 minute timeout is far away
    assert any("Execution does not exist or access is denied" in d for d in long["details"])
    reads_after = [
        r
        for r in ws.emulator.requests()[seen:]
        if r.get("operation") == "ExecutionStatuses" and execution["id"] in r["variables"].values()
    ]
    assert 2 <= len(reads_after) <= 5, "a few reads, then a verdict"


def test_plain_text_500s_are_retried_a_few_times_then_reported(ws: Workspace) -> None:
    ws.emulator.add_fault(
        "http_500", match="applicationByName", count=100, message="java.lang.IllegalStateException"
    )
    run = ws.gate("run", str(ws.spec(lab_spec(SMOKE))))
    assert run.code == 5, run.stderr
    assert operations(ws).count("ResolveApplications") == 4  # three retries
    words = "Error while handling api request for Graphql api for accountId"
    assert words in run.stderr and "java.lang.IllegalStateException" in run.stderr
    assert "java.lang.IllegalStateException" in run.deployment("smoke")["message"]
    assert ws.emulator.executions() == []


def community_fixture() -> dict[str, Any]:
    path = Path(harness_gate.emulator.__file__).parent / "fixtures" / "default.yaml"
    data: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["account"]["edition"] = "COMMUNITY"
    return data


@pytest.mark.parametrize("how", ["community-edition", "fault"])
def test_feature_not_enabled_is_explained(tmp_path: Path, how: str) -> None:
    fixtures = community_fixture() if how == "community-edition" else None
    with Emulator(fixtures=fixtures, time_scale=600, rate_limit=None) as emu:
        if how == "fault":
            emu.add_fault("feature_not_enabled", count=100)
        ws = Workspace(tmp_path, emu)
        run = ws.gate("run", str(ws.spec(lab_spec(SMOKE))))
    assert run.code == 5, run.stderr
    assert "Feature not enabled" in run.stderr
    assert "Community and Essentials editions" in run.stderr and "GraphQL API" in run.stderr
    assert "GraphQL API" in run.deployment("smoke")["message"]
    assert run.summary["error"] and "Community and Essentials" in run.summary["error"]


def test_the_lost_start_lookup_pages_on(ws: Workspace) -> None:
    """The gate's execution is not on the first page of the entity's recent executions: the
    lookup turns the page (pageInfo.hasMore) instead of judging the start lost."""
    emu = ws.emulator
    emu.add_fault("drop", match="startExecution", process=True)  # saved, the answer is lost
    # The first lookup waits 2 s at the server's door; meanwhile 120 newer runs appear.
    emu.add_fault("delay", match="executions", seconds=2)
    proc, junit, summary = ws.start("run", str(ws.spec(lab_spec(SMOKE))), log_to_file=True)
    end = time.monotonic() + 30
    while not emu.executions():
        assert proc.poll() is None and time.monotonic() < end, "the start never came"
        time.sleep(0.01)
    seed = ", ".join(
        f's{i}: startExecution(input: {{applicationId: "GateLabAppId00000000001", '
        f'entityId: "GateLabSmokeTestWf00001", executionType: WORKFLOW}}) {{ clientMutationId }}'
        for i in range(120)
    )
    graphql(ws, f"mutation Seed {{ {seed} }}", {})
    out, _ = proc.communicate(timeout=60)
    run = GateRun(proc.returncode, out, ws.stderr_path.read_text("utf-8"), junit, summary)
    assert run.code == 0, run.stderr
    assert operations(ws).count("StartExecutions") == 1
    offsets = sorted(
        v
        for r in requests_of(ws, "FindStartedExecutions")
        for k, v in r["variables"].items()
        if k.endswith("off")
    )
    assert offsets[:2] == [0, 100], "the second page was asked for"
    mine = [e for e in emu.executions() if "[harness-gate " in (e["notes"] or "")]
    assert len(mine) == 1
    assert run.deployment("smoke")["execution_id"] == mine[0]["id"]
    assert "found the execution the lost start created" in run.stderr


def test_waiting_on_200_executions_reads_them_in_chunks(ws: Workspace) -> None:
    seed = " ".join(
        f's{i}: startExecution(input: {{applicationId: "GateLabAppId00000000001", '
        f'entityId: "GateLabSmokeTestWf00001", executionType: WORKFLOW}}) '
        "{ execution { id } }"
        for i in range(MANY + 50)
    )
    data = graphql(ws, f"mutation Seed {{ {seed} }}", {})
    # An id that starts with "-" would read as an option: leave those out.
    every = [data[f"s{i}"]["execution"]["id"] for i in range(MANY + 50)]
    ids = [i for i in every if not i.startswith("-")][:MANY]
    run = ws.gate("wait", *ids, "--request-timeout", READ_TIMEOUT)
    assert run.code == 0, run.stderr
    reads = status_reads(ws)
    assert all(0 < len(chunk) <= READ_BATCH for chunk in reads)
    assert {i for chunk in reads for i in chunk} == set(ids)
    assert all(d["outcome"] == "success" for d in run.summary["deployments"])
