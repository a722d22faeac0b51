"""NextGen status words in both spellings, the phase each means, and summaries as snapshots."""

from __future__ import annotations

from typing import Any

import pytest

from harness_gate.platforms.base import Phase
from harness_gate.platforms.nextgen import statuses

UI = "https://app.harness.io/ng"


@pytest.mark.parametrize(
    ("word", "phase"),
    [
        ("Success", Phase.SUCCEEDED),
        ("SUCCEEDED", Phase.SUCCEEDED),
        ("IgnoreFailed", Phase.SUCCEEDED),
        ("IGNORE_FAILED", Phase.SUCCEEDED),
        ("Suspended", Phase.SUCCEEDED),
        ("Skipped", Phase.SKIPPED),
        ("Failed", Phase.FAILED),
        ("Errored", Phase.FAILED),
        ("ERRORED", Phase.FAILED),
        ("Aborted", Phase.FAILED),
        ("Expired", Phase.FAILED),
        ("ApprovalRejected", Phase.FAILED),
        ("APPROVAL_REJECTED", Phase.FAILED),
        ("AbortedByFreeze", Phase.FAILED),
        ("FREEZE_FAILED", Phase.FAILED),
        ("ApprovalWaiting", Phase.WAITING_APPROVAL),
        ("InterventionWaiting", Phase.WAITING_INTERVENTION),
        ("INPUT_WAITING", Phase.WAITING_INPUT),
        ("ResourceWaiting", Phase.QUEUED),
        ("Queued", Phase.QUEUED),
        ("QUEUED_LICENSE_LIMIT_REACHED", Phase.QUEUED),
        ("QueuedExecutionConcurrencyReached", Phase.QUEUED),
        ("Paused", Phase.PAUSED),
        ("Running", Phase.RUNNING),
        ("ASYNC_WAITING", Phase.RUNNING),
        ("Discontinuing", Phase.RUNNING),
        ("WaitStepRunning", Phase.RUNNING),
        ("SomethingNew", Phase.RUNNING),
        (None, Phase.PREPARING),
    ],
)
def test_phase_of_either_spelling(word: Any, phase: Phase) -> None:
    assert statuses.phase(word) is phase


def test_display_spelling() -> None:
    assert statuses.display("SUCCEEDED") == "Success"
    assert statuses.display("FREEZE_FAILED") == "AbortedByFreeze"
    assert statuses.display("APPROVAL_WAITING") == "ApprovalWaiting"
    assert statuses.display("Brand_New") == "Brand_New"


def node(ident: str, status: str, failure: str = "") -> dict[str, Any]:
    return {
        "nodeIdentifier": ident,
        "name": ident.title(),
        "nodeGroup": "STAGE",
        "status": status,
        "failureInfoDTO": {"message": failure},
    }


def summary(status: str, *nodes: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "planExecutionId": "exec1",
        "pipelineIdentifier": "deploy",
        "orgIdentifier": "default",
        "projectIdentifier": "shop",
        "status": status,
        "modules": ["pms", "ci"],
        "createdAt": 1767225600000,
        "startTs": 1767225600000,
        "endTs": 1767225660000,
        "layoutNodeMap": {n["nodeIdentifier"]: n for n in nodes},
        **extra,
    }


def test_failed_summary_names_the_failing_stage_and_its_message() -> None:
    snap = statuses.snapshot(
        summary(
            "Failed",
            node("build", "Success"),
            node("deploy", "Failed", "pods crash"),
            failureInfo={"message": "pipeline level"},
        ),
        UI,
        "acct",
    )
    assert snap.phase is Phase.FAILED
    assert snap.where == "stage Deploy (deploy)"
    assert snap.failure == "pods crash"
    assert snap.scope == ("default", "shop", "deploy")
    assert (snap.application, snap.entity_type, snap.entity_name) == (
        "default/shop",
        "pipeline",
        "deploy",
    )
    assert snap.url == (
        "https://app.harness.io/ng/account/acct/ci/orgs/default/projects/shop"
        "/pipelines/deploy/executions/exec1/pipeline"
    )
    assert snap.ended_at is not None


def test_waiting_summary_names_the_waiting_stage() -> None:
    snap = statuses.snapshot(
        summary("ApprovalWaiting", node("qa", "Success"), node("approve", "ApprovalWaiting")),
        UI,
        "acct",
    )
    assert snap.phase is Phase.WAITING_APPROVAL
    assert snap.where == "stage Approve (approve) ApprovalWaiting"
    assert snap.failure == "" and snap.ended_at is None


def test_ignore_failed_passes_with_a_note() -> None:
    snap = statuses.snapshot(
        summary("IgnoreFailed", node("tests", "IgnoreFailed", "2 flaky tests")), UI, "acct"
    )
    assert snap.phase is Phase.SUCCEEDED
    assert "IgnoreFailed" in snap.verdict_note and "2 flaky tests" in snap.verdict_note
    assert snap.failure == ""


def test_suspended_passes_with_a_note() -> None:
    snap = statuses.snapshot(summary("Suspended", node("deploy", "Suspended")), UI, "acct")
    assert snap.phase is Phase.SUCCEEDED and "Suspended" in snap.verdict_note


def test_start_answer_denied_by_policy() -> None:
    plan = {
        "uuid": "exec2",
        "status": "ERRORED",
        "governanceMetadata": {
            "deny": True,
            "details": [{"policyMetadata": [{"denyMessages": ["needs an approval stage"]}]}],
        },
    }
    snap = statuses.started(plan, "default", "shop", "deploy", UI, "acct")
    assert snap.phase is Phase.FAILED and snap.status == "Errored"
    assert snap.failure == "Pipeline execution denied by policy: needs an approval stage"


def test_start_answer_wait_is_left_to_the_first_read() -> None:
    snap = statuses.started(
        {"uuid": "e", "status": "INPUT_WAITING"}, "default", "shop", "deploy", UI, "acct"
    )
    assert snap.status == "InputWaiting" and snap.phase is Phase.RUNNING


def test_module_defaults_to_cd() -> None:
    snap = statuses.snapshot(summary("Running", modules=[]), UI, "acct")
    assert "/acct/cd/orgs/" in (snap.url or "")
