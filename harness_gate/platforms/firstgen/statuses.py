"""FirstGen's ExecutionStatus vocabulary and how an execution node becomes a Snapshot.

Terminal: SUCCESS, FAILED, ERROR, ABORTED, REJECTED, EXPIRED, SKIPPED. Everything else,
including a null status (PREPARING), is still in progress; a status Harness adds later is kept
as text and treated as running, so the gate shows it instead of crashing on it. PAUSED means
an approval, runtime inputs or a manual pause, told apart by the stage that is paused.
"""

from __future__ import annotations

from typing import Any, Optional

from harness_gate.model import PIPELINE, WORKFLOW
from harness_gate.platforms.base import Phase, Snapshot, epoch_ms

SUCCESS_STATUSES = frozenset({"SUCCESS"})
FAILED_STATUSES = frozenset({"FAILED", "ERROR", "ABORTED", "REJECTED", "EXPIRED"})
SKIPPED_STATUSES = frozenset({"SKIPPED"})
TERMINAL_STATUSES = SUCCESS_STATUSES | FAILED_STATUSES | SKIPPED_STATUSES
HALTED_STATUSES = frozenset({"PAUSED", "WAITING"})


def snapshot(node: dict[str, Any]) -> Snapshot:
    raw = node.get("status")
    status = raw if isinstance(raw, str) else None
    stage = _halted_stage(node) or _stage_in(node, FAILED_STATUSES) or _stage_in(node, {"RUNNING"})
    app = node.get("application")
    app_id = app.get("id") if isinstance(app, dict) else None
    details = node.get("failureDetails")
    url = node.get("executionUrl")
    snap = Snapshot(
        execution_id=str(node.get("id") or ""),
        status=status,
        phase=_phase(status, stage),
        url=url if isinstance(url, str) and url else None,
        scope=(app_id,) if isinstance(app_id, str) else (),
        created_at=epoch_ms(node.get("createdAt")),
        started_at=epoch_ms(node.get("startedAt")),
        ended_at=epoch_ms(node.get("endedAt")),
        where=_describe_stage(stage),
        failure=details.strip() if isinstance(details, str) else "",
        notes=node.get("notes") if isinstance(node.get("notes"), str) else None,
    )
    if stage is not None and _waits_for_inputs(stage):
        snap.waiting_inputs = _runtime_inputs(stage)
        element = stage.get("pipelineStageElementId")
        if isinstance(element, str):
            snap.scope = (*snap.scope, element)
    if isinstance(app, dict):
        snap.application = str(app.get("name") or "")
    for key, kind in (("pipeline", PIPELINE), ("workflow", WORKFLOW)):
        entity = node.get(key)
        if isinstance(entity, dict):
            snap.entity_type, snap.entity_name = kind, str(entity.get("name") or "")
    return snap


def _phase(status: Optional[str], stage: Optional[dict[str, Any]]) -> Phase:
    if status is None:
        return Phase.PREPARING
    if status in SUCCESS_STATUSES:
        return Phase.SUCCEEDED
    if status in FAILED_STATUSES:
        return Phase.FAILED
    if status in SKIPPED_STATUSES:
        return Phase.SKIPPED
    if status == "QUEUED":
        return Phase.QUEUED
    if status == "WAITING":
        return Phase.WAITING_INTERVENTION
    if status == "PAUSED":
        if stage is not None and stage.get("approvalStepType"):
            return Phase.WAITING_APPROVAL
        if stage is not None and _waits_for_inputs(stage):
            return Phase.WAITING_INPUT
        return Phase.PAUSED
    return Phase.RUNNING


def _stages(node: dict[str, Any]) -> list[dict[str, Any]]:
    stages = node.get("pipelineStageExecutions")
    return [s for s in stages if isinstance(s, dict)] if isinstance(stages, list) else []


def _stage_in(node: dict[str, Any], wanted: Any) -> Optional[dict[str, Any]]:
    # A status of the wrong type (a list, an object) matches nothing instead of crashing.
    return next(
        (s for s in _stages(node) if isinstance(s.get("status"), str) and s["status"] in wanted),
        None,
    )


def _halted_stage(node: dict[str, Any]) -> Optional[dict[str, Any]]:
    return _stage_in(node, HALTED_STATUSES)


def _waits_for_inputs(stage: dict[str, Any]) -> bool:
    """A paused workflow stage that lists runtime input variables waits for them
    (interrupt PAUSE_FOR_INPUTS); the schema shows them only while it is paused."""
    return (
        stage.get("status") == "PAUSED"
        and not stage.get("approvalStepType")
        and bool(_runtime_inputs(stage))
    )


def _runtime_inputs(stage: dict[str, Any]) -> list[str]:
    variables = stage.get("runtimeInputVariables")
    if not isinstance(variables, list):
        return []
    return [str(v.get("name")) for v in variables if isinstance(v, dict) and v.get("name")]


def _describe_stage(stage: Optional[dict[str, Any]]) -> str:
    if stage is None:
        return ""
    name = stage.get("pipelineStageName") or stage.get("pipelineStepName") or "?"
    kind = "approval stage" if stage.get("approvalStepType") else "stage"
    return f"{kind} {name!s} {stage.get('status')}"
