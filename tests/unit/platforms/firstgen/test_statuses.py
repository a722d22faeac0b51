"""FirstGen's status vocabulary: how an execution node becomes a Snapshot and its Phase."""

from __future__ import annotations

from typing import Any

import pytest

from harness_gate.platforms.base import Phase
from harness_gate.platforms.firstgen.statuses import snapshot


@pytest.mark.parametrize(
    ("status", "phase"),
    [
        ("SUCCESS", Phase.SUCCEEDED),
        ("FAILED", Phase.FAILED),
        ("ERROR", Phase.FAILED),
        ("ABORTED", Phase.FAILED),
        ("REJECTED", Phase.FAILED),
        ("EXPIRED", Phase.FAILED),
        ("SKIPPED", Phase.SKIPPED),
        ("QUEUED", Phase.QUEUED),
        ("RUNNING", Phase.RUNNING),
        ("WAITING", Phase.WAITING_INTERVENTION),
        ("PAUSED", Phase.PAUSED),
        ("A_STATUS_ADDED_LATER", Phase.RUNNING),
        (None, Phase.PREPARING),
    ],
)
def test_each_status_has_its_phase(status: str | None, phase: Phase) -> None:
    snap = snapshot({"id": "e1", "status": status})
    assert snap.phase is phase and snap.status == status


def stage(**fields: Any) -> dict[str, Any]:
    return {"pipelineStageElementId": "el-1", "pipelineStageName": "QA", **fields}


def test_a_paused_approval_stage_is_waiting_for_approval() -> None:
    node = {
        "id": "e",
        "status": "PAUSED",
        "pipelineStageExecutions": [
            stage(status="SUCCESS"),
            stage(status="PAUSED", approvalStepType="USER_GROUP", pipelineStageName="Approve"),
        ],
    }
    snap = snapshot(node)
    assert snap.phase is Phase.WAITING_APPROVAL
    assert snap.where == "approval stage Approve PAUSED"
    assert snap.waiting_inputs == []


def test_a_paused_stage_with_runtime_inputs_waits_for_them() -> None:
    node = {
        "id": "e",
        "status": "PAUSED",
        "application": {"id": "app-1", "name": "Demo"},
        "pipelineStageExecutions": [
            stage(status="PAUSED", runtimeInputVariables=[{"name": "env"}, {"name": "tag"}, {}])
        ],
    }
    snap = snapshot(node)
    assert snap.phase is Phase.WAITING_INPUT
    assert snap.waiting_inputs == ["env", "tag"]
    assert snap.scope == ("app-1", "el-1")  # the stage to resume comes after the application


def test_a_failed_stage_is_where_it_failed() -> None:
    node = {
        "id": "e",
        "status": "FAILED",
        "failureDetails": "  Pods did not become ready \n",
        "pipelineStageExecutions": [stage(status="SUCCESS"), stage(status="FAILED")],
    }
    snap = snapshot(node)
    assert snap.where == "stage QA FAILED" and snap.failure == "Pods did not become ready"


def test_fields_are_taken_in() -> None:
    node = {
        "id": "e9",
        "status": "RUNNING",
        "executionUrl": "https://app.harness.io/#/x",
        "createdAt": 1_700_000_000_000,
        "startedAt": True,  # not a time
        "notes": "[harness-gate abc-0 web]",
        "application": {"id": "app", "name": "Demo"},
        "workflow": {"id": "w", "name": "Deploy Web"},
    }
    snap = snapshot(node)
    assert snap.execution_id == "e9" and snap.url == "https://app.harness.io/#/x"
    assert snap.created_at is not None and snap.created_at.year == 2023
    assert snap.started_at is None
    assert snap.notes == "[harness-gate abc-0 web]"
    assert (snap.application, snap.entity_type, snap.entity_name) == (
        "Demo",
        "workflow",
        "Deploy Web",
    )


def test_an_impossible_timestamp_is_dropped() -> None:
    assert snapshot({"id": "e", "endedAt": 10**30}).ended_at is None
