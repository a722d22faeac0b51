"""Every document the gate sends validates against Harness's real public schema."""

from __future__ import annotations

import pytest

from harness_gate import graphql_docs as docs
from tests.shared_schema import load_real_schema


@pytest.fixture(scope="module")
def checker():  # type: ignore[no-untyped-def]
    return load_real_schema()


CASES = [
    docs.applications_query(["Harness Demo", "Other"]),
    docs.entities_query([("pipeline", "app", "P"), ("workflow", "app", "W")]),
    docs.execution_inputs_query(
        [
            (
                "WORKFLOW",
                "app",
                "wf",
                [{"name": "v", "variableValue": {"type": "NAME", "value": "x"}}],
            )
        ]
    ),
    docs.start_mutation(
        [
            {
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
                    },
                    {
                        "name": "svc2",
                        "artifactValueInput": {
                            "valueType": "ARTIFACT_ID",
                            "artifactId": {"artifactId": "abc"},
                        },
                    },
                ],
            }
        ]
    ),
    docs.executions_status_query(["e1", "e2", "e3"]),
    docs.find_started_query([("pipeline", "a", "p", 1), ("workflow", "a", "w", 2)]),
]


@pytest.mark.parametrize(("document", "variables"), CASES)
def test_document_is_valid_for_the_real_schema(checker, document, variables) -> None:  # type: ignore[no-untyped-def]
    schema, check_query = checker
    assert check_query(schema, document, variables) == []


def test_every_builder_is_covered() -> None:
    assert len(CASES) == len(docs.ALL_BUILDERS)
