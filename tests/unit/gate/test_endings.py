"""gate.endings: deadlines, stop requests and aborts leave every deployment an outcome."""

from __future__ import annotations

import threading

import pytest

from harness_gate.gate import endings
from harness_gate.gate.tracked import State
from harness_gate.model import Outcome
from harness_gate.platforms.base import AbortOutcome, ExecutionRef
from tests.unit.gate.fake_platform import make_items, rig


def test_a_timeout_aborts_when_asked() -> None:
    r = rig({"a": 1e6, "b": 1e6})
    a, b = make_items({"a": 1e6, "b": 1e6}, timeout=30.0)
    a.abort_on_exit = True
    r.run([a, b])
    assert a.result.outcome is Outcome.TIMEOUT and b.result.outcome is Outcome.TIMEOUT
    assert r.platform.aborted == [a.result.execution_id]
    assert "abort accepted by Harness" in a.result.details
    assert "the execution was left running in Harness (no abort requested)" in b.result.details


def test_a_stop_aborts_what_was_asked_and_names_the_marker_of_a_start_in_flight() -> None:
    r = rig({"a": 1e6, "b": 1e6, "c": 1e6})
    a, b, c = make_items({"a": 1e6, "b": 1e6, "c": 1e6})
    a.abort_on_exit = True
    r.gate.items = [a, b, c]
    for t, state in ((a, State.ACTIVE), (b, State.STARTING), (c, State.PENDING)):
        t.state = state
        t.marker = f"[harness-gate run-x {t.name}]"
    a.result.execution_id, a.result.status = "ex-a", "RUNNING"
    r.stopper.stop(2)
    endings.on_stop(r.gate)
    assert r.platform.aborted == ["ex-a"]
    assert a.result.outcome is Outcome.ERROR
    assert a.result.message == "interrupted by SIGINT while RUNNING"
    assert "abort accepted by Harness" in a.result.details
    assert b.result.outcome is Outcome.ERROR
    assert any("[harness-gate run-x b]" in line for line in b.result.details)
    assert c.result.outcome is Outcome.SKIPPED


def test_an_abort_that_does_not_answer_in_time_is_reported_unconfirmed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(endings, "ABORT_TIME", 0.05)
    release = threading.Event()
    r = rig({"a": 1e6})

    def hanging_abort(ref: ExecutionRef, timeout: float) -> AbortOutcome:
        release.wait(30)
        return AbortOutcome(True, "too late")

    r.platform.abort = hanging_abort  # type: ignore[method-assign]
    (t,) = make_items({"a": 1e6})
    t.result.execution_id = "ex-a"
    try:
        endings.abort(r.gate, [t])
        # read before the hanging abort is released: its late answer must not race the check
        said, details = t.result.abort_result, list(t.result.details)
    finally:
        release.set()
    assert said == "abort not confirmed: Harness did not answer in time"
    assert details == [said]


def test_nothing_to_abort_without_an_execution() -> None:
    r = rig({"a": 1e6})
    (t,) = make_items({"a": 1e6})
    endings.abort(r.gate, [t])
    assert r.platform.aborted == [] and t.result.abort_result is None
