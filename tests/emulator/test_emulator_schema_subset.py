"""The emulator's SDL is a subset of the real Harness schema, declaration by declaration.

Needs <repo>/../shared/harness-graphql-schema: skipped without it, but with CI=true its absence
fails (see required_real_schema).
"""

from __future__ import annotations

from pathlib import Path

import emulator_helpers
import pytest
from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLNamedType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLSchema,
    GraphQLUnionType,
)

from harness_gate.emulator.api import get_schema

BUILT_IN = {"String", "Int", "Float", "Boolean", "ID"}


def _problems(emulator: GraphQLSchema, real: GraphQLSchema) -> list[str]:
    problems: list[str] = []
    for name, ours in emulator.type_map.items():
        if name.startswith("__") or name in BUILT_IN:
            continue
        theirs = real.type_map.get(name)
        if theirs is None:
            problems.append(f"type {name} is not in the real schema")
            continue
        if type(theirs) is not type(ours):
            problems.append(
                f"{name} is a {type(ours).__name__} here, {type(theirs).__name__} there"
            )
            continue
        problems += _compare(name, ours, theirs)
    return problems


def _compare(name: str, ours: GraphQLNamedType, theirs: GraphQLNamedType) -> list[str]:
    problems: list[str] = []
    if isinstance(ours, (GraphQLObjectType, GraphQLInterfaceType)):
        assert isinstance(theirs, (GraphQLObjectType, GraphQLInterfaceType))
        for iface in ours.interfaces:
            if iface.name not in {i.name for i in theirs.interfaces}:
                problems.append(f"{name} implements {iface.name} only here")
        for field_name, field in ours.fields.items():
            real_field = theirs.fields.get(field_name)
            if real_field is None:
                problems.append(f"field {name}.{field_name} is not in the real schema")
                continue
            if str(field.type) != str(real_field.type):
                problems.append(f"{name}.{field_name}: {field.type} here, {real_field.type} there")
            for arg_name, arg in field.args.items():
                real_arg = real_field.args.get(arg_name)
                if real_arg is None:
                    problems.append(f"argument {name}.{field_name}({arg_name}) is not real")
                elif str(arg.type) != str(real_arg.type):
                    problems.append(
                        f"{name}.{field_name}({arg_name}): {arg.type} vs {real_arg.type}"
                    )
            # A required argument left out here would make us accept what the server rejects.
            for arg_name, real_arg in real_field.args.items():
                if isinstance(real_arg.type, GraphQLNonNull) and arg_name not in field.args:
                    problems.append(f"required argument {name}.{field_name}({arg_name}) is missing")
    elif isinstance(ours, GraphQLInputObjectType):
        assert isinstance(theirs, GraphQLInputObjectType)
        for field_name, input_field in ours.fields.items():
            real_input = theirs.fields.get(field_name)
            if real_input is None:
                problems.append(f"input field {name}.{field_name} is not in the real schema")
            elif str(input_field.type) != str(real_input.type):
                problems.append(f"{name}.{field_name}: {input_field.type} vs {real_input.type}")
        for field_name, real_input in theirs.fields.items():
            required = (
                isinstance(real_input.type, GraphQLNonNull) and real_input.default_value is None
            )
            if required and field_name not in ours.fields:
                problems.append(f"required input field {name}.{field_name} is missing")
    elif isinstance(ours, GraphQLEnumType):
        assert isinstance(theirs, GraphQLEnumType)
        for value in ours.values:
            if value not in theirs.values:
                problems.append(f"enum value {name}.{value} is not in the real schema")
    elif isinstance(ours, GraphQLUnionType):
        assert isinstance(theirs, GraphQLUnionType)
        for member in ours.types:
            if member.name not in {t.name for t in theirs.types}:
                problems.append(f"{member.name} is in union {name} only here")
    else:
        assert isinstance(ours, GraphQLScalarType)
    return problems


def test_emulator_schema_is_a_subset_of_the_real_one(required_real_schema: GraphQLSchema) -> None:
    assert _problems(get_schema(), required_real_schema) == []


def test_root_types_match(required_real_schema: GraphQLSchema) -> None:
    ours = get_schema()
    assert ours.query_type is not None and ours.mutation_type is not None
    assert required_real_schema.query_type is not None
    assert required_real_schema.mutation_type is not None
    assert ours.query_type.name == required_real_schema.query_type.name
    assert ours.mutation_type.name == required_real_schema.mutation_type.name
    # What the gate needs is all there.
    assert set(ours.query_type.fields) >= {
        "applicationByName",
        "application",
        "pipelineByName",
        "pipeline",
        "workflowByName",
        "workflow",
        "execution",
        "executions",
        "approvalDetails",
    }
    assert set(ours.mutation_type.fields) == {
        "startExecution",
        "approveOrRejectApprovals",
        "pipelineResumeRuntime",
    }
    assert "runtimeExecutionInputsToResumePipeline" in ours.query_type.fields


