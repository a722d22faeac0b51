"""The emulator's world, as described by one YAML fixture file (see docs/emulator.md)."""

from __future__ import annotations

import base64
import functools
import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional, Union

import yaml

from harness_gate.durations import parse_duration

DEFAULT_FIXTURE = Path(__file__).resolve().parent / "fixtures" / "default.yaml"

TEXT = "Text"
ENVIRONMENT = "Environment"
SERVICE = "Service"
INFRA = "Infrastructure definition"
VARIABLE_TYPES = (TEXT, ENVIRONMENT, SERVICE, INFRA)

OUTCOMES = ("SUCCESS", "FAILED", "ERROR", "ABORTED", "REJECTED", "EXPIRED", "SKIPPED")
APPROVAL_TYPES = ("USER_GROUP", "JIRA", "SERVICENOW", "SHELL_SCRIPT")
RESOLUTIONS = ("approve", "reject", "none")
EDITIONS = ("PAID", "TRIAL", "COMMUNITY", "ESSENTIALS")
# feature-restrictions.yml: REST_API is not available to these editions.
EDITIONS_WITHOUT_API = ("COMMUNITY", "ESSENTIALS")
RUNTIME_ACTIONS = ("END_EXECUTION", "CONTINUE_WITH_DEFAULTS")

# Entities without a fixture timestamp get one from here on, one minute apart, so listings
# (newest first) come out in fixture order.
_BASE_CREATED_MS = 1_700_000_000_000


class FixtureError(ValueError):
    """A fixture file that cannot describe a world; the message names the offending key."""


def derived_id(*parts: str) -> str:
    """A stable 22-character id shaped like Harness's (base64url of 16 bytes)."""
    digest = hashlib.sha256("\x00".join(parts).encode()).digest()[:16]
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode().replace("-", "x")


def derived_api_key(account_id: str) -> str:
    """FirstGen keys are base64("<accountId>::<80 alphanumerics>"): the account is in the key."""
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
    stream = hashlib.shake_256(("api-key\x00" + account_id).encode()).digest(80)
    secret = "".join(alphabet[b % len(alphabet)] for b in stream)
    return base64.b64encode(f"{account_id}::{secret}".encode()).decode()


@dataclass
class Build:
    build: str
    id: str
    collected_at: int
    collect_seconds: float = 0.0  # > 0: not collected yet; each start fetches it (real seconds)


@dataclass
class ArtifactSource:
    id: str
    name: str
    image_name: str
    builds: list[Build]
    created_at: int
    parameters: list[str] = field(default_factory=list)  # non-empty: a parameterized source

    @property
    def parameterized(self) -> bool:
        return bool(self.parameters)


@dataclass
class HelmChart:
    version: str
    id: str
    created_at: int


@dataclass
class AppManifest:
    """A service's application manifest from a Helm repository: its charts need a version."""

    id: str
    name: str
    charts: list[HelmChart]


@dataclass
class Service:
    id: str
    name: str
    description: Optional[str]
    artifact_type: str
    deployment_type: str
    artifact_sources: list[ArtifactSource]
    created_at: int
    manifests: list[AppManifest] = field(default_factory=list)


@dataclass
class InfraDefinition:
    id: str
    name: str
    deployment_type: str
    created_at: int


@dataclass
class Environment:
    id: str
    name: str
    description: Optional[str]
    type: str
    infrastructure_definitions: list[InfraDefinition]
    created_at: int


@dataclass
class Variable:
    name: str
    type: str = TEXT
    required: bool = False
    allowed_values: Optional[list[str]] = None
    default: Optional[str] = None
    fixed: bool = False
    allow_multiple_values: bool = False
    runtime: bool = False


@dataclass
class Approval:
    type: str = "USER_GROUP"
    step_name: str = "Approval"
    after: float = 0.0  # running seconds before a workflow reaches its approval step
    resolve: str = "none"  # what happens without an API decision: approve, reject or none
    resolve_after: float = 30.0
    timeout: float = 600.0  # unresolved for this long -> EXPIRED
    approvers: list[str] = field(default_factory=lambda: ["Approvers"])
    variables: list[tuple[str, str]] = field(default_factory=list)
    authorized: bool = True  # may the API key approve or reject it
    failure: Optional[str] = None  # failureDetails of a pipeline this rejects


