"""Mutable emulator state: clock, executions, faults, request log and rate limiters."""

from __future__ import annotations

import base64
import collections
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Optional

from harness_gate.emulator.fixture import (
    Application,
    Fixtures,
    Pipeline,
    Workflow,
    derived_api_key,
)
from harness_gate.emulator.start import ChosenArtifact, ChosenChart, Deployment, Resolved
from harness_gate.emulator.timeline import Decision, Pause, Plan, Timeline, build, child_id

FAULT_KINDS = (
    "http_429",
    "http_500",
    "http_502",
    "http_503",
    "http_504",
    "drop",
    "delay",
    "malformed",
    "start_null",
    "execution_not_found",
    "start_delay",
    "start_error",
    "slow_fields",
    "feature_not_enabled",
)
# Faults that change how a request is carried out rather than replacing its answer.
SHAPING_KINDS = frozenset({"delay", "start_null", "start_delay", "start_error", "slow_fields"})
# Faults that only mean something for a request that starts executions.
_START_KINDS = frozenset({"start_null", "start_delay", "start_error"})
# Faults that replace the whole answer; "process" runs the request first.
_PROCESS_KINDS = frozenset(
    {"http_429", "http_500", "http_502", "http_503", "http_504", "drop", "malformed"}
)
_PARAMS = {
    "delay": {"seconds", "process"},
    "execution_not_found": {"polls"},
    "http_500": {"process", "message"},
    "start_delay": {"seconds"},
    "start_error": {"message", "seconds"},
    "slow_fields": {"seconds"},
}


class FaultError(ValueError):
    """A fault the control API cannot queue."""


@dataclass
class Fault:
    kind: str
    match: str = "*"
    count: int = 1
    params: dict[str, Any] = field(default_factory=dict)

    def applies(self, fields: list[str]) -> bool:
        if self.kind in _START_KINDS and "startExecution" not in fields:
            return False  # it only means something for a start
        return self.match == "*" or self.match in fields

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "match": self.match,
            "count": self.count,
            "params": dict(self.params),
        }


def make_fault(
    kind: str, match: str = "*", count: int = 1, params: Optional[dict[str, Any]] = None
) -> Fault:
    params = dict(params or {})
    if kind not in FAULT_KINDS:
        raise FaultError(f"unknown fault kind {kind!r}; expected one of {', '.join(FAULT_KINDS)}")
    if not isinstance(match, str) or not match:
        raise FaultError("match must be a top-level field name, 'abort' or '*'")
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        raise FaultError("count must be a positive integer")
    allowed = set(_PARAMS.get(kind, set()))
    if kind in _PROCESS_KINDS:
        allowed.add("process")
    unknown = sorted(set(params) - allowed)
    if unknown:
        raise FaultError(f"fault {kind} takes no parameter(s) {', '.join(unknown)}")
    if "process" in params and not isinstance(params["process"], bool):
        raise FaultError("process must be true or false")
    for key in ("seconds", "polls"):
        if key in params:
            value = params[key]
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
                raise FaultError(f"{key} must be a non-negative number")
    if "message" in params and not isinstance(params["message"], str):
        raise FaultError("message must be a string")
    if kind in ("delay", "start_delay"):
        params.setdefault("seconds", 1.0)
    if kind == "slow_fields":
        params.setdefault("seconds", 0.1)
    if kind == "execution_not_found":
        params.setdefault("polls", 1)
    return Fault(kind, match, count, params)


class SlidingWindow:
    """Accepted calls in the last `window` real seconds; a rejected call is not recorded."""

    def __init__(self, limit: int, window: float = 60.0) -> None:
        self.limit = limit
        self.window = window
        self.calls: collections.deque[float] = collections.deque()

    def allow(self, now: float) -> bool:
        while self.calls and self.calls[0] <= now - self.window:
            self.calls.popleft()
        if len(self.calls) >= self.limit:
            return False
        self.calls.append(now)
        return True


def new_id() -> str:
    return base64.urlsafe_b64encode(uuid.uuid4().bytes).rstrip(b"=").decode()


