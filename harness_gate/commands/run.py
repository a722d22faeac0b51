"""harness-gate run SPEC: resolve everything, start each deployment once, wait, report."""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Optional

from harness_gate.commands import common

if TYPE_CHECKING:
    from harness_gate.console import Console
    from harness_gate.model import RunResult, Spec
    from harness_gate.stopper import Stopper

RESOLVE_TIME = 300.0  # retries while resolving names stop here (or at --timeout)


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "run",
        help="start the spec's deployments and wait for them",
        description=(
            "Resolve every name in the spec, start each deployment exactly once, wait until "
            "every execution ends, write the reports and exit with a code the CI acts on."
        ),
    )
    parser.add_argument("spec", help="the YAML deployment spec")
    common.add_only_argument(parser)
    common.add_wait_arguments(parser)
    parser.add_argument(
        "--no-wait",
        action="store_true",
        help="start and exit without waiting (not with needs or an ordered multi-deployment spec)",
    )
    common.add_report_arguments(parser)
    common.add_connection_arguments(parser)
    common.annotate(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    return execute_run(args, os.environ)


def execute_run(
    args: argparse.Namespace, environ: Mapping[str, str], console: Optional[Console] = None
) -> int:
    """The run code path, shared with `demo`. Always writes the reports."""
    from harness_gate.console import Console
    from harness_gate.model import RunResult
    from harness_gate.stopper import Stopper

    console = console or Console(verbose=args.verbose)
    result = RunResult(command="run", spec_path=args.spec, deployments=[], no_wait=args.no_wait)
    stopper = Stopper()
    restore = stopper.install()
    try:
        result.exit_code = _run(args, environ, result, stopper, console)
    except Exception as exc:  # a bug must still leave a report behind
        result.exit_code = common.internal_error(result, exc, console)
    try:
        # Handlers stay in place while the reports are written: a second signal is ignored
        # rather than killing the gate before its report exists.
        return common.finish(result, args, environ, console)
    finally:
        restore()


def _run(
    args: argparse.Namespace,
    environ: Mapping[str, str],
    result: RunResult,
    stopper: Stopper,
    console: Console,
) -> int:
    from harness_gate.errors import GateError, SpecError, UsageError
    from harness_gate.model import Outcome
    from harness_gate.spec import load_spec, select_deployments

    try:
        spec = select_deployments(load_spec(args.spec, environ), args.only or [])
    except SpecError as exc:
        return _not_started(result, exc, exc.deployment_names, console)
    except GateError as exc:
        return _not_started(result, exc, [], console)
    result.deployments = [_result_for(d) for d in spec.deployments]
    try:
        _check_no_wait(args, spec)
        return _run_spec(args, environ, spec, result, stopper, console)
    except GateError as exc:
        console.line(f"error: {exc}")
        result.error = str(exc)
        for r in result.deployments:
            if r.outcome is None:
                if r.execution_id:
                    r.outcome, r.message = Outcome.ERROR, f"outcome unknown: {exc}"
                else:
                    r.outcome, r.message = Outcome.SKIPPED, f"not started: {exc}"
                    if not isinstance(exc, UsageError):
                        r.outcome = Outcome.ERROR
        return exc.exit_code


def _check_no_wait(args: argparse.Namespace, spec: Spec) -> None:
    from harness_gate.errors import UsageError

    if not args.no_wait:
        return
    if any(d.needs for d in spec.deployments):
        raise UsageError("--no-wait cannot honour `needs`: it does not wait for anything")
    if not spec.parallel and len(spec.deployments) > 1:
        raise UsageError(
            "--no-wait cannot honour the listed order of several deployments "
            "(set parallel: true, or pick one with --only)"
        )


def _run_spec(
    args: argparse.Namespace,
    environ: Mapping[str, str],
    spec: Spec,
    result: RunResult,
    stopper: Stopper,
    console: Console,
) -> int:
    from harness_gate.ci_env import default_notes
    from harness_gate.errors import signal_exit_code
    from harness_gate.execute import Gate, Tracked, WatchOptions, exit_code_for
    from harness_gate.model import Outcome
    from harness_gate.resolve import resolve
    from harness_gate.stopper import Stopped

    poll = args.poll_interval or spec.poll_interval
    settings = common.settings_from(args, environ, poll_interval=poll)
    client = common.make_client(settings, console, stopper)
    run_deadline = time.monotonic() + args.timeout if args.timeout else None
    by_name = {r.name: r for r in result.deployments}
    try:
        with common.section(console, environ, "harness_gate_resolve", "Resolving names in Harness"):
            deadline = min(run_deadline or float("inf"), time.monotonic() + RESOLVE_TIME)
            resolution = resolve(client, spec.deployments, deadline=deadline, console=console)
            for name, warnings in resolution.warnings.items():
                for warning in warnings:
                    console.line(f"{name}: warning: {warning}")
    except Stopped:
        for r in result.deployments:
            r.outcome, r.message = Outcome.SKIPPED, f"not started: interrupted by {stopper.signame}"
        result.interrupted_by = stopper.signame
        return signal_exit_code(stopper.signum or 2)
    if not resolution.ok:
        culprits = ", ".join(resolution.failures)
        for r in result.deployments:
            if r.name in resolution.failures:
                r.outcome, r.message = Outcome.FAILURE, resolution.failures[r.name]
                console.line(f"{r.name}: {r.message}")
            else:
                r.outcome = Outcome.SKIPPED
                r.message = f"not started: resolution failed for {culprits}"
        result.error = f"resolution failed for {culprits}; nothing was started"
        console.line(result.error)
        return 3
    items = []
    notes_default = spec.notes or default_notes(environ)
    for resolved in resolution.resolved:
        d = resolved.deployment
        r = by_name[d.name]
        r.application_id, r.entity_id = resolved.application_id, resolved.entity_id
        if resolved.warnings:
            r.details.extend(f"warning: {w}" for w in resolved.warnings)
        items.append(
            Tracked(
                result=r,
                resolved=resolved,
                needs=list(d.needs),
                timeout=d.timeout,
                abort_on_exit=d.abort_on_exit or spec.abort_on_exit or args.abort_on_exit,
                notes=d.notes or notes_default,
            )
        )
    options = WatchOptions(
        parallel=spec.parallel,
        poll_max=settings.poll_interval,
        no_wait=args.no_wait,
        run_deadline=run_deadline,
        min_interval=min(1.0, settings.poll_interval),
    )
    gate = Gate(client, console, stopper, options)
    gate.run(items)
    client.close()
    if stopper.signum is not None:
        result.interrupted_by = stopper.signame
        return signal_exit_code(stopper.signum)
    if gate.fatal is not None:
        result.error = str(gate.fatal)
    return exit_code_for(result.deployments, gate.fatal)


def _result_for(d: Any) -> Any:
    from harness_gate.model import DeploymentResult

    return DeploymentResult(
        name=d.name,
        application=d.application,
        entity_type=d.entity_type,
        entity_name=d.entity_name,
    )


def _not_started(result: RunResult, exc: Exception, names: list[str], console: Console) -> int:
    from harness_gate.errors import GateError
    from harness_gate.model import DeploymentResult, Outcome

    console.line(f"error: {exc}")
    result.error = str(exc)
    result.deployments = [
        DeploymentResult(
            name=name,
            application="",
            entity_type="",
            entity_name=name,
            outcome=Outcome.ERROR,
            message=f"not started: {exc}",
        )
        for name in names
    ]
    return exc.exit_code if isinstance(exc, GateError) else 2
