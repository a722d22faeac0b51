"""Executions move through the real statuses on the emulator clock; approvals and aborts."""

from __future__ import annotations

import time
from typing import Any

from emulator_helpers import (
    DEMO_APP,
    K8S_ROLLING,
    K8S_VARIABLES,
    PL,
    WF,
    Client,
    guestbook_artifact,
)

from harness_gate.emulator import Emulator

APPROVALS = """
query($app: String!, $id: String!) {
  approvalDetails(applicationId: $app, executionId: $id) {
    approvalDetails {
      approvalId approvalType stepName stageName startedAt willExpireAt
      triggeredBy { name }
      ... on UserGroupApprovalDetails { approvers executionId variables { name value } }
    }
  }
}
"""

DECIDE = """
mutation($input: ApproveOrRejectApprovalsInput!) {
  approveOrRejectApprovals(input: $input) { success clientMutationId }
}
"""


def _approvals(client: Client, execution_id: str) -> list[dict[str, Any]]:
    body = client.gql(APPROVALS, {"app": DEMO_APP, "id": execution_id})
    assert "errors" not in body, body
    details: list[dict[str, Any]] = body["data"]["approvalDetails"]["approvalDetails"]
    return details


def _decide(
    client: Client, execution_id: str, approval_id: str, action: str, **extra: Any
) -> dict[str, Any]:
    inp = {
        "executionId": execution_id,
        "approvalId": approval_id,
        "action": action,
        "applicationId": DEMO_APP,
        **extra,
    }
    return client.gql(DECIDE, {"input": inp})


def test_workflow_goes_preparing_queued_running_success(client: Client, emu: Emulator) -> None:
    execution = client.start(K8S_ROLLING, variables=K8S_VARIABLES, services=guestbook_artifact())
    eid = execution["id"]
    assert client.execution(eid)["status"] is None
    emu.advance(5.5)
    assert client.execution(eid)["status"] == "QUEUED"
    emu.advance(5)
    running = client.execution(eid)
    assert running["status"] == "RUNNING"
    assert running["startedAt"] == execution["createdAt"] + 10_000
    assert running["endedAt"] is None
    emu.advance(120)
    done = client.execution(eid)
    assert done["status"] == "SUCCESS"
    assert done["endedAt"] == running["startedAt"] + 120_000
    assert done["failureDetails"] is None
    (record,) = emu.executions()
    assert [h["status"] for h in record["history"]] == [None, "QUEUED", "RUNNING", "SUCCESS"]
    assert record["ended_at"] == done["endedAt"] and record["aborted"] is False


def test_failed_errored_and_aborted_outcomes(client: Client, emu: Emulator) -> None:
    failing = client.start(WF["Failing Deployment"])["id"]
    erroring = client.start(WF["Erroring Deployment"])["id"]
    aborted = client.start(WF["Aborted Deployment"])["id"]
    emu.advance(50)
    failed = client.execution(failing)
    assert failed["status"] == "FAILED"
    assert failed["failureDetails"] == (
        "Rollout of guestbook failed: 0 of 3 pods ready (CrashLoopBackOff) after 40s"
    )
    assert client.execution(erroring)["status"] == "ERROR"
    assert client.execution(erroring)["failureDetails"] is None
    assert client.execution(aborted)["status"] == "ABORTED"


def test_auto_approved_workflow(client: Client, emu: Emulator) -> None:
    eid = client.start(WF["Approved Deployment"])["id"]
    emu.advance(5)
    assert client.status(eid) == "RUNNING"
    assert _approvals(client, eid) == []
    emu.advance(10)
    assert client.status(eid) == "PAUSED"
    (approval,) = _approvals(client, eid)
    assert approval["approvalType"] == "USER_GROUP"
    assert approval["stepName"] == "Approve deployment"
    assert approval["stageName"] is None
    assert approval["approvers"] == ["Release Managers"]
    assert approval["executionId"] == eid
    assert isinstance(approval["startedAt"], str)  # Long goes out as a string
    assert int(approval["willExpireAt"]) - int(approval["startedAt"]) == 600_000
    emu.advance(30)
    assert client.status(eid) == "RUNNING"
    emu.advance(30)
    assert client.status(eid) == "SUCCESS"


