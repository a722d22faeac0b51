"""Pipeline stages that pause for runtime inputs, pipelineResumeRuntime, and the three PAUSEDs."""

from __future__ import annotations

from typing import Any, Optional

from emulator_helpers import DEMO_APP, PL, WF, Client

from harness_gate.emulator import Emulator

LAB = "GateLabAppId00000000001"
RUNTIME = "GateLabRuntimeInputsPl1"
RUNTIME_SERVICE = "GateLabRuntimeServicePl"
PAUSED_RELEASE = "GateLabPausedReleasePl1"
GATED_RELEASE = "GateLabGatedReleasePl01"
MANUAL_PAUSE_WF = "GateLabManualPauseWf001"

STAGES = """
query Stages($id: String!) {
  execution(executionId: $id) {
    id
    status
    ... on PipelineExecution {
      pipelineStageExecutions {
        pipelineStageElementId
        pipelineStageName
        ... on ApprovalStageExecution { status approvalStepType }
        ... on WorkflowStageExecution {
          status
          workflowExecutionId
          runtimeInputVariables { name type required allowedValues defaultValue fixed }
          inputVariables { name value }
        }
      }
    }
  }
}
"""

RESUME = """
mutation Resume($input: RuntimeExecutionInputsToResumePipeline!) {
  pipelineResumeRuntime(input: $input) { clientMutationId status }
}
"""

APPROVALS = """
query Approvals($app: String!, $id: String!) {
  approvalDetails(applicationId: $app, executionId: $id) { approvalDetails { approvalId } }
}
"""


def _stages(client: Client, execution_id: str) -> dict[str, Any]:
    body = client.gql(STAGES, {"id": execution_id})
    assert "errors" not in body, body
    execution: dict[str, Any] = body["data"]["execution"]
    return execution


def _resume(
    client: Client,
    execution_id: str,
    stage_id: str,
    variables: Optional[dict[str, str]] = None,
    services: Optional[list[dict[str, Any]]] = None,
) -> dict[str, Any]:
    inp: dict[str, Any] = {
        "applicationId": LAB,
        "pipelineExecutionId": execution_id,
        "pipelineStageElementId": stage_id,
        "clientMutationId": "r1",
    }
    if variables is not None:
        inp["variableInputs"] = [
            {"name": k, "variableValue": {"type": "NAME", "value": v}} for k, v in variables.items()
        ]
    if services is not None:
        inp["serviceInputs"] = services
    return client.gql(RESUME, {"input": inp})


def _error(body: dict[str, Any]) -> str:
    assert body["data"] == {"pipelineResumeRuntime": None}, body
    (error,) = body["errors"]
    prefix = "Exception while fetching data (/pipelineResumeRuntime) : "
    assert error["message"].startswith(prefix)
    return str(error["message"][len(prefix) :])


def _record(emu: Emulator, execution_id: str) -> dict[str, Any]:
    return next(e for e in emu.executions() if e["id"] == execution_id)


def test_a_runtime_stage_pauses_for_inputs_and_resumes(client: Client, emu: Emulator) -> None:
    execution_id = client.start(RUNTIME, "PIPELINE", app_id=LAB)["id"]
    emu.advance(31)  # QA (30 s) is done, Deploy region waits
    execution = _stages(client, execution_id)
    assert execution["status"] == "PAUSED"
    qa, deploy = execution["pipelineStageExecutions"]
    assert qa["status"] == "SUCCESS" and qa["runtimeInputVariables"] is None
    assert deploy["status"] == "PAUSED"
    assert deploy["workflowExecutionId"] is None
    assert deploy["runtimeInputVariables"] == [
        {
            "name": "region",
            "type": "Text",
            "required": True,
            "allowedValues": ["us-east-1", "eu-west-1"],
            "defaultValue": None,
            "fixed": False,
        },
        {
            "name": "replicas",
            "type": "Text",
            "required": False,
            "allowedValues": None,
            "defaultValue": "3",
            "fixed": False,
        },
    ]
    assert _record(emu, execution_id)["waiting_for"] == "inputs"
    assert client.gql(APPROVALS, {"app": LAB, "id": execution_id})["data"] == {
        "approvalDetails": {"approvalDetails": []}
    }
    stage_id = deploy["pipelineStageElementId"]

    assert _error(_resume(client, execution_id, stage_id)) == (
        "Invalid request: Value not provided for required variable: [region]"
    )
    assert _error(_resume(client, execution_id, stage_id, {"region": "ap-south-1"})) == (
        "Invalid request: Variable region can only take values [us-east-1, eu-west-1]"
    )
    assert _error(_resume(client, execution_id, "nope", {"region": "eu-west-1"})) == (
        "Invalid request: No stage found for the given pipeline stage ID nope"
    )
    body = _resume(client, execution_id, stage_id, {"region": "eu-west-1", "replicas": "5"})
    assert body == {"data": {"pipelineResumeRuntime": {"clientMutationId": "r1", "status": True}}}

    execution = _stages(client, execution_id)
    deploy = execution["pipelineStageExecutions"][1]
    assert execution["status"] == "RUNNING" and deploy["status"] == "RUNNING"
    assert deploy["runtimeInputVariables"] is None
    assert deploy["workflowExecutionId"] is not None
    assert {"name": "region", "value": "eu-west-1"} in deploy["inputVariables"]
    assert {"name": "replicas", "value": "5"} in deploy["inputVariables"]
    # Not waiting any more: the server's continuePipelineStage answers false.
    again = _resume(client, execution_id, stage_id, {"region": "eu-west-1"})
    assert again["data"]["pipelineResumeRuntime"]["status"] is False
    emu.advance(61)
    assert client.status(execution_id) == "SUCCESS"
    history = [h["status"] for h in _record(emu, execution_id)["history"]]
    assert history == ["RUNNING", "PAUSED", "RUNNING", "SUCCESS"]


