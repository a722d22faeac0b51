"""run.run_spec with a fake platform behind platforms.connect: what the CI gets back."""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from harness_gate.budget import RequestBudget
from harness_gate.console import Console
from harness_gate.errors import UsageError
from harness_gate.exit_codes import ExitCode
from harness_gate.model import Deployment, Outcome, RunResult, Spec
from harness_gate.platforms.base import Resolution
from harness_gate.run import RunOptions, check_no_wait, run_spec
from harness_gate.settings import ReportSettings, WaitSettings
from tests.unit.fakes import FakeClock
from tests.unit.gate.fake_platform import FakePlatform, FakeTarget

KEY = "run-test-key-0123456789"
SPEC = """\
version: 1
application: Demo
parallel: true
deployments:
  - name: api
    workflow: Deploy API
  - name: web
    workflow: Deploy Web
"""


def fake_platform(monkeypatch: pytest.MonkeyPatch, failures: dict[str, str]) -> FakePlatform:
    # A clock that stands still: every execution has ended by its first read.
    clock = FakeClock()
    p = FakePlatform(clock, RequestBudget(6000), {"Deploy API": 0.0, "Deploy Web": 0.0})

    def resolve(deployments: Sequence[Deployment], *, deadline: float) -> Resolution:
        targets: list[Any] = [FakeTarget(d) for d in deployments if d.name not in failures]
        return Resolution(targets, dict(failures), {})

    p.resolve = resolve  # type: ignore[method-assign]
    monkeypatch.setattr("harness_gate.platforms.connect", lambda *a, **k: p)
    return p


def run(tmp_path: Path, **options: Any) -> RunResult:
    spec = tmp_path / "deploy.yaml"
    spec.write_text(SPEC, encoding="utf-8")
    opts = RunOptions(
        spec=str(spec),
        wait=WaitSettings(poll_interval=0.05),
        reports=ReportSettings(junit=str(tmp_path / "junit.xml")),
        **options,
    )
    env = {"HARNESS_API_KEY": KEY, "HARNESS_ACCOUNT_ID": "acct"}
    return run_spec(opts, env, Console(io.StringIO()))


def test_every_deployment_started_once_and_succeeded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    p = fake_platform(monkeypatch, {})
    result = run(tmp_path)
    assert result.exit_code == ExitCode.SUCCESS
    assert [(d.name, d.outcome) for d in result.deployments] == [
        ("api", Outcome.SUCCESS),
        ("web", Outcome.SUCCESS),
    ]
    assert [n for _, _, n in p.starts()] == [2]
    assert (tmp_path / "junit.xml").exists()


def test_a_resolution_failure_starts_nothing_and_is_3(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    p = fake_platform(monkeypatch, {"web": "workflow 'Deploy Web' not found"})
    result = run(tmp_path)
    assert result.exit_code == ExitCode.RESOLUTION
    assert p.starts() == []
    api, web = result.deployments
    assert web.outcome is Outcome.FAILURE and web.message == "workflow 'Deploy Web' not found"
    assert api.outcome is Outcome.SKIPPED and "resolution failed for web" in api.message
    assert "not found" in (tmp_path / "junit.xml").read_text(encoding="utf-8")


def test_no_wait_reports_started_as_success(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    p = fake_platform(monkeypatch, {})
    p.durations = {}  # nothing ends
    result = run(tmp_path, no_wait=True)
    assert result.exit_code == ExitCode.SUCCESS and result.no_wait
    assert all("--no-wait" in d.message for d in result.deployments)
    assert p.reads() == []


def spec_of(*deployments: Deployment, parallel: bool) -> Spec:
    return Spec(path="s.yaml", deployments=list(deployments), parallel=parallel)


def d(name: str, needs: Sequence[str] = ()) -> Deployment:
    return Deployment(name, "workflow", name, "A", needs=list(needs))


def test_no_wait_cannot_honour_needs_or_an_order() -> None:
    check_no_wait(False, spec_of(d("a"), d("b", ["a"]), parallel=True))
    check_no_wait(True, spec_of(d("a"), d("b"), parallel=True))
    check_no_wait(True, spec_of(d("a"), parallel=False))
    with pytest.raises(UsageError, match="needs"):
        check_no_wait(True, spec_of(d("a"), d("b", ["a"]), parallel=True))
    with pytest.raises(UsageError, match="listed order"):
        check_no_wait(True, spec_of(d("a"), d("b"), parallel=False))