def test_auto_rejected_and_expired_workflows(client: Client, emu: Emulator) -> None:
    rejected = client.start(WF["Rejected Deployment"])["id"]
    expiring = client.start(WF["Expiring Deployment"])["id"]
    emu.advance(45)
    assert client.execution(rejected)["status"] == "REJECTED"
    assert client.execution(rejected)["failureDetails"] is None  # only FAILED workflows have it
    assert client.status(expiring) == "PAUSED"
    emu.advance(90)
    assert client.status(expiring) == "EXPIRED"
    assert client.execution(expiring)["endedAt"] is not None


def test_approve_through_the_api(client: Client, emu: Emulator) -> None:
    eid = client.start(WF["Manual Approval Deployment"])["id"]
    emu.advance(6)
    (approval,) = _approvals(client, eid)
    assert approval["variables"] == [{"name": "comment", "value": ""}]
    body = _decide(
        client,
        eid,
        approval["approvalId"],
        "APPROVE",
        comments="ok",
        clientMutationId="m1",
        variableInputs=[{"name": "comment", "value": "ship it"}],
    )
    assert body == {
        "data": {"approveOrRejectApprovals": {"success": True, "clientMutationId": "m1"}}
    }
    assert client.status(eid) == "RUNNING"
    assert _approvals(client, eid) == []
    emu.advance(26)
    assert client.status(eid) == "SUCCESS"
    # Nothing is waiting any more.
    body = _decide(client, eid, approval["approvalId"], "APPROVE")
    assert body["errors"][0]["message"] == (
        "Exception while fetching data (/approveOrRejectApprovals) : Invalid argument(s): "
        f"No Workflow execution [{eid}] waiting for approval id: {approval['approvalId']}"
    )


def test_reject_through_the_api(client: Client, emu: Emulator) -> None:
    eid = client.start(WF["Manual Approval Deployment"])["id"]
    emu.advance(6)
    (approval,) = _approvals(client, eid)
    assert _decide(client, eid, approval["approvalId"], "REJECT")["data"][
        "approveOrRejectApprovals"
    ]["success"]
    execution = client.execution(eid)
    assert execution["status"] == "REJECTED" and execution["endedAt"] is not None


def test_approval_errors(client: Client, emu: Emulator) -> None:
    eid = client.start(WF["Manual Approval Deployment"])["id"]
    jira = client.start(WF["Jira Gated Deployment"])["id"]
    emu.advance(6)
    (approval,) = _approvals(client, eid)
    prefix = "Exception while fetching data (/approveOrRejectApprovals) : "

    def error(execution_id: str, approval_id: str, **extra: Any) -> str:
        body = _decide(client, execution_id, approval_id, "APPROVE", **extra)
        assert body["data"] == {"approveOrRejectApprovals": None}
        message = body["errors"][0]["message"]
        assert message.startswith(prefix)
        return str(message[len(prefix) :])

    assert error("nope", "x") == "Invalid request: Execution does not exist or access is denied"
    assert error(eid, "wrong") == (
        f"Invalid argument(s): No Workflow execution [{eid}] waiting for approval id: wrong"
    )
    assert error(eid, approval["approvalId"], variableInputs=[{"name": "nope", "value": "1"}]) == (
        'Invalid request: Variable with name "nope" not present'
    )
    (jira_approval,) = _approvals(client, jira)
    assert jira_approval["approvalType"] == "JIRA"
    assert error(jira, jira_approval["approvalId"]) == "JIRA Approval Type not supported"
    body = client.gql(APPROVALS, {"app": "bogus", "id": eid})
    assert body["errors"][0]["message"].endswith("User not authorized: ACCESS_DENIED")