def test_continue_with_default_values_does_not_pause(client: Client, emu: Emulator) -> None:
    execution_id = client.start(RUNTIME, "PIPELINE", app_id=LAB, continueWithDefaultValues=True)[
        "id"
    ]
    emu.advance(31)
    deploy = _stages(client, execution_id)["pipelineStageExecutions"][1]
    assert deploy["status"] == "RUNNING" and deploy["runtimeInputVariables"] is None
    assert _record(emu, execution_id)["continue_with_defaults"] is True
    emu.advance(61)
    assert client.status(execution_id) == "SUCCESS"


def test_runtime_inputs_time_out(client: Client, emu: Emulator) -> None:
    execution_id = client.start(RUNTIME, "PIPELINE", app_id=LAB)["id"]
    emu.advance(30 + 1800 + 1)  # the stage's 30 min, END_EXECUTION
    execution = _stages(client, execution_id)
    assert execution["status"] == "EXPIRED"
    assert execution["pipelineStageExecutions"][1]["status"] == "EXPIRED"
    assert execution["pipelineStageExecutions"][1]["workflowExecutionId"] is None


def test_runtime_variables_are_not_required_at_start(client: Client) -> None:
    # region is required but a runtime input; strategy is fixed, which only workflows check.
    execution = client.start(
        RUNTIME, "PIPELINE", app_id=LAB, variables={"ticket": "CHG-1", "strategy": "blue-green"}
    )
    assert execution["status"] == "RUNNING"


def test_resume_needs_the_services_the_inputs_choose(client: Client, emu: Emulator) -> None:
    execution_id = client.start(RUNTIME_SERVICE, "PIPELINE", app_id=LAB)["id"]
    deploy = _stages(client, execution_id)["pipelineStageExecutions"][0]
    assert deploy["status"] == "PAUSED"
    assert [v["name"] for v in deploy["runtimeInputVariables"]] == ["svc"]
    stage_id = deploy["pipelineStageElementId"]
    assert _error(_resume(client, execution_id, stage_id, {"svc": "guestbook-ci"})) == (
        "Invalid request: Services requires but no service was provided"
    )
    wrong = [
        {
            "name": "guestbook-ci",
            "artifactValueInput": {
                "valueType": "BUILD_NUMBER",
                "buildNumber": {"artifactSourceName": "jenkins-guestbook", "buildNumber": "9"},
            },
        }
    ]
    assert _error(_resume(client, execution_id, stage_id, {"svc": "guestbook-ci"}, wrong)) == (
        "Cannot find or collect artifact for specified Build Number: 9"
    )
    assert _error(_resume(client, execution_id, stage_id, {"svc": "nope"}, wrong)) == (
        f"Service [nope] doesn't exist in specified application {LAB}"
    )
    good = [
        {
            "name": "guestbook-ci",
            "artifactValueInput": {
                "valueType": "BUILD_NUMBER",
                "buildNumber": {"artifactSourceName": "jenkins-guestbook", "buildNumber": "100"},
            },
        }
    ]
    body = _resume(client, execution_id, stage_id, {"svc": "guestbook-ci"}, good)
    assert body["data"]["pipelineResumeRuntime"]["status"] is True
    child = _stages(client, execution_id)["pipelineStageExecutions"][0]["workflowExecutionId"]
    q = (
        "query($id: String!) { execution(executionId: $id) "
        "{ ... on WorkflowExecution { artifacts { buildNo } } } }"
    )
    assert client.gql(q, {"id": child})["data"]["execution"]["artifacts"] == [{"buildNo": "100"}]


def test_resume_checks_the_execution(client: Client, emu: Emulator) -> None:
    workflow_run = client.start(MANUAL_PAUSE_WF, app_id=LAB)["id"]
    assert _error(_resume(client, "nope", "x")) == (
        f"No execution found for the given application {LAB}"
    )
    assert _error(_resume(client, workflow_run, "x")) == "Pipeline does not exist"
    assert _error(_resume(client, " ", "x")) == "Invalid request: Invalid pipeline execution"


