"""The fault matrix: each phase (resolve, start, poll, abort) x each fault the emulator injects.

Every cell runs the real CLI and asserts the exit code, that the report was written, and that
the emulator saw exactly one started execution per deployment.
"""

from __future__ import annotations

import time
from typing import Any

import pytest

from tests.e2e.conftest import Workspace, graphql_requests

SPEC = """\
version: 1
application: Harness Demo
parallel: true
deployments:
  - name: smoke
    workflow: Smoke Test
  - name: guestbook-smoke
    workflow: Guestbook Smoke Test
"""

# (kind, count, params): what the emulator can do to a request.
FAULTS: dict[str, tuple[str, int, dict[str, Any]]] = {
    "429-burst": ("http_429", 3, {}),
    "500-plain-text": ("http_500", 1, {}),
    "502-html": ("http_502", 1, {}),
    "503-html": ("http_503", 1, {}),
    "504-html-after-processing": ("http_504", 1, {"process": True}),
    "dropped-connection": ("drop", 1, {}),
    "slow-response": ("delay", 1, {"seconds": 1.5}),
    "malformed-body": ("malformed", 1, {}),
    "lost-start-response": ("drop", 1, {"process": True}),
    "null-start-payload": ("start_null", 1, {}),
    "not-found-then-found": ("execution_not_found", 2, {"polls": 3}),
}

PHASE_MATCH = {"resolve": "applicationByName", "start": "startExecution", "poll": "execution"}

START_ONLY = {"lost-start-response", "null-start-payload"}


def cells() -> list[tuple[str, str]]:
    out = []
    for phase in PHASE_MATCH:
        for fault in FAULTS:
            if fault in START_ONLY and phase != "start":
                continue
            if fault == "not-found-then-found" and phase != "poll":
                continue
            out.append((phase, fault))
    return out


@pytest.mark.parametrize(("phase", "fault"), cells())
def test_fault_matrix(ws: Workspace, phase: str, fault: str) -> None:
    kind, count, params = FAULTS[fault]
    ws.emulator.add_fault(kind, match=PHASE_MATCH[phase], count=count, **params)
    spec = ws.spec(SPEC)
    run = ws.gate("run", str(spec), "--request-timeout", "0.5s")
    assert run.code == 0, run.stderr
    assert run.junit.exists() and run.json_path.exists()
    assert {d["outcome"] for d in run.summary["deployments"]} == {"success"}
    executions = ws.emulator.executions()
    names = sorted(e["entity_name"] for e in executions)
    assert names == ["Guestbook Smoke Test", "Smoke Test"], "exactly one execution per deployment"
    # A delayed answer is logged when the emulator finishes it, after the gate gave up on it.
    end = time.monotonic() + 5
    while not any(r.get("fault") for r in ws.emulator.requests()) and time.monotonic() < end:
        if fault == "not-found-then-found":
            break
        time.sleep(0.05)
    if fault == "not-found-then-found":
        assert "does not show execution" in run.stderr
    else:
        assert any(r.get("fault") for r in ws.emulator.requests()), "the fault never triggered"
    assert "Traceback" not in run.stderr


def test_fault_lines_are_logged_once_each(ws: Workspace) -> None:
    ws.emulator.add_fault("http_503", match="execution", count=2)
    run = ws.gate("run", str(ws.spec(SPEC)))
    assert run.code == 0
    retry_lines = [line for line in run.stderr.splitlines() if "HTTP 503" in line]
    assert len(retry_lines) == 2


def test_lost_start_is_adopted_not_resent(ws: Workspace) -> None:
    ws.emulator.add_fault("drop", match="startExecution", count=1, process=True)
    run = ws.gate("run", str(ws.spec(SPEC)))
    assert run.code == 0, run.stderr
    starts = [r for r in graphql_requests(ws.emulator) if r["operation"] == "StartExecutions"]
    assert len(starts) == 1, "the start must not be sent twice when Harness started it"
    assert "found the execution the lost start created" in run.stderr


