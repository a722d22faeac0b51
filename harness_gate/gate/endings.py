"""How a deployment's watch ends early: a deadline, a stop request, an abort."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING

from harness_gate.durations import format_duration
from harness_gate.gate.tracked import Deadline, State, Tracked
from harness_gate.model import Outcome

if TYPE_CHECKING:
    from harness_gate.gate.loop import Gate

ABORT_TIME = 3.5  # all aborts on a stop together, so the gate exits within 5 s


def timed_out(gate: Gate, t: Tracked, deadline: Deadline) -> None:
    """A deadline passed while the execution runs: a timeout with its last status, or an
    error when reads failed all the way there; aborted when asked."""
    if t.poll_error:
        # The platform retries a read until the deadline: this one failed all the way.
        message = f"status reads kept failing until the deadline: {t.poll_error}"
        gate.finish(t, Outcome.ERROR, message)
        t.result.details.append(f"last status read error: {t.poll_error}")
    elif t.not_found_reads and t.result.status is None:
        message = f"Harness never showed execution {t.result.execution_id} before the deadline"
        gate.finish(t, Outcome.ERROR, message)
    else:
        began = t.adopted_at or t.sent_at or (deadline.at - deadline.seconds)
        waited = format_duration(gate.clock() - began)
        # An execution whose start answer had no status has been started all the same.
        state = f"still {t.result.status}" if t.result.status else "no status from Harness yet"
        # A halted run says what it waits for: an approval, runtime inputs, a resume.
        waits = f" - {t.halted_for}" if t.halted_for else ""
        gate.finish(
            t,
            Outcome.TIMEOUT,
            f"{state} after {waited}: {deadline.describe()} passed{waits}",
        )
    if t.abort_on_exit:
        gate.abort([t])
    else:
        t.result.details.append("the execution was left running in Harness (no abort requested)")


def on_stop(gate: Gate) -> None:
    """A stop request: abort what was asked, leave an outcome for every deployment."""
    name = gate.stopper.signame or "a stop request"
    gate.say(f"{name} received: stopping")
    gate.abort([t for t in gate.active() if t.abort_on_exit])
    for t in gate.items:
        if t.state is State.ACTIVE:
            left = (
                t.result.abort_result
                or "the execution was left running in Harness (no abort requested)"
            )
            t.result.details.append(left)
            gate.finish(
                t, Outcome.ERROR, f"interrupted by {name} while {t.result.status or 'starting'}"
            )
        elif t.state is State.STARTING:
            t.result.details.append(
                f"the start may have reached Harness: look for notes containing {t.marker!r}"
            )
            gate.finish(t, Outcome.ERROR, f"interrupted by {name} while starting")
        elif t.state is State.PENDING:
            gate.skip(t, f"not started: interrupted by {name}")


def abort(gate: Gate, targets: Sequence[Tracked]) -> None:
    """Abort executions in parallel, all within ABORT_TIME."""
    targets = [t for t in targets if t.result.execution_id]
    if not targets:
        return

    def work(t: Tracked) -> None:
        outcome = gate.platform.abort(t.ref, ABORT_TIME - 0.5)
        t.result.abort_result = outcome.message

    threads = [threading.Thread(target=work, args=(t,), daemon=True) for t in targets]
    for thread in threads:
        thread.start()
    end = time.monotonic() + ABORT_TIME
    for thread in threads:
        thread.join(max(0.0, end - time.monotonic()))
    for t in targets:
        if t.result.abort_result is None:
            t.result.abort_result = "abort not confirmed: Harness did not answer in time"
        t.result.details.append(t.result.abort_result)
        gate.say(f"{t.name}: {t.result.abort_result}")