@dataclass
class ManualPause:
    """Someone pauses the run (PAUSE_ALL in the UI) after `after` and resumes it later."""

    after: float = 0.0
    resume_after: float = 60.0


@dataclass
class Behaviour:
    outcome: str = "SUCCESS"
    duration: float = 60.0  # running time, approval wait excluded
    preparing: float = 0.0
    queued: float = 0.0
    failure: Optional[str] = None
    approval: Optional[Approval] = None
    pause: Optional[ManualPause] = None


@dataclass
class Workflow:
    id: str
    name: str
    description: Optional[str]
    variables: list[Variable]
    environment: Optional[str]  # env name, or "${Var}"; None: its Environment variable, if any
    service: Optional[str]
    infrastructure_definition: Optional[str]
    artifact_services: Optional[list[str]]  # None: the workflow's service when it has sources
    behaviour: Behaviour
    authorized: bool
    created_at: int


@dataclass
class Stage:
    name: str
    element_id: str
    workflow: Optional[Workflow] = None
    variables: dict[str, str] = field(default_factory=dict)  # values may use "${pipelineVar}"
    behaviour: Optional[Behaviour] = None  # the workflow's, with this stage's overrides
    approval: Optional[Approval] = None
    runtime_variables: list[Variable] = field(default_factory=list)  # asked for when reached
    runtime_timeout: float = 1800.0
    runtime_action: str = "END_EXECUTION"


@dataclass
class Pipeline:
    id: str
    name: str
    description: Optional[str]
    variables: list[Variable]
    stages: list[Stage]
    preparing: float
    queued: float
    authorized: bool
    created_at: int


@dataclass
class Application:
    id: str
    name: str
    description: Optional[str]
    services: list[Service]
    environments: list[Environment]
    workflows: list[Workflow]
    pipelines: list[Pipeline]
    created_at: int

    def service_named(self, name: str) -> Optional[Service]:
        return next((s for s in self.services if s.name == name), None)

    def environment_named(self, name: str) -> Optional[Environment]:
        return next((e for e in self.environments if e.name == name), None)

    def workflow_named(self, name: str) -> Optional[Workflow]:
        return next((w for w in self.workflows if w.name == name), None)

    def pipeline_named(self, name: str) -> Optional[Pipeline]:
        return next((p for p in self.pipelines if p.name == name), None)


@dataclass
class Freeze:
    name: str
    master: bool
    environments: list[str]
    application: Optional[str]
    active: bool


@dataclass
class Account:
    id: str
    api_key: str
    api_key_name: str
    api_key_id: str
    portal_url: Optional[str]
    api_key_explicit: bool = True
    edition: str = "PAID"


@dataclass
class Fixtures:
    account: Account
    applications: list[Application]
    freezes: list[Freeze]
    source: str = "<dict>"
    nextgen: Any = None  # the raw `nextgen:` section; harness_gate.emulator.nextgen reads it

    def application(self, app_id: str) -> Optional[Application]:
        return next((a for a in self.applications if a.id == app_id), None)

    def application_named(self, name: str) -> Optional[Application]:
        return next((a for a in self.applications if a.name == name), None)


FixtureSource = Union[None, str, Path, dict[str, Any], Fixtures]


def load_fixtures(source: FixtureSource = None) -> Fixtures:
    """Read a fixture: None (the packaged default), a YAML path, a parsed dict, or Fixtures."""
    if isinstance(source, Fixtures):
        return source
    if source is None:
        source = DEFAULT_FIXTURE
    if isinstance(source, dict):
        return _Loader("<dict>").load(source)
    path = Path(source)
    try:
        stamp = path.stat().st_mtime_ns
    except OSError as e:
        raise FixtureError(f"{path}: cannot read: {e.strerror or e}") from e
    return _load_file(str(path), stamp)


@functools.lru_cache(maxsize=16)
def _load_file(path: str, _mtime_ns: int) -> Fixtures:
    # Cached per file version: tests start many emulators, and nothing mutates Fixtures.
    try:
        text = Path(path).read_text(encoding="utf-8")
        data = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except OSError as e:
        raise FixtureError(f"{path}: cannot read: {e.strerror or e}") from e
    except yaml.YAMLError as e:
        raise FixtureError(f"{path}: not valid YAML: {e}") from e
    if not isinstance(data, dict):
        raise FixtureError(f"{path}: expected a mapping at the top level")
    return _Loader(path).load(data)


