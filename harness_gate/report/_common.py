"""Text hygiene and derived values shared by every report (stdlib only: imported on cold start)."""

from __future__ import annotations

import json
import re
import sys
from datetime import datetime, timezone
from typing import Any, Optional

from harness_gate.exit_codes import outcome_word
from harness_gate.model import DeploymentResult, Outcome, RunResult

MESSAGE_LIMIT = 200  # one-line messages: what CI headlines show without wrapping
BODY_LIMIT = 8000  # Harness CI renders 8,000 characters per field; GitLab and Jenkins cope too

# CSI (colours, cursor moves), OSC (titles, hyperlinks), string controls (DCS/SOS/PM/APC) and
# two-byte escapes. Removing only ESC would leave "[31m" in the report. The 8-bit CSI (U+009B)
# is only deleted, like other C1 controls: in decoded text it is more likely mojibake.
_ANSI = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"
    r"|\x1b\][^\x07\x1b\n]*(?:\x07|\x1b\\)?"
    r"|\x1b[PX^_][^\x1b]*\x1b\\"
    r"|\x1b[@-Z\\-_]"
)

# XML 1.0 forbids C0 controls other than TAB/LF/CR, surrogates and U+FFFE/FFFF; junit-xml also
# deletes C1 controls except NEL and the noncharacters, so remove the same set ourselves.
_ILLEGAL_RANGES = [
    (0x00, 0x08),
    (0x0B, 0x0C),
    (0x0E, 0x1F),
    (0x7F, 0x84),
    (0x86, 0x9F),
    (0xD800, 0xDFFF),
    (0xFDD0, 0xFDEF),
    (0xFFFE, 0xFFFF),
] + [(plane + 0xFFFE, plane + 0xFFFF) for plane in range(0x10000, 0x110000, 0x10000)]
_ILLEGAL = re.compile(
    "["
    + "".join(f"\\U{lo:08x}-\\U{hi:08x}" for lo, hi in _ILLEGAL_RANGES if hi <= sys.maxunicode)
    + "]"
)
_SURROGATES = re.compile("[\ud800-\udfff]")

# graphql-java wraps a data fetcher's exception as "Exception while fetching data (/s6) : ...":
# the path is the gate's own query alias (s6, x3, startExecution), meaningless to a user.
_FETCH_WRAPPER = re.compile(r"Exception while fetching data \(/[^()\n]*\)\s*:\s*")

# Harness's link to a pipeline execution names no workflow run: "workflow-execution/undefined"
# is part of the link its API, e-mails and Slack messages give (EXECUTION_URL_TEMPLATE).
_PIPELINE_LINK = re.compile(r"/pipeline-execution/[^/#?]+/workflow-execution/undefined/details$")
PIPELINE_LINK_NOTE = (
    "this is Harness's own link to a pipeline execution, as its API, e-mails and Slack give it; "
    "the 'workflow-execution/undefined' in it is Harness's"
)


def clean_text(text: object) -> str:
    """Text with ANSI escapes and XML-illegal characters removed and newlines as LF."""
    value = "" if text is None else str(text)
    value = _ANSI.sub("", value)
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    value = _FETCH_WRAPPER.sub("", value)
    return _ILLEGAL.sub("", value)


def without_alias(text: str) -> str:
    """Text as given, but for graphql-java's wrapper naming the gate's own query alias."""
    return _FETCH_WRAPPER.sub("", text)


def log_text(text: object) -> str:
    """A log line as a terminal and a CI log viewer should get it: ANSI escapes, control
    characters (TAB and LF kept) and graphql-java's alias wrapper removed."""
    value = clean_text(text)
    return _LOG_CONTROLS.sub("", value)


_LOG_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def link_note(url: Optional[str]) -> Optional[str]:
    """What a reader must know about an execution link, or None when it speaks for itself."""
    if url and _PIPELINE_LINK.search(url):
        return PIPELINE_LINK_NOTE
    return None


def same_words(needle: str, haystack: str) -> bool:
    """Whether needle's words already appear, in order, in haystack (whitespace ignored)."""
    words = " ".join(needle.split())
    return bool(words) and words in " ".join(haystack.split())


def one_line(text: object, limit: Optional[int] = MESSAGE_LIMIT) -> str:
    """Clean text on one line, whitespace collapsed, cut to limit characters with an ellipsis."""
    value = " ".join(clean_text(text).split())
    if limit is not None and len(value) > limit:
        value = value[: limit - 1].rstrip() + "\u2026"
    return value


