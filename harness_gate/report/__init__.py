"""Reports of a run: JUnit XML, JSON summary, GitLab dotenv, and CI-system integration.

Importing this package stays cheap (no junit_xml): the CLI imports it on every start.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Callable, Optional

if TYPE_CHECKING:  # keeps `import harness_gate.report` free of work at CLI start
    from harness_gate.fileio import StrPath
    from harness_gate.model import RunResult

__all__ = ["write_reports"]


def write_reports(
    result: RunResult,
    junit_path: Optional[StrPath],
    json_path: Optional[StrPath] = None,
    dotenv_path: Optional[StrPath] = None,
) -> list[str]:
    """Write every requested report atomically; return warnings instead of raising.

    A report that cannot be written must not mask the gate's exit code, so each failure
    (including a bug while rendering) becomes one warning line for the caller to print.
    """
    from harness_gate.report import ci, junit, summary

    jobs: list[tuple[str, Optional[StrPath], Callable[[RunResult, StrPath], Optional[list[str]]]]]
    jobs = [
        ("JUnit report", junit_path, junit.write_junit),
        ("JSON summary", json_path, summary.write_json),
        ("dotenv report", dotenv_path, ci.write_dotenv),
    ]
    warnings: list[str] = []
    for label, path, write in jobs:
        # None or "" (e.g. `--junit ""`) means the report was not asked for.
        if path is None or os.fspath(path) == "":
            continue
        try:
            warnings.extend(write(result, path) or [])
        except Exception as exc:
            warnings.append(f"could not write {label} {os.fspath(path)}: {_reason(exc)}")
    return warnings


def _reason(exc: Exception) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