def test_pipeline_stages_advance(client: Client, emu: Emulator) -> None:
    eid = client.start(PL["Release Pipeline"], "PIPELINE")["id"]
    emu.advance(10)
    execution = client.execution(eid)
    assert execution["status"] == "RUNNING"
    assert execution["pipeline"] == {"id": PL["Release Pipeline"], "name": "Release Pipeline"}
    stages = execution["pipelineStageExecutions"]
    assert [s["pipelineStageName"] for s in stages] == ["QA", "Approve release", "Staging"]
    assert [s["status"] for s in stages] == ["RUNNING", "QUEUED", "QUEUED"]
    assert stages[0]["workflowExecutionId"] and stages[2]["workflowExecutionId"] is None
    assert stages[1]["approvalStepType"] == "USER_GROUP"
    emu.advance(30)
    execution = client.execution(eid)
    assert execution["status"] == "PAUSED"
    assert [s["status"] for s in execution["pipelineStageExecutions"]] == [
        "SUCCESS",
        "PAUSED",
        "QUEUED",
    ]
    (approval,) = _approvals(client, eid)
    assert approval["stageName"] == "Approve release" and approval["stepName"] == "Release approval"
    emu.advance(30)
    execution = client.execution(eid)
    assert execution["status"] == "RUNNING"
    assert [s["status"] for s in execution["pipelineStageExecutions"]] == [
        "SUCCESS",
        "SUCCESS",
        "RUNNING",
    ]
    emu.advance(46)
    execution = client.execution(eid)
    assert execution["status"] == "SUCCESS"
    assert execution["endedAt"] == execution["startedAt"] + 105_000


def test_pipeline_stage_workflow_executions(client: Client, emu: Emulator) -> None:
    eid = client.start(PL["Release Pipeline"], "PIPELINE")["id"]
    emu.advance(10)
    child_id = client.execution(eid)["pipelineStageExecutions"][0]["workflowExecutionId"]
    q = """query($id: String!) {
      execution(executionId: $id) {
        id status executionUrl
        cause { ... on ExecutedAlongPipeline { execution { id } } }
        ... on WorkflowExecution { workflow { name } }
      }
    }"""
    child = client.gql(q, {"id": child_id})["data"]["execution"]
    assert child["status"] == "RUNNING"
    assert child["workflow"] == {"name": "Smoke Test"}
    assert child["cause"] == {"execution": {"id": eid}}
    assert child["executionUrl"].endswith(
        f"pipeline-execution/{eid}/workflow-execution/{child_id}/details"
    )
    members = client.gql(
        "query($id: String!) { execution(executionId: $id) { "
        "... on PipelineExecution { memberExecutions { nodes { id } } } } }",
        {"id": eid},
    )["data"]["execution"]["memberExecutions"]["nodes"]
    assert members == [{"id": child_id}]
    listing = (
        "query($f: [ExecutionFilter], $i: Boolean) { executions(filters: $f, "
        "includeIndirectExecutions: $i, limit: 10) { nodes { id } } }"
    )
    direct = client.gql(listing, {})["data"]["executions"]["nodes"]
    assert direct == [{"id": eid}]
    indirect = client.gql(listing, {"i": True})["data"]["executions"]["nodes"]
    assert {n["id"] for n in indirect} == {eid, child_id}
    by_parent = client.gql(
        listing, {"f": [{"pipelineExecutionId": {"operator": "EQUALS", "values": [eid]}}]}
    )["data"]["executions"]["nodes"]
    assert by_parent == [{"id": child_id}]


def test_rejected_and_failed_pipelines_carry_failure_details(client: Client, emu: Emulator) -> None:
    rejected = client.start(PL["Rejected Release"], "PIPELINE")["id"]
    failing = client.start(PL["Failing Pipeline"], "PIPELINE")["id"]
    emu.advance(80)
    execution = client.execution(rejected)
    assert execution["status"] == "REJECTED"
    assert execution["failureDetails"] == "Rejected by Release Managers: change window closed"
    assert [s["status"] for s in execution["pipelineStageExecutions"]] == [
        "SUCCESS",
        "REJECTED",
        "QUEUED",
    ]
    execution = client.execution(failing)
    assert execution["status"] == "FAILED"
    assert execution["failureDetails"].startswith("Rollout of guestbook failed")
    assert [s["status"] for s in execution["pipelineStageExecutions"]] == ["SUCCESS", "FAILED"]


