"""harness-gate validate SPEC: offline check of the spec, no network."""

from __future__ import annotations

import argparse
import os
from typing import Any

from harness_gate.commands import add_only_argument, add_spec_argument, annotate, only_names
from harness_gate.model import RunResult


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "validate",
        help="check a spec offline (no network)",
        description="Check a deployment spec offline: syntax, keys, types, needs, interpolation.",
    )
    add_spec_argument(parser)
    add_only_argument(parser)
    annotate(parser, "validate")
    parser.set_defaults(func=main)


def main(args: argparse.Namespace) -> RunResult:
    from harness_gate.validate import validate_spec

    lines: list[str] = []
    result = validate_spec(args.spec, only_names(args.only), os.environ, out=lines)
    for line in lines:
        print(line)
    return result
