"""Wait for executions started elsewhere (a restarted CI agent, a cron follow-up) and gate
on them like `run`: `wait_for(options)`."""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Optional

from harness_gate.console import Console
from harness_gate.defaults import DEFAULT_TIMEOUT
from harness_gate.exit_codes import ExitCode
from harness_gate.model import FIRSTGEN, DeploymentResult, Outcome, RunResult
from harness_gate.platforms.base import ExecutionRef, Platform
from harness_gate.session import gated
from harness_gate.settings import ConnectionFlags, ReportSettings, WaitSettings
from harness_gate.stopper import Stopper


@dataclass
class WaitOptions:
    execution_ids: list[str]
    platform: str = FIRSTGEN
    scope: tuple[str, ...] = ()  # NextGen: (org, project)
    wait: WaitSettings = field(default_factory=WaitSettings)
    reports: ReportSettings = field(default_factory=ReportSettings)
    connection: ConnectionFlags = field(default_factory=ConnectionFlags)


def wait_for(
    options: WaitOptions, environ: Mapping[str, str], console: Optional[Console] = None
) -> RunResult:
    console = console or Console(verbose=options.connection.verbose)
    ids = list(dict.fromkeys(options.execution_ids))
    result = RunResult(
        command="wait",
        spec_path=None,
        deployments=[
            DeploymentResult(
                name=i,
                application="",
                entity_type="",
                entity_name="",
                execution_id=i,
                platform=options.platform,
            )
            for i in ids
        ],
    )

    def body(result: RunResult, stopper: Stopper) -> None:
        from harness_gate.platforms import connect

        settings = options.connection.settings(environ)
        poll_max = options.wait.poll_max()
        platform = connect(
            options.platform, settings, console, stopper, retry_base=min(1.0, poll_max)
        )
        try:
            _wait(options, platform, result, stopper, console)
        finally:
            platform.close()

    return gated(result, options.reports, environ, console, body)


def _wait(
    options: WaitOptions,
    platform: Platform,
    result: RunResult,
    stopper: Stopper,
    console: Console,
) -> None:
    from harness_gate.gate import Deadline, Gate, State, Tracked, WatchOptions

    timeout = options.wait.timeout or DEFAULT_TIMEOUT
    deadline = Deadline(time.monotonic() + timeout, timeout, "--timeout")
    refs = [ExecutionRef(r.name, options.scope) for r in result.deployments]
    platform.started_something()  # these runs exist: never give up on the endpoint early
    answers = platform.read(refs, deadline=deadline.at)
    unknown = {}
    for r, answer in zip(result.deployments, answers):
        snap = answer.snapshot
        if snap is None:
            unknown[r.name] = answer.not_found or answer.error or "not found"
            continue
        r.application, r.entity_type, r.entity_name = (
            snap.application,
            snap.entity_type,
            snap.entity_name,
        )
    if unknown:
        for r in result.deployments:
            if r.name in unknown:
                r.outcome, r.message = Outcome.FAILURE, f"unknown execution: {unknown[r.name]}"
                r.execution_id = None
            else:
                r.outcome, r.message = Outcome.SKIPPED, "not waited for: another id is unknown"
        result.error = "unknown execution id(s): " + ", ".join(unknown)
        result.error_code = ExitCode.RESOLUTION
        console.line(result.error)
        return
    items = [
        Tracked(
            result=r, timeout=timeout, abort_on_exit=options.wait.abort_on_exit, state=State.ACTIVE
        )
        for r in result.deployments
    ]
    poll_max = options.wait.poll_max()
    watch = WatchOptions(
        parallel=True, poll_max=poll_max, run_deadline=deadline, min_interval=min(1.0, poll_max)
    )
    gate = Gate(platform, console, stopper, watch)
    for t, answer in zip(items, answers):
        t.deadline = deadline
        assert answer.snapshot is not None
        t.scope = answer.snapshot.scope or options.scope
        gate.poller.apply(t, answer.snapshot, announce=True)
    gate.run(items)
    if gate.fatal is not None:
        result.error = str(gate.fatal)
        result.error_code = gate.fatal.exit_code
