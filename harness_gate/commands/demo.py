"""harness-gate demo: the bundled emulator and example spec through the real `run` path."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from harness_gate.commands import annotate
from harness_gate.errors import UsageError
from harness_gate.model import RunResult
from harness_gate.settings import ConnectionFlags, ReportSettings, WaitSettings

DEMO_TIME_SCALE = 60.0  # a minute of the fixture's deployments passes in a second
DEMO_MAX_RPM = 120  # the emulator runs without a rate limit; still pace like a client would
DEMO_POLL_INTERVAL = 1.0


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "demo",
        help="run an example spec against the bundled Harness emulator (no account needed)",
        description=(
            "Start the bundled Harness emulator on a free loopback port and run an example "
            "spec through exactly the `run` code path: same progress output, report and "
            "exit code. Needs the emulator extra (pip install '.[emulator]' from a checkout)."
        ),
    )
    parser.add_argument("--spec", default=None, help="a spec to run instead of the bundled example")
    parser.add_argument(
        "--time-scale",
        type=float,
        default=DEMO_TIME_SCALE,
        help=f"emulator seconds per real second (default {DEMO_TIME_SCALE:g})",
    )
    ReportSettings.register_argparse_arguments(parser)
    parser.add_argument("--verbose", "-v", action="store_true", help="log every HTTP exchange")
    annotate(parser, "demo")
    parser.set_defaults(func=main)


def example_spec() -> str:
    return str(Path(__file__).resolve().parent.parent / "examples" / "demo.yaml")


def main(args: argparse.Namespace) -> RunResult:
    return demo(
        args.spec or example_spec(),
        args.time_scale,
        ReportSettings.from_argparse(args),
        args.verbose,
    )


def demo(spec: str, time_scale: float, reports: ReportSettings, verbose: bool) -> RunResult:
    try:
        from harness_gate.emulator import Emulator
    except ImportError:
        raise UsageError(
            "the demo needs the emulator extra: pip install '.[emulator]' from a checkout, "
            "or pip install 'graphql-core>=3.2,<3.3'"
        ) from None
    from harness_gate.run import RunOptions, run_spec

    with Emulator(time_scale=time_scale, rate_limit=None) as emulator:
        print(f"harness-gate demo: Harness emulator at {emulator.endpoint}", file=sys.stderr)
        print(f"harness-gate demo: running {spec}", file=sys.stderr)
        environ = dict(os.environ)
        environ.update(emulator.env())
        environ.pop("HARNESS_API_KEY_FILE", None)
        options = RunOptions(
            spec=spec,
            wait=WaitSettings(poll_interval=DEMO_POLL_INTERVAL),
            reports=reports,
            connection=ConnectionFlags(max_rpm=DEMO_MAX_RPM, verbose=verbose),
        )
        return run_spec(options, environ)
