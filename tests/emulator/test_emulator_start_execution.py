"""startExecution: the checks in the server's order, with its words."""

from __future__ import annotations

from typing import Any

import pytest
from emulator_helpers import (
    DEMO_APP,
    K8S_ROLLING,
    K8S_VARIABLES,
    PAYMENTS_APP,
    PL,
    WF,
    Client,
    guestbook_artifact,
)

from harness_gate.emulator import Emulator


def _k8s(client: Client, **kw: Any) -> str:
    kw.setdefault("variables", K8S_VARIABLES)
    kw.setdefault("services", guestbook_artifact())
    return client.start_error(K8S_ROLLING, **kw)


def test_success_payload_shape(client: Client, emu: Emulator) -> None:
    body = client.start_raw(
        K8S_ROLLING,
        variables=K8S_VARIABLES,
        services=guestbook_artifact(),
        notes="from CI",
        clientMutationId="ci-42",
    )
    payload = body["data"]["startExecution"]
    assert payload["clientMutationId"] == "ci-42"
    assert payload["warningMessage"] is None
    execution = payload["execution"]
    assert execution["status"] is None  # PREPARING: artifacts are being collected
    assert execution["startedAt"] is None and execution["endedAt"] is None
    assert execution["notes"] == "from CI"
    assert execution["application"] == {"id": DEMO_APP}
    assert execution["executionUrl"] == (
        f"{emu.base_url}/#/account/{emu.account_id}/app/{DEMO_APP}/env/Ej2vB5PkRMSUQg9BKNJwdw/"
        f"executions/{execution['id']}/details"
    )
    assert abs(execution["createdAt"] - emu.now() * 1000) < 5000
    assert len(execution["id"]) == 22
    (recorded,) = emu.executions()
    assert recorded["id"] == execution["id"]
    assert recorded["variables"] == K8S_VARIABLES
    assert recorded["service_inputs"] == guestbook_artifact()


def test_pipeline_url_and_queued_status(client: Client, emu: Emulator) -> None:
    execution = client.start(PL["Guestbook Pipeline"], "PIPELINE")
    assert execution["status"] == "QUEUED"
    assert execution["executionUrl"] == (
        f"{emu.base_url}/#/account/{emu.account_id}/app/{DEMO_APP}/pipeline-execution/"
        f"{execution['id']}/workflow-execution/undefined/details"
    )


def test_common_checks(client: Client) -> None:
    assert client.start_error("") == "Invalid request: Entity Id cannot be empty"
    assert (
        client.start_error(K8S_ROLLING, app_id="")
        == "Invalid request: Application Id cannot be empty"
    )
    assert (
        client.start_error(K8S_ROLLING, app_id="nope")
        == "Invalid request: Application does not exist"
    )
    # Unknown, unauthorised, wrong-type and other-application ids all read as no permission.
    for entity_id, kind, app in [
        ("nope", "WORKFLOW", DEMO_APP),
        (WF["Restricted Deployment"], "WORKFLOW", DEMO_APP),
        (K8S_ROLLING, "PIPELINE", DEMO_APP),
        (K8S_ROLLING, "WORKFLOW", PAYMENTS_APP),
    ]:
        assert (
            client.start_error(entity_id, kind, app_id=app) == "User not authorized: Not authorized"
        )


def test_environment_checks(client: Client) -> None:
    assert _k8s(
        client, variables={"Service": "guestbook", "InfraDefinition_KUBERNETES": "k8s-dev"}
    ) == (
        "Invalid request: Workflow [K8s Rolling Deployment] has environment parameterized. "
        "However, the value not supplied"
    )
    assert _k8s(client, variables={**K8S_VARIABLES, "Environment": "Dev"}) == (
        f"Environment [Dev] doesn't exist in specified application {DEMO_APP}"
    )
    assert client.start_error(PL["Guestbook Promote"], "PIPELINE") == (
        "Invalid request: Pipeline [Guestbook Promote] has environment parameterized. "
        "However, the value not supplied"
    )


def _typed(name: str, value_type: str, value: str) -> dict[str, Any]:
    return {"name": name, "variableValue": {"type": value_type, "value": value}}


