"""Starts that take server time (builds collected inside the call), errors after the save,
per-field read costs, editions without the API, deleted executions and paging."""

from __future__ import annotations

import copy
import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests
import yaml
from emulator_helpers import DEMO_APP, EXECUTION, WF, Client

from harness_gate.emulator import DEFAULT_FIXTURE, Emulator

LAB = "GateLabAppId00000000001"
CI_DEPLOY = "GateLabCiDeployWf000001"
GENERIC = "An error has occurred. Please contact the Harness support team."


def _aliased_starts(count: int) -> str:
    body = "\n".join(
        f"  s{i}: startExecution(input: $input) {{ execution {{ id createdAt }} }}"
        for i in range(count)
    )
    return f"mutation Starts($input: StartExecutionInput!) {{\n{body}\n}}"


def _smoke_input() -> dict[str, Any]:
    return {
        "input": {
            "applicationId": DEMO_APP,
            "entityId": WF["Smoke Test"],
            "executionType": "WORKFLOW",
        }
    }


def _default_with_collect(seconds: float) -> dict[str, Any]:
    """The default fixture, with build 101 of guestbook-ci taking `seconds` to collect."""
    data: dict[str, Any] = yaml.safe_load(DEFAULT_FIXTURE.read_text(encoding="utf-8"))
    data = copy.deepcopy(data)
    lab = next(a for a in data["applications"] if a["name"] == "Gate Lab")
    ci = next(s for s in lab["services"] if s["name"] == "guestbook-ci")
    ci["artifact_sources"][0]["builds"][1]["collect_seconds"] = seconds
    return data


def _ci_input(build: str = "101") -> dict[str, Any]:
    return {
        "applicationId": LAB,
        "entityId": CI_DEPLOY,
        "executionType": "WORKFLOW",
        "serviceInputs": [
            {
                "name": "guestbook-ci",
                "artifactValueInput": {
                    "valueType": "BUILD_NUMBER",
                    "buildNumber": {
                        "artifactSourceName": "jenkins-guestbook",
                        "buildNumber": build,
                    },
                },
            }
        ],
    }


@pytest.fixture
def fast() -> Iterator[Emulator]:
    """Ten emulator seconds per real second, so real waits show up large on the clock."""
    with Emulator(rate_limit=None, time_scale=10) as emulator:
        yield emulator


def test_start_delay_serves_aliases_one_after_another(fast: Emulator) -> None:
    client = Client(fast)
    delay = 0.03  # real seconds per start: 0.3 emulator seconds at time_scale 10
    fast.add_fault("start_delay", match="startExecution", seconds=delay)
    body = client.gql(_aliased_starts(10), _smoke_input())
    assert "errors" not in body
    created = [body["data"][f"s{i}"]["execution"]["createdAt"] for i in range(10)]
    entry = fast.requests()[-1]
    assert entry["fault"] == "start_delay"
    assert len(entry["started_execution_ids"]) == 10
    # Each start is saved only after its own wait, after the one before it.
    step_ms = delay * fast.state.time_scale * 1000
    gaps = [b - a for a, b in zip(created, created[1:])]
    assert all(gap >= step_ms - 1 for gap in gaps), gaps
    assert created[0] - entry["time"] * 1000 >= step_ms - 1
    assert created[-1] - entry["time"] * 1000 >= 10 * step_ms - 1
    assert entry["time_end"] * 1000 >= created[-1]
    records = {e["id"]: e for e in fast.executions()}
    assert [records[i]["created_at"] for i in entry["started_execution_ids"]] == created


def test_a_build_not_collected_yet_is_fetched_inside_each_start() -> None:
    with Emulator(_default_with_collect(0.03), rate_limit=None, time_scale=10) as emu:
        client = Client(emu)
        body = client.gql(_aliased_starts(4), {"input": _ci_input("101")})
        assert "errors" not in body, body
        created = [body["data"][f"s{i}"]["execution"]["createdAt"] for i in range(4)]
        entry = emu.requests()[-1]
        assert created[-1] - entry["time"] * 1000 >= 4 * 300 - 1
        assert all(b - a >= 299 for a, b in zip(created, created[1:]))
        # A collected build costs nothing.
        fast_body = client.gql(_aliased_starts(4), {"input": _ci_input("100")})
        fast_created = [fast_body["data"][f"s{i}"]["execution"]["createdAt"] for i in range(4)]
        assert fast_created[-1] - fast_created[0] < 300


def test_a_start_whose_client_gave_up_is_still_saved() -> None:
    with Emulator(_default_with_collect(0.6), rate_limit=None) as emu:
        client = Client(emu)
        with pytest.raises(requests.exceptions.ReadTimeout):
            requests.post(
                emu.endpoint,
                json={"query": _aliased_starts(1), "variables": {"input": _ci_input()}},
                headers={"X-Api-Key": emu.api_key},
                timeout=0.1,
            )
        deadline = time.monotonic() + 10  # a hang guard, not a timing assertion
        while not emu.executions() and time.monotonic() < deadline:
            time.sleep(0.02)
        (record,) = emu.executions()
        assert record["entity_id"] == CI_DEPLOY
        # The lost answer can be found by looking the run up.
        q = "query($f: [ExecutionFilter]) { executions(filters: $f, limit: 5) { nodes { id } } }"
        found = client.gql(q, {"f": [{"workflow": {"operator": "EQUALS", "values": [CI_DEPLOY]}}]})
        assert found["data"]["executions"]["nodes"] == [{"id": record["id"]}]
        assert emu.requests()[-2]["started_execution_ids"] == [record["id"]]


