"""startExecution's checks, in the server's order and with its messages (facts file, 4.2)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Optional, Union

from harness_gate.emulator import messages as m
from harness_gate.emulator.fixture import (
    ENVIRONMENT,
    INFRA,
    SERVICE,
    TEXT,
    Application,
    AppManifest,
    ArtifactSource,
    Build,
    Environment,
    Fixtures,
    HelmChart,
    InfraDefinition,
    Pipeline,
    Service,
    Variable,
    Workflow,
    reference,
)
from harness_gate.emulator.messages import FieldError

Value = Union[str, Environment, Service, InfraDefinition, list[InfraDefinition], None]


@dataclass
class Deployment:
    """Where one workflow run deploys, as resolved at start time."""

    workflow: Workflow
    env: Optional[Environment]
    service: Optional[Service]
    infra: Optional[InfraDefinition]
    needed: list[Service]
    inputs: list[tuple[str, str]]
    needs_manifest: list[Service] = field(default_factory=list)


@dataclass
class ChosenArtifact:
    service: Service
    source: ArtifactSource
    build: Build
    parameters: dict[str, str] = field(default_factory=dict)


@dataclass
class ChosenChart:
    service: Service
    manifest: AppManifest
    chart: HelmChart


@dataclass
class Resolved:
    app: Application
    pipeline: Optional[Pipeline]
    workflow: Optional[Workflow]
    given: dict[str, str]  # every variable input as sent
    inputs: list[tuple[str, str]]  # the values the execution uses (known variables)
    deployments: list[Optional[Deployment]]  # workflow: one; pipeline: one per stage
    warning: Optional[str] = None
    artifacts: list[ChosenArtifact] = field(default_factory=list)
    charts: list[ChosenChart] = field(default_factory=list)
    collect_seconds: float = 0.0  # real seconds spent fetching uncollected builds

    @property
    def needed(self) -> list[Service]:
        """Services that need an artifact (executionInputs.serviceInputs)."""
        return _distinct(s for dep in self.deployments if dep for s in dep.needed)

    @property
    def needed_manifests(self) -> list[Service]:
        """Services that need a Helm chart version (executionInputs.serviceManifestInputs)."""
        return _distinct(s for dep in self.deployments if dep for s in dep.needs_manifest)


def _distinct(services: Any) -> list[Service]:
    out: list[Service] = []
    for service in services:
        if all(s.id != service.id for s in out):
            out.append(service)
    return out


def find_entity(app: Application, entity_id: str, execution_type: str) -> Union[Pipeline, Workflow]:
    """The permission check runs before the entity is loaded, so a wrong id reads as no right."""
    entities: list[Union[Pipeline, Workflow]] = list(
        app.pipelines if execution_type == "PIPELINE" else app.workflows
    )
    for entity in entities:
        if entity.id == entity_id and entity.authorized:
            return entity
    raise FieldError(m.NOT_AUTHORIZED)


def common_checks(
    fx: Fixtures, inp: dict[str, Any]
) -> tuple[Application, Union[Pipeline, Workflow]]:
    entity_id = inp.get("entityId") or ""
    app_id = inp.get("applicationId") or ""
    if not entity_id.strip():
        raise FieldError(m.EMPTY_ENTITY_ID)
    if not app_id.strip():
        raise FieldError(m.EMPTY_START_APP_ID)
    app = fx.application(app_id)
    if app is None:
        raise FieldError(m.APP_NOT_FOUND)
    return app, find_entity(app, entity_id, inp.get("executionType") or "")


def resolve_variables(
    app: Application, entity: Union[Pipeline, Workflow], inp: dict[str, Any]
) -> Resolved:
    """Steps 5-11: hosts, environment, required, fixed, allowed values, per-variable lookups."""
    is_pipeline = isinstance(entity, Pipeline)
    if is_pipeline and (inp.get("targetToSpecificHosts") or inp.get("specificHosts")):
        raise FieldError(m.PIPELINE_HOSTS)
    if not is_pipeline and inp.get("targetToSpecificHosts") and not inp.get("specificHosts"):
        raise FieldError(m.WORKFLOW_HOSTS)
    given = given_values(inp)
    variables = entity.variables
    kind = "Pipeline" if is_pipeline else "Workflow"
    values: dict[str, Value] = {}

    env_var = next((v for v in variables if v.type == ENVIRONMENT), None)
    env: Optional[Environment] = None
    if env_var is not None:
        if env_var.name not in given:
            if not (is_pipeline and env_var.runtime):
                raise FieldError(m.env_not_supplied(kind, entity.name))
        else:
            env = _environment(app, env_var, *given[env_var.name])
            values[env_var.name] = env
    elif isinstance(entity, Workflow) and entity.environment and not reference(entity.environment):
        env = app.environment_named(entity.environment)

    missing = [
        v.name
        for v in variables
        if v.required
        and not v.fixed
        and not (is_pipeline and v.runtime)
        and v.name not in given
        and v is not env_var
    ]
    if missing:
        raise FieldError(m.required_missing(missing))
    if not is_pipeline:
        for v in variables:
            if v.fixed and v.name in given and given[v.name][1] != (v.default or ""):
                raise FieldError(m.fixed_changed(v.name, v.default or ""))
    for v in variables:  # every type of variable, not only text
        problem = not_allowed_variable(v, given)
        if problem:
            raise FieldError(problem)
    by_name = {v.name: v for v in variables}
    for name, (value_type, value) in given.items():  # in the order of the inputs
        var = by_name.get(name)
        if var is None or var is env_var:
            continue
        if value_type == "EXPRESSION":
            raise FieldError(m.EXPRESSION_NOT_SUPPORTED)
        values[name] = _lookup(app, var, value_type, value, env)
    for v in variables:
        if v is not env_var and v.name not in given:
            values[v.name] = v.default if v.type == TEXT else None

    unknown = [name for name in given if all(v.name != name for v in variables)]
    warning = m.ignored_variables(unknown, is_pipeline) if unknown else None
    inputs = [(v.name, given[v.name][1] if v.name in given else v.default or "") for v in variables]
    inputs = [(k, val) for k, val in inputs if val or k in given]
    resolved = Resolved(
        app=app,
        pipeline=entity if isinstance(entity, Pipeline) else None,
        workflow=entity if isinstance(entity, Workflow) else None,
        given={name: value for name, (_, value) in given.items()},
        inputs=inputs,
        deployments=[],
        warning=warning,
    )
    if isinstance(entity, Workflow):
        resolved.deployments = [target(app, entity, values, inputs)]
    else:
        raw = {name: value for name, value in inputs}
        resolved.deployments = [
            None
            if stage.workflow is None
            else stage_target(app, stage.workflow, stage.variables, raw)
            for stage in entity.stages
        ]
    return resolved


def given_values(inp: dict[str, Any]) -> dict[str, tuple[str, str]]:
    """name -> (value type, value) of the variable inputs; the first one of a name wins."""
    given: dict[str, tuple[str, str]] = {}
    for item in inp.get("variableInputs") or []:
        if item is None:
            continue
        value = item.get("variableValue") or {}
        given.setdefault(item["name"], (value.get("type") or "NAME", value.get("value") or ""))
    return given


def not_allowed_variable(var: Variable, given: dict[str, tuple[str, str]]) -> Optional[str]:
    """validateRestrictedVarsHaveAllowedValues: every CSV part must be an allowed value."""
    if not var.allowed_values or var.name not in given:
        return None
    parts = [p.strip() for p in given[var.name][1].split(",")]
    if any(p not in var.allowed_values for p in parts):
        return m.not_allowed(var.name, var.allowed_values)
    return None


def _environment(app: Application, var: Variable, value_type: str, value: str) -> Environment:
    if value_type == "EXPRESSION":
        raise FieldError(m.ENV_EXPRESSION_NOT_SUPPORTED)
    if not value.strip():
        raise FieldError(m.empty_value(var.name))
    if value_type == "ID":
        env = next((e for e in app.environments if e.id == value), None)
    else:
        env = app.environment_named(value)
    if env is None:
        raise FieldError(m.env_not_found(value, app.id))
    return env


def _lookup(
    app: Application, var: Variable, value_type: str, value: str, env: Optional[Environment]
) -> Value:
    if var.type == TEXT:
        return value
    if value_type == "ID" and not value.strip():
        raise FieldError(m.empty_value(var.name))
    if var.type == ENVIRONMENT:
        return _environment(app, var, value_type, value)
    if var.type == SERVICE:
        if value_type == "ID":
            service = next((s for s in app.services if s.id == value), None)
            if service is None:
                raise FieldError(m.service_id_not_found(value, app.id))
            return service
        service = app.service_named(value)
        if service is None:
            raise FieldError(m.service_name_not_found(value, app.id))
        return service
    # Infrastructure definition, looked up in the resolved environment.
    parts = value.split(",") if "," in value else [value]
    if len(parts) > 1 and not var.allow_multiple_values:
        raise FieldError(m.no_multiple_values(var.name))
    envs = [env] if env is not None else app.environments
    found: list[InfraDefinition] = []
    for part in parts:
        if value_type == "ID":
            anywhere = [
                i for e in app.environments for i in e.infrastructure_definitions if i.id == part
            ]
            if not anywhere:
                raise FieldError(m.infra_id_not_found(part, app.id))
            infra = next(
                (i for e in envs for i in e.infrastructure_definitions if i.id == part), None
            )
            if infra is None:
                raise FieldError(m.infra_id_not_in_env(part))
        else:
            infra = next(
                (i for e in envs for i in e.infrastructure_definitions if i.name == part), None
            )
            if infra is None:
                raise FieldError(m.infra_name_not_found(part, app.id))
        found.append(infra)
    return found[0] if len(found) == 1 else found


def target(
    app: Application, wf: Workflow, values: dict[str, Value], inputs: list[tuple[str, str]]
) -> Deployment:
    """Environment, service, infrastructure and artifact needs of one workflow run."""

    def pick(ref: Optional[str], var_type: str) -> Value:
        if ref is None:
            var = next((v for v in wf.variables if v.type == var_type), None)
            return values.get(var.name) if var else None
        name = reference(ref)
        if name is not None:
            return values.get(name)
        if var_type == ENVIRONMENT:
            return app.environment_named(ref)
        if var_type == SERVICE:
            return app.service_named(ref)
        return next(
            (i for e in app.environments for i in e.infrastructure_definitions if i.name == ref),
            None,
        )

    env = pick(wf.environment, ENVIRONMENT)
    service = pick(wf.service, SERVICE)
    infra = pick(wf.infrastructure_definition, INFRA)
    if isinstance(infra, list):
        infra = infra[0] if infra else None
    needed: list[Service] = []
    if wf.artifact_services is not None:
        for ref in wf.artifact_services:
            svc = pick(ref, SERVICE)
            if isinstance(svc, Service) and svc not in needed:
                needed.append(svc)
    elif isinstance(service, Service) and service.artifact_sources:
        needed.append(service)
    charts = [service] if isinstance(service, Service) and service.manifests else []
    return Deployment(
        workflow=wf,
        env=env if isinstance(env, Environment) else None,
        service=service if isinstance(service, Service) else None,
        infra=infra if isinstance(infra, InfraDefinition) else None,
        needed=needed,
        inputs=inputs,
        needs_manifest=charts,
    )


_REF = re.compile(r"\$\{([^}]*)\}")


def stage_target(
    app: Application, wf: Workflow, stage_values: dict[str, str], pipeline_values: dict[str, str]
) -> Deployment:
    """A pipeline stage: the fixture's stage values, with ${pipelineVar} taken from the start."""
    raw = {
        name: _REF.sub(lambda mt: pipeline_values.get(mt.group(1), ""), v)
        for name, v in stage_values.items()
    }
    values: dict[str, Value] = {}
    for var in wf.variables:
        value = raw.get(var.name, var.default or "")
        values[var.name] = _by_name_or_id(app, var.type, value) if var.type != TEXT else value
    inputs = [(name, value) for name, value in raw.items() if value]
    return target(app, wf, values, inputs)


