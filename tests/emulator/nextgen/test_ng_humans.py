"""Approvals, execution-time inputs and manual interventions of NextGen runs."""

from __future__ import annotations

from typing import Any

import requests
from ng_helpers import Ng

from harness_gate.emulator import Emulator


def _approvals(ng: Ng, eid: str, **params: Any) -> requests.Response:
    return ng.call(
        "GET",
        f"/v1/orgs/{ng.org}/projects/{ng.project}/approvals/execution/{eid}",
        params=params,
        headers=ng.headers(),
    )


def _decide_v1(ng: Ng, eid: str, action: str, **params: Any) -> requests.Response:
    return ng.call(
        "POST",
        f"/v1/orgs/{ng.org}/projects/{ng.project}/approvals/execution/{eid}",
        params=params,
        headers=ng.headers(),
        json={"action": action, "comments": "looks good"},
    )


def test_approval_waits_then_v1_approve_lets_the_run_finish(emu: Emulator, ng: Ng) -> None:
    eid = ng.start("release_approval")["uuid"]
    emu.advance(31)
    assert ng.status(eid) == "ApprovalWaiting"
    assert ng.stages(eid)["approve_release"]["status"] == "ApprovalWaiting"
    waiting = _approvals(ng, eid, approval_status="WAITING")
    assert waiting.status_code == 200
    (item,) = waiting.json()  # a bare JSON array, no envelope
    assert item["type"] == "HarnessApproval"
    assert item["status"] == "WAITING"
    assert item["details"]["approval_message"] == "Release guestbook to prod?"
    graph = ng.ok(
        "GET", f"/pipelines/execution/v2/{eid}", params=ng.scope(renderFullBottomGraph="true")
    )["executionGraph"]
    steps = [n for n in graph["nodeMap"].values() if n["stepType"] == "HarnessApproval"]
    assert steps[0]["executableResponses"][0]["async"]["callbackIds"] == [item["id"]]
    response = _decide_v1(ng, eid, "APPROVE", callback_id=item["id"])
    assert response.status_code == 200
    assert ng.status(eid) == "Running"
    assert _approvals(ng, eid, approval_status="WAITING").json() == []
    (done,) = _approvals(ng, eid).json()
    assert done["status"] == "APPROVED"
    emu.advance(46)
    assert ng.status(eid) == "Success"


def test_v0_reject_ends_approval_rejected(emu: Emulator, ng: Ng) -> None:
    eid = ng.start("release_approval")["uuid"]
    emu.advance(31)
    (item,) = _approvals(ng, eid).json()
    instance = ng.ok("GET", f"/approvals/{item['id']}", params={"accountIdentifier": ng.account})
    assert instance["status"] == "WAITING"
    assert instance["details"]["approvers"]["minimumCount"] == 1
    data = ng.ok(
        "POST",
        f"/approvals/{item['id']}/harness/activity",
        params={"accountIdentifier": ng.account},
        json={"action": "REJECT", "comments": "not today"},
    )
    assert data["status"] == "REJECTED"
    assert data["details"]["approvalActivities"][0]["action"] == "REJECT"
    summary = ng.summary(eid)
    assert summary["status"] == "ApprovalRejected"
    assert ng.stages(eid)["prod"]["status"] == "NotStarted"
    again = _decide_v1(ng, eid, "APPROVE")
    assert again.status_code == 400
    assert (
        "Found no Harness Approval Instance waiting for pipeline execution id"
        in (again.json()["message"])
    )


def test_a_service_account_cannot_approve(emu: Emulator, ng: Ng) -> None:
    eid = ng.start("release_approval")["uuid"]
    emu.advance(31)
    sat = Ng(emu, token=emu.ng_env()["HARNESS_NG_SAT_API_KEY"])
    response = _decide_v1(sat, eid, "APPROVE")
    assert response.status_code == 400
    assert response.json()["message"] == (
        "Invalid request: SERVICE_ACCOUNT is not supported for Harness Approval Step yet"
    )
    assert ng.status(eid) == "ApprovalWaiting"


