"""What a NextGen execution and each of its stages show at a given emulator time.

Everything is derived from the start time, the fixture's stage behaviour, the decisions made
through the API (approvals, execution inputs, interventions) and an abort, so nothing runs in
the background: a read replays the run up to the time it asks about.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

from harness_gate.emulator.fixture import derived_id
from harness_gate.emulator.nextgen.fixture import StageSpec, Wait
from harness_gate.emulator.nextgen.statuses import BROKEN_PRIORITY, FINAL, POSITIVE

# Seconds an abort shows Discontinuing before the run is Aborted.
ABORT_LAG = 2.0

# What an intervention action does to the waiting stage; None: run on.
INTERVENTION_RESULT: dict[str, Optional[str]] = {
    "MarkAsSuccess": "Success",
    "Ignore": "IgnoreFailed",
    "MarkAsFailure": "Failed",
    "Abort": "Aborted",
    "AbortAll": "Aborted",
    "Retry": None,
}


@dataclass
class Decision:
    at: float
    action: str  # approve | reject | continue | an intervention action
    comments: str = ""
    by: str = ""


@dataclass
class WaitRun:
    """One wait of one stage as it happens in this run."""

    id: str  # approval instance id / node execution id of the waiting step
    stage: str
    spec: Wait
    start: float
    deadline: float
    end: float
    outcome: str  # approve | reject | continue | expire | abort | <intervention action>

    def pending(self, t: float) -> bool:
        return self.start <= t < self.end


@dataclass
class StageRun:
    spec: StageSpec
    events: list[tuple[float, str]] = field(default_factory=list)
    failure: Optional[str] = None

    def status_at(self, t: float) -> str:
        status = "NotStarted"
        for at, s in self.events:
            if at <= t:
                status = s
        return status

    def start(self, t: float) -> Optional[float]:
        return self.events[0][0] if self.events and self.events[0][0] <= t else None

    def end(self, t: float) -> Optional[float]:
        if self.events and self.events[-1][1] in FINAL and self.events[-1][0] <= t:
            return self.events[-1][0]
        return None


@dataclass
class Run:
    events: list[tuple[float, str]]
    stages: list[StageRun]
    waits: list[WaitRun]
    run_start: Optional[float]
    failure: Optional[str] = None

    def status_at(self, t: float) -> str:
        status = self.events[0][1]
        for at, s in self.events:
            if at <= t:
                status = s
        return status

    def end(self, t: float) -> Optional[float]:
        at, status = self.events[-1]
        return at if status in FINAL and at <= t else None

    def history(self, t: float) -> list[tuple[float, str]]:
        return [(at, s) for at, s in self.events if at <= t]


@dataclass
class Plan:
    execution_id: str
    created: float
    queued: float
    queue_status: str
    stages: list[StageSpec]
    errored: Optional[str] = None  # OPA deny or a plan error: Errored at once
    outcome: Optional[str] = None
    missing_by_stage: dict[str, list[str]] = field(default_factory=dict)
    pending_by_stage: dict[str, list[str]] = field(default_factory=dict)


def wait_id(execution_id: str, stage: str, index: int) -> str:
    return derived_id("ng-wait", execution_id, stage, str(index))


def build(plan: Plan, decisions: dict[str, Decision], aborted_at: Optional[float]) -> Run:
    created = plan.created
    if plan.errored is not None:
        return Run(
            [(created, "Errored")], [StageRun(s) for s in plan.stages], [], None, plan.errored
        )
    events: list[tuple[float, str]] = []
    if plan.queued > 0:
        events.append((created, plan.queue_status))
    t = created + plan.queued
    if aborted_at is not None and aborted_at < t:
        # A queued plan is set to ABORTED at once.
        events.append((aborted_at, "Aborted"))
        return Run(events, [StageRun(s) for s in plan.stages], [], None)
    events.append((t, "Running"))
    run_start = t
    stages: list[StageRun] = []
    waits: list[WaitRun] = []
    final: Optional[str] = None
    failure: Optional[str] = None
    for spec in plan.stages:
        sr = StageRun(spec)
        stages.append(sr)
        if final is not None and final not in POSITIVE:
            continue
        t = _run_stage(plan, sr, t, decisions, waits)
        status = sr.events[-1][1]
        for at, s in sr.events:
            if s not in FINAL:
                events.append((at, s))
        if status not in POSITIVE:
            final = status
            failure = sr.failure
        elif final is None or final == "Success":
            final = "IgnoreFailed" if status == "IgnoreFailed" else "Success"
    if final is None:
        final = "Success"
    if plan.outcome is not None and final in POSITIVE:
        final = plan.outcome
    events.append((t, final))
    run = Run(_dedupe(events), stages, waits, run_start, failure)
    if aborted_at is not None and aborted_at < t:
        _abort(run, aborted_at)
    return run


def _run_stage(
    plan: Plan,
    sr: StageRun,
    start: float,
    decisions: dict[str, Decision],
    waits: list[WaitRun],
) -> float:
    spec = sr.spec
    sr.events.append((start, "Running"))
    missing = plan.missing_by_stage.get(spec.identifier)
    if missing:
        sr.failure = (
            f"Invalid request: Runtime input(s) not provided: {', '.join(missing)}"
            " (the stage cannot resolve <+input>)"
        )
        sr.events.append((start, "Failed"))
        return start
    stage_waits = list(spec.waits)
    if plan.pending_by_stage.get(spec.identifier) and not any(
        w.kind == "input" for w in stage_waits
    ):
        stage_waits.insert(0, Wait("input"))
    clock = start  # wall position
    ran = 0.0  # running seconds used so far
    for index, w in enumerate(stage_waits):
        begin = clock + max(0.0, w.after - ran)
        ran = max(ran, w.after)
        wid = w.callback_id or wait_id(plan.execution_id, spec.identifier, index)
        deadline = begin + w.timeout
        candidates: list[tuple[float, str]] = [(deadline, "expire")]
        if w.resolve != "none":
            candidates.append((begin + w.resolve_after, w.resolve))
        decision = decisions.get(wid)
        if decision is not None and begin <= decision.at < deadline:
            candidates.append((decision.at, decision.action))
        end, outcome = min(candidates, key=lambda c: c[0])
        waits.append(WaitRun(wid, spec.identifier, w, begin, deadline, end, outcome))
        sr.events.append((begin, w.status))
        result = _wait_result(outcome)
        if result is not None:
            if outcome == "reject":
                sr.failure = "Approval Step has been Rejected"
            elif outcome == "expire":
                sr.failure = f"{w.kind.capitalize()} step timed out"
            elif result not in POSITIVE:
                sr.failure = spec.failure or f"Marked {result} by manual intervention"
            sr.events.append((end, result))
            return end
        sr.events.append((end, "Running"))
        clock = end
    end = clock + max(0.0, spec.duration - ran)
    if spec.outcome not in POSITIVE:
        sr.failure = spec.failure or f"Step {spec.step} failed"
    sr.events.append((end, spec.outcome))
    return end


def _wait_result(outcome: str) -> Optional[str]:
    if outcome in ("approve", "continue"):
        return None
    if outcome == "reject":
        return "ApprovalRejected"
    if outcome == "expire":
        return "Expired"
    return INTERVENTION_RESULT.get(outcome)


def _abort(run: Run, at: float) -> None:
    done = at + ABORT_LAG
    run.events = [(t, s) for t, s in run.events if t <= at and not (t == at and s in FINAL)]
    run.events += [(at, "Discontinuing"), (done, "Aborted")]
    run.failure = None
    for sr in run.stages:
        if not sr.events or sr.events[0][0] > at:
            sr.events = []
            continue
        end = sr.events[-1]
        if end[1] in FINAL and end[0] <= at:
            continue
        sr.events = [(t, s) for t, s in sr.events if t <= at and s not in FINAL]
        sr.events += [(at, "Discontinuing"), (done, "Aborted")]
        sr.failure = None
    for w in run.waits:
        if w.end > at >= w.start:
            w.end, w.outcome = at, "abort"
    run.waits = [w for w in run.waits if w.start <= at]


def _dedupe(events: list[tuple[float, str]]) -> list[tuple[float, str]]:
    """One status per instant (the last one set), and no repeats."""
    out: list[tuple[float, str]] = []
    for at, s in events:
        if out and out[-1][0] == at:
            out.pop()
        if out and out[-1][1] == s:
            continue
        out.append((at, s))
    return out


def rollup(statuses: list[str]) -> str:
    """StatusUtils.calculateStatus over stage statuses (used by tests to check the order)."""
    if statuses and all(s in POSITIVE for s in statuses):
        return "IgnoreFailed" if "IgnoreFailed" in statuses else "Success"
    for s in BROKEN_PRIORITY:
        if s in statuses:
            return s
    for s in (
        "InterventionWaiting",
        "ApprovalWaiting",
        "InputWaiting",
        "ResourceWaiting",
        "WaitStepRunning",
        "QueuedLicenseLimitReached",
        "Queued",
    ):
        if s in statuses:
            return s
    return "Running"