@dataclass
class ExecutionRecord:
    id: str
    app: Application
    pipeline: Optional[Pipeline]
    workflow: Optional[Workflow]
    notes: Optional[str]
    created: float
    given: dict[str, str]
    inputs: list[tuple[str, str]]
    deployments: list[Optional[Deployment]]
    artifacts: list[ChosenArtifact]
    service_inputs: list[dict[str, Any]]
    plan: Plan
    charts: list[ChosenChart] = field(default_factory=list)
    variable_inputs: list[dict[str, Any]] = field(default_factory=list)  # as the start sent them
    decisions: dict[str, Decision] = field(default_factory=dict)
    aborted_at: Optional[float] = None
    interrupt_id: Optional[str] = None
    pauses: list[Pause] = field(default_factory=list)  # PAUSE_ALL .. RESUME_ALL
    hidden_reads: int = 0
    _timeline: Optional[Timeline] = None

    @property
    def entity_type(self) -> str:
        return "pipeline" if self.pipeline is not None else "workflow"

    @property
    def entity(self) -> Any:
        return self.pipeline if self.pipeline is not None else self.workflow

    @property
    def timeline(self) -> Timeline:
        if self._timeline is None:
            self._timeline = build(self.plan, self.decisions, self.aborted_at, tuple(self.pauses))
        return self._timeline

    def invalidate(self) -> None:
        self._timeline = None

    def artifacts_for(self, deployment: Optional[Deployment]) -> list[ChosenArtifact]:
        if deployment is None:
            return []
        ids = {s.id for s in deployment.needed}
        return [a for a in self.artifacts if a.service.id in ids]

    def charts_for(self, deployment: Optional[Deployment]) -> list[ChosenChart]:
        if deployment is None:
            return []
        ids = {s.id for s in deployment.needs_manifest}
        return [c for c in self.charts if c.service.id in ids]

    def paused_by_hand(self, now: float) -> bool:
        return any(p <= now and (r is None or now < r) for p, r in self.pauses)

    def waiting_for(self, now: float) -> Optional[str]:
        """Why a PAUSED execution waits: approval, inputs or manual; None when not paused."""
        tl = self.timeline
        if tl.status_at(now) != "PAUSED":
            return None
        if self.paused_by_hand(now):
            return "manual"
        if any(a.pending(now) for a in tl.approvals):
            return "approval"
        if any(s.waiting is not None and s.waiting.pending(now) for s in tl.stages):
            return "inputs"
        return "manual"


def ms(t: Optional[float]) -> Optional[int]:
    """Emulator seconds -> epoch milliseconds, the DateTime wire form."""
    return None if t is None else round(t * 1000)


