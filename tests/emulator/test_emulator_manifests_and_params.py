"""Helm chart versions, parameterized artifact sources, and the server's variable rules."""

from __future__ import annotations

from typing import Any, Optional

import pytest
from emulator_helpers import Client

from harness_gate.emulator import Emulator

LAB = "GateLabAppId00000000001"
HELM_DEPLOY = "GateLabHelmDeployWf0001"
HELM_RELEASE = "GateLabHelmReleasePl001"
NEXUS_DEPLOY = "GateLabNexusDeployWf001"
REGIONAL = "GateLabRegionalWf000001"
ENV_CHOICE = "GateLabEnvChoiceWf00001"
CHART_020 = "GateLabChartVersion0020"

INPUTS = """
query Inputs($app: String!, $id: String!, $type: ExecutionType!) {
  executionInputs(applicationId: $app, entityId: $id, executionType: $type) {
    serviceInputs { name }
    serviceManifestInputs { name }
  }
}
"""

MANIFESTS = """
query Manifests($id: String!) {
  execution(executionId: $id) {
    ... on WorkflowExecution {
      manifests { id name version applicationManifestId createdAt }
      artifacts { id buildNo artifactSource { name ... on NexusArtifactSource { parameters } } }
    }
  }
}
"""


def _chart(value: Optional[dict[str, Any]], name: str = "guestbook") -> list[dict[str, Any]]:
    entry: dict[str, Any] = {"name": name}
    if value is not None:
        entry["manifestValueInput"] = value
    return [entry]


def _version(version: str, manifest: str = "guestbook-chart") -> dict[str, Any]:
    return {
        "valueType": "VERSION_NUMBER",
        "versionNumber": {"appManifestName": manifest, "versionNumber": version},
    }


def test_execution_inputs_lists_services_needing_a_chart(client: Client) -> None:
    for entity, kind in ((HELM_DEPLOY, "WORKFLOW"), (HELM_RELEASE, "PIPELINE")):
        body = client.gql(INPUTS, {"app": LAB, "id": entity, "type": kind})
        assert body["data"]["executionInputs"] == {
            "serviceInputs": [],
            "serviceManifestInputs": [{"name": "guestbook"}],
        }
    body = client.gql(INPUTS, {"app": LAB, "id": NEXUS_DEPLOY, "type": "WORKFLOW"})
    assert body["data"]["executionInputs"] == {
        "serviceInputs": [{"name": "guestbook-nexus"}],
        "serviceManifestInputs": [],
    }


@pytest.mark.parametrize(
    ("services", "message"),
    [
        (None, "ServiceInput required for service: guestbook"),
        ([{"name": "Guestbook"}], "ServiceInput required for service: guestbook"),
        (_chart(None), "ManifestValueInput is required for the service Input: guestbook"),
        (
            _chart({"valueType": "HELM_CHART_ID"}),
            "HelmChartId is required for the service Input: guestbook for value type as "
            "HELM_CHART_ID",
        ),
        (
            _chart({"valueType": "HELM_CHART_ID", "helmChartId": ""}),
            "Invalid request: Helm Chart Id cannot be empty for serviceInput: guestbook",
        ),
        (
            _chart({"valueType": "HELM_CHART_ID", "helmChartId": "gone"}),
            "Cannot find helm chart for specified Id: gone. Might be deleted",
        ),
        (
            _chart({"valueType": "VERSION_NUMBER"}),
            "versionNumber is required for the service Input: guestbook for value type as "
            "VERSION_NUMBER",
        ),
        (
            _chart(_version("")),
            "Invalid request: Version Number cannot be empty for serviceInput: guestbook",
        ),
        (
            _chart(_version("0.1.0", "other-chart")),
            "App manifest with name other-chart doesn't belong to the given app and service",
        ),
        (
            _chart(_version("9.9.9")),
            "Cannot find helm chart for specified version number: 9.9.9 and service: guestbook",
        ),
    ],
)
def test_helm_chart_checks(client: Client, services: Any, message: str) -> None:
    kw: dict[str, Any] = {} if services is None else {"services": services}
    assert client.start_error(HELM_DEPLOY, app_id=LAB, **kw) == message
    assert client.start_error(HELM_RELEASE, "PIPELINE", app_id=LAB, **kw) == message


def test_helm_chart_by_version_or_id(client: Client, emu: Emulator) -> None:
    by_version = client.start(HELM_DEPLOY, app_id=LAB, services=_chart(_version("0.1.0")))
    by_id = client.start(
        HELM_DEPLOY,
        app_id=LAB,
        services=_chart({"valueType": "HELM_CHART_ID", "helmChartId": CHART_020}),
    )
    manifests = [
        client.gql(MANIFESTS, {"id": e["id"]})["data"]["execution"]["manifests"]
        for e in (by_version, by_id)
    ]
    assert [[(m["name"], m["version"]) for m in ms] for ms in manifests] == [
        [("guestbook-chart", "0.1.0")],
        [("guestbook-chart", "0.2.0")],
    ]
    assert manifests[1][0]["id"] == CHART_020
    assert isinstance(manifests[1][0]["createdAt"], str)  # a Long
    pipeline = client.start(
        HELM_RELEASE, "PIPELINE", app_id=LAB, services=_chart(_version("0.2.0"))
    )
    assert pipeline["status"] == "RUNNING"


