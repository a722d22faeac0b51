"""Fault injection and the /_emulator/ control API; the request log."""

from __future__ import annotations

import time

import pytest
import requests
from emulator_helpers import DEMO_APP, EXECUTION, START, WF, Client

from harness_gate.emulator import Emulator, FaultError

APP_QUERY = '{ applicationByName(name: "Harness Demo") { id } }'
RATE_LIMITED = {
    "errors": [
        {
            "message": "You've reached your account's rate limit for data queries. "
            "Please try again later.",
            "locations": [],
        }
    ]
}


def _start_input(entity: str = WF["Smoke Test"]) -> dict[str, object]:
    return {"input": {"applicationId": DEMO_APP, "entityId": entity, "executionType": "WORKFLOW"}}


def test_http_429_fault(client: Client, emu: Emulator) -> None:
    emu.add_fault("http_429", match="applicationByName")
    client.gql(EXECUTION, {"id": "x"})  # another field: not matched, not consumed
    response = client.post(APP_QUERY)
    assert response.status_code == 429
    assert response.json() == RATE_LIMITED
    assert "Retry-After" not in response.headers
    assert client.post(APP_QUERY).status_code == 200  # count 1: used up
    entry = emu.requests()[-2]
    assert (
        entry["fault"] == "http_429" and entry["status"] == 429 and entry["rate_limited"] is False
    )


def test_http_500_fault_is_plain_text(client: Client, emu: Emulator) -> None:
    emu.add_fault("http_500", count=2)
    for _ in range(2):
        response = client.post(APP_QUERY)
        assert response.status_code == 500
        assert response.headers["Content-Type"].startswith("text/plain")
        assert response.text == (
            "Error while handling api request for Graphql api for accountId "
            f"{emu.account_id} : java.lang.NullPointerException"
        )
    assert client.post(APP_QUERY).status_code == 200


@pytest.mark.parametrize("status", [502, 503, 504])
def test_load_balancer_faults_are_html(client: Client, emu: Emulator, status: int) -> None:
    emu.add_fault(f"http_{status}")
    response = client.post(APP_QUERY)
    assert response.status_code == status
    assert response.headers["Content-Type"].startswith("text/html")
    assert f"<h1>{status} " in response.text


def test_error_fault_with_process_really_starts(client: Client, emu: Emulator) -> None:
    emu.add_fault("http_502", match="startExecution", process=True)
    response = client.post(START, _start_input())
    assert response.status_code == 502
    (execution,) = emu.executions()
    entry = emu.requests()[-1]
    assert entry["started_execution_ids"] == [execution["id"]]
    assert entry["fault"] == "http_502"


def test_error_fault_without_process_starts_nothing(client: Client, emu: Emulator) -> None:
    emu.add_fault("http_503", match="startExecution")
    assert client.post(START, _start_input()).status_code == 503
    assert emu.executions() == []


def test_drop_fault_closes_without_answer(client: Client, emu: Emulator) -> None:
    emu.add_fault("drop", match="startExecution")
    with pytest.raises(requests.ConnectionError):
        client.post(START, _start_input())
    assert emu.executions() == []
    assert emu.requests()[-1]["status"] == 0
    assert emu.requests()[-1]["fault"] == "drop"


def test_lost_start_response(client: Client, emu: Emulator) -> None:
    emu.add_fault("drop", match="startExecution", process=True)
    with pytest.raises(requests.ConnectionError):
        client.post(START, _start_input())
    (execution,) = emu.executions()
    # The client can find what it started.
    q = """query($f: [ExecutionFilter]) { executions(filters: $f, limit: 5) { nodes { id } } }"""
    found = client.gql(
        q, {"f": [{"workflow": {"operator": "EQUALS", "values": [WF["Smoke Test"]]}}]}
    )
    assert found["data"]["executions"]["nodes"] == [{"id": execution["id"]}]


def test_delay_fault(client: Client, emu: Emulator) -> None:
    emu.add_fault("delay", seconds=0.2)
    assert client.gql(APP_QUERY)["data"]["applicationByName"]["id"] == DEMO_APP
    assert emu.requests()[-1]["fault"] == "delay"
    assert emu.requests()[-1]["duration_ms"] >= 200


