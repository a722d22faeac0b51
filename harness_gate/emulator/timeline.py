"""Status timelines: what an execution's status is at any emulator time.

A timeline is computed once from the fixture's behaviour, the creation time, the approval
decisions made so far and an abort, and recomputed when one of those changes. Reading a
status is then a lookup, so nothing runs in the background.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field, replace
from typing import Optional

from harness_gate.emulator.fixture import Approval, Behaviour, Stage, derived_id

FINAL_STATUSES = frozenset(
    {"SUCCESS", "FAILED", "ERROR", "ABORTED", "REJECTED", "EXPIRED", "SKIPPED"}
)

Event = tuple[float, Optional[str]]


@dataclass
class Decision:
    at: float
    action: str  # approve | reject | resume (runtime inputs given)
    comments: Optional[str] = None


@dataclass
class InputWait:
    """A pipeline stage paused for runtime inputs (interrupt PAUSE_FOR_INPUTS)."""

    since: float
    until: float  # resumed, timed out or aborted
    resolution: str  # resume | expire | defaults | abort

    def pending(self, t: float) -> bool:
        return self.since <= t < self.until


@dataclass
class ApprovalWindow:
    id: str
    spec: Approval
    owner_id: str  # the execution that waits: a workflow run or the pipeline
    stage_name: Optional[str]
    started: float
    expires: float
    ended: float  # when it was resolved (or will be, if nobody decides)
    resolution: str  # approve | reject | expire | abort

    def pending(self, t: float) -> bool:
        return self.started <= t < self.ended


@dataclass
class Track:
    """Status changes of one execution or stage, in time order."""

    events: list[Event] = field(default_factory=list)

    def index_at(self, t: float) -> int:
        return bisect.bisect_right([at for at, _ in self.events], t) - 1

    def started(self, t: float) -> bool:
        return bool(self.events) and self.events[0][0] <= t

    def status_at(self, t: float) -> Optional[str]:
        i = self.index_at(t)
        return self.events[i][1] if i >= 0 else None

    def history(self, t: float) -> list[Event]:
        return self.events[: self.index_at(t) + 1]

    def end(self) -> Optional[float]:
        if self.events and self.events[-1][1] in FINAL_STATUSES:
            return self.events[-1][0]
        return None


@dataclass
class StageRun:
    stage: Stage
    child_id: Optional[str]  # the workflow execution of a workflow stage
    track: Track  # no events: the stage was never reached (or waits for inputs)
    waiting: Optional[InputWait] = None

    def status_at(self, t: float) -> Optional[str]:
        """The stage's status; None: not reached yet."""
        w = self.waiting
        if w is not None and w.since <= t:
            if t < w.until:
                return "PAUSED"
            if w.resolution == "expire":
                return "EXPIRED"
            if w.resolution == "abort":
                return "ABORTED"
        if not self.track.started(t):
            return None
        return self.track.status_at(t)


@dataclass
class Timeline:
    track: Track
    run_start: float  # RUNNING from here (startedAt)
    end: float
    final: str
    failure: Optional[str]
    stages: list[StageRun]
    approvals: list[ApprovalWindow]

    def status_at(self, t: float) -> Optional[str]:
        return self.track.status_at(t)

    def started_at(self, t: float) -> Optional[float]:
        return self.run_start if self.run_start <= min(t, self.end) else None

    def ended_at(self, t: float) -> Optional[float]:
        return self.end if self.end <= t else None


@dataclass
class Plan:
    """Everything fixed at start time that the timeline depends on."""

    execution_id: str
    created: float
    preparing: float
    queued: float
    behaviour: Optional[Behaviour] = None  # a workflow
    stages: list[Stage] = field(default_factory=list)  # a pipeline
    continue_with_defaults: bool = False  # runtime-input stages do not pause


def child_id(execution_id: str, index: int) -> str:
    return derived_id("stage-execution", execution_id, str(index))


def approval_id(execution_id: str, index: int) -> str:
    return derived_id("approval", execution_id, str(index))


def inputs_id(execution_id: str, index: int) -> str:
    """The key of a runtime-inputs resume among an execution's decisions."""
    return derived_id("runtime-inputs", execution_id, str(index))


# A PAUSE_ALL interrupt: paused at, resumed at (None: still paused).
Pause = tuple[float, Optional[float]]
_NEVER = float("inf")


