"""The FirstGen GraphQL client: Harness's three answer shapes, how each HTTP status is
classified, and what the shared transport does with it (on a fake clock, no network)."""

from __future__ import annotations

import io
import json
import random
from dataclasses import dataclass
from typing import Any, Optional, Union

import pytest
import requests

from harness_gate import transport as transport_module
from harness_gate.budget import RequestBudget
from harness_gate.console import Console
from harness_gate.errors import AuthError, HarnessError, HarnessUnavailable, RefusedError
from harness_gate.platforms.firstgen import documents
from harness_gate.platforms.firstgen.graphql import (
    PLAIN_500_TRIES,
    GraphQLClient,
    harness_message,
)
from harness_gate.settings import ConnectionSettings, Secret
from harness_gate.transport import OutcomeUnknown, Reply, Transient, Transport
from tests.unit.fakes import FakeClock, FakeStopper

ENDPOINT = "https://harness.example/gateway"
PLAIN_500 = "Error while handling api request for Graphql api for accountId x : boom"


@dataclass
class FakeResponse:
    status_code: int
    text: str


Scripted = Union[FakeResponse, Exception]


class FakeServer:
    """Stands in for the HTTP exchange: answers each request with the next scripted reply."""

    def __init__(self, clock: FakeClock, replies: list[Scripted]) -> None:
        self.clock = clock
        self.replies = replies
        self.requests: list[dict[str, Any]] = []

    def __call__(
        self, method: str, url: str, read_timeout: Optional[float], **kwargs: Any
    ) -> FakeResponse:
        self.requests.append(
            {"at": self.clock.now, "url": url, "read_timeout": read_timeout, **kwargs}
        )
        reply = self.replies.pop(0) if len(self.replies) > 1 else self.replies[0]
        if isinstance(reply, Exception):
            raise reply
        return reply


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    fake = FakeClock()
    monkeypatch.setattr(transport_module, "time", fake.as_time_module())
    return fake


def client(
    clock: FakeClock, replies: list[Scripted], *, give_up: Optional[float] = 60.0
) -> tuple[GraphQLClient, FakeServer]:
    settings = ConnectionSettings(
        ENDPOINT + "/api/graphql",
        "acct",
        Secret("graphql-test-key-0123456789"),
        max_rpm=100,
        connect_give_up=give_up,
    )
    stopper = FakeStopper(clock)
    budget = RequestBudget(100, clock=clock, wait=stopper.wait, rng=random.Random(1))
    t = Transport(settings, Console(io.StringIO()), budget, stopper, rng=random.Random(2))
    server = FakeServer(clock, replies)
    t._in_thread = server  # type: ignore[assignment,method-assign]
    return GraphQLClient(t), server


def ok(data: dict[str, Any], errors: Optional[list[Any]] = None) -> FakeResponse:
    body: dict[str, Any] = {"data": data}
    if errors is not None:
        body["errors"] = errors
    return FakeResponse(200, json.dumps(body))


def interpret(c: GraphQLClient, status: int, text: str) -> Any:
    return c._interpret(Reply(status, text, 0.1), "x")


# ---- Harness's three answer shapes ------------------------------------------------------------


def test_messages_from_each_shape() -> None:
    graphql = {"errors": [{"message": "You've reached your account's rate limit"}]}
    assert harness_message(graphql, json.dumps(graphql)).startswith("You've reached")
    envelope = {"responseMessages": [{"code": "INVALID_TOKEN", "message": "Token is not valid."}]}
    assert harness_message(envelope, "") == "Token is not valid."
    assert "HTML error page" in harness_message(None, "<!DOCTYPE html><html>502</html>")
    assert harness_message(None, PLAIN_500) == PLAIN_500
    assert harness_message(None, "") == "(empty body)"
    assert harness_message({"errors": [{}]}, "") == "(no message)"
    assert harness_message("a JSON string", '"a JSON string"') == "a JSON string"


# ---- status classification --------------------------------------------------------------------


def test_429_is_rate_limited_and_never_processed(clock: FakeClock) -> None:
    c, _ = client(clock, [ok({})])
    with pytest.raises(Transient) as info:
        interpret(c, 429, '{"errors":[{"message":"rate limit","locations":[]}]}')
    assert info.value.rate_limited and not info.value.processed_maybe


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_server_errors_may_have_been_processed(clock: FakeClock, status: int) -> None:
    c, _ = client(clock, [ok({})])
    with pytest.raises(Transient) as info:
        interpret(c, status, "<html></html>")
    assert info.value.processed_maybe and not info.value.rate_limited


def test_only_a_plain_text_500_gets_limited_tries(clock: FakeClock) -> None:
    c, _ = client(clock, [ok({})])
    with pytest.raises(Transient) as plain:
        interpret(c, 500, PLAIN_500)
    assert plain.value.max_tries == PLAIN_500_TRIES
    with pytest.raises(Transient) as as_json:
        interpret(c, 500, '{"errors":[{"message":"busy"}]}')
    assert as_json.value.max_tries is None
    with pytest.raises(Transient) as proxy:
        interpret(c, 502, "Bad Gateway")
    assert proxy.value.max_tries is None


