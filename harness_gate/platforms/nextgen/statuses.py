"""NextGen's two status spellings, what each means to the gate, and how an execution summary
(`pipelineExecutionSummary`, or an item of the execution list) becomes a Snapshot.

Display names (`Success`, `ApprovalWaiting`) come in summaries and stage nodes; engine names
(`SUCCEEDED`, `APPROVAL_WAITING`) in the start answer and in messages. Both are read by
dropping underscores and case, with the two exceptions SUCCEEDED = Success and
FREEZE_FAILED = AbortedByFreeze. A status Harness adds later is kept as text and counted as
running.
"""

from __future__ import annotations

from typing import Any, Optional

from harness_gate.model import PIPELINE
from harness_gate.platforms.base import Phase, Snapshot, epoch_ms

DISPLAY = (
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
    "Running",
    "AsyncWaiting",
    "TaskWaiting",
    "TimedWaiting",
    "Discontinuing",
    "Queued",
    "QueuedLicenseLimitReached",
    "QueuedExecutionConcurrencyReached",
    "ResourceWaiting",
    "WaitStepRunning",
    "Pausing",
    "Paused",
    "ApprovalWaiting",
    "InterventionWaiting",
    "InputWaiting",
    "NotStarted",
)
_BY_KEY = {name.lower(): name for name in DISPLAY}
_ENGINE_EXCEPTIONS = {"succeeded": "Success", "freezefailed": "AbortedByFreeze"}

PASSED = {"Success": Phase.SUCCEEDED, "IgnoreFailed": Phase.SUCCEEDED, "Suspended": Phase.SUCCEEDED}
FAILED = frozenset(
    {"Failed", "Errored", "Aborted", "Expired", "ApprovalRejected", "AbortedByFreeze"}
)
PHASES: dict[str, Phase] = {
    **PASSED,
    "Skipped": Phase.SKIPPED,
    **{name: Phase.FAILED for name in FAILED},
    "ApprovalWaiting": Phase.WAITING_APPROVAL,
    "InterventionWaiting": Phase.WAITING_INTERVENTION,
    "InputWaiting": Phase.WAITING_INPUT,
    "Paused": Phase.PAUSED,
    "Pausing": Phase.PAUSED,
    "Queued": Phase.QUEUED,
    "QueuedLicenseLimitReached": Phase.QUEUED,
    "QueuedExecutionConcurrencyReached": Phase.QUEUED,
    "ResourceWaiting": Phase.QUEUED,
    "NotStarted": Phase.PREPARING,
}
WAITING = frozenset(
    {"ApprovalWaiting", "InterventionWaiting", "InputWaiting", "Paused", "ResourceWaiting"}
)
VERDICT_NOTES = {
    "IgnoreFailed": "Harness ignored a failure (IgnoreFailed, a failure strategy's choice); "
    "counted as a pass",
    "Suspended": "Harness suspended the execution (Suspended); counted as a pass",
}


def display(status: Optional[str]) -> Optional[str]:
    """The display spelling of either spelling; an unknown word as it came."""
    if not status:
        return None
    key = status.replace("_", "").lower()
    return _ENGINE_EXCEPTIONS.get(key) or _BY_KEY.get(key) or status


def phase(status: Optional[str]) -> Phase:
    name = display(status)
    if name is None:
        return Phase.PREPARING
    return PHASES.get(name, Phase.RUNNING)


def _stages(summary: dict[str, Any]) -> list[dict[str, Any]]:
    nodes = summary.get("layoutNodeMap")
    if not isinstance(nodes, dict):
        return []
    return [n for n in nodes.values() if isinstance(n, dict) and n.get("nodeGroup", "STAGE")]


def _stage_named(stages: list[dict[str, Any]], wanted: Any) -> Optional[dict[str, Any]]:
    return next((s for s in stages if display(_text(s.get("status"))) in wanted), None)


def _text(value: Any) -> Optional[str]:
    return value if isinstance(value, str) and value else None


def _failure_message(info: Any) -> str:
    if not isinstance(info, dict):
        return ""
    message = _text(info.get("message"))
    if message:
        return message.strip()
    messages = info.get("responseMessages")
    if isinstance(messages, list):
        words = [
            str(m.get("message")) for m in messages if isinstance(m, dict) and m.get("message")
        ]
        return "; ".join(words)
    return ""


def _describe(stage: Optional[dict[str, Any]], with_status: bool = True) -> str:
    if stage is None:
        return ""
    name = _text(stage.get("name")) or _text(stage.get("nodeIdentifier")) or "?"
    ident = _text(stage.get("nodeIdentifier"))
    label = f"stage {name} ({ident})" if ident and ident != name else f"stage {name}"
    return f"{label} {display(_text(stage.get('status')))}" if with_status else label


