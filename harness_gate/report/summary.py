"""Machine-readable JSON summary of a run (schema in docs/reports.md)."""

from __future__ import annotations

from typing import Any, Optional

from harness_gate.fileio import StrPath, write_report_text
from harness_gate.model import DeploymentResult, RunResult
from harness_gate.report._common import (
    deployment_message,
    dumps_json,
    effective_outcome,
    iso_utc,
    overall_outcome,
    without_alias,
)

SCHEMA_VERSION = 1


def summary_dict(result: RunResult) -> dict[str, Any]:
    """The run as plain JSON-ready data: UTC times with Z, outcomes as lower-case words."""
    return {
        "schema_version": SCHEMA_VERSION,
        "exit_code": result.exit_code,
        "outcome": overall_outcome(result.exit_code),
        "command": result.command,
        "spec": result.spec_path,
        "no_wait": result.no_wait,
        "started_at": iso_utc(result.started_at),
        "finished_at": iso_utc(result.finished_at),
        "interrupted_by": result.interrupted_by,
        "error": result.error,
        "deployments": [_deployment(result, deployment) for deployment in result.deployments],
    }


def render_json(result: RunResult) -> str:
    return dumps_json(summary_dict(result), indent=2) + "\n"


def write_json(result: RunResult, path: StrPath) -> None:
    write_report_text(path, render_json(result))


def _deployment(result: RunResult, deployment: DeploymentResult) -> dict[str, Any]:
    return {
        "name": deployment.name,
        "application": deployment.application,
        "entity_type": deployment.entity_type,
        "entity": deployment.entity_name,
        "execution_id": deployment.execution_id,
        "url": deployment.url,
        "status": deployment.status,
        "outcome": effective_outcome(result, deployment).value,
        # Not cut to the JUnit headline length: JSON readers can cope with a long line.
        "message": deployment_message(result, deployment, limit=None),
        "details": [without_alias(detail) for detail in deployment.details],
        "started_at": iso_utc(deployment.started_at),
        "ended_at": iso_utc(deployment.ended_at),
        "duration_seconds": _duration(deployment),
        "notice_interval_seconds": deployment.notice_interval,
        "abort_result": deployment.abort_result,
        "warning": deployment.warning,
        "timeline": [
            {"at": iso_utc(change.at), "status": change.status, "note": change.note}
            for change in deployment.timeline
        ],
    }


def _duration(deployment: DeploymentResult) -> Optional[float]:
    # null, not 0, when the gate never saw both ends: 0 would read as "took no time".
    begin = deployment.gate_started_at or deployment.started_at
    end = deployment.gate_ended_at or deployment.ended_at
    if begin is None or end is None:
        return None
    return round(deployment.duration, 3)
