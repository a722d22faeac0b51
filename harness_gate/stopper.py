"""Cooperative cancellation: signals set it, every wait in the gate watches it."""

from __future__ import annotations

import signal
import threading
from types import FrameType
from typing import Callable, Optional


class Stopped(Exception):
    """Raised inside the gate when a stop was requested; the run ends and reports."""


class Stopper:
    def __init__(self) -> None:
        self._event = threading.Event()
        self.signum: Optional[int] = None
        self.signame: Optional[str] = None

    @property
    def stopped(self) -> bool:
        return self._event.is_set()

    def stop(self, signum: int) -> None:
        if self.signum is None:
            self.signum = signum
            try:
                self.signame = signal.Signals(signum).name
            except ValueError:
                self.signame = f"signal {signum}"
        self._event.set()

    def wait(self, seconds: float) -> bool:
        """Sleep up to seconds; True when a stop was requested (at once, not after the sleep)."""
        if seconds <= 0:
            return self._event.is_set()
        return self._event.wait(seconds)

    def check(self) -> None:
        if self._event.is_set():
            raise Stopped(self.signame or "stopped")

    def install(self) -> Callable[[], None]:
        """Route SIGINT and SIGTERM here; returns a function that restores the old handlers."""
        previous: dict[int, object] = {}

        def handler(signum: int, _frame: Optional[FrameType]) -> None:
            self.stop(signum)

        for sig in (signal.SIGINT, signal.SIGTERM):
            try:
                previous[sig] = signal.signal(sig, handler)
            except (ValueError, OSError):  # not the main thread, or unsupported
                pass

        def restore() -> None:
            for sig, old in previous.items():
                try:
                    signal.signal(sig, old)  # type: ignore[arg-type]
                except (ValueError, OSError):
                    pass

        return restore
