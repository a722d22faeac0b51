"""Settings objects, each owning its command-line flags (`register_argparse_arguments`) and
built from parsed flags plus the environment (`from_argparse`), as twine's settings do.

Flags win over the environment; the API key only ever comes from the environment or a file.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import dataclasses
import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional, Union
from urllib.parse import urlsplit

from harness_gate.defaults import (
    DEFAULT_CONNECT_GIVE_UP,
    DEFAULT_ENDPOINT,
    DEFAULT_JUNIT,
    DEFAULT_MAX_RPM,
    DEFAULT_POLL_INTERVAL,
    DEFAULT_REQUEST_TIMEOUT,
    DEFAULT_TIMEOUT,
)
from harness_gate.durations import parse_duration
from harness_gate.errors import UsageError

GRAPHQL_SUFFIX = "/api/graphql"


class Secret:
    """Holds the API key; every text form of it is redacted."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('***')"

    __str__ = __repr__

    def __bool__(self) -> bool:
        return bool(self._value)


# ---- argument types -----------------------------------------------------------------------


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


# ---- connection ---------------------------------------------------------------------------


@dataclass
class ConnectionSettings:
    endpoint: str  # as given: the Harness base URL, or a full FirstGen GraphQL URL
    account_id: str
    api_key: Secret = field(repr=False)
    verify: Union[bool, str] = True  # True, or a CA bundle path
    request_timeout: float = DEFAULT_REQUEST_TIMEOUT
    max_rpm: int = DEFAULT_MAX_RPM
    connect_give_up: Optional[float] = DEFAULT_CONNECT_GIVE_UP
    verbose: bool = False

    @property
    def base_url(self) -> str:
        """The gateway base URL (https://app.harness.io/gateway), whichever form was given."""
        base = self.endpoint.rstrip("/")
        if base.endswith(GRAPHQL_SUFFIX):
            base = base[: -len(GRAPHQL_SUFFIX)]
        return base

    @property
    def graphql_url(self) -> str:
        return self.base_url + GRAPHQL_SUFFIX

    def url(self, path: str) -> str:
        """A resource below the base URL: `api/executions/x`, `pipeline/api/...`."""
        return f"{self.base_url}/{path.lstrip('/')}"


@dataclass
class ConnectionFlags:
    """The connection flags as given; `settings(environ)` adds the environment and the key,
    inside the run, so a missing key is reported like any other error (report written)."""

    endpoint: Optional[str] = None
    account_id: Optional[str] = None
    ca_bundle: Optional[str] = None
    allow_http: bool = False
    max_rpm: Optional[int] = None
    request_timeout: Optional[float] = None
    connect_timeout: Optional[float] = None
    verbose: bool = False

    def settings(self, environ: Mapping[str, str]) -> ConnectionSettings:
        return build_settings(environ, **dataclasses.asdict(self))

    @staticmethod
    def register_argparse_arguments(parser: argparse.ArgumentParser) -> None:
        group = parser.add_argument_group("connection")
        group.add_argument(
            "--endpoint",
            help="Harness base URL, e.g. https://app.harness.io/gateway (overrides "
            "HARNESS_ENDPOINT; a FirstGen GraphQL URL ending in /api/graphql works too)",
        )
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
            help=f"most requests in any rolling minute, retries included (default "
            f"{DEFAULT_MAX_RPM})",
        )
        group.add_argument(
            "--request-timeout",
            type=duration_arg,
            metavar="DUR",
            help=f"longest wait for one HTTP answer (default {DEFAULT_REQUEST_TIMEOUT:g}s)",
        )
        group.add_argument(
            "--connect-timeout",
            type=duration_arg,
            metavar="DUR",
            help="before anything has started, give up on an endpoint that does not answer "
            f"after this long (default {DEFAULT_CONNECT_GIVE_UP:g}s)",
        )
        group.add_argument(
            "--verbose",
            "-v",
            action="store_true",
            help="log every HTTP request and response (the key is redacted)",
        )

    @classmethod
    def from_argparse(cls, args: argparse.Namespace) -> ConnectionFlags:
        return cls(**{f.name: getattr(args, f.name) for f in dataclasses.fields(cls)})


def read_api_key(environ: Mapping[str, str]) -> Secret:
    key = environ.get("HARNESS_API_KEY", "").strip()
    key_file = environ.get("HARNESS_API_KEY_FILE", "").strip()
    if key and key_file:
        raise UsageError("set only one of HARNESS_API_KEY and HARNESS_API_KEY_FILE")
    if key_file:
        try:
            key = Path(key_file).read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError) as exc:
            raise UsageError(
                f"cannot read the API key file named by HARNESS_API_KEY_FILE ({key_file}): "
                f"{exc.__class__.__name__}"
            ) from None
        if not key:
            raise UsageError(f"the API key file {key_file} is empty")
    if not key:
        raise UsageError(
            "no API key: set HARNESS_API_KEY, or HARNESS_API_KEY_FILE to a file holding it "
            "(the key is never taken from the command line or the spec)"
        )
    return Secret(key)


