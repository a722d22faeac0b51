"""The entry point: parse arguments, dispatch to a subcommand, map every error to an exit code.

Subcommand modules import what they need inside run(), so `--version` and `validate` stay
fast and never load requests, junit-xml or the emulator.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from typing import Any, Optional

from harness_gate import __version__
from harness_gate.errors import ExitCode, GateError

COMMANDS = ("run", "validate", "plan", "wait", "demo", "emulator")

EXIT_CODES_HELP = """\
exit codes:
  0    every deployment succeeded (with --no-wait: every deployment started)
  1    at least one deployment ended in a failed status
  2    usage or spec error; nothing was started
  3    resolution or validation against Harness failed; nothing was started
  4    timed out: a deployment was still running at its deadline (and none failed)
  5    could not talk to Harness (auth rejected, network or server errors past retries)
  128+N  interrupted by signal N (SIGINT 130, SIGTERM 143), after writing the report

environment:
  HARNESS_ENDPOINT      GraphQL URL (default https://app.harness.io/gateway/api/graphql)
  HARNESS_ACCOUNT_ID    account id (read from a FirstGen key when unset)
  HARNESS_API_KEY       the API key, or
  HARNESS_API_KEY_FILE  a file holding it (the key is never taken from argv or the spec)
"""


class _StrictParser(argparse.ArgumentParser):
    """A subcommand parser that takes flags only as written in full."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("allow_abbrev", False)
        super().__init__(*args, **kwargs)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="harness-gate",
        description="Use Harness CD deployments as a CI gate: start, wait, report, exit.",
        epilog=EXIT_CODES_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        allow_abbrev=False,
    )
    parser.add_argument("--version", action="version", version=f"harness-gate {__version__}")
    # No abbreviated flags: a CI script that says --abort must not silently mean something.
    subparsers = parser.add_subparsers(
        dest="command",
        metavar="COMMAND",
        parser_class=_StrictParser,
    )
    for name in COMMANDS:
        module = importlib.import_module(f"harness_gate.commands.{name}")
        module.register(subparsers)
    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help(sys.stderr)
        return ExitCode.USAGE
    try:
        code: int = args.func(args)
        return code
    except GateError as exc:
        # Commands write their reports themselves; this is the last line of defence.
        print(f"harness-gate: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("harness-gate: interrupted", file=sys.stderr)
        return 130
