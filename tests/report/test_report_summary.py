from __future__ import annotations

import json

from harness_gate.model import Outcome, StatusChange
from harness_gate.report.summary import render_json, summary_dict, write_json
from tests.report.report_helpers import T0

TOP_KEYS = {
    "schema_version",
    "exit_code",
    "outcome",
    "command",
    "spec",
    "no_wait",
    "started_at",
    "finished_at",
    "interrupted_by",
    "error",
    "deployments",
}
DEPLOYMENT_KEYS = {
    "name",
    "application",
    "entity_type",
    "entity",
    "execution_id",
    "url",
    "status",
    "outcome",
    "notice_interval_seconds",
    "message",
    "details",
    "started_at",
    "ended_at",
    "duration_seconds",
    "abort_result",
    "warning",
    "timeline",
}


def test_shape_and_values(build):
    data = summary_dict(build.all_outcomes())
    assert set(data) == TOP_KEYS
    assert data["exit_code"] == 1
    assert data["outcome"] == "failure"
    assert data["command"] == "run"
    assert data["spec"] == "specs/release-prod.yaml"
    assert data["started_at"] == "2024-05-01T10:00:00Z"
    assert data["finished_at"] == "2024-05-01T10:00:30Z"
    assert data["interrupted_by"] is None and data["error"] is None
    deployments = data["deployments"]
    assert all(set(d) == DEPLOYMENT_KEYS for d in deployments)
    assert [d["outcome"] for d in deployments] == [
        "success",
        "failure",
        "timeout",
        "error",
        "skipped",
        "error",  # outcome None
    ]
    ok = deployments[0]
    assert ok["entity_type"] == "pipeline"
    assert ok["entity"] == "Deploy ok"
    assert ok["execution_id"] == "exec-ok"
    assert ok["started_at"] == "2024-05-01T10:00:01Z"
    assert ok["ended_at"] == "2024-05-01T10:00:12Z"
    assert ok["duration_seconds"] == 12.5
    assert ok["message"] == ""  # a pass needs no reason
    assert ok["timeline"][0] == {
        "at": "2024-05-01T10:00:00Z",
        "status": None,
        "note": "start requested",
    }
    later = deployments[4]
    assert later["execution_id"] is None and later["url"] is None
    assert later["started_at"] is None and later["duration_seconds"] is None
    assert later["message"] == "later: pipeline 'Deploy later' was not started (skipped)"
    assert deployments[1]["message"] == "broken: Rollout failed"


def test_workflow_entity_type_and_extras(build):
    deployment = build.deployment(
        "w",
        entity_type="workflow",
        outcome=Outcome.ERROR,
        abort_result="abort accepted",
        warning="old artifact",
        details=["a", "b"],
        message="interrupted\nby SIGTERM",
    )
    data = summary_dict(build.result(deployment, interrupted_by="SIGTERM", exit_code=143))
    assert data["outcome"] == "error"
    assert data["interrupted_by"] == "SIGTERM"
    entry = data["deployments"][0]
    assert entry["entity_type"] == "workflow"
    assert entry["abort_result"] == "abort accepted"
    assert entry["warning"] == "old artifact"
    assert entry["details"] == ["a", "b"]
    assert entry["message"] == "interrupted by SIGTERM"


def test_no_wait_started_is_success(build):
    deployment = build.deployment("api", outcome=None, status=None)
    data = summary_dict(build.result(deployment, no_wait=True))
    assert data["no_wait"] is True
    assert data["deployments"][0]["outcome"] == "success"


def test_no_deployments_with_error(build):
    data = summary_dict(build.result(exit_code=2, error="spec.yaml:1: bad", finished_at=None))
    assert data["deployments"] == []
    assert data["error"] == "spec.yaml:1: bad"
    assert data["finished_at"] is None
    assert data["outcome"] == "error"


def test_naive_and_offset_times_become_utc_z(build):
    from datetime import datetime, timedelta, timezone

    deployment = build.deployment(
        "a",
        started_at=datetime(2024, 5, 1, 12, 0, 0, tzinfo=timezone(timedelta(hours=2))),
        ended_at=datetime(2024, 5, 1, 10, 5, 0),
        timeline=[StatusChange(T0, "RUNNING")],
    )
    entry = summary_dict(build.result(deployment))["deployments"][0]
    assert entry["started_at"] == "2024-05-01T10:00:00Z"
    assert entry["ended_at"] == "2024-05-01T10:05:00Z"


def test_write_json_round_trips_unicode_and_odd_text(build, tmp_path):
    deployment = build.deployment(
        "déploiement ☃",
        outcome=Outcome.FAILURE,
        message="bad \ud800 surrogate ]]> \x1b[31m",
    )
    target = tmp_path / "out" / "summary.json"
    write_json(build.result(deployment), target)
    text = target.read_text(encoding="utf-8")
    assert text == render_json(build.result(deployment))
    assert text.endswith("}\n")
    data = json.loads(text)
    assert data["deployments"][0]["name"] == "déploiement ☃"
    assert "☃" in text  # written as UTF-8, not \u escapes
    # Message is cleaned (one line, no ANSI, no lone surrogate) for readers.
    assert data["deployments"][0]["message"] == "bad surrogate ]]>"
