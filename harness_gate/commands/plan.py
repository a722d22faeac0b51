"""harness-gate plan SPEC: resolve and check against Harness, print what would be sent."""

from __future__ import annotations

import argparse
import json
import os
import time
from typing import Any

from harness_gate.commands import common


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "plan",
        help="online dry run: resolve and check, start nothing",
        description=(
            "Resolve names, check variables and artifacts against what each pipeline or "
            "workflow declares, and print the startExecution input that `run` would send. "
            "Nothing is started."
        ),
    )
    parser.add_argument("spec", help="the YAML deployment spec")
    common.add_only_argument(parser)
    common.add_connection_arguments(parser)
    common.annotate(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from harness_gate.ci_env import default_notes
    from harness_gate.console import Console
    from harness_gate.errors import GateError
    from harness_gate.resolve import resolve
    from harness_gate.spec import load_spec, select_deployments
    from harness_gate.stopper import Stopped, Stopper

    console = Console(verbose=args.verbose)
    stopper = Stopper()
    restore = stopper.install()
    try:
        spec = select_deployments(load_spec(args.spec, os.environ), args.only or [])
        settings = common.settings_from(args, os.environ)
        client = common.make_client(settings, console, stopper)
        resolution = resolve(
            client, spec.deployments, deadline=time.monotonic() + 300, console=console
        )
    except GateError as exc:
        console.line(f"error: {exc}")
        return exc.exit_code
    except Stopped:
        return 128 + (stopper.signum or 2)
    finally:
        restore()
    notes = spec.notes or default_notes(os.environ)
    for r in resolution.resolved:
        d = r.deployment
        start = r.start_input(d.notes or notes, "<set per run>")
        print(
            f"{d.name}: would start {d.entity_type} {d.entity_name!r} ({r.entity_id}) "
            f"in {d.application!r} ({r.application_id})"
        )
        for warning in r.warnings:
            print(f"  warning: {warning}")
        print(
            "  startExecution input: "
            + json.dumps(start, indent=2, ensure_ascii=False).replace("\n", "\n  ")
        )
    for name, why in resolution.failures.items():
        print(f"{name}: cannot start: {why}")
    print(f"{resolution.requests} request(s) sent; nothing was started")
    return 0 if resolution.ok else 3
