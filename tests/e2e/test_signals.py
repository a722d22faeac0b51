"""A cancelled CI job sends SIGTERM (or SIGINT): the gate stops at once, reports, exits 128+N.

"At once" is shown without a stopwatch: the gate exits while a request it abandoned is still
unanswered (the emulator holds it for 20 s), and a hang would trip communicate()'s timeout.
"""

from __future__ import annotations

import signal
import xml.etree.ElementTree as ET

import pytest

from tests.e2e.conftest import Workspace

SLOW = """\
version: 1
application: Harness Demo
parallel: {parallel}
deployments:
  - name: slow
    workflow: Long Running Deployment
  - name: later
    workflow: Smoke Test
    {needs}
"""


def slow_spec(ws: Workspace, parallel: bool = False) -> str:
    text = SLOW.format(parallel=str(parallel).lower(), needs="needs: [slow]" if parallel else "")
    return str(ws.spec(text))


@pytest.mark.parametrize(("sig", "code"), [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_interrupt_while_waiting(ws: Workspace, sig: int, code: int) -> None:
    proc, junit, summary = ws.start("run", slow_spec(ws), "--poll-interval", "0.2s")
    _out, err, _took = ws.interrupt_when(proc, lambda: bool(ws.emulator.executions()), sig)
    assert proc.returncode == code, err
    root = ET.parse(junit).getroot()
    cases = {c.get("name"): c for c in root.iter("testcase")}
    slow = cases["slow"].find("error")
    assert slow is not None
    (execution,) = ws.emulator.executions()
    assert execution["id"] in (slow.text or "")
    assert (execution["id"] in (slow.text or "")) and ws.emulator.base_url in (slow.text or "")
    assert "left running" in (slow.text or "")
    assert cases["later"].find("skipped") is not None
    assert not execution["aborted"]
    assert summary.exists()


def test_interrupt_with_abort_on_exit_aborts(ws: Workspace) -> None:
    proc, junit, _summary = ws.start(
        "run", slow_spec(ws, parallel=True), "--abort-on-exit", "--poll-interval", "0.2s"
    )
    _out, err, _took = ws.interrupt_when(proc, lambda: bool(ws.emulator.executions()))
    assert proc.returncode == 143, err
    (execution,) = ws.emulator.executions()
    assert execution["aborted"] and execution["status"] == "ABORTED"
    text = junit.read_text(encoding="utf-8")
    assert "abort accepted" in text


def test_interrupt_during_a_hanging_request(ws: Workspace) -> None:
    # Harness takes 20 s to answer a status read; the gate must not wait for it.
    ws.emulator.add_fault("delay", match="execution", count=1, seconds=20)
    proc, junit, _summary = ws.start("run", slow_spec(ws), "--verbose", log_to_file=True)
    _out, err, _took = ws.interrupt_when(proc, lambda: ws.logged("(read execution status)"))
    assert proc.returncode == 143, err
    # The gate exited while the 20 s answer was still on its way: it did not wait for it.
    # (The emulator logs a delayed request when it answers.)
    assert not any(r.get("fault") == "delay" for r in ws.emulator.requests())
    assert "interrupted by SIGTERM" in junit.read_text(encoding="utf-8")


def test_interrupt_during_resolution(ws: Workspace) -> None:
    ws.emulator.add_fault("delay", match="applicationByName", count=1, seconds=20)
    proc, junit, _summary = ws.start("run", slow_spec(ws), log_to_file=True)
    _out, err, _took = ws.interrupt_when(proc, lambda: ws.logged("Resolving names"))
    assert proc.returncode == 143, err
    assert not any(r.get("fault") == "delay" for r in ws.emulator.requests())
    root = ET.parse(junit).getroot()
    assert all(c.find("skipped") is not None for c in root.iter("testcase"))
    assert ws.emulator.executions() == []


def test_wait_command_interrupted(ws: Workspace) -> None:
    run = ws.gate("run", slow_spec(ws, parallel=True), "--only", "slow", "--no-wait")
    assert run.code == 0, run.stderr
    (execution,) = ws.emulator.executions()
    proc, junit, _summary = ws.start("wait", execution["id"], "--abort-on-exit")
    _out, err, _took = ws.interrupt_when(
        proc, lambda: sum("execution" in r.get("fields", []) for r in ws.emulator.requests()) >= 2
    )
    assert proc.returncode == 143, err
    assert ws.emulator.executions()[0]["aborted"]
    assert junit.exists()
