"""Name and id lookups: exact, case-sensitive, each with the real server's not-found behaviour."""

from __future__ import annotations

from typing import Any

from emulator_helpers import DEMO_APP, GUESTBOOK_PIPELINE, K8S_ROLLING, PAYMENTS_APP, WF, Client


def _error(body: dict[str, Any], field: str) -> str:
    assert body["data"] == {field: None}, body
    (error,) = body["errors"]
    assert error["path"] == [field]
    prefix = f"Exception while fetching data (/{field}) : "
    assert error["message"].startswith(prefix)
    return str(error["message"][len(prefix) :])


def test_application_by_name_is_exact(client: Client) -> None:
    q = "query($n: String!) { applicationByName(name: $n) { id name description } }"
    assert client.gql(q, {"n": "Payments"})["data"]["applicationByName"]["id"] == PAYMENTS_APP
    for wrong in ("harness demo", "Harness Demo ", "Harness"):
        assert _error(client.gql(q, {"n": wrong}), "applicationByName") == (
            "Invalid request: Application does not exist"
        )


def test_application_by_id(client: Client) -> None:
    q = "query($id: String!) { application(applicationId: $id) { name } }"
    assert client.gql(q, {"id": DEMO_APP})["data"]["application"]["name"] == "Harness Demo"
    assert (
        _error(client.gql(q, {"id": "bogus"}), "application")
        == "User not authorized: ACCESS_DENIED"
    )


def test_pipeline_by_name_not_found_is_null_without_error(client: Client) -> None:
    q = """query($a: String!, $n: String!) {
      pipelineByName(applicationId: $a, pipelineName: $n) { id }
    }"""
    assert client.gql(q, {"a": DEMO_APP, "n": "Guestbook Pipeline"})["data"]["pipelineByName"] == {
        "id": GUESTBOOK_PIPELINE
    }
    assert client.gql(q, {"a": DEMO_APP, "n": "guestbook pipeline"}) == {
        "data": {"pipelineByName": None}
    }
    # The pipeline lives in the other application.
    assert client.gql(q, {"a": PAYMENTS_APP, "n": "Guestbook Pipeline"}) == {
        "data": {"pipelineByName": None}
    }
    assert _error(client.gql(q, {"a": "bogus", "n": "Guestbook Pipeline"}), "pipelineByName") == (
        "User not authorized: ACCESS_DENIED"
    )
    assert _error(client.gql(q, {"a": DEMO_APP, "n": ""}), "pipelineByName") == (
        "Invalid request: Empty Pipeline name"
    )


def test_workflow_by_name_not_found_is_an_error(client: Client) -> None:
    q = """query($a: String!, $n: String!) {
      workflowByName(applicationId: $a, workflowName: $n) { id }
    }"""
    assert client.gql(q, {"a": DEMO_APP, "n": "K8s Rolling Deployment"})["data"][
        "workflowByName"
    ] == {"id": K8S_ROLLING}
    assert _error(
        client.gql(q, {"a": DEMO_APP, "n": "k8s rolling deployment"}), "workflowByName"
    ) == ("Invalid request: Workflow does not exist")
    assert _error(client.gql(q, {"a": "bogus", "n": "x"}), "workflowByName") == (
        "User not authorized: ACCESS_DENIED"
    )


def test_same_name_in_two_applications_resolves_per_application(client: Client) -> None:
    q = 'query($a: String!) { workflowByName(applicationId: $a, workflowName: "Smoke Test") { id }}'
    assert client.gql(q, {"a": DEMO_APP})["data"]["workflowByName"]["id"] == WF["Smoke Test"]
    assert (
        client.gql(q, {"a": PAYMENTS_APP})["data"]["workflowByName"]["id"]
        == WF["Payments Smoke Test"]
    )


