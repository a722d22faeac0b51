"""What every platform built on the shared transport has in common."""

from __future__ import annotations

from typing import Any, Callable, Optional

import requests

from harness_gate.budget import RequestBudget
from harness_gate.console import Console
from harness_gate.platforms.base import AbortOutcome
from harness_gate.transport import Reply, Transport, describe_transport_error

AbortVerdict = Callable[[Reply], tuple[AbortOutcome, bool]]


class TransportPlatform:
    def __init__(self, transport: Transport, console: Console) -> None:
        self.transport = transport
        self.console = console
        self.budget: RequestBudget = transport.budget

    def started_something(self) -> None:
        """From now on executions exist: reads keep trying until their deadlines."""
        self.transport.unreachable_limit = None

    def close(self) -> None:
        self.transport.close()


def abort_by_put(
    transport: Transport,
    url: str,
    params: dict[str, str],
    *,
    timeout: float,
    verdict: AbortVerdict,
    what: str,
    json_body: Optional[Any] = None,
) -> AbortOutcome:
    """PUT an abort on a session of its own, sent again while `timeout` lasts when the
    connection failed or `verdict` says the answer is worth another try."""

    def once(session: requests.Session, left: float) -> tuple[AbortOutcome, bool]:
        try:
            reply = transport.send_once_direct(
                session, "PUT", url, timeout=left, params=params, json_body=json_body
            )
        except requests.exceptions.RequestException as exc:
            reason = describe_transport_error(exc)[0]
            return AbortOutcome(False, f"abort not confirmed: {reason}"), True
        return verdict(reply)

    return transport.retry_direct(
        once, timeout=timeout, first=AbortOutcome(False, "abort not sent"), what=what
    )