def test_the_executor_cannot_approve_a_four_eyes_release(emu: Emulator, ng: Ng) -> None:
    eid = ng.start("four_eyes_release")["uuid"]
    response = _decide_v1(ng, eid, "APPROVE")
    assert response.status_code == 400
    assert response.json()["message"] == (
        "Invalid request: Pipeline executor is not allowed to approve/reject"
    )
    # A human approves through the control API.
    decided = ng.http.post(
        emu.base_url + "/_emulator/nextgen/decide",
        json={"execution_id": eid, "action": "approve"},
        timeout=10,
    )
    assert decided.status_code == 200, decided.text
    assert decided.json()["kind"] == "approval"
    assert ng.status(eid) == "Running"


def test_v1_approvals_need_the_harness_account_header(emu: Emulator, ng: Ng) -> None:
    eid = ng.start("release_approval")["uuid"]
    response = ng.call(
        "GET",
        f"/v1/orgs/{ng.org}/projects/{ng.project}/approvals/execution/{eid}",
        params={"accountIdentifier": ng.account},
        headers={"x-api-key": ng.token},
    )
    assert response.status_code == 400
    assert response.json()["message"] == "Invalid request: harnessAccount param value is required"


def test_unattended_approval_expires(emu: Emulator, ng: Ng) -> None:
    eid = ng.start("expiring_approval")["uuid"]
    emu.advance(60)
    assert ng.status(eid) == "ApprovalWaiting"
    emu.advance(61)
    assert ng.status(eid) == "Expired"
    (item,) = _approvals(ng, eid).json()
    assert item["status"] == "EXPIRED"


def test_execution_input_waits_until_submitted(emu: Emulator, ng: Ng) -> None:
    eid = ng.start("execution_input")["uuid"]
    assert ng.status(eid) == "InputWaiting"
    deploy = ng.stages(eid)["deploy"]
    assert deploy["status"] == "InputWaiting"
    assert deploy["executionInputConfigured"] is True
    (waiting,) = ng.record(eid)["waiting"]
    template = ng.ok("GET", f"/pipeline/execution-input/{waiting['id']}")
    assert "pipeline.stages.deploy.variables.tag.value" in template["inputTemplate"]
    submitted = ng.ok(
        "POST",
        f"/pipeline/execution-input/{waiting['id']}",
        headers=ng.headers(**{"Content-Type": "application/yaml"}),
        data=b"tag: v9\n",
    )
    assert submitted is True
    assert ng.status(eid) == "Running"
    assert ng.record(eid)["execution_inputs"][0]["yaml"] == "tag: v9\n"
    emu.advance(41)
    assert ng.status(eid) == "Success"


def test_execution_input_given_at_start_does_not_wait(ng: Ng) -> None:
    text = (
        "pipeline:\n  identifier: execution_input\n  stages:\n    - stage:\n"
        "        identifier: deploy\n        variables:\n          - name: tag\n"
        "            value: v1\n"
    )
    eid = ng.start("execution_input", text)["uuid"]
    assert ng.status(eid) == "Running"


def test_manual_intervention_mark_as_success(emu: Emulator, ng: Ng) -> None:
    eid = ng.start("manual_intervention")["uuid"]
    emu.advance(11)
    assert ng.status(eid) == "InterventionWaiting"
    (waiting,) = ng.record(eid)["waiting"]
    response = ng.call(
        "PUT",
        f"/pipeline/execute/manualIntervention/interrupt/{eid}/{waiting['id']}",
        params=ng.scope(interruptType="MarkAsSuccess"),
    )
    assert response.status_code == 200, response.text
    assert response.json()["data"]["type"] == "MarkAsSuccess"
    assert ng.status(eid) == "Success"


def test_manual_intervention_through_the_python_api(emu: Emulator, ng: Ng) -> None:
    eid = ng.start("manual_intervention")["uuid"]
    emu.advance(11)
    emu.nextgen.decide(eid, "MarkAsFailure")
    assert ng.status(eid) == "Failed"
