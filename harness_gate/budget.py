"""A process-wide request budget: at most N requests to Harness in any rolling minute.

Harness limits what an account (FirstGen GraphQL: 30 calls per sliding minute) or a key
(NextGen) may send, shared by every client, and its 429 carries no Retry-After. The budget
counts every request the gate sends, retries included, and slows the whole process down
after 429s in a row.
"""

from __future__ import annotations

import collections
import random
import threading
import time
from typing import Callable, Optional

WINDOW = 60.0
# Harness counts a request when it arrives; a second of margin covers the way there, so the
# server never sees more than the limit in its own sliding minute.
MARGIN = 1.0


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
        """The pace in force for steady reads: halved for a minute after 429s in a row.

        Only the spacing follows it; the hard count in the window stays max_per_minute, so
        a throttled process never sits out the rest of a minute for sends made before it."""
        if self._clock() < self._throttled_until:
            return max(1, self.max_per_minute // 2)
        return self.max_per_minute

    def spacing(self) -> float:
        """The steady-state gap between requests that keeps a loop inside the budget."""
        return (WINDOW + MARGIN) / self.limit

    def delay_needed(self) -> float:
        """Seconds until a request may be sent (0 when it may go now)."""
        with self._lock:
            return self._delay_locked(self._clock())

    def _delay_locked(self, now: float) -> float:
        self._expire(now)
        return _delay(self._sent, now, self.max_per_minute, self._paused_until)

    def schedule(self, count: int) -> list[float]:
        """The earliest clock times at which `count` more requests could go, one after another."""
        with self._lock:
            now = self._clock()
            self._expire(now)
            sent = collections.deque(self._sent)
            times = []
            for _ in range(count):
                at = now + _delay(sent, now, self.max_per_minute, self._paused_until)
                while sent and sent[0] <= at - (WINDOW + MARGIN):
                    sent.popleft()
                sent.append(at)
                times.append(at)
                now = at
            return times

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
        """Harness answered 429: pause every request of this process briefly, longer for each
        429 in a row (about base, 2*base, 4*base, with jitter). Harness does not count the
        refused call, so its slot is given back and the first retry is prompt; only repeated
        429s halve the steady pace for a minute (someone else shares the account's window)."""
        with self._lock:
            if self._sent:
                self._sent.pop()  # the refused request: Harness did not count it
            self._consecutive_429 += 1
            self.rate_limited_count += 1
            ceiling = min(WINDOW / 4, base * (2 ** (self._consecutive_429 - 1)))
            pause = self._rng.uniform(ceiling / 2, ceiling)
            now = self._clock()
            self._paused_until = max(self._paused_until, now + pause)
            if self._consecutive_429 > 1:
                self._throttled_until = now + WINDOW
            return pause

    def on_success(self) -> None:
        with self._lock:
            self._consecutive_429 = 0

    def _expire(self, now: float) -> None:
        while self._sent and self._sent[0] <= now - (WINDOW + MARGIN):
            self._sent.popleft()


def _delay(sent: collections.deque[float], now: float, limit: int, paused_until: float) -> float:
    """Seconds from now until the next request may go, given the sends still in the window.

    A short burst may go at once (resolution and the first start); after it, the slots left
    in the window are spread evenly until its oldest send leaves it, so the gate never sits
    idle for most of a minute after a burst; in the steady state the gap is a minute / limit.
    """
    window = WINDOW + MARGIN
    wait = max(0.0, paused_until - now)
    n = len(sent)
    if sent and n >= _burst(limit):
        gap = window / limit
        if n < limit:
            gap = max(gap, (sent[0] + window - sent[-1]) / (limit - n + 1))
        wait = max(wait, sent[-1] + gap - now)
    if n >= limit:
        wait = max(wait, sent[n - limit] + window - now)
    return wait if wait > 1e-6 else 0.0  # float dust must not turn into endless tiny waits


def _burst(limit: int) -> int:
    """Requests that may go back to back: enough for resolution and a first start."""
    return max(1, min(4, limit // 2))


def _plain_sleep(seconds: float) -> bool:
    time.sleep(seconds)
    return False
