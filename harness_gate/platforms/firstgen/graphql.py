"""FirstGen GraphQL over the shared transport: one POST per batch, Harness's answers mapped
to results, retries and errors; and the one REST call, abort."""

from __future__ import annotations

import json
from typing import Any, Optional

from harness_gate.errors import AuthError, HarnessError, HarnessUnavailable, RefusedError
from harness_gate.platforms.base import AbortOutcome
from harness_gate.platforms.common import abort_by_put
from harness_gate.platforms.firstgen.documents import Batch, GraphQLResult
from harness_gate.transport import (
    RETRYABLE_STATUSES,
    Reply,
    Transient,
    Transport,
    parse_json,
    plain_message,
)

MUTATION_TIME_SHARE = 0.1  # extra read time per aliased mutation, as a share of the timeout
PLAIN_500_TRIES = 4  # three retries
# transport.describe_transport_error's reason for a read timeout
READ_TIMED_OUT = "no answer within the request timeout"
# Every GraphQL call of an account whose edition lacks the API (Community, Essentials).
FEATURE_NOT_ENABLED = "Feature not enabled"


class GraphQLClient:
    def __init__(self, transport: Transport) -> None:
        self.transport = transport
        self.settings = transport.settings

    def run(
        self,
        batch: Batch[Any],
        *,
        purpose: str,
        deadline: float,
        read_timeout: Optional[float] = None,
        timeout_tries: Optional[int] = None,
    ) -> GraphQLResult:
        """A query is retried until the deadline; a mutation is never re-sent once it may
        have reached Harness (transport.OutcomeUnknown). With timeout_tries, a query that
        gets no answer within the read timeout that many times is an error instead: Harness
        is too slow for it now, and waiting on it holds up whatever comes next."""
        mutation = batch.operation == "mutation"
        if mutation and read_timeout is None:
            # Harness runs aliased mutations one after another: allow each its time.
            read_timeout = self.settings.request_timeout * (
                1 + MUTATION_TIME_SHARE * len(batch.items)
            )
        body = json.dumps(
            {
                "query": batch.document,
                "variables": batch.variables,
                "operationName": batch.name,
            }
        )

        timeouts = 0

        def attempt() -> GraphQLResult:
            nonlocal timeouts
            try:
                reply = self.transport.send(
                    "POST",
                    self.settings.graphql_url,
                    purpose=purpose,
                    deadline=deadline,
                    params={"accountId": self.settings.account_id},
                    body=body,
                    read_timeout=read_timeout,
                )
            except Transient as exc:
                if exc.reason == READ_TIMED_OUT and timeout_tries is not None:
                    timeouts += 1
                    if timeouts >= timeout_tries:
                        raise HarnessError(f"{purpose}: {exc.reason} ({timeouts} times)") from None
                raise
            return self._interpret(reply, purpose)

        return self.transport.call(
            attempt, purpose=purpose, deadline=deadline, idempotent=not mutation
        )

    def _interpret(self, reply: Reply, purpose: str) -> GraphQLResult:
        status, text = reply.status, reply.text
        payload = parse_json(text)
        if status == 429:
            raise Transient(
                "HTTP 429 " + harness_message(payload, text),
                processed_maybe=False,
                rate_limited=True,
            )
        if status in RETRYABLE_STATUSES:
            # The GraphQL resource answers an exception in its handler with a plain-text 500:
            # a few tries, then it is Harness's answer. A proxy's 502/503/504 is worth waiting out.
            plain_500 = status == 500 and payload is None
            raise Transient(
                f"HTTP {status} {harness_message(payload, text)}",
                processed_maybe=True,
                max_tries=PLAIN_500_TRIES if plain_500 else None,
            )
        if status in (401, 403):
            raise AuthError(
                f"{purpose}: Harness rejected the credentials (HTTP {status}): "
                f"{harness_message(payload, text)}; check HARNESS_API_KEY and HARNESS_ACCOUNT_ID"
            )
        if status == 404:
            raise HarnessUnavailable(
                f"{purpose}: HTTP 404 from {self.settings.graphql_url}: "
                f"{harness_message(payload, text)}; HARNESS_ENDPOINT should be the Harness base "
                "URL (https://app.harness.io/gateway, or your own host's /gateway) or the "
                "full GraphQL URL ending in /api/graphql"
            )
        if status == 400 and harness_message(payload, text) == FEATURE_NOT_ENABLED:
            raise HarnessUnavailable(
                f"{purpose}: Harness answered HTTP 400 {FEATURE_NOT_ENABLED!r}: this account "
                "cannot use the GraphQL API. Harness Community and Essentials editions do not "
                "include it (no REST_API feature); the gate needs an Enterprise or trial account"
            )
        if status != 200:
            raise HarnessError(f"{purpose}: HTTP {status}: {harness_message(payload, text)}")
        if not isinstance(payload, dict):
            raise Transient("the response body is not JSON", processed_maybe=True)
        errors = payload.get("errors")
        error_list = [e for e in errors if isinstance(e, dict)] if isinstance(errors, list) else []
        data = payload.get("data")
        if "data" not in payload or not isinstance(data, dict):
            if error_list:
                messages = [str(e.get("message", "")) for e in error_list]
                raise RefusedError(
                    f"{purpose}: Harness refused the request: {messages[0]}", messages
                )
            raise Transient("the response has neither data nor errors", processed_maybe=True)
        return GraphQLResult(data=data, errors=error_list)

    # ---- REST abort ------------------------------------------------------------------------

    def abort(self, execution_id: str, application_id: str, timeout: float) -> AbortOutcome:
        """The real server's abort: PUT /api/executions/{id} with ABORT_ALL (REST, not GraphQL).

        Retried on transient failures while `timeout` lasts (a second abort of the same run is
        harmless: Harness answers "already been aborted"). Uses its own session: on interrupt
        a status read may still be in flight on the main one.
        """
        url = self.settings.url(f"api/executions/{execution_id}")
        params = {"appId": application_id, "accountId": self.settings.account_id}
        return abort_by_put(
            self.transport,
            url,
            params,
            timeout=timeout,
            verdict=_abort_verdict,
            what=f"abort {execution_id}",
            json_body={"executionInterruptType": "ABORT_ALL"},
        )


def _abort_verdict(reply: Reply) -> tuple[AbortOutcome, bool]:
    """What an ABORT_ALL answer means, and whether it is worth sending again."""
    payload = parse_json(reply.text)
    message = harness_message(payload, reply.text)
    if reply.status == 200 and isinstance(payload, dict):
        return AbortOutcome(True, "abort accepted by Harness"), False
    if "already been aborted" in message:
        return AbortOutcome(True, f"abort accepted by Harness ({message})"), False
    if "already completed" in message:
        return AbortOutcome(True, f"nothing to abort: {message}"), False
    # A 200 that is not Harness's JSON envelope did not come from Harness: try again.
    transient = reply.status in RETRYABLE_STATUSES or payload is None
    return AbortOutcome(False, f"abort refused (HTTP {reply.status}): {message}"), transient


def harness_message(payload: Any, text: str) -> str:
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
    return plain_message(text)
