"""HTTP transport as the real server does it: paths, methods, content types, error shapes."""

from __future__ import annotations

import json
import time

import requests
from emulator_helpers import DEMO_APP, Client, assert_valid_for_real_server

from harness_gate.emulator import Emulator

APP_QUERY = '{ applicationByName(name: "Harness Demo") { id name } }'
EMPTY_ENVELOPE = {"metaData": None, "resource": None, "responseMessages": []}


def test_both_paths_answer_graphql(client: Client) -> None:
    for path in ("/gateway/api/graphql", "/api/graphql"):
        body = client.gql(APP_QUERY, path=path)
        assert body == {"data": {"applicationByName": {"id": DEMO_APP, "name": "Harness Demo"}}}


def test_operation_name_and_variables(client: Client) -> None:
    query = """
    query A($n: String!) { applicationByName(name: $n) { id } }
    query B { applicationByName(name: "Payments") { name } }
    """
    body = client.gql(query, {"n": "Harness Demo"}, operation="A")
    assert body == {"data": {"applicationByName": {"id": DEMO_APP}}}
    body = client.gql(query, operation="B")
    assert body == {"data": {"applicationByName": {"name": "Payments"}}}


def test_other_methods_get_405_empty_envelope(emu: Emulator) -> None:
    for method in ("GET", "PUT", "DELETE"):
        r = requests.request(
            method,
            emu.endpoint,
            params={"accountId": emu.account_id, "query": APP_QUERY},
            headers={"X-Api-Key": emu.api_key},
            timeout=5,
        )
        assert r.status_code == 405
        assert r.json() == EMPTY_ENVELOPE


def test_unsupported_content_type_gets_415(emu: Emulator) -> None:
    r = requests.post(
        emu.endpoint,
        params={"accountId": emu.account_id},
        data=json.dumps({"query": APP_QUERY}),
        headers={"X-Api-Key": emu.api_key, "Content-Type": "application/graphql"},
        timeout=5,
    )
    assert r.status_code == 415
    assert r.json() == EMPTY_ENVELOPE


def test_text_plain_raw_query(emu: Emulator) -> None:
    r = requests.post(
        emu.endpoint,
        params={"accountId": emu.account_id},
        data=APP_QUERY.encode(),
        headers={"X-Api-Key": emu.api_key, "Content-Type": "text/plain"},
        timeout=5,
    )
    assert r.status_code == 200
    assert r.json()["data"]["applicationByName"]["id"] == DEMO_APP


def test_multipart_query_part(emu: Emulator) -> None:
    r = requests.post(
        emu.endpoint,
        params={"accountId": emu.account_id},
        files={"query": (None, json.dumps({"query": APP_QUERY}), "application/json")},
        headers={"X-Api-Key": emu.api_key},
        timeout=5,
    )
    assert r.status_code == 200, r.text
    assert r.json()["data"]["applicationByName"]["id"] == DEMO_APP


def test_malformed_json_body_is_400_rest_envelope(emu: Emulator) -> None:
    r = requests.post(
        emu.endpoint,
        params={"accountId": emu.account_id},
        data=b'{"query": ',
        headers={"X-Api-Key": emu.api_key, "Content-Type": "application/json"},
        timeout=5,
    )
    assert r.status_code == 400
    (message,) = r.json()["responseMessages"]
    assert message["code"] == "DEFAULT_ERROR_CODE"
    assert message["message"].startswith("Unable to process JSON ")


def test_missing_query_is_500_plain_text(emu: Emulator) -> None:
    r = requests.post(
        emu.endpoint,
        params={"accountId": emu.account_id},
        json={"variables": {}},
        headers={"X-Api-Key": emu.api_key},
        timeout=5,
    )
    assert r.status_code == 500
    assert r.headers["Content-Type"].startswith("text/plain")
    assert r.text.startswith(
        f"Error while handling api request for Graphql api for accountId {emu.account_id} : "
    )


def test_unknown_path_is_404(emu: Emulator) -> None:
    r = requests.get(emu.base_url + "/api/nothing", timeout=5)
    assert r.status_code == 404


def test_syntax_error_has_errors_without_data(client: Client) -> None:
    body = client.gql("{ applicationByName(name: ", real_check=False)
    assert "data" not in body
    (error,) = body["errors"]
    assert error["message"].startswith("Invalid Syntax : ")
    assert error["locations"]


def test_validation_errors_in_graphql_java_words_without_data(client: Client) -> None:
    body = client.gql("{ foo }", real_check=False)
    assert body == {
        "errors": [
            {
                "message": "Validation error of type FieldUndefined: "
                "Field 'foo' in type 'Query' is undefined @ 'foo'",
                "locations": [{"line": 1, "column": 3}],
            }
        ]
    }
    body = client.gql(
        '{ applicationByName(name: "x") { pipelines { nodes { id } } } }', real_check=False
    )
    assert "data" not in body
    assert body["errors"][0]["message"] == (
        "Validation error of type MissingFieldArgument: "
        "Missing field argument limit @ 'applicationByName/pipelines'"
    )