def test_three_kinds_of_paused_are_told_apart(client: Client, emu: Emulator) -> None:
    approval = client.start(GATED_RELEASE, "PIPELINE", app_id=LAB)["id"]
    manual = client.start(PAUSED_RELEASE, "PIPELINE", app_id=LAB)["id"]
    inputs = client.start(RUNTIME, "PIPELINE", app_id=LAB)["id"]
    manual_wf = client.start(MANUAL_PAUSE_WF, app_id=LAB)["id"]
    emu.advance(31)
    waiting = {e["id"]: e["waiting_for"] for e in emu.executions()}
    assert waiting == {
        approval: "approval",
        manual: "manual",
        inputs: "inputs",
        manual_wf: "manual",
    }
    # Over the API: an approval stage, a workflow stage with its run paused and no runtime
    # variables, a workflow stage without a run that lists runtime variables.
    gate = _stages(client, approval)
    assert gate["status"] == "PAUSED"
    assert gate["pipelineStageExecutions"][1] == {
        "pipelineStageElementId": gate["pipelineStageExecutions"][1]["pipelineStageElementId"],
        "pipelineStageName": "Approve",
        "status": "PAUSED",
        "approvalStepType": "USER_GROUP",
    }
    assert (
        len(
            client.gql(APPROVALS, {"app": LAB, "id": approval})["data"]["approvalDetails"][
                "approvalDetails"
            ]
        )
        == 1
    )
    paused = _stages(client, manual)
    stage = paused["pipelineStageExecutions"][0]
    assert paused["status"] == "PAUSED" and stage["status"] == "PAUSED"
    assert stage["workflowExecutionId"] is not None and stage["runtimeInputVariables"] == []
    assert client.status(stage["workflowExecutionId"]) == "PAUSED"
    assert client.gql(APPROVALS, {"app": LAB, "id": manual})["data"]["approvalDetails"] == {
        "approvalDetails": []
    }
    waiting_inputs = _stages(client, inputs)["pipelineStageExecutions"][1]
    assert waiting_inputs["workflowExecutionId"] is None and waiting_inputs["runtimeInputVariables"]
    # The manual pause ends by itself (resume_after) and the runs go on.
    emu.advance(60)
    assert client.status(manual) == "RUNNING" and client.status(manual_wf) == "RUNNING"
    emu.advance(31)
    assert client.status(manual) == "SUCCESS" and client.status(manual_wf) == "SUCCESS"


def test_abort_while_waiting_for_inputs(client: Client, emu: Emulator) -> None:
    execution_id = client.start(RUNTIME, "PIPELINE", app_id=LAB)["id"]
    emu.advance(31)
    assert client.abort(execution_id, app_id=LAB).status_code == 200
    execution = _stages(client, execution_id)
    assert execution["status"] == "ABORTED"
    assert execution["pipelineStageExecutions"][1]["status"] == "ABORTED"


def _interrupt(client: Client, execution_id: str, kind: str, app: str = DEMO_APP) -> None:
    response = client.abort(execution_id, app_id=app, body={"executionInterruptType": kind})
    assert response.status_code == 200, response.text
    assert response.json()["resource"]["executionInterruptType"] == kind


def test_pause_all_and_resume_all(client: Client, emu: Emulator) -> None:
    execution_id = client.start(WF["Smoke Test"])["id"]  # 30 s
    emu.advance(10)
    _interrupt(client, execution_id, "PAUSE_ALL")
    assert client.status(execution_id) == "PAUSED"
    assert _record(emu, execution_id)["waiting_for"] == "manual"
    emu.advance(100)
    assert client.status(execution_id) == "PAUSED"  # stands still until resumed
    _interrupt(client, execution_id, "RESUME_ALL")
    assert client.status(execution_id) == "RUNNING"
    assert _record(emu, execution_id)["waiting_for"] is None
    emu.advance(19)
    assert client.status(execution_id) == "RUNNING"
    emu.advance(2)
    assert client.status(execution_id) == "SUCCESS"
    history = [h["status"] for h in _record(emu, execution_id)["history"]]
    assert history == ["RUNNING", "PAUSED", "RUNNING", "SUCCESS"]


def test_pause_all_in_a_pipeline_and_abort_while_paused(client: Client, emu: Emulator) -> None:
    execution_id = client.start(PL["Release Pipeline"], "PIPELINE")["id"]
    emu.advance(10)
    qa_run = client.execution(execution_id)["pipelineStageExecutions"][0]["workflowExecutionId"]
    _interrupt(client, qa_run, "PAUSE_ALL")  # a stage's run pauses its pipeline
    execution = client.execution(execution_id)
    assert execution["status"] == "PAUSED"
    assert execution["pipelineStageExecutions"][0]["status"] == "PAUSED"
    assert client.status(qa_run) == "PAUSED"
    emu.advance(50)
    _interrupt(client, execution_id, "RESUME_ALL")
    emu.advance(19)
    assert client.execution(execution_id)["pipelineStageExecutions"][0]["status"] == "RUNNING"
    emu.advance(2)
    execution = client.execution(execution_id)
    assert execution["pipelineStageExecutions"][0]["status"] == "SUCCESS"
    assert _record(emu, execution_id)["waiting_for"] == "approval"
    _interrupt(client, execution_id, "PAUSE_ALL")
    assert _record(emu, execution_id)["waiting_for"] == "manual"
    _interrupt(client, execution_id, "ABORT_ALL")
    assert client.status(execution_id) == "ABORTED"