def build(
    plan: Plan,
    decisions: dict[str, Decision],
    aborted_at: Optional[float],
    pauses: tuple[Pause, ...] = (),
) -> Timeline:
    """The run as planned; PAUSE_ALL..RESUME_ALL intervals push everything after them back."""
    if pauses:
        decisions = {k: replace(d, at=_unpaused(d.at, pauses)) for k, d in decisions.items()}
    timeline = _build(plan, decisions)
    if pauses:
        timeline = _paused(timeline, pauses)
    if aborted_at is not None and aborted_at < timeline.end:
        timeline = _abort(timeline, aborted_at)
    return timeline


def _unpaused(t: float, pauses: tuple[Pause, ...]) -> float:
    """Real emulator time -> the run's own time, which stands still while it is paused."""
    return t - sum(min(t, _NEVER if r is None else r) - p for p, r in pauses if p < t)


def _paused(tl: Timeline, pauses: tuple[Pause, ...]) -> Timeline:
    starts = [(_unpaused(p, pauses), (_NEVER if r is None else r) - p) for p, r in pauses]

    def real(t: float) -> float:
        return t + sum(length for at, length in starts if t > at)

    def shift(track: Track) -> Track:
        return Track([(real(at), status) for at, status in track.events if real(at) < _NEVER])

    top = shift(tl.track)
    stages = [
        replace(
            s,
            track=shift(s.track),
            waiting=None
            if s.waiting is None
            else replace(s.waiting, since=real(s.waiting.since), until=real(s.waiting.until)),
        )
        for s in tl.stages
    ]
    for p, r in pauses:
        top = _interrupt(top, p, r)
        stages = [replace(s, track=_interrupt(s.track, p, r)) for s in stages]
    approvals = [
        replace(a, started=real(a.started), expires=real(a.expires), ended=real(a.ended))
        for a in tl.approvals
    ]
    return Timeline(top, real(tl.run_start), real(tl.end), tl.final, tl.failure, stages, approvals)


def _interrupt(track: Track, paused: float, resumed: Optional[float]) -> Track:
    """PAUSED from `paused`, back to the status it had when `resumed`; a track that has not
    started or has ended by then is left alone."""
    if not track.started(paused):
        return track
    before = track.status_at(paused)
    if before in FINAL_STATUSES:
        return track
    events = [e for e in track.events if e[0] <= paused] + [(paused, "PAUSED")]
    if resumed is not None:
        events.append((resumed, before))
        events += [e for e in track.events if e[0] > paused]
    events.sort(key=lambda e: e[0])
    return Track(events)


def _build(plan: Plan, decisions: dict[str, Decision]) -> Timeline:
    events: list[Event] = []
    t = plan.created
    if plan.preparing > 0:
        events.append((t, None))  # PREPARING reads as a null status
        t += plan.preparing
    if plan.queued > 0:
        events.append((t, "QUEUED"))
        t += plan.queued
    if plan.behaviour is not None:
        run = _run(
            plan.behaviour, t, approval_id(plan.execution_id, 0), plan.execution_id, None, decisions
        )
        events += run.track.events
        timeline = Timeline(Track(events), t, run.end, run.final, run.failure, [], run.approvals)
    else:
        timeline = _pipeline(plan, t, events, decisions)
    return timeline


@dataclass
class _Run:
    track: Track
    end: float
    final: str
    failure: Optional[str]
    approvals: list[ApprovalWindow]


def _resolve(
    spec: Approval, waiting_since: float, decision: Optional[Decision]
) -> tuple[float, str]:
    if decision is not None:
        return decision.at, decision.action
    if spec.resolve in ("approve", "reject") and spec.resolve_after < spec.timeout:
        return waiting_since + spec.resolve_after, spec.resolve
    return waiting_since + spec.timeout, "expire"


def _window(
    aid: str,
    spec: Approval,
    owner: str,
    stage: Optional[str],
    since: float,
    when: float,
    action: str,
) -> ApprovalWindow:
    return ApprovalWindow(aid, spec, owner, stage, since, since + spec.timeout, when, action)


def _rejection(spec: Approval, action: str) -> Optional[str]:
    """failureDetails of a run an approval ended: the fixture's words, for rejections only."""
    return (spec.failure or "Approval rejected") if action == "reject" else None


