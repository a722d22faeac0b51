"""The timeline model on its own: no HTTP, exact times."""

from __future__ import annotations

from harness_gate.emulator.fixture import Approval, Behaviour, Stage, Workflow
from harness_gate.emulator.timeline import Decision, Plan, approval_id, build


def _workflow(beh: Behaviour) -> Workflow:
    return Workflow("w", "W", None, [], None, None, None, [], beh, True, 0)


def test_workflow_phases() -> None:
    plan = Plan(
        "e", 100.0, 5.0, 10.0, behaviour=Behaviour(duration=60.0, outcome="FAILED", failure="x")
    )
    tl = build(plan, {}, None)
    assert [tl.status_at(t) for t in (100, 104.9, 105, 114.9, 115, 174.9, 175, 1e9)] == [
        None,
        None,
        "QUEUED",
        "QUEUED",
        "RUNNING",
        "RUNNING",
        "FAILED",
        "FAILED",
    ]
    assert tl.started_at(114) is None and tl.started_at(116) == 115
    assert tl.ended_at(174) is None and tl.ended_at(176) == 175
    assert tl.failure == "x"


def test_approval_decision_shifts_the_rest() -> None:
    approval = Approval(after=10, resolve="none", timeout=100)
    plan = Plan("e", 0.0, 0.0, 0.0, behaviour=Behaviour(duration=30, approval=approval))
    waiting = build(plan, {}, None)
    assert waiting.status_at(50) == "PAUSED" and waiting.status_at(110) == "EXPIRED"
    (window,) = waiting.approvals
    assert window.pending(50) and window.expires == 110
    approved = build(plan, {approval_id("e", 0): Decision(50, "approve")}, None)
    assert approved.status_at(50) == "RUNNING"
    assert approved.status_at(69.9) == "RUNNING" and approved.status_at(70) == "SUCCESS"
    rejected = build(plan, {approval_id("e", 0): Decision(50, "reject")}, None)
    assert rejected.status_at(50) == "REJECTED" and rejected.end == 50


def test_pipeline_stops_at_the_first_bad_stage_and_abort_cuts() -> None:
    good = Behaviour(duration=10)
    bad = Behaviour(duration=10, outcome="ERROR")
    stages = [
        Stage("one", "s1", workflow=_workflow(good), behaviour=good),
        Stage("gate", "s2", approval=Approval(resolve="approve", resolve_after=5)),
        Stage("two", "s3", workflow=_workflow(bad), behaviour=bad),
        Stage("three", "s4", workflow=_workflow(good), behaviour=good),
    ]
    plan = Plan("p", 0.0, 0.0, 0.0, stages=stages)
    tl = build(plan, {}, None)
    assert [tl.status_at(t) for t in (1, 12, 16, 25)] == ["RUNNING", "PAUSED", "RUNNING", "ERROR"]
    assert tl.end == 25 and not tl.stages[3].track.events
    aborted = build(plan, {}, 12.0)
    assert aborted.status_at(12) == "ABORTED" and aborted.end == 12
    assert [s.track.status_at(12) for s in aborted.stages[:2]] == ["SUCCESS", "ABORTED"]
    assert aborted.approvals[0].resolution == "abort" and not aborted.approvals[0].pending(13)
