"""An online dry run: resolve and check against Harness, print what `run` would send."""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Optional

from harness_gate import error_handler
from harness_gate.console import Console
from harness_gate.defaults import RESOLVE_TIME
from harness_gate.exit_codes import ExitCode, exit_code
from harness_gate.model import Outcome, RunResult
from harness_gate.run import load, result_for
from harness_gate.settings import ConnectionFlags
from harness_gate.stopper import Stopper


@dataclass
class PlanOptions:
    spec: str
    only: list[str] = field(default_factory=list)
    connection: ConnectionFlags = field(default_factory=ConnectionFlags)


def plan_spec(
    options: PlanOptions,
    environ: Mapping[str, str],
    console: Optional[Console] = None,
    out: Optional[list[str]] = None,
) -> RunResult:
    """Lines of the plan go to `out` (printed by the command); nothing is started."""
    console = console or Console(verbose=options.connection.verbose)
    lines = out if out is not None else []
    result = RunResult(command="plan", spec_path=options.spec, deployments=[])
    stopper = Stopper()
    restore = stopper.install()
    try:
        _plan(options, environ, console, stopper, result, lines)
    except BaseException as exc:
        error_handler.record(result, exc, console, stopper)
    finally:
        restore()
    result.exit_code = exit_code(result)
    return result


def _plan(
    options: PlanOptions,
    environ: Mapping[str, str],
    console: Console,
    stopper: Stopper,
    result: RunResult,
    lines: list[str],
) -> None:
    from harness_gate.ci_env import default_notes
    from harness_gate.platforms import connect

    spec = load(options.spec, options.only, environ)
    result.deployments = [result_for(d) for d in spec.deployments]
    platform = connect(spec.platform, options.connection.settings(environ), console, stopper)
    try:
        resolution = platform.resolve(spec.deployments, deadline=time.monotonic() + RESOLVE_TIME)
        requests = resolution.requests
    finally:
        platform.close()
    notes = spec.notes or default_notes(environ)
    by_name = {r.name: r for r in result.deployments}
    for target in resolution.targets:
        d = target.deployment
        lines.extend(platform.describe_start(target, d.notes or notes))
        by_name[d.name].outcome = Outcome.SUCCESS
    for name, why in resolution.failures.items():
        lines.append(f"{name}: cannot start: {why}")
        by_name[name].outcome, by_name[name].message = Outcome.FAILURE, why
    for r in result.deployments:
        if r.outcome is None:
            r.outcome = Outcome.SKIPPED
    if resolution.failures:
        result.error_code = ExitCode.RESOLUTION
    lines.append(f"{requests} request(s) sent; nothing was started")
