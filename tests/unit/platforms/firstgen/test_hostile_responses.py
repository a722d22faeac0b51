"""API responses are distrusted: missing fields, wrong types and unknown enum values are shown
or reported, never crashed on."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harness_gate.model import Deployment, VariableInput
from harness_gate.platforms.base import Phase
from harness_gate.platforms.firstgen import statuses
from harness_gate.platforms.firstgen.documents import Batch, GraphQLResult
from harness_gate.platforms.firstgen.resolve import Resolver, check_variables

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)
STATUS_WORDS = ["SUCCESS", "PAUSED", "FAILED", "RUNNING", "QUEUED", "WAITING", "NEW_ONE"]
STAGE = st.dictionaries(
    st.sampled_from(
        [
            "status",
            "approvalStepType",
            "runtimeInputVariables",
            "pipelineStageName",
            "pipelineStageElementId",
        ]
    ),
    JSON | st.sampled_from(STATUS_WORDS),
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
    "pipeline",
    "workflow",
    "notes",
]
EXECUTION = st.dictionaries(
    st.sampled_from(KEYS), JSON | st.sampled_from(STATUS_WORDS)
) | st.fixed_dictionaries(
    {"status": st.sampled_from(STATUS_WORDS), "pipelineStageExecutions": st.lists(STAGE)}
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(EXECUTION)
def test_any_execution_payload_becomes_a_snapshot(node: dict[str, Any]) -> None:
    snap = statuses.snapshot(node)
    status = node.get("status")
    if isinstance(status, str) and status in statuses.TERMINAL_STATUSES:
        assert snap.phase.terminal and snap.status == status
    elif isinstance(status, str):
        # An unknown or in-progress word is kept as text and never taken for an end.
        assert not snap.phase.terminal and snap.status == status
    else:
        assert snap.phase is Phase.PREPARING and snap.status is None
    assert isinstance(snap.execution_id, str) and isinstance(snap.where, str)
    assert all(isinstance(name, str) for name in snap.waiting_inputs)


class ScriptedClient:
    """Answers each request with whatever the test draws for each of its aliases."""

    def __init__(self, data: st.DataObject) -> None:
        self.data = data
        self.requests = 0

    def run(self, batch: Batch[Any], **_: Any) -> GraphQLResult:
        self.requests += 1
        values = self.data.draw(st.lists(JSON, min_size=len(batch.aliases)))
        errors = self.data.draw(
            st.lists(st.dictionaries(st.sampled_from(["message", "path"]), JSON))
        )
        return GraphQLResult(data=dict(zip(batch.aliases, values)), errors=errors)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_resolution_survives_any_answer(data: st.DataObject) -> None:
    deployments = [
        Deployment(name="d", entity_type="workflow", entity_name="W", application="A"),
        Deployment(name="p", entity_type="pipeline", entity_name="P", application="B"),
    ]
    client = ScriptedClient(data)
    resolution = Resolver(client, lambda _text: None).resolve(deployments, deadline=1e12)  # type: ignore[arg-type]
    # Every deployment is either a target or a failure with a reason, never both, never lost.
    targets = {t.deployment.name for t in resolution.targets}
    assert targets | set(resolution.failures) == {"d", "p"}
    assert not targets & set(resolution.failures)
    assert all(isinstance(why, str) and why for why in resolution.failures.values())
    assert resolution.requests == client.requests


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
