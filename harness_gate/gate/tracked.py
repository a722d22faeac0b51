"""One deployment as the gate loop follows it: its state, deadline and start bookkeeping."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Optional

from harness_gate.defaults import DEFAULT_TIMEOUT
from harness_gate.model import DeploymentResult
from harness_gate.platforms.base import ExecutionRef, Phase, Target


class State(enum.Enum):
    PENDING = "pending"  # not started; waits for its turn or its needs
    STARTING = "starting"  # a start was sent and its outcome is not known yet
    ACTIVE = "active"  # an execution exists and is watched
    DONE = "done"  # has an outcome


@dataclass
class Deadline:
    at: float  # monotonic
    seconds: float  # how long it was
    what: str  # "timeout" (the deployment's) or "--timeout" (the run's)

    def describe(self) -> str:
        from harness_gate.durations import format_duration

        whose = "the run's --timeout" if self.what == "--timeout" else "its timeout"
        # A limit as it was written: 3s, not 3.0s.
        length = f"{self.seconds:g}s" if self.seconds < 10 else format_duration(self.seconds)
        return f"{whose} of {length}"


@dataclass(eq=False)  # identity: items are dict keys while starts are reconciled
class Tracked:
    result: DeploymentResult
    target: Optional[Target] = None
    needs: list[str] = field(default_factory=list)
    timeout: float = DEFAULT_TIMEOUT
    abort_on_exit: bool = False
    notes: str = ""
    state: State = State.PENDING
    marker: str = ""
    deadline: Optional[Deadline] = None
    sends: int = 0
    sent_at_ms: int = 0  # wall clock of the last start sent (lookups search from there)
    sent_at: float = 0.0  # monotonic time of the same
    adopted_at: float = 0.0  # monotonic time its execution was known (its timeout counts)
    poll_error: Optional[str] = None
    halted_since: Optional[float] = None
    halted_for: str = ""  # what a halted execution waits for, as the log said it
    not_found_reads: int = 0
    phase: Optional[Phase] = None
    resumed: set[str] = field(default_factory=set)  # stages given their runtime inputs
    scope: tuple[str, ...] = ()  # where the execution lives, when there is no target (wait)

    @property
    def name(self) -> str:
        return self.result.name

    @property
    def ref(self) -> ExecutionRef:
        scope = self.target.scope if self.target is not None else self.scope
        if not scope and self.result.application_id:
            scope = (self.result.application_id,)
        return ExecutionRef(self.result.execution_id or "", scope)
