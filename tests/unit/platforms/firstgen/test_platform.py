"""FirstGenPlatform: Harness's answers to starts, lookups, reads and resumes mapped to the
platform interface, with a scripted GraphQL client (no network)."""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any, Callable, Optional

import pytest

from harness_gate.budget import RequestBudget
from harness_gate.console import Console
from harness_gate.errors import RefusedError
from harness_gate.model import PIPELINE, WORKFLOW, Deployment, VariableInput
from harness_gate.platforms.base import ExecutionRef, Phase, Snapshot, StartRequest
from harness_gate.platforms.firstgen import GENERIC_ERROR, LOOKUP_SKEW_MS, FirstGenPlatform
from harness_gate.platforms.firstgen.documents import LOOKUP_PAGE, Batch, GraphQLResult
from harness_gate.platforms.firstgen.resolve import FirstGenTarget
from harness_gate.settings import ConnectionSettings, Secret
from harness_gate.stopper import Stopper
from harness_gate.transport import Transport

Answer = Callable[[Batch[Any]], GraphQLResult]


class ScriptedClient:
    def __init__(self, answers: Sequence[Answer]) -> None:
        self.answers = list(answers)
        self.batches: list[Batch[Any]] = []
        self.read_timeouts: list[Optional[float]] = []

    def run(
        self,
        batch: Batch[Any],
        *,
        purpose: str,
        deadline: float,
        read_timeout: Any = None,
        timeout_tries: Any = None,
    ) -> GraphQLResult:
        self.batches.append(batch)
        self.read_timeouts.append(read_timeout)
        return self.answers.pop(0)(batch)


def platform(answers: Sequence[Answer], request_timeout: float = 30.0) -> FirstGenPlatform:
    settings = ConnectionSettings(
        "https://h.example/gateway",
        "acct",
        Secret("platform-test-key-0123456789"),
        request_timeout=request_timeout,
    )
    console = Console(io.StringIO())
    t = Transport(settings, console, RequestBudget(100), Stopper())
    p = FirstGenPlatform(t, console, start_grace=120.0)
    p.client = ScriptedClient(answers)  # type: ignore[assignment]
    return p


def target(entity_type: str = WORKFLOW, variables: Sequence[VariableInput] = ()) -> FirstGenTarget:
    d = Deployment(
        name="web",
        entity_type=entity_type,
        entity_name="Deploy",
        application="Demo",
        variables=list(variables),
    )
    return FirstGenTarget(d, "app-1", "ent-1", [])


def request(marker: str = "[harness-gate r-0 web]") -> StartRequest:
    return StartRequest(target(), f"notes\n{marker}", marker, sent_at_ms=10_000_000)


def data(values: Sequence[Any], errors: Sequence[Optional[str]] = ()) -> Answer:
    def answer(batch: Batch[Any]) -> GraphQLResult:
        errs = [
            {"message": text, "path": [alias]}
            for alias, text in zip(batch.aliases, errors)
            if text is not None
        ]
        return GraphQLResult(data=dict(zip(batch.aliases, values)), errors=errs)

    return answer


def test_read_batch_and_lookup_window_follow_the_request_timeout() -> None:
    p = platform([], request_timeout=30.0)
    assert p.read_batch == 50  # 30 s / 0.6 s per execution
    assert platform([], request_timeout=600.0).read_batch == 100
    assert p.lookup_window(1) == 30.0 + 120.0
    assert p.lookup_window(3) == 30.0 + 360.0


def test_start_answers_of_every_kind() -> None:
    execution = {"id": "ex-1", "status": "QUEUED", "application": {"id": "app-1"}}
    p = platform(
        [
            data(
                [
                    {"execution": execution, "warningMessage": "build not seen yet"},
                    None,
                    None,
                    {"execution": None},
                ],
                [
                    None,
                    "Invalid artifact source",
                    f"Exception while fetching data (/s2) : {GENERIC_ERROR}",
                ],
            )
        ]
    )
    started, refused, generic, empty = p.start([request()] * 4, deadline=1e12)
    assert started.snapshot is not None and started.snapshot.phase is Phase.QUEUED
    assert started.warning == "build not seen yet"
    assert refused.refused == "Invalid artifact source" and refused.snapshot is None
    assert generic.refused is None and generic.unknown == f"Harness said: {GENERIC_ERROR}"
    assert generic.raw == [GENERIC_ERROR]
    assert empty.unknown == "the start answered without an execution"
    client = p.client
    assert isinstance(client, ScriptedClient)
    assert client.batches[0].operation == "mutation"
    assert client.read_timeouts == [p.lookup_window(4)]  # a late answer is still an answer
    sent = client.batches[0].variables
    assert sent["s0"]["clientMutationId"] == "[harness-gate r-0 web]"
    assert sent["s0"]["notes"].endswith("[harness-gate r-0 web]")


