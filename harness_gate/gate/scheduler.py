"""When the next status read goes: the interval in force, the request budget, the deadlines.

Reads back off (x1.5) while nothing changes, up to the poll interval, and drop to the floor
when something does. The floor is what the budget sustains. A read is planned with the
budget in view, so it really goes when planned; a deadline pulls the read forward, so a
deployment is looked at before it is declared timed out.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Callable, Optional

from harness_gate.budget import RequestBudget

MIN_POLL_INTERVAL = 1.0
BACKOFF_FACTOR = 1.5
SLOT_TOLERANCE = 0.01  # seconds; sums of the same spacing differ in their last bits
DEADLINE_LEAD = 0.5  # read this long before a deadline, so its answer arrives in time


class PollScheduler:
    def __init__(
        self,
        budget: RequestBudget,
        clock: Callable[[], float],
        *,
        poll_max: float,
        min_interval: float = MIN_POLL_INTERVAL,
    ) -> None:
        self.budget = budget
        self.clock = clock
        self.poll_max = poll_max
        self.min_interval = min_interval
        self.starts_waiting = False  # set by the loop: ready deployments wait for a slot
        self.reads_per_poll = 1  # requests one status read takes (chunks)
        self.interval = self.floor()
        self.next_poll = 0.0
        self.in_force = self.interval  # the planned gap before the read being made
        self.intervals: list[float] = []  # the planned interval before each read
        self.last_poll_at: Optional[float] = None

    def floor(self) -> float:
        """The shortest poll interval: what the budget sustains and never above poll_max;
        while starts wait for a request slot, room for one start between two reads, even
        past poll_max (the budget is the hard limit)."""
        spacing = self.budget.spacing() * self.reads_per_poll
        floor = min(self.poll_max, max(self.min_interval, spacing))
        if self.starts_waiting:
            floor = max(floor, spacing + self.budget.spacing())
        return floor

    def due(self, now: float) -> bool:
        return now >= self.next_poll

    def start_fits(self) -> bool:
        """Whether a start request can go now without pushing the next status read back."""
        times = self.budget.schedule(1 + self.reads_per_poll)
        return times[1] <= self.next_poll + SLOT_TOLERANCE

    def read_sent(self, sent_at: float) -> None:
        """Record the interval in force for the read going out now."""
        if self.last_poll_at is not None:
            self.in_force = self.next_poll - self.last_poll_at
        else:
            self.in_force = self.interval
        self.intervals.append(self.in_force)
        self.last_poll_at = sent_at

    def after_read(self, sent_at: float, changed: bool, deadlines: Sequence[float]) -> None:
        if changed:
            self.interval = self.floor()
        else:
            self.interval = max(self.floor(), min(self.poll_max, self.interval * BACKOFF_FACTOR))
        planned = max(sent_at + self.interval, self.budget.schedule(1)[0])
        self.next_poll = self._before_deadline(planned, deadlines)

    def after_start(self, had_active: bool, deadlines: Sequence[float]) -> None:
        # Fresh starts change quickly: read again soon, but never later than already planned.
        self.interval = self.floor()
        soon = self.clock() + self.interval
        planned = min(self.next_poll, soon) if had_active else soon
        self.next_poll = self._before_deadline(planned, deadlines)

    def _before_deadline(self, planned: float, deadlines: Sequence[float]) -> float:
        """A deadline that comes before the planned read pulls the read to just before it
        (when the budget has a slot there), so the verdict is a real last look."""
        now = self.clock()
        for deadline in sorted(d for d in deadlines if now < d < planned):
            wanted = max(now, deadline - DEADLINE_LEAD)
            slot = self.budget.schedule(1)[0]
            if slot <= deadline:
                return max(wanted, slot)
        return planned
