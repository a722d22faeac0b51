"""harness-gate plan SPEC: resolve and check against Harness, print what would be sent."""

from __future__ import annotations

import argparse
import os
from typing import Any

from harness_gate.commands import add_only_argument, add_spec_argument, annotate, only_names
from harness_gate.model import RunResult
from harness_gate.settings import ConnectionFlags


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "plan",
        help="online dry run: resolve and check, start nothing",
        description=(
            "Resolve names, check variables, artifacts and Helm charts against what each "
            "pipeline or workflow declares, and print what `run` would send. Nothing is started."
        ),
    )
    add_spec_argument(parser)
    add_only_argument(parser)
    ConnectionFlags.register_argparse_arguments(parser)
    annotate(parser, "plan")
    parser.set_defaults(func=main)


def main(args: argparse.Namespace) -> RunResult:
    from harness_gate.plan import PlanOptions, plan_spec

    lines: list[str] = []
    options = PlanOptions(args.spec, only_names(args.only), ConnectionFlags.from_argparse(args))
    result = plan_spec(options, os.environ, out=lines)
    for line in lines:
        print(line)
    return result
