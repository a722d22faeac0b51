"""The GraphQL side: schema, resolvers, and responses shaped like graphql-java 12's."""

from __future__ import annotations

import functools
import re
import sys
import threading
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Optional, Union

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLResolveInfo,
    GraphQLScalarType,
    GraphQLSchema,
    GraphQLSyntaxError,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    StringValueNode,
    ValueNode,
    build_schema,
    execute,
    get_operation_ast,
    parse,
    validate,
)

from harness_gate.emulator import messages as m
from harness_gate.emulator.fixture import (
    Application,
    ArtifactSource,
    Build,
    Environment,
    InfraDefinition,
    Pipeline,
    Service,
    Variable,
    Workflow,
)
from harness_gate.emulator.messages import FieldError
from harness_gate.emulator.start import (
    ChosenArtifact,
    Deployment,
    Resolved,
    check_artifacts,
    check_manifests,
    check_trigger,
    common_checks,
    given_values,
    not_allowed_variable,
    resolve_variables,
    stage_target,
)
from harness_gate.emulator.state import ExecutionRecord, State, ms
from harness_gate.emulator.timeline import ApprovalWindow, Decision, StageRun, inputs_id

SCHEMA_FILE = Path(__file__).resolve().parent / "schema.graphql"
MAX_QUERY_DEPTH = 10  # QueryDepthInstrumentation.MAX_QUERY_DEPTH
MAX_RECORD_LIMIT = 100  # AbstractConnectionV2DataFetcher.MAX_RECORD_LIMIT

Json = dict[str, Any]


@dataclass
class Context:
    """Per request: one clock reading, so every field of a response agrees."""

    state: State
    now: float
    start_null: bool = False
    started: list[str] = field(default_factory=list)
    read_ids: set[str] = field(default_factory=set)
    stopping: Optional[threading.Event] = None  # set when the emulator stops: waits end
    start_delay: float = 0.0  # real seconds each start spends before its execution is saved
    start_error: Optional[str] = None  # each start saves its execution, then fails with this
    field_seconds: float = 0.0  # real seconds each top-level field (alias) costs

    def pause(self, seconds: float) -> None:
        """Spend real time inside the request, one field after another, without holding up
        other requests; the clock reading moves on with it."""
        if seconds <= 0:
            return
        lock = self.state.lock
        lock.release()  # held once, by run()
        try:
            if self.stopping is not None:
                self.stopping.wait(seconds)
            else:
                time.sleep(seconds)
        finally:
            lock.acquire()
        self.now = self.state.now()


# ---- parsing helpers also used by the HTTP layer -----------------------------------------------


def top_level_fields(
    doc: DocumentNode, operation_name: Optional[str]
) -> tuple[list[str], list[str]]:
    """(field names, response keys) of the operation that would run, one entry per alias."""
    op = get_operation_ast(doc, operation_name)
    if op is None:
        return [], []
    frags = {d.name.value: d for d in doc.definitions if isinstance(d, FragmentDefinitionNode)}
    names: list[str] = []
    keys: list[str] = []

    def walk(sel_set: SelectionSetNode, seen: frozenset[str]) -> None:
        for sel in sel_set.selections:
            if isinstance(sel, FieldNode):
                names.append(sel.name.value)
                keys.append(sel.alias.value if sel.alias else sel.name.value)
            elif isinstance(sel, InlineFragmentNode):
                walk(sel.selection_set, seen)
            elif isinstance(sel, FragmentSpreadNode) and sel.name.value not in seen:
                frag = frags.get(sel.name.value)
                if frag is not None:
                    walk(frag.selection_set, seen | {sel.name.value})

    walk(op.selection_set, frozenset())
    return names, keys


def query_depth(doc: DocumentNode, op: OperationDefinitionNode) -> int:
    """Depth as graphql-java counts it: a top-level field is 1, fragments add nothing."""
    frags = {d.name.value: d for d in doc.definitions if isinstance(d, FragmentDefinitionNode)}

    def walk(sel_set: Optional[SelectionSetNode], depth: int, seen: frozenset[str]) -> int:
        best = depth
        for sel in sel_set.selections if sel_set else ():
            if isinstance(sel, FieldNode):
                best = max(best, walk(sel.selection_set, depth + 1, seen))
            elif isinstance(sel, InlineFragmentNode):
                best = max(best, walk(sel.selection_set, depth, seen))
            elif isinstance(sel, FragmentSpreadNode) and sel.name.value not in seen:
                frag = frags.get(sel.name.value)
                if frag is not None:
                    best = max(best, walk(frag.selection_set, depth, seen | {sel.name.value}))
        return best

    return walk(op.selection_set, 0, frozenset())


# ---- schema ------------------------------------------------------------------------------------

_schema: Optional[GraphQLSchema] = None
_schema_lock = threading.Lock()


def get_schema() -> GraphQLSchema:
    """The emulator schema with resolvers; built once, shared (state travels in the context)."""
    global _schema
    with _schema_lock:
        if _schema is None:
            schema = build_schema(SCHEMA_FILE.read_text(encoding="utf-8"))
            _wire(schema)
            _schema = schema
        return _schema


def _datetime_value(value: Any) -> int:
    if isinstance(value, bool):
        raise GraphQLError("DateTime scalars needs input to be instanceof Long but it was: Boolean")
    if isinstance(value, int):
        return value
    if isinstance(value, str) and re.fullmatch(r"-?\d+", value.strip()):
        return int(value)
    raise GraphQLError(f"DateTime scalars needs input to be instanceof Long but it was: {value!r}")


