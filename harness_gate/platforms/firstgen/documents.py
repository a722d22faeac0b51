"""Every GraphQL document the gate sends, in one place.

Batching is by aliases: one request resolves all applications, one all pipelines and
workflows, one reads the status of many executions. Each builder returns a `Batch` that pairs
every input item with its alias, so a caller reads `batch.answers(result)` (item, node,
error) and never spells an alias. Values always travel as GraphQL variables.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Generic, Optional, TypeVar

T = TypeVar("T")

VARIABLE_FIELDS = "name type required allowedValues defaultValue fixed allowMultipleValues"
LOOKUP_PAGE = 100

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
        pipelineStageElementId
        pipelineStageName
        pipelineStepName
        ... on ApprovalStageExecution { status approvalStepType }
        ... on WorkflowStageExecution { status runtimeInputVariables { name required } }
      }
    }
    ... on WorkflowExecution {
      workflow { id name }
    }
"""

_FETCH_PREFIX = re.compile(r"^Exception while fetching data \([^)]*\) : ")


def harness_words(message: str) -> str:
    """Harness's text without graphql-java's wrapper (an alias path means nothing to a user)."""
    return _FETCH_PREFIX.sub("", message).strip()


@dataclass
class GraphQLResult:
    data: dict[str, Any]
    errors: list[dict[str, Any]]

    def error_for(self, alias: str) -> Optional[str]:
        """Harness's words in the first error whose path starts at this alias."""
        for error in self.errors:
            path = error.get("path")
            if isinstance(path, list) and path and path[0] == alias:
                return harness_words(str(error.get("message", "unknown error")))
        return None


@dataclass
class Answer(Generic[T]):
    item: T
    node: Optional[dict[str, Any]]  # the aliased field's object, when it is one
    error: Optional[str]  # Harness's words for this alias, without graphql-java's wrapper


@dataclass
class Batch(Generic[T]):
    operation: str  # query or mutation
    name: str  # the operation's name, sent as operationName
    document: str
    variables: dict[str, Any]
    items: list[T]
    aliases: list[str]

    def answers(self, result: GraphQLResult) -> list[Answer[T]]:
        out = []
        for item, alias in zip(self.items, self.aliases):
            node = result.data.get(alias)
            out.append(
                Answer(item, node if isinstance(node, dict) else None, result.error_for(alias))
            )
        return out


def _batch(
    operation: str,
    name: str,
    items: Sequence[T],
    prefix: str,
    field: Any,
) -> Batch[T]:
    """field(alias, item) -> (parameter declarations, body line, variables)."""
    params: list[str] = []
    body: list[str] = []
    variables: dict[str, Any] = {}
    aliases: list[str] = []
    for i, item in enumerate(items):
        alias = f"{prefix}{i}"
        p, line, v = field(alias, item)
        params += p
        body.append(f"  {alias}: {line}")
        variables.update(v)
        aliases.append(alias)
    head = f"{operation} {name}" + (f"({', '.join(params)})" if params else "")
    document = head + " {\n" + "\n".join(body) + "\n}\n"
    return Batch(operation, name, document, variables, list(items), aliases)


def applications(names: Sequence[str]) -> Batch[str]:
    def field(alias: str, name: str) -> tuple[list[str], str, dict[str, Any]]:
        return (
            [f"${alias}: String!"],
            f"applicationByName(name: ${alias}) {{ id name }}",
            {alias: name},
        )

    return _batch("query", "ResolveApplications", names, "a", field)


@dataclass(frozen=True)
class EntityKey:
    entity_type: str  # pipeline or workflow
    application_id: str
    name: str


def entities(items: Sequence[EntityKey]) -> Batch[EntityKey]:
    """pipelineByName / workflowByName with their declared variables."""

    def field(alias: str, key: EntityKey) -> tuple[list[str], str, dict[str, Any]]:
        params = [f"${alias}app: String!", f"${alias}name: String!"]
        variables = {f"{alias}app": key.application_id, f"{alias}name": key.name}
        if key.entity_type == "pipeline":
            line = (
                f"pipelineByName(applicationId: ${alias}app, pipelineName: ${alias}name) "
                f"{{ id name pipelineVariables {{ {VARIABLE_FIELDS} }} }}"
            )
        else:
            line = (
                f"workflowByName(applicationId: ${alias}app, workflowName: ${alias}name) "
                f"{{ id name workflowVariables {{ {VARIABLE_FIELDS} }} }}"
            )
        return params, line, variables

    return _batch("query", "ResolveEntities", items, "e", field)


@dataclass
class InputsKey:
    execution_type: str  # PIPELINE or WORKFLOW
    application_id: str
    entity_id: str
    variable_inputs: list[dict[str, Any]]


