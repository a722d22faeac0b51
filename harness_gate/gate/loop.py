"""The gate loop: start what is ready, read what runs, expire deadlines, stop on request.

It drives a platform (platforms/base.py) and never reads a platform's words: a Starter
starts exactly once, the PollScheduler says when to read, `interpret` says what a read
means, and this loop records outcomes and leaves one for every deployment.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Callable, Optional

from harness_gate.console import Console
from harness_gate.defaults import RESOLVE_TIME
from harness_gate.durations import format_duration
from harness_gate.errors import FatalError
from harness_gate.gate.endings import abort, on_stop, timed_out
from harness_gate.gate.poller import Poller
from harness_gate.gate.scheduler import MIN_POLL_INTERVAL, PollScheduler
from harness_gate.gate.starter import Starter
from harness_gate.gate.tracked import Deadline, State, Tracked
from harness_gate.model import Outcome, utcnow
from harness_gate.platforms.base import Platform, Snapshot
from harness_gate.stopper import Stopped, Stopper

HEARTBEAT = 30.0  # CI systems kill jobs that stay silent; well inside their usual limits


@dataclass
class WatchOptions:
    parallel: bool
    poll_max: float
    min_interval: float = MIN_POLL_INTERVAL
    no_wait: bool = False
    run_deadline: Optional[Deadline] = None  # from --timeout


class Gate:
    def __init__(
        self,
        platform: Platform,
        console: Console,
        stopper: Stopper,
        options: WatchOptions,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.platform = platform
        self.console = console
        self.stopper = stopper
        self.options = options
        self.clock = clock
        self.run_id = uuid.uuid4().hex[:12]
        self.items: list[Tracked] = []
        self.scheduler = PollScheduler(
            platform.budget, clock, poll_max=options.poll_max, min_interval=options.min_interval
        )
        self.starter = Starter(self)
        self.poller = Poller(self)
        self.last_output = clock()
        self.fatal: Optional[FatalError] = None

    # ---- public -----------------------------------------------------------------------

    def run(self, items: Sequence[Tracked]) -> None:
        self.items = list(items)
        for index, item in enumerate(self.items):
            if not item.marker:
                item.marker = f"[harness-gate {self.run_id}-{index} {item.name}]"
        try:
            self._loop()
        except Stopped:
            on_stop(self)
        except FatalError as exc:
            # Auth rejected mid-run: nothing more can be learned.
            self.fatal = exc
            self._finish_all(Outcome.ERROR, f"could not talk to Harness: {exc}")

    # ---- the loop -----------------------------------------------------------------------

    def _loop(self) -> None:
        while True:
            self.stopper.check()
            now = self.clock()
            self._expire(now)
            self._skip_blocked()
            ready = self._ready()
            active = self.active()
            self.scheduler.starts_waiting = bool(ready)
            if not active and not ready:
                for t in self.items:
                    if t.state is State.PENDING:
                        # Nothing active and nothing startable: the spec loader rejects
                        # cycles, so whatever is left is blocked.
                        self.skip(t, "not started: its dependencies did not complete")
                return
            if self.options.no_wait and not ready:
                for t in active:
                    self.finish(t, Outcome.SUCCESS, "started (--no-wait: not waited for)")
                return
            waiting = active and not self.options.no_wait
            if waiting and self.scheduler.due(now):
                self.poller.poll(active)
                continue
            # A start goes only where it does not push the next status read back: starts
            # and reads alternate while both are due, so finished runs are still noticed.
            if ready and (not waiting or self.scheduler.start_fits()):
                had_active = bool(active)
                self.starter.start(ready[: max(1, self.platform.start_batch)])
                # The floor leaves room for a start only while one still waits.
                self.scheduler.starts_waiting = bool(self._ready())
                self.scheduler.after_start(had_active, self.deadlines())
                continue
            wake = min(
                self.scheduler.next_poll if waiting else float("inf"),
                min(self.deadlines(), default=float("inf")),
                self.last_output + HEARTBEAT,
            )
            self.sleep(max(0.0, wake - now))
            self.heartbeat_if_due(self.clock())

    def active(self) -> list[Tracked]:
        return [t for t in self.items if t.state is State.ACTIVE]

    def deadlines(self) -> list[float]:
        found = [t.deadline.at for t in self.active() if t.deadline is not None]
        if self.options.run_deadline is not None:
            found.append(self.options.run_deadline.at)
        return found

    def sleep(self, seconds: float) -> None:
        if self.stopper.wait(seconds):
            self.stopper.check()

    def start_deadline(self, batch: Sequence[Tracked]) -> float:
        # A deployment's timeout counts from its start: a start that waits for a request
        # slot, or is retried, is limited by the run's --timeout, and by the time names may
        # take to resolve when the deployment's own timeout is shorter than that.
        limits = [self.clock() + max(t.timeout, RESOLVE_TIME) for t in batch]
        if self.options.run_deadline is not None:
            limits.append(self.options.run_deadline.at)
        return min(limits)

    def _expire(self, now: float) -> None:
        run = self.options.run_deadline
        run_over = run is not None and now >= run.at
        for t in self.items:
            if t.state is State.ACTIVE and t.deadline is not None and now >= t.deadline.at:
                timed_out(self, t, t.deadline)
            elif t.state is State.ACTIVE and run_over and run is not None:
                timed_out(self, t, run)
            elif t.state is State.PENDING and run_over:
                self.skip(t, "not started: the run's --timeout passed first")

    def _skip_blocked(self) -> None:
        failed = {
            t.name
            for t in self.items
            if t.state is State.DONE and t.result.outcome not in (Outcome.SUCCESS, Outcome.SKIPPED)
        }
        if not failed:
            return
        if not self.options.parallel:
            first = next(t for t in self.items if t.name in failed)
            for t in self.items:
                if t.state is State.PENDING:
                    self.skip(t, f"not started: {first.name} did not succeed")
            return
        changed = True
        while changed:  # a skipped deployment blocks its own dependents in turn
            changed = False
            for t in self.items:
                blocked = [n for n in t.needs if n in failed]
                if t.state is State.PENDING and blocked:
                    self.skip(t, f"not started: needs {', '.join(blocked)}, which did not succeed")
                    failed.add(t.name)
                    changed = True

    def _ready(self) -> list[Tracked]:
        done_ok = {
            t.name
            for t in self.items
            if t.state is State.DONE and t.result.outcome in (Outcome.SUCCESS, Outcome.SKIPPED)
        }
        if not self.options.parallel:
            if any(t.state in (State.ACTIVE, State.STARTING) for t in self.items):
                return []
            nxt = next((t for t in self.items if t.state is State.PENDING), None)
            return [nxt] if nxt is not None else []
        return [
            t for t in self.items if t.state is State.PENDING and all(n in done_ok for n in t.needs)
        ]

    # ---- recording -------------------------------------------------------------------------

    def adopt(self, t: Tracked, snapshot: Snapshot, how: str) -> None:
        """An execution exists for this deployment: watch it from now on."""
        t.state = State.ACTIVE
        t.adopted_at = self.clock()
        t.deadline = Deadline(t.adopted_at + t.timeout, t.timeout, "timeout")
        run = self.options.run_deadline
        if run is not None and run.at < t.deadline.at:
            t.deadline = run
        r = t.result
        r.execution_id = snapshot.execution_id
        r.url = snapshot.url or r.url
        r.record(None, f"{how}: execution {r.execution_id}")
        self.say(f"{t.name}: {how}: execution {r.execution_id} {r.url or ''}".rstrip())
        self.poller.apply(t, snapshot, announce=False)

    def finish(self, t: Tracked, outcome: Outcome, message: str) -> None:
        t.state = State.DONE
        t.result.outcome = outcome
        t.result.message = message
        if t.result.gate_ended_at is None:
            t.result.gate_ended_at = utcnow()
        word = {Outcome.SUCCESS: "succeeded"}.get(outcome, outcome.value)
        status = t.result.status if t.result.terminal else None
        self.say(
            f"{t.name}: {word}"
            + (f" ({status})" if status else "")
            + (f": {message}" if message else "")
        )

    def skip(self, t: Tracked, message: str) -> None:
        t.state = State.DONE
        t.result.outcome = Outcome.SKIPPED
        t.result.message = message
        self.say(f"{t.name}: {message}")

    def _finish_all(self, outcome: Outcome, message: str) -> None:
        for t in self.items:
            if t.state in (State.ACTIVE, State.STARTING):
                self.finish(t, outcome, message)
            elif t.state is State.PENDING:
                self.skip(t, f"not started: {message}")

    def abort(self, targets: Sequence[Tracked]) -> None:
        abort(self, targets)

    # ---- output ---------------------------------------------------------------------------------

    def say(self, text: str) -> None:
        self.console.line(text)
        self.last_output = self.clock()

    def heartbeat_if_due(self, now: float) -> None:
        if now - self.last_output < HEARTBEAT:
            return
        parts = []
        for t in self.active():
            status = t.result.status or "preparing"
            if t.halted_since is not None and t.phase is not None:
                waited = format_duration(now - t.halted_since)
                status += f" ({t.phase.value} for {waited})"
            parts.append(f"{t.name} {status}")
        if parts:
            self.say(
                f"still waiting on {len(parts)}: " + "; ".join(parts) + f" (next status read in "
                f"{format_duration(max(0.0, self.scheduler.next_poll - now))})"
            )
