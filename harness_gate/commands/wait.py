"""harness-gate wait EXECUTION_ID...: gate on executions that were started elsewhere."""

from __future__ import annotations

import argparse
import os
import time
from typing import Any

from harness_gate.commands import common

DEFAULT_TIMEOUT = 1800.0


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "wait",
        help="wait for executions that are already running",
        description=(
            "Attach to executions already started (a restarted CI agent, a cron follow-up) and "
            "gate on them like `run`. Every id must be known to Harness before waiting starts."
        ),
    )
    parser.add_argument("execution_ids", nargs="+", metavar="EXECUTION_ID")
    common.add_wait_arguments(parser)
    common.add_report_arguments(parser)
    common.add_connection_arguments(parser)
    common.annotate(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from harness_gate.console import Console
    from harness_gate.errors import GateError, signal_exit_code
    from harness_gate.model import DeploymentResult, Outcome, RunResult
    from harness_gate.stopper import Stopped, Stopper

    console = Console(verbose=args.verbose)
    ids = list(dict.fromkeys(args.execution_ids))
    result = RunResult(
        command="wait",
        spec_path=None,
        deployments=[
            DeploymentResult(name=i, application="", entity_type="", entity_name="", execution_id=i)
            for i in ids
        ],
    )
    stopper = Stopper()
    restore = stopper.install()
    try:
        result.exit_code = _wait(args, result, stopper, console)
    except Stopped:
        result.interrupted_by = stopper.signame
        result.settle_unfinished(Outcome.ERROR, f"interrupted by {stopper.signame}")
        result.exit_code = signal_exit_code(stopper.signum or 2)
    except GateError as exc:
        console.line(f"error: {exc}")
        result.error = str(exc)
        result.settle_unfinished(Outcome.ERROR, f"outcome unknown: {exc}")
        result.exit_code = exc.exit_code
    except Exception as exc:  # a bug must still leave a report behind
        result.exit_code = common.internal_error(result, exc, console)
    try:
        # Handlers stay in place while the reports are written: a second signal is ignored
        # rather than killing the gate before its report exists.
        return common.finish(result, args, os.environ, console)
    finally:
        restore()


def _wait(args: argparse.Namespace, result: Any, stopper: Any, console: Any) -> int:
    from harness_gate import graphql_docs
    from harness_gate.errors import signal_exit_code
    from harness_gate.execute import ACTIVE, Gate, Tracked, WatchOptions, exit_code_for
    from harness_gate.model import PIPELINE, WORKFLOW, Outcome
    from harness_gate.resolve import harness_words

    settings = common.settings_from(args, os.environ, poll_interval=args.poll_interval)
    client = common.make_client(settings, console, stopper)
    timeout = args.timeout or DEFAULT_TIMEOUT
    ids = [r.name for r in result.deployments]
    document, variables = graphql_docs.executions_status_query(ids)
    first = client.query(
        document, variables, purpose="read executions", deadline=time.monotonic() + timeout
    )
    unknown = {}
    for i, r in enumerate(result.deployments):
        node = first.data.get(f"x{i}")
        if not isinstance(node, dict):
            error = first.error_for(f"x{i}")
            unknown[r.name] = harness_words(error) if error else "not found"
            continue
        app = node.get("application") or {}
        r.application = str(app.get("name") or "") if isinstance(app, dict) else ""
        for key, kind in (("pipeline", PIPELINE), ("workflow", WORKFLOW)):
            entity = node.get(key)
            if isinstance(entity, dict):
                r.entity_type, r.entity_name = kind, str(entity.get("name") or "")
    if unknown:
        for r in result.deployments:
            if r.name in unknown:
                r.outcome, r.message = Outcome.FAILURE, f"unknown execution: {unknown[r.name]}"
                r.execution_id = None
            else:
                r.outcome, r.message = Outcome.SKIPPED, "not waited for: another id is unknown"
        result.error = "unknown execution id(s): " + ", ".join(unknown)
        console.line(result.error)
        return 3
    items = [
        Tracked(result=r, timeout=timeout, abort_on_exit=args.abort_on_exit, state=ACTIVE)
        for r in result.deployments
    ]
    options = WatchOptions(
        parallel=True,
        poll_max=settings.poll_interval,
        run_deadline=time.monotonic() + timeout,
        min_interval=min(1.0, settings.poll_interval),
    )
    gate = Gate(client, console, stopper, options)
    now = time.monotonic()
    for i, t in enumerate(items):
        t.deadline = now + timeout
        gate.observe(t, first.data[f"x{i}"])
    gate.run(items)
    if stopper.signum is not None:
        result.interrupted_by = stopper.signame
        return signal_exit_code(stopper.signum)
    return exit_code_for(result.deployments, gate.fatal)
