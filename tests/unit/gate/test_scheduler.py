"""gate.scheduler.PollScheduler: when the next status read goes, on a fake clock."""

from __future__ import annotations

import pytest

from harness_gate.budget import RequestBudget
from harness_gate.gate.scheduler import BACKOFF_FACTOR, DEADLINE_LEAD, PollScheduler
from tests.unit.fakes import FakeClock, FakeStopper


def scheduler(max_rpm: int = 600, poll_max: float = 10.0) -> tuple[PollScheduler, FakeClock]:
    clock = FakeClock()
    budget = RequestBudget(max_rpm, clock=clock, wait=FakeStopper(clock).wait)
    return PollScheduler(budget, clock, poll_max=poll_max, min_interval=1.0), clock


def read(
    s: PollScheduler, clock: FakeClock, changed: bool, deadlines: tuple[float, ...] = ()
) -> None:
    clock.now = max(clock.now, s.next_poll)
    s.budget.acquire()
    s.read_sent(clock.now)
    s.after_read(clock.now, changed, deadlines)


def test_unchanged_reads_back_off_by_the_factor_up_to_poll_max() -> None:
    s, clock = scheduler()
    intervals = []
    for _ in range(10):
        read(s, clock, changed=False)
        intervals.append(s.interval)
    assert intervals[0] == pytest.approx(1.0 * BACKOFF_FACTOR)
    for before, after in zip(intervals, intervals[1:]):
        assert after == pytest.approx(min(10.0, before * BACKOFF_FACTOR))
    assert intervals[-1] == 10.0


def test_a_change_resets_to_the_floor() -> None:
    s, clock = scheduler()
    for _ in range(6):
        read(s, clock, changed=False)
    assert s.interval > 5
    read(s, clock, changed=True)
    assert s.interval == s.floor() == 1.0
    assert s.next_poll == pytest.approx(clock.now + 1.0)


def test_the_floor_is_what_the_budget_sustains() -> None:
    s, _ = scheduler(max_rpm=6, poll_max=30.0)
    assert s.floor() == pytest.approx(s.budget.spacing())  # 61 s / 6
    s.reads_per_poll = 2
    assert s.floor() == pytest.approx(min(30.0, 2 * s.budget.spacing()))
    s.poll_max = 5.0
    s.reads_per_poll = 1
    assert s.floor() == 5.0  # never above poll_max, unless starts wait
    s.starts_waiting = True
    assert s.floor() == pytest.approx(2 * s.budget.spacing())


def test_a_read_is_planned_where_the_budget_has_a_slot() -> None:
    s, clock = scheduler(max_rpm=2, poll_max=5.0)
    s.budget.acquire()
    s.budget.acquire()  # the minute's two slots are taken
    read_at = clock.now
    s.read_sent(read_at)
    s.after_read(read_at, changed=True, deadlines=[])
    assert s.next_poll == pytest.approx(s.budget.schedule(1)[0])
    assert s.next_poll > read_at + 5.0


def test_a_deadline_pulls_the_read_forward() -> None:
    s, clock = scheduler(poll_max=60.0)
    for _ in range(12):
        read(s, clock, changed=False)
    assert s.interval == 60.0
    clock.now = s.next_poll  # the next read goes now; the deadline is 20 s on
    deadline = clock.now + 20
    read(s, clock, changed=False, deadlines=(deadline,))
    assert s.next_poll == pytest.approx(deadline - DEADLINE_LEAD)


def test_a_deadline_without_a_budget_slot_before_it_does_not_move_the_read() -> None:
    s, clock = scheduler(max_rpm=1, poll_max=10.0)
    s.budget.acquire()
    s.read_sent(clock.now)
    s.after_read(clock.now, changed=True, deadlines=[clock.now + 30])
    assert s.next_poll == pytest.approx(s.budget.schedule(1)[0])  # a minute on, past it


def test_after_a_start_the_next_read_is_soon_but_never_later_than_planned() -> None:
    s, clock = scheduler(poll_max=10.0)
    s.next_poll = clock.now + 0.2
    s.after_start(had_active=True, deadlines=[])
    assert s.next_poll == pytest.approx(clock.now + 0.2)
    s.after_start(had_active=False, deadlines=[])
    assert s.next_poll == pytest.approx(clock.now + s.floor())


def test_a_start_fits_only_where_it_does_not_push_the_read_back() -> None:
    s, clock = scheduler(max_rpm=6, poll_max=60.0)
    for _ in range(6):
        s.budget.acquire()
    s.next_poll = clock.now  # the read is due now: a start would take its slot
    assert not s.start_fits()
    s.next_poll = clock.now + 10 * s.budget.spacing()
    assert s.start_fits()


def test_intervals_in_force_are_recorded_per_read() -> None:
    s, clock = scheduler()
    read(s, clock, changed=True)
    read(s, clock, changed=False)
    read(s, clock, changed=False)
    assert s.intervals[1:] == [pytest.approx(1.0), pytest.approx(1.5)]
    assert s.in_force == pytest.approx(1.5)
