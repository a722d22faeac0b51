"""NextGen answers turned into data, retries and plain messages; keys checked before calls."""

from __future__ import annotations

import json
from typing import Any

import pytest

from harness_gate.errors import AuthError, UsageError
from harness_gate.model import NEXTGEN, DeploymentResult
from harness_gate.platforms.nextgen import check_key, ui_base
from harness_gate.platforms.nextgen.client import ApiError, RestClient, error_words
from harness_gate.settings import ConnectionSettings, Secret
from harness_gate.transport import Reply, Transient

ACCOUNT = "Acct123"
PAT = f"pat.{ACCOUNT}.tok.secret"


def settings(
    key: str = PAT, account: str = ACCOUNT, endpoint: str = "https://x.io/gateway"
) -> ConnectionSettings:
    return ConnectionSettings(endpoint=endpoint, account_id=account, api_key=Secret(key))


class FakeTransport:
    def __init__(self) -> None:
        self.settings = settings()


def client() -> RestClient:
    return RestClient(FakeTransport())  # type: ignore[arg-type]


def reply(status: int, body: Any) -> Reply:
    return Reply(status, body if isinstance(body, str) else json.dumps(body), 0.01)


def test_success_envelope_gives_data() -> None:
    data = client().interpret(reply(200, {"status": "SUCCESS", "data": {"a": 1}}), "x", [0])
    assert data == {"a": 1}


def test_error_dto_is_an_api_error_with_correlation_id() -> None:
    body = {
        "status": "ERROR",
        "code": "INVALID_REQUEST",
        "message": "Invalid request: Cannot execute a Draft Pipeline",
        "correlationId": "c-1",
    }
    with pytest.raises(ApiError) as caught:
        client().interpret(reply(400, body), "start d", [0])
    assert caught.value.code == "INVALID_REQUEST" and caught.value.status == 400
    assert (
        caught.value.words == "Invalid request: Cannot execute a Draft Pipeline (correlationId c-1)"
    )


def test_failure_dto_names_the_fields() -> None:
    body = {
        "status": "FAILURE",
        "code": "INVALID_REQUEST",
        "message": "",
        "errors": [{"fieldId": "orgIdentifier", "error": "must not be null"}],
    }
    assert error_words(body, "")[1] == "orgIdentifier: must not be null"


def test_access_denied_is_per_resource_other_403s_are_auth() -> None:
    denied = {"status": "ERROR", "code": "NG_ACCESS_DENIED", "message": "Missing permission"}
    with pytest.raises(ApiError):
        client().interpret(reply(403, denied), "x", [0])
    with pytest.raises(AuthError):
        client().interpret(reply(403, {"code": "ACCESS_DENIED", "message": "no"}), "x", [0])


def test_429_and_5xx_are_transient() -> None:
    with pytest.raises(Transient) as caught:
        client().interpret(reply(429, "<html>Too many</html>"), "x", [0])
    assert caught.value.rate_limited and not caught.value.processed_maybe
    with pytest.raises(Transient) as caught:
        client().interpret(reply(500, {"code": "UNKNOWN_ERROR", "message": "Oops"}), "x", [0])
    assert caught.value.processed_maybe


def test_one_401_is_retried_the_second_is_an_auth_error() -> None:
    count = [0]
    body = {"status": "ERROR", "code": "INVALID_TOKEN", "message": "Token is not valid."}
    with pytest.raises(Transient) as caught:
        client().interpret(reply(401, body), "x", count)
    assert not caught.value.processed_maybe
    with pytest.raises(AuthError, match="Token is not valid"):
        client().interpret(reply(401, body), "x", count)


def test_a_200_that_is_not_json_is_transient() -> None:
    with pytest.raises(Transient):
        client().interpret(reply(200, "<html>proxy</html>"), "x", [0])


def test_check_key() -> None:
    check_key(settings())
    check_key(settings(key="sat.tok.secret"))  # the old three-part format names no account
    with pytest.raises(UsageError, match="FirstGen"):
        check_key(settings(key="QWNjdDEyMzo6c29tZXRoaW5nLXJhbmRvbQ=="))
    with pytest.raises(UsageError, match="belongs to account 'Acct123'"):
        check_key(settings(account="Other"))


def test_ui_base_from_the_gateway_url() -> None:
    assert ui_base(settings()) == "https://x.io/ng"
    assert ui_base(settings(endpoint="https://x.io/gateway/api/graphql")) == "https://x.io/ng"
    assert ui_base(settings(endpoint="https://vanity.harness.io")) == "https://vanity.harness.io/ng"


def test_junit_classname_splits_org_and_project() -> None:
    ng = DeploymentResult("d", "default/shop", "pipeline", "deploy", platform=NEXTGEN)
    assert ng.classname == "harness.default.shop.deploy"
    fg = DeploymentResult("d", "Team/App", "workflow", "Deploy")
    assert fg.classname == "harness.Team_App.Deploy"


def test_connect_sends_the_token_and_account_with_the_nextgen_budget() -> None:
    import io

    from harness_gate.console import Console
    from harness_gate.platforms import connect
    from harness_gate.platforms.nextgen import DEFAULT_NG_MAX_RPM, NextGenPlatform
    from harness_gate.stopper import Stopper

    p = connect(NEXTGEN, settings(), Console(io.StringIO()), Stopper())
    try:
        assert isinstance(p, NextGenPlatform)
        assert p.budget.max_per_minute == DEFAULT_NG_MAX_RPM
        headers = p.transport._session.headers
        assert headers["x-api-key"] == PAT and headers["Harness-Account"] == ACCOUNT
        assert (p.start_batch, p.name) == (1, "nextgen")
    finally:
        p.close()
    given = settings()
    given.max_rpm, given.max_rpm_given = 7, True
    p = connect(NEXTGEN, given, Console(io.StringIO()), Stopper())
    try:
        assert p.budget.max_per_minute == 7
    finally:
        p.close()
