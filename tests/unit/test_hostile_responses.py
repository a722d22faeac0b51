"""API responses are distrusted: missing fields, wrong types and unknown enum values are shown
or reported, never crashed on."""

from __future__ import annotations

import io
from typing import Any

from harness_gate.client import GraphQLResult
from harness_gate.execute import Gate, Tracked, WatchOptions
from harness_gate.resolve import ResolvedDeployment, check_variables, resolve
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harness_gate.budget import RequestBudget
from harness_gate.console import Console
from harness_gate.model import Deployment, DeploymentResult, VariableInput
from harness_gate.stopper import Stopper

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)
KEYS = [
    "id",
    "status",
    "executionUrl",
    "createdAt",
    "startedAt",
    "endedAt",
    "failureDetails",
    "application",
    "pipelineStageExecutions",
    "notes",
]
EXECUTION = st.dictionaries(st.sampled_from(KEYS), JSON | st.sampled_from(["SUCCESS", "PAUSED"]))


class ScriptedClient:
    """Answers every query with the data it is given (the unit is what the gate makes of it)."""

    def __init__(self, answers: list[dict[str, Any]]) -> None:
        self.answers = answers
        self.budget = RequestBudget(1000)

    def query(self, *_: Any, **__: Any) -> GraphQLResult:
        data = self.answers.pop(0) if self.answers else {}
        return GraphQLResult(data=data if isinstance(data, dict) else {})


def tracked() -> Tracked:
    result = DeploymentResult(name="d", application="A", entity_type="workflow", entity_name="W")
    return Tracked(result=result, state="active", timeout=60)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(EXECUTION)
def test_any_execution_payload_is_taken_in_without_crashing(node: dict[str, Any]) -> None:
    stream = io.StringIO()
    gate = Gate(ScriptedClient([]), Console(stream), Stopper(), WatchOptions(True, 1.0))  # type: ignore[arg-type]
    item = tracked()
    gate.observe(item, node)
    status = node.get("status")
    if status in ("SUCCESS", "FAILED", "ERROR", "ABORTED", "REJECTED", "EXPIRED", "SKIPPED"):
        assert item.result.outcome is not None
    elif isinstance(status, str):
        assert item.result.outcome is None and item.result.status == status


@settings(max_examples=200, deadline=None)
@given(st.lists(st.dictionaries(st.text(max_size=4), JSON, max_size=4), min_size=3, max_size=3))
def test_resolution_survives_any_answer(answers: list[dict[str, Any]]) -> None:
    deployment = Deployment(name="d", entity_type="workflow", entity_name="W", application="A")
    resolution = resolve(
        ScriptedClient(answers),  # type: ignore[arg-type]
        [deployment],
        deadline=1e12,
        console=Console(io.StringIO()),
    )
    assert resolution.ok or resolution.failures["d"]


@given(st.lists(JSON, max_size=5))
def test_declared_variables_of_any_shape(declared: list[Any]) -> None:
    deployment = Deployment(
        name="d",
        entity_type="workflow",
        entity_name="W",
        application="A",
        variables=[VariableInput("x", "1")],
    )
    problems, warnings = check_variables(deployment, declared)
    assert all(isinstance(p, str) for p in problems + warnings)


def test_start_input_is_plain_data() -> None:
    deployment = Deployment(
        name="d",
        entity_type="pipeline",
        entity_name="P",
        application="A",
        variables=[VariableInput("v", 'quote " and \\ and $ and\nnewline ü')],
    )
    start = ResolvedDeployment(deployment, "app", "pid", []).start_input("notes", "m")
    assert (
        start["variableInputs"][0]["variableValue"]["value"]
        == 'quote " and \\ and $ and\nnewline ü'
    )
    assert start["executionType"] == "PIPELINE"
