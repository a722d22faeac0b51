"""NextGen pipeline-service REST over the shared transport: one request, its envelope read.

Every call carries the account twice, as the server wants it (`Harness-Account` header and
`accountIdentifier` query), plus the org and project where the route takes them. Harness's
envelopes (ResponseDTO, ErrorDTO, FailureDTO, AccessDeniedErrorDTO) become `data`, or an
`ApiError` with the server's words and its correlationId. Retries belong to the transport:
429 and 5xx are `Transient`, one 401 is retried once (ng-manager failing while it validates
a key also answers 401), a second one is an AuthError.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

from harness_gate.errors import AuthError, HarnessError
from harness_gate.transport import (
    RETRYABLE_STATUSES,
    Reply,
    Transient,
    Transport,
    parse_json,
    plain_message,
)

API = "pipeline/api"
AUTH_TRIES = 2  # one 401 may be ng-manager failing while it validates the key


class ApiError(HarnessError):
    """Harness answered a request with an error envelope (or a bare error)."""

    def __init__(self, status: int, code: str, words: str, purpose: str) -> None:
        super().__init__(f"{purpose}: {words}")
        self.status = status
        self.code = code
        self.words = words


@dataclass
class Scope:
    org: str
    project: str


def error_words(payload: Any, text: str) -> tuple[str, str]:
    """(code, one plain message) from any of Harness's error shapes, with its correlationId."""
    if not isinstance(payload, dict):
        return "", plain_message(text)
    code = str(payload.get("code") or "")
    message = str(payload.get("message") or "").strip()
    errors = payload.get("errors")
    if isinstance(errors, list):  # FailureDTO: field errors
        fields = [
            f"{e.get('fieldId')}: {e.get('error')}"
            for e in errors
            if isinstance(e, dict) and e.get("fieldId")
        ]
        if fields and not any(f in message for f in fields):
            message = (message + "; " if message else "") + "; ".join(fields)
    if not message:
        messages = payload.get("responseMessages")
        if isinstance(messages, list) and messages and isinstance(messages[0], dict):
            message = str(messages[0].get("message") or "").strip()
    message = message or code or "(no message)"
    correlation = payload.get("correlationId")
    if isinstance(correlation, str) and correlation:
        message += f" (correlationId {correlation})"
    return code, message


class RestClient:
    def __init__(self, transport: Transport) -> None:
        self.transport = transport
        self.settings = transport.settings

    @property
    def account(self) -> str:
        return self.settings.account_id

    def url(self, path: str) -> str:
        return self.settings.url(f"{API}/{path.lstrip('/')}")

    def params(self, scope: Optional[Scope], **extra: Optional[str]) -> dict[str, str]:
        params = {"accountIdentifier": self.account}
        if scope is not None:
            params["orgIdentifier"] = scope.org
            params["projectIdentifier"] = scope.project
        params.update({k: v for k, v in extra.items() if v is not None})
        return params

    def call(
        self,
        method: str,
        path: str,
        *,
        purpose: str,
        deadline: float,
        params: dict[str, str],
        body: Optional[str] = None,
        content_type: str = "application/json",
        idempotent: bool = True,
        read_timeout: Optional[float] = None,
    ) -> Any:
        """The `data` of the answer; ApiError for Harness's refusals (never retried)."""
        url = self.url(path)
        auth_failures = [0]

        def attempt() -> Any:
            reply = self.transport.send(
                method,
                url,
                purpose=purpose,
                deadline=deadline,
                params=params,
                body=body,
                content_type=content_type,
                read_timeout=read_timeout,
            )
            return self.interpret(reply, purpose, auth_failures)

        return self.transport.call(
            attempt, purpose=purpose, deadline=deadline, idempotent=idempotent
        )

    def interpret(self, reply: Reply, purpose: str, auth_failures: list[int]) -> Any:
        status, text = reply.status, reply.text
        payload = parse_json(text)
        if status == 429:
            raise Transient(
                "HTTP 429 " + error_words(payload, text)[1],
                processed_maybe=False,
                rate_limited=True,
            )
        if status in RETRYABLE_STATUSES:
            raise Transient(f"HTTP {status} {error_words(payload, text)[1]}", processed_maybe=True)
        code, words = error_words(payload, text)
        if status == 401:
            auth_failures[0] += 1
            if auth_failures[0] < AUTH_TRIES:
                # Refused by the authentication filter before anything ran: safe to send again.
                raise Transient(f"HTTP 401 {words}", processed_maybe=False)
            raise AuthError(
                f"{purpose}: Harness rejected the API key (HTTP 401): {words}; check "
                "HARNESS_API_KEY (a NextGen pat./sat. token) and HARNESS_ACCOUNT_ID"
            )
        if status == 403 and code != "NG_ACCESS_DENIED":
            raise AuthError(f"{purpose}: Harness refused the API key (HTTP 403): {words}")
        if status != 200:
            raise ApiError(status, code, words, purpose)
        if not isinstance(payload, dict) and not isinstance(payload, list):
            # Not Harness's JSON: a proxy's page, or a cut answer.
            raise Transient("the answer is not Harness's JSON", processed_maybe=True)
        if isinstance(payload, dict) and payload.get("status") in ("ERROR", "FAILURE"):
            raise ApiError(status, code, words, purpose)
        if isinstance(payload, dict) and "data" in payload:
            return payload["data"]
        return payload