def execution_inputs(items: Sequence[InputsKey]) -> Batch[InputsKey]:
    """executionInputs: the services that need an artifact and those that need a manifest."""

    def field(alias: str, key: InputsKey) -> tuple[list[str], str, dict[str, Any]]:
        params = [
            f"${alias}app: String!",
            f"${alias}entity: String!",
            f"${alias}type: ExecutionType!",
            f"${alias}vars: [VariableInput]",
        ]
        variables = {
            f"{alias}app": key.application_id,
            f"{alias}entity": key.entity_id,
            f"{alias}type": key.execution_type,
            f"{alias}vars": key.variable_inputs,
        }
        line = (
            f"executionInputs(applicationId: ${alias}app, entityId: ${alias}entity, "
            f"executionType: ${alias}type, variableInputs: ${alias}vars) "
            "{ serviceInputs { id name } serviceManifestInputs { id name } }"
        )
        return params, line, variables

    return _batch("query", "ExecutionInputs", items, "i", field)


def starts(inputs: Sequence[dict[str, Any]]) -> Batch[dict[str, Any]]:
    """startExecution for each input; the server runs them one after another."""

    def field(alias: str, start: dict[str, Any]) -> tuple[list[str], str, dict[str, Any]]:
        line = (
            f"startExecution(input: ${alias}) {{\n"
            "    clientMutationId\n    warningMessage\n"
            f"    execution {{ {EXECUTION_FIELDS} }}\n  }}"
        )
        return [f"${alias}: StartExecutionInput!"], line, {alias: start}

    return _batch("mutation", "StartExecutions", inputs, "s", field)


def statuses(execution_ids: Sequence[str]) -> Batch[str]:
    """execution(executionId) for each id."""

    def field(alias: str, execution_id: str) -> tuple[list[str], str, dict[str, Any]]:
        line = f"execution(executionId: ${alias}) {{ {EXECUTION_FIELDS} }}"
        return [f"${alias}: String!"], line, {alias: execution_id}

    return _batch("query", "ExecutionStatuses", execution_ids, "x", field)


@dataclass(frozen=True)
class LookupKey:
    entity_type: str
    application_id: str
    entity_id: str
    created_after_ms: int
    offset: int = 0


def lookups(items: Sequence[LookupKey]) -> Batch[LookupKey]:
    """Recent executions of each entity (a page each), to find what a lost start created."""

    def field(alias: str, key: LookupKey) -> tuple[list[str], str, dict[str, Any]]:
        entity_key = "pipeline" if key.entity_type == "pipeline" else "workflow"
        filters = [
            {"application": {"operator": "EQUALS", "values": [key.application_id]}},
            {entity_key: {"operator": "EQUALS", "values": [key.entity_id]}},
            {"creationTime": {"operator": "AFTER", "value": key.created_after_ms}},
        ]
        line = (
            f"executions(filters: ${alias}, limit: {LOOKUP_PAGE}, offset: ${alias}off) "
            f"{{ pageInfo {{ hasMore }} nodes {{ {EXECUTION_FIELDS} }} }}"
        )
        params = [f"${alias}: [ExecutionFilter]", f"${alias}off: Int"]
        return params, line, {alias: filters, f"{alias}off": key.offset}

    return _batch("query", "FindStartedExecutions", items, "f", field)


@dataclass(frozen=True)
class ResumeKey:
    application_id: str
    pipeline_execution_id: str
    stage_element_id: str
    variable_inputs: tuple[tuple[str, str, str], ...]  # (name, type, value)
    # ServiceInputs: the artifacts (and charts) of the services the values make the stage need
    service_inputs: tuple[dict[str, Any], ...] = ()


def resumes(items: Sequence[ResumeKey]) -> Batch[ResumeKey]:
    """pipelineResumeRuntime: runtime inputs for a stage paused for them."""

    def field(alias: str, key: ResumeKey) -> tuple[list[str], str, dict[str, Any]]:
        value = {
            "applicationId": key.application_id,
            "pipelineExecutionId": key.pipeline_execution_id,
            "pipelineStageElementId": key.stage_element_id,
            "variableInputs": [
                {"name": n, "variableValue": {"type": t, "value": v}}
                for n, t, v in key.variable_inputs
            ],
        }
        if key.service_inputs:
            value["serviceInputs"] = list(key.service_inputs)
        line = f"pipelineResumeRuntime(input: ${alias}) {{ status }}"
        return [f"${alias}: RuntimeExecutionInputsToResumePipeline!"], line, {alias: value}

    return _batch("mutation", "ResumePipelineStages", items, "r", field)


@dataclass(frozen=True)
class ApprovalsKey:
    application_id: str
    execution_id: str


def approvals(items: Sequence[ApprovalsKey]) -> Batch[ApprovalsKey]:
    """approvalDetails: the approvals an execution waits for now (empty: paused by hand)."""

    def field(alias: str, key: ApprovalsKey) -> tuple[list[str], str, dict[str, Any]]:
        line = (
            f"approvalDetails(applicationId: ${alias}app, executionId: ${alias}) "
            "{ approvalDetails { approvalId approvalType stepName stageName } }"
        )
        params = [f"${alias}app: String!", f"${alias}: String!"]
        return params, line, {f"{alias}app": key.application_id, alias: key.execution_id}

    return _batch("query", "PendingApprovals", items, "p", field)


ALL_BUILDERS = (
    applications,
    entities,
    execution_inputs,
    starts,
    statuses,
    lookups,
    resumes,
    approvals,
)