def test_value_types(client: Client) -> None:
    base = [_typed(k, "NAME", v) for k, v in K8S_VARIABLES.items()]

    def start(*replace: dict[str, Any]) -> str:
        names = {r["name"] for r in replace}
        inputs = [v for v in base if v["name"] not in names] + list(replace)
        return client.start_error(K8S_ROLLING, variableInputs=inputs, services=guestbook_artifact())

    assert start(_typed("Environment", "EXPRESSION", "${env}")) == (
        "Invalid request: Value Type EXPRESSION Not supported"
    )
    assert start(_typed("Service", "EXPRESSION", "${svc}")) == (
        "Invalid request: Expression Type not supported"
    )
    assert start(_typed("Service", "ID", "")) == (
        "Invalid request: Please provide a non empty value for Service"
    )
    assert start(_typed("Service", "ID", "nope")) == (
        f"Invalid request: Service [nope] doesn't exist in specified application {DEMO_APP}"
    )
    assert start(_typed("Service", "NAME", "Guestbook")) == (
        f"Service [Guestbook] doesn't exist in specified application {DEMO_APP}"
    )
    assert start(_typed("InfraDefinition_KUBERNETES", "NAME", "k8s-qa")) == (
        "Infrastructure Definition  [k8s-qa] doesn't exist in specified application "
        f"and environment {DEMO_APP}"
    )
    assert start(_typed("InfraDefinition_KUBERNETES", "ID", "nope")) == (
        f"Infrastructure Definition  [nope] doesn't exist in specified application {DEMO_APP}"
    )
    assert start(_typed("InfraDefinition_KUBERNETES", "ID", "wTBmCbW1T7ijL6mJMoM2UQ")) == (
        "Invalid request: Infrastructure Definition  [wTBmCbW1T7ijL6mJMoM2UQ] doesn't exist in "
        "specified application and environment "
    )
    assert start(_typed("InfraDefinition_KUBERNETES", "NAME", "k8s-dev,k8s-dev")) == (
        "Invalid request: Variable InfraDefinition_KUBERNETES doesnt allow multiple values"
    )
    # Ids work as well as names.
    ok = client.start_raw(
        K8S_ROLLING,
        variableInputs=[
            _typed("Environment", "ID", "Ej2vB5PkRMSUQg9BKNJwdw"),
            _typed("Service", "ID", "EKxm9jpMQkS8h_lIVhcvhA"),
            _typed("InfraDefinition_KUBERNETES", "ID", "D8WHWGTlRoqFI3K2jVvcmA"),
        ],
        services=guestbook_artifact(),
    )
    assert "errors" not in ok


def test_required_fixed_and_allowed_values(client: Client) -> None:
    regional = WF["Regional Deploy"]
    assert (
        client.start_error(regional)
        == "Invalid request: Value not provided for required variable: [region]"
    )
    assert _k8s(client, variables={"Environment": "dev"}) == (
        "Invalid request: Value not provided for required variable: "
        "[Service,InfraDefinition_KUBERNETES]"
    )
    assert client.start_error(regional, variables={"region": "mars-1"}) == (
        "Invalid request: Variable region can only take values [us-east-1, eu-west-1, ap-south-1]"
    )
    assert client.start_error(regional, variables={"region": "us-east-1,mars-1"}) == (
        "Invalid request: Variable region can only take values [us-east-1, eu-west-1, ap-south-1]"
    )
    assert client.start_error(
        regional, variables={"region": "eu-west-1", "strategy": "canary"}
    ) == (
        "Invalid request: Cannot change value of a fixed variable in workflow: strategy. "
        "Value set in workflow is: rolling"
    )
    execution = client.start(
        regional, variables={"region": "us-east-1,eu-west-1", "strategy": "rolling"}
    )
    assert execution["id"]


def test_unknown_variables_are_a_warning(client: Client) -> None:
    body = client.start_raw(WF["Smoke Test"], variables={"a": "1", "b": "2"})
    assert "errors" not in body
    assert body["data"]["startExecution"]["warningMessage"] == (
        "Ignoring values for variables: [a,b] as they don't exist in workflow. "
        "Workflow Might be modified"
    )
    body = client.start_raw(
        PL["Guestbook Pipeline"], "PIPELINE", variables={"branch": "main", "brnch": "x"}
    )
    assert body["data"]["startExecution"]["warningMessage"] == (
        "Ignoring values for variables: [brnch] as they don't exist in Pipeline. Might be modified"
    )


def test_specific_hosts(client: Client) -> None:
    assert client.start_error(PL["Guestbook Pipeline"], "PIPELINE", specificHosts=["h1"]) == (
        "Invalid request: Hosts can't be overridden for pipeline,"
        "Target to specific hosts is only available in a Workflow Execution"
    )
    assert client.start_error(WF["Smoke Test"], targetToSpecificHosts=True) == (
        "Invalid request: Host list can't be empty when Target To Specific Hosts option is enabled"
    )


