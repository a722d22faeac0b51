"""HTTP to Harness over one requests session: the request budget, retries, stop requests.

This is the only place that retries, for every platform. Each platform turns a response into
its own result or raises `Transient` for what is worth another try; this module decides
whether another try is allowed. A request that is not idempotent (a start) is never sent
again once it may have reached the server: the caller gets `OutcomeUnknown` and reconciles.
"""

from __future__ import annotations

import json
import random
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable, Optional, TypeVar

import requests

from harness_gate import __version__
from harness_gate.budget import BudgetExhausted, RequestBudget
from harness_gate.console import Console
from harness_gate.errors import HarnessError, HarnessUnavailable, RequestError
from harness_gate.settings import ConnectionSettings
from harness_gate.stopper import Stopped, Stopper

T = TypeVar("T")

RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504})
MAX_BACKOFF = 30.0
CONNECT_TIMEOUT = 10.0
BODY_PREVIEW = 2000
RATE_LIMIT_BACKOFF = 1.0  # first wait after a 429; doubles for each 429 in a row


class Transient(Exception):
    """A failure worth retrying for reads; for a start it means 'outcome unknown'."""

    def __init__(
        self,
        reason: str,
        processed_maybe: bool,
        rate_limited: bool = False,
        max_tries: Optional[int] = None,
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.processed_maybe = processed_maybe
        self.rate_limited = rate_limited
        # A failure that is probably the same every time (Harness's plain-text 500 for an
        # exception in its handler) gets a few tries, not the whole deadline.
        self.max_tries = max_tries


class OutcomeUnknown(Exception):
    """The request may have been executed, but no usable answer came back."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class NoSlotBeforeDeadline(RequestError):
    """The request budget has no slot before the caller's deadline: nothing was sent."""


@dataclass
class Reply:
    status: int
    text: str
    elapsed: float


class Transport:
    def __init__(
        self,
        settings: ConnectionSettings,
        console: Console,
        budget: RequestBudget,
        stopper: Stopper,
        *,
        retry_base: float = 1.0,
        rng: Optional[random.Random] = None,
        headers: Optional[dict[str, str]] = None,
    ) -> None:
        self.settings = settings
        self.console = console
        self.budget = budget
        self.stopper = stopper
        self.retry_base = retry_base
        self.rng = rng or random.Random()
        self._headers = {
            "User-Agent": f"harness-gate/{__version__}",
            "Accept": "application/json",
            **(headers or {}),
        }
        # Until something has started, an endpoint that never answers ends the run after
        # this many seconds (None: keep trying until the caller's deadline).
        self.unreachable_limit: Optional[float] = settings.connect_give_up
        console.add_secret(settings.api_key.reveal())
        self._session = self.new_session()

    def new_session(self) -> requests.Session:
        session = requests.Session()
        session.headers.update(self._headers)
        session.verify = self.settings.verify
        return session  # proxies come from the standard environment variables (trust_env)

    def close(self) -> None:
        self._session.close()

    # ---- retries ----------------------------------------------------------------------------

    def call(
        self,
        attempt: Callable[[], T],
        *,
        purpose: str,
        deadline: float,
        idempotent: bool,
    ) -> T:
        """Run `attempt` until it answers; retry a Transient failure while the deadline lasts.

        A request that is not idempotent is re-sent only when it certainly did not reach
        Harness (a refused connection, a 429 from the rate limiter that answers first).
        """
        tries = 0
        unreachable_since: Optional[float] = None
        while True:
            try:
                result = attempt()
                self.budget.on_success()
                return result
            except Transient as exc:
                if not idempotent and exc.processed_maybe:
                    raise OutcomeUnknown(exc.reason) from None
                tries += 1
                if exc.rate_limited or exc.processed_maybe:
                    unreachable_since = None
                elif unreachable_since is None:
                    unreachable_since = time.monotonic()
                self._give_up_if_unreachable(exc, unreachable_since, purpose)
                if exc.max_tries is not None and tries >= exc.max_tries:
                    raise HarnessError(f"{purpose}: {exc.reason} ({tries} attempts)") from None
                give_up_at = None
                if unreachable_since is not None and self.unreachable_limit is not None:
                    give_up_at = unreachable_since + self.unreachable_limit
                self._back_off(exc, tries, purpose, deadline, give_up_at)

    def _give_up_if_unreachable(self, exc: Transient, since: Optional[float], purpose: str) -> None:
        limit = self.unreachable_limit
        if since is None or limit is None or time.monotonic() - since < limit:
            return
        raise HarnessUnavailable(
            f"{purpose}: {exc.reason} at {self.settings.endpoint} for {limit:g}s; "
            "nothing was started (check HARNESS_ENDPOINT and the network)"
        )

    def _back_off(
        self,
        exc: Transient,
        tries: int,
        purpose: str,
        deadline: float,
        give_up_at: Optional[float] = None,
    ) -> None:
        if exc.rate_limited:
            # Harness does not count a refused call against the window: a prompt retry costs
            # the account nothing. The budget slows the process only for 429s in a row.
            self.budget.on_rate_limited(RATE_LIMIT_BACKOFF)
            delay = 0.0
            wait = self.budget.delay_needed()
            note = f"Harness rate limit hit; next request in {wait:.1f}s"
        else:
            ceiling = min(MAX_BACKOFF, self.retry_base * (2 ** (tries - 1)))
            delay = self.rng.uniform(0, ceiling)
            if give_up_at is not None:
                # The last try lands when --connect-timeout is up, not a backoff later.
                delay = min(delay, max(0.0, give_up_at - time.monotonic()))
            wait = delay
            note = f"retry {tries} in {delay:.1f}s"
        if time.monotonic() + wait > deadline:
            raise HarnessError(f"{purpose}: {exc.reason} (gave up after {tries} attempts)")
        self.console.line(f"{purpose}: {exc.reason}; {note}")
        if self.stopper.wait(delay):
            raise Stopped(self.stopper.signame or "stopped")

    # ---- one request -------------------------------------------------------------------------

    def send(
        self,
        method: str,
        url: str,
        *,
        purpose: str,
        deadline: float,
        params: Optional[dict[str, str]] = None,
        body: Optional[str] = None,
        content_type: str = "application/json",
        read_timeout: Optional[float] = None,
    ) -> Reply:
        """One request through the budget; transport failures become Transient."""
        self.stopper.check()
        try:
            self.budget.acquire(deadline)
        except BudgetExhausted as exc:
            self.stopper.check()
            raise NoSlotBeforeDeadline(f"{purpose}: request budget: {exc}") from None
        query = "&".join(f"{k}={v}" for k, v in (params or {}).items())
        self.console.debug(
            f"{method} {url}{'?' + query if query else ''} ({purpose})\n" + preview(body or "")
        )
        headers = {"Content-Type": content_type} if body is not None else {}
        started = time.monotonic()
        try:
            response = self._in_thread(
                method, url, read_timeout, params=params, data=body, headers=headers
            )
        except requests.exceptions.RequestException as exc:
            reason, sent = describe_transport_error(exc)
            self.console.debug(f"{purpose}: {reason} after {time.monotonic() - started:.3f}s")
            raise Transient(reason, processed_maybe=sent) from None
        elapsed = time.monotonic() - started
        text = response.text
        self.console.debug(f"HTTP {response.status_code} in {elapsed:.3f}s\n" + preview(text))
        return Reply(response.status_code, text, elapsed)

    def send_once_direct(
        self,
        session: requests.Session,
        method: str,
        url: str,
        *,
        timeout: float,
        params: Optional[dict[str, str]] = None,
        json_body: Any = None,
    ) -> Reply:
        """A request outside the budget and the stop watch, on a caller's session (aborts,
        which must go out while the run is stopping). Raises requests' exceptions."""
        self.console.debug(f"{method} {url}")
        started = time.monotonic()
        response = session.request(
            method,
            url,
            params=params,
            json=json_body,
            timeout=(min(CONNECT_TIMEOUT, timeout), timeout),
        )
        self.console.debug(f"HTTP {response.status_code}: {preview(response.text)}")
        return Reply(response.status_code, response.text, time.monotonic() - started)

    def retry_direct(
        self,
        once: Callable[[requests.Session, float], tuple[T, bool]],
        *,
        timeout: float,
        first: T,
        what: str,
    ) -> T:
        """Call once(session, seconds left) on a session of its own until it is not
        transient or `timeout` runs out (aborts: a read may be in flight on the main session,
        and a stopping gate must still send them). once returns (outcome, transient)."""
        end = time.monotonic() + timeout
        session = self.new_session()
        outcome = first
        try:
            attempt = 0
            while True:
                attempt += 1
                left = end - time.monotonic()
                if left <= 0:
                    return outcome
                outcome, transient = once(session, left)
                pause = min(self.retry_base * attempt, 1.0)
                if not transient or time.monotonic() + pause >= end:
                    return outcome
                self.console.line(f"{what}: {outcome}; retrying")
                time.sleep(pause)
        finally:
            session.close()

    def _in_thread(
        self, method: str, url: str, read_timeout: Optional[float], **kwargs: Any
    ) -> requests.Response:
        """Run the request in a daemon thread so a stop request is honoured at once."""
        box: dict[str, Any] = {}
        read = read_timeout or self.settings.request_timeout
        timeout = (min(CONNECT_TIMEOUT, self.settings.request_timeout), read)
        session = self._session

        def work() -> None:
            try:
                box["response"] = session.request(method, url, timeout=timeout, **kwargs)
            except BaseException as exc:  # handed to the waiting thread
                box["error"] = exc

        worker = threading.Thread(target=work, name="harness-request", daemon=True)
        worker.start()
        while worker.is_alive():
            worker.join(0.05)
            if self.stopper.stopped and worker.is_alive():
                # The abandoned request may still finish; a fresh session keeps later calls
                # (aborts, the final report) off its connection.
                self._session = self.new_session()
                raise Stopped(self.stopper.signame or "stopped")
        if "error" in box:
            raise box["error"]
        response: requests.Response = box["response"]
        return response


def describe_transport_error(exc: requests.exceptions.RequestException) -> tuple[str, bool]:
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


def parse_json(text: str) -> Any:
    """The body as JSON, or None when it is not (a proxy's page, plain text)."""
    try:
        return json.loads(text)
    except ValueError:
        return None


def preview(text: str) -> str:
    return text if len(text) <= BODY_PREVIEW else text[:BODY_PREVIEW] + f"... ({len(text)} chars)"


def plain_message(text: str) -> str:
    """A body that is not the platform's JSON: a short, one-line description."""
    stripped = " ".join(text.split())
    if stripped.lower().startswith(("<!doctype", "<html")):
        return "(an HTML error page, probably from a load balancer)"
    return stripped[:200] or "(empty body)"
