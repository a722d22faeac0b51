"""Aborting NextGen runs, and the emulator's faults and limits on the NextGen routes."""

from __future__ import annotations

import requests
from ng_helpers import Ng

from harness_gate.emulator import Emulator


def test_abort_all_discontinues_then_aborts(emu: Emulator, ng: Ng) -> None:
    eid = ng.start("long_running")["uuid"]
    emu.advance(60)
    response = ng.abort(eid)
    assert response.status_code == 200
    data = response.json()["data"]
    assert data["type"] == "AbortAll"
    assert data["planExecutionId"] == eid
    assert data["id"]
    assert ng.status(eid) == "Discontinuing"
    again = ng.abort(eid)
    assert again.status_code == 400
    assert again.json()["code"] == "ABORT_ALL_ALREADY_NG"
    assert again.json()["message"] == "Execution abort is already under progress."
    emu.advance(3)
    summary = ng.summary(eid)
    assert summary["status"] == "Aborted"
    assert summary["abortedBy"]["userName"] == "harness.gate.user"
    assert ng.stages(eid)["deploy"]["status"] == "Aborted"
    finished = ng.abort(eid)
    assert finished.json()["message"] == (
        "Invalid request: Execution is already finished with status: [ABORTED]"
    )


def test_abort_of_a_queued_run_is_immediate(ng: Ng) -> None:
    eid = ng.start("queued_deploy")["uuid"]
    assert ng.abort(eid, "ABORTALL").status_code == 200  # fuzzy enum parsing
    assert ng.status(eid) == "Aborted"


def test_abort_while_waiting_for_approval(emu: Emulator, ng: Ng) -> None:
    eid = ng.start("release_approval")["uuid"]
    emu.advance(31)
    assert ng.abort(eid).status_code == 200
    emu.advance(3)
    assert ng.status(eid) == "Aborted"
    (item,) = ng.call(
        "GET", f"/v1/orgs/{ng.org}/projects/{ng.project}/approvals/execution/{eid}"
    ).json()
    assert item["status"] == "ABORTED"


def test_abort_errors(ng: Ng) -> None:
    eid = ng.start("long_running")["uuid"]
    bad = ng.abort(eid, "Pause")
    assert bad.status_code == 400
    assert set(bad.json()) == {"code", "message"}  # Dropwizard's own body
    assert ng.abort("nope").status_code == 404


def test_http_429_fault_has_no_retry_after(emu: Emulator, ng: Ng) -> None:
    emu.add_fault("http_429", match="getExecutionDetailV2")
    eid = ng.start("smoke_test")["uuid"]
    response = ng.call("GET", f"/pipelines/execution/v2/{eid}")
    assert response.status_code == 429
    assert "Retry-After" not in response.headers
    assert ng.status(eid) == "Running"
    assert emu.requests()[-2]["fault"] == "http_429"


def test_http_500_fault_is_an_unknown_error_dto(emu: Emulator, ng: Ng) -> None:
    emu.add_fault("http_500", match="nextgen")
    response = ng.call("GET", "/pipelines/smoke_test")
    assert response.status_code == 500
    body = response.json()
    assert body["code"] == "UNKNOWN_ERROR"
    assert body["message"] == (
        "Oops, something went wrong on our end. Please contact Harness Support."
    )


def test_gateway_faults_apply_to_nextgen(emu: Emulator, ng: Ng) -> None:
    emu.add_fault("http_502", match="execute")
    response = ng.start_raw("smoke_test")
    assert response.status_code == 502
    assert emu.nextgen.execution_dicts() == []  # not carried out


def test_a_lost_start_answer_still_starts_the_run(emu: Emulator, ng: Ng) -> None:
    emu.add_fault("drop", match="execute", process=True)
    try:
        ng.start_raw("smoke_test")
        raise AssertionError("the connection should have been dropped")
    except requests.ConnectionError:
        pass
    (rec,) = emu.nextgen.execution_dicts()
    assert rec["pipeline"] == "smoke_test"
    # A client reconciles through the execution list before starting again.
    listed = ng.ok(
        "POST",
        "/pipelines/execution/summary",
        params=ng.scope(pipelineIdentifier="smoke_test"),
        json={"filterType": "PipelineExecution"},
    )
    assert [e["planExecutionId"] for e in listed["content"]] == [rec["id"]]
    (entry,) = [e for e in emu.requests() if e["fault"] == "drop"]
    assert entry["status"] == 0
    assert entry["started_execution_ids"] == [rec["id"]]


def test_a_slow_start_answer_is_saved_before_it_is_sent(emu: Emulator, ng: Ng) -> None:
    emu.add_fault("delay", match="execute", process=True, seconds=5)
    try:
        ng.http.post(
            ng.base + "/pipeline/execute/smoke_test",
            params=ng.scope(),
            headers=ng.headers(**{"Content-Type": "application/yaml"}),
            timeout=0.5,
        )
        raise AssertionError("the answer should have come too late")
    except requests.Timeout:
        pass
    assert [r["pipeline"] for r in emu.nextgen.execution_dicts()] == ["smoke_test"]


def test_malformed_fault(emu: Emulator, ng: Ng) -> None:
    emu.add_fault("malformed", match="getPipeline")
    response = ng.call("GET", "/pipelines/smoke_test")
    assert response.status_code == 200
    try:
        response.json()
        raise AssertionError("the body should be cut short")
    except ValueError:
        pass


def test_edge_rate_limit_per_key() -> None:
    fixture = {
        "nextgen": {
            "rate_limit": 3,
            "organizations": [
                {
                    "identifier": "o",
                    "projects": [{"identifier": "p", "pipelines": [{"identifier": "x"}]}],
                }
            ],
        }
    }
    with Emulator(fixture, rate_limit=30) as emu:
        ng = Ng(emu, org="o", project="p")
        codes = [ng.call("GET", "/pipelines/x").status_code for _ in range(4)]
        assert codes == [200, 200, 200, 429]
        sat = Ng(emu, token=emu.ng_env()["HARNESS_NG_SAT_API_KEY"], org="o", project="p")
        assert sat.call("GET", "/pipelines/x").status_code == 200  # per key
        assert emu.requests()[-2]["rate_limited"] is True


def test_reset_forgets_nextgen_runs(emu: Emulator, ng: Ng) -> None:
    ng.start("smoke_test")
    ng.http.post(emu.base_url + "/_emulator/reset", timeout=10)
    assert emu.nextgen.execution_dicts() == []
    assert ng.start("smoke_test")["metadata"]["runSequence"] == 1
