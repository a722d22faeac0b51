"""Every GraphQL document the gate sends, in one place.

Batching is by aliases: one request resolves all applications, one all pipelines and
workflows, one reads the status of every active execution. Values always travel as GraphQL
variables, never pasted into the document.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

VARIABLE_FIELDS = "name type required allowedValues defaultValue fixed allowMultipleValues"

EXECUTION_FIELDS = """
    id
    status
    createdAt
    startedAt
    endedAt
    notes
    executionUrl
    failureDetails
    application { id name }
    ... on PipelineExecution {
      pipeline { id name }
      pipelineStageExecutions {
        pipelineStageName
        pipelineStepName
        ... on ApprovalStageExecution { status approvalStepType }
        ... on WorkflowStageExecution { status }
      }
    }
    ... on WorkflowExecution {
      workflow { id name }
    }
"""


def _document(kind: str, name: str, params: Sequence[str], body: Sequence[str]) -> str:
    head = f"{kind} {name}" + (f"({', '.join(params)})" if params else "")
    return head + " {\n" + "\n".join(body) + "\n}\n"


def applications_query(names: Sequence[str]) -> tuple[str, dict[str, Any]]:
    """applicationByName for each name, aliased a0, a1, ..."""
    params, body, variables = [], [], {}
    for i, name in enumerate(names):
        params.append(f"$a{i}: String!")
        body.append(f"  a{i}: applicationByName(name: $a{i}) {{ id name }}")
        variables[f"a{i}"] = name
    return _document("query", "ResolveApplications", params, body), variables


def entities_query(items: Sequence[tuple[str, str, str]]) -> tuple[str, dict[str, Any]]:
    """pipelineByName / workflowByName with declared variables, aliased e0, e1, ...

    items: (entity_type, application_id, entity_name).
    """
    params, body, variables = [], [], {}
    for i, (entity_type, app_id, name) in enumerate(items):
        params += [f"$e{i}app: String!", f"$e{i}name: String!"]
        variables[f"e{i}app"] = app_id
        variables[f"e{i}name"] = name
        if entity_type == "pipeline":
            body.append(
                f"  e{i}: pipelineByName(applicationId: $e{i}app, pipelineName: $e{i}name) "
                f"{{ id name pipelineVariables {{ {VARIABLE_FIELDS} }} }}"
            )
        else:
            body.append(
                f"  e{i}: workflowByName(applicationId: $e{i}app, workflowName: $e{i}name) "
                f"{{ id name workflowVariables {{ {VARIABLE_FIELDS} }} }}"
            )
    return _document("query", "ResolveEntities", params, body), variables


def execution_inputs_query(
    items: Sequence[tuple[str, str, str, list[dict[str, Any]]]],
) -> tuple[str, dict[str, Any]]:
    """executionInputs (the services that need an artifact) for each entity, aliased i0, ...

    items: (execution_type PIPELINE/WORKFLOW, application_id, entity_id, variable_inputs).
    """
    params, body, variables = [], [], {}
    for i, (execution_type, app_id, entity_id, variable_inputs) in enumerate(items):
        params += [
            f"$i{i}app: String!",
            f"$i{i}entity: String!",
            f"$i{i}type: ExecutionType!",
            f"$i{i}vars: [VariableInput]",
        ]
        variables.update(
            {
                f"i{i}app": app_id,
                f"i{i}entity": entity_id,
                f"i{i}type": execution_type,
                f"i{i}vars": variable_inputs,
            }
        )
        body.append(
            f"  i{i}: executionInputs(applicationId: $i{i}app, entityId: $i{i}entity, "
            f"executionType: $i{i}type, variableInputs: $i{i}vars) "
            "{ serviceInputs { id name } }"
        )
    return _document("query", "ExecutionInputs", params, body), variables


def start_mutation(inputs: Sequence[dict[str, Any]]) -> tuple[str, dict[str, Any]]:
    """startExecution for each input, aliased s0, s1, ...; the server runs them in order."""
    params, body, variables = [], [], {}
    for i, start_input in enumerate(inputs):
        params.append(f"$s{i}: StartExecutionInput!")
        variables[f"s{i}"] = start_input
        body.append(
            f"  s{i}: startExecution(input: $s{i}) {{\n"
            "    clientMutationId\n    warningMessage\n"
            f"    execution {{ {EXECUTION_FIELDS} }}\n  }}"
        )
    return _document("mutation", "StartExecutions", params, body), variables


def executions_status_query(execution_ids: Sequence[str]) -> tuple[str, dict[str, Any]]:
    """execution(executionId) for every active execution, aliased x0, x1, ..."""
    params, body, variables = [], [], {}
    for i, execution_id in enumerate(execution_ids):
        params.append(f"$x{i}: String!")
        variables[f"x{i}"] = execution_id
        body.append(f"  x{i}: execution(executionId: $x{i}) {{ {EXECUTION_FIELDS} }}")
    return _document("query", "ExecutionStatuses", params, body), variables


def find_started_query(
    items: Sequence[tuple[str, str, str, int]],
) -> tuple[str, dict[str, Any]]:
    """Recent executions of each entity, to find one a lost start response created.

    items: (entity_type, application_id, entity_id, created_after_ms); aliased f0, f1, ...
    """
    params, body, variables = [], [], {}
    for i, (entity_type, app_id, entity_id, since_ms) in enumerate(items):
        params.append(f"$f{i}: [ExecutionFilter]")
        entity_key = "pipeline" if entity_type == "pipeline" else "workflow"
        variables[f"f{i}"] = [
            {"application": {"operator": "EQUALS", "values": [app_id]}},
            {entity_key: {"operator": "EQUALS", "values": [entity_id]}},
            {"creationTime": {"operator": "AFTER", "value": since_ms}},
        ]
        body.append(
            f"  f{i}: executions(filters: $f{i}, limit: 100) "
            f"{{ pageInfo {{ hasMore }} nodes {{ {EXECUTION_FIELDS} }} }}"
        )
    return _document("query", "FindStartedExecutions", params, body), variables


ALL_BUILDERS = (
    applications_query,
    entities_query,
    execution_inputs_query,
    start_mutation,
    executions_status_query,
    find_started_query,
)
