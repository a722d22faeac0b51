"""harness-gate run SPEC: resolve everything, start each deployment once, wait, report."""

from __future__ import annotations

import argparse
import os
from typing import Any

from harness_gate.commands import add_only_argument, add_spec_argument, annotate, only_names
from harness_gate.model import RunResult
from harness_gate.settings import ConnectionFlags, ReportSettings, WaitSettings, duration_arg


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "run",
        help="start the spec's deployments and wait for them",
        description=(
            "Resolve every name in the spec, start each deployment exactly once, wait until "
            "every execution ends, write the reports and exit with a code the CI acts on."
        ),
    )
    add_spec_argument(parser)
    add_only_argument(parser)
    WaitSettings.register_argparse_arguments(parser)
    parser.add_argument(
        "--no-wait",
        action="store_true",
        help="start and exit without waiting (not with needs or an ordered multi-deployment spec)",
    )
    parser.add_argument(
        "--start-grace",
        type=duration_arg,
        metavar="DUR",
        help="how long Harness may take to save one start before its answer is given up on "
        "(it collects a build it has not seen inside the start; default 120s)",
    )
    ReportSettings.register_argparse_arguments(parser)
    ConnectionFlags.register_argparse_arguments(parser)
    annotate(parser, "run")
    parser.set_defaults(func=main)


def main(args: argparse.Namespace) -> RunResult:
    from harness_gate.run import RunOptions, run_spec

    options = RunOptions(
        spec=args.spec,
        only=only_names(args.only),
        no_wait=args.no_wait,
        wait=WaitSettings.from_argparse(args),
        reports=ReportSettings.from_argparse(args),
        connection=ConnectionFlags.from_argparse(args),
    )
    if args.start_grace:
        options.start_grace = args.start_grace
    return run_spec(options, os.environ)
