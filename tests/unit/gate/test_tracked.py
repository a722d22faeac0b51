"""gate.tracked: deadlines describe themselves; a tracked deployment knows where it lives."""

from __future__ import annotations

from harness_gate.gate.tracked import Deadline, Tracked
from harness_gate.model import DeploymentResult
from tests.unit.gate.fake_platform import make_items


def test_deadlines_say_whose_they_are() -> None:
    assert Deadline(10.0, 90.0, "timeout").describe() == "its timeout of 1m30s"
    assert Deadline(10.0, 3600.0, "--timeout").describe() == "the run's --timeout of 1h00m"


def test_the_ref_comes_from_the_target_the_scope_or_the_application() -> None:
    (started,) = make_items({"a": 1.0})
    started.result.execution_id = "ex-1"
    assert (started.ref.execution_id, started.ref.scope) == ("ex-1", ("app",))

    waited = Tracked(result=DeploymentResult("ex-2", "", "", "", execution_id="ex-2"))
    waited.scope = ("org", "project")
    assert waited.ref.scope == ("org", "project")

    found = Tracked(result=DeploymentResult("ex-3", "", "", "", execution_id="ex-3"))
    found.result.application_id = "app-9"
    assert found.ref.scope == ("app-9",)

    assert Tracked(result=DeploymentResult("x", "", "", "")).ref.execution_id == ""