def test_unprocessed_start_is_resent_once_lookups_agree(ws: Workspace) -> None:
    ws.emulator.add_fault("drop", match="startExecution", count=1)
    run = ws.gate("run", str(ws.spec(SPEC)), "--request-timeout", "0.5s")
    assert run.code == 0, run.stderr
    operations = [r["operation"] for r in graphql_requests(ws.emulator)]
    assert operations.count("StartExecutions") == 2
    # Prompt lookups, then one after the server's worst-case start time has passed.
    assert operations.count("FindStartedExecutions") == 3
    # the re-send comes only after every lookup
    last_lookup = max(i for i, op in enumerate(operations) if op == "FindStartedExecutions")
    second_start = [i for i, op in enumerate(operations) if op == "StartExecutions"][1]
    assert second_start > last_lookup


def test_start_outcome_unknown_when_lookups_fail_is_never_resent(ws: Workspace) -> None:
    ws.emulator.add_fault("drop", match="startExecution", count=1)
    ws.emulator.add_fault("http_500", match="executions", count=1000)
    spec = ws.spec(SPEC.replace("parallel: true", "parallel: true\ntimeout: 3s"))
    run = ws.gate("run", str(spec), "--request-timeout", "0.5s")
    assert run.code == 5, run.stderr
    assert ws.emulator.executions() == []
    operations = [r["operation"] for r in graphql_requests(ws.emulator)]
    assert operations.count("StartExecutions") == 1
    deployment = run.deployment("smoke")
    assert deployment["outcome"] == "error"
    assert "start outcome unknown" in deployment["message"]
    assert "[harness-gate" in run.junit.read_text(encoding="utf-8")  # the marker to search for


@pytest.mark.parametrize(
    ("kind", "params"),
    [
        ("http_429", {}),
        ("http_500", {}),
        ("http_502", {}),
        ("http_503", {}),
        ("http_504", {}),
        ("drop", {}),
        ("delay", {"seconds": 1.0}),
        ("malformed", {}),
        ("http_502", {"process": True}),
    ],
)
def test_abort_phase(ws: Workspace, kind: str, params: dict[str, Any]) -> None:
    ws.emulator.add_fault(kind, match="abort", count=1, **params)
    spec = ws.spec(
        "version: 1\napplication: Harness Demo\ndeployments:\n"
        "  - name: slow\n    workflow: Long Running Deployment\n    timeout: 1s\n"
    )
    run = ws.gate("run", str(spec), "--abort-on-exit")
    assert run.code == 4, run.stderr
    (execution,) = ws.emulator.executions()
    assert execution["aborted"], "the abort is retried after a transient failure"
    assert "abort accepted" in run.deployment("slow")["abort_result"]


def test_abort_refused_is_reported(ws: Workspace) -> None:
    ws.emulator.add_fault("http_503", match="abort", count=1000)
    spec = ws.spec(
        "version: 1\napplication: Harness Demo\ndeployments:\n"
        "  - name: slow\n    workflow: Long Running Deployment\n    timeout: 1s\n"
    )
    run = ws.gate("run", str(spec), "--abort-on-exit")
    assert run.code == 4
    assert not ws.emulator.executions()[0]["aborted"]
    assert "abort refused (HTTP 503)" in run.deployment("slow")["abort_result"]
    assert "abort refused" in run.junit.read_text(encoding="utf-8")


def test_status_reads_failing_until_the_deadline_exit_5(ws: Workspace) -> None:
    ws.emulator.add_fault("http_502", match="execution", count=10000)
    spec = ws.spec(
        "version: 1\napplication: Harness Demo\ntimeout: 2s\ndeployments:\n"
        "  - name: smoke\n    workflow: Smoke Test\n"
    )
    run = ws.gate("run", str(spec))
    assert run.code == 5, run.stderr
    assert run.deployment("smoke")["outcome"] == "error"
    assert "status reads kept failing" in run.deployment("smoke")["message"]
    assert len(ws.emulator.executions()) == 1