def test_start_error_saves_then_fails_and_the_run_goes_on(client: Client, emu: Emulator) -> None:
    emu.add_fault("start_error")
    body = client.gql(_aliased_starts(2), _smoke_input())
    assert body["data"] == {"s0": None, "s1": None}
    assert [e["message"] for e in body["errors"]] == [
        f"Exception while fetching data (/s0) : {GENERIC}",
        f"Exception while fetching data (/s1) : {GENERIC}",
    ]
    assert all("extensions" not in e for e in body["errors"])
    ids = emu.requests()[-1]["started_execution_ids"]
    assert len(ids) == 2 and emu.requests()[-1]["fault"] == "start_error"
    emu.advance(31)
    for execution_id in ids:
        assert client.status(execution_id) == "SUCCESS"


def test_start_error_after_a_slow_start(fast: Emulator) -> None:
    client = Client(fast)
    fast.add_fault("start_error", seconds=0.03)
    body = client.gql(_aliased_starts(3), _smoke_input())
    assert body["data"] == {"s0": None, "s1": None, "s2": None}
    entry = fast.requests()[-1]
    created = sorted(e["created_at"] for e in fast.executions())
    assert len(created) == 3 and created[-1] - entry["time"] * 1000 >= 3 * 300 - 1


def test_start_error_waits_for_a_start(client: Client, emu: Emulator) -> None:
    emu.add_fault("start_error", message="boom")
    client.gql(EXECUTION, {"id": "nope"})  # not a start: the fault stays queued
    assert client.start_error(WF["Smoke Test"]) == "boom"
    assert len(emu.executions()) == 1


def test_slow_fields_cost_time_per_alias(fast: Emulator) -> None:
    client = Client(fast)
    ids = [client.start(WF["Smoke Test"])["id"] for _ in range(3)]
    aliases = "\n".join(
        f'e{i}: execution(executionId: "{x}") {{ id status }}' for i, x in enumerate(ids)
    )
    fast.add_fault("slow_fields", match="execution", count=2, seconds=0.03)
    for _ in range(2):
        body = client.gql(f"query Reads {{ {aliases} }}")
        assert [body["data"][f"e{i}"]["id"] for i in range(3)] == ids
        entry = fast.requests()[-1]
        assert entry["fault"] == "slow_fields"
        assert entry["time_end"] - entry["time"] >= 3 * 0.3 - 0.001
    client.gql(f"query Reads {{ {aliases} }}")
    assert fast.requests()[-1]["fault"] is None


FEATURE_NOT_ENABLED = {"errors": [{"message": "Feature not enabled", "locations": []}]}


@pytest.mark.parametrize("edition", ["COMMUNITY", "ESSENTIALS"])
def test_editions_without_the_api(edition: str) -> None:
    data: dict[str, Any] = yaml.safe_load(DEFAULT_FIXTURE.read_text(encoding="utf-8"))
    data["account"]["edition"] = edition
    with Emulator(data, rate_limit=None) as emu:
        client = Client(emu)
        response = client.post('{ applicationByName(name: "Harness Demo") { id } }')
        assert response.status_code == 400
        assert response.json() == FEATURE_NOT_ENABLED
        # The key is still checked first.
        assert (
            client.post("{ x }", headers={"X-Api-Key": "wrong"}, real_check=False).status_code
            == 401
        )


def test_feature_not_enabled_fault(client: Client, emu: Emulator) -> None:
    emu.add_fault("feature_not_enabled", match="startExecution")
    response = client.post(_aliased_starts(1), _smoke_input())
    assert response.status_code == 400 and response.json() == FEATURE_NOT_ENABLED
    assert emu.executions() == []


def test_deleted_execution_does_not_exist(client: Client, emu: Emulator) -> None:
    execution_id = client.start(WF["Smoke Test"])["id"]
    assert emu.delete_execution(execution_id)
    body = client.gql(EXECUTION, {"id": execution_id})
    assert body["data"] == {"execution": None}
    assert body["errors"][0]["message"] == (
        "Exception while fetching data (/execution) : "
        "Invalid request: Execution does not exist or access is denied"
    )
    response = requests.delete(f"{emu.base_url}/_emulator/executions/{execution_id}", timeout=5)
    assert response.status_code == 404
    other = client.start(WF["Smoke Test"])["id"]
    response = requests.delete(f"{emu.base_url}/_emulator/executions/{other}", timeout=5)
    assert response.status_code == 200 and emu.executions() == []


def test_executions_must_be_paged(client: Client, emu: Emulator) -> None:
    for _ in range(3):
        assert "errors" not in client.gql(_aliased_starts(40), _smoke_input())
    q = """
    query Page($o: Int) {
      executions(limit: 500, offset: $o) { pageInfo { hasMore total offset limit } nodes { id } }
    }"""
    first = client.gql(q, {"o": 0})["data"]["executions"]
    assert first["pageInfo"] == {"hasMore": True, "total": 120, "offset": 0, "limit": 100}
    second = client.gql(q, {"o": 100})["data"]["executions"]
    assert second["pageInfo"] == {"hasMore": False, "total": 120, "offset": 100, "limit": 100}
    seen = [n["id"] for n in first["nodes"] + second["nodes"]]
    assert sorted(seen) == sorted(e["id"] for e in emu.executions())
