"""Subcommands: each parses its arguments into one options object and calls a library
function (run_spec, wait_for, plan_spec, validate_spec); the entry point decides the exit
code from the result it gets back."""

from __future__ import annotations

import argparse
from typing import Any

from harness_gate.exit_codes import ENVIRONMENT_HELP, exit_codes_help


def add_spec_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("spec", help="the YAML deployment spec ('-' reads it from stdin)")


def add_only_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--only",
        action="append",
        metavar="NAME",
        default=[],
        help="act on this deployment only; repeat it, or give a comma-separated list",
    )


def only_names(values: list[str]) -> list[str]:
    return [name.strip() for value in values for name in value.split(",") if name.strip()]


def annotate(parser: Any, command: str) -> None:
    """Attach the command's own exit codes and the environment to its --help."""
    parser.epilog = exit_codes_help(command) + "\n" + ENVIRONMENT_HELP
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
