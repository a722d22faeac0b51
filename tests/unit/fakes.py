"""A fake clock and a stopper whose waits advance it: scheduling is checked in fake seconds."""

from __future__ import annotations

from types import SimpleNamespace

from harness_gate.stopper import Stopper


class FakeClock:
    def __init__(self, start: float = 1000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += max(0.0, seconds)

    def as_time_module(self) -> SimpleNamespace:
        """Stands in for the `time` module of a module under test (monotonic, sleep, time)."""
        return SimpleNamespace(monotonic=self, sleep=self.advance, time=lambda: 1.7e9 + self.now)


class FakeStopper(Stopper):
    """wait() advances the fake clock instead of sleeping."""

    def __init__(self, clock: FakeClock) -> None:
        super().__init__()
        self.clock = clock
        self.waits: list[float] = []

    def wait(self, seconds: float) -> bool:
        self.waits.append(seconds)
        self.clock.advance(seconds)
        return self.stopped
