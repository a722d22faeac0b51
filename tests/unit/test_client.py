"""How the client reads Harness's three answer shapes and classifies failures."""

from __future__ import annotations

import io
import json

import pytest
import requests
from harness_gate.client import (
    HarnessClient,
    StartOutcomeUnknown,
    _describe_transport_error,
    _harness_message,
    _Transient,
)

from harness_gate.budget import RequestBudget
from harness_gate.console import Console
from harness_gate.errors import AuthError, GraphQLError, HarnessError
from harness_gate.settings import Secret, Settings
from harness_gate.stopper import Stopper

KEY = "c2VjcmV0OjprZXk="


def client() -> HarnessClient:
    settings = Settings("http://127.0.0.1:9/api/graphql", "acct", Secret(KEY))
    return HarnessClient(settings, Console(io.StringIO()), RequestBudget(100), Stopper())


def test_messages_from_each_shape() -> None:
    graphql = {"errors": [{"message": "You've reached your account's rate limit"}]}
    assert _harness_message(graphql, json.dumps(graphql)).startswith("You've reached")
    envelope = {"responseMessages": [{"code": "INVALID_TOKEN", "message": "Token is not valid."}]}
    assert _harness_message(envelope, "") == "Token is not valid."
    assert "HTML error page" in _harness_message(None, "<!DOCTYPE html><html>502</html>")
    plain = "Error while handling api request for Graphql api for accountId x : boom"
    assert _harness_message(None, plain) == plain
    assert _harness_message(None, "") == "(empty body)"


def test_interpretation_of_statuses() -> None:
    c = client()
    with pytest.raises(_Transient) as info:
        c._interpret(429, '{"errors":[{"message":"rate limit","locations":[]}]}', "x")
    assert info.value.rate_limited and not info.value.processed_maybe
    for status in (500, 502, 503, 504):
        with pytest.raises(_Transient) as info:
            c._interpret(status, "<html></html>", "x")
        assert info.value.processed_maybe
    with pytest.raises(AuthError, match="Token is not valid"):
        c._interpret(401, '{"responseMessages":[{"message":"Token is not valid."}]}', "x")
    with pytest.raises(HarnessError, match="HTTP 415"):
        c._interpret(415, "", "x")
    with pytest.raises(_Transient, match="not JSON"):
        c._interpret(200, '{"data": {', "x")
    with pytest.raises(GraphQLError, match="Validation error"):
        c._interpret(200, '{"errors":[{"message":"Validation error of type X"}]}', "x")
    result = c._interpret(
        200,
        '{"data":{"a0":null,"a1":{"id":"1"}},"errors":[{"message":"nope","path":["a0"]}]}',
        "x",
    )
    assert result.error_for("a0") == "nope" and result.error_for("a1") is None


def test_transport_errors_say_whether_the_request_may_have_arrived() -> None:
    assert _describe_transport_error(requests.exceptions.ConnectTimeout()) == (
        "connection timed out",
        False,
    )
    assert _describe_transport_error(requests.exceptions.ReadTimeout())[1] is True
    assert _describe_transport_error(requests.exceptions.ConnectionError("reset"))[1] is True


def test_mutation_to_a_closed_port_is_never_reported_as_unknown() -> None:
    # Nothing listens on port 9: the connection is refused, so the start surely did not arrive
    # and the client may retry it until the deadline, then gives up with a HarnessError.
    import time

    with pytest.raises(HarnessError):
        client().mutate("mutation { x }", {}, purpose="start", deadline=time.monotonic() + 0.5)


def test_the_key_is_never_in_a_repr() -> None:
    c = client()
    assert KEY not in repr(c.settings)
    assert c.console.redact(f"header {KEY}") == "header ***"
    assert not isinstance(StartOutcomeUnknown("x"), HarnessError)