def policy_words(governance: Any) -> str:
    """The deny messages of an OPA evaluation (governanceMetadata)."""
    if not isinstance(governance, dict):
        return ""
    words: list[str] = []
    for detail in governance.get("details") or []:
        if not isinstance(detail, dict):
            continue
        for policy in detail.get("policyMetadata") or []:
            if isinstance(policy, dict):
                words += [str(m) for m in policy.get("denyMessages") or [] if m]
    if not words and _text(governance.get("message")):
        words.append(str(governance["message"]))
    return "; ".join(dict.fromkeys(words))


def execution_url(ui_base: str, account: str, summary: dict[str, Any]) -> Optional[str]:
    """§11: <host>/ng/account/<acct>/<module>/orgs/<org>/projects/<project>/pipelines/<id>/
    executions/<planExecutionId>/pipeline; module: the first that is not pms, else cd."""
    org, project = summary.get("orgIdentifier"), summary.get("projectIdentifier")
    pipeline, execution = summary.get("pipelineIdentifier"), summary.get("planExecutionId")
    if not all(isinstance(v, str) and v for v in (org, project, pipeline, execution)):
        return None
    modules = summary.get("modules")
    module = (
        next(
            (m for m in modules if isinstance(m, str) and m and m != "pms"),
            "cd",
        )
        if isinstance(modules, list)
        else "cd"
    )
    return (
        f"{ui_base}/account/{account}/{module}/orgs/{org}/projects/{project}"
        f"/pipelines/{pipeline}/executions/{execution}/pipeline"
    )


def snapshot(summary: dict[str, Any], ui_base: str, account: str) -> Snapshot:
    status = display(_text(summary.get("status")))
    current = phase(status)
    stages = _stages(summary)
    if current.needs_a_human or status == "ResourceWaiting":
        stage = _stage_named(stages, {status}) or _stage_named(stages, WAITING)
    elif current is Phase.FAILED or status == "IgnoreFailed":
        stage = _stage_named(stages, FAILED | {"IgnoreFailed"})
    elif current.terminal:
        stage = None
    else:
        stage = _stage_named(stages, {"Running"}) or _stage_named(stages, WAITING)
    failure = ""
    if current is Phase.FAILED or status == "IgnoreFailed":
        failure = _failure_message(stage.get("failureInfoDTO")) if stage else ""
        failure = failure or _failure_message(summary.get("failureInfo"))
        failure = failure or _failure_message(summary.get("executionErrorInfo"))
        if not failure and status == "Errored":
            words = policy_words(summary.get("governanceMetadata"))
            failure = f"Pipeline execution denied by policy: {words}" if words else ""
    org = str(summary.get("orgIdentifier") or "")
    project = str(summary.get("projectIdentifier") or "")
    pipeline = str(summary.get("pipelineIdentifier") or "")
    snap = Snapshot(
        execution_id=str(summary.get("planExecutionId") or ""),
        status=status,
        phase=current,
        url=execution_url(ui_base, account, summary),
        scope=(org, project, pipeline) if org and project and pipeline else (),
        created_at=epoch_ms(summary.get("createdAt")),
        started_at=epoch_ms(summary.get("startTs")),
        ended_at=epoch_ms(summary.get("endTs")) if current.terminal else None,
        where=_describe(stage, with_status=not current.terminal),
        failure=failure if current is Phase.FAILED else "",
        verdict_note=VERDICT_NOTES.get(status or "", ""),
        application=f"{org}/{project}" if org and project else "",
        entity_type=PIPELINE,
        entity_name=pipeline,
    )
    if status == "IgnoreFailed" and failure:
        snap.verdict_note += f" ({_describe(stage) or 'a stage'}: {failure})"
    return snap


def started(
    plan: dict[str, Any], org: str, project: str, pipeline: str, ui_base: str, account: str
) -> Snapshot:
    """The execution in a start answer (`planExecution`): engine status RUNNING, QUEUED, or
    ERRORED when a policy denied the run (an answer of 200, not an error)."""
    summary = {
        "planExecutionId": plan.get("uuid"),
        "status": plan.get("status"),
        "orgIdentifier": org,
        "projectIdentifier": project,
        "pipelineIdentifier": pipeline,
        "createdAt": plan.get("createdAt"),
        "startTs": plan.get("startTs"),
        "endTs": plan.get("endTs"),
        "governanceMetadata": plan.get("governanceMetadata"),
    }
    metadata = plan.get("metadata")
    module = metadata.get("moduleType") if isinstance(metadata, dict) else None
    if isinstance(module, str) and module:
        summary["modules"] = [module]
    snap = snapshot(summary, ui_base, account)
    if snap.phase.needs_a_human:
        # The answer names no stage: the first read tells what waits, and where.
        snap.phase = Phase.RUNNING
    return snap
