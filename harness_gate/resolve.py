"""Names to Harness ids, and the checks Harness itself would not make, before anything starts.

Three requests at most whatever the size of the spec: all applications, then all pipelines
and workflows with their declared variables, then the services each entity needs an
artifact for.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from harness_gate import graphql_docs
from harness_gate.client import HarnessClient
from harness_gate.console import Console
from harness_gate.errors import GraphQLError
from harness_gate.model import PIPELINE, Deployment

_FETCH_PREFIX = re.compile(r"^Exception while fetching data \([^)]*\) : ")


def harness_words(message: str) -> str:
    """Harness's text without graphql-java's wrapper (an alias path means nothing to a user)."""
    return _FETCH_PREFIX.sub("", message).strip()


@dataclass
class ResolvedDeployment:
    deployment: Deployment
    application_id: str
    entity_id: str
    declared_variables: list[dict[str, Any]]
    warnings: list[str] = field(default_factory=list)

    @property
    def execution_type(self) -> str:
        return "PIPELINE" if self.deployment.entity_type == PIPELINE else "WORKFLOW"

    def variable_inputs(self) -> list[dict[str, Any]]:
        return [
            {"name": v.name, "variableValue": {"type": v.type, "value": v.value}}
            for v in self.deployment.variables
        ]

    def service_inputs(self) -> list[dict[str, Any]]:
        inputs: list[dict[str, Any]] = []
        for artifact in self.deployment.artifacts:
            value: dict[str, Any] = {"valueType": artifact.value_type}
            if artifact.artifact_id is not None:
                value["artifactId"] = {"artifactId": artifact.artifact_id}
            else:
                value["buildNumber"] = {
                    "buildNumber": artifact.build or "",
                    "artifactSourceName": artifact.source or "",
                }
            inputs.append({"name": artifact.service, "artifactValueInput": value})
        return inputs

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
        if self.deployment.artifacts:
            start["serviceInputs"] = self.service_inputs()
        return start


@dataclass
class Resolution:
    resolved: list[ResolvedDeployment]
    failures: dict[str, str]  # deployment name -> why it cannot start
    warnings: dict[str, list[str]]
    requests: int = 0

    @property
    def ok(self) -> bool:
        return not self.failures


def check_variables(
    deployment: Deployment, declared: Sequence[dict[str, Any]]
) -> tuple[list[str], list[str]]:
    """Problems and warnings for the spec's variables against the entity's declared ones."""
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
            hint = difflib.get_close_matches(name, list(by_name), n=1)
            text = f"variable {name!r} is not declared by {entity}" + (
                f" (did you mean {hint[0]!r}?)" if hint else ""
            )
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
        if isinstance(allowed, list) and allowed and value.type == "NAME":
            parts = [p.strip() for p in value.value.split(",")]
            bad = [p for p in parts if p not in allowed]
            if bad:
                problems.append(
                    f"variable {name!r}: {', '.join(repr(b) for b in bad)} not among the allowed "
                    f"values [{', '.join(str(a) for a in allowed)}]"
                )
        if var.get("fixed") and var.get("defaultValue") not in (None, value.value):
            problems.append(
                f"variable {name!r} is fixed to {var.get('defaultValue')!r} in {entity}; "
                f"it cannot be set to {value.value!r}"
            )
    return problems, warnings


def resolve(
    client: HarnessClient,
    deployments: Sequence[Deployment],
    *,
    deadline: float,
    console: Console,
    check_artifacts: bool = True,
) -> Resolution:
    failures: dict[str, str] = {}
    warnings: dict[str, list[str]] = {}
    requests = 0

    app_names = sorted({d.application for d in deployments})
    document, variables = graphql_docs.applications_query(app_names)
    result = client.query(document, variables, purpose="resolve applications", deadline=deadline)
    requests += 1
    app_ids: dict[str, str] = {}
    app_errors: dict[str, str] = {}
    for i, name in enumerate(app_names):
        node = result.data.get(f"a{i}")
        if isinstance(node, dict) and isinstance(node.get("id"), str):
            app_ids[name] = node["id"]
        else:
            error = result.error_for(f"a{i}")
            app_errors[name] = harness_words(error) if error else "not found"
    for d in deployments:
        if d.application in app_errors:
            failures[d.name] = f"application {d.application!r}: {app_errors[d.application]}"

    candidates = [d for d in deployments if d.name not in failures]
    resolved: list[ResolvedDeployment] = []
    if candidates:
        items = [(d.entity_type, app_ids[d.application], d.entity_name) for d in candidates]
        document, variables = graphql_docs.entities_query(items)
        result = client.query(
            document, variables, purpose="resolve pipelines and workflows", deadline=deadline
        )
        requests += 1
        for i, d in enumerate(candidates):
            node = result.data.get(f"e{i}")
            error = result.error_for(f"e{i}")
            if isinstance(node, dict) and isinstance(node.get("id"), str):
                key = "pipelineVariables" if d.entity_type == PIPELINE else "workflowVariables"
                declared = node.get(key)
                declared_list = (
                    [v for v in declared if isinstance(v, dict)]
                    if isinstance(declared, list)
                    else []
                )
                resolved.append(
                    ResolvedDeployment(d, app_ids[d.application], node["id"], declared_list)
                )
            elif error:
                failures[d.name] = f"{d.entity_type} {d.entity_name!r}: {harness_words(error)}"
            else:
                failures[d.name] = (
                    f"{d.entity_type} {d.entity_name!r} not found in application "
                    f"{d.application!r} (names are exact and case-sensitive)"
                )

    checked: list[ResolvedDeployment] = []
    for r in resolved:
        problems, notes = check_variables(r.deployment, r.declared_variables)
        if notes:
            warnings[r.deployment.name] = notes
            r.warnings.extend(notes)
        if problems:
            failures[r.deployment.name] = "; ".join(problems)
        else:
            checked.append(r)

    if check_artifacts and checked:
        requests += _check_artifacts(client, checked, failures, deadline, console)
    return Resolution(
        [r for r in checked if r.deployment.name not in failures], failures, warnings, requests
    )


def _check_artifacts(
    client: HarnessClient,
    checked: Sequence[ResolvedDeployment],
    failures: dict[str, str],
    deadline: float,
    console: Console,
) -> int:
    items = [
        (r.execution_type, r.application_id, r.entity_id, r.variable_inputs()) for r in checked
    ]
    document, variables = graphql_docs.execution_inputs_query(items)
    try:
        result = client.query(document, variables, purpose="check artifacts", deadline=deadline)
    except GraphQLError as exc:
        # executionInputs is marked Beta in Harness's schema; without it the start itself
        # still refuses a missing artifact, so this check is a convenience, not a guarantee.
        console.line(f"warning: could not check required artifacts ({exc}); continuing")
        return 1
    for i, r in enumerate(checked):
        node = result.data.get(f"i{i}")
        if not isinstance(node, dict):
            error = result.error_for(f"i{i}")
            if error:
                failures[r.deployment.name] = harness_words(error)
            continue
        services = node.get("serviceInputs")
        needed = [
            str(s.get("name"))
            for s in (services if isinstance(services, list) else [])
            if isinstance(s, dict) and s.get("name")
        ]
        given = {a.service for a in r.deployment.artifacts}
        missing = [name for name in needed if name not in given]
        if missing:
            failures[r.deployment.name] = (
                f"no artifact given for service(s) {', '.join(missing)}, which "
                f"{r.deployment.entity_type} {r.deployment.entity_name!r} needs "
                "(add them under artifacts:)"
            )
    return 1