def _by_name_or_id(app: Application, var_type: str, value: str) -> Value:
    if not value:
        return None
    pool: list[Any]
    if var_type == ENVIRONMENT:
        pool = app.environments
    elif var_type == SERVICE:
        pool = app.services
    else:
        pool = [i for e in app.environments for i in e.infrastructure_definitions]
    found: Value = next((x for x in pool if x.name == value), None) or next(
        (x for x in pool if x.id == value), None
    )
    return found


def check_artifacts(
    fx: Fixtures,
    resolved: Resolved,
    inp: dict[str, Any],
    services: Optional[list[Service]] = None,
) -> None:
    """Step 12: an artifact for every service that needs one, matched by exact service name."""
    inputs = [s for s in inp.get("serviceInputs") or [] if s is not None]
    for service in resolved.needed if services is None else services:
        entry = next((s for s in inputs if s.get("name") == service.name), None)
        if entry is None:
            raise FieldError(m.service_input_required(service.name))
        value = entry.get("artifactValueInput")
        if value is None:
            raise FieldError(m.artifact_value_required(service.name))
        value_type = value.get("valueType")
        if value_type == "ARTIFACT_ID":
            chosen = _by_artifact_id(fx, service, value)
        elif value_type == "BUILD_NUMBER":
            chosen = _by_build_number(service, value)
        else:
            chosen = _by_parameters(service, value)
        resolved.artifacts.append(chosen)
        if value_type != "ARTIFACT_ID":
            # A build the server has not collected yet is fetched inside the call.
            resolved.collect_seconds += chosen.build.collect_seconds


