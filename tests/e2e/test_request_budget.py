"""Request counts, ordering and notice delay, read from the emulator's request log."""

from __future__ import annotations

import json
import statistics
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from harness_gate.emulator import Emulator
from tests.e2e.conftest import Workspace, gate_command, graphql_requests

SCALE = 60.0  # a minute of fixture time per second: executions of 20-40 s take under a second

SPEC = """\
version: 1
application: Harness Demo
parallel: true
deployments:
  - {name: smoke, workflow: Smoke Test}
  - {name: guestbook-smoke, workflow: Guestbook Smoke Test}
  - {name: erroring, workflow: Erroring Deployment}
  - {name: aborted, workflow: Aborted Deployment}
  - {name: failing, workflow: Failing Deployment}
  - {name: config, workflow: Guestbook Config Update}
"""


@pytest.fixture
def limited() -> Iterator[Emulator]:
    with Emulator(time_scale=SCALE, rate_limit=30) as emu:
        yield emu


def run_gate(emu: Emulator, tmp: Path, *args: str) -> tuple[int, dict[str, Any], str]:
    spec = tmp / "deploy.yaml"
    spec.write_text(SPEC, encoding="utf-8")
    summary = tmp / "summary.json"
    ws = Workspace(tmp, emu)
    proc = subprocess.run(
        [
            *gate_command(),
            "run",
            str(spec),
            "--json",
            str(summary),
            "--junit",
            str(tmp / "j.xml"),
            *args,
        ],
        env=ws.env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    return proc.returncode, json.loads(summary.read_text(encoding="utf-8")), proc.stderr


def test_every_end_is_noticed_within_the_interval_in_force(
    limited: Emulator, tmp_path: Path
) -> None:
    code, summary, stderr = run_gate(
        limited, tmp_path, "--poll-interval", "0.5s", "--max-rpm", "600"
    )
    assert code == 1, stderr  # failing/erroring/aborted fail the gate; all were watched to the end
    polls = [r for r in graphql_requests(limited) if r["operation"] == "ExecutionStatuses"]
    by_id = {e["id"]: e for e in limited.executions()}
    delays = []
    for deployment in summary["deployments"]:
        execution = by_id[deployment["execution_id"]]
        ended = execution["ended_at"] / 1000.0
        noticed = next(r for r in polls if r["time"] >= ended)
        delay_real = (noticed["time"] - ended) / SCALE
        in_force = deployment["notice_interval_seconds"]
        assert in_force is not None and in_force <= 0.5
        # the request's own travel time and the scheduler's jitter are the only slack
        assert delay_real <= in_force + 0.5, (deployment["name"], delay_real, in_force)
        delays.append(delay_real)
    assert statistics.median(delays) <= 0.5


def test_request_counts_and_order(limited: Emulator, tmp_path: Path) -> None:
    code, _summary, stderr = run_gate(
        limited, tmp_path, "--poll-interval", "0.5s", "--max-rpm", "30"
    )
    assert code == 1, stderr
    log = graphql_requests(limited)
    operations = [r["operation"] for r in log]
    # names in two requests, artifacts in one, all six starts in one batch, then status reads
    assert operations[:4] == [
        "ResolveApplications",
        "ResolveEntities",
        "ExecutionInputs",
        "StartExecutions",
    ]
    assert len(log[3]["fields"]) == 6
    assert set(operations[4:]) == {"ExecutionStatuses"}
    # each status read covers every execution still active, in one request
    assert len(log[4]["fields"]) == 6
    assert all(len(a["fields"]) >= len(b["fields"]) for a, b in zip(log[4:], log[5:]))
    assert not any(r["rate_limited"] or r["status"] == 429 for r in log)
    walls = [r["wall"] for r in log]
    assert all(sum(1 for w in walls[i:] if w < start + 60) <= 30 for i, start in enumerate(walls))
    assert len(log) < 6 * 5  # a naive client needs one request per lookup, start and poll


def test_429_is_retried_after_a_pause(ws: Workspace) -> None:
    # The process-wide pause itself is checked on a fake clock in tests/unit/test_budget.py.
    ws.emulator.add_fault("http_429", match="*", count=2)
    spec = ws.spec(SPEC)
    run = ws.gate("run", str(spec))
    assert run.code == 1, run.stderr
    lines = [line for line in run.stderr.splitlines() if "HTTP 429" in line]
    # The log states the wait that really follows (a short backoff, not a minute).
    assert len(lines) == 2 and all("next request in" in line for line in lines)
    assert len(ws.emulator.executions()) == 6
