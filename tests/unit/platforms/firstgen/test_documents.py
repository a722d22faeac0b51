"""Every GraphQL document the gate sends validates against Harness's real public schema, and
`Batch.answers` pairs each input item with its node and its error."""

from __future__ import annotations

from typing import Any, Callable

import pytest

from harness_gate.platforms.firstgen import documents as docs
from harness_gate.platforms.firstgen.documents import (
    ApprovalsKey,
    EntityKey,
    GraphQLResult,
    InputsKey,
    LookupKey,
    ResumeKey,
)
from tests.shared_schema import load_real_schema

START = {
    "applicationId": "a",
    "entityId": "e",
    "executionType": "WORKFLOW",
    "notes": "n",
    "clientMutationId": "m",
    "variableInputs": [{"name": "v", "variableValue": {"type": "ID", "value": "x"}}],
    "serviceInputs": [
        {
            "name": "svc",
            "artifactValueInput": {
                "valueType": "BUILD_NUMBER",
                "buildNumber": {"buildNumber": "1", "artifactSourceName": "src"},
            },
            "manifestValueInput": {
                "valueType": "VERSION_NUMBER",
                "versionNumber": {"appManifestName": "chart", "versionNumber": "1.2.3"},
            },
        },
        {
            "name": "svc2",
            "artifactValueInput": {
                "valueType": "ARTIFACT_ID",
                "artifactId": {"artifactId": "abc"},
            },
        },
        {
            "name": "svc3",
            "artifactValueInput": {
                "valueType": "PARAMETERIZED_ARTIFACT_SOURCE",
                "parameterizedArtifactSource": {
                    "artifactSourceName": "nexus",
                    "buildNumber": "7",
                    "parameterValueInputs": [{"name": "repo", "value": "r"}],
                },
            },
            "manifestValueInput": {"valueType": "HELM_CHART_ID", "helmChartId": "hc1"},
        },
    ],
}

CASES: dict[Callable[..., docs.Batch[Any]], docs.Batch[Any]] = {
    docs.applications: docs.applications(["Harness Demo", "Other"]),
    docs.entities: docs.entities(
        [EntityKey("pipeline", "app", "P"), EntityKey("workflow", "app", "W")]
    ),
    docs.execution_inputs: docs.execution_inputs(
        [
            InputsKey(
                "WORKFLOW",
                "app",
                "wf",
                [{"name": "v", "variableValue": {"type": "NAME", "value": "x"}}],
            ),
            InputsKey("PIPELINE", "app", "p", []),
        ]
    ),
    docs.starts: docs.starts([START, {**START, "executionType": "PIPELINE"}]),
    docs.statuses: docs.statuses(["e1", "e2", "e3"]),
    docs.lookups: docs.lookups(
        [LookupKey("pipeline", "a", "p", 1), LookupKey("workflow", "a", "w", 2, offset=100)]
    ),
    docs.resumes: docs.resumes(
        [
            ResumeKey("app", "ex", "stage", (("env", "NAME", "qa"),)),
            ResumeKey(
                "app", "ex", "stage", (("svc", "NAME", "web"),), (START["serviceInputs"][0],)
            ),
        ]
    ),
    docs.approvals: docs.approvals([ApprovalsKey("app", "ex1"), ApprovalsKey("app", "ex2")]),
}


@pytest.fixture(scope="module")
def checker() -> tuple[Any, Any]:
    return load_real_schema()


@pytest.mark.parametrize("builder", list(CASES), ids=lambda b: b.__name__)
def test_document_is_valid_for_the_real_schema(
    checker: tuple[Any, Any], builder: Callable[..., docs.Batch[Any]]
) -> None:
    schema, check_query = checker
    batch = CASES[builder]
    assert check_query(schema, batch.document, batch.variables) == []


def test_every_builder_is_covered() -> None:
    assert set(CASES) == set(docs.ALL_BUILDERS)


def test_an_invalid_document_is_caught_by_the_checker(checker: tuple[Any, Any]) -> None:
    # The check above is worth something only if the checker rejects a wrong field.
    schema, check_query = checker
    batch = docs.statuses(["e1"])
    assert check_query(schema, batch.document.replace("failureDetails", "failureDetail"), {})


def test_values_travel_as_variables_never_in_the_document() -> None:
    name = 'quote " and $dollar and \\ backslash'
    batch = docs.applications([name])
    assert name not in batch.document
    assert list(batch.variables.values()) == [name]
    assert batch.operation == "query" and batch.name == "ResolveApplications"
    assert docs.starts([START]).operation == "mutation"


def test_answers_pair_items_with_nodes_and_errors() -> None:
    batch = docs.statuses(["e1", "e2", "e3", "e4"])
    a0, a1, a2, a3 = batch.aliases
    result = GraphQLResult(
        data={a0: {"id": "e1"}, a1: None, a2: "not an object", a3: {"id": "e4"}},
        errors=[
            {
                "message": "Exception while fetching data (/x1) : Execution does not exist",
                "path": [a1],
            },
            {"message": "unrelated", "path": ["elsewhere"]},
            {"message": "no path at all"},
        ],
    )
    answers = batch.answers(result)
    assert [a.item for a in answers] == ["e1", "e2", "e3", "e4"]
    assert answers[0].node == {"id": "e1"} and answers[0].error is None
    assert answers[1].node is None and answers[1].error == "Execution does not exist"
    assert answers[2].node is None and answers[2].error is None
    assert answers[3].node == {"id": "e4"}


def test_answers_of_an_empty_result() -> None:
    batch = docs.applications(["A", "B"])
    answers = batch.answers(GraphQLResult(data={}, errors=[]))
    assert [(a.item, a.node, a.error) for a in answers] == [("A", None, None), ("B", None, None)]


def test_harness_words_drop_the_graphql_java_wrapper() -> None:
    text = "Exception while fetching data (/s0) : Invalid request: Workflow does not exist"
    assert docs.harness_words(text) == "Invalid request: Workflow does not exist"
    assert docs.harness_words("  plain words ") == "plain words"


def test_lookups_page_by_their_own_offset_variable() -> None:
    batch = docs.lookups(
        [LookupKey("pipeline", "app", "p", 1000), LookupKey("workflow", "app", "w", 5, 200)]
    )
    f0, f1 = batch.aliases
    assert batch.variables[f"{f0}off"] == 0 and batch.variables[f"{f1}off"] == 200
    assert f"offset: ${f0}off" in batch.document and f"limit: {docs.LOOKUP_PAGE}" in batch.document
    filters = batch.variables[f0]
    assert {"pipeline": {"operator": "EQUALS", "values": ["p"]}} in filters
    assert {"creationTime": {"operator": "AFTER", "value": 1000}} in filters
    assert {"workflow": {"operator": "EQUALS", "values": ["w"]}} in batch.variables[f1]
    assert "pageInfo { hasMore }" in batch.document