def _by_artifact_id(fx: Fixtures, service: Service, value: dict[str, Any]) -> ChosenArtifact:
    holder = value.get("artifactId")
    if holder is None:
        raise FieldError(m.value_input_required("ArtifactIdInput", service.name, "ARTIFACT_ID"))
    artifact_id = holder.get("artifactId") or ""
    if not artifact_id.strip():
        raise FieldError(m.empty_artifact_id(service.name))
    for owner in (s for a in fx.applications for s in a.services):
        for source in owner.artifact_sources:
            for build in source.builds:
                if build.id == artifact_id:
                    if owner.id != service.id:
                        raise FieldError(m.artifact_other_service(artifact_id, service.name))
                    return ChosenArtifact(service, source, build)
    raise FieldError(m.artifact_id_not_found(artifact_id))


def _by_build_number(service: Service, value: dict[str, Any]) -> ChosenArtifact:
    holder = value.get("buildNumber")
    if holder is None:
        raise FieldError(m.value_input_required("BuildNumberInput", service.name, "BUILD_NUMBER"))
    source_name = holder.get("artifactSourceName") or ""
    number = holder.get("buildNumber") or ""
    if not source_name.strip():
        raise FieldError(m.empty_source_name(service.name))
    if not number.strip():
        raise FieldError(m.empty_build_number(service.name))
    source = next((s for s in service.artifact_sources if s.name == source_name), None)
    if source is None:
        raise FieldError(m.source_not_found(source_name, service.name))
    build = next((b for b in source.builds if b.build == number), None)
    if build is None or source.parameterized:
        # A parameterized source cannot be collected without its parameter values.
        raise FieldError(m.build_not_found(number))
    return ChosenArtifact(service, source, build)


