"""A process-wide request budget: at most N GraphQL requests in any rolling minute.

Harness limits an account to 30 GraphQL calls per sliding minute, shared by every client of
the account, and its 429 carries no Retry-After. The budget counts every request the gate
sends, retries included, and slows the whole process down after a 429.
"""

from __future__ import annotations

import collections
import random
import threading
import time
from typing import Callable, Optional

WINDOW = 60.0


class BudgetExhausted(Exception):
    """No request slot can be had before the caller's deadline."""


class RequestBudget:
    def __init__(
        self,
        max_per_minute: int,
        *,
        clock: Callable[[], float] = time.monotonic,
        wait: Optional[Callable[[float], bool]] = None,
        rng: Optional[random.Random] = None,
    ) -> None:
        self.max_per_minute = max(1, max_per_minute)
        self._clock = clock
        # wait(seconds) sleeps and returns True when the run was told to stop.
        self._wait = wait or _plain_sleep
        self._sent: collections.deque[float] = collections.deque()
        self._lock = threading.Lock()
        self._paused_until = 0.0
        self._throttled_until = 0.0
        self._consecutive_429 = 0
        self._rng = rng or random.Random()
        self.rate_limited_count = 0

    @property
    def limit(self) -> int:
        """The limit in force: halved for a minute after Harness said 429."""
        if self._clock() < self._throttled_until:
            return max(1, self.max_per_minute // 2)
        return self.max_per_minute

    def spacing(self) -> float:
        """The steady-state gap between requests that keeps a loop inside the budget."""
        return WINDOW / self.limit

    def delay_needed(self) -> float:
        """Seconds until a request may be sent (0 when it may go now)."""
        with self._lock:
            return self._delay_locked(self._clock())

    def _delay_locked(self, now: float) -> float:
        self._expire(now)
        limit = self.limit
        wait = max(0.0, self._paused_until - now)
        if len(self._sent) >= limit:
            # The oldest sends in the window must leave it before another may go.
            oldest = self._sent[len(self._sent) - limit]
            wait = max(wait, oldest + WINDOW - now)
        if self._sent and len(self._sent) >= max(1, limit // 5):
            # Past a short burst, pace requests evenly: a window spent in one burst would
            # leave the gate unable to read a status for the rest of the minute.
            wait = max(wait, self._sent[-1] + WINDOW / limit - now)
        return wait

    def acquire(self, deadline: Optional[float] = None) -> None:
        """Block until a slot is free, then take it. Raises BudgetExhausted past deadline."""
        while True:
            wait = self.delay_needed()
            if wait <= 0:
                with self._lock:
                    now = self._clock()
                    if self._delay_locked(now) <= 0:
                        self._sent.append(now)
                        return
                continue
            if deadline is not None and self._clock() + wait > deadline:
                raise BudgetExhausted(f"no request slot within the deadline (next in {wait:.1f}s)")
            if self._wait(wait):
                raise BudgetExhausted("stopped")

    def on_rate_limited(self, base: float) -> float:
        """Harness answered 429: pause every request of this process, for longer each time."""
        with self._lock:
            self._consecutive_429 += 1
            self.rate_limited_count += 1
            ceiling = min(WINDOW, base * (2 ** (self._consecutive_429 - 1)))
            pause = max(base, self._rng.uniform(ceiling / 2, ceiling))
            now = self._clock()
            self._paused_until = max(self._paused_until, now + pause)
            self._throttled_until = now + WINDOW
            return pause

    def on_success(self) -> None:
        with self._lock:
            self._consecutive_429 = 0

    def sent_in_window(self) -> int:
        with self._lock:
            self._expire(self._clock())
            return len(self._sent)

    def _expire(self, now: float) -> None:
        while self._sent and self._sent[0] <= now - WINDOW:
            self._sent.popleft()


def _plain_sleep(seconds: float) -> bool:
    time.sleep(seconds)
    return False
