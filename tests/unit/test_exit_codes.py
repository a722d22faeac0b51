"""exit_codes.exit_code: the one function that turns a run's result into its exit code."""

from __future__ import annotations

import signal
from typing import Optional

import pytest

from harness_gate.exit_codes import ExitCode, exit_code, exit_codes_help, outcome_word
from harness_gate.model import DeploymentResult, Outcome, RunResult


def deployment(outcome: Optional[Outcome], started: bool = True) -> DeploymentResult:
    r = DeploymentResult(name="x", application="a", entity_type="workflow", entity_name="w")
    r.outcome = outcome
    r.execution_id = "e1" if started else None
    return r


def run(*deployments: DeploymentResult, **fields: object) -> RunResult:
    result = RunResult(command="run", spec_path="deploy.yaml", deployments=list(deployments))
    for name, value in fields.items():
        setattr(result, name, value)
    return result


def test_success_and_skips_are_0() -> None:
    assert (
        exit_code(run(deployment(Outcome.SUCCESS), deployment(Outcome.SKIPPED, started=False)))
        == ExitCode.SUCCESS
        == 0
    )


def test_a_started_failure_is_1_whatever_else_happened() -> None:
    result = run(
        deployment(Outcome.FAILURE), deployment(Outcome.TIMEOUT), deployment(Outcome.ERROR)
    )
    assert exit_code(result) == 1
    result.error_code = ExitCode.HARNESS_UNREACHABLE
    assert exit_code(result) == 1


def test_a_failure_with_nothing_started_is_3() -> None:
    result = run(deployment(Outcome.FAILURE, started=False), deployment(Outcome.SKIPPED, False))
    assert exit_code(result) == 3


def test_a_skipped_execution_does_not_count_as_started() -> None:
    # wait: an unknown id fails, the known ones are skipped (not gated on) although they exist
    result = run(deployment(Outcome.FAILURE, started=False), deployment(Outcome.SKIPPED))
    assert exit_code(result) == ExitCode.RESOLUTION


def test_the_run_level_error_code_comes_before_outcomes() -> None:
    result = run(deployment(Outcome.SUCCESS), deployment(Outcome.TIMEOUT))
    result.error_code = ExitCode.USAGE
    assert exit_code(result) == 2


def test_error_is_5_and_timeout_is_4() -> None:
    assert exit_code(run(deployment(Outcome.SUCCESS), deployment(Outcome.TIMEOUT))) == 4
    assert exit_code(run(deployment(Outcome.ERROR), deployment(Outcome.TIMEOUT))) == 5
    assert exit_code(run(deployment(None))) == 5  # no outcome at all is never success


def test_an_internal_error_is_70_even_when_a_deployment_failed() -> None:
    result = run(deployment(Outcome.FAILURE), internal_error=True)
    assert exit_code(result) == ExitCode.INTERNAL == 70


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_wins_over_everything(signum: int) -> None:
    result = run(deployment(Outcome.FAILURE), internal_error=True, error_code=5)
    result.signum = signum
    assert exit_code(result) == 128 + signum


def test_help_lists_each_commands_codes() -> None:
    assert "70" in exit_codes_help("validate") and "  1 " not in exit_codes_help("validate")
    assert "nothing was started" in exit_codes_help("plan")
    assert "128+N" in exit_codes_help("run") and "128+N" not in exit_codes_help("schema")


def test_outcome_words() -> None:
    assert [outcome_word(c) for c in (0, 1, 4, 5, 70)] == [
        "success",
        "failure",
        "timeout",
        "error",
        "error",
    ]
