"""The `nextgen:` section of an emulator fixture: tokens, organizations, projects, pipelines."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any, Optional

import yaml

from harness_gate.durations import parse_duration
from harness_gate.emulator.fixture import FixtureError
from harness_gate.emulator.nextgen.inputs import (
    WRAPPERS,
    RuntimeInput,
    parse_runtime_input,
    runtime_leaves,
)
from harness_gate.emulator.nextgen.statuses import DISPLAY_TO_ENGINE, FINAL

TOKEN_TYPES = ("pat", "sat")
WAIT_KINDS = {
    "approval": "ApprovalWaiting",
    "input": "InputWaiting",
    "intervention": "InterventionWaiting",
    "resource": "ResourceWaiting",
}
QUEUE_STATUSES = ("Queued", "QueuedLicenseLimitReached", "QueuedExecutionConcurrencyReached")
STAGE_OUTCOMES = tuple(sorted(FINAL))


def _secret(*parts: str) -> str:
    return hashlib.sha256("\x00".join(parts).encode()).hexdigest()[:24]


@dataclass
class ApiToken:
    token: str
    type: str  # pat | sat
    token_id: str
    principal: str  # user or service-account identifier
    email: Optional[str]

    @property
    def principal_type(self) -> str:
        return "USER" if self.type == "pat" else "SERVICE_ACCOUNT"


@dataclass
class Wait:
    """A stage stops for a human or a resource: approval, execution input, intervention."""

    kind: str  # approval | input | intervention | resource
    after: float = 0.0  # running seconds of the stage before it starts waiting
    timeout: float = 3600.0  # then the stage ends Expired
    resolve: str = "none"  # approve | reject | continue | none: what happens without the API
    resolve_after: float = 30.0
    message: str = "Please approve the release"
    approvers: list[str] = field(default_factory=lambda: ["Release Managers"])
    disallow_executor: bool = False
    callback_id: Optional[str] = None  # the step's Approval Callback Identifier

    @property
    def status(self) -> str:
        return WAIT_KINDS[self.kind]


@dataclass
class StageSpec:
    identifier: str
    name: str
    type: str
    duration: float = 30.0
    outcome: str = "Success"
    failure: Optional[str] = None
    waits: list[Wait] = field(default_factory=list)
    step: str = "Rollout"  # name of the step that runs (and fails, if the stage fails)
    step_type: str = "ShellScript"


@dataclass
class InputSet:
    identifier: str
    name: str
    yaml: str
    overlay: bool = False
    references: list[str] = field(default_factory=list)
    description: str = ""


@dataclass
class GitInfo:
    branch: str
    repo: str
    file_path: str
    connector: str
    branches: list[str]


@dataclass
class PipelineSpec:
    identifier: str
    name: str
    yaml: str
    doc: dict[str, Any]
    stages: list[StageSpec]
    inputs: list[RuntimeInput]
    description: str = ""
    tags: dict[str, str] = field(default_factory=dict)
    modules: list[str] = field(default_factory=lambda: ["cd", "pms"])
    draft: bool = False
    invalid: Optional[str] = None  # entityValidityDetails.invalidYaml
    git: Optional[GitInfo] = None
    queued: float = 0.0
    queue_status: str = "Queued"
    opa_deny: Optional[str] = None
    outcome: Optional[str] = None  # the pipeline's final status if every stage is positive
    not_found_reads: int = 0
    status_lag: float = 0.0  # seconds the summary status trails the stages
    required_at_start: list[str] = field(default_factory=list)
    execute_allowed: bool = True
    input_sets: list[InputSet] = field(default_factory=list)
    created_at: int = 0

    @property
    def allow_stage_executions(self) -> bool:
        return bool(self.doc.get("pipeline", {}).get("allowStageExecutions"))

    @property
    def module(self) -> str:
        return next((m for m in self.modules if m != "pms"), "cd")

    def input_set(self, identifier: str) -> Optional[InputSet]:
        return next((s for s in self.input_sets if s.identifier == identifier), None)


@dataclass
class Project:
    identifier: str
    name: str
    org: str
    pipelines: list[PipelineSpec]

    def pipeline(self, identifier: str) -> Optional[PipelineSpec]:
        return next((p for p in self.pipelines if p.identifier == identifier), None)


@dataclass
class Org:
    identifier: str
    name: str
    projects: list[Project]


@dataclass
class NgFixtures:
    tokens: list[ApiToken]
    orgs: list[Org]
    ui_base: Optional[str] = None  # default: <emulator>/ng/#
    rate_limit: int = 1000  # per API key per minute (developer.harness.io rate limits)

    def project(self, org: Optional[str], project: Optional[str]) -> Optional[Project]:
        for o in self.orgs:
            if o.identifier == org:
                return next((p for p in o.projects if p.identifier == project), None)
        return None

    def token(self, value: str) -> Optional[ApiToken]:
        return next((t for t in self.tokens if t.token == value), None)


def default_tokens(account_id: str) -> list[ApiToken]:
    pat_id, sat_id = "harness_gate_pat", "harness_gate_sat"
    return [
        ApiToken(
            f"pat.{account_id}.{pat_id}.{_secret('pat', account_id)}",
            "pat",
            pat_id,
            "harness.gate.user",
            "harness.gate.user@example.com",
        ),
        ApiToken(
            f"sat.{account_id}.{sat_id}.{_secret('sat', account_id)}",
            "sat",
            sat_id,
            "harness_gate_ci",
            None,
        ),
    ]


class _Parser:
    def __init__(self, source: str, account_id: str) -> None:
        self.source = source
        self.account_id = account_id
        self.counter = 0

    def fail(self, where: str, message: str) -> FixtureError:
        return FixtureError(f"{self.source}: {where}: {message}")

    def mapping(self, node: Any, where: str, allowed: set[str]) -> dict[str, Any]:
        if not isinstance(node, dict):
            raise self.fail(where, "expected a mapping")
        unknown = sorted(str(k) for k in node if k not in allowed)
        if unknown:
            raise self.fail(where, f"unknown key(s): {', '.join(unknown)}")
        return node

    def items(self, node: dict[str, Any], key: str, where: str) -> list[Any]:
        value = node.get(key) or []
        if not isinstance(value, list):
            raise self.fail(f"{where}.{key}", "expected a list")
        return value

    def text(self, node: dict[str, Any], key: str, where: str, default: Any = None) -> str:
        value = node.get(key, default)
        if value is None:
            raise self.fail(where, f"missing {key}")
        if isinstance(value, (bool, dict, list)):
            raise self.fail(f"{where}.{key}", "expected a string")
        return str(value)

    def seconds(self, node: dict[str, Any], key: str, where: str, default: float) -> float:
        if node.get(key) is None:
            return default
        try:
            return parse_duration(node[key])
        except ValueError as e:
            raise self.fail(f"{where}.{key}", str(e)) from e

    def count(self, node: dict[str, Any], key: str, where: str) -> int:
        value = node.get(key, 0)
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise self.fail(f"{where}.{key}", "expected a non-negative integer")
        return value

    def flag(self, node: dict[str, Any], key: str, where: str, default: bool) -> bool:
        value = node.get(key, default)
        if not isinstance(value, bool):
            raise self.fail(f"{where}.{key}", "expected true or false")
        return value

    def load(self, node: Any) -> NgFixtures:
        node = self.mapping(node, "nextgen", {"api_keys", "organizations", "ui_base", "rate_limit"})
        tokens = [
            self.token(t, f"nextgen.api_keys[{i}]")
            for i, t in enumerate(self.items(node, "api_keys", "nextgen"))
        ] or default_tokens(self.account_id)
        orgs = [
            self.org(o, f"nextgen.organizations[{i}]")
            for i, o in enumerate(self.items(node, "organizations", "nextgen"))
        ]
        ui_base = node.get("ui_base")
        rate = node.get("rate_limit", 1000)
        if isinstance(rate, bool) or not isinstance(rate, int) or rate < 1:
            raise self.fail("nextgen.rate_limit", "expected a positive integer")
        return NgFixtures(tokens, orgs, None if ui_base is None else str(ui_base), rate)

    def token(self, node: Any, where: str) -> ApiToken:
        node = self.mapping(node, where, {"type", "id", "principal", "email", "token"})
        kind = self.text(node, "type", where, "pat")
        if kind not in TOKEN_TYPES:
            raise self.fail(f"{where}.type", "expected pat or sat")
        token_id = self.text(node, "id", where)
        value = node.get("token")
        if value is None:
            value = (
                f"{kind}.{self.account_id}.{token_id}.{_secret(kind, self.account_id, token_id)}"
            )
        principal = self.text(node, "principal", where, token_id)
        email = node.get("email")
        return ApiToken(
            str(value), kind, token_id, principal, None if email is None else str(email)
        )

    def org(self, node: Any, where: str) -> Org:
        node = self.mapping(node, where, {"identifier", "name", "projects"})
        ident = self.text(node, "identifier", where)
        projects = [
            self.project(p, f"{where}.projects[{i}]", ident)
            for i, p in enumerate(self.items(node, "projects", where))
        ]
        return Org(ident, self.text(node, "name", where, ident), projects)

    def project(self, node: Any, where: str, org: str) -> Project:
        node = self.mapping(node, where, {"identifier", "name", "pipelines"})
        ident = self.text(node, "identifier", where)
        pipelines = [
            self.pipeline(p, f"{where}.pipelines[{i}]")
            for i, p in enumerate(self.items(node, "pipelines", where))
        ]
        ids = [p.identifier for p in pipelines]
        if len(set(ids)) != len(ids):
            raise self.fail(where, "pipeline identifiers must be unique in a project")
        return Project(ident, self.text(node, "name", where, ident), org, pipelines)

    def pipeline(self, node: Any, where: str) -> PipelineSpec:
        keys = {
            "identifier", "name", "description", "tags", "modules", "yaml", "draft", "invalid",
            "git", "queued", "queue_status", "opa_deny", "outcome", "not_found_reads", "status_lag",
            "required_at_start", "execute_allowed", "stages", "input_sets", "created_at",
        }  # fmt: skip
        node = self.mapping(node, where, keys)
        ident = self.text(node, "identifier", where)
        name = self.text(node, "name", where, ident)
        text = node.get("yaml")
        if text is None:
            text = _generated_yaml(ident, name, node.get("stages"))
        if not isinstance(text, str):
            raise self.fail(f"{where}.yaml", "expected the pipeline YAML as a string")
        try:
            doc = yaml.safe_load(text)
        except yaml.YAMLError as e:
            if node.get("invalid") is None:
                raise self.fail(f"{where}.yaml", f"not valid YAML: {e}") from e
            doc = {"pipeline": {"identifier": ident, "name": name, "stages": []}}
        if not isinstance(doc, dict) or not isinstance(doc.get("pipeline"), dict):
            raise self.fail(f"{where}.yaml", "expected a mapping with a top-level pipeline key")
        behaviours = self.mapping(node.get("stages") or {}, f"{where}.stages", set(_stage_ids(doc)))
        stages = [
            self.stage(stage, behaviours.get(str(stage.get("identifier"))), f"{where}.stages")
            for stage in _stage_nodes(doc)
        ]
        self.counter += 1
        created = node.get("created_at", 1_700_000_000_000 - self.counter * 60_000)
        if isinstance(created, bool) or not isinstance(created, int):
            raise self.fail(f"{where}.created_at", "expected epoch milliseconds")
        git = None
        if node.get("git") is not None:
            g = self.mapping(
                node["git"],
                f"{where}.git",
                {"branch", "repo", "file_path", "connector", "branches"},
            )
            branch = self.text(g, "branch", f"{where}.git", "main")
            git = GitInfo(
                branch,
                self.text(g, "repo", f"{where}.git", "harness-pipelines"),
                self.text(g, "file_path", f"{where}.git", f".harness/{ident}.yaml"),
                self.text(g, "connector", f"{where}.git", "account.github"),
                [str(b) for b in (g.get("branches") or [branch])],
            )
        queue_status = self.text(node, "queue_status", where, "Queued")
        if queue_status not in QUEUE_STATUSES:
            raise self.fail(f"{where}.queue_status", f"expected one of {', '.join(QUEUE_STATUSES)}")
        outcome = node.get("outcome")
        if outcome is not None and outcome not in FINAL:
            raise self.fail(f"{where}.outcome", f"expected one of {', '.join(STAGE_OUTCOMES)}")
        spec = PipelineSpec(
            identifier=ident,
            name=name,
            yaml=text,
            doc=doc,
            stages=stages,
            inputs=[parse_runtime_input(fqn, v) for fqn, v in runtime_leaves(doc)],
            description=str(node.get("description") or ""),
            tags={str(k): str(v) for k, v in (node.get("tags") or {}).items()},
            modules=[str(m) for m in (node.get("modules") or ["cd", "pms"])],
            draft=self.flag(node, "draft", where, False),
            invalid=None if node.get("invalid") is None else str(node["invalid"]),
            git=git,
            queued=self.seconds(node, "queued", where, 0.0),
            queue_status=queue_status,
            opa_deny=None if node.get("opa_deny") is None else str(node["opa_deny"]),
            outcome=outcome,
            not_found_reads=self.count(node, "not_found_reads", where),
            status_lag=self.seconds(node, "status_lag", where, 0.0),
            required_at_start=[str(x) for x in self.items(node, "required_at_start", where)],
            execute_allowed=self.flag(node, "execute_allowed", where, True),
            created_at=int(created),
        )
        spec.input_sets = [
            self.input_set(s, f"{where}.input_sets[{i}]")
            for i, s in enumerate(self.items(node, "input_sets", where))
        ]
        return spec

    def stage(self, node: dict[str, Any], beh: Any, where: str) -> StageSpec:
        ident = str(node.get("identifier"))
        where = f"{where}.{ident}"
        spec = StageSpec(ident, str(node.get("name") or ident), str(node.get("type") or "Custom"))
        if beh is None:
            if spec.type == "Approval":
                spec.waits.append(Wait("approval"))
                spec.duration = 0.0  # the stage ends when the approval does
            return spec
        keys = {"duration", "outcome", "failure", "step", "step_type"} | set(WAIT_KINDS)
        beh = self.mapping(beh, where, keys)
        spec.duration = self.seconds(beh, "duration", where, 30.0)
        spec.outcome = self.text(beh, "outcome", where, "Success")
        if spec.outcome not in FINAL:
            raise self.fail(f"{where}.outcome", f"expected one of {', '.join(STAGE_OUTCOMES)}")
        spec.failure = None if beh.get("failure") is None else str(beh["failure"])
        spec.step = self.text(beh, "step", where, "Rollout")
        spec.step_type = self.text(beh, "step_type", where, "ShellScript")
        for kind in WAIT_KINDS:
            if beh.get(kind) is not None:
                spec.waits.append(self.wait(kind, beh[kind], f"{where}.{kind}"))
        spec.waits.sort(key=lambda w: w.after)
        if beh.get("duration") is None and any(w.kind == "approval" for w in spec.waits):
            spec.duration = max(w.after for w in spec.waits)  # ends when the approval does
        return spec

    def wait(self, kind: str, node: Any, where: str) -> Wait:
        if node is True:
            node = {}
        keys = {"after", "timeout", "resolve", "resolve_after"}
        if kind == "approval":
            keys |= {"message", "approvers", "disallow_executor", "callback_id"}
        node = self.mapping(node, where, keys)
        resolutions = {
            "approval": ("approve", "reject", "none"),
            "input": ("continue", "none"),
            "intervention": ("MarkAsSuccess", "Ignore", "MarkAsFailure", "Retry", "none"),
            "resource": ("continue", "none"),
        }[kind]
        resolve = self.text(node, "resolve", where, "continue" if kind == "resource" else "none")
        if resolve not in resolutions:
            raise self.fail(f"{where}.resolve", f"expected one of {', '.join(resolutions)}")
        w = Wait(
            kind,
            after=self.seconds(node, "after", where, 0.0),
            timeout=self.seconds(node, "timeout", where, 3600.0),
            resolve=resolve,
            resolve_after=self.seconds(node, "resolve_after", where, 30.0),
        )
        if kind == "approval":
            w.message = self.text(node, "message", where, w.message)
            w.approvers = [str(a) for a in (node.get("approvers") or w.approvers)]
            w.disallow_executor = self.flag(node, "disallow_executor", where, False)
            w.callback_id = None if node.get("callback_id") is None else str(node["callback_id"])
        return w

    def input_set(self, node: Any, where: str) -> InputSet:
        node = self.mapping(
            node, where, {"identifier", "name", "yaml", "overlay", "references", "description"}
        )
        ident = self.text(node, "identifier", where)
        overlay = self.flag(node, "overlay", where, False)
        refs = [str(r) for r in self.items(node, "references", where)]
        text = node.get("yaml") or ""
        if not overlay:
            try:
                data = yaml.safe_load(text)
            except yaml.YAMLError as e:
                raise self.fail(f"{where}.yaml", f"not valid YAML: {e}") from e
            if not isinstance(data, dict) or not isinstance(data.get("inputSet"), dict):
                raise self.fail(f"{where}.yaml", "expected a mapping with a top-level inputSet key")
        return InputSet(
            ident,
            self.text(node, "name", where, ident),
            str(text),
            overlay,
            refs,
            str(node.get("description") or ""),
        )


def _generated_yaml(ident: str, name: str, behaviours: Any) -> str:
    """A pipeline YAML for a fixture that gives only stage behaviours: one step per stage."""
    stages = []
    for key, beh in (behaviours or {}).items() if isinstance(behaviours, dict) else []:
        approval = isinstance(beh, dict) and beh.get("approval") is not None
        step: dict[str, Any] = (
            {
                "name": "Approval",
                "identifier": "approval",
                "type": "HarnessApproval",
                "timeout": "1d",
                "spec": {
                    "approvalMessage": "Please review and approve",
                    "approvers": {"userGroups": ["release_managers"], "minimumCount": 1},
                },
            }
            if approval
            else {
                "name": "Rollout",
                "identifier": "rollout",
                "type": "ShellScript",
                "timeout": "10m",
                "spec": {
                    "shell": "Bash",
                    "source": {"type": "Inline", "spec": {"script": "echo rollout"}},
                },
            }
        )
        stage = {
            "name": str(key).replace("_", " ").title(),
            "identifier": str(key),
            "type": "Approval" if approval else "Custom",
            "spec": {"execution": {"steps": [{"step": step}]}},
        }
        stages.append({"stage": stage})
    doc = {"pipeline": {"name": name, "identifier": ident, "stages": stages}}
    return yaml.safe_dump(doc, sort_keys=False)


def _stage_nodes(doc: dict[str, Any]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for item in doc.get("pipeline", {}).get("stages") or []:
        if isinstance(item, dict) and isinstance(item.get("stage"), dict):
            out.append(item["stage"])
        elif isinstance(item, dict) and isinstance(item.get("parallel"), list):
            out += [p["stage"] for p in item["parallel"] if isinstance(p, dict) and "stage" in p]
    return out


def _stage_ids(doc: dict[str, Any]) -> list[str]:
    return [str(s.get("identifier")) for s in _stage_nodes(doc)]


def parse_nextgen(node: Any, account_id: str, source: str = "<dict>") -> NgFixtures:
    """Read a fixture's `nextgen:` section (None: no orgs, the default tokens)."""
    return _Parser(source, account_id).load(node or {})


__all__ = [
    "DISPLAY_TO_ENGINE",
    "WRAPPERS",
    "ApiToken",
    "GitInfo",
    "InputSet",
    "NgFixtures",
    "Org",
    "PipelineSpec",
    "Project",
    "StageSpec",
    "Wait",
    "parse_nextgen",
]