def _datetime_literal(node: ValueNode, variables: Optional[dict[str, Any]] = None) -> int:
    if isinstance(node, (IntValueNode, StringValueNode)):
        return _datetime_value(node.value)
    raise GraphQLError("DateTime scalars needs input to be instanceof Long")


def _long_value(value: Any) -> int:
    try:
        return int(str(value))
    except ValueError as e:
        raise GraphQLError(str(e)) from e


def _long_literal(node: ValueNode, variables: Optional[dict[str, Any]] = None) -> int:
    return _long_value(getattr(node, "value", node))


def _wire(schema: GraphQLSchema) -> None:
    dt = schema.type_map["DateTime"]
    lg = schema.type_map["Long"]
    assert isinstance(dt, GraphQLScalarType) and isinstance(lg, GraphQLScalarType)
    # DateTime goes out as an epoch-ms number, Long as a string (the server's scalars).
    dt.serialize = _datetime_value  # type: ignore[method-assign]
    dt.parse_value = _datetime_value  # type: ignore[method-assign]
    dt.parse_literal = _datetime_literal  # type: ignore[method-assign]
    lg.serialize = lambda value: str(_long_value(value))  # type: ignore[method-assign]
    lg.parse_value = _long_value  # type: ignore[method-assign]
    lg.parse_literal = _long_literal  # type: ignore[method-assign]
    resolvers: dict[str, Callable[..., Any]] = {
        "application": r_application,
        "applicationByName": r_application_by_name,
        "pipeline": r_pipeline,
        "pipelineByName": r_pipeline_by_name,
        "workflow": r_workflow,
        "workflowByName": r_workflow_by_name,
        "execution": r_execution,
        "executions": r_executions,
        "executionInputs": r_execution_inputs,
        "approvalDetails": r_approval_details,
    }
    assert schema.query_type is not None and schema.mutation_type is not None
    for name, fn in resolvers.items():
        schema.query_type.fields[name].resolve = fn
    schema.query_type.fields[
        "runtimeExecutionInputsToResumePipeline"
    ].resolve = r_runtime_execution_inputs
    schema.mutation_type.fields["startExecution"].resolve = r_start_execution
    schema.mutation_type.fields["approveOrRejectApprovals"].resolve = r_approve_or_reject
    schema.mutation_type.fields["pipelineResumeRuntime"].resolve = r_pipeline_resume_runtime


# ---- running a request -------------------------------------------------------------------------


@dataclass(frozen=True)
class Prepared:
    """A query parsed and validated; pollers resend the same text, so this is cached."""

    doc: Optional[DocumentNode]
    errors: tuple[Json, ...]  # syntax or validation errors, in the server's words


@functools.lru_cache(maxsize=256)
def prepare(query: str) -> Prepared:
    try:
        doc = parse(query)
    except GraphQLSyntaxError as e:
        return Prepared(None, (_error_json(f"Invalid Syntax : {e.message}", e),))
    problems = validate(get_schema(), doc)
    return Prepared(doc, tuple(_error_json(_java_validation_message(e, doc), e) for e in problems))


def run(
    ctx: Context,
    prepared: Prepared,
    variables: Optional[Json],
    operation_name: Optional[str],
) -> Json:
    """The JSON body of an HTTP 200 GraphQL answer."""
    if prepared.errors or prepared.doc is None:
        return {"errors": list(prepared.errors)}  # no "data": execution never started
    doc = prepared.doc
    op = get_operation_ast(doc, operation_name)
    if op is not None and not _is_introspection(op):
        depth = query_depth(doc, op)
        if depth > MAX_QUERY_DEPTH:
            message = f"maximum query depth exceeded {depth} > {MAX_QUERY_DEPTH}"
            return {"errors": [{"message": message, "locations": []}]}
    with ctx.state.lock:  # one consistent world per request (Context.pause lets go)
        result = execute(
            get_schema(),
            doc,
            context_value=ctx,
            variable_values=variables,
            operation_name=operation_name,
            middleware=[_field_cost] if ctx.field_seconds > 0 else None,
        )
    assert not hasattr(result, "__await__")
    out: Json = {}
    if result.errors:
        out["errors"] = [_execution_error(e) for e in result.errors]
    if result.data is not None:
        out["data"] = result.data
    return out


def _field_cost(next_: Callable[..., Any], root: Any, info: GraphQLResolveInfo, **args: Any) -> Any:
    """The slow_fields fault: each top-level field (each alias) costs server time, in turn."""
    if info.path.prev is None:
        _ctx(info).pause(_ctx(info).field_seconds)
    return next_(root, info, **args)


def _is_introspection(op: OperationDefinitionNode) -> bool:
    sels = op.selection_set.selections
    return bool(sels) and all(
        isinstance(s, FieldNode) and s.name.value.startswith("__") for s in sels
    )


def _error_json(message: str, error: GraphQLError) -> Json:
    locations = [{"line": loc.line, "column": loc.column} for loc in error.locations or []]
    return {"message": message, "locations": locations}


def _path_text(path: list[Union[str, int]]) -> str:
    # graphql-java's ExecutionPath: /executions/nodes[0]/status
    return "".join(f"[{p}]" if isinstance(p, int) else f"/{p}" for p in path)