@pytest.mark.parametrize(
    ("services", "message"),
    [
        (None, "ServiceInput required for service: guestbook"),
        ([{"name": "Guestbook"}], "ServiceInput required for service: guestbook"),
        (
            [{"name": "guestbook"}],
            "ArtifactValueInput is required for the service Input: guestbook",
        ),
        (
            [{"name": "guestbook", "artifactValueInput": {"valueType": "BUILD_NUMBER"}}],
            "BuildNumberInput is required for the service Input: "
            "guestbookfor value type as BUILD_NUMBER",
        ),
        (
            [{"name": "guestbook", "artifactValueInput": {"valueType": "ARTIFACT_ID"}}],
            "ArtifactIdInput is required for the service Input: "
            "guestbookfor value type as ARTIFACT_ID",
        ),
        (
            [
                {
                    "name": "guestbook",
                    "artifactValueInput": {
                        "valueType": "ARTIFACT_ID",
                        "artifactId": {"artifactId": ""},
                    },
                }
            ],
            "Invalid request: Artifact Id cannot be empty for serviceInput: guestbook",
        ),
        (
            [
                {
                    "name": "guestbook",
                    "artifactValueInput": {
                        "valueType": "ARTIFACT_ID",
                        "artifactId": {"artifactId": "x"},
                    },
                }
            ],
            "Cannot find artifact for specified Id: x. Might be deleted",
        ),
        (
            [
                {
                    "name": "guestbook",
                    "artifactValueInput": {
                        "valueType": "ARTIFACT_ID",
                        "artifactId": {"artifactId": "3FzAq5snSwaYQOaCBREDvw"},
                    },
                }
            ],
            "Invalid request: Artifact Id: 3FzAq5snSwaYQOaCBREDvw "
            "does not belong to specified service: guestbook",
        ),
        (
            [
                {
                    "name": "guestbook",
                    "artifactValueInput": {
                        "valueType": "BUILD_NUMBER",
                        "buildNumber": {"artifactSourceName": "", "buildNumber": "v6"},
                    },
                }
            ],
            "Invalid request: Artifact Source name cannot be empty for serviceInput: guestbook",
        ),
        (
            [
                {
                    "name": "guestbook",
                    "artifactValueInput": {
                        "valueType": "BUILD_NUMBER",
                        "buildNumber": {"artifactSourceName": "guestbook", "buildNumber": ""},
                    },
                }
            ],
            "Invalid request: Build Number cannot be empty for serviceInput: guestbook",
        ),
        (
            [
                {
                    "name": "guestbook",
                    "artifactValueInput": {
                        "valueType": "BUILD_NUMBER",
                        "buildNumber": {"artifactSourceName": "docker-hub", "buildNumber": "v6"},
                    },
                }
            ],
            "Cannot find artifact Source: docker-hub in specified service: guestbook",
        ),
        (
            guestbook_artifact("v7"),
            "Cannot find or collect artifact for specified Build Number: v7",
        ),
        (
            [
                {
                    "name": "guestbook",
                    "artifactValueInput": {
                        "valueType": "PARAMETERIZED_ARTIFACT_SOURCE",
                        "parameterizedArtifactSource": {
                            "artifactSourceName": "guestbook",
                            "buildNumber": "v6",
                        },
                    },
                }
            ],
            "Invalid request: Parameterized Artifact Source valueType cannot be used for "
            "non-parameterized artifact source",
        ),
    ],
)
def test_artifact_checks(client: Client, services: Any, message: str) -> None:
    if services is None:
        assert client.start_error(K8S_ROLLING, variables=K8S_VARIABLES) == message
    else:
        assert _k8s(client, services=services) == message


def test_artifact_by_id_and_extra_inputs_ignored(client: Client, emu: Emulator) -> None:
    services = [
        {"name": "unrelated", "artifactValueInput": {"valueType": "BUILD_NUMBER"}},
        {
            "name": "guestbook",
            "artifactValueInput": {
                "valueType": "ARTIFACT_ID",
                "artifactId": {"artifactId": "yNwst2srQpyjIdBlzIPsSg"},
            },
        },
    ]
    execution = client.start(K8S_ROLLING, variables=K8S_VARIABLES, services=services)
    q = """query($id: String!) {
      execution(executionId: $id) { ... on WorkflowExecution { artifacts { id buildNo } } }
    }"""
    artifacts = client.gql(q, {"id": execution["id"]})["data"]["execution"]["artifacts"]
    assert artifacts == [{"id": "yNwst2srQpyjIdBlzIPsSg", "buildNo": "v5"}]