def test_variable_coercion_error_without_data(client: Client) -> None:
    query = "mutation($i: StartExecutionInput!) { startExecution(input: $i) { clientMutationId } }"
    body = client.gql(
        query, {"i": {"applicationId": DEMO_APP, "entityId": None, "executionType": "WORKFLOW"}}
    )
    assert "data" not in body
    assert body["errors"][0]["message"] == (
        "Field 'entityId' of variable 'i' has coerced Null value for NonNull type 'String!'"
    )


def test_field_error_shape(client: Client) -> None:
    body = client.gql('{ applicationByName(name: "nope") { id } }')
    assert body == {
        "errors": [
            {
                "message": "Exception while fetching data (/applicationByName) : "
                "Invalid request: Application does not exist",
                "locations": [{"line": 1, "column": 3}],
                "path": ["applicationByName"],
            }
        ],
        "data": {"applicationByName": None},
    }


def test_field_errors_use_alias_in_path_and_keep_other_fields(client: Client) -> None:
    body = client.gql(
        '{ good: applicationByName(name: "Payments") { name } '
        'bad: application(applicationId: "x") { id } }'
    )
    assert body["data"] == {"good": {"name": "Payments"}, "bad": None}
    (error,) = body["errors"]
    assert error["path"] == ["bad"]
    assert (
        error["message"]
        == "Exception while fetching data (/bad) : User not authorized: ACCESS_DENIED"
    )
    assert "extensions" not in error


def test_query_depth_limit_is_10(client: Client) -> None:
    loop = "environments(limit: 1) {{ nodes {{ application {{ {} }} }} }}"  # 3 levels
    inner = "id"
    for _ in range(3):
        inner = loop.format(inner)
    deep = f'{{ applicationByName(name: "Harness Demo") {{ {inner} }} }}'  # 1 + 9 + 1
    body = client.gql(deep, real_check=False)
    assert body == {
        "errors": [{"message": "maximum query depth exceeded 11 > 10", "locations": []}]
    }
    inner = "environments(limit: 1) { nodes { id } }"
    for _ in range(2):
        inner = loop.format(inner)
    ok = f'{{ applicationByName(name: "Harness Demo") {{ {inner} }} }}'  # 1 + 6 + 3
    assert "errors" not in client.gql(ok)


def test_introspection_is_served(client: Client) -> None:
    body = client.gql("{ __schema { queryType { name } } }", real_check=False)
    assert body == {"data": {"__schema": {"queryType": {"name": "Query"}}}}


def test_two_hundred_aliases_answer_well_under_a_second(client: Client) -> None:
    execution = client.start("80Z1CTXwTMeJLQV_RNxjkQ")
    fields = "\n".join(
        f'e{i}: execution(executionId: "{execution["id"]}") {{ id status createdAt startedAt '
        f"endedAt failureDetails executionUrl application {{ id name }} }}"
        for i in range(200)
    )
    query = f"query Many {{ {fields} }}"
    assert_valid_for_real_server(query)
    timings = []
    for _ in range(2):  # the first parses and validates; pollers then hit the prepared cache
        began = time.monotonic()
        body = client.gql(query, real_check=False)
        timings.append(time.monotonic() - began)
        assert len(body["data"]) == 200 and "errors" not in body
    assert timings[0] < 0.9 and timings[1] < 0.5, timings


def test_stop_is_fast_and_idempotent() -> None:
    emulator = Emulator(rate_limit=None).start()
    session = requests.Session()  # a keep-alive connection must not hold the stop up
    session.post(
        emulator.endpoint,
        json={"query": APP_QUERY},
        headers={"X-Api-Key": emulator.api_key},
        timeout=5,
    )
    emulator.stop()
    emulator.stop()  # idempotent
    try:
        session.post(emulator.endpoint, json={"query": APP_QUERY}, timeout=2)
        raise AssertionError("the stopped emulator still answered")
    except requests.ConnectionError:
        pass


def test_start_and_stop_as_a_context_manager() -> None:
    with Emulator() as emulator:
        assert emulator.endpoint.startswith("http://127.0.0.1:")
        assert emulator.endpoint.endswith("/gateway/api/graphql")
        assert emulator.env() == {
            "HARNESS_ENDPOINT": emulator.endpoint,
            "HARNESS_ACCOUNT_ID": emulator.account_id,
            "HARNESS_API_KEY": emulator.api_key,
        }
    assert not emulator.running