def test_pipeline_and_workflow_by_id(client: Client) -> None:
    pq = "query($id: String!) { pipeline(pipelineId: $id) { name } }"
    wq = "query($id: String!) { workflow(workflowId: $id) { name } }"
    assert (
        client.gql(pq, {"id": GUESTBOOK_PIPELINE})["data"]["pipeline"]["name"]
        == "Guestbook Pipeline"
    )
    assert (
        client.gql(wq, {"id": K8S_ROLLING})["data"]["workflow"]["name"] == "K8s Rolling Deployment"
    )
    assert _error(client.gql(pq, {"id": "blah"}), "pipeline") == "Entity with id: blah is not found"
    # A workflow id is not a pipeline.
    assert _error(client.gql(pq, {"id": K8S_ROLLING}), "pipeline") == (
        f"Entity with id: {K8S_ROLLING} is not found"
    )
    assert _error(client.gql(wq, {"id": "blah"}), "workflow") == "Entity with id: blah is not found"


def test_execution_not_found(client: Client) -> None:
    q = "query($id: String!) { execution(executionId: $id) { id } }"
    assert _error(client.gql(q, {"id": "nope"}), "execution") == (
        "Invalid request: Execution does not exist or access is denied"
    )


def test_variables_carry_every_field(client: Client) -> None:
    q = """
    query($a: String!) {
      workflowByName(applicationId: $a, workflowName: "Regional Deploy") {
        workflowVariables {
          name type required allowedValues defaultValue fixed allowMultipleValues
        }
      }
    }"""
    variables = client.gql(q, {"a": DEMO_APP})["data"]["workflowByName"]["workflowVariables"]
    assert variables == [
        {
            "name": "region",
            "type": "Text",
            "required": True,
            "allowedValues": ["us-east-1", "eu-west-1", "ap-south-1"],
            "defaultValue": None,
            "fixed": False,
            "allowMultipleValues": False,
        },
        {
            "name": "replicas",
            "type": "Text",
            "required": False,
            "allowedValues": None,
            "defaultValue": "2",
            "fixed": False,
            "allowMultipleValues": False,
        },
        {
            "name": "strategy",
            "type": "Text",
            "required": False,
            "allowedValues": None,
            "defaultValue": "rolling",
            "fixed": True,
            "allowMultipleValues": False,
        },
    ]


def test_workflow_without_variables_has_an_empty_list(client: Client) -> None:
    q = 'query { workflow(workflowId: "80Z1CTXwTMeJLQV_RNxjkQ") { workflowVariables { name } } }'
    assert client.gql(q)["data"]["workflow"]["workflowVariables"] == []


def test_connections_paginate_and_clamp(client: Client) -> None:
    q = """query($l: Int!, $o: Int) {
      applicationByName(name: "Harness Demo") {
        workflows(limit: $l, offset: $o) { pageInfo { hasMore total offset limit } nodes { name } }
      }
    }"""
    page = client.gql(q, {"l": 2, "o": 1})["data"]["applicationByName"]["workflows"]
    assert page["pageInfo"] == {"hasMore": True, "total": 17, "offset": 1, "limit": 2}
    assert [n["name"] for n in page["nodes"]] == ["Guestbook Config Update", "Guestbook Smoke Test"]
    page = client.gql(q, {"l": 1000})["data"]["applicationByName"]["workflows"]
    assert page["pageInfo"] == {"hasMore": False, "total": 17, "offset": 0, "limit": 100}
    body = client.gql(q, {"l": -1})
    assert body["errors"][0]["message"] == (
        "Exception while fetching data (/applicationByName/workflows) : "
        "Invalid request: Limit argument accepts only non negative values"
    )
    assert body["data"] == {"applicationByName": {"workflows": None}}


def test_services_and_artifact_sources(client: Client) -> None:
    q = """{
      applicationByName(name: "Harness Demo") {
        services(limit: 10) {
          nodes { name artifactSources { name ... on DockerArtifactSource { imageName }
                  artifacts(limit: 5) { nodes { buildNo } } } }
        }
        environments(limit: 10) { nodes { name type } }
      }
    }"""
    app = client.gql(q)["data"]["applicationByName"]
    guestbook = app["services"]["nodes"][0]
    assert guestbook["name"] == "guestbook"
    source = guestbook["artifactSources"][0]
    assert source["name"] == "guestbook" and source["imageName"] == "library/guestbook"
    assert [a["buildNo"] for a in source["artifacts"]["nodes"]] == ["v6", "v5", "v4"]
    assert {"name": "prod", "type": "PROD"} in app["environments"]["nodes"]
