"""Pieces every online subcommand shares: flags, settings, the client, and the final reports.

Nothing heavy is imported at module level: the parser is built for every invocation.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Optional, TextIO, cast

from harness_gate.durations import parse_duration

if TYPE_CHECKING:
    from harness_gate.client import HarnessClient
    from harness_gate.console import Console
    from harness_gate.model import RunResult
    from harness_gate.settings import Settings
    from harness_gate.stopper import Stopper

DEFAULT_JUNIT = "harness-gate-junit.xml"


def duration_arg(text: str) -> float:
    try:
        value = parse_duration(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    if value <= 0:
        raise argparse.ArgumentTypeError("must be more than zero")
    return value


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def add_only_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--only",
        action="extend",
        nargs="+",
        metavar="NAME",
        default=[],
        help="act on these deployments only (repeatable)",
    )


def add_connection_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("connection")
    group.add_argument("--endpoint", help="GraphQL URL (overrides HARNESS_ENDPOINT)")
    group.add_argument("--account-id", help="account id (overrides HARNESS_ACCOUNT_ID)")
    group.add_argument("--ca-bundle", help="CA bundle for TLS (REQUESTS_CA_BUNDLE is honoured)")
    group.add_argument(
        "--allow-http",
        action="store_true",
        help="allow plain http:// to a host that is not loopback (the key travels unencrypted)",
    )
    group.add_argument(
        "--max-rpm",
        type=positive_int,
        help="most GraphQL requests in any rolling minute, retries included (default 10)",
    )
    group.add_argument(
        "--request-timeout",
        type=duration_arg,
        metavar="DUR",
        help="longest wait for one HTTP answer (default 30s)",
    )
    group.add_argument(
        "--verbose",
        "-v",
        action="store_true",
        help="log every HTTP request and response (the key is redacted)",
    )


def add_report_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("reports")
    group.add_argument(
        "--junit",
        default=DEFAULT_JUNIT,
        metavar="PATH",
        help=f"JUnit XML report, written on every path (default {DEFAULT_JUNIT})",
    )
    group.add_argument("--json", metavar="PATH", help="machine-readable JSON summary")
    group.add_argument(
        "--dotenv", metavar="PATH", help="KEY=VALUE file of execution ids and URLs (GitLab dotenv)"
    )


def add_wait_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--timeout",
        type=duration_arg,
        metavar="DUR",
        help="deadline for the whole run; what is still running then is reported timed out",
    )
    parser.add_argument(
        "--poll-interval",
        type=duration_arg,
        metavar="DUR",
        help="longest wait between two status reads (default 10s)",
    )
    parser.add_argument(
        "--abort-on-exit",
        action="store_true",
        help="abort the executions the gate started when it times out or is interrupted",
    )


def settings_from(
    args: argparse.Namespace, environ: Mapping[str, str], poll_interval: Optional[float] = None
) -> Settings:
    from harness_gate.settings import build_settings

    return build_settings(
        environ,
        endpoint=args.endpoint,
        account_id=args.account_id,
        ca_bundle=args.ca_bundle,
        allow_http=args.allow_http,
        request_timeout=args.request_timeout,
        max_rpm=args.max_rpm,
        poll_interval=poll_interval,
        verbose=args.verbose,
    )


def make_client(settings: Settings, console: Console, stopper: Stopper) -> HarnessClient:
    from harness_gate.budget import RequestBudget
    from harness_gate.client import HarnessClient

    budget = RequestBudget(settings.max_rpm, wait=stopper.wait)
    # Retry no slower than the gate polls: a fast --poll-interval means a fast-moving setup.
    return HarnessClient(
        settings, console, budget, stopper, retry_base=min(1.0, settings.poll_interval)
    )


@contextmanager
def section(console: Console, environ: Mapping[str, str], name: str, title: str) -> Iterator[None]:
    """A collapsible log section in GitHub Actions and GitLab CI; a plain line elsewhere."""
    from harness_gate.report import ci

    if environ.get("GITHUB_ACTIONS") == "true":
        console.raw(ci.github_group_start(title))
    elif environ.get("GITLAB_CI") == "true":
        console.raw(ci.gitlab_section_start(name, title))
    else:
        console.line(title)
    try:
        yield
    finally:
        if environ.get("GITHUB_ACTIONS") == "true":
            console.raw(ci.github_group_end())
        elif environ.get("GITLAB_CI") == "true":
            console.raw(ci.gitlab_section_end(name))


def finish(
    result: RunResult, args: argparse.Namespace, environ: Mapping[str, str], console: Console
) -> int:
    """Write every report, publish to the CI system, print the summary; returns the exit code."""
    from harness_gate.model import utcnow
    from harness_gate.report import write_reports
    from harness_gate.report.ci import publish_ci

    result.finished_at = utcnow()
    redact_result(result, console.redact)
    for warning in write_reports(
        result, args.junit, getattr(args, "json", None), getattr(args, "dotenv", None)
    ):
        console.line(f"warning: {warning}")
    print_summary(result, console)
    if args.junit:
        console.line(f"JUnit report: {os.path.abspath(args.junit)}")
    try:
        publish_ci(result, environ, args.junit, cast(TextIO, _RedactingStream(console)))
    except Exception as exc:
        console.line(f"warning: could not publish to the CI system: {exc.__class__.__name__}")
    return result.exit_code


def internal_error(result: RunResult, exc: BaseException, console: Console) -> int:
    """A bug in the gate: say so in one line (the traceback only with --verbose), report it."""
    import traceback

    from harness_gate.errors import ExitCode
    from harness_gate.model import Outcome

    text = f"internal error in harness-gate: {exc.__class__.__name__}: {exc} (please report it)"
    console.line(text)
    if console.verbose:
        console.raw("".join(traceback.format_exception(type(exc), exc, exc.__traceback__)))
    result.error = text
    result.settle_unfinished(Outcome.ERROR, f"outcome unknown: {text}")
    return int(ExitCode.HARNESS_UNREACHABLE)


def redact_result(result: RunResult, redact: Callable[[str], str]) -> None:
    """Scrub every text a report carries: Harness may echo a request back in an error."""
    if result.error:
        result.error = redact(result.error)
    for r in result.deployments:
        r.message = redact(r.message)
        r.details = [redact(d) for d in r.details]
        for change in r.timeline:
            change.note = redact(change.note)
        for name in ("url", "warning", "abort_result"):
            value = getattr(r, name)
            if isinstance(value, str):
                setattr(r, name, redact(value))


def print_summary(result: RunResult, console: Console) -> None:
    from harness_gate.durations import format_duration

    if not result.deployments:
        return
    width = max(len(r.name) for r in result.deployments)
    console.raw("")
    console.raw("harness-gate summary:")
    for r in result.deployments:
        outcome = (r.outcome.value if r.outcome else "unknown").upper()
        status = r.status or "-"
        line = f"  {r.name:<{width}}  {outcome:<8} {status:<9} {format_duration(r.duration):>7}"
        if r.url:
            line += f"  {r.url}"
        console.raw(line)
        if r.message and r.outcome and r.outcome.value != "success":
            console.raw(f"  {'':<{width}}  {r.message}")
    console.raw(f"exit code {result.exit_code}")


class _RedactingStream:
    """A text stream for CI workflow commands that goes through the console's redaction."""

    def __init__(self, console: Console) -> None:
        self.console = console

    def write(self, text: str) -> int:
        for line in text.splitlines():
            self.console.raw(line)
        return len(text)

    def flush(self) -> None:
        sys.stderr.flush()


def annotate(parser: Any) -> None:
    """Attach the exit-code table to a subcommand's --help."""
    from harness_gate.cli import EXIT_CODES_HELP

    parser.epilog = EXIT_CODES_HELP
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
