"""Names to FirstGen ids, and the server's own start checks made before anything starts.

Three requests at most whatever the size of the spec: all applications, then all pipelines
and workflows with their declared variables, then the services each entity needs an
artifact or a Helm chart version for.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Optional

from harness_gate.errors import RefusedError
from harness_gate.model import PIPELINE, WORKFLOW, Deployment
from harness_gate.platforms.base import Resolution
from harness_gate.platforms.firstgen import documents
from harness_gate.platforms.firstgen.graphql import GraphQLClient


@dataclass
class FirstGenTarget:
    deployment: Deployment
    application_id: str
    entity_id: str
    declared_variables: list[dict[str, Any]]
    warnings: list[str] = field(default_factory=list)

    @property
    def scope(self) -> tuple[str, ...]:
        return (self.application_id,)

    @property
    def ids(self) -> tuple[str, str]:
        return self.application_id, self.entity_id

    @property
    def execution_type(self) -> str:
        return "PIPELINE" if self.deployment.entity_type == PIPELINE else "WORKFLOW"

    def variable_inputs(self) -> list[dict[str, Any]]:
        return [
            {"name": v.name, "variableValue": {"type": v.type, "value": v.value}}
            for v in self.deployment.variables
        ]

    def service_inputs(self) -> list[dict[str, Any]]:
        """One ServiceInput per service: its artifact and its Helm chart, as the spec says."""
        by_service: dict[str, dict[str, Any]] = {}
        for artifact in self.deployment.artifacts:
            value: dict[str, Any] = {"valueType": artifact.value_type}
            if artifact.artifact_id is not None:
                value["artifactId"] = {"artifactId": artifact.artifact_id}
            elif artifact.parameters:
                value["parameterizedArtifactSource"] = {
                    "artifactSourceName": artifact.source or "",
                    "buildNumber": artifact.build or "",
                    "parameterValueInputs": [
                        {"name": n, "value": v} for n, v in artifact.parameters
                    ],
                }
            else:
                value["buildNumber"] = {
                    "buildNumber": artifact.build or "",
                    "artifactSourceName": artifact.source or "",
                }
            entry = by_service.setdefault(artifact.service, {"name": artifact.service})
            entry["artifactValueInput"] = value
        for manifest in self.deployment.manifests:
            chart: dict[str, Any] = {"valueType": manifest.value_type}
            if manifest.chart_id is not None:
                chart["helmChartId"] = manifest.chart_id
            else:
                chart["versionNumber"] = {
                    "appManifestName": manifest.manifest,
                    "versionNumber": manifest.version or "",
                }
            entry = by_service.setdefault(manifest.service, {"name": manifest.service})
            entry["manifestValueInput"] = chart
        return list(by_service.values())

    def start_input(self, notes: str, client_mutation_id: str) -> dict[str, Any]:
        """The StartExecutionInput; built as data and serialised by json, never by hand."""
        start: dict[str, Any] = {
            "clientMutationId": client_mutation_id,
            "applicationId": self.application_id,
            "entityId": self.entity_id,
            "executionType": self.execution_type,
            "notes": notes,
        }
        if self.deployment.variables:
            start["variableInputs"] = self.variable_inputs()
        services = self.service_inputs()
        if services:
            start["serviceInputs"] = services
        if self.deployment.entity_type == PIPELINE:
            start["continueWithDefaultValues"] = self.deployment.continue_with_default_values
        return start


def check_variables(
    deployment: Deployment, declared: Sequence[dict[str, Any]]
) -> tuple[list[str], list[str]]:
    """Problems and warnings for the spec's variables, by the server's rules (facts §4.2):
    required = mandatory and not fixed; allowed values apply to every variable that has a
    list, each comma-separated part; a fixed value may not change (workflows only)."""
    problems: list[str] = []
    warnings: list[str] = []
    by_name = {str(v.get("name")): v for v in declared if isinstance(v, dict) and v.get("name")}
    given = {v.name: v for v in deployment.variables}
    entity = f"{deployment.entity_type} {deployment.entity_name!r}"
    missing = [
        name
        for name, var in by_name.items()
        if var.get("required") and not var.get("fixed") and name not in given
    ]
    if missing:
        problems.append(f"missing required variable(s) {', '.join(missing)} declared by {entity}")
    for name, value in given.items():
        var = by_name.get(name)
        if var is None:
            text = f"variable {name!r} is not declared by {entity}" + _did_you_mean(name, by_name)
            if deployment.allow_unknown_variables:
                warnings.append(
                    text + "; sent anyway (allow_unknown_variables), Harness ignores it"
                )
            else:
                problems.append(
                    text + "; Harness would silently ignore it "
                    "(set allow_unknown_variables: true to send it anyway)"
                )
            continue
        allowed = var.get("allowedValues")
        if isinstance(allowed, list) and allowed:
            bad = [p for p in (p.strip() for p in value.value.split(",")) if p not in allowed]
            if bad:
                problems.append(
                    f"variable {name!r}: {', '.join(repr(b) for b in bad)} not among the allowed "
                    f"values [{', '.join(str(a) for a in allowed)}]"
                )
        fixed = var.get("fixed") and deployment.entity_type == WORKFLOW
        if fixed and var.get("defaultValue") not in (None, value.value):
            problems.append(
                f"variable {name!r} is fixed to {var.get('defaultValue')!r} in {entity}; "
                f"it cannot be set to {value.value!r}"
            )
    return problems, warnings


def _did_you_mean(name: str, known: Any) -> str:
    hint = difflib.get_close_matches(name, list(known), n=1)
    return f" (did you mean {hint[0]!r}?)" if hint else ""


class Resolver:
    def __init__(self, client: GraphQLClient, warn: Any) -> None:
        self.client = client
        self.warn = warn  # warn(text): a line for the log

    def resolve(self, deployments: Sequence[Deployment], *, deadline: float) -> Resolution:
        failures: dict[str, str] = {}
        warnings: dict[str, list[str]] = {}
        app_ids = self._applications(deployments, failures, deadline)
        candidates = [d for d in deployments if d.name not in failures]
        targets = self._entities(candidates, app_ids, failures, deadline) if candidates else []
        checked: list[FirstGenTarget] = []
        for t in targets:
            problems, notes = check_variables(t.deployment, t.declared_variables)
            if notes:
                warnings[t.deployment.name] = notes
                t.warnings.extend(notes)
            if problems:
                failures[t.deployment.name] = "; ".join(problems)
            else:
                checked.append(t)
        requests = 1 + bool(candidates)
        if checked:
            self._check_inputs(checked, failures, deadline)
            requests += 1
        ok: list[Any] = [t for t in checked if t.deployment.name not in failures]
        return Resolution(ok, failures, warnings, requests)

    def _applications(
        self, deployments: Sequence[Deployment], failures: dict[str, str], deadline: float
    ) -> dict[str, str]:
        batch = documents.applications(sorted({d.application for d in deployments}))
        result = self.client.run(batch, purpose="resolve applications", deadline=deadline)
        app_ids: dict[str, str] = {}
        app_errors: dict[str, str] = {}
        for answer in batch.answers(result):
            node_id = answer.node.get("id") if answer.node else None
            if isinstance(node_id, str):
                app_ids[answer.item] = node_id
            else:
                app_errors[answer.item] = answer.error or "not found"
        for d in deployments:
            if d.application in app_errors:
                failures[d.name] = f"application {d.application!r}: {app_errors[d.application]}"
        return app_ids

    def _entities(
        self,
        candidates: Sequence[Deployment],
        app_ids: dict[str, str],
        failures: dict[str, str],
        deadline: float,
    ) -> list[FirstGenTarget]:
        keys = [
            documents.EntityKey(d.entity_type, app_ids[d.application], d.entity_name)
            for d in candidates
        ]
        batch = documents.entities(keys)
        result = self.client.run(
            batch, purpose="resolve pipelines and workflows", deadline=deadline
        )
        targets = []
        for d, answer in zip(candidates, batch.answers(result)):
            node = answer.node
            if node is not None and isinstance(node.get("id"), str):
                key = "pipelineVariables" if d.entity_type == PIPELINE else "workflowVariables"
                declared = node.get(key)
                declared_list = (
                    [v for v in declared if isinstance(v, dict)]
                    if isinstance(declared, list)
                    else []
                )
                targets.append(FirstGenTarget(d, app_ids[d.application], node["id"], declared_list))
            elif answer.error:
                failures[d.name] = f"{d.entity_type} {d.entity_name!r}: {answer.error}"
            else:
                failures[d.name] = (
                    f"{d.entity_type} {d.entity_name!r} not found in application "
                    f"{d.application!r} (names are exact and case-sensitive)"
                )
        return targets

    def _check_inputs(
        self, checked: Sequence[FirstGenTarget], failures: dict[str, str], deadline: float
    ) -> None:
        """The services each entity needs an artifact or a Helm chart version for."""
        keys = [
            documents.InputsKey(
                t.execution_type, t.application_id, t.entity_id, t.variable_inputs()
            )
            for t in checked
        ]
        batch = documents.execution_inputs(keys)
        try:
            result = self.client.run(batch, purpose="check artifacts", deadline=deadline)
        except RefusedError as exc:
            # executionInputs is marked Beta in Harness's schema; without it the start itself
            # still refuses a missing artifact, so this check is a convenience, not a guarantee.
            self.warn(f"warning: could not check required artifacts ({exc}); continuing")
            return
        for t, answer in zip(checked, batch.answers(result)):
            if answer.node is None:
                if answer.error:
                    failures[t.deployment.name] = answer.error
                continue
            problem = missing_inputs(t.deployment, answer.node)
            if problem:
                failures[t.deployment.name] = problem


def missing_inputs(deployment: Deployment, inputs: dict[str, Any]) -> Optional[str]:
    """What the spec lacks of the artifacts and Helm charts executionInputs asks for."""
    entity = f"{deployment.entity_type} {deployment.entity_name!r}"
    wants = (
        (
            "serviceInputs",
            {a.service for a in deployment.artifacts},
            "no artifact given for service(s) {names}, which {entity} needs "
            "(add them under artifacts:)",
        ),
        (
            "serviceManifestInputs",
            {m.service for m in deployment.manifests},
            "no Helm chart version given for service(s) {names}, which {entity} deploys from "
            "a Helm chart (add them under manifests: with service, manifest and version, "
            "or chart_id)",
        ),
    )
    problems = []
    for field_name, given, text in wants:
        missing = [n for n in _service_names(inputs.get(field_name)) if n not in given]
        if missing:
            problems.append(text.format(names=", ".join(missing), entity=entity))
    return "; ".join(problems) or None


def _service_names(services: Any) -> list[str]:
    return [
        str(s.get("name"))
        for s in (services if isinstance(services, list) else [])
        if isinstance(s, dict) and s.get("name")
    ]
