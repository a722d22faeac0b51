"""What a status read means for a deployment: a pure function, no I/O, no clock."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

from harness_gate.model import Outcome
from harness_gate.platforms.base import Phase, Snapshot


@dataclass
class Reading:
    changed: bool  # a new status (or a new kind of wait) since the last read
    note: str = ""  # what the timeline says beside the status
    outcome: Optional[Outcome] = None  # set when the execution ended
    message: str = ""  # the one-line verdict for a report
    details: list[str] = field(default_factory=list)


def interpret(
    previous_status: Optional[str],
    previous_phase: Optional[Phase],
    snapshot: Snapshot,
    entity: str,
) -> Reading:
    """entity: how the report names what ran, e.g. "pipeline 'Deploy Guestbook'"."""
    status, phase = snapshot.status, snapshot.phase
    if status == previous_status and phase == previous_phase:
        return Reading(changed=False)
    note = snapshot.where
    if phase.needs_a_human:
        note = phase.value + (f" ({snapshot.where})" if snapshot.where else "")
        if phase is Phase.WAITING_INPUT and snapshot.waiting_inputs:
            note += f"; inputs: {', '.join(snapshot.waiting_inputs)}"
    reading = Reading(changed=True, note=note)
    if not phase.terminal:
        return reading
    if snapshot.failure:
        reading.details.append(f"failure details: {snapshot.failure}")
    if snapshot.verdict_note:
        reading.details.append(snapshot.verdict_note)
    if phase is Phase.SUCCEEDED:
        reading.outcome, reading.message = Outcome.SUCCESS, snapshot.verdict_note
    elif phase is Phase.SKIPPED:
        reading.outcome, reading.message = Outcome.SKIPPED, "Harness skipped the execution"
    else:
        where = f" at {snapshot.where}" if snapshot.where else ""
        why = f": {snapshot.failure}" if snapshot.failure else ""
        reading.outcome = Outcome.FAILURE
        reading.message = f"{entity} ended {status}{where}{why}"
    return reading
