"""API key, account id and the two rate limiters, as the real server applies them."""

from __future__ import annotations

import requests
from emulator_helpers import Client

from harness_gate.emulator import Emulator
from harness_gate.emulator.fixture import derived_api_key
from harness_gate.emulator.state import SlidingWindow

QUERY = '{ applicationByName(name: "Harness Demo") { id } }'
INVALID_TOKEN = {
    "metaData": None,
    "resource": None,
    "responseMessages": [
        {
            "code": "INVALID_TOKEN",
            "level": "ERROR",
            "message": "Token is not valid.",
            "exception": None,
            "failureTypes": [],
        }
    ],
}
RATE_LIMITED = {
    "errors": [
        {
            "message": "You've reached your account's rate limit for data queries. "
            "Please try again later.",
            "locations": [],
        }
    ]
}


def _assert_401(response: requests.Response) -> None:
    assert response.status_code == 401
    assert response.json() == INVALID_TOKEN
    assert response.headers["X-Harness-Error"] == "INVALID_TOKEN"


def test_missing_key(client: Client) -> None:
    _assert_401(client.post(QUERY, headers={}))


def test_wrong_key(client: Client, emu: Emulator) -> None:
    _assert_401(client.post(QUERY, headers={"X-Api-Key": emu.api_key + "x"}))


def test_wrong_account_id_fails_a_good_key(client: Client, emu: Emulator) -> None:
    _assert_401(client.post(QUERY, params={"accountId": "someOtherAccount"}))


def test_header_name_is_case_insensitive_and_account_id_optional(
    client: Client, emu: Emulator
) -> None:
    body = client.gql(QUERY, headers={"x-api-key": emu.api_key}, params={})
    assert body["data"]["applicationByName"]["id"]


def test_key_shape_and_overrides() -> None:
    emulator = Emulator(account_id="acct123")
    assert emulator.account_id == "acct123"
    assert emulator.api_key == derived_api_key("acct123")
    assert emulator.api_key.startswith("YWNjdDEyMzo6")  # base64("acct123::")
    assert Emulator(api_key="k").api_key == "k"


def test_default_limit_is_30_per_minute_with_the_real_429() -> None:
    with Emulator() as emu:
        client = Client(emu)
        for _ in range(30):
            assert client.post(QUERY).status_code == 200
        # Control requests do not count and are not limited.
        assert requests.get(emu.base_url + "/_emulator/clock", timeout=5).status_code == 200
        response = client.post(QUERY)
        assert response.status_code == 429
        assert response.json() == RATE_LIMITED
        assert "Retry-After" not in response.headers
        log = emu.requests()
        assert [r["rate_limited"] for r in log[-2:]] == [False, True]
        assert log[-1]["status"] == 429


def test_401_is_answered_before_the_rate_limit() -> None:
    with Emulator(rate_limit=1) as emu:
        client = Client(emu)
        assert client.post(QUERY).status_code == 200
        _assert_401(client.post(QUERY, headers={}))
        assert client.post(QUERY).status_code == 429


def test_configurable_and_off() -> None:
    with Emulator(rate_limit=3) as emu:
        client = Client(emu)
        assert [client.post(QUERY).status_code for _ in range(4)] == [200, 200, 200, 429]
    with Emulator(rate_limit=None) as emu:
        client = Client(emu)
        assert {client.post(QUERY).status_code for _ in range(40)} == {200}


def test_sliding_window_does_not_record_rejected_calls() -> None:
    window = SlidingWindow(2, 60.0)
    assert window.allow(0.0) and window.allow(10.0)
    assert not window.allow(20.0)
    assert not window.allow(59.0)
    # The call at 0 left the window at 60; rejected calls at 20 and 59 were never counted.
    assert window.allow(60.5)
    assert not window.allow(61.0)
    assert window.allow(70.5)


def test_rest_abort_has_its_own_plain_text_limit() -> None:
    with Emulator() as emu:
        client = Client(emu)
        statuses = [client.abort("nope").status_code for _ in range(50)]
        assert set(statuses) == {400}
        response = client.abort("nope")
        assert response.status_code == 429
        assert response.text == "Too Many requests. Throttled. Max QPS: 2.5"
        assert "Retry-After" not in response.headers
        assert client.post(QUERY).status_code == 200  # the GraphQL budget is separate


def test_abort_needs_the_api_key(emu: Emulator) -> None:
    response = requests.put(
        f"{emu.base_url}/api/executions/x",
        params={"appId": "a", "accountId": emu.account_id},
        json={"executionInterruptType": "ABORT_ALL"},
        timeout=5,
    )
    _assert_401(response)
