"""The watch loop on a fake clock and a fake Harness: request counts, pacing, adaptive polling.

A fake is the point here: the loop's scheduling is checked request by request, in fake
seconds, with no wall-clock assertions.
"""

from __future__ import annotations

import io
import re
from typing import Any, Optional

from harness_gate.client import GraphQLResult
from harness_gate.execute import BACKOFF_FACTOR, Gate, Tracked, WatchOptions
from harness_gate.resolve import ResolvedDeployment

from harness_gate.budget import WINDOW, RequestBudget
from harness_gate.console import Console
from harness_gate.model import Deployment, DeploymentResult, Outcome
from harness_gate.stopper import Stopper


class FakeTime:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class FakeStopper(Stopper):
    def __init__(self, clock: FakeTime) -> None:
        super().__init__()
        self.clock = clock

    def wait(self, seconds: float) -> bool:
        self.clock.now += max(0.0, seconds)
        return self.stopped


class FakeHarness:
    """Executions that end `duration` fake seconds after their start, with a status per read."""

    def __init__(self, clock: FakeTime, durations: dict[str, float], budget: RequestBudget):
        self.clock = clock
        self.durations = durations
        self.budget = budget
        self.started: dict[str, tuple[str, float]] = {}  # id -> (entity, start time)
        self.log: list[tuple[float, str, int]] = []  # (time, operation, aliases)
        self.seen_end: dict[str, float] = {}

    def _send(self, operation: str, aliases: int) -> None:
        self.budget.acquire()
        self.log.append((self.clock.now, operation, aliases))

    def mutate(self, document: str, variables: dict[str, Any], **_: Any) -> GraphQLResult:
        self._send("start", len(variables))
        data = {}
        for alias, start in variables.items():
            execution_id = f"ex-{start['entityId']}"
            self.started[execution_id] = (start["entityId"], self.clock.now)
            data[alias] = {"execution": {"id": execution_id, "status": "QUEUED"}}
        return GraphQLResult(data=data)

    def query(self, document: str, variables: dict[str, Any], **_: Any) -> GraphQLResult:
        self._send("poll", len(variables))
        data = {}
        for alias, execution_id in variables.items():
            entity, began = self.started[execution_id]
            end = began + self.durations[entity]
            done = self.clock.now >= end
            data[alias] = {
                "id": execution_id,
                "status": "SUCCESS" if done else "RUNNING",
                "endedAt": int(end * 1000) if done else None,
            }
            if done:
                self.seen_end.setdefault(execution_id, self.clock.now - end)
        return GraphQLResult(data=data)

    def abort(self, *_: Any) -> Any:
        raise AssertionError("no abort expected")


def make_items(
    durations: dict[str, float], needs: Optional[dict[str, list[str]]] = None
) -> list[Tracked]:
    items = []
    for name in durations:
        deployment = Deployment(
            name=name, entity_type="workflow", entity_name=name, application="A"
        )
        items.append(
            Tracked(
                result=DeploymentResult(
                    name=name, application="A", entity_type="workflow", entity_name=name
                ),
                resolved=ResolvedDeployment(deployment, "app", name, []),
                needs=(needs or {}).get(name, []),
                timeout=3600,
            )
        )
    return items


def run_gate(
    durations: dict[str, float],
    max_rpm: int,
    poll_max: float,
    batch: int = 10,
    needs: Optional[dict[str, list[str]]] = None,
) -> tuple[FakeHarness, Gate, list[Tracked]]:
    clock = FakeTime()
    stopper = FakeStopper(clock)
    budget = RequestBudget(max_rpm, clock=clock, wait=stopper.wait)
    harness = FakeHarness(clock, durations, budget)
    options = WatchOptions(parallel=True, poll_max=poll_max, start_batch=batch)
    gate = Gate(harness, Console(io.StringIO()), stopper, options, clock=clock)  # type: ignore[arg-type]
    items = make_items(durations, needs)
    gate.run(items)
    return harness, gate, items


