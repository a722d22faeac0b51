"""The exit-code contract: the codes, their help text per command, and the one function that
decides a run's code from what happened (stdlib only: imported on every start)."""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from harness_gate.model import RunResult


class ExitCode(enum.IntEnum):
    SUCCESS = 0
    DEPLOYMENT_FAILED = 1
    USAGE = 2
    RESOLUTION = 3
    TIMEOUT = 4
    HARNESS_UNREACHABLE = 5
    INTERNAL = 70  # sysexits' EX_SOFTWARE: a bug in harness-gate, never a verdict on a deploy


def signal_exit_code(signum: int) -> int:
    """Shell convention for a process ended by signal N."""
    return 128 + signum


_MEANINGS = {
    ExitCode.SUCCESS: "every deployment succeeded (with --no-wait: every deployment started)",
    ExitCode.DEPLOYMENT_FAILED: "at least one deployment ended in a failed status",
    ExitCode.USAGE: "usage or spec error; nothing was started",
    ExitCode.RESOLUTION: "resolution or validation against Harness failed; nothing was started",
    ExitCode.TIMEOUT: "timed out: a deployment was still running at its deadline (none failed)",
    ExitCode.HARNESS_UNREACHABLE: (
        "could not talk to Harness (auth rejected, network or server errors past retries)"
    ),
    ExitCode.INTERNAL: "internal error: a bug in harness-gate (the report is still written)",
}

# The codes each command can end with; signals apply to every online command.
COMMAND_CODES: dict[str, tuple[ExitCode, ...]] = {
    "run": tuple(ExitCode),
    "wait": tuple(ExitCode),
    "demo": tuple(ExitCode),
    "plan": (
        ExitCode.SUCCESS,
        ExitCode.USAGE,
        ExitCode.RESOLUTION,
        ExitCode.HARNESS_UNREACHABLE,
        ExitCode.INTERNAL,
    ),
    "validate": (ExitCode.SUCCESS, ExitCode.USAGE, ExitCode.INTERNAL),
    "schema": (ExitCode.SUCCESS, ExitCode.USAGE, ExitCode.INTERNAL),
    "completion": (ExitCode.SUCCESS, ExitCode.USAGE, ExitCode.INTERNAL),
    "emulator": (ExitCode.SUCCESS, ExitCode.USAGE, ExitCode.INTERNAL),
}

# Where a command's code means something else than a run's.
_COMMAND_MEANINGS = {
    "plan": {
        ExitCode.SUCCESS: "every deployment resolved and passed the checks; nothing was started",
    },
    "validate": {
        ExitCode.SUCCESS: "the spec is valid",
        ExitCode.USAGE: "the spec has mistakes (each listed with file:line:key) or bad usage",
    },
    "schema": {ExitCode.SUCCESS: "the schema was printed"},
    "completion": {
        ExitCode.SUCCESS: "the completion code was printed",
        ExitCode.USAGE: "bad usage, or argcomplete is not installed",
    },
    "emulator": {
        ExitCode.SUCCESS: "served until SIGINT or SIGTERM",
        ExitCode.USAGE: "bad arguments, a bad fixture, or the port cannot be listened on",
        ExitCode.INTERNAL: "internal error: a bug in harness-gate",
    },
}

ENVIRONMENT_HELP = """\
environment:
  HARNESS_ENDPOINT      Harness base URL, e.g. https://app.harness.io/gateway
                        (a full FirstGen GraphQL URL ending in /api/graphql works too)
  HARNESS_ACCOUNT_ID    account id (read from the API key when unset)
  HARNESS_API_KEY       the API key, or
  HARNESS_API_KEY_FILE  a file holding it (the key is never taken from argv or the spec)
"""


def exit_codes_help(command: str = "run") -> str:
    """The exit-code table for one command's --help."""
    lines = ["exit codes:"]
    for code in COMMAND_CODES.get(command, tuple(ExitCode)):
        meaning = _COMMAND_MEANINGS.get(command, {}).get(code, _MEANINGS[code])
        lines.append(f"  {int(code):<4} {meaning}")
    if command in ("run", "wait", "demo", "plan"):
        lines.append("  128+N  interrupted by signal N (SIGINT 130, SIGTERM 143), after the report")
    return "\n".join(lines) + "\n"


def outcome_word(code: int) -> str:
    """The run's outcome in one word, for CI outputs and summaries."""
    words = {
        int(ExitCode.SUCCESS): "success",
        int(ExitCode.DEPLOYMENT_FAILED): "failure",
        int(ExitCode.TIMEOUT): "timeout",
    }
    return words.get(int(code), "error")


def exit_code(result: RunResult) -> int:
    """The documented exit code of a run, from its deployments' outcomes and run-level error.

    Order matters: a signal wins (the CI asked to stop); a bug is never mistaken for a
    verdict; a deployment that started and failed is the news a CI must act on; then the
    run-level error's own code; then errors, timeouts, success.
    """
    from harness_gate.model import Outcome

    if result.signum is not None:
        return signal_exit_code(result.signum)
    if result.internal_error:
        return ExitCode.INTERNAL
    outcomes = {d.outcome for d in result.deployments}
    if Outcome.FAILURE in outcomes:
        # Started and acted on: an execution `wait` skipped because another id was unknown
        # was not gated on.
        started = any(d.started and d.outcome is not Outcome.SKIPPED for d in result.deployments)
        return ExitCode.DEPLOYMENT_FAILED if started else ExitCode.RESOLUTION
    if result.error_code is not None:
        return result.error_code
    if Outcome.ERROR in outcomes or None in outcomes:
        return ExitCode.HARNESS_UNREACHABLE
    if Outcome.TIMEOUT in outcomes:
        return ExitCode.TIMEOUT
    return ExitCode.SUCCESS
