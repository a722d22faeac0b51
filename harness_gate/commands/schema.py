"""harness-gate schema: the JSON Schema of the deployment spec, for editors and linters."""

from __future__ import annotations

import argparse
import json
from typing import Any

from harness_gate.commands import annotate
from harness_gate.model import RunResult


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "schema",
        help="print the JSON Schema of the deployment spec",
        description=(
            "Print the JSON Schema of deploy.yaml, generated from the same table the loader "
            "uses. Point an editor at it with a first line "
            "`# yaml-language-server: $schema=<path or URL of the schema>`."
        ),
    )
    annotate(parser, "schema")
    parser.set_defaults(func=main)


def main(args: argparse.Namespace) -> RunResult:
    from harness_gate.spec import json_schema

    print(json.dumps(json_schema(), indent=2, sort_keys=False))
    return RunResult(command="schema", spec_path=None, deployments=[])
