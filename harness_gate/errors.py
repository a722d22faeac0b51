"""The exception hierarchy: which errors end the whole run and which concern one request.

`FatalError` ends the run (bad usage, a spec mistake, credentials Harness rejects, an endpoint
that never answered before anything started). `RequestError` concerns the deployments of one
request (a refused start, a read that failed past its retries): the gate loop records it on
those deployments and carries on. The exit code each error stands for lives in exit_codes.py;
what the user sees is decided in error_handler.py.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Optional

from harness_gate.exit_codes import ExitCode


class GateError(Exception):
    """Base of every error the gate reports as one clear line (never a traceback)."""

    exit_code: int = ExitCode.USAGE

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class FatalError(GateError):
    """Nothing more can be done in this run."""


class UsageError(FatalError):
    """Bad command line or settings; nothing was started."""

    exit_code = ExitCode.USAGE


class SpecError(FatalError):
    """A mistake in the deployment spec, located by file, line and key."""

    exit_code = ExitCode.USAGE

    def __init__(
        self,
        message: str,
        *,
        file: str,
        line: Optional[int] = None,
        key: Optional[str] = None,
        deployment_names: Optional[Sequence[str]] = None,
    ) -> None:
        where = file if line is None else f"{file}:{line}"
        text = f"{where}: {message}" if key is None else f"{where}: {key}: {message}"
        super().__init__(text)
        self.file = file
        self.line = line
        self.key = key
        self.detail = message
        # Names of the deployments the spec declared, when it parsed far enough to know them:
        # the report then holds one testcase per deployment instead of one for the file.
        self.deployment_names: list[str] = list(deployment_names or [])


class HarnessUnavailable(FatalError):
    """Harness cannot be used at all: credentials rejected, or the endpoint never answered."""

    exit_code = ExitCode.HARNESS_UNREACHABLE


class AuthError(HarnessUnavailable):
    """The API key or account id was rejected (HTTP 401/403)."""


class RequestError(GateError):
    """One request failed; the deployments it was for carry the error, the run goes on."""

    exit_code = ExitCode.HARNESS_UNREACHABLE


class HarnessError(RequestError):
    """Could not get an answer: network or server errors past the retries."""


class RefusedError(RequestError):
    """Harness answered with errors for a request that cannot succeed when sent again."""

    exit_code = ExitCode.RESOLUTION

    def __init__(self, message: str, messages: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.messages = list(messages) or [message]