def _by_parameters(service: Service, value: dict[str, Any]) -> ChosenArtifact:
    holder = value.get("parameterizedArtifactSource")
    if holder is None:
        raise FieldError(
            m.value_input_required(
                "ParameterizedArtifactSourceInput", service.name, "PARAMETERIZED_ARTIFACT_SOURCE"
            )
        )
    source_name = holder.get("artifactSourceName") or ""
    number = holder.get("buildNumber") or ""
    if not source_name:
        raise FieldError(m.empty_source_name(service.name))
    if not number:
        raise FieldError(m.empty_build_number(service.name))
    source = next((s for s in service.artifact_sources if s.name == source_name), None)
    if source is None:
        raise FieldError(m.source_not_found(source_name, service.name))
    if not source.parameterized:
        raise FieldError(m.PARAMETERIZED_NOT_SUPPORTED)
    given = [p for p in holder.get("parameterValueInputs") or [] if p is not None]
    if not given:
        raise FieldError(m.PARAMETERS_NOT_PROVIDED)
    parameters = {str(p.get("name")): str(p.get("value")) for p in given}
    build = next((b for b in source.builds if b.build == number), None)
    if build is None or any(not parameters.get(name) for name in source.parameters):
        # An unresolved parameter leaves the collector nothing to fetch.
        raise FieldError(m.build_not_found(number))
    return ChosenArtifact(service, source, build, parameters)