def test_find_started_pages_until_the_marker_is_found() -> None:
    marker = "[harness-gate r-0 web]"
    others = [{"id": f"o{i}", "notes": "someone else"} for i in range(3)]
    p = platform(
        [
            data([{"nodes": others, "pageInfo": {"hasMore": True}}]),
            data([{"nodes": [{"id": "mine", "notes": f"x {marker}", "status": "RUNNING"}]}]),
        ]
    )
    found = p.find_started([request(marker)], deadline=1e12)
    assert list(found) == [0] and found[0].execution_id == "mine"
    client = p.client
    assert isinstance(client, ScriptedClient)
    first, second = client.batches
    assert first.variables["f0off"] == 0 and second.variables["f0off"] == LOOKUP_PAGE
    after = first.variables["f0"][2]["creationTime"]["value"]
    assert after == 10_000_000 - LOOKUP_SKEW_MS


def test_find_started_stops_when_no_page_has_more() -> None:
    p = platform([data([{"nodes": [], "pageInfo": {"hasMore": False}}])])
    assert p.find_started([request()], deadline=1e12) == {}


def test_read_answers() -> None:
    p = platform(
        [
            data(
                [{"id": "e1", "status": "SUCCESS"}, None, None],
                [None, "Execution does not exist or access is denied", "boom"],
            )
        ]
    )
    ok, missing, failed = p.read(
        [ExecutionRef("e1"), ExecutionRef("e2"), ExecutionRef("e3")], deadline=1e12
    )
    assert ok.snapshot is not None and ok.snapshot.phase is Phase.SUCCEEDED
    assert missing.not_found == "Execution does not exist or access is denied"
    assert failed.error == "boom"


def waiting(inputs: list[str]) -> Snapshot:
    return Snapshot(
        "ex-1",
        "PAUSED",
        Phase.WAITING_INPUT,
        scope=("app-1", "stage-el"),
        waiting_inputs=inputs,
    )


def test_resume_gives_the_waiting_stage_the_specs_values() -> None:
    p = platform([data([{"status": "RUNNING"}])])
    t = target(PIPELINE, [VariableInput("env", "qa"), VariableInput("other", "x")])
    assert p.resume(t, waiting(["env"]), deadline=1e12) is None
    client = p.client
    assert isinstance(client, ScriptedClient)
    sent = client.batches[0].variables["r0"]
    assert sent["pipelineStageElementId"] == "stage-el"
    assert sent["variableInputs"] == [
        {"name": "env", "variableValue": {"type": "NAME", "value": "qa"}}
    ]


def test_resume_names_the_inputs_the_spec_lacks_and_sends_nothing() -> None:
    p = platform([])
    problem = p.resume(target(PIPELINE), waiting(["env", "tag"]), deadline=1e12)
    assert problem is not None and "runtime input(s) env, tag" in problem


def test_resume_reports_harnesss_refusal() -> None:
    def refuse(batch: Batch[Any]) -> GraphQLResult:
        raise RefusedError("resume web: Harness refused the request", ["stage not paused"])

    p = platform([refuse])
    t = target(PIPELINE, [VariableInput("env", "qa")])
    assert p.resume(t, waiting(["env"]), deadline=1e12) == "stage not paused"


@pytest.mark.parametrize("entity_type", [WORKFLOW, PIPELINE])
def test_resume_needs_a_pipeline_stage(entity_type: str) -> None:
    p = platform([])
    snap = waiting(["env"])
    if entity_type == PIPELINE:
        snap.scope = ("app-1",)  # the stage is not known
    assert p.resume(target(entity_type), snap, deadline=1e12) == (
        "Harness did not say which stage waits"
    )


def test_started_something_stops_giving_up_on_the_endpoint() -> None:
    p = platform([])
    assert p.transport.unreachable_limit is not None
    p.started_something()
    assert p.transport.unreachable_limit is None
