"""harness-gate wait EXECUTION_ID...: gate on executions that were started elsewhere."""

from __future__ import annotations

import argparse
import os
from typing import Any

from harness_gate.commands import annotate
from harness_gate.errors import UsageError
from harness_gate.model import FIRSTGEN, NEXTGEN, RunResult
from harness_gate.settings import ConnectionFlags, ReportSettings, WaitSettings


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "wait",
        help="wait for executions that are already running",
        description=(
            "Attach to executions already started (a restarted CI agent, a cron follow-up) and "
            "gate on them like `run`. Every id must be known to Harness before waiting starts."
        ),
    )
    parser.add_argument(
        "execution_ids",
        nargs="+",
        metavar="EXECUTION_ID",
        help="execution ids as Harness shows them (FirstGen execution id, NextGen planExecutionId)",
    )
    parser.add_argument(
        "--platform",
        choices=(FIRSTGEN, NEXTGEN),
        default=FIRSTGEN,
        help="the Harness generation the executions run on (default firstgen)",
    )
    parser.add_argument("--org", help="NextGen organisation identifier")
    parser.add_argument("--project", help="NextGen project identifier")
    WaitSettings.register_argparse_arguments(parser)
    ReportSettings.register_argparse_arguments(parser)
    ConnectionFlags.register_argparse_arguments(parser)
    annotate(parser, "wait")
    parser.set_defaults(func=main)


def ids_after_double_dash(parser: argparse.ArgumentParser, argv: list[str]) -> list[str]:
    """Harness ids are base64url and may begin with '-': every token that is neither one of
    wait's flags nor a flag's value is an execution id, put after '--' so argparse takes it.
    A token that starts with '--' stays a flag, so a misspelt flag is still refused."""
    takes_value = {
        option: action.nargs != 0
        for action in parser._actions  # argparse keeps no public list of its flags
        for option in action.option_strings
    }
    flags: list[str] = []
    ids: list[str] = []
    tokens = iter(argv)
    for token in tokens:
        if token == "--":
            ids.extend(tokens)
            break
        name = token.split("=", 1)[0]
        if name not in takes_value and not token.startswith("--"):
            ids.append(token)
            continue
        flags.append(token)
        if takes_value.get(name) and "=" not in token:
            value = next(tokens, None)
            if value is not None:
                flags.append(value)
    return [*flags, "--", *ids] if ids else flags


def main(args: argparse.Namespace) -> RunResult:
    from harness_gate.wait import WaitOptions, wait_for

    scope: tuple[str, ...] = ()
    if args.platform == NEXTGEN:
        if not (args.org and args.project):
            raise UsageError("wait --platform nextgen needs --org and --project")
        scope = (args.org, args.project)
    elif args.org or args.project:
        raise UsageError("--org and --project are for --platform nextgen")
    options = WaitOptions(
        execution_ids=list(args.execution_ids),
        platform=args.platform,
        scope=scope,
        wait=WaitSettings.from_argparse(args),
        reports=ReportSettings.from_argparse(args),
        connection=ConnectionFlags.from_argparse(args),
    )
    return wait_for(options, os.environ)