def bound(text: str, limit: int = BODY_LIMIT) -> str:
    """Text cut to about limit characters, keeping the head (the message) and the tail."""
    if len(text) <= limit:
        return text
    head = text[: limit * 3 // 4]
    tail = text[len(text) - limit // 4 :]
    omitted = len(text) - len(head) - len(tail)
    return f"{head}\n[... {omitted} characters omitted ...]\n{tail}"


def scrub_surrogates(text: str) -> str:
    """Lone surrogates (from surrogateescape-decoded input) cannot be encoded as UTF-8."""
    return _SURROGATES.sub("\ufffd", text)


def dumps_json(value: Any, *, indent: Optional[int] = None) -> str:
    separators = None if indent else (",", ":")
    return scrub_surrogates(
        json.dumps(value, ensure_ascii=False, indent=indent, separators=separators)
    )


def as_utc(moment: datetime) -> datetime:
    # The model's clock is aware UTC; a naive value can only have come from utcnow()-style code.
    if moment.tzinfo is None:
        return moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)


def iso_utc(moment: Optional[datetime]) -> Optional[str]:
    """2024-05-01T10:00:00Z, or None."""
    if moment is None:
        return None
    return as_utc(moment).strftime("%Y-%m-%dT%H:%M:%SZ")


def overall_outcome(exit_code: int) -> str:
    """The run's outcome word for an exit code (the contract lives in exit_codes.py)."""
    return outcome_word(exit_code)


def effective_outcome(result: RunResult, deployment: DeploymentResult) -> Outcome:
    """The outcome every report shows; None (still active) is an error, except for --no-wait."""
    if deployment.outcome is not None:
        return deployment.outcome
    if result.no_wait and deployment.started:
        # Started and deliberately not waited for: that is what a --no-wait run calls success.
        return Outcome.SUCCESS
    return Outcome.ERROR


def is_interrupted(result: RunResult, deployment: DeploymentResult) -> bool:
    """Whether the interrupt, not Harness, ended this deployment's error."""
    if result.interrupted_by is None or deployment.outcome not in (Outcome.ERROR, None):
        return False
    return not deployment.terminal


def entity_label(deployment: DeploymentResult) -> str:
    entity_type = one_line(deployment.entity_type, 40) or "entity"
    return f"{entity_type} '{one_line(deployment.entity_name, 80)}'"


def derived_message(result: RunResult, deployment: DeploymentResult) -> str:
    """The one-line reason shown when the caller left a non-success message empty."""
    name = one_line(deployment.name, 80) or "deployment"
    status = (
        f"last status {one_line(deployment.status, 40)}"
        if deployment.status
        else "no status from Harness yet"
    )
    outcome = effective_outcome(result, deployment)
    if outcome is Outcome.FAILURE:
        if not deployment.status:
            return f"{name}: {entity_label(deployment)} failed"
        ended = one_line(deployment.status, 40)
        return f"{name}: {entity_label(deployment)} ended with status {ended}"
    if outcome is Outcome.TIMEOUT:
        return f"{name}: timed out waiting for {entity_label(deployment)} ({status})"
    if outcome is Outcome.SKIPPED:
        return f"{name}: {entity_label(deployment)} was not started (skipped)"
    if is_interrupted(result, deployment):
        return f"{name}: interrupted by {result.interrupted_by} ({status})"
    if deployment.outcome is None:
        return f"{name}: outcome unknown ({status})"
    if not deployment.started:
        return f"{name}: {entity_label(deployment)} was not started"
    return f"{name}: gate error while waiting for {entity_label(deployment)} ({status})"


def deployment_message(
    result: RunResult, deployment: DeploymentResult, limit: Optional[int] = MESSAGE_LIMIT
) -> str:
    """DeploymentResult.message on one line; when empty, a derived one unless the deployment
    passed (a pass needs no reason). Never empty for failure, timeout, error or skipped."""
    message = one_line(deployment.message, limit)
    if message or effective_outcome(result, deployment) is Outcome.SUCCESS:
        return message
    return one_line(derived_message(result, deployment), limit)


def run_error_message(result: RunResult, limit: Optional[int] = MESSAGE_LIMIT) -> str:
    """The run-level reason for a run that has no deployment to carry it."""
    text = one_line(result.error, limit)
    if text:
        return text
    if result.interrupted_by:
        return one_line(f"harness-gate {result.command} interrupted by {result.interrupted_by}")
    return one_line(f"harness-gate {result.command} ended with exit code {result.exit_code}")
