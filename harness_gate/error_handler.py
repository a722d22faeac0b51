"""The one place that turns an exception into what the user sees and what the report says.

Every command runs inside `record`'s reach: a known error is one line with its own exit code,
a stop request is an interrupt, anything else is a bug, said to be one, with the report
still written. The exit code itself is decided by exit_codes.exit_code from the result.
"""

from __future__ import annotations

import signal
import traceback
from typing import Optional

from harness_gate.console import Console
from harness_gate.errors import GateError, SpecError
from harness_gate.model import DeploymentResult, Outcome, RunResult
from harness_gate.stopper import Stopped, Stopper


def record(
    result: RunResult, exc: BaseException, console: Console, stopper: Optional[Stopper] = None
) -> None:
    if isinstance(exc, (Stopped, KeyboardInterrupt)):
        _interrupted(result, stopper)
    elif isinstance(exc, GateError):
        _gate_error(result, exc, console)
    elif isinstance(exc, Exception):
        _internal_error(result, exc, console)
    else:
        raise exc  # SystemExit and the like are not ours to swallow


def _interrupted(result: RunResult, stopper: Optional[Stopper]) -> None:
    signum = stopper.signum if stopper is not None and stopper.signum else int(signal.SIGINT)
    result.signum = signum
    result.interrupted_by = signal.Signals(signum).name
    for d in result.deployments:
        if d.outcome is None:
            if d.started:
                d.outcome, d.message = Outcome.ERROR, f"interrupted by {result.interrupted_by}"
            else:
                d.outcome = Outcome.SKIPPED
                d.message = f"not started: interrupted by {result.interrupted_by}"


def _gate_error(result: RunResult, exc: GateError, console: Console) -> None:
    console.line(f"error: {exc}")
    result.error = str(exc)
    result.error_code = exc.exit_code
    if isinstance(exc, SpecError) and not result.deployments:
        result.deployments = [_placeholder(name) for name in exc.deployment_names]
    for d in result.deployments:
        if d.outcome is None:
            d.outcome = Outcome.ERROR
            d.message = f"outcome unknown: {exc}" if d.started else f"not started: {exc}"


def _internal_error(result: RunResult, exc: Exception, console: Console) -> None:
    text = (
        f"internal error in harness-gate: {exc.__class__.__name__}: {exc} "
        "(a bug in harness-gate, not in the deployment; please report it)"
    )
    console.line(text)
    if console.verbose:
        console.raw("".join(traceback.format_exception(type(exc), exc, exc.__traceback__)))
    result.error = text
    result.internal_error = True
    # The bug is said once, on the line above and in the run's error; each deployment only
    # points there, so the summary does not repeat it once per deployment.
    result.settle_unfinished(
        Outcome.ERROR, "outcome unknown: the gate stopped on an internal error"
    )


def _placeholder(name: str) -> DeploymentResult:
    return DeploymentResult(name=name, application="", entity_type="", entity_name=name)