def _execution_error(error: GraphQLError) -> Json:
    original = error.original_error
    if isinstance(original, FieldError):
        text = original.text
    elif original is not None and not isinstance(original, GraphQLError):
        # A bug in the emulator: say what the server says, and keep the traceback visible.
        traceback.print_exception(type(original), original, original.__traceback__, file=sys.stderr)
        text = m.GENERIC
    else:
        json = _error_json(_java_variable_message(error.message), error)
        if error.path:
            json["path"] = list(error.path)
        return json
    path = list(error.path or [])
    json = _error_json(f"Exception while fetching data ({_path_text(path)}) : {text}", error)
    json["path"] = path
    return json


# graphql-core message -> (graphql-java 12 error type, its message); groups fill the template.
_JAVA_VALIDATION = (
    (
        re.compile(r"^Cannot query field '([^']+)' on type '([^']+)'\."),
        "FieldUndefined",
        "Field '{0}' in type '{1}' is undefined",
    ),
    (
        re.compile(r"^Field '([^']+)' argument '([^']+)' of type '[^']+' is required"),
        "MissingFieldArgument",
        "Missing field argument {1}",
    ),
    (
        re.compile(r"^Unknown argument '([^']+)' on field '[^']+'\."),
        "UnknownArgument",
        "Unknown field argument {0}",
    ),
    (
        re.compile(r"^Field '([^']+)' of type '([^']+)' must have a selection of subfields"),
        "SubSelectionRequired",
        "Sub selection required for type {1} of field {0}",
    ),
)
_NULL_VARIABLE_FIELD = re.compile(
    r"^Variable '\$([^']+)' got invalid value None at '[^']*?([^'.\[\]]+)(?:\[\d+\])?'; "
    r"Expected non-nullable type '([^']+)' not to be (?:null|None)\."
)
_MISSING_VARIABLE = re.compile(
    r"^Variable '\$([^']+)' of required type '([^']+)' was not provided\."
)


def _java_validation_message(error: GraphQLError, doc: DocumentNode) -> str:
    """graphql-java 12 wording for the validation errors a client is likely to hit."""
    for pattern, kind, template in _JAVA_VALIDATION:
        match = pattern.match(error.message)
        if match:
            text = template.format(*match.groups())
            return f"Validation error of type {kind}: {text} @ '{_query_path(doc, error)}'"
    return error.message


def _java_variable_message(message: str) -> str:
    match = _NULL_VARIABLE_FIELD.match(message)
    if match:
        variable, name, type_ = match.groups()
        return (
            f"Field '{name}' of variable '{variable}' has coerced Null value "
            f"for NonNull type '{type_}'"
        )
    match = _MISSING_VARIABLE.match(message)
    if match:
        variable, type_ = match.groups()
        return f"Variable '{variable}' has coerced Null value for NonNull type '{type_}'"
    return message


def _query_path(doc: DocumentNode, error: GraphQLError) -> str:
    """Field names from the operation root down to the error's field, joined with "/"."""
    targets = {id(n) for n in error.nodes or []}
    frags = {d.name.value: d for d in doc.definitions if isinstance(d, FragmentDefinitionNode)}

    def walk(
        sel_set: Optional[SelectionSetNode], path: list[str], seen: frozenset[str]
    ) -> Optional[list[str]]:
        for sel in sel_set.selections if sel_set else ():
            if isinstance(sel, FieldNode):
                here = [*path, sel.name.value]
                if id(sel) in targets:
                    return here
                found = walk(sel.selection_set, here, seen)
            elif isinstance(sel, InlineFragmentNode):
                found = walk(sel.selection_set, path, seen)
            elif (
                isinstance(sel, FragmentSpreadNode)
                and sel.name.value in frags
                and sel.name.value not in seen
            ):
                found = walk(frags[sel.name.value].selection_set, path, seen | {sel.name.value})
            else:
                found = None
            if found:
                return found
        return None

    for definition in doc.definitions:
        if isinstance(definition, OperationDefinitionNode):
            found = walk(definition.selection_set, [], frozenset())
            if found:
                return "/".join(found)
    return ""


# ---- views: fixture entities and executions as GraphQL objects ---------------------------------


def connection(items: list[Any], limit: int, offset: Optional[int]) -> Json:
    if limit < 0:
        raise FieldError(m.NEGATIVE_LIMIT)
    if offset is not None and offset < 0:
        raise FieldError(m.NEGATIVE_OFFSET)
    limit = min(limit, MAX_RECORD_LIMIT)
    start = offset or 0
    return {
        "pageInfo": {
            "hasMore": len(items) > start + limit,
            "total": len(items),
            "offset": start,
            "limit": limit,
        },
        "nodes": items[start : start + limit],
    }


def _newest_first(items: list[Any]) -> list[Any]:
    return sorted(items, key=lambda x: -x.created_at)


def app_view(ctx: Context, app: Application) -> Json:
    def conn(items: list[Any], view: Callable[[Any], Json]) -> Callable[..., Json]:
        return lambda _info, limit, offset=None: connection(
            [view(x) for x in _newest_first(items)], limit, offset
        )

    return {
        "id": app.id,
        "name": app.name,
        "description": app.description,
        "createdAt": app.created_at,
        "createdBy": None,
        "isManualTriggerAuthorized": False,
        "areWebHookSecretsMandated": False,
        "disableTriggers": False,
        "services": conn(app.services, service_view),
        "workflows": conn(app.workflows, workflow_view),
        "pipelines": conn(app.pipelines, pipeline_view),
        "environments": conn(app.environments, lambda e: env_view(ctx, app, e)),
    }


def variable_view(var: Variable) -> Json:
    return {
        "name": var.name,
        "type": var.type,
        "required": var.required,
        "allowedValues": var.allowed_values,
        "defaultValue": var.default,
        "fixed": var.fixed,
        "allowMultipleValues": var.allow_multiple_values,
    }