@pytest.mark.parametrize("status", [401, 403])
def test_rejected_credentials(clock: FakeClock, status: int) -> None:
    c, _ = client(clock, [ok({})])
    with pytest.raises(AuthError, match="Token is not valid"):
        interpret(c, status, '{"responseMessages":[{"message":"Token is not valid."}]}')


def test_404_names_the_url_and_hints_at_the_endpoint_forms(clock: FakeClock) -> None:
    c, _ = client(clock, [ok({})])
    with pytest.raises(HarnessUnavailable) as info:
        interpret(c, 404, "<html>Not Found</html>")
    text = str(info.value)
    assert f"HTTP 404 from {ENDPOINT}/api/graphql" in text
    assert "HARNESS_ENDPOINT should be the Harness base URL" in text and "/api/graphql" in text


def test_other_statuses_and_bodies(clock: FakeClock) -> None:
    c, _ = client(clock, [ok({})])
    with pytest.raises(HarnessError, match="HTTP 415"):
        interpret(c, 415, "")
    with pytest.raises(Transient, match="not JSON"):
        interpret(c, 200, '{"data": {')
    with pytest.raises(Transient, match="neither data nor errors"):
        interpret(c, 200, "{}")
    with pytest.raises(RefusedError, match="Validation error") as refused:
        interpret(c, 200, '{"errors":[{"message":"Validation error of type X"},{"message":"2"}]}')
    assert refused.value.messages == ["Validation error of type X", "2"]


def test_data_with_errors_per_alias(clock: FakeClock) -> None:
    c, _ = client(clock, [ok({})])
    result = interpret(
        c, 200, '{"data":{"a0":null,"a1":{"id":"1"}},"errors":[{"message":"nope","path":["a0"]}]}'
    )
    assert result.error_for("a0") == "nope" and result.error_for("a1") is None
    assert result.data["a1"] == {"id": "1"}


# ---- through the transport ---------------------------------------------------------------------


def test_a_query_is_posted_with_its_variables(clock: FakeClock) -> None:
    c, server = client(clock, [ok({"a0": {"id": "app1", "name": "A"}})])
    batch = documents.applications(["A"])
    result = c.run(batch, purpose="resolve", deadline=clock.now + 60)
    (answer,) = batch.answers(result)
    assert answer.node == {"id": "app1", "name": "A"}
    (request,) = server.requests
    assert request["url"] == f"{ENDPOINT}/api/graphql"
    assert request["params"] == {"accountId": "acct"}
    body = json.loads(request["data"])
    assert body["operationName"] == "ResolveApplications" and body["variables"] == {"a0": "A"}


def test_a_plain_text_500_is_tried_a_few_times_then_reported(clock: FakeClock) -> None:
    c, server = client(clock, [FakeResponse(500, PLAIN_500)])
    with pytest.raises(HarnessError, match="boom"):
        c.run(documents.statuses(["e1"]), purpose="read", deadline=clock.now + 3600)
    assert len(server.requests) == PLAIN_500_TRIES


def test_a_query_outlasts_a_proxy_error(clock: FakeClock) -> None:
    c, server = client(clock, [FakeResponse(502, "Bad Gateway")] * 6 + [ok({"x0": None})])
    c.run(documents.statuses(["e1"]), purpose="read", deadline=clock.now + 3600)
    assert len(server.requests) == 7


def test_a_mutation_whose_answer_is_lost_is_not_sent_again(clock: FakeClock) -> None:
    c, server = client(clock, [FakeResponse(502, "Bad Gateway"), ok({})])
    with pytest.raises(OutcomeUnknown):
        c.run(documents.starts([{}]), purpose="start", deadline=clock.now + 3600)
    assert len(server.requests) == 1


def test_a_mutation_gets_more_read_time_per_alias(clock: FakeClock) -> None:
    c, server = client(clock, [ok({})])
    c.run(documents.starts([{}] * 10), purpose="start", deadline=clock.now + 3600)
    c.run(documents.statuses(["e"] * 10), purpose="read", deadline=clock.now + 3600)
    timeout = c.settings.request_timeout
    assert server.requests[0]["read_timeout"] == pytest.approx(timeout * 2)
    assert server.requests[1]["read_timeout"] is None  # the transport's default


def test_a_first_429_is_retried_at_once_and_the_budget_not_throttled(clock: FakeClock) -> None:
    limited = FakeResponse(429, '{"errors":[{"message":"rate limit"}]}')
    c, server = client(clock, [limited, ok({})])
    c.run(documents.starts([{}]), purpose="start", deadline=clock.now + 3600)
    assert len(server.requests) == 2  # a 429 is refused before processing: safe to re-send
    assert server.requests[1]["at"] - server.requests[0]["at"] <= 1.0
    assert c.transport.budget.limit == 100


