"""session.gated: whatever the body does, the reports are written and the code decided."""

from __future__ import annotations

import io
import signal
from pathlib import Path

from harness_gate.console import Console
from harness_gate.errors import UsageError
from harness_gate.exit_codes import ExitCode
from harness_gate.model import DeploymentResult, Outcome, RunResult
from harness_gate.session import gated
from harness_gate.settings import ReportSettings
from harness_gate.stopper import Stopper


def result() -> RunResult:
    deployments = [DeploymentResult(n, "A", "workflow", "W") for n in ("a", "b")]
    return RunResult(command="run", spec_path="s.yaml", deployments=deployments)


def test_gated_writes_the_report_and_decides_the_code_whatever_the_body_does(
    tmp_path: Path,
) -> None:
    junit = tmp_path / "junit.xml"
    stream = io.StringIO()

    def body(r: RunResult, stopper: Stopper) -> None:
        r.deployments[0].outcome = Outcome.SUCCESS
        raise UsageError("--no-wait cannot honour `needs`")

    r = gated(result(), ReportSettings(junit=str(junit)), {}, Console(stream), body)
    assert r.exit_code == ExitCode.USAGE
    assert "--no-wait cannot honour" in junit.read_text(encoding="utf-8")
    assert "exit code 2" in stream.getvalue()


def test_gated_records_a_signal_the_body_noticed(tmp_path: Path) -> None:
    def body(r: RunResult, stopper: Stopper) -> None:
        for d in r.deployments:
            d.outcome = Outcome.SUCCESS
        stopper.stop(signal.SIGINT)

    r = gated(
        result(), ReportSettings(junit=str(tmp_path / "j.xml")), {}, Console(io.StringIO()), body
    )
    assert r.signum == signal.SIGINT and r.exit_code == 130