def pipeline_view(p: Pipeline) -> Json:
    return {
        "id": p.id,
        "name": p.name,
        "description": p.description,
        "createdAt": p.created_at,
        "createdBy": None,
        "pipelineVariables": [variable_view(v) for v in p.variables],
    }


def workflow_view(w: Workflow) -> Json:
    return {
        "id": w.id,
        "name": w.name,
        "description": w.description,
        "createdAt": w.created_at,
        "createdBy": None,
        "workflowVariables": [variable_view(v) for v in w.variables],
    }


def source_view(source: ArtifactSource) -> Json:
    if source.parameterized:
        return {
            "__typename": "NexusArtifactSource",
            "id": source.id,
            "name": source.name,
            "createdAt": source.created_at,
            "collectionEnabled": True,
            "parameters": list(source.parameters),
            "artifacts": lambda _info, limit, offset=None: connection(
                [artifact_view(source, b) for b in _newest_builds(source)], limit, offset
            ),
        }
    return {
        "__typename": "DockerArtifactSource",
        "id": source.id,
        "name": source.name,
        "createdAt": source.created_at,
        "collectionEnabled": True,
        "imageName": source.image_name,
        "dockerConnectorId": None,
        "artifacts": lambda _info, limit, offset=None: connection(
            [
                artifact_view(source, b)
                for b in sorted(source.builds, key=lambda b: -b.collected_at)
            ],
            limit,
            offset,
        ),
    }


def _newest_builds(source: ArtifactSource) -> list[Build]:
    return sorted(source.builds, key=lambda b: -b.collected_at)


def artifact_view(source: ArtifactSource, build: Build) -> Json:
    return {
        "id": build.id,
        "buildNo": build.build,
        "collectedAt": build.collected_at,
        "artifactSource": source_view(source),
    }


def service_view(s: Service) -> Json:
    return {
        "id": s.id,
        "name": s.name,
        "description": s.description,
        "artifactType": s.artifact_type,
        "deploymentType": s.deployment_type,
        "createdAt": s.created_at,
        "createdBy": None,
        "artifactSources": [source_view(a) for a in s.artifact_sources],
    }


def env_view(ctx: Context, app: Application, e: Environment) -> Json:
    return {
        "id": e.id,
        "name": e.name,
        "description": e.description,
        "type": e.type,
        "createdAt": e.created_at,
        "createdBy": None,
        "application": lambda _info: app_view(ctx, app),
    }


def infra_view(
    ctx: Context, app: Application, env: Optional[Environment], i: InfraDefinition
) -> Json:
    return {
        "id": i.id,
        "name": i.name,
        "createdAt": i.created_at,
        "deploymentType": i.deployment_type,
        "scopedToServices": [],
        "environment": None if env is None else env_view(ctx, app, env),
    }


def _cause(ctx: Context) -> Json:
    account = ctx.state.fixtures.account
    return {
        "__typename": "ExecutedByAPIKey",
        "apiKey": {"id": account.api_key_id, "name": account.api_key_name},
        "using": "GRAPHQL_API",
    }


def _url(ctx: Context, app: Application, fragment: str) -> str:
    return f"{ctx.state.portal_url}#/account/{ctx.state.account_id}/app/{app.id}/{fragment}"


def execution_view(ctx: Context, rec: ExecutionRecord) -> Json:
    now = ctx.now
    tl = rec.timeline
    status = tl.status_at(now)
    ended = tl.ended_at(now) is not None
    view: Json = {
        "id": rec.id,
        "application": app_view(ctx, rec.app),
        "createdAt": ms(rec.created),
        "startedAt": ms(tl.started_at(now)),
        "endedAt": ms(tl.ended_at(now)),
        "status": status,
        "cause": _cause(ctx),
        "notes": rec.notes,
        "tags": [],
        "failureDetails": None,
    }
    if rec.pipeline is not None:
        view["__typename"] = "PipelineExecution"
        view["executionUrl"] = _url(
            ctx, rec.app, f"pipeline-execution/{rec.id}/workflow-execution/undefined/details"
        )
        view["pipeline"] = pipeline_view(rec.pipeline)
        view["pipelineStageExecutions"] = [
            _stage_view(ctx, rec, i, s) for i, s in enumerate(tl.stages)
        ]
        view["memberExecutions"] = lambda _info: connection(
            [child_view(ctx, rec, i) for i in reversed(_started_children(rec, now))],
            MAX_RECORD_LIMIT,
            0,
        )
        if ended and status in ("FAILED", "REJECTED"):
            view["failureDetails"] = tl.failure
        return view
    deployment = rec.deployments[0]
    env_id = deployment.env.id if deployment and deployment.env else "null"
    view["__typename"] = "WorkflowExecution"
    view["executionUrl"] = _url(ctx, rec.app, f"env/{env_id}/executions/{rec.id}/details")
    if ended and status == "FAILED":
        view["failureDetails"] = tl.failure
    _workflow_fields(ctx, rec, view, deployment, rec.workflow)
    return view