def test_repeated_429s_throttle(clock: FakeClock) -> None:
    limited = FakeResponse(429, '{"errors":[{"message":"rate limit"}]}')
    c, server = client(clock, [limited, limited, limited, ok({})])
    c.run(documents.statuses(["e"]), purpose="read", deadline=clock.now + 3600)
    assert len(server.requests) == 4
    assert c.transport.budget.limit == 50


def test_an_unreachable_endpoint_is_given_up_on_and_named(clock: FakeClock) -> None:
    c, server = client(clock, [requests.exceptions.ConnectTimeout()], give_up=20.0)
    begin = clock.now
    with pytest.raises(HarnessUnavailable) as info:
        c.run(documents.applications(["A"]), purpose="resolve", deadline=begin + 3600)
    assert f"{ENDPOINT}/api/graphql" in str(info.value) and "20s" in str(info.value)
    assert 20.0 <= clock.now - begin < 3600
    assert len(server.requests) > 1


def test_an_unreachable_endpoint_is_waited_out_once_something_started(clock: FakeClock) -> None:
    c, server = client(clock, [requests.exceptions.ConnectTimeout()], give_up=20.0)
    c.transport.unreachable_limit = None  # what FirstGenPlatform.started_something() does
    begin = clock.now
    with pytest.raises(HarnessError) as info:
        c.run(documents.statuses(["e"]), purpose="read", deadline=begin + 200)
    assert not isinstance(info.value, HarnessUnavailable)
    assert server.requests[-1]["at"] - server.requests[0]["at"] > 20.0


# ---- REST abort --------------------------------------------------------------------------------


class FakeAbortServer:
    def __init__(self, clock: FakeClock, replies: list[Scripted]) -> None:
        self.clock = clock
        self.replies = replies
        self.calls: list[dict[str, Any]] = []

    def __call__(self, session: Any, method: str, url: str, **kwargs: Any) -> Reply:
        self.calls.append({"method": method, "url": url, **kwargs})
        reply = self.replies.pop(0) if len(self.replies) > 1 else self.replies[0]
        self.clock.advance(0.1)
        if isinstance(reply, Exception):
            raise reply
        return Reply(reply.status_code, reply.text, 0.1)


def aborting(
    clock: FakeClock, monkeypatch: pytest.MonkeyPatch, replies: list[Scripted]
) -> tuple[GraphQLClient, FakeAbortServer]:
    from harness_gate import transport

    monkeypatch.setattr(transport, "time", clock.as_time_module())  # the retry loop's clock
    c, _ = client(clock, [ok({})])
    server = FakeAbortServer(clock, replies)
    c.transport.send_once_direct = server  # type: ignore[method-assign]
    return c, server


def test_abort_is_a_rest_put_of_abort_all(
    clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    c, server = aborting(clock, monkeypatch, [FakeResponse(200, '{"resource": {}}')])
    outcome = c.abort("ex-1", "app-1", timeout=3.0)
    assert outcome.accepted and outcome.message == "abort accepted by Harness"
    (call,) = server.calls
    assert call["method"] == "PUT" and call["url"] == f"{ENDPOINT}/api/executions/ex-1"
    assert call["params"] == {"appId": "app-1", "accountId": "acct"}
    assert call["json_body"] == {"executionInterruptType": "ABORT_ALL"}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            '{"responseMessages":[{"message":"Workflow has already been aborted"}]}',
            "abort accepted",
        ),
        ('{"responseMessages":[{"message":"Execution has already completed"}]}', "nothing to"),
    ],
)
def test_an_abort_of_an_ended_run_is_accepted(
    clock: FakeClock, monkeypatch: pytest.MonkeyPatch, text: str, message: str
) -> None:
    c, _ = aborting(clock, monkeypatch, [FakeResponse(400, text)])
    outcome = c.abort("ex-1", "app-1", timeout=3.0)
    assert outcome.accepted and outcome.message.startswith(message)


def test_an_abort_is_retried_past_a_proxy_error(
    clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    c, server = aborting(
        clock, monkeypatch, [FakeResponse(502, "Bad Gateway"), FakeResponse(200, "{}")]
    )
    assert c.abort("ex-1", "app-1", timeout=3.0).accepted
    assert len(server.calls) == 2


def test_an_abort_harness_refuses_is_not_retried(
    clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    c, server = aborting(
        clock,
        monkeypatch,
        [FakeResponse(400, '{"responseMessages":[{"message":"User not authorized"}]}')],
    )
    outcome = c.abort("ex-1", "app-1", timeout=3.0)
    assert not outcome.accepted
    assert outcome.message == "abort refused (HTTP 400): User not authorized"
    assert len(server.calls) == 1


def test_an_abort_that_never_connects_is_not_confirmed_within_its_time(
    clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    c, server = aborting(clock, monkeypatch, [requests.exceptions.ConnectTimeout()])
    begin = clock.now
    outcome = c.abort("ex-1", "app-1", timeout=3.0)
    assert not outcome.accepted and outcome.message == "abort not confirmed: connection timed out"
    assert len(server.calls) >= 2 and clock.now - begin <= 3.0