def account_from_key(key: Secret) -> Optional[str]:
    """The account a key belongs to, when the key says: a NextGen token is
    `pat.<account>.<id>.<secret>` (or `sat.`); a FirstGen key is base64("<account>::<random>")."""
    parts = key.reveal().split(".")
    if len(parts) == 4 and parts[0] in ("pat", "sat") and parts[1]:
        return parts[1]
    try:
        decoded = base64.b64decode(key.reveal(), validate=True).decode("ascii")
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return None
    account, sep, _rest = decoded.partition("::")
    return account if sep and account else None


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_endpoint(endpoint: str, allow_http: bool) -> str:
    parts = urlsplit(endpoint)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UsageError(f"the endpoint must be an http(s) URL, got {endpoint!r}")
    if parts.scheme == "http" and not allow_http and not is_loopback(parts.hostname):
        raise UsageError(
            f"refusing plain http:// to {parts.hostname}: the API key would travel unencrypted "
            "(use https://, or pass --allow-http if you really mean it)"
        )
    return endpoint


def build_settings(
    environ: Mapping[str, str],
    *,
    endpoint: Optional[str] = None,
    account_id: Optional[str] = None,
    ca_bundle: Optional[str] = None,
    allow_http: bool = False,
    request_timeout: Optional[float] = None,
    max_rpm: Optional[int] = None,
    connect_timeout: Optional[float] = None,
    verbose: bool = False,
) -> ConnectionSettings:
    url = check_endpoint(
        endpoint or environ.get("HARNESS_ENDPOINT", "").strip() or DEFAULT_ENDPOINT, allow_http
    )
    key = read_api_key(environ)
    account = account_id or environ.get("HARNESS_ACCOUNT_ID", "").strip() or account_from_key(key)
    if not account:
        raise UsageError("no account id: set HARNESS_ACCOUNT_ID or pass --account-id")
    verify: Union[bool, str] = True
    bundle = ca_bundle or environ.get("REQUESTS_CA_BUNDLE") or environ.get("CURL_CA_BUNDLE")
    if bundle:
        if not os.path.exists(bundle):
            raise UsageError(f"CA bundle not found: {bundle}")
        verify = bundle
    if max_rpm is not None and max_rpm < 1:
        raise UsageError("--max-rpm must be at least 1")
    return ConnectionSettings(
        endpoint=url,
        account_id=account,
        api_key=key,
        verify=verify,
        request_timeout=request_timeout or DEFAULT_REQUEST_TIMEOUT,
        max_rpm=max_rpm or DEFAULT_MAX_RPM,
        connect_give_up=connect_timeout or DEFAULT_CONNECT_GIVE_UP,
        verbose=verbose,
    )


# ---- waiting ------------------------------------------------------------------------------


@dataclass
class WaitSettings:
    timeout: Optional[float] = None  # the run's deadline (--timeout), from its start
    poll_interval: Optional[float] = None  # --poll-interval; the spec's, then the default
    abort_on_exit: bool = False

    def poll_max(self, spec_poll: Optional[float] = None) -> float:
        return self.poll_interval or spec_poll or DEFAULT_POLL_INTERVAL

    @staticmethod
    def register_argparse_arguments(parser: argparse.ArgumentParser) -> None:
        parser.add_argument(
            "--timeout",
            type=duration_arg,
            metavar="DUR",
            help="deadline for the whole run; what is still running then is reported timed out"
            f" (wait: default {DEFAULT_TIMEOUT:g}s)",
        )
        parser.add_argument(
            "--poll-interval",
            type=duration_arg,
            metavar="DUR",
            help=f"longest wait between two status reads (default {DEFAULT_POLL_INTERVAL:g}s)",
        )
        parser.add_argument(
            "--abort-on-exit",
            action="store_true",
            help="abort the executions the gate started when it times out or is interrupted",
        )

    @classmethod
    def from_argparse(cls, args: argparse.Namespace) -> WaitSettings:
        return cls(args.timeout, args.poll_interval, args.abort_on_exit)


# ---- reports --------------------------------------------------------------------------------


@dataclass
class ReportSettings:
    junit: Optional[str] = DEFAULT_JUNIT
    json: Optional[str] = None  # a path, or "-" for standard output
    dotenv: Optional[str] = None
    output: str = "text"  # text, or json: the JSON summary on stdout, every log line on stderr

    @staticmethod
    def register_argparse_arguments(parser: argparse.ArgumentParser) -> None:
        group = parser.add_argument_group("reports")
        group.add_argument(
            "--junit",
            default=DEFAULT_JUNIT,
            metavar="PATH",
            help=f"JUnit XML report, written on every path (default {DEFAULT_JUNIT})",
        )
        group.add_argument(
            "--json", metavar="PATH", help="machine-readable JSON summary ('-' for stdout)"
        )
        group.add_argument(
            "--dotenv",
            metavar="PATH",
            help="KEY=VALUE file of execution ids and URLs (GitLab dotenv)",
        )
        group.add_argument(
            "--output",
            "-o",
            choices=("text", "json"),
            default="text",
            help="json: print the JSON summary on stdout (all other output goes to stderr)",
        )

    @classmethod
    def from_argparse(cls, args: argparse.Namespace) -> ReportSettings:
        if args.junit == "-":
            raise UsageError(
                "--junit - is not supported: the JUnit report goes to a file a CI system "
                "collects (use --json - or -o json for a summary on stdout)"
            )
        return cls(args.junit, args.json, args.dotenv, args.output)
