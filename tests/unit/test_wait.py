"""wait.wait_for with a fake platform: gate on executions started elsewhere."""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path

import pytest

from harness_gate.budget import RequestBudget
from harness_gate.console import Console
from harness_gate.exit_codes import ExitCode
from harness_gate.model import Outcome, RunResult
from harness_gate.platforms.base import ExecutionRef, Phase, ReadAnswer, Snapshot
from harness_gate.settings import ReportSettings, WaitSettings
from harness_gate.wait import WaitOptions, wait_for
from tests.unit.fakes import FakeClock
from tests.unit.gate.fake_platform import FakePlatform

KEY = "wait-test-key-0123456789"
KNOWN = {
    "ok-1": Snapshot(
        "ok-1",
        "SUCCESS",
        Phase.SUCCEEDED,
        scope=("app",),
        application="Demo",
        entity_type="workflow",
        entity_name="Deploy",
    ),
    "bad-1": Snapshot(
        "bad-1", "FAILED", Phase.FAILED, scope=("app",), failure="boom", entity_type="pipeline"
    ),
}


def platform(monkeypatch: pytest.MonkeyPatch) -> FakePlatform:
    p = FakePlatform(FakeClock(), RequestBudget(6000), {})

    def read(refs: Sequence[ExecutionRef], *, deadline: float) -> list[ReadAnswer]:
        p.log.append((0.0, "read", len(refs)))
        return [
            ReadAnswer(snapshot=KNOWN[r.execution_id])
            if r.execution_id in KNOWN
            else ReadAnswer(not_found="Execution does not exist or access is denied")
            for r in refs
        ]

    p.read = read  # type: ignore[method-assign]
    monkeypatch.setattr("harness_gate.platforms.connect", lambda *a, **k: p)
    return p


def wait(tmp_path: Path, *ids: str) -> RunResult:
    options = WaitOptions(
        execution_ids=list(ids),
        wait=WaitSettings(timeout=60, poll_interval=0.05),
        reports=ReportSettings(junit=str(tmp_path / "junit.xml")),
    )
    env = {"HARNESS_API_KEY": KEY, "HARNESS_ACCOUNT_ID": "acct"}
    return wait_for(options, env, Console(io.StringIO()))


def test_ended_executions_give_their_verdict(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    p = platform(monkeypatch)
    result = wait(tmp_path, "ok-1", "bad-1", "ok-1")
    assert [d.name for d in result.deployments] == ["ok-1", "bad-1"]  # an id given twice: once
    ok, bad = result.deployments
    assert ok.outcome is Outcome.SUCCESS and (ok.application, ok.entity_name) == ("Demo", "Deploy")
    assert bad.outcome is Outcome.FAILURE and "boom" in bad.message
    assert result.exit_code == ExitCode.DEPLOYMENT_FAILED
    assert p.started_flag  # these runs exist: the endpoint is never given up on early


def test_an_unknown_id_fails_and_nothing_is_waited_for(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    platform(monkeypatch)
    result = wait(tmp_path, "ok-1", "nope")
    ok, unknown = result.deployments
    assert unknown.outcome is Outcome.FAILURE and unknown.message.startswith("unknown execution")
    assert ok.outcome is Outcome.SKIPPED
    assert result.error == "unknown execution id(s): nope"
    assert result.exit_code == ExitCode.RESOLUTION
    assert (tmp_path / "junit.xml").exists()