def _workflow_fields(
    ctx: Context,
    rec: ExecutionRecord,
    view: Json,
    dep: Optional[Deployment],
    wf: Optional[Workflow],
) -> None:
    artifacts: list[ChosenArtifact] = rec.artifacts_for(dep)
    view["artifacts"] = [artifact_view(a.source, a.build) for a in artifacts]
    view["rollbackArtifacts"] = []
    view["manifests"] = [
        {
            "id": c.chart.id,
            "name": c.manifest.name,
            "description": None,
            "createdAt": c.chart.created_at,
            "version": c.chart.version,
            "applicationManifestId": c.manifest.id,
        }
        for c in rec.charts_for(dep)
    ]
    view["workflow"] = None if wf is None else workflow_view(wf)
    view["inputVariables"] = [{"name": k, "value": v} for k, v in (dep.inputs if dep else [])]
    nodes = []
    if dep is not None and (dep.service or dep.env):
        nodes.append(
            {
                "__typename": "DeploymentOutcome",
                "execution": lambda _info: view,
                "service": None if dep.service is None else service_view(dep.service),
                "environment": None if dep.env is None else env_view(ctx, rec.app, dep.env),
                "infrastructureDefinition": None
                if dep.infra is None
                else infra_view(ctx, rec.app, dep.env, dep.infra),
            }
        )
    view["outcomes"] = {
        "pageInfo": {"hasMore": False, "total": len(nodes), "offset": 0, "limit": len(nodes)},
        "nodes": nodes,
    }


def _started_children(rec: ExecutionRecord, now: float) -> list[int]:
    return [i for i, s in enumerate(rec.timeline.stages) if s.child_id and s.track.started(now)]


def _stage_view(ctx: Context, rec: ExecutionRecord, index: int, run: StageRun) -> Json:
    status = run.status_at(ctx.now) or "QUEUED"
    view: Json = {
        "pipelineStageElementId": run.stage.element_id,
        "pipelineStepName": run.stage.name,
        "pipelineStageName": run.stage.name,
        "status": status,
    }
    if run.stage.approval is not None:
        view["__typename"] = "ApprovalStageExecution"
        view["approvalStepType"] = run.stage.approval.type
        return view
    dep = rec.deployments[index]
    view["__typename"] = "WorkflowStageExecution"
    view["workflowExecutionId"] = run.child_id if run.track.started(ctx.now) else None
    # The server fills these only while the stage is PAUSED (null otherwise): the runtime
    # variables the stage asks for; a stage without any (a manual pause) lists none.
    view["runtimeInputVariables"] = (
        [variable_view(v) for v in run.stage.runtime_variables] if status == "PAUSED" else None
    )
    view["inputVariables"] = [{"name": k, "value": v} for k, v in (dep.inputs if dep else [])]
    return view


def child_view(ctx: Context, rec: ExecutionRecord, index: int) -> Json:
    """The workflow execution a pipeline stage runs."""
    now = ctx.now
    run = rec.timeline.stages[index]
    assert run.child_id is not None and run.stage.workflow is not None
    start = run.track.events[0][0]
    end = run.track.end()
    status = run.track.status_at(now)
    dep = rec.deployments[index]
    view: Json = {
        "__typename": "WorkflowExecution",
        "id": run.child_id,
        "executionUrl": _url(
            ctx, rec.app, f"pipeline-execution/{rec.id}/workflow-execution/{run.child_id}/details"
        ),
        "application": app_view(ctx, rec.app),
        "createdAt": ms(start),
        "startedAt": ms(start),
        "endedAt": ms(end) if end is not None and end <= now else None,
        "status": status,
        "cause": {
            "__typename": "ExecutedAlongPipeline",
            "execution": lambda _info: execution_view(ctx, rec),
        },
        "notes": rec.notes,
        "tags": [],
        "failureDetails": None,
    }
    if status == "FAILED" and run.stage.behaviour is not None:
        view["failureDetails"] = run.stage.behaviour.failure
    _workflow_fields(ctx, rec, view, dep, run.stage.workflow)
    return view


def approval_view(ctx: Context, a: ApprovalWindow) -> Json:
    spec = a.spec
    view: Json = {
        "approvalId": a.id,
        "approvalType": spec.type,
        "stepName": spec.step_name,
        "stageName": a.stage_name,
        "startedAt": ms(a.started),
        "willExpireAt": ms(a.expires),
        "triggeredBy": {"name": ctx.state.fixtures.account.api_key_name, "email": None},
    }
    if spec.type == "USER_GROUP":
        view["__typename"] = "UserGroupApprovalDetails"
        view["approvers"] = list(spec.approvers)
        view["variables"] = [{"name": k, "value": v} for k, v in spec.variables]
        view["executionId"] = a.owner_id
    elif spec.type == "JIRA":
        view["__typename"] = "JiraApprovalDetails"
        view.update(issueKey="DEPLOY-1", issueUrl=None, currentStatus="To Do")
        view.update(approvalCondition="Status = Done", rejectionCondition="Status = Rejected")
    elif spec.type == "SERVICENOW":
        view["__typename"] = "SNOWApprovalDetails"
        view.update(ticketUrl=None, ticketType="CHANGE_REQUEST", currentStatus="New")
        view.update(approvalCondition="state = Implement", rejectionCondition="state = Canceled")
    else:
        view["__typename"] = "ShellScriptDetails"
        view["retryInterval"] = 30000
    return view


# ---- lookups -----------------------------------------------------------------------------------


def _ctx(info: GraphQLResolveInfo) -> Context:
    ctx = info.context
    assert isinstance(ctx, Context)
    return ctx


def _app_arg(ctx: Context, app_id: str) -> Application:
    """The auth layer checks every applicationId argument against the key's apps."""
    if not app_id.strip():
        raise FieldError(m.EMPTY_APP_ID)
    app = ctx.state.fixtures.application(app_id)
    if app is None:
        raise FieldError(m.ACCESS_DENIED)
    return app


