"""Starting each deployment exactly once.

A start whose answer is lost (or that answered without an execution, or with Harness's
catch-all error, which can follow the save) may have created an execution. Such a start is
looked up by the marker in its notes, again and again, until a window longer than the
server's worst case for that batch has passed; only when every lookup in that window agrees
that nothing was created is it sent again. When a lookup fails, it is never sent again.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import TYPE_CHECKING

from harness_gate.errors import RefusedError, RequestError
from harness_gate.gate.tracked import State, Tracked
from harness_gate.model import Outcome, utcnow
from harness_gate.platforms.base import StartRequest
from harness_gate.transport import NoSlotBeforeDeadline, OutcomeUnknown

if TYPE_CHECKING:
    from harness_gate.gate.loop import Gate

MIN_LOOKUPS = 3  # lookups for a lost start before it is judged never started
MAX_START_SENDS = 3


class Starter:
    def __init__(self, gate: Gate) -> None:
        self.gate = gate
        self.platform = gate.platform

    def start(self, batch: list[Tracked]) -> None:
        g = self.gate
        for t in batch:
            t.state = State.STARTING
            t.sends += 1
            t.sent_at_ms = int(time.time() * 1000)
            t.sent_at = g.clock()
            t.result.gate_started_at = utcnow()
        self.platform.started_something()
        names = ", ".join(t.name for t in batch)
        try:
            answers = self.platform.start(self._requests(batch), deadline=g.start_deadline(batch))
        except OutcomeUnknown as exc:
            g.say(
                f"start {names}: no usable answer ({exc.reason}); "
                "checking whether Harness started it"
            )
            self.reconcile(batch, exc.reason)
            return
        except RefusedError as exc:
            for t in batch:
                self.refused(t, exc.messages[0], exc.messages)
            return
        except NoSlotBeforeDeadline as exc:
            run = g.options.run_deadline
            for t in batch:
                t.result.details.append(str(exc))
                if run is not None and g.start_deadline([t]) >= run.at:
                    # Nothing was sent: the run's deadline comes before the next slot.
                    why = f"not started: no request slot before {run.describe()}"
                    g.finish(t, Outcome.TIMEOUT, why)
                else:
                    g.finish(t, Outcome.ERROR, f"could not start: {exc}")
            return
        except RequestError as exc:
            for t in batch:
                t.result.details.append(str(exc))
                g.finish(t, Outcome.ERROR, f"could not start: {exc}")
            return
        unknown: list[Tracked] = []
        reasons: list[str] = []
        for t, answer in zip(batch, answers):
            if answer.snapshot is not None:
                if answer.warning:
                    t.result.warning = answer.warning
                    g.say(f"{t.name}: Harness warning: {answer.warning}")
                g.adopt(t, answer.snapshot, "started")
            elif answer.refused is not None:
                self.refused(t, answer.refused, answer.raw)
            else:
                t.result.details.extend(f"Harness said: {m}" for m in answer.raw)
                unknown.append(t)
                reasons.append(answer.unknown or "no execution in the answer")
        if unknown:
            g.say(
                f"start of {', '.join(t.name for t in unknown)}: {reasons[0]}; "
                "checking whether Harness started it"
            )
            self.reconcile(unknown, reasons[0])

    def _requests(self, batch: Sequence[Tracked]) -> list[StartRequest]:
        requests = []
        for t in batch:
            assert t.target is not None
            notes = f"{t.notes}\n{t.marker}" if t.notes else t.marker
            requests.append(StartRequest(t.target, notes, t.marker, t.sent_at_ms))
        return requests

    def refused(self, t: Tracked, words: str, raw: Sequence[str]) -> None:
        t.result.details.extend(f"Harness said: {m}" for m in raw if m != words)
        self.gate.finish(t, Outcome.FAILURE, f"Harness refused to start it: {words}")

    def reconcile(self, batch: list[Tracked], reason: str) -> None:
        """Find executions a start created although its answer was lost; send it again only
        when every lookup over the server's worst-case window agrees that none exists."""
        g = self.gate
        remaining = list(batch)
        window_end = max(t.sent_at for t in batch) + self.platform.lookup_window(len(batch))
        lookups = 0
        while remaining:
            # A few prompt lookups catch the usual case; the last one goes once the window
            # has passed, so nothing is sent again while the first send may still be saved.
            pause = g.scheduler.floor() if lookups else min(g.scheduler.floor(), 1.0)
            if lookups >= MIN_LOOKUPS - 1:
                pause = max(pause, window_end - g.clock())
            g.sleep(pause)
            try:
                found = self.platform.find_started(
                    self._requests(remaining), deadline=g.start_deadline(remaining)
                )
            except RequestError as exc:
                for t in remaining:
                    self.unknown_start(t, f"{reason}; the lookup failed too: {exc}")
                return
            lookups += 1
            for i, snapshot in found.items():
                g.adopt(remaining[i], snapshot, "found the execution the lost start created")
            remaining = [t for i, t in enumerate(remaining) if i not in found]
            if remaining and lookups >= MIN_LOOKUPS and g.clock() >= window_end:
                break
            if remaining and g.clock() >= g.start_deadline(remaining):
                for t in remaining:
                    self.unknown_start(t, f"{reason}; the deadline came before the lookups agreed")
                return
        self._send_again(remaining, reason, lookups)

    def _send_again(self, remaining: list[Tracked], reason: str, lookups: int) -> None:
        if not remaining:
            return
        resend = [t for t in remaining if t.sends < MAX_START_SENDS]
        for t in remaining:
            if t not in resend:
                self.unknown_start(t, f"{reason}; gave up after {t.sends} attempts")
        if resend:
            self.gate.say(
                "no execution was started for "
                + ", ".join(t.name for t in resend)
                + f" ({lookups} lookups over the server's worst-case start time agree); "
                "sending the start again"
            )
            self.start(resend)

    def unknown_start(self, t: Tracked, why: str) -> None:
        t.result.details.append(
            f"look in Harness for an execution whose notes contain {t.marker!r} before re-running"
        )
        self.gate.finish(t, Outcome.ERROR, f"start outcome unknown: {why}")
