"""The request budget, on a fake clock: no rolling minute ever holds more than the limit."""

from __future__ import annotations

import random

import pytest

from harness_gate.budget import MARGIN, WINDOW, BudgetExhausted, RequestBudget


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def wait(self, seconds: float) -> bool:
        self.slept.append(seconds)
        self.now += seconds
        return False


def max_in_any_window(times: list[float]) -> int:
    best = 0
    for i, start in enumerate(times):
        best = max(best, sum(1 for t in times[i:] if t < start + WINDOW))
    return best


def test_never_more_than_limit_in_any_rolling_minute() -> None:
    clock = FakeClock()
    budget = RequestBudget(7, clock=clock, wait=clock.wait)
    sent = []
    for _ in range(40):
        budget.acquire()
        sent.append(clock.now)
        clock.now += random.Random(len(sent)).uniform(0, 3)
    assert max_in_any_window(sent) <= 7
    assert len(sent) == 40


def test_a_short_burst_then_even_pacing() -> None:
    clock = FakeClock()
    budget = RequestBudget(10, clock=clock, wait=clock.wait)
    for _ in range(4):
        budget.acquire()
    assert clock.slept == []  # resolution and a first start go at once
    sent = [clock.now] * 4
    for _ in range(40):
        budget.acquire()
        sent.append(clock.now)
    gaps = [b - a for a, b in zip(sent[3:], sent[4:])]
    window = WINDOW + MARGIN
    # the slots left after the burst are spread over the rest of the minute: no long idle
    assert max(gaps) <= window / (10 - 4 + 1) + 1e-9
    assert gaps[-1] == pytest.approx(window / 10)  # the steady state
    assert max_in_any_window(sent) <= 10


def test_schedule_predicts_acquire() -> None:
    clock = FakeClock()
    budget = RequestBudget(6, clock=clock, wait=clock.wait)
    for _ in range(5):
        budget.acquire()
    predicted = budget.schedule(3)
    assert predicted == sorted(predicted)
    actual = []
    for _ in range(3):
        budget.acquire()
        actual.append(clock.now)
    assert actual == pytest.approx(predicted)


def test_deadline_is_respected() -> None:
    clock = FakeClock()
    budget = RequestBudget(1, clock=clock, wait=clock.wait)
    budget.acquire()
    with pytest.raises(BudgetExhausted):
        budget.acquire(deadline=clock.now + 10)


def test_a_first_429_pauses_briefly_and_keeps_the_limit() -> None:
    clock = FakeClock()
    budget = RequestBudget(10, clock=clock, wait=clock.wait, rng=random.Random(1))
    pause = budget.on_rate_limited(base=2.0)
    assert 1.0 <= pause <= 2.0  # within [base/2, base]
    assert budget.delay_needed() == pytest.approx(pause)
    assert budget.limit == 10  # Harness did not count the refused call
    assert budget.rate_limited_count == 1


def test_429s_in_a_row_pause_longer_and_halve_the_limit_for_a_minute() -> None:
    clock = FakeClock()
    budget = RequestBudget(10, clock=clock, wait=clock.wait, rng=random.Random(1))
    budget.on_rate_limited(base=2.0)
    second = budget.on_rate_limited(base=2.0)
    assert 2.0 <= second <= 4.0  # the ceiling doubles for each 429 in a row
    assert budget.limit == 5
    clock.now += WINDOW + 1
    assert budget.limit == 10
    assert budget.rate_limited_count == 2


def test_a_success_ends_the_streak() -> None:
    clock = FakeClock()
    budget = RequestBudget(10, clock=clock, wait=clock.wait, rng=random.Random(1))
    budget.on_rate_limited(base=2.0)
    budget.on_success()
    assert budget.on_rate_limited(base=2.0) <= 2.0
    assert budget.limit == 10


def test_spacing_follows_the_limit() -> None:
    clock = FakeClock()
    budget = RequestBudget(20, clock=clock, wait=clock.wait)
    assert budget.spacing() == pytest.approx((WINDOW + MARGIN) / 20)
    budget.on_rate_limited(base=1.0)
    assert budget.spacing() == pytest.approx((WINDOW + MARGIN) / 20)
    budget.on_rate_limited(base=1.0)
    assert budget.spacing() == pytest.approx((WINDOW + MARGIN) / 10)


def test_stop_interrupts_a_wait() -> None:
    clock = FakeClock()
    budget = RequestBudget(1, clock=clock, wait=lambda s: True)
    budget.acquire()
    with pytest.raises(BudgetExhausted):
        budget.acquire()
