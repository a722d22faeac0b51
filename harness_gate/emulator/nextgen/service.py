"""Harness NextGen pipeline-service routes, served from the emulator's HTTP server.

Paths under /pipeline/api/ and /gateway/pipeline/api/ come here. Auth, envelopes, status
spellings and error wording follow the pipeline-service source (see docs/emulator.md).
"""

from __future__ import annotations

import json
import re
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Optional

import yaml

from harness_gate.emulator.fixture import derived_id
from harness_gate.emulator.nextgen import envelopes as env
from harness_gate.emulator.nextgen.envelopes import NgResponse
from harness_gate.emulator.nextgen.fixture import (
    ApiToken,
    InputSet,
    NgFixtures,
    PipelineSpec,
    Project,
    parse_nextgen,
)
from harness_gate.emulator.nextgen.inputs import Merged, dump, merge, resolved, template
from harness_gate.emulator.nextgen.statuses import (
    FINAL,
    POSITIVE,
    display_from_query,
    engine,
)
from harness_gate.emulator.nextgen.timeline import (
    INTERVENTION_RESULT,
    Decision,
    Plan,
    Run,
    WaitRun,
    build,
)
from harness_gate.emulator.state import SlidingWindow, State, new_id

PREFIXES = ("/gateway/pipeline/api", "/pipeline/api")
PREFLIGHT_SECONDS = 2.0  # emulator seconds a pre-flight check stays IN_PROGRESS

_P = r"([^/]+)"
# (method, path pattern, operationId); operationIds are the pipeline-service ones where public.
ROUTES: list[tuple[str, re.Pattern[str], str]] = [
    (m, re.compile(f"^{p}$"), op)
    for m, p, op in [
        ("GET", f"/pipelines/summary/{_P}", "getPipelineSummary"),
        ("POST", "/pipelines/list", "getPipelineList"),
        ("POST", "/pipelines/execution/summary", "getListOfExecutions"),
        ("POST", "/pipelines/execution/executionSummary", "getListOfExecutionIdentifier"),
        ("POST", "/pipelines/execution/url", "getExecutionUrl"),
        ("GET", f"/pipelines/execution/v2/{_P}", "getExecutionDetailV2"),
        ("GET", f"/pipelines/execution/{_P}/notes", "getNotesForExecution"),
        ("PUT", f"/pipelines/execution/{_P}/notes", "updateNotesForExecution"),
        ("GET", f"/pipelines/execution/{_P}/inputsetV2", "getInputsetYamlV2"),
        ("GET", f"/pipelines/execution/{_P}", "getExecutionDetail"),
        ("GET", f"/pipelines/{_P}", "getPipeline"),
        ("POST", "/inputSets/template", "runtimeInputTemplate"),
        ("POST", "/inputSets/merge", "getMergeInputSetFromPipelineTemplateWithListInput"),
        ("GET", "/inputSets", "listInputSetsForPipeline"),
        ("GET", f"/inputSets/overlay/{_P}", "getOverlayInputSet"),
        ("GET", f"/inputSets/{_P}", "getInputSet"),
        ("PUT", f"/pipeline/execute/interrupt/{_P}", "putHandleInterrupt"),
        ("POST", "/pipeline/execute/preflightCheck", "startPreFlightCheck"),
        ("GET", "/pipeline/execute/getPreflightCheckResponse", "getPreFlightCheckResponse"),
        (
            "PUT",
            f"/pipeline/execute/manualIntervention/interrupt/{_P}/{_P}",
            "handleManualInterventionInterrupt",
        ),
        ("POST", f"/pipeline/execute/{_P}/inputSetList", "postPipelineExecuteWithInputSetList"),
        ("POST", f"/pipeline/execute/{_P}/stages", "postExecuteStages"),
        ("POST", f"/pipeline/execute/{_P}", "postPipelineExecuteWithInputSetYaml"),
        ("GET", f"/pipeline/execution-input/{_P}", "getExecutionInputTemplate"),
        ("POST", f"/pipeline/execution-input/{_P}", "submitExecutionInput"),
        ("GET", f"/approvals/{_P}", "getApprovalInstance"),
        ("POST", f"/approvals/{_P}/harness/activity", "addHarnessApprovalActivity"),
        (
            "GET",
            f"/v1/orgs/{_P}/projects/{_P}/approvals/execution/{_P}",
            "getApprovalInstancesByExecutionId",
        ),
        (
            "POST",
            f"/v1/orgs/{_P}/projects/{_P}/approvals/execution/{_P}",
            "approveOrRejectHarnessApprovalInstance",
        ),
        ("POST", f"/v1/orgs/{_P}/projects/{_P}/pipelines/{_P}/execute", "execute-pipeline"),
    ]
]
START_OPERATIONS = frozenset(
    {
        "postPipelineExecuteWithInputSetYaml",
        "postPipelineExecuteWithInputSetList",
        "postExecuteStages",
        "execute-pipeline",
    }
)
# Query parameters every v0 route needs (bean validation: FailureDTO when one is missing).
_SCOPED = ("accountIdentifier", "orgIdentifier", "projectIdentifier")
_ACCOUNT_ONLY = frozenset({"getApprovalInstance", "addHarnessApprovalActivity"})
_V1 = frozenset(
    {
        "getApprovalInstancesByExecutionId",
        "approveOrRejectHarnessApprovalInstance",
        "execute-pipeline",
    }
)
_YAML_TYPES = ("application/yaml", "application/x-yaml", "text/yaml", "application/json", "")
APPROVAL_STATUS = {
    "approve": "APPROVED",
    "reject": "REJECTED",
    "expire": "EXPIRED",
    "abort": "ABORTED",
}


def route_of(path: str) -> Optional[str]:
    """The path inside pipeline-service's /api root, or None for other paths."""
    for prefix in PREFIXES:
        if path == prefix or path.startswith(prefix + "/"):
            return path[len(prefix) :] or "/"
    return None


def match(method: str, sub: str) -> tuple[Optional[str], tuple[str, ...], bool]:
    """(operationId, path params, path known for another method)."""
    other = False
    for m, pattern, op in ROUTES:
        found = pattern.match(sub)
        if found:
            if m == method:
                return op, found.groups(), False
            other = True
    return None, (), other


@dataclass
class NgExecution:
    id: str
    pipeline: PipelineSpec
    project: Project
    created: float
    run_sequence: int
    token: ApiToken
    plan: Plan
    operation: str
    runtime_yaml: str
    content_type: str
    merged: Merged
    input_set_refs: list[str]
    stage_ids: Optional[list[str]]
    notes: Optional[str]
    branch: Optional[str]
    module: str
    governance: dict[str, Any]
    decisions: dict[str, Decision] = field(default_factory=dict)
    aborted_at: Optional[float] = None
    abort_by: Optional[str] = None
    interrupt_id: Optional[str] = None
    hidden_reads: int = 0
    execution_inputs: list[dict[str, Any]] = field(default_factory=list)
    _run: Optional[Run] = None

    @property
    def run(self) -> Run:
        if self._run is None:
            self._run = build(self.plan, self.decisions, self.aborted_at)
        return self._run

    def invalidate(self) -> None:
        self._run = None

    def waiting(self, now: float, kind: Optional[str] = None) -> list[WaitRun]:
        return [
            w for w in self.run.waits if w.pending(now) and (kind is None or w.spec.kind == kind)
        ]


def _ms(t: Optional[float]) -> Optional[int]:
    return None if t is None else round(t * 1000)


def _param_dict(params: dict[str, list[str]]) -> dict[str, Any]:
    return {k: v[0] if len(v) == 1 else list(v) for k, v in params.items()}


