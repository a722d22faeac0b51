"""harness-gate demo: the bundled emulator and example spec through the real `run` path."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from harness_gate.commands import common

DEMO_TIME_SCALE = 60.0  # a minute of the fixture's deployments passes in a second


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "demo",
        help="run an example spec against the bundled Harness emulator (no account needed)",
        description=(
            "Start the bundled Harness emulator on a free loopback port and run an example "
            "spec through exactly the `run` code path: same progress output, report and "
            "exit code. Needs the emulator extra: pip install 'harness-gate[emulator]'."
        ),
    )
    parser.add_argument("--spec", default=None, help="a spec to run instead of the bundled example")
    parser.add_argument(
        "--time-scale",
        type=float,
        default=DEMO_TIME_SCALE,
        help=f"emulator seconds per real second (default {DEMO_TIME_SCALE:g})",
    )
    common.add_report_arguments(parser)
    parser.add_argument("--verbose", "-v", action="store_true", help="log every HTTP exchange")
    parser.set_defaults(func=run)


def example_spec() -> str:
    return str(Path(__file__).resolve().parent.parent / "examples" / "demo.yaml")


def run(args: argparse.Namespace) -> int:
    try:
        from harness_gate.emulator import Emulator
    except ImportError:
        print(
            "harness-gate: the demo needs the emulator extra: pip install 'harness-gate[emulator]'",
            file=sys.stderr,
        )
        return 2
    from harness_gate.commands.run import execute_run

    spec = args.spec or example_spec()
    with Emulator(time_scale=args.time_scale, rate_limit=None) as emulator:
        print(f"harness-gate demo: Harness emulator at {emulator.endpoint}", file=sys.stderr)
        print(f"harness-gate demo: running {spec}", file=sys.stderr)
        environ = dict(os.environ)
        environ.update(emulator.env())
        environ.pop("HARNESS_API_KEY_FILE", None)
        run_args = argparse.Namespace(
            spec=spec,
            only=[],
            timeout=None,
            poll_interval=1.0,
            abort_on_exit=False,
            no_wait=False,
            junit=args.junit,
            json=args.json,
            dotenv=args.dotenv,
            endpoint=None,
            account_id=None,
            ca_bundle=None,
            allow_http=False,
            max_rpm=120,
            request_timeout=None,
            verbose=args.verbose,
        )
        return execute_run(run_args, environ)
