"""The skeleton every gated command shares (run, wait, demo): signals routed to a stop
request, every error turned into a result, the exit code decided, the reports written.

Whatever happens inside `body`, the reports are written and the exit code is the documented
one: a report that cannot be written is one warning line, never a lost verdict.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Callable, TextIO, cast

from harness_gate import error_handler
from harness_gate.ci_env import GITHUB, GITLAB, detect_ci
from harness_gate.console import Console
from harness_gate.durations import format_duration
from harness_gate.exit_codes import exit_code
from harness_gate.model import RunResult, utcnow
from harness_gate.report._common import one_line
from harness_gate.settings import ReportSettings
from harness_gate.stopper import Stopper

Body = Callable[[RunResult, Stopper], None]


def gated(
    result: RunResult,
    reports: ReportSettings,
    environ: Mapping[str, str],
    console: Console,
    body: Body,
) -> RunResult:
    stopper = Stopper()
    restore = stopper.install()
    try:
        try:
            body(result, stopper)
            if stopper.signum is not None:
                result.signum = stopper.signum
                result.interrupted_by = stopper.signame
        except BaseException as exc:
            error_handler.record(result, exc, console, stopper)
        result.exit_code = exit_code(result)
        # Handlers stay in place while the reports are written: a second signal is ignored
        # rather than killing the gate before its report exists.
        publish(result, reports, environ, console)
    finally:
        restore()
    return result


def publish(
    result: RunResult, reports: ReportSettings, environ: Mapping[str, str], console: Console
) -> None:
    """Write every report, publish to the CI system, print the summary."""
    from harness_gate.report import write_reports
    from harness_gate.report.ci import publish_ci

    result.finished_at = utcnow()
    json_path = "-" if reports.output == "json" else reports.json
    for warning in write_reports(result, reports.junit, json_path, reports.dotenv):
        console.line(f"warning: {warning}")
    print_summary(result, console)
    if reports.junit:
        console.line(f"JUnit report: {os.path.abspath(reports.junit)}")
    try:
        publish_ci(result, environ, reports.junit, cast(TextIO, _ConsoleStream(console)))
    except Exception as exc:
        console.line(f"warning: could not publish to the CI system: {exc.__class__.__name__}")


@contextmanager
def section(console: Console, environ: Mapping[str, str], name: str, title: str) -> Iterator[None]:
    """A collapsible log section in GitHub Actions and GitLab CI; a plain line elsewhere."""
    from harness_gate.report import ci

    system = detect_ci(environ)
    if system == GITHUB:
        console.raw(ci.github_group_start(title))
    elif system == GITLAB:
        console.raw(ci.gitlab_section_start(name, title))
    else:
        console.line(title)
    try:
        yield
    finally:
        if system == GITHUB:
            console.raw(ci.github_group_end())
        elif system == GITLAB:
            console.raw(ci.gitlab_section_end(name))


def print_summary(result: RunResult, console: Console) -> None:
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
            line += f"  {one_line(r.url, None)}"
        console.raw(line)
        if r.message and r.outcome and r.outcome.value != "success":
            console.raw(f"  {'':<{width}}  {one_line(r.message, None)}")
    console.raw(f"exit code {result.exit_code}")


class _ConsoleStream:
    """A text stream for CI workflow commands that goes through the console (and its scrub)."""

    def __init__(self, console: Console) -> None:
        self.console = console

    def write(self, text: str) -> int:
        for line in text.splitlines():
            self.console.raw(line)
        return len(text)

    def flush(self) -> None:
        sys.stderr.flush()