def check_manifests(
    resolved: Resolved, inp: dict[str, Any], services: Optional[list[Service]] = None
) -> None:
    """Step 13: a Helm chart for every service that needs one (getHelmChartsFromServiceInputs)."""
    inputs = [s for s in inp.get("serviceInputs") or [] if s is not None]
    for service in resolved.needed_manifests if services is None else services:
        entry = next((s for s in inputs if s.get("name") == service.name), None)
        if entry is None:
            raise FieldError(m.service_input_required(service.name))
        value = entry.get("manifestValueInput")
        if value is None:
            raise FieldError(m.manifest_value_required(service.name))
        charts = [(mf, c) for mf in service.manifests for c in mf.charts]
        if value.get("valueType") == "HELM_CHART_ID":
            chart_id = value.get("helmChartId")
            if chart_id is None:
                raise FieldError(m.helm_chart_id_required(service.name))
            if not chart_id:
                raise FieldError(m.empty_helm_chart_id(service.name))
            found = next(((mf, c) for mf, c in charts if c.id == chart_id), None)
            if found is None:
                raise FieldError(m.helm_chart_id_not_found(chart_id))
        else:
            holder = value.get("versionNumber")
            if holder is None:
                raise FieldError(m.version_number_required(service.name))
            version = holder.get("versionNumber") or ""
            manifest_name = holder.get("appManifestName") or ""
            if not version:
                raise FieldError(m.empty_version_number(service.name))
            manifest = next((mf for mf in service.manifests if mf.name == manifest_name), None)
            if manifest is None:
                raise FieldError(m.manifest_not_in_service(manifest_name))
            chart = next((c for c in manifest.charts if c.version == version), None)
            if chart is None:
                raise FieldError(m.helm_version_not_found(version, service.name))
            found = (manifest, chart)
        resolved.charts.append(ChosenChart(service, found[0], found[1]))


def check_trigger(fx: Fixtures, resolved: Resolved) -> None:
    """Step 14: an empty pipeline, then deployment freezes on the target environments."""
    if resolved.pipeline is not None and not resolved.pipeline.stages:
        raise FieldError(m.EMPTY_PIPELINE)
    active = [f for f in fx.freezes if f.active]
    if any(f.master for f in active):
        raise FieldError(m.MASTER_FREEZE)
    envs = {dep.env.name for dep in resolved.deployments if dep and dep.env}
    windows = [
        f.name
        for f in active
        if set(f.environments) & envs and f.application in (None, resolved.app.name)
    ]
    if windows:
        raise FieldError(m.freeze_windows(windows))


def resolve_start(fx: Fixtures, inp: dict[str, Any]) -> Resolved:
    """Every startExecution check; raises FieldError with the server's text."""
    app, entity = common_checks(fx, inp)
    resolved = resolve_variables(app, entity, inp)
    check_artifacts(fx, resolved, inp)
    check_manifests(resolved, inp)
    check_trigger(fx, resolved)
    return resolved
