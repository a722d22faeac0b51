"""gate.interpret: what one status read means for a deployment (pure: no I/O, no clock)."""

from __future__ import annotations

import pytest

from harness_gate.gate.interpret import interpret
from harness_gate.model import Outcome
from harness_gate.platforms.base import Phase, Snapshot

ENTITY = "pipeline 'Deploy Guestbook'"


def snap(status: str | None, phase: Phase, **fields: object) -> Snapshot:
    s = Snapshot("e1", status, phase)
    for name, value in fields.items():
        setattr(s, name, value)
    return s


@pytest.mark.parametrize("phase", [p for p in Phase if not p.terminal])
def test_phases_in_progress_change_but_have_no_outcome(phase: Phase) -> None:
    reading = interpret(None, None, snap("X", phase, where="stage Build RUNNING"), ENTITY)
    assert reading.changed and reading.outcome is None and reading.message == ""
    if phase.needs_a_human:
        assert reading.note == f"{phase.value} (stage Build RUNNING)"
    else:
        assert reading.note == "stage Build RUNNING"


@pytest.mark.parametrize(
    ("phase", "outcome"),
    [
        (Phase.SUCCEEDED, Outcome.SUCCESS),
        (Phase.FAILED, Outcome.FAILURE),
        (Phase.SKIPPED, Outcome.SKIPPED),
    ],
)
def test_terminal_phases_end_with_their_outcome(phase: Phase, outcome: Outcome) -> None:
    reading = interpret("RUNNING", Phase.RUNNING, snap("END", phase), ENTITY)
    assert reading.changed and reading.outcome is outcome


def test_an_unchanged_read_is_not_a_change() -> None:
    s = snap("RUNNING", Phase.RUNNING, where="stage Deploy RUNNING")
    reading = interpret("RUNNING", Phase.RUNNING, s, ENTITY)
    assert reading.changed is False and reading.outcome is None and reading.note == ""


def test_the_same_status_with_a_new_kind_of_wait_is_a_change() -> None:
    reading = interpret("PAUSED", Phase.WAITING_APPROVAL, snap("PAUSED", Phase.PAUSED), ENTITY)
    assert reading.changed and reading.note == Phase.PAUSED.value


def test_a_failure_names_the_stage_and_harnesss_details() -> None:
    s = snap(
        "FAILED",
        Phase.FAILED,
        where="stage Deploy FAILED",
        failure="Pods did not become ready",
    )
    reading = interpret("RUNNING", Phase.RUNNING, s, ENTITY)
    assert reading.outcome is Outcome.FAILURE
    assert reading.message == (
        "pipeline 'Deploy Guestbook' ended FAILED at stage Deploy FAILED: Pods did not become ready"
    )
    assert reading.details == ["failure details: Pods did not become ready"]


def test_a_failure_without_details_says_what_it_knows() -> None:
    reading = interpret(None, None, snap("ABORTED", Phase.FAILED), ENTITY)
    assert reading.message == "pipeline 'Deploy Guestbook' ended ABORTED"
    assert reading.details == []


def test_a_passing_status_worth_a_word_is_the_verdict_note() -> None:
    note = "IgnoreFailed: a failed step was ignored"
    reading = interpret(
        "Running", Phase.RUNNING, snap("IgnoreFailed", Phase.SUCCEEDED, verdict_note=note), ENTITY
    )
    assert reading.outcome is Outcome.SUCCESS
    assert reading.message == note and note in reading.details


def test_a_plain_success_has_no_message() -> None:
    reading = interpret("RUNNING", Phase.RUNNING, snap("SUCCESS", Phase.SUCCEEDED), ENTITY)
    assert reading.outcome is Outcome.SUCCESS and reading.message == "" and reading.details == []


def test_waiting_for_inputs_names_them() -> None:
    s = snap("PAUSED", Phase.WAITING_INPUT, where="stage QA PAUSED", waiting_inputs=["env", "tag"])
    reading = interpret("RUNNING", Phase.RUNNING, s, ENTITY)
    assert reading.note == "waiting for runtime inputs (stage QA PAUSED); inputs: env, tag"


def test_skipped_says_harness_skipped_it() -> None:
    reading = interpret(None, None, snap("SKIPPED", Phase.SKIPPED), ENTITY)
    assert reading.message == "Harness skipped the execution"
