"""NextGen run lifecycle on the emulator clock: statuses, stages, failures, lists, 404 window."""

from __future__ import annotations

import pytest
from ng_helpers import Ng

from harness_gate.emulator import Emulator
from harness_gate.emulator.nextgen.statuses import DISPLAY_TO_ENGINE, FINAL


def test_a_run_goes_running_then_success_stage_by_stage(emu: Emulator, ng: Ng) -> None:
    plan = ng.start("failing_deploy")
    eid = plan["uuid"]
    assert ng.status(eid) == "Running"
    stages = ng.stages(eid)
    assert [s["status"] for s in stages.values()] == ["Running", "NotStarted", "NotStarted"]
    emu.advance(25)
    stages = ng.stages(eid)
    assert stages["build"]["status"] == "Success"
    assert stages["deploy"]["status"] == "Running"
    assert stages["build"]["endTs"] is not None
    emu.advance(40)
    summary = ng.summary(eid)
    assert summary["status"] == "Failed"
    assert summary["endTs"] is not None
    message = "Rollout of guestbook failed: 0 of 3 pods ready (CrashLoopBackOff)"
    assert summary["failureInfo"]["message"] == message
    deploy = ng.stages(eid)["deploy"]
    assert deploy["status"] == "Failed"
    assert deploy["failureInfoDTO"]["message"] == message
    assert ng.stages(eid)["verify"]["status"] == "NotStarted"
    assert summary["successfulStagesCount"] == 1
    assert summary["failedStagesCount"] == 1
    assert summary["totalStagesCount"] == 3


@pytest.mark.parametrize(
    ("pipeline", "seconds", "final"),
    [
        ("smoke_test", 21, "Success"),
        ("ignore_failed", 41, "IgnoreFailed"),
        ("skipped_run", 11, "Skipped"),
        ("suspended_run", 11, "Suspended"),
        ("failing_deploy", 61, "Failed"),
        ("erroring_deploy", 21, "Errored"),
        ("aborted_deploy", 31, "Aborted"),
        ("expiring_approval", 121, "Expired"),
        ("rejected_release", 51, "ApprovalRejected"),
        ("frozen_deploy", 6, "AbortedByFreeze"),
    ],
)
def test_every_terminal_status(
    emu: Emulator, ng: Ng, pipeline: str, seconds: int, final: str
) -> None:
    eid = ng.start(pipeline)["uuid"]
    assert ng.status(eid) not in FINAL
    emu.advance(seconds)
    assert ng.status(eid) == final
    rec = ng.record(eid)
    assert rec["engine_status"] == DISPLAY_TO_ENGINE[final]
    finished = ng.call(
        "PUT", f"/pipeline/execute/interrupt/{eid}", params=ng.scope(interruptType="AbortAll")
    )
    assert finished.json()["message"] == (
        f"Invalid request: Execution is already finished with status: [{DISPLAY_TO_ENGINE[final]}]"
    )


def test_ignore_failed_stage_keeps_its_failure_and_the_run_goes_on(emu: Emulator, ng: Ng) -> None:
    eid = ng.start("ignore_failed")["uuid"]
    emu.advance(25)
    stages = ng.stages(eid)
    assert stages["tests"]["status"] == "IgnoreFailed"
    assert stages["deploy"]["status"] == "Running"


def test_queued_then_resource_waiting_then_success(emu: Emulator, ng: Ng) -> None:
    plan = ng.start("queued_deploy")
    assert plan["status"] == "QUEUED"
    eid = plan["uuid"]
    assert ng.status(eid) == "Queued"
    emu.advance(61)
    assert ng.status(eid) == "ResourceWaiting"
    assert ng.stages(eid)["deploy"]["status"] == "ResourceWaiting"
    emu.advance(30)
    assert ng.status(eid) == "Running"
    emu.advance(31)
    assert ng.status(eid) == "Success"
    history = [h["status"] for h in ng.record(eid)["history"]]
    assert history == ["Queued", "ResourceWaiting", "Running", "Success"]


def test_a_brand_new_run_of_slow_to_appear_reads_404_twice(ng: Ng) -> None:
    eid = ng.start("slow_to_appear")["uuid"]
    for _ in range(2):
        response = ng.call("GET", f"/pipelines/execution/v2/{eid}")
        assert response.status_code == 404
        body = response.json()
        assert body["code"] == "ENTITY_NOT_FOUND"
        assert body["message"] == (
            f"Plan Execution Summary does not exist or has been deleted for planExecutionId: {eid}"
        )
    assert ng.status(eid) == "Running"


