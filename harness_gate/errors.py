"""Exit codes and the exception hierarchy the entry point turns into one line and a code."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from typing import Optional


class ExitCode(enum.IntEnum):
    SUCCESS = 0
    DEPLOYMENT_FAILED = 1
    USAGE = 2
    RESOLUTION = 3
    TIMEOUT = 4
    HARNESS_UNREACHABLE = 5


def signal_exit_code(signum: int) -> int:
    """Shell convention for a process ended by signal N."""
    return 128 + signum


class GateError(Exception):
    """Base of every error the gate reports as one clear line (never a traceback)."""

    exit_code: int = ExitCode.USAGE

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class UsageError(GateError):
    """Bad command line or settings; nothing was started."""

    exit_code = ExitCode.USAGE


class SpecError(GateError):
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


class ResolutionError(GateError):
    """Names or inputs that Harness (or the pre-start checks) rejected; nothing was started."""

    exit_code = ExitCode.RESOLUTION


class HarnessError(GateError):
    """Could not talk to Harness: auth rejected, network or server errors past retries."""

    exit_code = ExitCode.HARNESS_UNREACHABLE


class AuthError(HarnessError):
    """The API key or account id was rejected (HTTP 401/403)."""


class GraphQLError(GateError):
    """Harness answered with GraphQL errors for a request that cannot succeed on a retry."""

    exit_code = ExitCode.RESOLUTION

    def __init__(self, message: str, messages: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.messages = list(messages) or [message]


class Interrupted(GateError):
    """SIGINT/SIGTERM arrived; the report is written and the exit code is 128+N."""

    def __init__(self, signum: int, name: str) -> None:
        super().__init__(f"interrupted by {name}")
        self.signum = signum
        self.exit_code = signal_exit_code(signum)
