"""error_handler.record: any exception becomes a result, and every deployment an outcome."""

from __future__ import annotations

import io
import signal

import pytest

from harness_gate.console import Console
from harness_gate.error_handler import record
from harness_gate.errors import AuthError, SpecError
from harness_gate.exit_codes import ExitCode, exit_code
from harness_gate.model import DeploymentResult, Outcome, RunResult
from harness_gate.stopper import Stopped, Stopper


def result() -> RunResult:
    started = DeploymentResult("started", "A", "workflow", "W", execution_id="ex-1")
    waiting = DeploymentResult("waiting", "A", "workflow", "W")
    done = DeploymentResult("done", "A", "workflow", "W", execution_id="ex-2")
    done.outcome, done.message = Outcome.SUCCESS, ""
    return RunResult(command="run", spec_path="s.yaml", deployments=[started, waiting, done])


def outcomes(r: RunResult) -> list[tuple[Outcome | None, str]]:
    return [(d.outcome, d.message) for d in r.deployments]


def test_a_stop_request_is_an_interrupt_by_its_signal() -> None:
    r = result()
    stopper = Stopper()
    stopper.stop(signal.SIGTERM)
    record(r, Stopped("SIGTERM"), Console(io.StringIO()), stopper)
    assert r.signum == signal.SIGTERM and r.interrupted_by == "SIGTERM"
    assert outcomes(r) == [
        (Outcome.ERROR, "interrupted by SIGTERM"),
        (Outcome.SKIPPED, "not started: interrupted by SIGTERM"),
        (Outcome.SUCCESS, ""),
    ]
    assert exit_code(r) == 128 + signal.SIGTERM


def test_ctrl_c_without_a_stopper_is_sigint() -> None:
    r = result()
    record(r, KeyboardInterrupt(), Console(io.StringIO()))
    assert r.signum == signal.SIGINT and exit_code(r) == 130


def test_a_known_error_is_one_line_with_its_code() -> None:
    r = result()
    stream = io.StringIO()
    record(r, AuthError("Harness rejected the credentials"), Console(stream))
    assert stream.getvalue().count("\n") == 1
    assert "error: Harness rejected the credentials" in stream.getvalue()
    assert r.error_code == ExitCode.HARNESS_UNREACHABLE and not r.internal_error
    assert outcomes(r) == [
        (Outcome.ERROR, "outcome unknown: Harness rejected the credentials"),
        (Outcome.ERROR, "not started: Harness rejected the credentials"),
        (Outcome.SUCCESS, ""),
    ]
    assert exit_code(r) == 5


def test_a_spec_error_names_the_deployments_it_knew() -> None:
    r = RunResult(command="run", spec_path="s.yaml", deployments=[])
    err = SpecError("bad key", file="s.yaml", line=3, key="x", deployment_names=["a", "b"])
    record(r, err, Console(io.StringIO()))
    assert [(d.name, d.outcome) for d in r.deployments] == [
        ("a", Outcome.ERROR),
        ("b", Outcome.ERROR),
    ]
    assert r.error == "s.yaml:3: x: bad key" and exit_code(r) == ExitCode.USAGE


def test_a_bug_is_said_to_be_one_and_settles_every_deployment() -> None:
    r = result()
    stream = io.StringIO()
    record(r, ZeroDivisionError("division by zero"), Console(stream))
    lines = stream.getvalue().splitlines()
    assert len(lines) == 1 and "a bug in harness-gate" in lines[0]
    assert "ZeroDivisionError: division by zero" in lines[0]
    assert r.internal_error and exit_code(r) == 70
    assert r.error is not None and "ZeroDivisionError" in r.error
    assert [d.outcome for d in r.deployments] == [Outcome.ERROR, Outcome.ERROR, Outcome.SUCCESS]


def test_verbose_adds_the_traceback() -> None:
    stream = io.StringIO()
    try:
        raise ValueError("deep")
    except ValueError as exc:
        record(result(), exc, Console(stream, verbose=True))
    assert "Traceback (most recent call last)" in stream.getvalue()


def test_system_exit_is_not_swallowed() -> None:
    with pytest.raises(SystemExit):
        record(result(), SystemExit(3), Console(io.StringIO()))
