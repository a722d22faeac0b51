"""A fake Harness behind the Platform protocol, on a fake clock: executions end `duration`
fake seconds after their start; every request takes a budget slot and is logged."""

from __future__ import annotations

import io
import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Callable, Optional

from harness_gate.budget import BudgetExhausted, RequestBudget
from harness_gate.console import Console
from harness_gate.errors import RequestError
from harness_gate.gate import Gate, Tracked, WatchOptions
from harness_gate.model import WORKFLOW, Deployment, DeploymentResult
from harness_gate.platforms.base import (
    AbortOutcome,
    ExecutionRef,
    Phase,
    ReadAnswer,
    Resolution,
    Snapshot,
    StartAnswer,
    StartRequest,
    Target,
)
from harness_gate.transport import NoSlotBeforeDeadline
from tests.unit.fakes import FakeClock, FakeStopper


@dataclass
class FakeTarget:
    deployment: Deployment
    warnings: list[str] = field(default_factory=list)

    @property
    def scope(self) -> tuple[str, ...]:
        return ("app",)

    @property
    def ids(self) -> tuple[str, str]:
        return "app", self.deployment.entity_name


@dataclass
class Execution:
    id: str
    entity: str
    notes: str
    began: float
    duration: float
    final: str = "SUCCESS"
    saved_at: float = 0.0  # when lookups can see it
    phases: Optional[Callable[[float], tuple[Optional[str], Phase, str]]] = None


# What the fake does with a start batch: None answers normally; otherwise a callable that
# gets the requests and returns answers or raises (it may still create executions).
StartBehaviour = Callable[["FakePlatform", Sequence[StartRequest]], list[StartAnswer]]