def test_pipeline_preparing_status_is_null(client: Client, emu: Emulator) -> None:
    services = [
        {
            "name": "fargate-nginx",
            "artifactValueInput": {
                "valueType": "BUILD_NUMBER",
                "buildNumber": {"artifactSourceName": "library_nginx", "buildNumber": "1.10.1"},
            },
        }
    ]
    eid = client.start(PL["Fargate Production"], "PIPELINE", services=services)["id"]
    assert client.status(eid) is None
    emu.advance(11)
    assert client.status(eid) == "RUNNING"


def test_abort_really_aborts(client: Client, emu: Emulator) -> None:
    eid = client.start(WF["Long Running Deployment"])["id"]
    emu.advance(60)
    response = client.abort(eid)
    assert response.status_code == 200
    envelope = response.json()
    assert envelope["responseMessages"] == [] and envelope["metaData"] is None
    assert envelope["resource"]["executionUuid"] == eid
    assert envelope["resource"]["executionInterruptType"] == "ABORT_ALL"
    execution = client.execution(eid)
    assert execution["status"] == "ABORTED"
    assert execution["endedAt"] is not None
    emu.advance(4 * 3600)
    assert client.status(eid) == "ABORTED"
    assert emu.executions()[0]["aborted"] is True
    second = client.abort(eid)
    assert second.status_code == 400
    assert second.json()["responseMessages"][0]["code"] == "ABORT_ALL_ALREADY"
    assert second.json()["responseMessages"][0]["message"] == "Execution has already been aborted."


def test_abort_refusals(client: Client, emu: Emulator) -> None:
    done = client.start(WF["Smoke Test"])["id"]
    emu.advance(31)
    response = client.abort(done, prefix="")  # /api/executions/... works too
    assert response.status_code == 400
    (message,) = response.json()["responseMessages"]
    assert message["code"] == "INVALID_REQUEST"
    assert (
        message["message"] == "Invalid request: Workflow execution [Smoke Test] already completed."
    )
    for execution_id, app in (("nope", DEMO_APP), (done, "otherApp")):
        response = client.abort(execution_id, app_id=app)
        assert response.status_code == 400
        assert response.json()["responseMessages"][0]["message"] == "WorkflowExecution"
    response = client.abort(done, body={"executionInterruptType": "PAUSE_ALL"})
    assert response.status_code == 400


def test_abort_while_preparing_and_while_waiting(client: Client, emu: Emulator) -> None:
    preparing = client.start(K8S_ROLLING, variables=K8S_VARIABLES, services=guestbook_artifact())[
        "id"
    ]
    assert client.abort(preparing).status_code == 200
    execution = client.execution(preparing)
    assert execution["status"] == "ABORTED" and execution["startedAt"] is None
    waiting = client.start(PL["Release Pipeline"], "PIPELINE")["id"]
    emu.advance(40)
    assert client.status(waiting) == "PAUSED"
    assert client.abort(waiting).status_code == 200
    assert client.status(preparing) == "ABORTED"
    execution = client.execution(waiting)
    assert execution["status"] == "ABORTED"
    assert [s["status"] for s in execution["pipelineStageExecutions"]] == [
        "SUCCESS",
        "ABORTED",
        "QUEUED",
    ]
    assert _approvals(client, waiting) == []


def test_time_scale_makes_minutes_pass_in_milliseconds() -> None:
    with Emulator(time_scale=600, rate_limit=None) as emu:
        client = Client(emu)
        eid = client.start(WF["Smoke Test"])["id"]  # 30 s of emulator time = 50 ms
        deadline = time.monotonic() + 2.0
        seen = []
        while time.monotonic() < deadline:
            seen.append(client.status(eid))
            if seen[-1] == "SUCCESS":
                break
            time.sleep(0.01)
        assert seen[-1] == "SUCCESS"
        assert seen[0] == "RUNNING"
        clock = emu.now()
        time.sleep(0.05)
        assert 20 <= emu.now() - clock <= 120  # ~30 emulator seconds per 50 ms
