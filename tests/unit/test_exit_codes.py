from __future__ import annotations

from harness_gate.execute import exit_code_for

from harness_gate.errors import AuthError
from harness_gate.model import DeploymentResult, Outcome


def result(outcome: Outcome | None, started: bool = True) -> DeploymentResult:
    r = DeploymentResult(name="x", application="a", entity_type="workflow", entity_name="w")
    r.outcome = outcome
    r.execution_id = "e1" if started else None
    return r


def test_success_and_skips() -> None:
    assert exit_code_for([result(Outcome.SUCCESS), result(Outcome.SKIPPED, started=False)]) == 0


def test_failure_wins() -> None:
    assert (
        exit_code_for([result(Outcome.FAILURE), result(Outcome.TIMEOUT), result(Outcome.ERROR)])
        == 1
    )


def test_refused_start_with_nothing_started_is_3() -> None:
    assert (
        exit_code_for([result(Outcome.FAILURE, started=False), result(Outcome.SKIPPED, False)]) == 3
    )


def test_timeout_and_error() -> None:
    assert exit_code_for([result(Outcome.SUCCESS), result(Outcome.TIMEOUT)]) == 4
    assert exit_code_for([result(Outcome.ERROR), result(Outcome.TIMEOUT)]) == 5
    assert exit_code_for([result(None)]) == 5
    assert exit_code_for([result(Outcome.SUCCESS)], AuthError("no")) == 5
