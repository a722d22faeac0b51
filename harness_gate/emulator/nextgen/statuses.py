"""The two spellings of a NextGen status: engine (protobuf Status) and display (ExecutionStatus)."""

from __future__ import annotations

# Display name -> engine name. NotStarted has no engine name; NO_OP has no display name.
DISPLAY_TO_ENGINE: dict[str, str] = {
    "Running": "RUNNING",
    "AsyncWaiting": "ASYNC_WAITING",
    "TaskWaiting": "TASK_WAITING",
    "TimedWaiting": "TIMED_WAITING",
    "Failed": "FAILED",
    "Errored": "ERRORED",
    "IgnoreFailed": "IGNORE_FAILED",
    "NotStarted": "",
    "Expired": "EXPIRED",
    "Aborted": "ABORTED",
    "Discontinuing": "DISCONTINUING",
    "Queued": "QUEUED",
    "QueuedLicenseLimitReached": "QUEUED_LICENSE_LIMIT_REACHED",
    "QueuedExecutionConcurrencyReached": "QUEUED_EXECUTION_CONCURRENCY_REACHED",
    "Paused": "PAUSED",
    "ResourceWaiting": "RESOURCE_WAITING",
    "InterventionWaiting": "INTERVENTION_WAITING",
    "ApprovalWaiting": "APPROVAL_WAITING",
    "WaitStepRunning": "WAIT_STEP_RUNNING",
    "Success": "SUCCEEDED",
    "Suspended": "SUSPENDED",
    "Skipped": "SKIPPED",
    "Pausing": "PAUSING",
    "ApprovalRejected": "APPROVAL_REJECTED",
    "InputWaiting": "INPUT_WAITING",
    "AbortedByFreeze": "FREEZE_FAILED",
}
ENGINE_TO_DISPLAY = {v: k for k, v in DISPLAY_TO_ENGINE.items() if v}

# StatusUtils.FINAL_STATUSES, in display spelling.
FINAL = frozenset(
    {
        "Success",
        "IgnoreFailed",
        "Skipped",
        "Suspended",
        "Failed",
        "Errored",
        "Aborted",
        "Expired",
        "ApprovalRejected",
        "AbortedByFreeze",
    }
)
# StatusUtils.POSITIVE_STATUSES: a pipeline goes on to its next stage after these.
POSITIVE = frozenset({"Success", "IgnoreFailed", "Skipped", "Suspended"})
# The roll-up priority of StatusUtils.calculateStatus for broken runs.
BROKEN_PRIORITY = (
    "Aborted",
    "Errored",
    "Failed",
    "AbortedByFreeze",
    "ApprovalRejected",
    "Expired",
)


def engine(display: str) -> str:
    return DISPLAY_TO_ENGINE.get(display, "") or "NO_OP"


def display_from_query(value: str) -> str | None:
    """A status as a query parameter or filter: constant or display name, any case."""
    wanted = value.replace("_", "").lower()
    for display, eng in DISPLAY_TO_ENGINE.items():
        if wanted in (display.lower(), eng.replace("_", "").lower()):
            return display
    if wanted in ("success", "succeeded"):
        return "Success"
    return None