class _Loader:
    def __init__(self, source: str) -> None:
        self.source = source
        self.counter = 0

    def fail(self, where: str, message: str) -> FixtureError:
        return FixtureError(f"{self.source}: {where}: {message}")

    def created(self, node: dict[str, Any], where: str) -> int:
        # Later entries are older, so "newest first" listings keep fixture order.
        self.counter += 1
        value = node.get("created_at")
        if value is None:
            return _BASE_CREATED_MS - self.counter * 60_000
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(where, "created_at must be epoch milliseconds")
        return value

    # -- scalar helpers ---------------------------------------------------------------------

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

    def text(
        self, node: dict[str, Any], key: str, where: str, default: Optional[str] = None
    ) -> str:
        value = node.get(key, default)
        if value is None:
            raise self.fail(where, f"missing {key}")
        if isinstance(value, (bool, dict, list)):
            raise self.fail(f"{where}.{key}", "expected a string")
        return str(value)

    def opt_text(self, node: dict[str, Any], key: str, where: str) -> Optional[str]:
        return None if node.get(key) is None else self.text(node, key, where)

    def flag(self, node: dict[str, Any], key: str, where: str, default: bool) -> bool:
        value = node.get(key, default)
        if not isinstance(value, bool):
            raise self.fail(f"{where}.{key}", "expected true or false")
        return value

    def seconds(self, node: dict[str, Any], key: str, where: str, default: float) -> float:
        if node.get(key) is None:
            return default
        try:
            return parse_duration(node[key])
        except ValueError as e:
            raise self.fail(f"{where}.{key}", str(e)) from e

    def entity_id(self, node: dict[str, Any], where: str, *parts: str) -> str:
        return self.text(node, "id", where) if node.get("id") is not None else derived_id(*parts)

    # -- the tree ---------------------------------------------------------------------------

    def load(self, data: dict[str, Any]) -> Fixtures:
        data = self.mapping(data, "top level", {"account", "applications", "freezes", "nextgen"})
        account = self.account(data.get("account") or {})
        apps = [
            self.application(node, f"applications[{i}]")
            for i, node in enumerate(self.items(data, "applications", "top level"))
        ]
        _unique([a.name for a in apps], "application name", self.fail)
        _unique([a.id for a in apps], "application id", self.fail)
        ids = [w.id for a in apps for w in a.workflows] + [p.id for a in apps for p in a.pipelines]
        _unique(ids, "workflow/pipeline id", self.fail)
        freezes = [
            self.freeze(node, f"freezes[{i}]", apps)
            for i, node in enumerate(self.items(data, "freezes", "top level"))
        ]
        return Fixtures(account, apps, freezes, self.source, data.get("nextgen"))

    def account(self, node: Any) -> Account:
        node = self.mapping(
            node, "account", {"id", "api_key", "api_key_name", "portal_url", "edition"}
        )
        account_id = self.text(node, "id", "account", "HarnessGateEmulator001")
        explicit = node.get("api_key") is not None
        api_key = self.text(node, "api_key", "account") if explicit else derived_api_key(account_id)
        name = self.text(node, "api_key_name", "account", "harness-gate-emulator")
        portal = self.opt_text(node, "portal_url", "account")
        if portal is not None and not portal.endswith("/"):
            portal += "/"  # the server's portal base URL always ends with "/"
        edition = self.text(node, "edition", "account", "PAID")
        if edition not in EDITIONS:
            raise self.fail("account.edition", f"expected one of {', '.join(EDITIONS)}")
        return Account(
            account_id, api_key, name, derived_id("apikey", account_id), portal, explicit, edition
        )

    def application(self, node: Any, where: str) -> Application:
        keys = {"id", "name", "description", "created_at", "services", "environments"}
        node = self.mapping(node, where, keys | {"workflows", "pipelines"})
        name = self.text(node, "name", where)
        app = Application(
            id=self.entity_id(node, where, "app", name),
            name=name,
            description=self.opt_text(node, "description", where),
            services=[],
            environments=[],
            workflows=[],
            pipelines=[],
            created_at=self.created(node, where),
        )
        for i, item in enumerate(self.items(node, "services", where)):
            app.services.append(self.service(item, f"{where}.services[{i}]", app))
        for i, item in enumerate(self.items(node, "environments", where)):
            app.environments.append(self.environment(item, f"{where}.environments[{i}]", app))
        for i, item in enumerate(self.items(node, "workflows", where)):
            app.workflows.append(self.workflow(item, f"{where}.workflows[{i}]", app))
        for i, item in enumerate(self.items(node, "pipelines", where)):
            app.pipelines.append(self.pipeline(item, f"{where}.pipelines[{i}]", app))
        _unique([s.name for s in app.services], f"service name in {name}", self.fail)
        _unique([e.name for e in app.environments], f"environment name in {name}", self.fail)
        _unique([w.name for w in app.workflows], f"workflow name in {name}", self.fail)
        _unique([p.name for p in app.pipelines], f"pipeline name in {name}", self.fail)
        return app

    def service(self, node: Any, where: str, app: Application) -> Service:
        keys = {"id", "name", "description", "artifact_type", "deployment_type", "created_at"}
        node = self.mapping(node, where, keys | {"artifact_sources", "manifests"})
        name = self.text(node, "name", where)
        service = Service(
            id=self.entity_id(node, where, "service", app.id, name),
            name=name,
            description=self.opt_text(node, "description", where),
            artifact_type=self.text(node, "artifact_type", where, "DOCKER"),
            deployment_type=self.text(node, "deployment_type", where, "KUBERNETES"),
            artifact_sources=[],
            created_at=self.created(node, where),
        )
        for i, item in enumerate(self.items(node, "artifact_sources", where)):
            at = f"{where}.artifact_sources[{i}]"
            item = self.mapping(
                item, at, {"id", "name", "image_name", "builds", "created_at", "parameters"}
            )
            source_name = self.text(item, "name", at)
            source_id = self.entity_id(item, at, "source", service.id, source_name)
            created = self.created(item, at)
            builds = []
            for j, b in enumerate(self.items(item, "builds", at)):
                bat = f"{at}.builds[{j}]"
                if not isinstance(b, dict):
                    b = {"build": b}
                b = self.mapping(b, bat, {"build", "id", "collected_at", "collect_seconds"})
                number = self.text(b, "build", bat)
                collected = b.get("collected_at", created + (j + 1) * 60_000)
                build_id = self.entity_id(b, bat, "artifact", source_id, number)
                collect = self.seconds(b, "collect_seconds", bat, 0.0)
                builds.append(Build(number, build_id, int(collected), collect))
            _unique([b.build for b in builds], f"build in {source_name}", self.fail)
            image = self.text(item, "image_name", at, f"library/{source_name}")
            parameters = [str(p) for p in self.items(item, "parameters", at)]
            service.artifact_sources.append(
                ArtifactSource(source_id, source_name, image, builds, created, parameters)
            )
        for i, item in enumerate(self.items(node, "manifests", where)):
            at = f"{where}.manifests[{i}]"
            item = self.mapping(item, at, {"id", "name", "versions"})
            manifest_name = self.text(item, "name", at)
            manifest_id = self.entity_id(item, at, "manifest", service.id, manifest_name)
            charts = []
            for j, c in enumerate(self.items(item, "versions", at)):
                cat = f"{at}.versions[{j}]"
                if not isinstance(c, dict):
                    c = {"version": c}
                c = self.mapping(c, cat, {"version", "id", "created_at"})
                version = self.text(c, "version", cat)
                chart_id = self.entity_id(c, cat, "helm-chart", manifest_id, version)
                charts.append(HelmChart(version, chart_id, self.created(c, cat)))
            _unique([c.version for c in charts], f"version in {manifest_name}", self.fail)
            service.manifests.append(AppManifest(manifest_id, manifest_name, charts))
        _unique([m.name for m in service.manifests], f"manifest in {name}", self.fail)
        return service

    def environment(self, node: Any, where: str, app: Application) -> Environment:
        keys = {"id", "name", "description", "type", "infrastructure_definitions", "created_at"}
        node = self.mapping(node, where, keys)
        name = self.text(node, "name", where)
        env_type = self.text(node, "type", where, "NON_PROD")
        if env_type not in ("PROD", "NON_PROD"):
            raise self.fail(f"{where}.type", "expected PROD or NON_PROD")
        env = Environment(
            id=self.entity_id(node, where, "env", app.id, name),
            name=name,
            description=self.opt_text(node, "description", where),
            type=env_type,
            infrastructure_definitions=[],
            created_at=self.created(node, where),
        )
        for i, item in enumerate(self.items(node, "infrastructure_definitions", where)):
            at = f"{where}.infrastructure_definitions[{i}]"
            item = self.mapping(item, at, {"id", "name", "deployment_type", "created_at"})
            infra_name = self.text(item, "name", at)
            env.infrastructure_definitions.append(
                InfraDefinition(
                    id=self.entity_id(item, at, "infra", env.id, infra_name),
                    name=infra_name,
                    deployment_type=self.text(item, "deployment_type", at, "KUBERNETES"),
                    created_at=self.created(item, at),
                )
            )
        return env

    def variables(self, node: dict[str, Any], where: str) -> list[Variable]:
        out = []
        keys = {"name", "type", "required", "allowed_values", "default", "fixed"}
        for i, item in enumerate(self.items(node, "variables", where)):
            at = f"{where}.variables[{i}]"
            item = self.mapping(item, at, keys | {"allow_multiple_values", "runtime"})
            var_type = self.text(item, "type", at, TEXT)
            if var_type not in VARIABLE_TYPES:
                raise self.fail(f"{at}.type", f"expected one of {', '.join(VARIABLE_TYPES)}")
            allowed = item.get("allowed_values")
            if allowed is not None and not isinstance(allowed, list):
                raise self.fail(f"{at}.allowed_values", "expected a list")
            out.append(
                Variable(
                    name=self.text(item, "name", at),
                    type=var_type,
                    required=self.flag(item, "required", at, False),
                    allowed_values=None if allowed is None else [str(v) for v in allowed],
                    default=self.opt_text(item, "default", at),
                    fixed=self.flag(item, "fixed", at, False),
                    allow_multiple_values=self.flag(item, "allow_multiple_values", at, False),
                    runtime=self.flag(item, "runtime", at, False),
                )
            )
        _unique([v.name for v in out], f"variable name in {where}", self.fail)
        return out

    def approval(self, node: Any, where: str) -> Approval:
        keys = {"type", "step_name", "after", "resolve", "resolve_after", "timeout", "approvers"}
        node = self.mapping(node, where, keys | {"variables", "authorized", "failure"})
        approval_type = self.text(node, "type", where, "USER_GROUP")
        if approval_type not in APPROVAL_TYPES:
            raise self.fail(f"{where}.type", f"expected one of {', '.join(APPROVAL_TYPES)}")
        resolve = self.text(node, "resolve", where, "none")
        if resolve not in RESOLUTIONS:
            raise self.fail(f"{where}.resolve", "expected approve, reject or none")
        variables = node.get("variables") or {}
        if not isinstance(variables, dict):
            raise self.fail(f"{where}.variables", "expected a mapping of name: value")
        approvers = node.get("approvers") or ["Approvers"]
        return Approval(
            type=approval_type,
            step_name=self.text(node, "step_name", where, "Approval"),
            after=self.seconds(node, "after", where, 0.0),
            resolve=resolve,
            resolve_after=self.seconds(node, "resolve_after", where, 30.0),
            timeout=self.seconds(node, "timeout", where, 600.0),
            approvers=[str(a) for a in approvers],
            variables=[(str(k), "" if v is None else str(v)) for k, v in variables.items()],
            authorized=self.flag(node, "authorized", where, True),
            failure=self.opt_text(node, "failure", where),
        )

    def behaviour(self, node: dict[str, Any], where: str, base: Optional[Behaviour]) -> Behaviour:
        base = base or Behaviour()
        outcome = self.text(node, "outcome", where, base.outcome)
        if outcome not in OUTCOMES:
            raise self.fail(f"{where}.outcome", f"expected one of {', '.join(OUTCOMES)}")
        approval = base.approval
        if node.get("approval") is not None:
            approval = self.approval(node["approval"], f"{where}.approval")
        pause = base.pause
        if node.get("pause") is not None:
            at = f"{where}.pause"
            pnode = self.mapping(node["pause"], at, {"after", "resume_after"})
            pause = ManualPause(
                after=self.seconds(pnode, "after", at, 0.0),
                resume_after=self.seconds(pnode, "resume_after", at, 60.0),
            )
        beh = Behaviour(
            outcome=outcome,
            duration=self.seconds(node, "duration", where, base.duration),
            preparing=self.seconds(node, "preparing", where, base.preparing),
            queued=self.seconds(node, "queued", where, base.queued),
            failure=node.get("failure", base.failure),
            approval=approval,
            pause=pause,
        )
        if beh.approval is not None and beh.approval.after > beh.duration:
            raise self.fail(f"{where}.approval.after", "must not be longer than the duration")
        if beh.pause is not None and beh.pause.after > beh.duration:
            raise self.fail(f"{where}.pause.after", "must not be longer than the duration")
        if beh.pause is not None and beh.approval is not None:
            raise self.fail(f"{where}.pause", "a run has an approval or a manual pause, not both")
        return beh

    _BEHAVIOUR_KEYS = frozenset({"outcome", "duration", "preparing", "queued", "failure", "pause"})

    def workflow(self, node: Any, where: str, app: Application) -> Workflow:
        keys = {"id", "name", "description", "variables", "environment", "service"}
        keys |= {"infrastructure_definition", "artifact_services", "authorized", "created_at"}
        node = self.mapping(node, where, keys | self._BEHAVIOUR_KEYS | {"approval"})
        name = self.text(node, "name", where)
        variables = self.variables(node, where)
        artifact_services = node.get("artifact_services")
        if artifact_services is not None and not isinstance(artifact_services, list):
            raise self.fail(f"{where}.artifact_services", "expected a list of service names")
        wf = Workflow(
            id=self.entity_id(node, where, "workflow", app.id, name),
            name=name,
            description=self.opt_text(node, "description", where),
            variables=variables,
            environment=self.opt_text(node, "environment", where),
            service=self.opt_text(node, "service", where),
            infrastructure_definition=self.opt_text(node, "infrastructure_definition", where),
            artifact_services=None
            if artifact_services is None
            else [str(s) for s in artifact_services],
            behaviour=self.behaviour(node, where, None),
            authorized=self.flag(node, "authorized", where, True),
            created_at=self.created(node, where),
        )
        self.check_refs(wf, where, app)
        return wf

    def check_refs(self, wf: Workflow, where: str, app: Application) -> None:
        names = {v.name for v in wf.variables}
        refs: list[tuple[str, Optional[str]]] = [
            ("environment", wf.environment),
            ("service", wf.service),
            ("infrastructure_definition", wf.infrastructure_definition),
        ]
        refs += [("artifact_services", s) for s in wf.artifact_services or []]
        for key, value in refs:
            if value is None:
                continue
            var = reference(value)
            if var is not None:
                if var not in names:
                    raise self.fail(f"{where}.{key}", f"no variable named {var}")
            elif key == "environment" and app.environment_named(value) is None:
                raise self.fail(f"{where}.{key}", f"no environment named {value} in {app.name}")
            elif key in ("service", "artifact_services") and app.service_named(value) is None:
                raise self.fail(f"{where}.{key}", f"no service named {value} in {app.name}")

    def pipeline(self, node: Any, where: str, app: Application) -> Pipeline:
        keys = {"id", "name", "description", "variables", "stages", "preparing", "queued"}
        keys |= {"outcome", "failure", "authorized", "created_at"}
        node = self.mapping(node, where, keys)
        name = self.text(node, "name", where)
        pipeline_id = self.entity_id(node, where, "pipeline", app.id, name)
        variables = self.variables(node, where)
        stages = [
            self.stage(item, f"{where}.stages[{i}]", app, pipeline_id, i, variables)
            for i, item in enumerate(self.items(node, "stages", where))
        ]
        if node.get("outcome") is not None or node.get("failure") is not None:
            # Shortcut: a pipeline-level outcome is the outcome of its last workflow stage.
            last = next((s for s in reversed(stages) if s.behaviour is not None), None)
            if last is None or last.behaviour is None:
                raise self.fail(f"{where}.outcome", "needs a workflow stage to apply to")
            last.behaviour = self.behaviour(
                {k: node[k] for k in ("outcome", "failure") if k in node}, where, last.behaviour
            )
        return Pipeline(
            id=pipeline_id,
            name=name,
            description=self.opt_text(node, "description", where),
            variables=variables,
            stages=stages,
            preparing=self.seconds(node, "preparing", where, 0.0),
            queued=self.seconds(node, "queued", where, 0.0),
            authorized=self.flag(node, "authorized", where, True),
            created_at=self.created(node, where),
        )

    def stage(
        self,
        node: Any,
        where: str,
        app: Application,
        pipeline_id: str,
        i: int,
        pipeline_variables: list[Variable],
    ) -> Stage:
        keys = {"name", "workflow", "variables", "approval", "id"}
        keys |= {"runtime_timeout", "runtime_action"}
        node = self.mapping(node, where, keys | self._BEHAVIOUR_KEYS)
        stage_name = self.text(node, "name", where, f"STAGE {i + 1}")
        element_id = self.entity_id(node, where, "stage", pipeline_id, str(i))
        if node.get("workflow") is None:
            if node.get("approval") is None:
                raise self.fail(where, "a stage needs a workflow or an approval")
            extra = sorted(
                k
                for k in node
                if k in self._BEHAVIOUR_KEYS
                or k in ("variables", "runtime_timeout", "runtime_action")
            )
            if extra:
                raise self.fail(where, f"an approval stage takes no {', '.join(extra)}")
            approval = self.approval(node["approval"], f"{where}.approval")
            return Stage(stage_name, element_id, approval=approval)
        wf_name = self.text(node, "workflow", where)
        wf = app.workflow_named(wf_name)
        if wf is None:
            raise self.fail(f"{where}.workflow", f"no workflow named {wf_name} in {app.name}")
        variables = node.get("variables") or {}
        if not isinstance(variables, dict):
            raise self.fail(f"{where}.variables", "expected a mapping of name: value")
        known = {v.name for v in wf.variables}
        for key in variables:
            if key not in known:
                raise self.fail(f"{where}.variables", f"{wf.name} has no variable {key}")
        behaviour = self.behaviour(node, where, wf.behaviour)
        values = {str(k): "" if v is None else str(v) for k, v in variables.items()}
        # The stage asks for the runtime pipeline variables its workflow variables refer to.
        referenced = {name for v in values.values() for name in _VAR_REF.findall(v)}
        runtime = [v for v in pipeline_variables if v.runtime and v.name in referenced]
        action = self.text(node, "runtime_action", where, "END_EXECUTION")
        if action not in RUNTIME_ACTIONS:
            raise self.fail(
                f"{where}.runtime_action", f"expected one of {', '.join(RUNTIME_ACTIONS)}"
            )
        return Stage(
            stage_name,
            element_id,
            workflow=wf,
            variables=values,
            behaviour=behaviour,
            runtime_variables=runtime,
            runtime_timeout=self.seconds(node, "runtime_timeout", where, 1800.0),
            runtime_action=action,
        )

    def freeze(self, node: Any, where: str, apps: list[Application]) -> Freeze:
        node = self.mapping(
            node, where, {"name", "master", "environments", "application", "active"}
        )
        master = self.flag(node, "master", where, False)
        envs = [str(e) for e in self.items(node, "environments", where)]
        application = self.opt_text(node, "application", where)
        if application is not None and not any(a.name == application for a in apps):
            raise self.fail(f"{where}.application", f"no application named {application}")
        if not master and not envs:
            raise self.fail(where, "a freeze needs environments or master: true")
        name = self.text(node, "name", where, "Master Deployment Freeze" if master else None)
        return Freeze(name, master, envs, application, self.flag(node, "active", where, True))


_VAR_REF = re.compile(r"\$\{([^}]*)\}")


def reference(value: str) -> Optional[str]:
    """ "${Name}" -> "Name": a value taken from a variable at start time."""
    if value.startswith("${") and value.endswith("}"):
        return value[2:-1]
    return None


def _unique(values: list[str], what: str, fail: Any) -> None:
    seen: set[str] = set()
    for value in values:
        if value in seen:
            raise fail("top level", f"duplicate {what}: {value}")
        seen.add(value)
