"""The entry point: parse arguments, run the subcommand, return the exit code.

Every command hands back a RunResult; `exit_codes.exit_code` turns it into the code and
`error_handler.record` turns any exception into a result first, so no command ends in a
traceback. Subcommand modules import what they need inside their main(), so `--version`
and `validate` stay fast and never load requests, junit-xml or the emulator.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from typing import Any, Optional

from harness_gate import __version__, error_handler
from harness_gate.console import Console
from harness_gate.exit_codes import ENVIRONMENT_HELP, ExitCode, exit_code, exit_codes_help
from harness_gate.model import RunResult

COMMANDS = ("run", "validate", "plan", "wait", "demo", "emulator", "schema", "completion")


class _StrictParser(argparse.ArgumentParser):
    """A subcommand parser that takes flags only as written in full."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("allow_abbrev", False)
        super().__init__(*args, **kwargs)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="harness-gate",
        description="Use Harness CD deployments as a CI gate: start, wait, report, exit.",
        epilog=exit_codes_help("run") + "\n" + ENVIRONMENT_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        allow_abbrev=False,
    )
    parser.add_argument("--version", action="version", version=f"harness-gate {__version__}")
    # No abbreviated flags: a CI script that says --abort must not silently mean something.
    subparsers = parser.add_subparsers(
        dest="command", metavar="COMMAND", parser_class=_StrictParser
    )
    for name in COMMANDS:
        module = importlib.import_module(f"harness_gate.commands.{name}")
        module.register(subparsers)
    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = build_parser()
    _complete(parser)
    args = parser.parse_args(_with_wait_ids_protected(parser, argv))
    if not getattr(args, "command", None):
        parser.print_help(sys.stderr)
        return ExitCode.USAGE
    result = RunResult(command=args.command, spec_path=None, deployments=[])
    try:
        result = args.func(args)
    except BaseException as exc:
        error_handler.record(result, exc, Console(verbose=getattr(args, "verbose", False)))
    return exit_code(result)


def _with_wait_ids_protected(
    parser: argparse.ArgumentParser, argv: Optional[Sequence[str]]
) -> list[str]:
    """`wait` takes execution ids that may begin with '-' (base64url)."""
    tokens = list(sys.argv[1:] if argv is None else argv)
    if not tokens or tokens[0] != "wait":
        return tokens
    from harness_gate.commands.wait import ids_after_double_dash

    for action in parser._actions:  # the subcommands' action has no public accessor
        if isinstance(action, argparse._SubParsersAction):
            return ["wait", *ids_after_double_dash(action.choices["wait"], tokens[1:])]
    return tokens


def _complete(parser: argparse.ArgumentParser) -> None:
    """Answer a shell's completion request, when argcomplete is installed and asked."""
    import os

    if "_ARGCOMPLETE" not in os.environ:
        return
    try:
        import argcomplete
    except ImportError:
        return
    argcomplete.autocomplete(parser)