class NextGen:
    """NextGen state (executions, decisions) and the routes that read and change it."""

    def __init__(self, state: State) -> None:
        self.state = state
        self.fixtures: NgFixtures = parse_nextgen(
            state.fixtures.nextgen, state.account_id, state.fixtures.source
        )
        self.base_url = "http://127.0.0.1"
        self.executions: list[NgExecution] = []
        self.by_id: dict[str, NgExecution] = {}
        self.sequences: dict[tuple[str, str, str], int] = {}
        self.limiters: dict[str, SlidingWindow] = {}
        self.preflights: dict[str, tuple[float, PipelineSpec, Merged]] = {}
        self.lock: threading.RLock = state.lock

    # -- wiring from the HTTP server ---------------------------------------------------------

    def describe(self, req: Any) -> tuple[list[str], dict[str, Any]]:
        """Fault-match names (operationId, "execute" for starts, "nextgen") and log variables."""
        sub = route_of(req.path) or "/"
        op, _, _ = match(req.method, sub)
        names = [op or "unknown", "nextgen"]
        if op in START_OPERATIONS:
            names.insert(1, "execute")
        body: Any = None
        if req.body:
            text = req.body.decode("utf-8", "replace")
            body = text
            if req.media_type == "application/json":
                try:
                    body = json.loads(text)
                except ValueError:
                    body = text
        return names, {"params": _param_dict(req.params), "body": body}

    def fault(self, kind: str) -> Optional[NgResponse]:
        if kind == "http_429":
            return env.edge_throttled()
        if kind == "http_500":
            return env.server_error()
        return None

    def handle(self, req: Any, started: list[str], read_ids: set[str], now: float) -> NgResponse:
        sub = route_of(req.path) or "/"
        key = req.headers.get("X-Api-Key") or ""
        if self.state.rate_limit is not None and key:
            with self.lock:
                window = self.limiters.setdefault(key, SlidingWindow(self.fixtures.rate_limit))
                if not window.allow(time.monotonic()):
                    return env.edge_throttled()
        op, args, other = match(req.method, sub)
        token, problem = self.authenticate(req)
        if problem is not None:
            return problem
        assert token is not None
        if op is None:
            if other:
                return env.error("INVALID_REQUEST", "HTTP 405 Method Not Allowed", 405)
            return env.unknown_route()
        ctx = _Call(self, req, token, now, started, read_ids, args)
        return ctx.dispatch(op)

    def authenticate(self, req: Any) -> tuple[Optional[ApiToken], Optional[NgResponse]]:
        key = req.headers.get("X-Api-Key")
        if not key:
            # No API key: the bearer path, which needs a UI token the emulator never issues.
            return None, env.unauthorized()
        account = (
            req.headers.get("Harness-Account")
            or req.param("account")
            or req.param("accountIdentifier")
        )
        if not account:
            return None, env.error(
                "INVALID_REQUEST", "Account detail is not present in the request"
            )
        token = self.fixtures.token(key)
        parts = key.split(".")
        if (
            token is None
            or account != self.state.account_id
            or (len(parts) == 4 and parts[1] != account)
        ):
            return None, env.unauthorized()
        return token, None

    # -- lookups -----------------------------------------------------------------------------

    def ui_url(self, rec: NgExecution) -> str:
        base = self.fixtures.ui_base or f"{self.base_url}/ng/#"
        return (
            f"{base.rstrip('/')}/account/{self.state.account_id}/{rec.module}"
            f"/orgs/{rec.project.org}/projects/{rec.project.identifier}"
            f"/pipelines/{rec.pipeline.identifier}/executions/{rec.id}/pipeline"
        )

    # -- control (tests) ---------------------------------------------------------------------

    def reset(self) -> None:
        with self.lock:
            self.executions.clear()
            self.by_id.clear()
            self.sequences.clear()
            self.limiters.clear()
            self.preflights.clear()

    def execution_dicts(self) -> list[dict[str, Any]]:
        with self.lock:
            now = self.state.now()
            return [self.record_dict(r, now) for r in self.executions]

    def record_dict(self, rec: NgExecution, now: float) -> dict[str, Any]:
        run = rec.run
        return {
            "id": rec.id,
            "org": rec.project.org,
            "project": rec.project.identifier,
            "pipeline": rec.pipeline.identifier,
            "operation": rec.operation,
            "run_sequence": rec.run_sequence,
            "status": run.status_at(now),
            "engine_status": engine(run.status_at(now)),
            "created_at": _ms(rec.created),
            "ended_at": _ms(run.end(now)),
            "history": [{"status": s, "at": _ms(at)} for at, s in run.history(now)],
            "stages": {sr.spec.identifier: sr.status_at(now) for sr in run.stages},
            "content_type": rec.content_type,
            "runtime_yaml": rec.runtime_yaml,
            "merged_yaml": rec.merged.yaml,
            "inputs": dict(rec.merged.values),
            "resolved_inputs": resolved(rec.pipeline.inputs, rec.merged.values),
            "missing_inputs": list(rec.merged.missing),
            "body_ignored": rec.merged.ignored_body,
            "input_set_refs": list(rec.input_set_refs),
            "stage_ids": rec.stage_ids,
            "notes": rec.notes,
            "branch": rec.branch,
            "principal": rec.token.principal,
            "aborted": rec.aborted_at is not None,
            "execution_inputs": list(rec.execution_inputs),
            "waiting": [
                {"id": w.id, "kind": w.spec.kind, "stage": w.stage} for w in rec.waiting(now)
            ],
            "url": self.ui_url(rec),
        }

    def decide(
        self, execution_id: str, action: str, wait_id: Optional[str] = None, by: str = "emulator"
    ) -> dict[str, Any]:
        """Answer what a run waits for (approval, execution input, intervention) as a human."""
        with self.lock:
            rec = self.by_id.get(execution_id)
            if rec is None:
                raise KeyError(f"no NextGen execution {execution_id}")
            now = self.state.now()
            pending = [w for w in rec.waiting(now) if wait_id is None or w.id == wait_id]
            if not pending:
                raise ValueError(f"execution {execution_id} is not waiting for anything")
            w = pending[0]
            valid = {
                "approval": ("approve", "reject"),
                "input": ("continue",),
                "resource": ("continue",),
                "intervention": tuple(INTERVENTION_RESULT),
            }[w.spec.kind]
            if action not in valid:
                raise ValueError(f"a {w.spec.kind} wait takes one of {', '.join(valid)}")
            rec.decisions[w.id] = Decision(now, action, by=by)
            rec.invalidate()
            return {"id": w.id, "kind": w.spec.kind, "stage": w.stage, "action": action}

    def control(self, method: str, path: str, payload: Any) -> tuple[int, Any]:
        if (method, path) == ("GET", "/_emulator/nextgen/executions"):
            return 200, self.execution_dicts()
        if (method, path) == ("GET", "/_emulator/nextgen/tokens"):
            return 200, [
                {"type": t.type, "id": t.token_id, "principal": t.principal, "token": t.token}
                for t in self.fixtures.tokens
            ]
        if (method, path) == ("POST", "/_emulator/nextgen/decide"):
            if not isinstance(payload, dict):
                return 400, {"error": "expected a JSON object"}
            try:
                return 200, self.decide(
                    str(payload.get("execution_id")),
                    str(payload.get("action")),
                    payload.get("wait_id"),
                )
            except (KeyError, ValueError) as e:
                return 400, {"error": str(e).strip("'\"")}
        return 404, {"error": f"no control endpoint {method} {path}"}