@dataclass
class _Found:
    record: ExecutionRecord
    child: Optional[int] = None  # stage index when the id is a stage's workflow execution

    @property
    def id(self) -> str:
        if self.child is None:
            return self.record.id
        run = self.record.timeline.stages[self.child]
        assert run.child_id is not None
        return run.child_id


def _find_execution(ctx: Context, execution_id: str) -> Optional[_Found]:
    state = ctx.state
    record = state.by_id.get(execution_id)
    if record is not None:
        return _Found(record) if state.visible(record, ctx.read_ids) else None
    parent = state.children.get(execution_id)
    if parent is None:
        return None
    record, index = parent
    if not record.timeline.stages[index].track.started(ctx.now):
        return None
    return _Found(record, index) if state.visible(record, ctx.read_ids) else None


def _view(ctx: Context, found: _Found) -> Json:
    if found.child is None:
        return execution_view(ctx, found.record)
    return child_view(ctx, found.record, found.child)


# ---- query resolvers ---------------------------------------------------------------------------


def r_application(_root: Any, info: GraphQLResolveInfo, applicationId: str) -> Json:
    ctx = _ctx(info)
    app = ctx.state.fixtures.application(applicationId)
    if app is None:
        raise FieldError(m.ACCESS_DENIED)
    return app_view(ctx, app)


def r_application_by_name(_root: Any, info: GraphQLResolveInfo, name: str) -> Json:
    ctx = _ctx(info)
    app = ctx.state.fixtures.application_named(name)
    if app is None:
        raise FieldError(m.APP_NOT_FOUND)
    return app_view(ctx, app)


def r_pipeline(_root: Any, info: GraphQLResolveInfo, pipelineId: str) -> Json:
    ctx = _ctx(info)
    for app in ctx.state.fixtures.applications:
        for p in app.pipelines:
            if p.id == pipelineId:
                return pipeline_view(p)
    raise FieldError(m.entity_not_found(pipelineId))


def r_pipeline_by_name(
    _root: Any, info: GraphQLResolveInfo, pipelineName: str, applicationId: str
) -> Optional[Json]:
    app = _app_arg(_ctx(info), applicationId)
    if not pipelineName.strip():
        raise FieldError(m.EMPTY_PIPELINE_NAME)
    p = app.pipeline_named(pipelineName)
    return None if p is None else pipeline_view(p)  # not found is null, without an error


def r_workflow(_root: Any, info: GraphQLResolveInfo, workflowId: str) -> Json:
    ctx = _ctx(info)
    for app in ctx.state.fixtures.applications:
        for w in app.workflows:
            if w.id == workflowId:
                return workflow_view(w)
    raise FieldError(m.entity_not_found(workflowId))


def r_workflow_by_name(
    _root: Any, info: GraphQLResolveInfo, workflowName: str, applicationId: str
) -> Json:
    app = _app_arg(_ctx(info), applicationId)
    if not workflowName.strip():
        raise FieldError(m.EMPTY_WORKFLOW_NAME)
    w = app.workflow_named(workflowName)
    if w is None:
        raise FieldError(m.WORKFLOW_NOT_FOUND)
    return workflow_view(w)


def r_execution(_root: Any, info: GraphQLResolveInfo, executionId: str) -> Json:
    ctx = _ctx(info)
    found = _find_execution(ctx, executionId)
    if found is None:
        raise FieldError(m.EXECUTION_NOT_FOUND)
    return _view(ctx, found)


@dataclass
class _Row:
    """One execution as the executions filters see it."""

    found: _Found
    app_id: str
    pipeline_id: Optional[str]
    workflow_id: Optional[str]
    parent_id: Optional[str]
    status: str
    created: Optional[int]
    started: Optional[int]
    ended: Optional[int]
    services: list[str]
    envs: list[str]


def _rows(ctx: Context, indirect: bool) -> list[_Row]:
    now = ctx.now
    rows = []
    for rec in ctx.state.executions:
        if not ctx.state.visible(rec, ctx.read_ids):
            continue
        tl = rec.timeline
        deps = [d for d in rec.deployments if d is not None]
        rows.append(
            _Row(
                _Found(rec),
                rec.app.id,
                rec.pipeline.id if rec.pipeline else None,
                rec.workflow.id if rec.workflow else None,
                None,
                tl.status_at(now) or "PREPARING",
                ms(rec.created),
                ms(tl.started_at(now)),
                ms(tl.ended_at(now)),
                [d.service.id for d in deps if d.service],
                [d.env.id for d in deps if d.env],
            )
        )
        if not indirect:
            continue
        for i in _started_children(rec, now):
            run = tl.stages[i]
            dep = rec.deployments[i]
            start = run.track.events[0][0]
            end = run.track.end()
            assert run.stage.workflow is not None
            rows.append(
                _Row(
                    _Found(rec, i),
                    rec.app.id,
                    None,
                    run.stage.workflow.id,
                    rec.id,
                    run.track.status_at(now) or "PREPARING",
                    ms(start),
                    ms(start),
                    ms(end) if end is not None and end <= now else None,
                    [dep.service.id] if dep and dep.service else [],
                    [dep.env.id] if dep and dep.env else [],
                )
            )
    return rows


def _id_match(flt: Json, values: list[Optional[str]]) -> bool:
    present = [v for v in values if v is not None]
    wanted = [w for w in flt.get("values") or [] if w is not None]
    op = flt.get("operator")
    if op == "NOT_NULL":
        return bool(present)
    if op == "NOT_IN":
        return not any(v in wanted for v in present)
    if op == "LIKE":
        return any(re.search(re.escape(w), v, re.IGNORECASE) for w in wanted for v in present)
    return any(v in wanted for v in present)  # EQUALS, IN


