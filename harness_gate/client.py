"""GraphQL (and the one REST call) over one requests session: auth, retries, error mapping.

This is the only place that retries. Read-only requests are retried on transient failures
with exponential backoff and full jitter, inside the caller's deadline. A mutation is never
re-sent once it may have reached the server: the caller gets StartOutcomeUnknown and must
reconcile (see execute.py).
"""

from __future__ import annotations

import json
import random
import re
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Optional

import requests

from harness_gate import __version__
from harness_gate.budget import BudgetExhausted, RequestBudget
from harness_gate.console import Console
from harness_gate.errors import AuthError, GraphQLError, HarnessError
from harness_gate.settings import Settings
from harness_gate.stopper import Stopped, Stopper

_OPERATION_NAME = re.compile(r"\s*(?:query|mutation)\s+(\w+)")
RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504})
MAX_BACKOFF = 30.0
CONNECT_TIMEOUT = 10.0
BODY_PREVIEW = 2000
MUTATION_TIME_SHARE = 0.1  # extra read time per aliased mutation, as a share of the timeout


@dataclass
class GraphQLResult:
    data: dict[str, Any]
    errors: list[dict[str, Any]] = field(default_factory=list)

    def error_for(self, alias: str) -> Optional[str]:
        """The message of the first error whose path starts at this alias."""
        for error in self.errors:
            path = error.get("path")
            if isinstance(path, list) and path and path[0] == alias:
                return str(error.get("message", "unknown error"))
        return None

    def unpathed_errors(self) -> list[str]:
        return [
            str(e.get("message", "unknown error"))
            for e in self.errors
            if not (isinstance(e.get("path"), list) and e.get("path"))
        ]