class FakePlatform:
    name = "fake"

    def __init__(
        self,
        clock: FakeClock,
        budget: RequestBudget,
        durations: dict[str, float],
        *,
        start_batch: int = 10,
        read_batch: int = 100,
        window: float = 5.0,
    ) -> None:
        self.clock = clock
        self.budget = budget
        self.durations = durations
        self.start_batch = start_batch
        self.read_batch = read_batch
        self.window = window
        self.executions: dict[str, Execution] = {}
        self.log: list[tuple[float, str, int]] = []  # (time, operation, items)
        self.seen_end: dict[str, float] = {}
        self.start_behaviour: list[StartBehaviour] = []
        self.lookup_error: Optional[RequestError] = None
        self.read_override: Optional[Callable[[ExecutionRef], ReadAnswer]] = None
        self.resumes: list[tuple[str, tuple[str, ...]]] = []
        self.resume_problem: Optional[str] = None
        self.aborted: list[str] = []
        self.started_flag = False
        self._ids = itertools.count(1)

    # ---- helpers ------------------------------------------------------------------------

    def _send(self, operation: str, items: int, deadline: Optional[float] = None) -> None:
        try:
            self.budget.acquire(deadline)
        except BudgetExhausted as exc:
            raise NoSlotBeforeDeadline(f"{operation}: request budget: {exc}") from None
        self.log.append((self.clock.now, operation, items))

    def create(self, request: StartRequest, save_delay: float = 0.0) -> Execution:
        entity = request.target.deployment.entity_name
        ex = Execution(
            id=f"ex-{entity}-{next(self._ids)}",
            entity=entity,
            notes=request.notes,
            began=self.clock.now,
            duration=self.durations.get(entity, 1e9),
            saved_at=self.clock.now + save_delay,
        )
        self.executions[ex.id] = ex
        return ex

    def snapshot(self, ex: Execution) -> Snapshot:
        if ex.phases is not None:
            status, phase, where = ex.phases(self.clock.now)
            return Snapshot(ex.id, status, phase, scope=("app", "stage-1"), where=where)
        end = ex.began + ex.duration
        if self.clock.now >= end:
            self.seen_end.setdefault(ex.id, self.clock.now - end)
            phase = Phase.SUCCEEDED if ex.final == "SUCCESS" else Phase.FAILED
            return Snapshot(ex.id, ex.final, phase, scope=("app",), notes=ex.notes)
        if self.clock.now == ex.began:
            return Snapshot(ex.id, "QUEUED", Phase.QUEUED, scope=("app",), notes=ex.notes)
        return Snapshot(ex.id, "RUNNING", Phase.RUNNING, scope=("app",), notes=ex.notes)

    def starts(self) -> list[tuple[float, str, int]]:
        return [entry for entry in self.log if entry[1] == "start"]

    def reads(self) -> list[tuple[float, str, int]]:
        return [entry for entry in self.log if entry[1] == "read"]

    def lookups(self) -> list[tuple[float, str, int]]:
        return [entry for entry in self.log if entry[1] == "lookup"]

    # ---- the protocol -----------------------------------------------------------------------

    def resolve(self, deployments: Sequence[Deployment], *, deadline: float) -> Resolution:
        return Resolution([FakeTarget(d) for d in deployments], {}, {})

    def start(self, requests: Sequence[StartRequest], *, deadline: float) -> list[StartAnswer]:
        self._send("start", len(requests), deadline)
        if self.start_behaviour:
            return self.start_behaviour.pop(0)(self, requests)
        return [StartAnswer(snapshot=self.snapshot(self.create(r))) for r in requests]

    def lookup_window(self, batch_size: int) -> float:
        return self.window

    def find_started(
        self, requests: Sequence[StartRequest], *, deadline: float
    ) -> dict[int, Snapshot]:
        self._send("lookup", len(requests), deadline)
        if self.lookup_error is not None:
            raise self.lookup_error
        found = {}
        for i, r in enumerate(requests):
            for ex in self.executions.values():
                if r.marker in ex.notes and ex.saved_at <= self.clock.now:
                    found[i] = self.snapshot(ex)
        return found

    def read(self, refs: Sequence[ExecutionRef], *, deadline: float) -> list[ReadAnswer]:
        self._send("read", len(refs), deadline)
        answers = []
        for ref in refs:
            if self.read_override is not None:
                answers.append(self.read_override(ref))
            else:
                answers.append(
                    ReadAnswer(snapshot=self.snapshot(self.executions[ref.execution_id]))
                )
        return answers

    def resume(self, target: Target, snapshot: Snapshot, *, deadline: float) -> Optional[str]:
        self._send("resume", 1, deadline)
        self.resumes.append((snapshot.execution_id, snapshot.scope))
        return self.resume_problem

    def abort(self, ref: ExecutionRef, timeout: float) -> AbortOutcome:
        self.aborted.append(ref.execution_id)
        return AbortOutcome(True, "abort accepted by Harness")

    def describe_start(self, target: Target, notes: str) -> list[str]:
        return []

    def close(self) -> None:
        pass

    def started_something(self) -> None:
        self.started_flag = True


def make_items(
    durations: dict[str, float],
    needs: Optional[dict[str, list[str]]] = None,
    timeout: float = 3600,
) -> list[Tracked]:
    items = []
    for name in durations:
        deployment = Deployment(name=name, entity_type=WORKFLOW, entity_name=name, application="A")
        items.append(
            Tracked(
                result=DeploymentResult(
                    name=name, application="A", entity_type=WORKFLOW, entity_name=name
                ),
                target=FakeTarget(deployment),
                needs=(needs or {}).get(name, []),
                timeout=timeout,
            )
        )
    return items


@dataclass
class Rig:
    clock: FakeClock
    stopper: FakeStopper
    platform: FakePlatform
    gate: Gate
    output: io.StringIO

    def run(self, items: list[Tracked]) -> list[Tracked]:
        self.gate.run(items)
        return items


def rig(
    durations: dict[str, float],
    *,
    max_rpm: int = 600,
    poll_max: float = 5.0,
    parallel: bool = True,
    start_batch: int = 10,
    read_batch: int = 100,
    window: float = 5.0,
    options: Optional[WatchOptions] = None,
) -> Rig:
    clock = FakeClock()
    stopper = FakeStopper(clock)
    budget = RequestBudget(max_rpm, clock=clock, wait=stopper.wait)
    platform = FakePlatform(
        clock, budget, durations, start_batch=start_batch, read_batch=read_batch, window=window
    )
    output = io.StringIO()
    watch = options or WatchOptions(parallel=parallel, poll_max=poll_max)
    gate = Gate(platform, Console(output), stopper, watch, clock=clock)
    return Rig(clock, stopper, platform, gate, output)