def test_delay_does_not_hold_up_stop() -> None:
    emulator = Emulator(rate_limit=None).start()
    emulator.add_fault("delay", seconds=30)
    client = Client(emulator)
    import threading

    thread = threading.Thread(target=lambda: _ignore_errors(client, APP_QUERY), daemon=True)
    thread.start()
    time.sleep(0.1)
    stopper = threading.Thread(target=emulator.stop, daemon=True)
    stopper.start()
    # A hang guard, far inside the 30 s the delayed answer would take: stop() must not wait
    # for it (speed itself is for the benchmarks).
    stopper.join(10)
    assert not stopper.is_alive()
    thread.join(2)


def _ignore_errors(client: Client, query: str) -> None:
    try:
        client.post(query)
    except requests.RequestException:
        pass


def test_malformed_fault(client: Client, emu: Emulator) -> None:
    emu.add_fault("malformed")
    response = client.post(APP_QUERY)
    assert response.status_code == 200
    with pytest.raises(ValueError):
        response.json()
    emu.add_fault("malformed", match="startExecution", process=True)
    response = client.post(START, _start_input())
    assert response.status_code == 200 and response.text.startswith('{"data":{"startExecution"')
    with pytest.raises(ValueError):
        response.json()
    assert len(emu.executions()) == 1


def test_start_null_fault_applies_to_every_alias(client: Client, emu: Emulator) -> None:
    emu.add_fault("start_null")
    client.gql(APP_QUERY)  # not a start: the fault waits for one
    query = """mutation($a: StartExecutionInput!, $b: StartExecutionInput!) {
      one: startExecution(input: $a) { execution { id } }
      two: startExecution(input: $b) { execution { id } }
    }"""
    variables = {
        "a": _start_input()["input"],
        "b": _start_input(WF["Erroring Deployment"])["input"],
    }
    body = client.gql(query, variables)
    assert body == {"data": {"one": None, "two": None}}
    assert len(emu.executions()) == 2
    entry = emu.requests()[-1]
    assert entry["fields"] == ["startExecution", "startExecution"]
    assert entry["aliases"] == ["one", "two"]
    assert entry["started_execution_ids"] == [e["id"] for e in emu.executions()]
    assert entry["fault"] == "start_null"


def test_execution_not_found_fault(client: Client, emu: Emulator) -> None:
    emu.add_fault("execution_not_found", polls=2)
    hidden = client.start(WF["Smoke Test"])["id"]
    shown = client.start(WF["Smoke Test"])["id"]
    q = "query($id: String!) { execution(executionId: $id) { id } }"
    listing = "{ executions(limit: 10) { nodes { id } } }"
    for _ in range(2):
        body = client.gql(q, {"id": hidden})
        assert body["errors"][0]["message"].endswith(
            "Invalid request: Execution does not exist or access is denied"
        )
    assert client.gql(q, {"id": hidden})["data"]["execution"] == {"id": hidden}
    assert client.gql(q, {"id": shown})["data"]["execution"] == {"id": shown}
    nodes = client.gql(listing)["data"]["executions"]["nodes"]
    assert {n["id"] for n in nodes} == {hidden, shown}
    assert len(emu.executions()) == 2


def test_execution_not_found_hides_from_listing_too(client: Client, emu: Emulator) -> None:
    emu.add_fault("execution_not_found", polls=1)
    hidden = client.start(WF["Smoke Test"])["id"]
    assert (
        client.gql("{ executions(limit: 10) { nodes { id } } }")["data"]["executions"]["nodes"]
        == []
    )
    nodes = client.gql("{ executions(limit: 10) { nodes { id } } }")["data"]["executions"]["nodes"]
    assert nodes == [{"id": hidden}]


def test_abort_matches_rest_abort(client: Client, emu: Emulator) -> None:
    eid = client.start(WF["Long Running Deployment"])["id"]
    emu.add_fault("http_500", match="abort")
    response = client.abort(eid)
    assert response.status_code == 500
    assert response.json()["responseMessages"][0]["code"] == "DEFAULT_ERROR_CODE"
    assert client.abort(eid).status_code == 200
    entry = emu.requests()[-1]
    assert entry["kind"] == "rest" and entry["fields"] == ["abort"] and entry["path"].endswith(eid)


