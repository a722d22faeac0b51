"""CI-system integration: GitHub Actions outputs, step summary and annotations; GitLab sections
and dotenv. Everything takes the environment as a mapping so tests never touch os.environ.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Mapping
from typing import Optional, Protocol
from urllib.parse import quote

from harness_gate.ci_env import GITHUB, detect_ci
from harness_gate.durations import format_duration
from harness_gate.fileio import StrPath, write_report_text
from harness_gate.model import DeploymentResult, Outcome, RunResult
from harness_gate.redact import scrub
from harness_gate.report._common import (
    PIPELINE_LINK_NOTE,
    deployment_message,
    dumps_json,
    effective_outcome,
    link_note,
    one_line,
    overall_outcome,
    run_error_message,
)

__all__ = [
    "append_github_step_summary",
    "detect_ci",
    "github_annotations",
    "github_group_end",
    "github_group_start",
    "github_outputs",
    "github_step_summary_markdown",
    "gitlab_section_end",
    "gitlab_section_start",
    "overall_outcome",
    "publish_ci",
    "render_dotenv",
    "write_dotenv",
    "write_github_outputs",
]


class TextSink(Protocol):
    """Anything with write(str): sys.stdout, io.StringIO, a redacting console wrapper."""

    def write(self, text: str, /) -> object: ...


# GitLab rejects the whole dotenv artifact (and the upload fails) past its plan's limits:
# 20 variables on the oldest plans, 50 on gitlab.com Free; the file must stay under 5 KiB.
DOTENV_MAX_VARIABLES = 20
DOTENV_MAX_BYTES = 5120
_DOTENV_NAME_LIMIT = 200  # GitLab keys are at most 255 characters

_URL_SAFE = "-._~:/?#[]@!$&'*+,;=%"  # RFC 3986 characters that neither end a link nor a cell

_FAILED_WORDS = {
    Outcome.FAILURE: "failed",
    Outcome.TIMEOUT: "timed out",
    Outcome.ERROR: "error",
}


# --- GitHub Actions -------------------------------------------------------------------------


def github_group_start(title: str) -> str:
    return f"::group::{_escape_data(one_line(title, None))}"


def github_group_end() -> str:
    return "::endgroup::"


def github_annotations(result: RunResult) -> list[str]:
    """`::error` workflow commands for each failed, timed-out or errored deployment."""
    lines = []
    for deployment in result.deployments:
        outcome = effective_outcome(result, deployment)
        word = _FAILED_WORDS.get(outcome)
        if word is None:
            continue
        title = f"harness-gate: {one_line(deployment.name, 100)} {word}"
        message = deployment_message(result, deployment)
        if deployment.url:
            message += f"\nExecution: {one_line(deployment.url, None)}"
            note = link_note(deployment.url)
            if note:
                message += f" ({note})"
        lines.append(_workflow_command("error", message, title=title))
    if not lines and (result.error or result.exit_code != 0):
        # Nothing per deployment explains the failure: say it for the run.
        lines.append(
            _workflow_command(
                "error", run_error_message(result), title=f"harness-gate {result.command}"
            )
        )
    return lines


def github_step_summary_markdown(result: RunResult) -> str:
    """A Markdown heading and table of the deployments for $GITHUB_STEP_SUMMARY."""
    outcome = overall_outcome(result.exit_code)
    lines = [
        f"### harness-gate {_md(result.command)}: {outcome} (exit code {result.exit_code})",
        "",
    ]
    if result.spec_path:
        lines.append(f"Spec: {_md(result.spec_path)}")
    if result.interrupted_by:
        lines.append(f"Interrupted by {_md(result.interrupted_by)}.")
    if result.error:
        lines.append(f"Error: {_md(result.error)}")
    if result.no_wait:
        lines.append("Executions were started and not waited for (--no-wait).")
    if len(lines) > 2:
        lines.append("")
    if result.deployments:
        lines.append("| Deployment | Outcome | Status | Execution | Duration | Message |")
        lines.append("|---|---|---|---|---|---|")
        lines.extend(_summary_row(result, deployment) for deployment in result.deployments)
        if any(link_note(deployment.url) for deployment in result.deployments):
            lines.append("")
            lines.append(f"A pipeline's execution link: {_md(PIPELINE_LINK_NOTE)}.")
    else:
        lines.append("No deployment was reported.")
    return "\n".join(lines) + "\n"


def github_outputs(result: RunResult, junit_path: Optional[StrPath]) -> dict[str, str]:
    """The step outputs by name; execution-ids/-urls are JSON objects keyed by deployment."""
    started = [deployment for deployment in result.deployments if deployment.started]
    outputs = {
        "outcome": overall_outcome(result.exit_code),
        "exit-code": str(result.exit_code),
        "execution-ids": dumps_json({d.name: d.execution_id for d in started}),
        "execution-urls": dumps_json({d.name: d.url for d in started if d.url}),
    }
    if junit_path is not None and os.fspath(junit_path):
        outputs["junit-path"] = os.fspath(junit_path)
    return outputs


def write_github_outputs(
    result: RunResult, environ: Mapping[str, str], junit_path: Optional[StrPath]
) -> None:
    """Append the outputs to $GITHUB_OUTPUT in heredoc form; nothing when it is unset."""
    path = environ.get("GITHUB_OUTPUT")
    if not path:
        return
    text = "".join(
        _heredoc(name, value) for name, value in github_outputs(result, junit_path).items()
    )
    _append(path, text)


def append_github_step_summary(result: RunResult, environ: Mapping[str, str]) -> None:
    """Append the Markdown summary to $GITHUB_STEP_SUMMARY; nothing when it is unset."""
    path = environ.get("GITHUB_STEP_SUMMARY")
    if not path:
        return
    _append(path, github_step_summary_markdown(result), separate=True)


def _summary_row(result: RunResult, deployment: DeploymentResult) -> str:
    cells = [
        _md(deployment.name),
        effective_outcome(result, deployment).value,
        _md(deployment.status or "-"),
        _execution_cell(deployment),
        _duration_cell(deployment),
        _md(deployment_message(result, deployment)),
    ]
    return "| " + " | ".join(cells) + " |"


def _execution_cell(deployment: DeploymentResult) -> str:
    label = _md(deployment.execution_id) if deployment.execution_id else "execution"
    url = one_line(deployment.url, None)
    if url.startswith(("https://", "http://")):
        # Percent-encode what would end the link or the table cell: ( ) < > | space quotes.
        return f"[{label}]({quote(url, safe=_URL_SAFE)})"
    return label if deployment.execution_id else "not started"


def _duration_cell(deployment: DeploymentResult) -> str:
    begin = deployment.gate_started_at or deployment.started_at
    end = deployment.gate_ended_at or deployment.ended_at
    if begin is None or end is None:
        return "-"
    return format_duration(deployment.duration)


# Characters Markdown (GFM) would read as markup; `|` would end the table cell.
_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|~&#!])")


def _md(text: object) -> str:
    """One Markdown table cell: one line, markup characters backslash-escaped."""
    return _MD_SPECIAL.sub(r"\\\1", one_line(text))


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def _workflow_command(command: str, message: str, **properties: str) -> str:
    props = ",".join(f"{key}={_escape_property(value)}" for key, value in properties.items())
    return f"::{command}{' ' + props if props else ''}::{_escape_data(message)}"


def _heredoc(name: str, value: str) -> str:
    # The runner reads lines up to one equal to the delimiter, so it must not occur in value.
    delimiter = f"ghadelimiter_{os.urandom(16).hex()}"
    while delimiter in value:
        delimiter = f"ghadelimiter_{os.urandom(16).hex()}"
    return f"{name}<<{delimiter}\n{value}\n{delimiter}\n"


def _append(path: str, text: str, *, separate: bool = False) -> None:
    """Append text in one write, on a line of its own even if the file lacks a final newline."""
    data = scrub(text).encode("utf-8")
    with open(path, "a+b") as handle:
        size = handle.seek(0, os.SEEK_END)
        if size:
            handle.seek(size - 1)
            if handle.read(1) != b"\n":
                data = b"\n" + data
            if separate:
                data = b"\n" + data  # a blank line, so Markdown does not glue blocks together
        handle.write(data)


# --- GitLab CI ------------------------------------------------------------------------------

_SECTION_NAME = re.compile(r"[^A-Za-z0-9_.-]")


def gitlab_section_start(
    name: str, title: str, collapsed: bool = True, *, timestamp: Optional[float] = None
) -> str:
    """Collapsible job-log section header; print it, then the content, then the end marker."""
    options = "[collapsed=true]" if collapsed else ""
    return (
        f"\x1b[0Ksection_start:{_unix(timestamp)}:{_section_name(name)}{options}"
        f"\r\x1b[0K{one_line(title, None)}"
    )


def gitlab_section_end(name: str, *, timestamp: Optional[float] = None) -> str:
    return f"\x1b[0Ksection_end:{_unix(timestamp)}:{_section_name(name)}\r\x1b[0K"


def _section_name(name: str) -> str:
    return _SECTION_NAME.sub("_", name) or "section"


def _unix(timestamp: Optional[float]) -> int:
    return int(time.time() if timestamp is None else timestamp)


def render_dotenv(
    result: RunResult, *, max_variables: int = DOTENV_MAX_VARIABLES
) -> tuple[str, list[str]]:
    """The dotenv text and warnings about deployments or values left out to satisfy GitLab."""
    lines = [
        f"HARNESS_GATE_OUTCOME={overall_outcome(result.exit_code)}",
        f"HARNESS_GATE_EXIT_CODE={result.exit_code}",
    ]
    size = sum(len(line.encode("utf-8")) + 1 for line in lines)
    warnings: list[str] = []
    used: set[str] = set()
    left_out: list[str] = []
    for deployment in result.deployments:
        if not deployment.started:
            continue
        if left_out:
            left_out.append(deployment.name)  # keep the file a prefix of the deployment order
            continue
        suffix = _dotenv_suffix(deployment.name, used)
        entries = []
        for key, value in (
            (f"HARNESS_EXECUTION_ID_{suffix}", deployment.execution_id),
            (f"HARNESS_EXECUTION_URL_{suffix}", deployment.url),
        ):
            if value is None:
                continue
            if not _dotenv_safe(value):
                warnings.append(f"dotenv: {key} left out: its value is not a single line")
                continue
            entries.append(f"{key}={value}")
        extra = sum(len(entry.encode("utf-8")) + 1 for entry in entries)
        if len(lines) + len(entries) > max_variables or size + extra >= DOTENV_MAX_BYTES:
            left_out.append(deployment.name)
            continue
        used.add(suffix)
        lines.extend(entries)
        size += extra
    if left_out:
        warnings.append(
            f"dotenv: execution ids of {len(left_out)} deployment(s) left out to stay within "
            f"GitLab's limits ({max_variables} variables, {DOTENV_MAX_BYTES} bytes): "
            + ", ".join(one_line(name, 60) for name in left_out)
        )
    return "\n".join(lines) + "\n", warnings


def write_dotenv(
    result: RunResult, path: StrPath, *, max_variables: int = DOTENV_MAX_VARIABLES
) -> list[str]:
    """Write the GitLab dotenv report atomically; returns warnings (see render_dotenv)."""
    text, warnings = render_dotenv(result, max_variables=max_variables)
    write_report_text(path, text)
    return warnings


def _dotenv_suffix(name: str, used: set[str]) -> str:
    base = re.sub(r"[^A-Z0-9]", "_", name.upper())[:_DOTENV_NAME_LIMIT] or "_"
    suffix, number = base, 2
    while suffix in used:  # "api-prod" and "api.prod" must not overwrite each other
        suffix, number = f"{base}_{number}", number + 1
    return suffix


def _dotenv_safe(value: str) -> bool:
    # GitLab reads one KEY=VALUE per line and strips the value: no line breaks, no controls.
    return value == value.strip() and not any(ord(ch) < 0x20 or ch == "\x7f" for ch in value)


# --- dispatch -------------------------------------------------------------------------------


def publish_ci(
    result: RunResult,
    environ: Mapping[str, str],
    junit_path: Optional[StrPath],
    stream: TextSink,
) -> None:
    """Do what applies for the detected CI system; problems become one warning line each.

    GitHub Actions: annotations printed to stream, step summary and step outputs appended.
    GitLab CI: nothing here; the dotenv report is written by write_reports(dotenv_path=...).
    """
    if detect_ci(environ) != GITHUB:
        return
    try:
        for line in github_annotations(result):
            stream.write(line + "\n")
    except Exception as exc:
        _warn(stream, f"could not print GitHub annotations: {exc}")
    try:
        append_github_step_summary(result, environ)
    except Exception as exc:
        _warn(stream, f"could not append to GITHUB_STEP_SUMMARY: {exc}")
    try:
        write_github_outputs(result, environ, junit_path)
    except Exception as exc:
        _warn(stream, f"could not append to GITHUB_OUTPUT: {exc}")


def _warn(stream: TextSink, message: str) -> None:
    # A workflow warning command: shown as an annotation and still one readable log line.
    try:
        stream.write(_workflow_command("warning", f"harness-gate: {one_line(message, 500)}") + "\n")
    except Exception:
        pass  # a broken stream must not turn a report problem into a crash