def test_execution_not_found_fault_hides_the_next_run(emu: Emulator, ng: Ng) -> None:
    emu.add_fault("execution_not_found", polls=1)
    eid = ng.start("smoke_test")["uuid"]
    listed = ng.ok("POST", "/pipelines/execution/summary", json={"filterType": "PipelineExecution"})
    assert listed["content"] == []
    assert ng.status(eid) == "Running"


def test_unknown_or_foreign_execution_is_404(ng: Ng) -> None:
    eid = ng.start("smoke_test")["uuid"]
    assert ng.call("GET", "/pipelines/execution/v2/nope").status_code == 404
    other = ng.call(
        "GET", f"/pipelines/execution/v2/{eid}", params=ng.scope(projectIdentifier="payments")
    )
    assert other.status_code == 404


def test_execution_list_filters_and_pages(emu: Emulator, ng: Ng) -> None:
    first = ng.start("smoke_test")["uuid"]
    emu.advance(30)
    second = ng.start("smoke_test")["uuid"]
    ng.start("long_running")
    body = {"filterType": "PipelineExecution"}
    everything = ng.ok("POST", "/pipelines/execution/summary", json=body)
    assert everything["totalElements"] == 3
    params = ng.scope(pipelineIdentifier="smoke_test", page=0, size=1)
    page = ng.ok("POST", "/pipelines/execution/summary", params=params, json=body)
    assert [e["planExecutionId"] for e in page["content"]] == [second]  # newest first
    assert page["totalPages"] == 2
    done = ng.ok(
        "POST",
        "/pipelines/execution/summary",
        params=ng.scope(status="SUCCESS"),
        json=body,
    )
    assert [e["planExecutionId"] for e in done["content"]] == [first]
    running = ng.ok("POST", "/pipelines/execution/summary", json={**body, "status": ["Running"]})
    assert len(running["content"]) == 2
    too_big = ng.call("POST", "/pipelines/execution/summary", params=ng.scope(size=1001), json=body)
    assert too_big.status_code == 400
    assert too_big.json()["status"] == "FAILURE"


def test_execution_summary_lists_only_finished_runs(emu: Emulator, ng: Ng) -> None:
    first = ng.start("smoke_test")["uuid"]
    emu.advance(30)
    ng.start("smoke_test")
    data = ng.ok(
        "POST",
        "/pipelines/execution/executionSummary",
        params=ng.scope(pipelineIdentifier="smoke_test"),
    )
    assert [(e["planExecutionId"], e["status"]) for e in data["content"]] == [(first, "Success")]


def test_execution_url(emu: Emulator, ng: Ng) -> None:
    eid = ng.start("smoke_test")["uuid"]
    url = ng.ok(
        "POST",
        "/pipelines/execution/url",
        params=ng.scope(pipelineIdentifier="smoke_test", planExecutionId=eid),
    )
    assert url == (
        f"{emu.base_url}/ng/#/account/{emu.account_id}/cd/orgs/default/projects/harness_gate"
        f"/pipelines/smoke_test/executions/{eid}/pipeline"
    )


def test_inputset_v2_returns_the_inputs_used(ng: Ng) -> None:
    eid = ng.start(
        "execution_input",
        "pipeline:\n  identifier: execution_input\n  stages:\n"
        "    - stage:\n        identifier: deploy\n        variables:\n"
        "          - name: tag\n            value: v7\n",
    )["uuid"]
    data = ng.ok("GET", f"/pipelines/execution/{eid}/inputsetV2")
    assert "value: v7" in data["inputSetYaml"]
    assert "<+input>.executionInput()" in data["inputSetTemplateYaml"]


def test_time_scale_runs_a_pipeline_fast() -> None:
    with Emulator(rate_limit=None, time_scale=1e6) as emu:
        ng = Ng(emu)
        eid = ng.start("smoke_test")["uuid"]
        assert ng.status(eid) == "Success"


def test_summary_status_can_trail_the_stages(emu: Emulator, ng: Ng) -> None:
    eid = ng.start("lagging_status")["uuid"]
    emu.advance(22)
    summary = ng.summary(eid)
    deploy = next(iter(summary["layoutNodeMap"].values()))
    assert deploy["status"] == "Failed"
    assert summary["status"] == "Running"
    assert summary["endTs"] is None
    emu.advance(5)
    assert ng.status(eid) == "Failed"
