"""Connection and run settings gathered into one object from flags and the environment."""

from __future__ import annotations

import base64
import binascii
import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional
from urllib.parse import urlsplit

from harness_gate.errors import UsageError

DEFAULT_ENDPOINT = "https://app.harness.io/gateway/api/graphql"
DEFAULT_MAX_RPM = 10  # a third of a paid account's 30/min, so several gates fit beside each other
DEFAULT_POLL_INTERVAL = 10.0
DEFAULT_REQUEST_TIMEOUT = 30.0


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


@dataclass
class Settings:
    endpoint: str
    account_id: str
    api_key: Secret = field(repr=False)
    verify: bool | str = True  # True, or a CA bundle path
    request_timeout: float = DEFAULT_REQUEST_TIMEOUT
    max_rpm: int = DEFAULT_MAX_RPM
    poll_interval: float = DEFAULT_POLL_INTERVAL
    verbose: bool = False

    @property
    def graphql_url(self) -> str:
        return self.endpoint

    def rest_url(self, path: str) -> str:
        """REST resources sit beside the GraphQL resource (/api/graphql -> /api/<path>)."""
        base = self.endpoint.rstrip("/")
        if base.endswith("/graphql"):
            base = base[: -len("/graphql")]
        return f"{base}/{path.lstrip('/')}"


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
    """FirstGen API keys are base64("<accountId>::<random>"); the account id can be read off."""
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
    poll_interval: Optional[float] = None,
    verbose: bool = False,
) -> Settings:
    """Flags win over the environment; the key only ever comes from the environment or a file."""
    url = check_endpoint(
        endpoint or environ.get("HARNESS_ENDPOINT", "").strip() or DEFAULT_ENDPOINT, allow_http
    )
    key = read_api_key(environ)
    account = account_id or environ.get("HARNESS_ACCOUNT_ID", "").strip() or account_from_key(key)
    if not account:
        raise UsageError("no account id: set HARNESS_ACCOUNT_ID or pass --account-id")
    verify: bool | str = True
    bundle = ca_bundle or environ.get("REQUESTS_CA_BUNDLE") or environ.get("CURL_CA_BUNDLE")
    if bundle:
        if not os.path.exists(bundle):
            raise UsageError(f"CA bundle not found: {bundle}")
        verify = bundle
    if max_rpm is not None and max_rpm < 1:
        raise UsageError("--max-rpm must be at least 1")
    return Settings(
        endpoint=url,
        account_id=account,
        api_key=key,
        verify=verify,
        request_timeout=request_timeout or DEFAULT_REQUEST_TIMEOUT,
        max_rpm=max_rpm or DEFAULT_MAX_RPM,
        poll_interval=poll_interval or DEFAULT_POLL_INTERVAL,
        verbose=verbose,
    )
