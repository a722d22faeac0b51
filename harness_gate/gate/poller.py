"""Status reads: active executions read in chunks the platform can answer quickly, each
chunk's verdicts taken in as soon as it answers, so one slow chunk delays no other."""

from __future__ import annotations

from typing import TYPE_CHECKING

from harness_gate.errors import RequestError
from harness_gate.gate.interpret import interpret
from harness_gate.gate.tracked import Tracked
from harness_gate.model import Outcome, utcnow
from harness_gate.platforms.base import Phase, ReadAnswer, Snapshot
from harness_gate.transport import NoSlotBeforeDeadline

if TYPE_CHECKING:
    from harness_gate.gate.loop import Gate

NOT_FOUND_TOLERANCE = 3  # reads in a row that may not show an execution before it is an error


class Poller:
    def __init__(self, gate: Gate) -> None:
        self.gate = gate
        self.platform = gate.platform

    def poll(self, active: list[Tracked]) -> None:
        g = self.gate
        size = max(1, self.platform.read_batch)
        chunks = [active[i : i + size] for i in range(0, len(active), size)]
        g.scheduler.reads_per_poll = len(chunks)
        sent_at = g.clock()
        g.scheduler.read_sent(sent_at)
        changed = False
        for chunk in chunks:
            changed |= self._read_chunk(chunk)
        g.heartbeat_if_due(g.clock())
        g.scheduler.after_read(sent_at, changed, g.deadlines())

    def _read_chunk(self, chunk: list[Tracked]) -> bool:
        deadline = min(t.deadline.at if t.deadline else float("inf") for t in chunk)
        try:
            answers = self.platform.read([t.ref for t in chunk], deadline=deadline)
        except NoSlotBeforeDeadline:
            return False  # nothing was sent: the deadline will judge with the last status
        except RequestError as exc:
            for t in chunk:
                t.poll_error = str(exc)
            return False
        changed = False
        for t, answer in zip(chunk, answers):
            changed |= self._take(t, answer)
        return changed

    def _take(self, t: Tracked, answer: ReadAnswer) -> bool:
        if answer.snapshot is not None:
            t.poll_error = None
            t.not_found_reads = 0
            return self.apply(t, answer.snapshot, announce=True)
        if answer.not_found is not None:
            # A run just saved can lag behind on a read; after a few reads it is an answer.
            t.not_found_reads += 1
            if t.not_found_reads == 1:
                t.result.record(t.result.status, "Harness does not show the execution yet")
                self.gate.say(
                    f"{t.name}: Harness does not show execution {t.result.execution_id} yet; "
                    "still looking"
                )
            elif t.not_found_reads > NOT_FOUND_TOLERANCE:
                self._gone(t, answer.not_found)
            return False
        t.poll_error = answer.error
        return False

    def _gone(self, t: Tracked, words: str) -> None:
        """Reads of an execution go to Harness's primary database: a few in a row that do
        not show it mean it was deleted, or the key cannot see its application."""
        t.result.details.append(f"Harness said: {words}")
        self.gate.finish(
            t,
            Outcome.ERROR,
            f"Harness does not show execution {t.result.execution_id} "
            f"({t.not_found_reads} reads in a row): it was deleted, or the API key cannot see "
            "its application",
        )

    def apply(self, t: Tracked, snapshot: Snapshot, announce: bool) -> bool:
        """Take in one read of one execution; True when something changed."""
        g = self.gate
        r = t.result
        r.url = snapshot.url or r.url
        if snapshot.scope and not r.application_id:
            r.application_id = snapshot.scope[0]
        r.created_at = snapshot.created_at or r.created_at
        r.started_at = snapshot.started_at or r.started_at
        r.ended_at = snapshot.ended_at or r.ended_at
        entity = f"{r.entity_type} {r.entity_name!r}"
        if t.phase is None and r.timeline and r.timeline[-1].status == snapshot.status:
            t.phase = snapshot.phase  # the read that came with the start: nothing new
        reading = interpret(r.status, t.phase, snapshot, entity)
        t.phase = snapshot.phase
        if not reading.changed:
            self._resume_if_waiting(t, snapshot)
            return False
        halted = snapshot.phase.needs_a_human
        t.halted_since = (t.halted_since or g.clock()) if halted else None
        t.halted_for = reading.note if halted else ""
        r.record(snapshot.status, reading.note)
        if reading.outcome is None:
            if announce or snapshot.status is not None:
                g.say(
                    f"{t.name}: {snapshot.status or 'preparing (no status yet)'}"
                    + (f" - {reading.note}" if reading.note else "")
                )
            self._resume_if_waiting(t, snapshot)
            return True
        r.terminal = True
        r.details.extend(reading.details)
        r.gate_ended_at = utcnow()
        r.notice_interval = round(g.scheduler.in_force, 3)
        g.finish(t, reading.outcome, reading.message)
        return True

    def _resume_if_waiting(self, t: Tracked, snapshot: Snapshot) -> None:
        """A stage paused for runtime inputs gets the spec's values, once per stage."""
        if snapshot.phase is not Phase.WAITING_INPUT or t.target is None:
            return
        stage = snapshot.scope[-1] if snapshot.scope else snapshot.where
        if stage in t.resumed:
            return
        t.resumed.add(stage)
        g = self.gate
        deadline = t.deadline.at if t.deadline else g.clock() + g.scheduler.poll_max
        problem = self.platform.resume(t.target, snapshot, deadline=deadline)
        if problem is None:
            g.say(f"{t.name}: gave the waiting stage its runtime inputs from the spec; resuming")
            t.result.record(snapshot.status, "runtime inputs given from the spec")
            return
        t.result.details.append(f"{snapshot.where}: {problem}")
        where = snapshot.where or "a stage"
        g.finish(t, Outcome.FAILURE, f"{where} waits for runtime inputs: {problem}")
        if t.abort_on_exit:
            g.abort([t])