def _time_match(flt: Json, value: Optional[int]) -> bool:
    if value is None:
        return False  # a missing field never matches a comparison
    target = int(flt["value"])
    op = flt.get("operator")
    if op == "BEFORE":
        return value <= target
    if op == "AFTER":
        return value >= target
    return value == target


def _row_match(row: _Row, f: Json) -> bool:
    checks: list[bool] = []
    if f.get("execution") is not None:
        checks.append(_id_match(f["execution"], [row.found.id]))
    if f.get("application") is not None:
        checks.append(_id_match(f["application"], [row.app_id]))
    if f.get("applicationId") is not None:
        checks.append(row.app_id == f["applicationId"])
    if f.get("service") is not None:
        checks.append(_id_match(f["service"], list(row.services)))
    if f.get("environment") is not None:
        checks.append(_id_match(f["environment"], list(row.envs)))
    if f.get("status") is not None:
        checks.append(_id_match(f["status"], [row.status]))
    if f.get("workflow") is not None:
        checks.append(_id_match(f["workflow"], [row.workflow_id]))
    if f.get("pipeline") is not None:
        checks.append(_id_match(f["pipeline"], [row.pipeline_id]))
    if f.get("pipelineExecutionId") is not None:
        checks.append(_id_match(f["pipelineExecutionId"], [row.parent_id]))
    for key, value in (
        ("startTime", row.started),
        ("endTime", row.ended),
        ("creationTime", row.created),
    ):
        if f.get(key) is not None:
            checks.append(_time_match(f[key], value))
    return all(checks)


def r_executions(
    _root: Any,
    info: GraphQLResolveInfo,
    limit: int,
    offset: Optional[int] = None,
    filters: Optional[list[Optional[Json]]] = None,
    includeIndirectExecutions: Optional[bool] = None,
) -> Json:
    ctx = _ctx(info)
    flts = [f for f in filters or [] if f]
    by_parent = any(f.get("pipelineExecutionId") is not None for f in flts)
    rows = _rows(ctx, bool(includeIndirectExecutions) or by_parent)
    rows = [r for r in rows if all(_row_match(r, f) for f in flts)]
    rows.sort(key=lambda r: -(r.created or 0))  # newest first
    page = connection(rows, limit, offset)
    page["nodes"] = [_view(ctx, r.found) for r in page["nodes"]]
    return page


def r_execution_inputs(
    _root: Any,
    info: GraphQLResolveInfo,
    entityId: str,
    applicationId: str,
    executionType: str,
    variableInputs: Optional[list[Json]] = None,
) -> Json:
    ctx = _ctx(info)
    _app_arg(ctx, applicationId)
    inp = {
        "entityId": entityId,
        "applicationId": applicationId,
        "executionType": executionType,
        "variableInputs": variableInputs,
    }
    app, entity = common_checks(ctx.state.fixtures, inp)
    resolved = resolve_variables(app, entity, inp)
    return {
        "serviceInputs": [service_view(s) for s in resolved.needed],
        "serviceManifestInputs": [service_view(s) for s in resolved.needed_manifests],
    }


def r_approval_details(
    _root: Any, info: GraphQLResolveInfo, applicationId: str, executionId: str
) -> Json:
    ctx = _ctx(info)
    app = _app_arg(ctx, applicationId)
    found = _find_execution(ctx, executionId)
    if found is None:
        raise FieldError(m.EXECUTION_NOT_FOUND)
    if found.record.app.id != app.id:
        return {"approvalDetails": []}
    return {"approvalDetails": [approval_view(ctx, a) for a in _pending(ctx, found)]}


def _pending(ctx: Context, found: _Found) -> list[ApprovalWindow]:
    windows = [a for a in found.record.timeline.approvals if a.pending(ctx.now)]
    if found.child is not None:
        windows = [a for a in windows if a.owner_id == found.id]
    return windows


# ---- mutations ---------------------------------------------------------------------------------


def r_start_execution(_root: Any, info: GraphQLResolveInfo, input: Json) -> Optional[Json]:
    ctx = _ctx(info)
    fx = ctx.state.fixtures
    app, entity = common_checks(fx, input)
    resolved = resolve_variables(app, entity, input)
    check_artifacts(fx, resolved, input)
    check_manifests(resolved, input)
    # Builds not collected yet are fetched synchronously inside the call, before the save;
    # the aliases of one request run one after another, so their waits add up.
    ctx.pause(resolved.collect_seconds)
    check_trigger(fx, resolved)
    ctx.pause(ctx.start_delay)
    # Saved now, whether or not the client is still there to read the answer.
    record = ctx.state.start(resolved, input, ctx.now)
    ctx.started.append(record.id)
    if ctx.start_error is not None:
        raise FieldError(ctx.start_error)  # something failed after the save
    if ctx.start_null:
        return None  # the permission-cache quirk: started, but the payload is lost
    return {
        "clientMutationId": input.get("clientMutationId"),
        "execution": execution_view(ctx, record),
        "warningMessage": resolved.warning,
    }