class State:
    def __init__(
        self,
        fixtures: Fixtures,
        time_scale: float,
        rate_limit: Optional[int],
        account_id: Optional[str],
        api_key: Optional[str],
    ) -> None:
        if time_scale <= 0:
            raise ValueError("time_scale must be positive")
        if rate_limit is not None and rate_limit < 1:
            raise ValueError("rate_limit must be a positive number of calls per minute, or None")
        self.fixtures = fixtures
        self.account_id = account_id or fixtures.account.id
        if api_key:
            self.api_key = api_key
        elif account_id and not fixtures.account.api_key_explicit:
            self.api_key = derived_api_key(account_id)
        else:
            self.api_key = fixtures.account.api_key
        self.time_scale = float(time_scale)
        self.rate_limit = rate_limit
        self.rest_rate_limit: Optional[int] = None if rate_limit is None else 50
        self.portal_url = fixtures.account.portal_url or "http://127.0.0.1/"
        self.lock = threading.RLock()
        self._wall0 = time.time()
        self._mono0 = time.monotonic()
        self._offset = 0.0
        self.executions: list[ExecutionRecord] = []
        self.by_id: dict[str, ExecutionRecord] = {}
        self.children: dict[str, tuple[ExecutionRecord, int]] = {}
        self.faults: list[Fault] = []
        self.hide_next: list[int] = []  # polls for each of the next executions started
        self.log: list[dict[str, Any]] = []
        self.seq = 0
        self.limiters: dict[str, SlidingWindow] = {}
        self.rest_limiters: dict[str, SlidingWindow] = {}

    # -- clock --------------------------------------------------------------------------------

    def now(self) -> float:
        elapsed = time.monotonic() - self._mono0
        return self._wall0 + self._offset + elapsed * self.time_scale

    def advance(self, seconds: float) -> None:
        with self.lock:
            self._offset += seconds

    # -- faults -------------------------------------------------------------------------------

    def add_fault(self, fault: Fault) -> None:
        with self.lock:
            if fault.kind == "execution_not_found":
                self.hide_next += [int(fault.params["polls"])] * fault.count
            else:
                self.faults.append(fault)

    def take_fault(self, fields: list[str]) -> Optional[Fault]:
        with self.lock:
            for fault in self.faults:
                if fault.applies(fields):
                    fault.count -= 1
                    if fault.count <= 0:
                        self.faults.remove(fault)
                    return fault
            return None

    # -- rate limits --------------------------------------------------------------------------

    def allow_graphql(self) -> bool:
        if self.rate_limit is None:
            return True
        with self.lock:
            window = self.limiters.setdefault(self.account_id, SlidingWindow(self.rate_limit))
            return window.allow(time.monotonic())

    def allow_rest(self, key: str) -> bool:
        if self.rest_rate_limit is None:
            return True
        with self.lock:
            window = self.rest_limiters.setdefault(key, SlidingWindow(self.rest_rate_limit))
            return window.allow(time.monotonic())

    # -- executions ---------------------------------------------------------------------------

    def start(self, resolved: Resolved, inp: dict[str, Any], now: float) -> ExecutionRecord:
        with self.lock:
            execution_id = new_id()
            entity: Any = resolved.pipeline or resolved.workflow
            if resolved.pipeline is not None:
                plan = Plan(
                    execution_id,
                    now,
                    resolved.pipeline.preparing,
                    resolved.pipeline.queued,
                    stages=resolved.pipeline.stages,
                    continue_with_defaults=bool(inp.get("continueWithDefaultValues")),
                )
            else:
                beh = entity.behaviour
                plan = Plan(execution_id, now, beh.preparing, beh.queued, behaviour=beh)
            record = ExecutionRecord(
                id=execution_id,
                app=resolved.app,
                pipeline=resolved.pipeline,
                workflow=resolved.workflow,
                notes=inp.get("notes"),
                created=now,
                given=resolved.given,
                inputs=resolved.inputs,
                deployments=resolved.deployments,
                artifacts=resolved.artifacts,
                service_inputs=[_compact(s) for s in inp.get("serviceInputs") or [] if s],
                plan=plan,
                charts=resolved.charts,
                variable_inputs=[_compact(v) for v in inp.get("variableInputs") or [] if v],
            )
            if self.hide_next:
                record.hidden_reads = self.hide_next.pop(0)
            self.executions.append(record)
            self.by_id[execution_id] = record
            for i, stage in enumerate(resolved.pipeline.stages if resolved.pipeline else []):
                if stage.workflow is not None:
                    self.children[child_id(execution_id, i)] = (record, i)
            return record

    def visible(self, record: ExecutionRecord, read_ids: set[str]) -> bool:
        """False while an execution_not_found fault hides it; each request is one read."""
        with self.lock:
            if record.hidden_reads <= 0:
                return True
            if record.id not in read_ids:
                read_ids.add(record.id)
                record.hidden_reads -= 1
            return False

    def abort(self, record: ExecutionRecord, now: float) -> None:
        with self.lock:
            record.aborted_at = now
            record.interrupt_id = new_id()
            record.invalidate()

    def pause(self, record: ExecutionRecord, now: float) -> None:
        """PAUSE_ALL: the run stands still until RESUME_ALL."""
        with self.lock:
            if not record.paused_by_hand(now):
                record.pauses.append((now, None))
                record.interrupt_id = new_id()
                record.invalidate()

    def resume(self, record: ExecutionRecord, now: float) -> None:
        """RESUME_ALL: the run goes on where it stopped."""
        with self.lock:
            if record.pauses and record.pauses[-1][1] is None:
                record.pauses[-1] = (record.pauses[-1][0], now)
                record.interrupt_id = new_id()
                record.invalidate()

    def decide(self, record: ExecutionRecord, approval_id: str, decision: Decision) -> None:
        with self.lock:
            record.decisions[approval_id] = decision
            record.invalidate()

    def delete(self, execution_id: str) -> bool:
        """Forget one execution, as if it was deleted: reads then find nothing."""
        with self.lock:
            record = self.by_id.pop(execution_id, None)
            if record is None:
                return False
            self.executions.remove(record)
            for child in [k for k, (r, _) in self.children.items() if r is record]:
                del self.children[child]
            return True

    def reset(self) -> None:
        with self.lock:
            self.faults.clear()
            self.hide_next.clear()
            self.log.clear()
            self.executions.clear()
            self.by_id.clear()
            self.children.clear()

    # -- request log --------------------------------------------------------------------------

    def next_seq(self) -> int:
        with self.lock:
            self.seq += 1
            return self.seq

    def record_request(self, entry: dict[str, Any]) -> None:
        with self.lock:
            self.log.append(entry)

    def execution_dict(self, record: ExecutionRecord, now: float) -> dict[str, Any]:
        tl = record.timeline
        return {
            "id": record.id,
            "application_id": record.app.id,
            "entity_type": record.entity_type,
            "entity_id": record.entity.id,
            "entity_name": record.entity.name,
            "status": tl.status_at(now),
            "notes": record.notes,
            "created_at": ms(record.created),
            "started_at": ms(tl.started_at(now)),
            "ended_at": ms(tl.ended_at(now)),
            "aborted": record.aborted_at is not None,
            "history": [{"status": s, "at": ms(at)} for at, s in tl.track.history(now)],
            "variables": dict(record.given),
            "service_inputs": [dict(s) for s in record.service_inputs],
            "waiting_for": record.waiting_for(now),
            "continue_with_defaults": record.plan.continue_with_defaults,
        }


def _compact(value: Any) -> Any:
    """An input object without the keys the client left out or sent as null."""
    if isinstance(value, dict):
        return {k: _compact(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_compact(v) for v in value]
    return value