class _Call:
    """One authenticated NextGen request."""

    def __init__(
        self,
        ng: NextGen,
        req: Any,
        token: ApiToken,
        now: float,
        started: list[str],
        read_ids: set[str],
        args: tuple[str, ...],
    ) -> None:
        self.ng = ng
        self.req = req
        self.token = token
        self.now = now
        self.started = started
        self.read_ids = read_ids
        self.args = args
        self.account = ng.state.account_id

    def p(self, name: str) -> Optional[str]:
        value: Optional[str] = self.req.param(name)
        return value

    def plist(self, name: str) -> list[str]:
        values: list[str] = self.req.params.get(name, [])
        return values

    def dispatch(self, op: str) -> NgResponse:
        if op not in _V1:
            needed = ("accountIdentifier",) if op in _ACCOUNT_ONLY else _SCOPED
            for name in needed:
                if not self.p(name):
                    return env.missing_param(name)
        handler: Callable[[], NgResponse] = getattr(self, "op_" + op.replace("-", "_"))
        with self.ng.lock:
            return handler()

    # -- shared helpers ----------------------------------------------------------------------

    def project(self) -> Optional[Project]:
        if self.p("accountIdentifier") not in (None, self.account):
            return None
        return self.ng.fixtures.project(self.p("orgIdentifier"), self.p("projectIdentifier"))

    def pipeline(
        self, identifier: Optional[str]
    ) -> tuple[Optional[Project], Optional[PipelineSpec]]:
        project = self.project()
        spec = project.pipeline(identifier) if project is not None and identifier else None
        return project, spec

    def json_body(self) -> tuple[Any, Optional[NgResponse]]:
        if not self.req.body.strip():
            return None, None
        try:
            return json.loads(self.req.body), None
        except ValueError as e:
            return None, env.error("INVALID_REQUEST", f"Unable to process JSON {e}")

    def pipeline_not_found(self, identifier: str, status: int = 404) -> NgResponse:
        text = f"Pipeline with the given ID: {identifier} does not exist or has been deleted"
        if status == 404:
            return env.error("ENTITY_NOT_FOUND", text + ".", 404)
        return env.error("INVALID_REQUEST", text, 400)

    def branch_problem(self, spec: PipelineSpec) -> Optional[NgResponse]:
        branch = self.p("branch")
        if spec.git is None or not branch or branch in spec.git.branches:
            return None
        return env.error(
            "INVALID_REQUEST",
            f"Could not find file {spec.git.file_path} in branch {branch} of repo {spec.git.repo}",
        )

    def git_details(self, spec: PipelineSpec, branch: Optional[str] = None) -> dict[str, Any]:
        if spec.git is None:
            keys = ("objectId", "branch", "repoIdentifier", "rootFolder", "filePath", "repoName")
            return dict.fromkeys(keys)
        branch = branch or self.p("branch") or spec.git.branch
        return {
            "objectId": derived_id("git-object", spec.identifier, branch),
            "branch": branch,
            "repoIdentifier": None,
            "rootFolder": None,
            "filePath": spec.git.file_path,
            "repoName": spec.git.repo,
            "commitId": derived_id("git-commit", spec.identifier, branch),
            "fileUrl": f"https://github.com/harness-gate/{spec.git.repo}/blob/{branch}/"
            f"{spec.git.file_path}",
            "repoUrl": f"https://github.com/harness-gate/{spec.git.repo}",
        }

    def validity(self, spec: PipelineSpec) -> dict[str, Any]:
        return {
            "valid": spec.invalid is None,
            "invalidYaml": spec.yaml if spec.invalid is not None else None,
        }

    def execution(self, execution_id: str, count_read: bool = True) -> Optional[NgExecution]:
        rec = self.ng.by_id.get(execution_id)
        project = self.project()
        if rec is None or project is None or rec.project is not project:
            return None
        if rec.hidden_reads > 0 and count_read:
            if rec.id not in self.read_ids:
                self.read_ids.add(rec.id)
                rec.hidden_reads -= 1
            return None
        return rec

    def execution_not_found(self, execution_id: str) -> NgResponse:
        text = (
            "Plan Execution Summary does not exist or has been deleted for planExecutionId: "
            f"{execution_id}"
        )
        return env.error("ENTITY_NOT_FOUND", text, 404)

    def denied(self, spec: PipelineSpec) -> NgResponse:
        t = self.token
        text = (
            f"Principal of type {t.principal_type} with identifier {t.principal} : "
            f"Missing permission core_pipeline_execute on pipeline with identifier "
            f"{spec.identifier}"
        )
        check = {
            "resourceScope": {
                "accountIdentifier": self.account,
                "orgIdentifier": self.p("orgIdentifier"),
                "projectIdentifier": self.p("projectIdentifier"),
            },
            "resourceType": "PIPELINE",
            "resourceIdentifier": spec.identifier,
            "permission": "core_pipeline_execute",
            "permitted": False,
        }
        return env.access_denied(text, [check])

    # -- pipelines ---------------------------------------------------------------------------

    def pipeline_summary(self, spec: PipelineSpec) -> dict[str, Any]:
        runs = [r for r in self.ng.executions if r.pipeline is spec]
        last = runs[-1] if runs else None
        return {
            "name": spec.name,
            "identifier": spec.identifier,
            "description": spec.description,
            "tags": dict(spec.tags),
            "version": 1,
            "numOfStages": len(spec.stages),
            "createdAt": spec.created_at,
            "lastUpdatedAt": spec.created_at,
            "modules": list(spec.modules),
            "executionSummaryInfo": {
                "numOfErrors": [],
                "deployments": [],
                "lastExecutionTs": None if last is None else _ms(last.created),
                "lastExecutionStatus": None if last is None else last.run.status_at(self.now),
                "lastExecutionId": None if last is None else last.id,
            },
            "filters": {},
            "stageNames": [s.name for s in spec.stages],
            "storeType": "REMOTE" if spec.git else "INLINE",
            "connectorRef": spec.git.connector if spec.git else None,
            "gitDetails": self.git_details(spec),
            "entityValidityDetails": self.validity(spec),
            "isDraft": spec.draft,
        }

    def op_getPipeline(self) -> NgResponse:
        _, spec = self.pipeline(self.args[0])
        if spec is None:
            return self.pipeline_not_found(self.args[0])
        problem = self.branch_problem(spec)
        if problem is not None:
            return problem
        data = {
            "yamlPipeline": spec.yaml,
            "resolvedTemplatesPipelineYaml": spec.yaml,
            "gitDetails": self.git_details(spec),
            "entityValidityDetails": self.validity(spec),
            "modules": list(spec.modules),
            "storeType": "REMOTE" if spec.git else "INLINE",
            "connectorRef": spec.git.connector if spec.git else None,
            "allowDynamicExecutions": False,
        }
        return env.ok(data)

    def op_getPipelineSummary(self) -> NgResponse:
        _, spec = self.pipeline(self.args[0])
        if spec is None:
            return self.pipeline_not_found(self.args[0])
        return env.ok(self.pipeline_summary(spec))

    def paging(
        self, default_size: int, page_name: str, size_name: str
    ) -> tuple[int, int, Optional[NgResponse]]:
        try:
            page = int(self.p(page_name) or 0)
            size = int(self.p(size_name) or default_size)
        except ValueError:
            return 0, 0, env.failure("INVALID_REQUEST", "page and size must be numbers", [])
        if page < 0:
            err = [{"fieldId": page_name, "error": "must be greater than or equal to 0"}]
            return 0, 0, env.failure("INVALID_REQUEST", f"{page_name}: {err[0]['error']}", err)
        if not 1 <= size <= 1000:
            bound = "greater than or equal to 1" if size < 1 else "less than or equal to 1000"
            err = [{"fieldId": size_name, "error": f"must be {bound}"}]
            return 0, 0, env.failure("INVALID_REQUEST", f"{size_name}: {err[0]['error']}", err)
        return page, size, None

    def search(self) -> tuple[Optional[re.Pattern[str]], Optional[NgResponse]]:
        term = self.p("searchTerm")
        if not term:
            return None, None
        try:
            return re.compile(term, re.IGNORECASE), None
        except re.error as e:
            return None, env.error("INVALID_REQUEST", f"Invalid search term {term}: {e}")

    def op_getPipelineList(self) -> NgResponse:
        page, size, problem = self.paging(25, "page", "size")
        if problem is not None:
            return problem
        body, problem = self.json_body()
        if problem is not None:
            return problem
        body = body if isinstance(body, dict) else {}
        pattern, problem = self.search()
        if problem is not None:
            return problem
        project = self.project()
        found = list(project.pipelines) if project else []
        if body.get("name") is not None:
            found = [p for p in found if p.name == body["name"]]
        ids = body.get("pipelineIdentifiers")
        if isinstance(ids, list) and ids:
            found = [p for p in found if p.identifier in ids]
        if pattern is not None:
            found = [
                p
                for p in found
                if pattern.search(p.identifier)
                or pattern.search(p.name)
                or any(pattern.search(k) or pattern.search(v) for k, v in p.tags.items())
            ]
        found.sort(key=lambda p: -p.created_at)
        chunk = found[page * size : (page + 1) * size]
        return env.ok(env.page([self.pipeline_summary(p) for p in chunk], page, size, len(found)))

    # -- input sets --------------------------------------------------------------------------

    def op_runtimeInputTemplate(self) -> NgResponse:
        _, spec = self.pipeline(self.p("pipelineIdentifier"))
        if spec is None:
            return self.pipeline_not_found(str(self.p("pipelineIdentifier")))
        body, problem = self.json_body()
        if problem is not None:
            return problem
        stage_ids = body.get("stageIdentifiers") if isinstance(body, dict) else None
        if stage_ids:
            unknown = [s for s in stage_ids if s not in {st.identifier for st in spec.stages}]
            if unknown:
                return env.error("INVALID_REQUEST", f"Stages {unknown} don't exist in the pipeline")
        data = {
            "inputSetTemplateYaml": dump(template(spec.doc, stage_ids or None)),
            "replacedExpressions": [],
            "modules": list(spec.modules),
            "hasInputSets": bool(spec.input_sets),
        }
        return env.ok(data)

    def input_set_dict(self, spec: PipelineSpec, s: InputSet) -> dict[str, Any]:
        data: dict[str, Any] = {
            "accountId": self.account,
            "orgIdentifier": self.p("orgIdentifier"),
            "projectIdentifier": self.p("projectIdentifier"),
            "pipelineIdentifier": spec.identifier,
            "identifier": s.identifier,
            "name": s.name,
            "description": s.description,
            "tags": {},
            "isOutdated": False,
            "isInvalid": False,
            "entityValidityDetails": {"valid": True, "invalidYaml": None},
            "gitDetails": self.git_details(spec),
            "storeType": "REMOTE" if spec.git else "INLINE",
        }
        if s.overlay:
            data["overlayInputSetYaml"] = s.yaml
            data["inputSetReferences"] = list(s.references)
        else:
            data["inputSetYaml"] = s.yaml
        return data

    def op_listInputSetsForPipeline(self) -> NgResponse:
        _, spec = self.pipeline(self.p("pipelineIdentifier"))
        if spec is None:
            return self.pipeline_not_found(str(self.p("pipelineIdentifier")))
        page, size, problem = self.paging(100, "pageIndex", "pageSize")
        if problem is not None:
            return problem
        kind = (self.p("inputSetType") or "ALL").upper()
        pattern, problem = self.search()
        if problem is not None:
            return problem
        found = [
            s
            for s in spec.input_sets
            if kind == "ALL" or (kind == "OVERLAY_INPUT_SET") == s.overlay
        ]
        if pattern is not None:
            found = [s for s in found if pattern.search(s.identifier) or pattern.search(s.name)]
        items = [
            {
                "identifier": s.identifier,
                "name": s.name,
                "pipelineIdentifier": spec.identifier,
                "description": s.description,
                "inputSetType": "OVERLAY_INPUT_SET" if s.overlay else "INPUT_SET",
                "tags": {},
                "isOutdated": False,
                "entityValidityDetails": {"valid": True, "invalidYaml": None},
                "storeType": "REMOTE" if spec.git else "INLINE",
            }
            for s in found[page * size : (page + 1) * size]
        ]
        return env.ok(env.page_response(items, page, size, len(found)))

    def get_input_set(self, overlay: bool) -> NgResponse:
        _, spec = self.pipeline(self.p("pipelineIdentifier"))
        s = spec.input_set(self.args[0]) if spec is not None else None
        if spec is None or s is None or s.overlay != overlay:
            kind = "Overlay input set" if overlay else "InputSet"
            return env.error(
                "ENTITY_NOT_FOUND",
                f"{kind} with the given ID: {self.args[0]} does not exist or has been deleted",
                404,
            )
        return env.ok(self.input_set_dict(spec, s))

    def op_getInputSet(self) -> NgResponse:
        return self.get_input_set(False)

    def op_getOverlayInputSet(self) -> NgResponse:
        return self.get_input_set(True)

    def input_set_layers(self, spec: PipelineSpec, refs: list[str]) -> tuple[list[str], list[str]]:
        """The YAML of each referenced input set (overlays expanded) and the unknown ids."""
        layers: list[str] = []
        invalid: list[str] = []
        for ref in refs:
            s = spec.input_set(ref)
            if s is None:
                invalid.append(ref)
            elif s.overlay:
                for inner in s.references:
                    child = spec.input_set(inner)
                    if child is None or child.overlay:
                        invalid.append(inner)
                    else:
                        layers.append(child.yaml)
            else:
                layers.append(s.yaml)
        return layers, invalid

    def error_wrapper(self, merged: Merged, invalid: list[str], runtime: str) -> dict[str, Any]:
        return {
            "errorPipelineYaml": runtime,
            "uuidToErrorResponseMap": {
                fqn: {"errors": errs} for fqn, errs in merged.errors.items()
            },
            "invalidInputSetReferences": invalid,
            "type": "InputSetErrorWrapperDTOPMS",
        }

    def op_getMergeInputSetFromPipelineTemplateWithListInput(self) -> NgResponse:
        _, spec = self.pipeline(self.p("pipelineIdentifier"))
        if spec is None:
            return self.pipeline_not_found(str(self.p("pipelineIdentifier")))
        body, problem = self.json_body()
        if problem is not None:
            return problem
        body = body if isinstance(body, dict) else {}
        refs = [str(r) for r in body.get("inputSetReferences") or []]
        last = body.get("lastYamlToMerge") or ""
        stage_ids = body.get("stageIdentifiers") or None
        layers, invalid = self.input_set_layers(spec, refs)
        try:
            merged = merge(spec.doc, spec.inputs, [*layers, str(last)], stage_ids)
        except ValueError as e:
            return env.error("INVALID_REQUEST", f"Invalid yaml: {e}")
        data: dict[str, Any] = {
            "pipelineYaml": merged.yaml,
            "completePipelineYaml": None,
            "isErrorResponse": bool(merged.errors or invalid),
            "inputSetErrorWrapper": None,
        }
        if body.get("withMergedPipelineYaml"):
            data["completePipelineYaml"] = spec.yaml
        if data["isErrorResponse"]:
            data["inputSetErrorWrapper"] = self.error_wrapper(merged, invalid, str(last))
        return env.ok(data)

    # -- starting ----------------------------------------------------------------------------

    def op_postPipelineExecuteWithInputSetYaml(self) -> NgResponse:
        if self.req.media_type not in _YAML_TYPES:
            return env.error("INVALID_REQUEST", "HTTP 415 Unsupported Media Type", 415)
        text = self.req.body.decode("utf-8", "replace")
        return self.start(self.args[0], [], text, None, "postPipelineExecuteWithInputSetYaml")

    def op_postPipelineExecuteWithInputSetList(self) -> NgResponse:
        body, problem = self.json_body()
        if problem is not None:
            return problem
        body = body if isinstance(body, dict) else {}
        refs = [str(r) for r in body.get("inputSetReferences") or []]
        last = str(body.get("lastYamlToMerge") or "")
        stage_ids = body.get("stageIdentifiers") or None
        return self.start(
            self.args[0], refs, last, stage_ids, "postPipelineExecuteWithInputSetList"
        )

    def op_postExecuteStages(self) -> NgResponse:
        body, problem = self.json_body()
        if problem is not None:
            return problem
        body = body if isinstance(body, dict) else {}
        stage_ids = [str(s) for s in body.get("stageIdentifiers") or []]
        text = str(body.get("runtimeInputYaml") or "")
        return self.start(self.args[0], [], text, stage_ids, "postExecuteStages")

    def op_execute_pipeline(self) -> NgResponse:
        org, project, pipeline_id = self.args
        if not self.req.headers.get("Harness-Account"):
            return env.error("INVALID_REQUEST", "harnessAccount param value is required")
        self.req.params.update(
            {
                "accountIdentifier": [self.account],
                "orgIdentifier": [org],
                "projectIdentifier": [project],
            }
        )
        for ours, theirs in (
            ("notesForPipelineExecution", "notes"),
            ("branch", "branch_name"),
            ("moduleType", "module"),
        ):
            if self.p(theirs):
                self.req.params[ours] = [self.p(theirs)]
        body, problem = self.json_body()
        if problem is not None:
            return problem
        text = str(body.get("inputs_yaml") or "") if isinstance(body, dict) else ""
        response = self.start(pipeline_id, [], text, None, "execute-pipeline")
        if response.status != 200:
            return response
        plan = json.loads(response.body)["data"]["planExecution"]
        return env.raw(
            200, {"execution_details": {"execution_id": plan["uuid"], "status": plan["status"]}}
        )

    def start(
        self,
        pipeline_id: str,
        refs: list[str],
        runtime: str,
        stage_ids: Optional[list[str]],
        operation: str,
    ) -> NgResponse:
        ng = self.ng
        project, spec = self.pipeline(pipeline_id)
        if spec is None or project is None:
            return self.pipeline_not_found(pipeline_id, 400)
        problem = self.branch_problem(spec)
        if problem is not None:
            return problem
        if not spec.execute_allowed:
            return self.denied(spec)
        if spec.draft:
            return env.error(
                "INVALID_REQUEST", f"Cannot execute a Draft Pipeline with PipelineID: {pipeline_id}"
            )
        if spec.invalid is not None:
            return env.error(
                "INVALID_REQUEST",
                f"Failed to start execution for Pipeline. Invalid pipeline YAML: {spec.invalid}",
            )
        all_ids = [s.identifier for s in spec.stages]
        if stage_ids is not None:
            if operation == "postExecuteStages" and not spec.allow_stage_executions:
                return env.error(
                    "INVALID_REQUEST",
                    f"Stage executions are not allowed for pipeline [{pipeline_id}]",
                )
            unknown = [s for s in stage_ids if s not in all_ids]
            if unknown or not stage_ids:
                return env.error("INVALID_REQUEST", f"Stages {unknown} don't exist in the pipeline")
        layers, invalid = self.input_set_layers(spec, refs)
        try:
            merged = merge(spec.doc, spec.inputs, [*layers, runtime], stage_ids)
        except ValueError as e:
            return env.error("INVALID_REQUEST", f"Invalid yaml: {e}")
        if invalid or merged.errors:
            return env.error(
                "INVALID_INPUT_SET",
                "Some fields in the runtime input are invalid.",
                metadata=self.error_wrapper(merged, invalid, runtime),
            )
        for fqn in merged.missing:
            name = fqn.rsplit(".", 1)[-1]
            if name in spec.required_at_start:
                return env.error("INVALID_REQUEST", f"{name} is required")
        selected = [s for s in spec.stages if stage_ids is None or s.identifier in stage_ids]
        missing: dict[str, list[str]] = {}
        pending: dict[str, list[str]] = {}
        first = selected[0].identifier if selected else ""
        by_fqn = {i.fqn: i for i in spec.inputs}
        for fqn in merged.missing:
            missing.setdefault(by_fqn[fqn].stage or first, []).append(fqn)
        for fqn in merged.pending:
            pending.setdefault(by_fqn[fqn].stage or first, []).append(fqn)
        execution_id = new_id()
        plan = Plan(
            execution_id,
            self.now,
            spec.queued,
            spec.queue_status,
            selected,
            errored=spec.opa_deny,
            outcome=spec.outcome,
            missing_by_stage=missing,
            pending_by_stage=pending,
        )
        key = (project.org, project.identifier, spec.identifier)
        ng.sequences[key] = ng.sequences.get(key, 0) + 1
        rec = NgExecution(
            id=execution_id,
            pipeline=spec,
            project=project,
            created=self.now,
            run_sequence=ng.sequences[key],
            token=self.token,
            plan=plan,
            operation=operation,
            runtime_yaml=runtime,
            content_type=self.req.media_type,
            merged=merged,
            input_set_refs=refs,
            stage_ids=stage_ids,
            notes=self.p("notesForPipelineExecution"),
            branch=(self.p("branch") or spec.git.branch) if spec.git else None,
            module=(self.p("moduleType") or spec.module),
            governance=self.governance(spec, execution_id),
        )
        rec.hidden_reads = spec.not_found_reads
        state = ng.state
        with state.lock:
            if state.hide_next:
                rec.hidden_reads += state.hide_next.pop(0)
        ng.executions.append(rec)
        ng.by_id[execution_id] = rec
        self.started.append(execution_id)
        return env.ok(
            {"planExecution": self.plan_execution(rec), "gitDetails": self.git_details(spec)}
        )

    def governance(self, spec: PipelineSpec, execution_id: str) -> dict[str, Any]:
        deny = spec.opa_deny is not None
        details = []
        if deny:
            details = [
                {
                    "identifier": "release_rules",
                    "name": "Release rules",
                    "deny": True,
                    "status": "error",
                    "policyMetadata": [
                        {
                            "identifier": "no_unapproved_prod",
                            "policyName": "No unapproved production deployments",
                            "severity": "error",
                            "denyMessages": [spec.opa_deny],
                            "status": "error",
                        }
                    ],
                }
            ]
        return {
            "id": derived_id("opa", execution_id) if deny else "",
            "deny": deny,
            "details": details,
            "message": spec.opa_deny or "",
            "timestamp": _ms(self.now),
            "status": "error" if deny else "pass",
            "accountId": self.account,
            "orgId": self.p("orgIdentifier"),
            "projectId": self.p("projectIdentifier"),
            "entity": spec.identifier,
            "type": "pipeline",
            "action": "onrun",
            "created": _ms(self.now),
        }

    def plan_execution(self, rec: NgExecution) -> dict[str, Any]:
        status = rec.run.status_at(self.now)
        return {
            "uuid": rec.id,
            "createdAt": _ms(rec.created),
            "planId": derived_id("plan", rec.id),
            "setupAbstractions": {
                "accountId": self.account,
                "orgIdentifier": rec.project.org,
                "projectIdentifier": rec.project.identifier,
            },
            "validUntil": _ms(rec.created + 180 * 86400),
            "status": engine(status),
            "startTs": _ms(rec.created),
            "endTs": _ms(rec.run.end(self.now)),
            "metadata": {
                "executionUuid": rec.id,
                "runSequence": rec.run_sequence,
                "pipelineIdentifier": rec.pipeline.identifier,
                "triggerInfo": {
                    "triggerType": "MANUAL",
                    "triggeredBy": self.triggered_by(rec),
                },
                "moduleType": rec.module,
                "executionMode": "NORMAL",
            },
            "governanceMetadata": rec.governance,
            "lastUpdatedAt": _ms(self.now),
            "version": 0,
        }

    def triggered_by(self, rec: NgExecution) -> dict[str, Any]:
        t = rec.token
        return {
            "uuid": derived_id("principal", t.principal),
            "identifier": t.principal,
            "extraInfo": {"email": t.email} if t.email else {},
        }

    # -- reading executions ------------------------------------------------------------------

    def failure_info(self, message: Optional[str]) -> dict[str, Any]:
        if message is None:
            return {"message": "", "failureTypeList": [], "responseMessages": []}
        return {
            "message": message,
            "failureTypeList": ["APPLICATION_ERROR"],
            "responseMessages": [
                {
                    "code": "GENERAL_ERROR",
                    "level": "ERROR",
                    "message": message,
                    "exception": None,
                    "failureTypes": ["APPLICATION_ERROR"],
                }
            ],
        }

    def node_uuid(self, rec: NgExecution, stage: str) -> str:
        return derived_id("ng-stage-node", rec.pipeline.identifier, stage)

    def node_execution_id(self, rec: NgExecution, stage: str) -> str:
        return derived_id("ng-stage-exec", rec.id, stage)

    def summary(self, rec: NgExecution) -> dict[str, Any]:
        now = self.now
        run = rec.run
        # The summary's status is written asynchronously: it may show an older one.
        shown_at = max(rec.created, now - rec.pipeline.status_lag)
        status = run.status_at(shown_at)
        layout: dict[str, Any] = {}
        counts = {"Success": 0, "Running": 0, "Failed": 0}
        stage_runs = run.stages
        for i, sr in enumerate(stage_runs):
            st = sr.status_at(now)
            uuid = self.node_uuid(rec, sr.spec.identifier)
            nxt = (
                [self.node_uuid(rec, stage_runs[i + 1].spec.identifier)]
                if i + 1 < len(stage_runs)
                else []
            )
            started = sr.start(now)
            if st in POSITIVE:
                counts["Success"] += 1
            elif st in FINAL:
                counts["Failed"] += 1
            elif st != "NotStarted":
                counts["Running"] += 1
            failed = st in FINAL and st not in POSITIVE
            info = self.failure_info(sr.failure if failed else None)
            layout[uuid] = {
                "nodeType": sr.spec.type,
                "nodeGroup": "STAGE",
                "nodeIdentifier": sr.spec.identifier,
                "name": sr.spec.name,
                "nodeUuid": uuid,
                "status": st,
                "module": rec.module,
                "moduleInfo": {},
                "startTs": _ms(started),
                "endTs": _ms(sr.end(now)),
                "edgeLayoutList": {"currentNodeChildren": [], "nextIds": nxt},
                "nodeRunInfo": None,
                "barrierFound": False,
                "failureInfo": {"message": info["message"]},
                "failureInfoDTO": info,
                "nodeExecutionId": None
                if started is None
                else self.node_execution_id(rec, sr.spec.identifier),
                "executionInputConfigured": bool(rec.plan.pending_by_stage.get(sr.spec.identifier)),
                "isRollbackStageNode": False,
            }
        failed = status in FINAL and status not in POSITIVE
        message = run.failure if failed else None
        if status == "Errored" and rec.pipeline.opa_deny:
            message = f"Pipeline execution denied by policy: {rec.pipeline.opa_deny}"
        return {
            "pipelineIdentifier": rec.pipeline.identifier,
            "orgIdentifier": rec.project.org,
            "projectIdentifier": rec.project.identifier,
            "planExecutionId": rec.id,
            "name": rec.pipeline.name,
            "yamlVersion": "0",
            "status": status,
            "tags": [{"key": k, "value": v} for k, v in rec.pipeline.tags.items()],
            "executionTriggerInfo": {
                "triggerType": "MANUAL",
                "triggeredBy": self.triggered_by(rec),
                "isRerun": False,
            },
            "governanceMetadata": rec.governance,
            "moduleInfo": {},
            "layoutNodeMap": layout,
            "modules": list(rec.pipeline.modules),
            "startingNodeId": self.node_uuid(rec, stage_runs[0].spec.identifier)
            if stage_runs
            else None,
            "startTs": _ms(rec.created),
            "endTs": _ms(run.end(shown_at)),
            "createdAt": _ms(rec.created),
            "canRetry": failed,
            "showRetryHistory": False,
            "runSequence": rec.run_sequence,
            "successfulStagesCount": counts["Success"],
            "runningStagesCount": counts["Running"],
            "failedStagesCount": counts["Failed"],
            "totalStagesCount": len(stage_runs),
            "executionErrorInfo": {"message": message} if message else None,
            "failureInfo": self.failure_info(message) if message else None,
            "storeType": "REMOTE" if rec.pipeline.git else "INLINE",
            "gitDetails": self.git_details(rec.pipeline, rec.branch),
            "abortedBy": None
            if rec.aborted_at is None
            else {"userName": rec.abort_by, "email": None, "createdAt": _ms(rec.aborted_at)},
            "stagesExecuted": list(rec.stage_ids or []),
            "stagesExecutedNames": {},
            "allowStageExecutions": rec.pipeline.allow_stage_executions,
            "stagesExecution": rec.stage_ids is not None,
            "executionMode": "NORMAL",
            "notesExistForPlanExecutionId": bool(rec.notes),
            "isLatestExecution": True,
        }

    def graph(self, rec: NgExecution) -> dict[str, Any]:
        now = self.now
        nodes: dict[str, Any] = {}
        adjacency: dict[str, Any] = {}
        for sr in rec.run.stages:
            started = sr.start(now)
            if started is None:
                continue
            stage_exec = self.node_execution_id(rec, sr.spec.identifier)
            waits = [w for w in rec.run.waits if w.stage == sr.spec.identifier and w.start <= now]
            steps: list[dict[str, Any]] = []
            for w in waits:
                step_type = {
                    "approval": "HarnessApproval",
                    "input": sr.spec.step_type,
                    "intervention": sr.spec.step_type,
                    "resource": "ResourceConstraint",
                }[w.spec.kind]
                pending = w.pending(now)
                steps.append(
                    {
                        "uuid": w.id,
                        "setupId": derived_id("ng-step", w.id),
                        "name": "Approval" if w.spec.kind == "approval" else sr.spec.step,
                        "identifier": "approval" if w.spec.kind == "approval" else "rollout",
                        "baseFqn": f"pipeline.stages.{sr.spec.identifier}.spec.execution.steps",
                        "stepType": step_type,
                        "status": w.spec.status if pending else sr.status_at(now),
                        "startTs": _ms(w.start),
                        "endTs": None if pending else _ms(w.end),
                        "executableResponses": [
                            {
                                "async": {
                                    "callbackIds": [w.id],
                                    "logKeys": [],
                                    "units": [],
                                    "timeout": int(w.spec.timeout * 1000),
                                }
                            }
                        ]
                        if w.spec.kind == "approval"
                        else [],
                        "executionInputConfigured": w.spec.kind == "input",
                        "failureInfo": {"message": ""},
                    }
                )
            for step in steps:
                nodes[step["uuid"]] = step
                adjacency[step["uuid"]] = {"children": [], "nextIds": []}
            nodes[stage_exec] = {
                "uuid": stage_exec,
                "setupId": self.node_uuid(rec, sr.spec.identifier),
                "name": sr.spec.name,
                "identifier": sr.spec.identifier,
                "baseFqn": f"pipeline.stages.{sr.spec.identifier}",
                "stepType": sr.spec.type,
                "status": sr.status_at(now),
                "startTs": _ms(started),
                "endTs": _ms(sr.end(now)),
                "executableResponses": [],
                "failureInfo": {"message": sr.failure or ""},
            }
            adjacency[stage_exec] = {"children": [s["uuid"] for s in steps], "nextIds": []}
        root = next(iter(nodes), None)
        return {"rootNodeId": root, "nodeMap": nodes, "nodeAdjacencyListMap": adjacency}

    def op_getExecutionDetailV2(self, full: bool = False) -> NgResponse:
        rec = self.execution(self.args[0])
        if rec is None:
            return self.execution_not_found(self.args[0])
        render = (self.p("renderFullBottomGraph") or "").lower() == "true"
        with_graph = full or render or bool(self.p("stageNodeId"))
        data = {
            "pipelineExecutionSummary": self.summary(rec),
            "executionGraph": self.graph(rec) if with_graph else None,
            "childGraph": None,
            "rollbackGraph": None,
        }
        return env.ok(data)

    def op_getExecutionDetail(self) -> NgResponse:
        return self.op_getExecutionDetailV2(full=True)

    def listed(self, pipeline_id: Optional[str]) -> list[NgExecution]:
        project = self.project()
        out = []
        for rec in self.ng.executions:
            if rec.project is not project:
                continue
            if pipeline_id and rec.pipeline.identifier != pipeline_id:
                continue
            if rec.hidden_reads > 0:
                if rec.id not in self.read_ids:
                    self.read_ids.add(rec.id)
                    rec.hidden_reads -= 1
                continue
            out.append(rec)
        out.sort(key=lambda r: -r.created)
        return out

    def statuses(self, values: list[Any]) -> tuple[set[str], Optional[NgResponse]]:
        wanted: set[str] = set()
        for value in values:
            display = display_from_query(str(value))
            if display is None:
                return set(), env.dropwizard(
                    400, f"query param status is not a valid ExecutionStatus: {value}"
                )
            wanted.add(display)
        return wanted, None

    def op_getListOfExecutions(self) -> NgResponse:
        page, size, problem = self.paging(10, "page", "size")
        if problem is not None:
            return problem
        body, problem = self.json_body()
        if problem is not None:
            return problem
        body = body if isinstance(body, dict) else {}
        wanted, problem = self.statuses(self.plist("status") + list(body.get("status") or []))
        if problem is not None:
            return problem
        pattern, problem = self.search()
        if problem is not None:
            return problem
        found = self.listed(self.p("pipelineIdentifier"))
        if wanted:
            found = [r for r in found if r.run.status_at(self.now) in wanted]
        if body.get("pipelineName"):
            found = [r for r in found if r.pipeline.name == body["pipelineName"]]
        if pattern is not None:
            found = [
                r
                for r in found
                if pattern.search(r.pipeline.identifier) or pattern.search(r.pipeline.name)
            ]
        chunk = found[page * size : (page + 1) * size]
        return env.ok(env.page([self.summary(r) for r in chunk], page, size, len(found)))

    def op_getListOfExecutionIdentifier(self) -> NgResponse:
        page, size, problem = self.paging(10, "page", "size")
        if problem is not None:
            return problem
        found = [
            r for r in self.listed(self.p("pipelineIdentifier")) if r.run.end(self.now) is not None
        ]
        items = [
            {
                "planExecutionId": r.id,
                "runSequence": r.run_sequence,
                "status": r.run.status_at(self.now),
                "pipelineIdentifier": r.pipeline.identifier,
                "orgIdentifier": r.project.org,
                "projectIdentifier": r.project.identifier,
            }
            for r in found[page * size : (page + 1) * size]
        ]
        return env.ok(env.page(items, page, size, len(found)))

    def op_getExecutionUrl(self) -> NgResponse:
        rec = self.execution(str(self.p("planExecutionId")), count_read=False)
        if rec is None or rec.pipeline.identifier != self.p("pipelineIdentifier"):
            return self.execution_not_found(str(self.p("planExecutionId")))
        return env.ok(self.ng.ui_url(rec))

    def op_getNotesForExecution(self) -> NgResponse:
        rec = self.execution(self.args[0], count_read=False)
        if rec is None:
            return self.execution_not_found(self.args[0])
        return env.ok({"notes": rec.notes or ""})

    def op_updateNotesForExecution(self) -> NgResponse:
        rec = self.execution(self.args[0], count_read=False)
        if rec is None:
            return self.execution_not_found(self.args[0])
        rec.notes = self.p("notesForPipelineExecution") or ""
        return env.ok({"notes": rec.notes})

    def op_getInputsetYamlV2(self) -> NgResponse:
        rec = self.execution(self.args[0], count_read=False)
        if rec is None:
            return self.execution_not_found(self.args[0])
        return env.ok(
            {
                "inputSetYaml": rec.merged.yaml,
                "inputSetTemplateYaml": dump(template(rec.pipeline.doc, rec.stage_ids)),
                "latestTemplateYaml": dump(template(rec.pipeline.doc, rec.stage_ids)),
            }
        )

    # -- pre-flight check --------------------------------------------------------------------

    def op_startPreFlightCheck(self) -> NgResponse:
        _, spec = self.pipeline(self.p("pipelineIdentifier"))
        if spec is None:
            return self.pipeline_not_found(str(self.p("pipelineIdentifier")), 400)
        try:
            merged = merge(spec.doc, spec.inputs, [self.req.body.decode("utf-8", "replace")])
        except ValueError as e:
            return env.error("INVALID_REQUEST", f"Invalid yaml: {e}")
        check_id = new_id()
        self.ng.preflights[check_id] = (self.now, spec, merged)
        return env.ok(check_id)

    def op_getPreFlightCheckResponse(self) -> NgResponse:
        found = self.ng.preflights.get(str(self.p("preflightCheckId")))
        if found is None:
            return env.error("INVALID_REQUEST", "Could not find pre flight check data")
        started, spec, merged = found
        if self.now < started + PREFLIGHT_SECONDS:
            return env.ok(
                {
                    "status": "IN_PROGRESS",
                    "pipelineInputWrapperResponse": None,
                    "connectorWrapperResponse": None,
                    "errorInfo": None,
                }
            )
        problems = {fqn: [e["message"] for e in errs] for fqn, errs in merged.errors.items()}
        for fqn in merged.missing:
            problems.setdefault(fqn, []).append("Runtime input is not provided")
        inputs = [
            {
                "success": fqn not in problems,
                "fqn": fqn,
                "stageName": i.stage,
                "stepName": None,
                "errorInfo": None
                if fqn not in problems
                else {
                    "summary": "; ".join(problems[fqn]),
                    "description": "",
                    "causes": [],
                    "resolution": [],
                },
            }
            for fqn, i in ((i.fqn, i) for i in spec.inputs)
        ]
        verdict = "FAILURE" if problems else "SUCCESS"
        return env.ok(
            {
                "status": verdict,
                "pipelineInputWrapperResponse": {
                    "pipelineInputResponse": inputs,
                    "status": verdict,
                    "label": "Verifying pipeline inputs",
                },
                "connectorWrapperResponse": {
                    "checkResponses": [],
                    "status": "SUCCESS",
                    "label": "Verifying connectors",
                },
                "errorInfo": None,
            }
        )

    # -- interrupts --------------------------------------------------------------------------

    def op_putHandleInterrupt(self) -> NgResponse:
        kind = self.p("interruptType")
        if not kind:
            return env.missing_param("interruptType")
        if kind.replace("_", "").lower() != "abortall":
            return env.dropwizard(400, "query param interruptType must be one of [AbortAll]")
        rec = self.execution(self.args[0], count_read=False)
        if rec is None:
            return self.execution_not_found(self.args[0])
        if not rec.pipeline.execute_allowed:
            return self.denied(rec.pipeline)
        status = rec.run.status_at(self.now)
        if status in FINAL:
            return env.error(
                "INVALID_REQUEST", f"Execution is already finished with status: [{engine(status)}]"
            )
        if rec.aborted_at is not None:
            return env.error("ABORT_ALL_ALREADY_NG", "Execution abort is already under progress.")
        rec.aborted_at = self.now
        rec.abort_by = self.token.principal
        rec.interrupt_id = new_id()
        rec.invalidate()
        return env.ok({"id": rec.interrupt_id, "type": "AbortAll", "planExecutionId": rec.id})

    def op_handleManualInterventionInterrupt(self) -> NgResponse:
        execution_id, node_id = self.args
        kind = self.p("interruptType") or ""
        action = next((a for a in INTERVENTION_RESULT if a.lower() == kind.lower()), None)
        if action is None:
            return env.dropwizard(400, f"query param interruptType is not valid: {kind}")
        rec = self.execution(execution_id, count_read=False)
        if rec is None:
            return self.execution_not_found(execution_id)
        waiting = [w for w in rec.waiting(self.now, "intervention") if w.id == node_id]
        if not waiting:
            return env.error(
                "INVALID_REQUEST", f"Node execution {node_id} is not waiting for an intervention"
            )
        self.ng.decide(rec.id, action, node_id, by=self.token.principal)
        return env.ok({"id": new_id(), "type": action, "planExecutionId": rec.id})

    def input_wait(self) -> tuple[Optional[NgExecution], Optional[WaitRun]]:
        for rec in self.ng.executions:
            for w in rec.run.waits:
                if w.id == self.args[0] and w.spec.kind == "input":
                    return rec, w
        return None, None

    def op_getExecutionInputTemplate(self) -> NgResponse:
        rec, w = self.input_wait()
        if rec is None or w is None:
            return env.error(
                "ENTITY_NOT_FOUND", f"Execution input not found for node {self.args[0]}", 404
            )
        fqns = rec.plan.pending_by_stage.get(w.stage, [])
        spec = {i.fqn: i for i in rec.pipeline.inputs}
        tmpl = dump({"inputs": [{"fqn": f, "value": spec[f].raw} for f in fqns if f in spec]})
        return env.ok(
            {
                "nodeExecutionId": w.id,
                "inputTemplate": tmpl,
                "userInput": None,
                "fqn": f"pipeline.stages.{w.stage}",
                "status": "WAITING" if w.pending(self.now) else "SUCCESS",
            }
        )

    def op_submitExecutionInput(self) -> NgResponse:
        rec, w = self.input_wait()
        if rec is None or w is None or not w.pending(self.now):
            return env.error(
                "INVALID_REQUEST", f"Node execution {self.args[0]} is not waiting for input"
            )
        text = self.req.body.decode("utf-8", "replace")
        try:
            yaml.safe_load(text or "{}")
        except yaml.YAMLError as e:
            return env.error("INVALID_REQUEST", f"Invalid yaml: {e}")
        rec.execution_inputs.append({"node_execution_id": w.id, "yaml": text})
        self.ng.decide(rec.id, "continue", w.id, by=self.token.principal)
        return env.ok(True)

    # -- approvals ---------------------------------------------------------------------------

    def approval(self, approval_id: str) -> tuple[Optional[NgExecution], Optional[WaitRun]]:
        for rec in self.ng.executions:
            for w in rec.run.waits:
                if w.id == approval_id and w.spec.kind == "approval":
                    return rec, w
        return None, None

    def approval_status(self, w: WaitRun) -> str:
        if w.pending(self.now):
            return "WAITING"
        return APPROVAL_STATUS.get(w.outcome, "WAITING")

    def activities(self, rec: NgExecution, w: WaitRun) -> list[dict[str, Any]]:
        decision = rec.decisions.get(w.id)
        if decision is None or w.pending(self.now) or w.outcome not in ("approve", "reject"):
            return []
        return [
            {
                "user": {"name": decision.by, "email": None},
                "action": "APPROVE" if decision.action == "approve" else "REJECT",
                "comments": decision.comments,
                "approvedAt": _ms(decision.at),
            }
        ]

    def approval_v0(self, rec: NgExecution, w: WaitRun) -> dict[str, Any]:
        return {
            "id": w.id,
            "type": "HarnessApproval",
            "status": self.approval_status(w),
            "deadline": _ms(w.deadline),
            "details": {
                "approvalMessage": w.spec.message,
                "approvers": {
                    "userGroups": list(w.spec.approvers),
                    "minimumCount": 1,
                    "disallowPipelineExecutor": w.spec.disallow_executor,
                },
                "approvalActivities": self.activities(rec, w),
                "approverInputs": [],
            },
            "errorMessage": None,
            "createdAt": _ms(w.start),
            "lastModifiedAt": _ms(min(w.end, self.now)),
        }

    def approval_v1(self, rec: NgExecution, w: WaitRun) -> dict[str, Any]:
        return {
            "id": w.id,
            "type": "HarnessApproval",
            "status": self.approval_status(w),
            "deadline": _ms(w.deadline),
            "created": _ms(w.start),
            "updated": _ms(min(w.end, self.now)),
            "details": {
                "approval_message": w.spec.message,
                "approvers": {
                    "user_groups": list(w.spec.approvers),
                    "minimum_count": 1,
                    "disallow_pipeline_executor": w.spec.disallow_executor,
                },
                "approval_activities": self.activities(rec, w),
                "approver_inputs": [],
            },
            "error_message": None,
        }

    def approve(
        self, rec: NgExecution, w: WaitRun, action: str, comments: str
    ) -> Optional[NgResponse]:
        if self.token.type != "pat":
            return env.error(
                "INVALID_REQUEST", "SERVICE_ACCOUNT is not supported for Harness Approval Step yet"
            )
        if w.spec.disallow_executor and rec.token.principal == self.token.principal:
            return env.error(
                "INVALID_REQUEST", "Pipeline executor is not allowed to approve/reject"
            )
        verb = {"APPROVE": "approve", "REJECT": "reject"}.get(action.upper())
        if verb is None:
            return env.dropwizard(400, f"Unable to process JSON: unknown action {action}")
        rec.decisions[w.id] = Decision(self.now, verb, comments, self.token.principal)
        rec.invalidate()
        return None

    def op_getApprovalInstance(self) -> NgResponse:
        rec, w = self.approval(self.args[0])
        if rec is None or w is None:
            return env.error(
                "ENTITY_NOT_FOUND", f"Approval instance with id {self.args[0]} not found", 404
            )
        return env.ok(self.approval_v0(rec, w))

    def op_addHarnessApprovalActivity(self) -> NgResponse:
        rec, w = self.approval(self.args[0])
        if rec is None or w is None:
            return env.error(
                "ENTITY_NOT_FOUND", f"Approval instance with id {self.args[0]} not found", 404
            )
        body, problem = self.json_body()
        if problem is not None:
            return problem
        body = body if isinstance(body, dict) else {}
        if not w.pending(self.now):
            return env.error(
                "INVALID_REQUEST",
                f"Approval instance {w.id} is not waiting: {self.approval_status(w)}",
            )
        problem = self.approve(rec, w, str(body.get("action")), str(body.get("comments") or ""))
        if problem is not None:
            return problem
        _, w2 = self.approval(self.args[0])
        assert w2 is not None
        return env.ok(self.approval_v0(rec, w2))

    def v1_execution(self) -> tuple[Optional[NgExecution], Optional[NgResponse]]:
        org, project, execution_id = self.args
        if not self.req.headers.get("Harness-Account"):
            return None, env.error("INVALID_REQUEST", "harnessAccount param value is required")
        self.req.params.update(
            {
                "accountIdentifier": [self.account],
                "orgIdentifier": [org],
                "projectIdentifier": [project],
            }
        )
        rec = self.execution(execution_id, count_read=False)
        if rec is None:
            return None, self.execution_not_found(execution_id)
        return rec, None

    def op_getApprovalInstancesByExecutionId(self) -> NgResponse:
        rec, problem = self.v1_execution()
        if problem is not None or rec is None:
            return problem or self.execution_not_found(self.args[2])
        wanted_status = (self.p("approval_status") or "").upper()
        wanted_type = self.p("approval_type")
        node = self.p("node_execution_id")
        items = []
        for w in rec.run.waits:
            if w.spec.kind != "approval" or w.start > self.now:
                continue
            item = self.approval_v1(rec, w)
            if wanted_status and item["status"] != wanted_status:
                continue
            if wanted_type and wanted_type != "HarnessApproval":
                continue
            if node and node != self.node_execution_id(rec, w.stage):
                continue
            items.append(item)
        return env.raw(200, items)

    def op_approveOrRejectHarnessApprovalInstance(self) -> NgResponse:
        rec, problem = self.v1_execution()
        if problem is not None or rec is None:
            return problem or self.execution_not_found(self.args[2])
        callback = self.p("callback_id")
        waiting = [
            w for w in rec.waiting(self.now, "approval") if callback is None or w.id == callback
        ]
        if not waiting:
            return env.error(
                "INVALID_REQUEST",
                "Found no Harness Approval Instance waiting for pipeline execution id: "
                f"{rec.id} and callback id: {callback}",
            )
        if len(waiting) > 1:
            return env.error(
                "INVALID_REQUEST",
                "Found more than 1 Harness Approval Instance waiting for pipeline execution id: "
                f"{rec.id}",
            )
        body, problem = self.json_body()
        if problem is not None:
            return problem
        body = body if isinstance(body, dict) else {}
        problem = self.approve(
            rec, waiting[0], str(body.get("action")), str(body.get("comments") or "")
        )
        if problem is not None:
            return problem
        return NgResponse(200, b"", None)