def test_the_comparison_catches_differences(required_real_schema: GraphQLSchema) -> None:
    from graphql import build_schema

    wrong = build_schema(
        """
        type Query {
          execution(executionId: String): Execution
          pipelineByName(pipelineName: String!): Pipeline
        }
        type Execution { id: ID bogus: String }
        type Pipeline { id: String }
        enum ExecutionStatus { SUCCESS DONE }
        """
    )
    problems = _problems(wrong, required_real_schema)
    assert "Query.execution(executionId): String vs String!" in problems
    assert "required argument Query.pipelineByName(applicationId) is missing" in problems
    assert "Execution is a GraphQLObjectType here, GraphQLInterfaceType there" in problems
    assert "enum value ExecutionStatus.DONE is not in the real schema" in problems


def test_missing_real_schema_fails_when_required_and_skips_elsewhere(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(emulator_helpers, "REAL_SCHEMA_DIR", tmp_path / "missing")
    monkeypatch.setattr(emulator_helpers, "_REAL", [])
    monkeypatch.setenv("HARNESS_GATE_REQUIRE_SHARED", "1")
    with pytest.raises(pytest.fail.Exception, match="HARNESS_GATE_REQUIRE_SHARED=1"):
        emulator_helpers.required_real_schema()
    monkeypatch.setattr(emulator_helpers, "_REAL", [])
    monkeypatch.delenv("HARNESS_GATE_REQUIRE_SHARED")
    monkeypatch.setenv("CI", "true")  # a contributor's own CI: still a skip
    with pytest.raises(pytest.skip.Exception):
        emulator_helpers.required_real_schema()


HARD_PARTS_OPERATIONS = [
    """
    mutation Resume($input: RuntimeExecutionInputsToResumePipeline!) {
      pipelineResumeRuntime(input: $input) { clientMutationId status }
    }""",
    """
    query Inputs($app: String!, $id: String!, $stage: String!, $vars: [VariableInput]) {
      runtimeExecutionInputsToResumePipeline(
        applicationId: $app, pipelineExecutionId: $id, pipelineStageElementId: $stage,
        variableInputs: $vars
      ) { serviceInputs { name } serviceManifestInputs { name } }
    }""",
    """
    query Start($app: String!, $id: String!) {
      executionInputs(applicationId: $app, entityId: $id, executionType: WORKFLOW) {
        serviceInputs { name artifactSources { name ... on NexusArtifactSource { parameters } } }
        serviceManifestInputs { id name }
      }
    }""",
    """
    query Paused($id: String!) {
      execution(executionId: $id) {
        status
        ... on WorkflowExecution { manifests { id name version applicationManifestId createdAt } }
        ... on PipelineExecution {
          pipelineStageExecutions {
            pipelineStageElementId
            ... on WorkflowStageExecution {
              status
              runtimeInputVariables { name type required allowedValues defaultValue fixed }
            }
            ... on ApprovalStageExecution { status approvalStepType }
          }
        }
      }
    }""",
    """
    mutation {
      startExecution(input: {
        applicationId: "a", entityId: "e", executionType: PIPELINE,
        continueWithDefaultValues: true,
        serviceInputs: [
          {name: "guestbook", manifestValueInput: {valueType: VERSION_NUMBER,
            versionNumber: {appManifestName: "guestbook-chart", versionNumber: "0.1.0"}}},
          {name: "g", manifestValueInput: {valueType: HELM_CHART_ID, helmChartId: "c"}},
          {name: "n", artifactValueInput: {valueType: PARAMETERIZED_ARTIFACT_SOURCE,
            parameterizedArtifactSource: {artifactSourceName: "guestbook-params",
              buildNumber: "1.0.0", parameterValueInputs: [{name: "repo", value: "r"}]}}}
        ]
      }) { execution { id status } }
    }""",
]


@pytest.mark.parametrize("operation", HARD_PARTS_OPERATIONS)
def test_operations_the_emulator_accepts_are_valid_for_the_real_server(
    required_real_schema: GraphQLSchema, operation: str
) -> None:
    from graphql import parse, validate

    doc = parse(operation)
    assert validate(get_schema(), doc) == []
    assert validate(required_real_schema, doc) == []