def test_deployment_freeze(client: Client) -> None:
    message = (
        "Deployment Freeze Window [Year-end freeze] is active for the environment. "
        "No deployments are allowed to proceed."
    )
    assert client.start_error(WF["Prod Deployment"]) == message
    assert client.start_error(PL["Prod Release"], "PIPELINE") == message
    # The same pipeline to a non-frozen environment starts.
    assert client.start(
        PL["Guestbook Promote"], "PIPELINE", variables={"env": "dev"}, services=guestbook_artifact()
    )["id"]
    assert (
        client.start_error(
            PL["Guestbook Promote"],
            "PIPELINE",
            variables={"env": "prod"},
            services=guestbook_artifact(),
        )
        == message
    )


def test_master_freeze_and_several_windows() -> None:
    fixture = {
        "applications": [
            {
                "name": "A",
                "environments": [{"name": "prod"}],
                "workflows": [{"name": "W", "environment": "prod"}],
            }
        ],
        "freezes": [
            {"name": "One", "environments": ["prod"]},
            {"name": "Two", "environments": ["prod"]},
        ],
    }
    with Emulator(fixture, rate_limit=None) as emu:
        client = Client(emu)
        app = emu.fixtures.applications[0]
        assert client.start_error(app.workflows[0].id, app_id=app.id) == (
            "Deployment Freeze Windows [One, Two] are active for the environment. "
            "No deployments are allowed to proceed."
        )
    fixture["freezes"] = [{"master": True}]
    with Emulator(fixture, rate_limit=None) as emu:
        client = Client(emu)
        app = emu.fixtures.applications[0]
        assert client.start_error(app.workflows[0].id, app_id=app.id) == (
            "Master Deployment Freeze is active. No deployments are allowed."
        )


def test_empty_pipeline() -> None:
    fixture = {"applications": [{"name": "A", "pipelines": [{"name": "Empty"}]}]}
    with Emulator(fixture, rate_limit=None) as emu:
        app = emu.fixtures.applications[0]
        assert Client(emu).start_error(app.pipelines[0].id, "PIPELINE", app_id=app.id) == (
            "You can not deploy an empty pipeline."
        )


def test_execution_inputs_lists_services_needing_an_artifact(client: Client) -> None:
    q = """query($v: [VariableInput]) {
      executionInputs(entityId: "VzViT24gTluKWNFpdrL95A", applicationId: "iIfYmHDqTj6Gsygtwt4VRQ",
                      executionType: WORKFLOW, variableInputs: $v) {
        serviceInputs { name artifactSources { name } }
      }
    }"""
    variables = [_typed(k, "NAME", v) for k, v in K8S_VARIABLES.items()]
    body = client.gql(q, {"v": variables})
    assert body["data"]["executionInputs"]["serviceInputs"] == [
        {"name": "guestbook", "artifactSources": [{"name": "guestbook"}]}
    ]
    q2 = """{
      executionInputs(entityId: "BoKIda5tRui3cIl2PGNf1Q", applicationId: "iIfYmHDqTj6Gsygtwt4VRQ",
                      executionType: PIPELINE) { serviceInputs { name } }
    }"""
    assert client.gql(q2)["data"]["executionInputs"]["serviceInputs"] == [{"name": "fargate-nginx"}]


def test_single_object_where_a_list_is_expected(client: Client) -> None:
    # GraphQL input coercion turns one object into a list of one, as the docs' examples rely on.
    execution = client.start(K8S_ROLLING, variables=K8S_VARIABLES, services=guestbook_artifact()[0])
    assert execution["id"]


def test_payments_application(client: Client) -> None:
    services = [
        {
            "name": "payments-api",
            "artifactValueInput": {
                "valueType": "BUILD_NUMBER",
                "buildNumber": {"artifactSourceName": "payments-api", "buildNumber": "1.1.0"},
            },
        }
    ]
    execution = client.start(
        "E333QvezTEq6quXAkaEMkw", "PIPELINE", app_id=PAYMENTS_APP, services=services
    )
    assert execution["application"] == {"id": PAYMENTS_APP}