class StartOutcomeUnknown(Exception):
    """The mutation may have been executed, but no usable answer came back."""

    def __init__(self, reason: str, partial: Optional[GraphQLResult] = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.partial = partial


class _Transient(Exception):
    """A failure worth retrying for reads; for mutations it means 'outcome unknown'."""

    def __init__(self, reason: str, processed_maybe: bool, rate_limited: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.processed_maybe = processed_maybe
        self.rate_limited = rate_limited


@dataclass
class AbortOutcome:
    accepted: bool
    message: str


class HarnessClient:
    def __init__(
        self,
        settings: Settings,
        console: Console,
        budget: RequestBudget,
        stopper: Stopper,
        *,
        retry_base: float = 1.0,
        rng: Optional[random.Random] = None,
    ) -> None:
        self.settings = settings
        self.console = console
        self.budget = budget
        self.stopper = stopper
        self.retry_base = retry_base
        self.rng = rng or random.Random()
        console.add_secret(settings.api_key.reveal())
        self._session = self._new_session()

    def _new_session(self) -> requests.Session:
        session = requests.Session()
        session.headers.update(
            {
                "X-Api-Key": self.settings.api_key.reveal(),
                "User-Agent": f"harness-gate/{__version__}",
                "Accept": "application/json",
                "Content-Type": "application/json",
            }
        )
        session.verify = self.settings.verify
        return session  # proxies come from the standard environment variables (trust_env)

    def close(self) -> None:
        self._session.close()

    # ---- GraphQL -------------------------------------------------------------------------

    def query(
        self, document: str, variables: dict[str, Any], *, purpose: str, deadline: float
    ) -> GraphQLResult:
        """A read-only request, retried on transient failures until the deadline."""
        attempt = 0
        while True:
            try:
                return self._graphql_once(document, variables, purpose, deadline)
            except _Transient as exc:
                attempt += 1
                self._back_off(exc, attempt, purpose, deadline)

    def mutate(
        self, document: str, variables: dict[str, Any], *, purpose: str, deadline: float
    ) -> GraphQLResult:
        """A mutation: re-sent only when it certainly did not reach Harness (refused
        connection, 429 from the rate limiter, which answers before anything runs)."""
        attempt = 0
        while True:
            try:
                # Harness runs aliased mutations one after another: allow each its time.
                read_timeout = self.settings.request_timeout * (
                    1 + MUTATION_TIME_SHARE * len(variables)
                )
                return self._graphql_once(document, variables, purpose, deadline, read_timeout)
            except _Transient as exc:
                if exc.processed_maybe:
                    raise StartOutcomeUnknown(exc.reason) from None
                attempt += 1
                self._back_off(exc, attempt, purpose, deadline)

    def _back_off(self, exc: _Transient, attempt: int, purpose: str, deadline: float) -> None:
        if exc.rate_limited:
            pause = self.budget.on_rate_limited(self.retry_base)
            delay = 0.0  # the budget holds every request of the process for `pause`
            note = f"Harness rate limit hit; slowing all requests, next in {pause:.1f}s"
        else:
            ceiling = min(MAX_BACKOFF, self.retry_base * (2 ** (attempt - 1)))
            delay = self.rng.uniform(0, ceiling)
            note = f"retry {attempt} in {delay:.1f}s"
        if time.monotonic() + delay > deadline:
            raise HarnessError(f"{purpose}: {exc.reason} (gave up after {attempt} attempts)")
        self.console.line(f"{purpose}: {exc.reason}; {note}")
        if self.stopper.wait(delay):
            raise Stopped(self.stopper.signame or "stopped")

    def _graphql_once(
        self,
        document: str,
        variables: dict[str, Any],
        purpose: str,
        deadline: float,
        read_timeout: Optional[float] = None,
    ) -> GraphQLResult:
        self.stopper.check()
        try:
            self.budget.acquire(deadline)
        except BudgetExhausted as exc:
            self.stopper.check()
            raise HarnessError(f"{purpose}: request budget: {exc}") from None
        payload: dict[str, Any] = {"query": document, "variables": variables}
        named = _OPERATION_NAME.match(document)
        if named:
            payload["operationName"] = named.group(1)
        body = json.dumps(payload)
        url = self.settings.graphql_url
        params = {"accountId": self.settings.account_id}
        self.console.debug(
            f"POST {url}?accountId={self.settings.account_id} ({purpose}) headers: "
            "X-Api-Key: ***, Content-Type: application/json\n" + _preview(body)
        )
        started = time.monotonic()
        try:
            response = self._send("POST", url, params=params, data=body, read_timeout=read_timeout)
        except requests.exceptions.RequestException as exc:
            reason, sent = _describe_transport_error(exc)
            self.console.debug(f"{purpose}: {reason} after {time.monotonic() - started:.3f}s")
            raise _Transient(reason, processed_maybe=sent) from None
        elapsed = time.monotonic() - started
        text = response.text
        self.console.debug(f"HTTP {response.status_code} in {elapsed:.3f}s\n" + _preview(text))
        return self._interpret(response.status_code, text, purpose)

    def _interpret(self, status: int, text: str, purpose: str) -> GraphQLResult:
        payload = _parse_json(text)
        if status == 429:
            raise _Transient(
                "HTTP 429 " + _harness_message(payload, text),
                processed_maybe=False,
                rate_limited=True,
            )
        if status in RETRYABLE_STATUSES:
            raise _Transient(
                f"HTTP {status} {_harness_message(payload, text)}", processed_maybe=True
            )
        if status in (401, 403):
            raise AuthError(
                f"{purpose}: Harness rejected the credentials (HTTP {status}): "
                f"{_harness_message(payload, text)}; check HARNESS_API_KEY and HARNESS_ACCOUNT_ID"
            )
        if status != 200:
            raise HarnessError(f"{purpose}: HTTP {status}: {_harness_message(payload, text)}")
        if not isinstance(payload, dict):
            raise _Transient("the response body is not JSON", processed_maybe=True)
        self.budget.on_success()
        errors = payload.get("errors")
        error_list = [e for e in errors if isinstance(e, dict)] if isinstance(errors, list) else []
        data = payload.get("data")
        if "data" not in payload or not isinstance(data, dict):
            if error_list:
                messages = [str(e.get("message", "")) for e in error_list]
                raise GraphQLError(
                    f"{purpose}: Harness refused the request: {messages[0]}", messages
                )
            raise _Transient("the response has neither data nor errors", processed_maybe=True)
        return GraphQLResult(data=data, errors=error_list)

    # ---- REST abort ------------------------------------------------------------------------

    def abort(self, execution_id: str, application_id: str, timeout: float) -> AbortOutcome:
        """The real server's abort: PUT /api/executions/{id} with ABORT_ALL (REST, not GraphQL).

        Retried on transient failures while `timeout` lasts (a second abort of the same run is
        harmless: Harness answers "already been aborted"). Uses its own session: on interrupt
        a status read may still be in flight on the main one.
        """
        url = self.settings.rest_url(f"executions/{execution_id}")
        params = {"appId": application_id, "accountId": self.settings.account_id}
        end = time.monotonic() + timeout
        session = self._new_session()
        outcome = AbortOutcome(False, "abort not sent")
        try:
            attempt = 0
            while True:
                attempt += 1
                left = end - time.monotonic()
                if left <= 0:
                    return outcome
                outcome, transient = self._abort_once(session, url, params, execution_id, left)
                pause = min(self.retry_base * attempt, 1.0)
                if not transient or time.monotonic() + pause >= end:
                    return outcome
                self.console.line(f"abort {execution_id}: {outcome.message}; retrying")
                time.sleep(pause)
        finally:
            session.close()

    def _abort_once(
        self,
        session: requests.Session,
        url: str,
        params: dict[str, str],
        execution_id: str,
        timeout: float,
    ) -> tuple[AbortOutcome, bool]:
        self.console.debug(f"PUT {url} (abort {execution_id})")
        try:
            response = session.put(
                url,
                params=params,
                json={"executionInterruptType": "ABORT_ALL"},
                timeout=(min(CONNECT_TIMEOUT, timeout), timeout),
            )
        except requests.exceptions.RequestException as exc:
            reason = _describe_transport_error(exc)[0]
            return AbortOutcome(False, f"abort not confirmed: {reason}"), True
        payload = _parse_json(response.text)
        message = _harness_message(payload, response.text)
        self.console.debug(f"HTTP {response.status_code}: {_preview(response.text)}")
        if response.status_code == 200 and isinstance(payload, dict):
            return AbortOutcome(True, "abort accepted by Harness"), False
        if "already been aborted" in message:
            return AbortOutcome(True, f"abort accepted by Harness ({message})"), False
        # A 200 that is not Harness's JSON envelope did not come from Harness: try again.
        transient = response.status_code in RETRYABLE_STATUSES or payload is None
        return AbortOutcome(False, f"abort refused (HTTP {response.status_code}): {message}"), (
            transient
        )

    # ---- transport -----------------------------------------------------------------------------

    def _send(
        self, method: str, url: str, read_timeout: Optional[float] = None, **kwargs: Any
    ) -> requests.Response:
        """Run the request in a daemon thread so a stop request is honoured at once."""
        box: dict[str, Any] = {}
        read = read_timeout or self.settings.request_timeout
        timeout = (min(CONNECT_TIMEOUT, self.settings.request_timeout), read)

        def work() -> None:
            try:
                box["response"] = self._session.request(method, url, timeout=timeout, **kwargs)
            except BaseException as exc:  # handed to the waiting thread
                box["error"] = exc

        worker = threading.Thread(target=work, name="harness-request", daemon=True)
        worker.start()
        while worker.is_alive():
            worker.join(0.05)
            if self.stopper.stopped and worker.is_alive():
                # The abandoned request may still finish; a fresh session keeps later calls
                # (aborts, the final report) off its connection.
                self._session = self._new_session()
                raise Stopped(self.stopper.signame or "stopped")
        if "error" in box:
            raise box["error"]
        response: requests.Response = box["response"]
        return response


def _parse_json(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return None


def _harness_message(payload: Any, text: str) -> str:
    """Harness answers in three shapes: GraphQL errors, a REST envelope, or plain text/HTML."""
    if isinstance(payload, dict):
        errors = payload.get("errors")
        if isinstance(errors, list) and errors and isinstance(errors[0], dict):
            return str(errors[0].get("message", "")).strip() or "(no message)"
        messages = payload.get("responseMessages")
        if isinstance(messages, list) and messages and isinstance(messages[0], dict):
            return str(messages[0].get("message", "")).strip() or "(no message)"
    if isinstance(payload, str):
        return payload[:200]
    stripped = " ".join(text.split())
    if stripped.lower().startswith(("<!doctype", "<html")):
        return "(an HTML error page, probably from a load balancer)"
    return stripped[:200] or "(empty body)"


def _describe_transport_error(exc: requests.exceptions.RequestException) -> tuple[str, bool]:
    """A one-line reason, and whether the request may have reached the server."""
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return "connection timed out", False
    if isinstance(exc, requests.exceptions.ReadTimeout):
        return "no answer within the request timeout", True
    if isinstance(exc, requests.exceptions.SSLError):
        return "TLS error (check the CA bundle)", False
    if isinstance(exc, requests.exceptions.ConnectionError):
        inner = exc.args[0] if exc.args else None
        reason = getattr(inner, "reason", None)
        if reason is not None and type(reason).__name__ in (
            "NewConnectionError",
            "NameResolutionError",
        ):
            return "could not connect", False
        return "the connection was dropped", True
    return f"request failed ({exc.__class__.__name__})", True


def _preview(text: str) -> str:
    return text if len(text) <= BODY_PREVIEW else text[:BODY_PREVIEW] + f"... ({len(text)} chars)"
