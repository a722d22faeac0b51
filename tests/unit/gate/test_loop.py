"""The gate loop on a fake clock and a fake platform: request counts, pacing, adaptive
polling, starts interleaved with reads, chunked reads, deadlines. Everything is measured in
fake seconds, request by request."""

from __future__ import annotations

from harness_gate.budget import WINDOW
from harness_gate.gate import Deadline, State
from harness_gate.gate.poller import NOT_FOUND_TOLERANCE
from harness_gate.gate.scheduler import BACKOFF_FACTOR
from harness_gate.model import Outcome
from harness_gate.platforms.base import ExecutionRef, Phase, ReadAnswer, Snapshot
from tests.unit.gate.fake_platform import make_items, rig


def rolling_minute_max(times: list[float]) -> int:
    return max(sum(1 for t in times[i:] if t < begin + WINDOW) for i, begin in enumerate(times))


def test_many_deployments_few_requests_within_budget() -> None:
    durations = {f"d{i:03d}": 10.0 + (i * 37) % 111 for i in range(200)}
    r = rig(durations, max_rpm=10, poll_max=10.0)
    items = r.run(make_items(durations))
    assert all(t.result.outcome is Outcome.SUCCESS for t in items)
    starts, reads = r.platform.starts(), r.platform.reads()
    assert len(starts) == 20 and all(n == 10 for _, _, n in starts)
    naive = sum(1 + int(d // 10) for d in durations.values()) + 200  # a read per run per 10 s
    assert len(r.platform.log) * 20 < naive
    assert rolling_minute_max([t for t, _, _ in r.platform.log]) <= 10
    assert r.platform.log.index(reads[0]) < len(starts), "reads begin before every start"
    for t in items:  # even while starts compete with reads for the budget
        assert t.result.notice_interval is not None
        execution = t.result.execution_id
        assert execution is not None
        assert r.platform.seen_end[execution] <= t.result.notice_interval + 1e-6
    # starts are not starved by reads: they alternate, one start per two request slots
    last_start = starts[-1][0] - r.platform.log[0][0]
    assert last_start <= len(starts) * 2 * r.platform.budget.spacing() + WINDOW


def test_every_end_is_noticed_within_the_interval_in_force() -> None:
    durations = {f"d{i}": 3.0 + i * 7.3 for i in range(12)}
    r = rig(durations, max_rpm=600, poll_max=5.0)
    items = r.run(make_items(durations))
    assert all(t.result.outcome is Outcome.SUCCESS for t in items)
    for t in items:
        assert t.result.notice_interval is not None and t.result.execution_id is not None
        assert r.platform.seen_end[t.result.execution_id] <= t.result.notice_interval + 1e-6


def test_polling_backs_off_and_resets_on_change() -> None:
    r = rig({"long": 120.0}, max_rpm=600, poll_max=10.0)
    r.run(make_items({"long": 120.0}))
    intervals = r.gate.scheduler.intervals
    # just after the start: the shortest interval; the first read sees QUEUED -> RUNNING,
    # a change, so the next interval is short again; then it grows by BACKOFF_FACTOR
    assert intervals[:2] == [1.0, 1.0]
    for before, after in zip(intervals[1:], intervals[2:]):
        assert after == min(10.0, before * BACKOFF_FACTOR)
    assert intervals[-1] == 10.0  # never past the configured maximum


def test_interval_respects_the_budget() -> None:
    r = rig({"a": 300.0}, max_rpm=4, poll_max=5.0)
    r.run(make_items({"a": 300.0}))
    # 4 requests a minute allow one read per 15 s: poll_max cannot be honoured, the budget wins
    reads = [t for t, _, _ in r.platform.reads()]
    assert min(b - a for a, b in zip(reads, reads[1:])) >= WINDOW / 4 - 1e-6


def test_needs_start_after_success() -> None:
    durations = {"a": 20.0, "b": 5.0, "c": 5.0}
    r = rig(durations, poll_max=2.0)
    items = r.run(make_items(durations, needs={"c": ["a", "b"]}))
    starts = r.platform.starts()
    assert [n for _, _, n in starts] == [2, 1]
    assert starts[1][0] - starts[0][0] >= 20.0
    assert all(t.result.outcome is Outcome.SUCCESS for t in items)


def test_in_listed_order_one_at_a_time_and_a_failure_skips_the_rest() -> None:
    durations = {"a": 5.0, "b": 5.0, "c": 5.0}
    r = rig(durations, poll_max=2.0, parallel=False)
    items = make_items(durations)
    r.platform.executions.clear()
    original = r.platform.create

    def create_failing_b(request, save_delay=0.0):  # type: ignore[no-untyped-def]
        ex = original(request, save_delay)
        if ex.entity == "b":
            ex.final = "FAILED"
        return ex

    r.platform.create = create_failing_b  # type: ignore[method-assign]
    r.run(items)
    assert [n for _, _, n in r.platform.starts()] == [1, 1]
    assert [t.result.outcome for t in items] == [Outcome.SUCCESS, Outcome.FAILURE, Outcome.SKIPPED]
    assert "b did not succeed" in items[2].result.message


def test_reads_are_chunked_by_read_batch() -> None:
    durations = {f"d{i}": 30.0 for i in range(7)}
    r = rig(durations, max_rpm=600, poll_max=5.0, read_batch=3)
    items = r.run(make_items(durations))
    assert all(t.result.outcome is Outcome.SUCCESS for t in items)
    reads = r.platform.reads()
    assert max(n for _, _, n in reads) == 3
    # every read of all seven goes out as 3 + 3 + 1, one chunk after another
    assert [n for _, _, n in reads[:3]] == [3, 3, 1]
    assert r.gate.scheduler.reads_per_poll == 3


def test_an_unknown_status_is_shown_and_kept_active() -> None:
    r = rig({"x": 100.0})
    (item,) = make_items({"x": 100.0})
    item.state = State.ACTIVE
    changed = r.gate.poller.apply(
        item, Snapshot("e", "DISCONTINUING_LATER", Phase.RUNNING), announce=True
    )
    assert changed and item.state is State.ACTIVE and item.result.outcome is None
    assert "x: DISCONTINUING_LATER" in r.output.getvalue()
    assert item.result.status == "DISCONTINUING_LATER"


def test_a_read_without_a_budget_slot_before_the_deadline_ends_in_timeout() -> None:
    # One request a minute: the start takes the slot; no read can go before the 30 s timeout.
    r = rig({"slow": 1e6}, max_rpm=1, poll_max=10.0)
    items = r.run(make_items({"slow": 1e6}, timeout=30.0))
    (t,) = items
    assert t.result.outcome is Outcome.TIMEOUT
    assert t.result.status == "QUEUED"  # the last status seen, from the start's answer
    assert "still QUEUED" in t.result.message and "its timeout of 30s" in t.result.message
    assert r.platform.reads() == []
    assert t.poll_error is None


def test_a_deadline_pulls_the_last_read_forward() -> None:
    # poll_max is far longer than the timeout: the deployment is still looked at before it
    # is declared timed out.
    r = rig({"slow": 1e6}, max_rpm=600, poll_max=500.0)
    (t,) = r.run(make_items({"slow": 1e6}, timeout=40.0))
    assert t.result.outcome is Outcome.TIMEOUT and t.result.status == "RUNNING"
    last_read = r.platform.reads()[-1][0]
    start = r.platform.starts()[0][0]
    assert start + 30 < last_read < start + 40


def test_reads_failing_until_the_deadline_end_in_error() -> None:
    r = rig({"x": 1e6})
    r.platform.read_override = lambda ref: ReadAnswer(error="boom")
    (t,) = r.run(make_items({"x": 1e6}, timeout=20.0))
    assert t.result.outcome is Outcome.ERROR
    assert "status reads kept failing until the deadline: boom" in t.result.message


def test_not_found_is_tolerated_for_a_few_reads() -> None:
    r = rig({"x": 1e6})
    misses = {"n": 0}

    def lagging(ref: ExecutionRef) -> ReadAnswer:
        misses["n"] += 1
        if misses["n"] <= NOT_FOUND_TOLERANCE:
            return ReadAnswer(not_found="does not exist or access is denied")
        return ReadAnswer(snapshot=Snapshot(ref.execution_id, "SUCCESS", Phase.SUCCEEDED))

    r.platform.read_override = lagging
    (t,) = r.run(make_items({"x": 1e6}))
    assert t.result.outcome is Outcome.SUCCESS
    assert "does not show execution" in r.output.getvalue()


def test_not_found_past_the_tolerance_is_an_error() -> None:
    r = rig({"x": 1e6})
    r.platform.read_override = lambda ref: ReadAnswer(not_found="does not exist")
    (t,) = r.run(make_items({"x": 1e6}))
    assert t.result.outcome is Outcome.ERROR
    assert f"({NOT_FOUND_TOLERANCE + 1} reads in a row)" in t.result.message
    assert len(r.platform.reads()) == NOT_FOUND_TOLERANCE + 1


def waiting_for_inputs(now: float) -> tuple[str, Phase, str]:
    return "PAUSED", Phase.WAITING_INPUT, "stage Deploy PAUSED"


def test_a_stage_waiting_for_inputs_is_resumed_once() -> None:
    r = rig({"x": 1e6})
    original = r.platform.create

    def paused(request, save_delay=0.0):  # type: ignore[no-untyped-def]
        ex = original(request, save_delay)
        began = ex.began

        def phases(now: float) -> tuple[str, Phase, str]:
            if now - began < 30:
                return waiting_for_inputs(now)
            return "SUCCESS", Phase.SUCCEEDED, ""

        ex.phases = phases
        return ex

    r.platform.create = paused  # type: ignore[method-assign]
    (t,) = r.run(make_items({"x": 1e6}))
    assert t.result.outcome is Outcome.SUCCESS
    assert len(r.platform.resumes) == 1  # several reads saw it waiting; one resume
    assert r.platform.resumes[0][1] == ("app", "stage-1")


def test_a_stage_that_cannot_be_resumed_fails_with_the_reason() -> None:
    r = rig({"x": 1e6})
    r.platform.resume_problem = "the stage waits for runtime input(s) env"
    original = r.platform.create

    def paused(request, save_delay=0.0):  # type: ignore[no-untyped-def]
        ex = original(request, save_delay)
        ex.phases = waiting_for_inputs
        return ex

    r.platform.create = paused  # type: ignore[method-assign]
    (t,) = r.run(make_items({"x": 1e6}))
    assert t.result.outcome is Outcome.FAILURE
    assert t.result.message == (
        "stage Deploy PAUSED waits for runtime inputs: the stage waits for runtime input(s) env"
    )


def test_the_runs_timeout_skips_what_has_not_started() -> None:
    durations = {"a": 1e6, "b": 1.0}
    r = rig(durations, parallel=False)
    r.gate.options.run_deadline = Deadline(r.clock.now + 50, 50, "--timeout")
    a, b = r.run(make_items(durations))
    assert a.result.outcome is Outcome.TIMEOUT and "the run's --timeout of 50s" in a.result.message
    assert b.result.outcome is Outcome.SKIPPED and "--timeout passed first" in b.result.message
    assert len(r.platform.starts()) == 1


def test_a_stop_request_ends_everything_with_an_outcome() -> None:
    durations = {"a": 1e6, "b": 1e6}
    r = rig(durations, parallel=False)
    original = r.platform.read

    def stop_on_read(refs, *, deadline):  # type: ignore[no-untyped-def]
        r.stopper.stop(15)
        return original(refs, deadline=deadline)

    r.platform.read = stop_on_read  # type: ignore[method-assign]
    a, b = r.run(make_items(durations))
    assert a.result.outcome is Outcome.ERROR and "interrupted by SIGTERM" in a.result.message
    assert b.result.outcome is Outcome.SKIPPED and "interrupted by SIGTERM" in b.result.message
    assert r.platform.aborted == []  # no abort asked for
