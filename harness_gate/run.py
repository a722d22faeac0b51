"""Run a spec: resolve every name, start each deployment exactly once, wait, report.

`run_spec(options)` is what `harness-gate run` and `demo` call; it returns the result with
its exit code, the reports written on every path.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Optional

from harness_gate.console import Console
from harness_gate.defaults import DEFAULT_START_GRACE, RESOLVE_TIME
from harness_gate.errors import UsageError
from harness_gate.model import DeploymentResult, Outcome, RunResult, Spec
from harness_gate.session import gated
from harness_gate.settings import ConnectionFlags, ReportSettings, WaitSettings
from harness_gate.stopper import Stopper

if TYPE_CHECKING:
    from harness_gate.gate import Tracked
    from harness_gate.platforms.base import Target


@dataclass
class RunOptions:
    spec: str  # a path, or "-" for standard input
    only: list[str] = field(default_factory=list)
    no_wait: bool = False
    wait: WaitSettings = field(default_factory=WaitSettings)
    reports: ReportSettings = field(default_factory=ReportSettings)
    connection: ConnectionFlags = field(default_factory=ConnectionFlags)
    start_grace: float = DEFAULT_START_GRACE


def load(path: str, only: list[str], environ: Mapping[str, str]) -> Spec:
    """The spec at path ('-': standard input), narrowed to --only."""
    from harness_gate.spec import load_spec, select_deployments

    return select_deployments(load_spec(path, environ), only)


def run_spec(
    options: RunOptions, environ: Mapping[str, str], console: Optional[Console] = None
) -> RunResult:
    console = console or Console(verbose=options.connection.verbose)
    result = RunResult(command="run", spec_path=options.spec, deployments=[])

    def body(result: RunResult, stopper: Stopper) -> None:
        spec = load(options.spec, options.only, environ)
        result.deployments = [result_for(d) for d in spec.deployments]
        check_no_wait(options.no_wait, spec)
        result.no_wait = options.no_wait
        _run(options, spec, environ, result, stopper, console)

    return gated(result, options.reports, environ, console, body)


def result_for(d: object) -> DeploymentResult:
    from harness_gate.model import Deployment

    assert isinstance(d, Deployment)
    from harness_gate.model import NEXTGEN

    return DeploymentResult(
        name=d.name,
        application=d.application,
        entity_type=d.entity_type,
        entity_name=d.entity_name,
        platform=NEXTGEN if d.nextgen is not None else d.platform,
    )


def check_no_wait(no_wait: bool, spec: Spec) -> None:
    if not no_wait:
        return
    if any(d.needs for d in spec.deployments):
        raise UsageError("--no-wait cannot honour `needs`: it does not wait for anything")
    if not spec.parallel and len(spec.deployments) > 1:
        raise UsageError(
            "--no-wait cannot honour the listed order of several deployments "
            "(set parallel: true, or pick one with --only)"
        )


def _run(
    options: RunOptions,
    spec: Spec,
    environ: Mapping[str, str],
    result: RunResult,
    stopper: Stopper,
    console: Console,
) -> None:
    from harness_gate.gate import Deadline, Gate, WatchOptions
    from harness_gate.platforms import connect
    from harness_gate.session import section

    settings = options.connection.settings(environ)
    poll_max = options.wait.poll_max(spec.poll_interval)
    platform = connect(
        spec.platform,
        settings,
        console,
        stopper,
        start_grace=options.start_grace,
        retry_base=min(1.0, poll_max),
    )
    try:
        run_deadline = None
        if options.wait.timeout:
            run_deadline = Deadline(
                time.monotonic() + options.wait.timeout, options.wait.timeout, "--timeout"
            )
        with section(console, environ, "harness_gate_resolve", "Resolving names in Harness"):
            limit = min(
                run_deadline.at if run_deadline else float("inf"), time.monotonic() + RESOLVE_TIME
            )
            resolution = platform.resolve(spec.deployments, deadline=limit)
            for name, warnings in resolution.warnings.items():
                for warning in warnings:
                    console.line(f"{name}: warning: {warning}")
        if not resolution.ok:
            _resolution_failed(result, resolution.failures, console)
            return
        items = _tracked(options, spec, environ, result, resolution.targets)
        watch = WatchOptions(
            parallel=spec.parallel,
            poll_max=poll_max,
            no_wait=options.no_wait,
            run_deadline=run_deadline,
            min_interval=min(1.0, poll_max),
        )
        gate = Gate(platform, console, stopper, watch)
        gate.run(items)
        if gate.fatal is not None:
            result.error = str(gate.fatal)
            result.error_code = gate.fatal.exit_code
    finally:
        platform.close()


def _resolution_failed(result: RunResult, failures: Mapping[str, str], console: Console) -> None:
    from harness_gate.exit_codes import ExitCode

    culprits = ", ".join(failures)
    for r in result.deployments:
        if r.name in failures:
            r.outcome, r.message = Outcome.FAILURE, failures[r.name]
            console.line(f"{r.name}: {r.message}")
        else:
            r.outcome = Outcome.SKIPPED
            r.message = f"not started: resolution failed for {culprits}"
    result.error = f"resolution failed for {culprits}; nothing was started"
    result.error_code = ExitCode.RESOLUTION
    console.line(result.error)


def _tracked(
    options: RunOptions,
    spec: Spec,
    environ: Mapping[str, str],
    result: RunResult,
    targets: Sequence[Target],
) -> list[Tracked]:
    from harness_gate.ci_env import default_notes
    from harness_gate.gate import Tracked

    by_name = {r.name: r for r in result.deployments}
    notes_default = spec.notes or default_notes(environ)
    items = []
    for target in targets:
        d = target.deployment
        r = by_name[d.name]
        r.application_id, r.entity_id = target.ids
        r.details.extend(f"warning: {w}" for w in target.warnings)
        items.append(
            Tracked(
                result=r,
                target=target,
                needs=list(d.needs),
                timeout=d.timeout,
                abort_on_exit=d.abort_on_exit or spec.abort_on_exit or options.wait.abort_on_exit,
                notes=d.notes or notes_default,
            )
        )
    return items