def r_approve_or_reject(_root: Any, info: GraphQLResolveInfo, input: Json) -> Json:
    ctx = _ctx(info)
    execution_id = input["executionId"]
    found = _find_execution(ctx, execution_id)
    if found is None:
        raise FieldError(m.EXECUTION_NOT_FOUND)
    kind = "Pipeline" if found.record.pipeline is not None and found.child is None else "Workflow"
    window = next((a for a in _pending(ctx, found) if a.id == input["approvalId"]), None)
    if window is None or found.record.app.id != input["applicationId"]:
        raise FieldError(m.not_waiting_for_approval(kind, execution_id, input["approvalId"]))
    spec = window.spec
    if spec.type != "USER_GROUP":
        raise FieldError(m.approval_type_not_supported(spec.type))
    variable_inputs = input.get("variableInputs")
    if variable_inputs is not None:
        if not spec.variables:
            raise FieldError(m.APPROVAL_NO_VARIABLES)
        names = {k for k, _ in spec.variables}
        for item in variable_inputs:
            if item and item.get("name") not in names:
                raise FieldError(m.approval_variable_unknown(str(item.get("name"))))
    if not spec.authorized:
        raise FieldError(m.APPROVAL_NOT_AUTHORIZED)
    action = "approve" if input["action"] == "APPROVE" else "reject"
    ctx.state.decide(found.record, window.id, Decision(ctx.now, action, input.get("comments")))
    return {"success": True, "clientMutationId": input.get("clientMutationId")}


# ---- runtime inputs ----------------------------------------------------------------------------


@dataclass
class _ResumeTarget:
    record: ExecutionRecord
    index: int
    deployment: Optional[Deployment]


def _resume_target(ctx: Context, inp: Json) -> _ResumeTarget:
    """ResumePipelineController's checks, up to the stage's variables (facts file, section 5)."""
    app_id = inp.get("applicationId") or ""
    execution_id = inp.get("pipelineExecutionId") or ""
    stage_id = inp.get("pipelineStageElementId") or ""
    if not app_id.strip():
        raise FieldError(m.RESUME_EMPTY_APP_ID)
    if not execution_id.strip():
        raise FieldError(m.RESUME_EMPTY_EXECUTION)
    if not stage_id.strip():
        raise FieldError(m.RESUME_EMPTY_STAGE)
    app = _app_arg(ctx, app_id)
    record = ctx.state.by_id.get(execution_id)
    if record is None or record.app.id != app.id:
        raise FieldError(m.resume_no_execution(app_id))
    pipeline = record.pipeline
    if pipeline is None:
        raise FieldError(m.PIPELINE_NOT_FOUND)
    index = next((i for i, s in enumerate(pipeline.stages) if s.element_id == stage_id), None)
    if index is None:
        raise FieldError(m.resume_no_stage(stage_id))
    stage = pipeline.stages[index]
    if not stage.runtime_variables or stage.workflow is None:
        return _ResumeTarget(record, index, record.deployments[index])
    given = given_values(inp)
    missing = [v.name for v in stage.runtime_variables if v.required and not v.fixed]
    missing = [name for name in missing if name not in given]
    if missing:
        raise FieldError(m.required_missing(missing))
    for v in stage.runtime_variables:
        problem = not_allowed_variable(v, given)
        if problem:
            raise FieldError(problem)
    # The values the stage runs with: the start's, overridden by the inputs given now.
    probe = resolve_variables(app, pipeline, {**inp, "variableInputs": _all_inputs(record, inp)})
    values = dict(probe.inputs)
    deployment = stage_target(app, stage.workflow, stage.variables, values)
    return _ResumeTarget(record, index, deployment)


def _all_inputs(record: ExecutionRecord, inp: Json) -> list[Json]:
    """The inputs given now, then the start's (with their value types) for the rest."""
    given = given_values(inp)
    out = [i for i in inp.get("variableInputs") or [] if i is not None]
    return out + [i for i in record.variable_inputs if i.get("name") not in given]


def r_runtime_execution_inputs(
    _root: Any,
    info: GraphQLResolveInfo,
    applicationId: str,
    pipelineExecutionId: str,
    pipelineStageElementId: str,
    variableInputs: Optional[list[Json]] = None,
) -> Json:
    ctx = _ctx(info)
    inp = {
        "applicationId": applicationId,
        "pipelineExecutionId": pipelineExecutionId,
        "pipelineStageElementId": pipelineStageElementId,
        "variableInputs": variableInputs,
    }
    target = _resume_target(ctx, inp)
    dep = target.deployment
    return {
        "serviceInputs": [service_view(s) for s in (dep.needed if dep else [])],
        "serviceManifestInputs": [],
    }


def r_pipeline_resume_runtime(_root: Any, info: GraphQLResolveInfo, input: Json) -> Json:
    ctx = _ctx(info)
    target = _resume_target(ctx, input)
    record, index, dep = target.record, target.index, target.deployment
    needed = dep.needed if dep else []
    if needed and not input.get("serviceInputs"):
        raise FieldError(m.RESUME_NO_SERVICES)
    probe = Resolved(record.app, record.pipeline, None, {}, [], [dep])
    if needed:
        check_artifacts(ctx.state.fixtures, probe, input, services=needed)
    run = record.timeline.stages[index]
    waiting = run.waiting is not None and run.waiting.pending(ctx.now)
    if waiting:
        record.deployments[index] = dep
        record.artifacts += probe.artifacts
        record.variable_inputs = _all_inputs(record, input)
        for item in input.get("variableInputs") or []:
            if item is not None:
                value = (item.get("variableValue") or {}).get("value") or ""
                record.given[item["name"]] = value
        ctx.state.decide(record, inputs_id(record.id, index), Decision(ctx.now, "resume"))
    # continuePipelineStage answers false when the stage is not waiting for inputs.
    return {"clientMutationId": input.get("clientMutationId"), "status": waiting}