def _params(
    source: str = "guestbook-params",
    build: str = "1.1.0",
    parameters: Optional[dict[str, str]] = None,
    value_type: str = "PARAMETERIZED_ARTIFACT_SOURCE",
) -> list[dict[str, Any]]:
    holder: dict[str, Any] = {"artifactSourceName": source, "buildNumber": build}
    if parameters is not None:
        holder["parameterValueInputs"] = [{"name": k, "value": v} for k, v in parameters.items()]
    value: dict[str, Any] = {"valueType": value_type}
    if value_type == "PARAMETERIZED_ARTIFACT_SOURCE":
        value["parameterizedArtifactSource"] = holder
    else:
        value["buildNumber"] = {"artifactSourceName": source, "buildNumber": build}
    return [{"name": "guestbook-nexus", "artifactValueInput": value}]


GOOD = {"repo": "docker-private", "path": "guestbook"}


@pytest.mark.parametrize(
    ("services", "message"),
    [
        (
            [
                {
                    "name": "guestbook-nexus",
                    "artifactValueInput": {"valueType": "PARAMETERIZED_ARTIFACT_SOURCE"},
                }
            ],
            "ParameterizedArtifactSourceInput is required for the service Input: "
            "guestbook-nexusfor value type as PARAMETERIZED_ARTIFACT_SOURCE",
        ),
        (
            _params(source="", parameters=GOOD),
            "Invalid request: Artifact Source name cannot be empty for serviceInput: "
            "guestbook-nexus",
        ),
        (
            _params(build="", parameters=GOOD),
            "Invalid request: Build Number cannot be empty for serviceInput: guestbook-nexus",
        ),
        (
            _params(source="nope", parameters=GOOD),
            "Cannot find artifact Source: nope in specified service: guestbook-nexus",
        ),
        (
            _params(),
            "Invalid request: Artifact Source is parameterized. However, runtime values for "
            "parameters not provided",
        ),
        (
            _params(parameters={"repo": "docker-private"}),
            "Cannot find or collect artifact for specified Build Number: 1.1.0",
        ),
        (
            _params(build="7.0.0", parameters=GOOD),
            "Cannot find or collect artifact for specified Build Number: 7.0.0",
        ),
        (
            _params(value_type="BUILD_NUMBER"),
            "Cannot find or collect artifact for specified Build Number: 1.1.0",
        ),
    ],
)
def test_parameterized_source_checks(client: Client, services: Any, message: str) -> None:
    assert client.start_error(NEXUS_DEPLOY, app_id=LAB, services=services) == message


def test_parameterized_value_type_on_a_plain_source(client: Client) -> None:
    services = [
        {
            "name": "guestbook",
            "artifactValueInput": {
                "valueType": "PARAMETERIZED_ARTIFACT_SOURCE",
                "parameterizedArtifactSource": {
                    "artifactSourceName": "guestbook",
                    "buildNumber": "v6",
                    "parameterValueInputs": [{"name": "a", "value": "b"}],
                },
            },
        }
    ]
    inputs = {"Environment": "dev", "Service": "guestbook", "InfraDefinition_KUBERNETES": "k8s-dev"}
    assert client.start_error("VzViT24gTluKWNFpdrL95A", variables=inputs, services=services) == (
        "Invalid request: Parameterized Artifact Source valueType cannot be used for "
        "non-parameterized artifact source"
    )


def test_parameterized_start_prepares_then_runs(client: Client, emu: Emulator) -> None:
    execution = client.start(NEXUS_DEPLOY, app_id=LAB, services=_params(parameters=GOOD))
    assert execution["status"] is None  # PREPARING: collecting the artifact
    artifacts = client.gql(MANIFESTS, {"id": execution["id"]})["data"]["execution"]["artifacts"]
    assert artifacts == [
        {
            "id": "GateLabParamsBuild1100",
            "buildNo": "1.1.0",
            "artifactSource": {"name": "guestbook-params", "parameters": ["repo", "path"]},
        }
    ]
    emu.advance(11)
    assert client.status(execution["id"]) == "RUNNING"


def test_expression_values_are_refused(client: Client) -> None:
    inputs = [
        {"name": "region", "variableValue": {"type": "NAME", "value": "us-east-1"}},
        {"name": "replicas", "variableValue": {"type": "EXPRESSION", "value": "${x}"}},
    ]
    assert client.start_error(REGIONAL, app_id=LAB, variableInputs=inputs) == (
        "Invalid request: Expression Type not supported"
    )
    # Allowed values are checked before any value is resolved.
    inputs[0]["variableValue"] = {"type": "EXPRESSION", "value": "${region}"}
    assert client.start_error(REGIONAL, app_id=LAB, variableInputs=inputs) == (
        "Invalid request: Variable region can only take values [us-east-1, eu-west-1]"
    )


def test_variable_rules(client: Client) -> None:
    # Allowed values hold for every variable type, an Environment too.
    assert client.start_error(ENV_CHOICE, app_id=LAB, variables={"Environment": "dev"}) == (
        "Invalid request: Variable Environment can only take values [qa]"
    )
    assert client.start(ENV_CHOICE, app_id=LAB, variables={"Environment": "qa"})["id"]
    # Fixed variables are checked for workflows.
    assert client.start_error(
        REGIONAL, app_id=LAB, variables={"region": "us-east-1", "strategy": "canary"}
    ) == (
        "Invalid request: Cannot change value of a fixed variable in workflow: strategy. "
        "Value set in workflow is: rolling"
    )
    # Every CSV part must be allowed.
    assert client.start_error(REGIONAL, app_id=LAB, variables={"region": "us-east-1,mars"}) == (
        "Invalid request: Variable region can only take values [us-east-1, eu-west-1]"
    )
    assert client.start(REGIONAL, app_id=LAB, variables={"region": "us-east-1, eu-west-1"})