def _run(
    beh: Behaviour,
    start: float,
    aid: str,
    owner: str,
    stage_name: Optional[str],
    decisions: dict[str, Decision],
) -> _Run:
    """One workflow run from the moment it starts RUNNING."""
    events: list[Event] = [(start, "RUNNING")]
    approvals = []
    remaining = beh.duration
    t = start
    if beh.pause is not None:
        # A manual pause: PAUSED with no approval waiting, then RUNNING again.
        t += beh.pause.after
        remaining -= beh.pause.after
        events.append((t, "PAUSED"))
        t += beh.pause.resume_after
        events.append((t, "RUNNING"))
    if beh.approval is not None:
        spec = beh.approval
        t += spec.after
        remaining -= spec.after
        events.append((t, "PAUSED"))
        when, action = _resolve(spec, t, decisions.get(aid))
        approvals.append(_window(aid, spec, owner, stage_name, t, when, action))
        if action != "approve":
            final = "REJECTED" if action == "reject" else "EXPIRED"
            events.append((when, final))
            return _Run(Track(events), when, final, _rejection(spec, action), approvals)
        events.append((when, "RUNNING"))
        t = when
    end = t + remaining
    events.append((end, beh.outcome))
    failure = beh.failure if beh.outcome == "FAILED" else None
    return _Run(Track(events), end, beh.outcome, failure, approvals)


def _pipeline(
    plan: Plan, start: float, events: list[Event], decisions: dict[str, Decision]
) -> Timeline:
    events.append((start, "RUNNING"))
    cursor = start
    final: Optional[str] = None
    failure: Optional[str] = None
    stages: list[StageRun] = []
    approvals: list[ApprovalWindow] = []
    for i, stage in enumerate(plan.stages):
        if final is not None:
            stages.append(StageRun(stage, None, Track()))  # never reached
            continue
        aid = approval_id(plan.execution_id, i)
        if stage.approval is not None:
            spec = stage.approval
            events.append((cursor, "PAUSED"))
            when, action = _resolve(spec, cursor, decisions.get(aid))
            approvals.append(
                _window(aid, spec, plan.execution_id, stage.name, cursor, when, action)
            )
            stage_events: list[Event] = [(cursor, "PAUSED")]
            if action == "approve":
                stage_events.append((when, "SUCCESS"))
                events.append((when, "RUNNING"))
            else:
                final = "REJECTED" if action == "reject" else "EXPIRED"
                stage_events.append((when, final))
                failure = _rejection(spec, action)
            stages.append(StageRun(stage, None, Track(stage_events)))
            cursor = when
            continue
        assert stage.behaviour is not None
        waiting: Optional[InputWait] = None
        if stage.runtime_variables and not plan.continue_with_defaults:
            resume = decisions.get(inputs_id(plan.execution_id, i))
            events.append((cursor, "PAUSED"))
            if resume is not None:
                waiting = InputWait(cursor, resume.at, "resume")
            elif stage.runtime_action == "CONTINUE_WITH_DEFAULTS":
                waiting = InputWait(cursor, cursor + stage.runtime_timeout, "defaults")
            else:
                waiting = InputWait(cursor, cursor + stage.runtime_timeout, "expire")
            cursor = waiting.until
            if waiting.resolution == "expire":
                stages.append(StageRun(stage, None, Track(), waiting))
                final = "EXPIRED"
                continue
            events.append((cursor, "RUNNING"))
        child = child_id(plan.execution_id, i)
        run = _run(stage.behaviour, cursor, aid, child, stage.name, decisions)
        stages.append(StageRun(stage, child, run.track, waiting))
        approvals += run.approvals
        # The pipeline mirrors its running stage: PAUSED while it waits, RUNNING again after.
        events += [e for e in run.track.events[1:] if e[1] in ("PAUSED", "RUNNING")]
        cursor = run.end
        if run.final != "SUCCESS":
            final, failure = run.final, run.failure
    events.append((cursor, final or "SUCCESS"))
    return Timeline(Track(events), start, cursor, final or "SUCCESS", failure, stages, approvals)


def _abort(tl: Timeline, at: float) -> Timeline:
    def cut(track: Track) -> Track:
        kept = [e for e in track.events if e[0] <= at]
        if kept and kept[-1][1] not in FINAL_STATUSES:
            kept.append((at, "ABORTED"))
        return Track(kept)

    top = Track([e for e in tl.track.events if e[0] <= at] + [(at, "ABORTED")])
    stages = [
        replace(
            s,
            track=cut(s.track),
            waiting=None
            if s.waiting is None or s.waiting.since > at
            else replace(s.waiting, until=at, resolution="abort")
            if s.waiting.pending(at)
            else s.waiting,
        )
        for s in tl.stages
    ]
    approvals = [
        replace(a, ended=at, resolution="abort") if a.pending(at) else a
        for a in tl.approvals
        if a.started <= at
    ]
    return Timeline(top, tl.run_start, at, "ABORTED", None, stages, approvals)