def test_bad_faults_are_refused(emu: Emulator) -> None:
    with pytest.raises(FaultError):
        emu.add_fault("teapot")
    with pytest.raises(FaultError):
        emu.add_fault("delay", count=0)
    with pytest.raises(FaultError):
        emu.add_fault("drop", seconds=3)


def test_request_log_record(client: Client, emu: Emulator) -> None:
    client.gql(
        "query Lookup($n: String!) { applicationByName(name: $n) { id } }", {"n": emu.api_key}
    )
    (entry,) = emu.requests()
    assert entry["seq"] == 1
    assert entry["method"] == "POST" and entry["path"] == "/gateway/api/graphql"
    assert entry["kind"] == "graphql" and entry["operation"] is None
    assert entry["fields"] == ["applicationByName"] and entry["aliases"] == ["applicationByName"]
    assert entry["variables"] == {"n": "<redacted>"}
    assert entry["status"] == 200 and entry["fault"] is None and entry["rate_limited"] is False
    assert entry["started_execution_ids"] == []
    assert abs(entry["wall"] - time.time()) < 5
    assert abs(entry["time"] - emu.now()) < 5
    assert entry["duration_ms"] >= 0
    emu.clear_requests()
    assert emu.requests() == []


def test_control_http_api(client: Client, emu: Emulator) -> None:
    base = emu.base_url + "/_emulator"
    response = requests.post(
        base + "/faults",
        json={"kind": "http_503", "match": "*", "count": 1, "params": {}},
        timeout=5,
    )
    assert response.status_code == 200
    assert response.json()["queued"] == {"kind": "http_503", "match": "*", "count": 1, "params": {}}
    assert requests.get(base + "/faults", timeout=5).json()["faults"][0]["kind"] == "http_503"
    assert client.post(APP_QUERY).status_code == 503
    bad = requests.post(base + "/faults", json={"kind": "nope"}, timeout=5)
    assert bad.status_code == 400 and "unknown fault kind" in bad.json()["error"]

    client.start(WF["Smoke Test"])
    log = requests.get(base + "/requests", timeout=5).json()
    assert [e["fields"] for e in log] == [["applicationByName"], ["startExecution"]]
    executions = requests.get(base + "/executions", timeout=5).json()
    assert executions == emu.executions()
    assert set(executions[0]) == {
        "id",
        "application_id",
        "entity_type",
        "entity_id",
        "entity_name",
        "status",
        "notes",
        "created_at",
        "started_at",
        "ended_at",
        "aborted",
        "history",
        "variables",
        "service_inputs",
        "waiting_for",
        "continue_with_defaults",
    }
    assert executions[0]["entity_type"] == "workflow" and executions[0]["status"] == "RUNNING"

    clock = requests.get(base + "/clock", timeout=5).json()
    assert set(clock) == {"now", "now_ms", "time_scale", "wall"}
    advanced = requests.post(base + "/clock", json={"advance": 31}, timeout=5).json()
    assert advanced["now"] - clock["now"] >= 31
    assert emu.executions()[0]["status"] == "SUCCESS"

    assert requests.delete(base + "/requests", timeout=5).json() == {"cleared": 2}
    emu.add_fault("drop")
    assert requests.post(base + "/reset", timeout=5).json() == {"reset": True}
    assert emu.executions() == [] and emu.requests() == []
    assert client.post(APP_QUERY).status_code == 200  # the queued drop was forgotten
    assert requests.get(base + "/nothing", timeout=5).status_code == 404
    # Control calls are never logged.
    assert [e["fields"] for e in emu.requests()] == [["applicationByName"]]


def test_home_page_lists_executions(client: Client, emu: Emulator) -> None:
    execution = client.start(WF["Smoke Test"])
    page = requests.get(execution["executionUrl"], timeout=5)
    assert page.status_code == 200 and execution["id"] in page.text
