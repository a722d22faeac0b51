"""Starting NextGen pipelines: YAML body, input sets, stage selection, v1, errors, OPA deny."""

from __future__ import annotations

import json

import yaml
from ng_helpers import RUNTIME_YAML, Ng

from harness_gate.emulator import Emulator


def test_start_with_runtime_yaml_records_the_exact_body(emu: Emulator, ng: Ng) -> None:
    emu.clear_requests()
    plan = ng.start("deploy_guestbook", RUNTIME_YAML, notesForPipelineExecution="release 42")
    assert plan["status"] == "RUNNING"  # engine spelling in the start answer
    assert plan["metadata"]["executionUuid"] == plan["uuid"]
    assert plan["metadata"]["runSequence"] == 1
    assert plan["governanceMetadata"]["deny"] is False
    (entry,) = emu.requests()
    assert entry["operation"] == "postPipelineExecuteWithInputSetYaml"
    assert entry["variables"]["body"] == RUNTIME_YAML
    assert entry["started_execution_ids"] == [plan["uuid"]]
    rec = ng.record(plan["uuid"])
    assert rec["runtime_yaml"] == RUNTIME_YAML
    assert rec["content_type"] == "application/yaml"
    assert rec["notes"] == "release 42"
    assert rec["inputs"] == {
        "pipeline.stages.deploy.spec.service.serviceRef": "guestbook",
        "pipeline.stages.deploy.spec.environment.infrastructureDefinitions": "k8s_dev",
        "pipeline.variables.region.value": "us-east-1",
    }
    assert rec["resolved_inputs"]["pipeline.variables.version.value"] == "1.0.0"  # default
    assert rec["missing_inputs"] == []
    merged = yaml.safe_load(rec["merged_yaml"])["pipeline"]
    assert merged["stages"][0]["stage"]["spec"]["service"]["serviceRef"] == "guestbook"
    notes = ng.ok("GET", f"/pipelines/execution/{plan['uuid']}/notes")
    assert notes == {"notes": "release 42"}


def test_the_control_api_shows_the_same_record(emu: Emulator, ng: Ng) -> None:
    plan = ng.start("smoke_test")
    records = ng.http.get(emu.base_url + "/_emulator/nextgen/executions", timeout=10).json()
    assert [r["id"] for r in records] == [plan["uuid"]]
    assert records[0]["runtime_yaml"] == ""


def test_a_json_body_starts_with_every_input_empty(ng: Ng) -> None:
    body = json.dumps({"runtimeInputYaml": RUNTIME_YAML})
    response = ng.start_raw("execution_input", body, content_type="application/json")
    assert response.status_code == 200
    rec = ng.record(response.json()["data"]["planExecution"]["uuid"])
    assert rec["body_ignored"] is True
    assert rec["inputs"] == {}
    assert rec["content_type"] == "application/json"


def test_a_json_body_to_a_pipeline_needing_a_service_is_refused(ng: Ng) -> None:
    # Nothing merges, so serviceRef is missing, as in harness/cli#222.
    body = json.dumps({"runtimeInputYaml": RUNTIME_YAML})
    response = ng.start_raw("deploy_guestbook", body, "application/json")
    assert response.status_code == 400
    assert response.json()["message"] == "Invalid request: serviceRef is required"


def test_missing_input_without_default_fails_its_stage(emu: Emulator, ng: Ng) -> None:
    text = RUNTIME_YAML.replace("infrastructureDefinitions: k8s_dev", "other: x").replace(
        "          environment:\n            other: x\n", ""
    )
    plan = ng.start("deploy_guestbook", text)
    rec = ng.record(plan["uuid"])
    assert rec["missing_inputs"] == [
        "pipeline.stages.deploy.spec.environment.infrastructureDefinitions"
    ]
    emu.advance(31)
    stages = ng.stages(plan["uuid"])
    assert stages["build"]["status"] == "Success"
    assert stages["deploy"]["status"] == "Failed"
    assert "infrastructureDefinitions" in stages["deploy"]["failureInfoDTO"]["message"]
    assert ng.status(plan["uuid"]) == "Failed"


def test_values_outside_allowed_values_are_refused(ng: Ng) -> None:
    response = ng.start_raw("deploy_guestbook", RUNTIME_YAML.replace("us-east-1", "mars-1"))
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "INVALID_INPUT_SET"
    assert body["metadata"]["type"] == "InputSetErrorWrapperDTOPMS"
    assert "pipeline.variables.region.value" in body["metadata"]["uuidToErrorResponseMap"]


