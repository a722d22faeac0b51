"""What the gate loop needs from a Harness API, whichever generation speaks it.

A platform resolves a spec's entities and checks their inputs, starts a batch, finds starts
by their marker, reads statuses, resumes a stage waiting for inputs, and aborts. It owns its
status vocabulary: every execution it reports comes as a `Snapshot` whose `phase` says what
the raw status means, so the loop never reads a platform's words.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Optional, Protocol

from harness_gate.budget import RequestBudget
from harness_gate.model import Deployment


class Phase(enum.Enum):
    """Where an execution stands, in the gate's terms."""

    PREPARING = "preparing"  # no status yet
    QUEUED = "queued"
    RUNNING = "running"
    WAITING_APPROVAL = "waiting for approval"
    WAITING_INPUT = "waiting for runtime inputs"
    WAITING_INTERVENTION = "waiting for manual intervention"
    # Someone pressed Pause: it goes on only when someone resumes it.
    PAUSED_BY_HAND = "paused by hand (waiting for someone to resume it)"
    # Paused, and the platform could not tell an approval step from a pause by hand.
    PAUSED = "waiting for approval or a manual resume"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    SKIPPED = "skipped"

    @property
    def terminal(self) -> bool:
        return self in (Phase.SUCCEEDED, Phase.FAILED, Phase.SKIPPED)

    @property
    def needs_a_human(self) -> bool:
        return self in (
            Phase.WAITING_APPROVAL,
            Phase.WAITING_INPUT,
            Phase.WAITING_INTERVENTION,
            Phase.PAUSED_BY_HAND,
            Phase.PAUSED,
        )


def epoch_ms(value: Any) -> Optional[datetime]:
    """Harness's epoch milliseconds as a UTC time; 0, negative or not a number: no time."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
        return None
    try:
        return datetime.fromtimestamp(value / 1000.0, tz=timezone.utc)
    except (OverflowError, OSError, ValueError):
        return None


@dataclass
class Snapshot:
    """One read of one execution."""

    execution_id: str
    status: Optional[str]  # Harness's own word, shown to the user as is
    phase: Phase
    url: Optional[str] = None
    scope: tuple[str, ...] = ()  # what the platform needs besides the id to read or abort it
    created_at: Optional[datetime] = None
    started_at: Optional[datetime] = None
    ended_at: Optional[datetime] = None
    where: str = ""  # the stage that waits, failed or runs
    failure: str = ""  # Harness's failure details
    verdict_note: str = ""  # a passing status worth a word (IgnoreFailed, Suspended)
    notes: Optional[str] = None  # the execution's notes (where the gate's marker is)
    waiting_inputs: list[str] = field(default_factory=list)  # runtime inputs a stage asks for
    # What `wait` learns about an execution it did not start.
    application: str = ""
    entity_type: str = ""
    entity_name: str = ""


@dataclass(frozen=True)
class ExecutionRef:
    execution_id: str
    scope: tuple[str, ...] = ()


@dataclass
class ReadAnswer:
    snapshot: Optional[Snapshot] = None
    not_found: Optional[str] = None  # Harness's words when it does not show the execution
    error: Optional[str] = None  # any other problem reading it


@dataclass
class StartAnswer:
    snapshot: Optional[Snapshot] = None  # started
    refused: Optional[str] = None  # Harness refused, in its words; nothing was created
    raw: list[str] = field(default_factory=list)  # Harness's messages as sent
    warning: Optional[str] = None
    unknown: Optional[str] = None  # no execution in the answer: look it up before concluding


class Target(Protocol):
    """A deployment resolved to Harness ids, ready to start; opaque to the loop."""

    deployment: Deployment
    warnings: list[str]

    @property
    def scope(self) -> tuple[str, ...]: ...

    @property
    def ids(self) -> tuple[str, str]:
        """(where it lives, what it is): application and entity id, or org/project and
        pipeline identifier."""
        ...


@dataclass
class StartRequest:
    target: Target
    notes: str  # what the execution's notes say, marker included
    marker: str  # the text that identifies this start among the entity's executions
    sent_at_ms: int = 0  # wall clock when the gate sent it (lookups search from there)


@dataclass
class Resolution:
    targets: list[Target]
    failures: dict[str, str]  # deployment name -> why it cannot start
    warnings: dict[str, list[str]]
    requests: int = 0

    @property
    def ok(self) -> bool:
        return not self.failures


@dataclass
class AbortOutcome:
    accepted: bool
    message: str

    def __str__(self) -> str:
        return self.message


class Platform(Protocol):
    name: str
    budget: RequestBudget
    start_batch: int  # most starts in one request
    read_batch: int  # most executions in one status read

    def resolve(self, deployments: Sequence[Deployment], *, deadline: float) -> Resolution: ...

    def start(self, requests: Sequence[StartRequest], *, deadline: float) -> list[StartAnswer]:
        """One answer per request, in order. Raises transport.OutcomeUnknown when the
        answer is lost (the requests may have reached Harness) and errors.RefusedError when
        Harness refused the request as a whole."""
        ...

    def lookup_window(self, batch_size: int) -> float:
        """How long after its send a start of a batch this size may still be saved: lookups
        that find nothing before then prove nothing."""
        ...

    def find_started(
        self, requests: Sequence[StartRequest], *, deadline: float
    ) -> dict[int, Snapshot]:
        """The executions these starts created, by index, found by marker."""
        ...

    def read(self, refs: Sequence[ExecutionRef], *, deadline: float) -> list[ReadAnswer]: ...

    def resume(self, target: Target, snapshot: Snapshot, *, deadline: float) -> Optional[str]:
        """Give a stage waiting for runtime inputs the spec's values; None when resumed,
        else why it cannot be (which inputs the spec lacks, Harness's words)."""
        ...

    def abort(self, ref: ExecutionRef, timeout: float) -> AbortOutcome: ...

    def describe_start(self, target: Target, notes: str) -> list[str]:
        """Lines for `plan`: what `run` would send."""
        ...

    def close(self) -> None: ...

    def started_something(self) -> None:
        """From now on, never give up on an unreachable endpoint early."""
        ...
