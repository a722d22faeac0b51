"""harness-gate validate SPEC: offline check of the spec, no network."""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from harness_gate.commands import common


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "validate",
        help="check a spec offline (no network)",
        description="Check a deployment spec offline: syntax, keys, types, needs, interpolation.",
    )
    parser.add_argument("spec", help="the YAML deployment spec")
    common.add_only_argument(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from harness_gate.errors import GateError
    from harness_gate.spec import load_spec, select_deployments

    try:
        spec = select_deployments(load_spec(args.spec, os.environ), args.only or [])
    except GateError as exc:
        print(f"harness-gate: {exc}", file=sys.stderr)
        return exc.exit_code
    mode = "in parallel" if spec.parallel else "in listed order"
    print(f"{args.spec}: OK, {len(spec.deployments)} deployment(s), {mode}")
    for d in spec.deployments:
        needs = f" after {', '.join(d.needs)}" if d.needs else ""
        print(f"  {d.name}: {d.entity_type} {d.entity_name!r} in {d.application!r}{needs}")
    return 0
