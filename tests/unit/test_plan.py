"""plan.plan_spec: resolve and check with a fake platform; nothing is ever started."""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from harness_gate.budget import RequestBudget
from harness_gate.console import Console
from harness_gate.exit_codes import ExitCode
from harness_gate.model import Deployment, Outcome
from harness_gate.plan import PlanOptions, plan_spec
from harness_gate.platforms.base import Resolution, Target
from tests.unit.fakes import FakeClock
from tests.unit.gate.fake_platform import FakePlatform, FakeTarget

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
ENV = {"HARNESS_API_KEY": "plan-test-key-0123456789", "HARNESS_ACCOUNT_ID": "acct"}


def plan(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failures: dict[str, str]
) -> tuple[Any, list[str], FakePlatform]:
    p = FakePlatform(FakeClock(), RequestBudget(6000), {})

    def resolve(deployments: Sequence[Deployment], *, deadline: float) -> Resolution:
        targets: list[Any] = [FakeTarget(d) for d in deployments if d.name not in failures]
        return Resolution(targets, dict(failures), {}, requests=3)

    def describe(target: Target, notes: str) -> list[str]:
        return [f"{target.deployment.name}: would start ({notes})"]

    p.resolve = resolve  # type: ignore[method-assign]
    p.describe_start = describe  # type: ignore[method-assign]
    monkeypatch.setattr("harness_gate.platforms.connect", lambda *a, **k: p)
    spec = tmp_path / "deploy.yaml"
    spec.write_text(SPEC, encoding="utf-8")
    lines: list[str] = []
    result = plan_spec(PlanOptions(str(spec)), ENV, Console(io.StringIO()), out=lines)
    return result, lines, p


def test_a_plan_says_what_would_be_sent_and_starts_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    result, lines, p = plan(tmp_path, monkeypatch, {})
    assert result.exit_code == ExitCode.SUCCESS
    assert lines == [
        "api: would start (Deployed by harness-gate)",
        "web: would start (Deployed by harness-gate)",
        "3 request(s) sent; nothing was started",
    ]
    assert p.starts() == [] and p.log == []


def test_a_plan_with_a_failure_is_3(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    result, lines, _ = plan(tmp_path, monkeypatch, {"web": "missing required variable(s) env"})
    assert result.exit_code == ExitCode.RESOLUTION
    assert "web: cannot start: missing required variable(s) env" in lines
    assert [(d.name, d.outcome) for d in result.deployments] == [
        ("api", Outcome.SUCCESS),
        ("web", Outcome.FAILURE),
    ]