def test_many_deployments_few_requests_within_budget() -> None:
    durations = {f"d{i:03d}": 10.0 + (i * 37) % 111 for i in range(200)}
    harness, gate, items = run_gate(durations, max_rpm=10, poll_max=10.0)
    assert all(t.result.outcome is Outcome.SUCCESS for t in items)
    starts = [entry for entry in harness.log if entry[1] == "start"]
    assert len(starts) == 20 and all(aliases == 10 for _, _, aliases in starts)
    polls = [entry for entry in harness.log if entry[1] == "poll"]
    naive = sum(1 + int(d // 10) for d in durations.values()) + 200  # one poll per run per 10 s
    assert len(harness.log) * 20 < naive
    times = [t for t, _, _ in harness.log]
    for i, begin in enumerate(times):
        assert sum(1 for t in times[i:] if t < begin + WINDOW) <= 10
    assert polls, "polls interleave with starts"
    for t in items:  # even while starts compete with reads for the budget
        assert t.result.notice_interval is not None
        assert harness.seen_end[f"ex-{t.name}"] <= t.result.notice_interval + 1e-6
    first_poll = harness.log.index(polls[0])
    assert first_poll < len(starts), "status reads begin before every batch has started"
    # starts are not starved by reads: they alternate, one start per two request slots
    last_start = max(t for t, op, _ in harness.log if op == "start")
    spacing = gate.client.budget.spacing()
    assert last_start <= len(starts) * 2 * spacing + WINDOW


def test_every_end_is_noticed_within_the_interval_in_force() -> None:
    durations = {f"d{i}": 3.0 + i * 7.3 for i in range(12)}
    harness, _gate, items = run_gate(durations, max_rpm=600, poll_max=5.0)
    assert all(t.result.outcome is Outcome.SUCCESS for t in items)
    for t in items:
        delay = harness.seen_end[f"ex-{t.name}"]
        assert t.result.notice_interval is not None
        assert delay <= t.result.notice_interval + 1e-6


def test_polling_backs_off_and_resets_on_change() -> None:
    _harness, gate, _ = run_gate({"long": 120.0}, max_rpm=600, poll_max=10.0)
    intervals = gate.intervals
    # just after the start: the shortest interval; the first read sees QUEUED -> RUNNING,
    # a change, so the next interval is short again; then it grows by BACKOFF_FACTOR
    assert intervals[:2] == [1.0, 1.0]
    for before, after in zip(intervals[1:], intervals[2:]):
        assert after == min(10.0, before * BACKOFF_FACTOR)
    assert intervals[-1] == 10.0  # never past the configured maximum


def test_interval_respects_the_budget() -> None:
    harness, _gate, _ = run_gate({"a": 300.0}, max_rpm=4, poll_max=5.0)
    # 4 requests a minute allow one read per 15 s: poll_max cannot be honoured, the budget wins
    polls = [t for t, op, _ in harness.log if op == "poll"]
    gaps = [b - a for a, b in zip(polls, polls[1:])]
    assert min(gaps) >= WINDOW / 4 - 1e-6


def test_needs_start_after_success() -> None:
    harness, _gate, items = run_gate(
        {"a": 20.0, "b": 5.0, "c": 5.0}, max_rpm=600, poll_max=2.0, needs={"c": ["a", "b"]}
    )
    starts = [(t, aliases) for t, op, aliases in harness.log if op == "start"]
    assert starts[0][1] == 2 and starts[1][1] == 1
    assert starts[1][0] >= 20.0
    assert all(t.result.outcome is Outcome.SUCCESS for t in items)


def test_unknown_status_is_shown_and_kept_active() -> None:
    clock = FakeTime()
    stopper = FakeStopper(clock)
    stream = io.StringIO()
    budget = RequestBudget(600, clock=clock, wait=stopper.wait)
    options = WatchOptions(parallel=True, poll_max=1.0)
    gate = Gate(FakeHarness(clock, {}, budget), Console(stream), stopper, options, clock=clock)  # type: ignore[arg-type]
    (item,) = make_items({"x": 1.0})
    item.state = "active"
    gate.observe(item, {"id": "e", "status": "DISCONTINUING_LATER"})
    assert item.state == "active" and item.result.outcome is None
    assert re.search(r"x: DISCONTINUING_LATER", stream.getvalue())