def test_start_with_input_set_references(ng: Ng) -> None:
    body = {
        "inputSetReferences": ["guestbook_dev", "eu_region"],
        "lastYamlToMerge": "pipeline:\n  identifier: deploy_guestbook\n  variables:\n"
        "    - name: version\n      type: String\n      value: 3.1.4\n",
    }
    data = ng.ok("POST", "/pipeline/execute/deploy_guestbook/inputSetList", json=body)
    rec = ng.record(data["planExecution"]["uuid"])
    assert rec["operation"] == "postPipelineExecuteWithInputSetList"
    assert rec["input_set_refs"] == ["guestbook_dev", "eu_region"]
    assert rec["inputs"]["pipeline.variables.region.value"] == "eu-west-1"
    assert rec["inputs"]["pipeline.variables.version.value"] == "3.1.4"
    assert rec["runtime_yaml"] == body["lastYamlToMerge"]


def test_start_with_an_overlay_and_an_unknown_input_set(ng: Ng) -> None:
    data = ng.ok(
        "POST",
        "/pipeline/execute/deploy_guestbook/inputSetList",
        json={"inputSetReferences": ["guestbook_dev_eu"]},
    )
    rec = ng.record(data["planExecution"]["uuid"])
    assert rec["inputs"]["pipeline.stages.deploy.spec.service.serviceRef"] == "guestbook"
    response = ng.call(
        "POST",
        "/pipeline/execute/deploy_guestbook/inputSetList",
        json={"inputSetReferences": ["x"]},
    )
    assert response.status_code == 400
    assert response.json()["metadata"]["invalidInputSetReferences"] == ["x"]


def test_run_selected_stages(emu: Emulator, ng: Ng) -> None:
    region = (
        "pipeline:\n  identifier: deploy_guestbook\n  variables:\n"
        "    - name: region\n      type: String\n      value: eu-west-1\n"
    )
    body = {"stageIdentifiers": ["build"], "runtimeInputYaml": region, "expressionValues": {}}
    data = ng.ok("POST", "/pipeline/execute/deploy_guestbook/stages", json=body)
    eid = data["planExecution"]["uuid"]
    assert list(ng.stages(eid)) == ["build"]
    emu.advance(31)
    summary = ng.summary(eid)
    assert summary["status"] == "Success"
    assert summary["stagesExecuted"] == ["build"]
    refused = ng.call(
        "POST", "/pipeline/execute/smoke_test/stages", json={"stageIdentifiers": ["smoke"]}
    )
    assert refused.status_code == 400  # allowStageExecutions is not set


def test_v1_execute(emu: Emulator, ng: Ng) -> None:
    response = ng.call(
        "POST",
        f"/v1/orgs/{ng.org}/projects/{ng.project}/pipelines/smoke_test/execute",
        params={"notes": "v1 run"},
        json={"inputs_yaml": ""},
    )
    assert response.status_code == 200
    details = response.json()["execution_details"]
    assert details["status"] == "RUNNING"
    assert ng.record(details["execution_id"])["notes"] == "v1 run"


def test_start_errors(ng: Ng) -> None:
    missing = ng.start_raw("nope")
    assert missing.status_code == 400
    assert missing.json()["message"] == (
        "Invalid request: Pipeline with the given ID: nope does not exist or has been deleted"
    )
    draft = ng.start_raw("draft_pipeline")
    assert draft.status_code == 400
    assert (
        "Cannot execute a Draft Pipeline with PipelineID: draft_pipeline" in draft.json()["message"]
    )
    assert ng.start_raw("invalid_pipeline").status_code == 400
    form = ng.start_raw("smoke_test", "x=1", content_type="application/x-www-form-urlencoded")
    assert form.status_code == 415
    assert ng.emu.nextgen.execution_dicts() == []


def test_opa_deny_is_200_with_errored(emu: Emulator, ng: Ng) -> None:
    plan = ng.start("opa_denied")
    assert plan["status"] == "ERRORED"
    assert plan["governanceMetadata"]["deny"] is True
    summary = ng.summary(plan["uuid"])
    assert summary["status"] == "Errored"
    assert "Production deployments need an approval stage" in summary["failureInfo"]["message"]
    assert {n["status"] for n in summary["layoutNodeMap"].values()} == {"NotStarted"}


def test_run_sequence_counts_per_pipeline(ng: Ng) -> None:
    assert [ng.start("smoke_test")["metadata"]["runSequence"] for _ in range(3)] == [1, 2, 3]
    assert ng.start("long_running")["metadata"]["runSequence"] == 1


def test_remote_pipeline_runs_on_the_branch_asked_for(ng: Ng) -> None:
    plan = ng.start("remote_deploy", branch="develop")
    assert ng.record(plan["uuid"])["branch"] == "develop"
    assert ng.summary(plan["uuid"])["gitDetails"]["branch"] == "develop"
