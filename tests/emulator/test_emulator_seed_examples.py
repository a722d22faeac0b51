"""The Harness docs' sample queries ("Harness StartExecution API Deep Dive"), run as written.

Queries are copied from the page; the workflow start uses the page's final curl command
(its pretty-printed variables repeat keys inside one object, a bug the curl version fixes).
"""

from __future__ import annotations

import json

import requests
from emulator_helpers import Client, assert_valid_for_real_server

from harness_gate.emulator import Emulator

APP_ID = "iIfYmHDqTj6Gsygtwt4VRQ"

PIPELINE_BY_NAME = """
{
  pipelineByName(applicationId: "iIfYmHDqTj6Gsygtwt4VRQ", pipelineName: "Guestbook Pipeline") {
    id
    name
    pipelineVariables {
      name
      type
      required
    }
  }
}
"""

PIPELINE_BY_NAME_RESPONSE = {
    "data": {
        "pipelineByName": {
            "id": "YdK1ONo9TnyzIK5-plsnAg",
            "name": "Guestbook Pipeline",
            "pipelineVariables": [
                {"name": "skipCV", "type": "Text", "required": False},
                {"name": "hotfix", "type": "Text", "required": False},
                {"name": "branch", "type": "Text", "required": False},
            ],
        }
    }
}

WORKFLOW_BY_NAME = """
{
  workflowByName(applicationId: "iIfYmHDqTj6Gsygtwt4VRQ", workflowName: "K8s Rolling Deployment") {
    id
    name
    workflowVariables {
      name
      type
      required
    }
  }
}

"""

WORKFLOW_BY_NAME_RESPONSE = {
    "data": {
        "workflowByName": {
            "id": "VzViT24gTluKWNFpdrL95A",
            "name": "K8s Rolling Deployment",
            "workflowVariables": [
                {"name": "Environment", "type": "Environment", "required": True},
                {"name": "Service", "type": "Service", "required": True},
                {
                    "name": "InfraDefinition_KUBERNETES",
                    "type": "Infrastructure definition",
                    "required": True,
                },
                {"name": "hotfix", "type": "Text", "required": False},
                {"name": "branch", "type": "Text", "required": False},
                {"name": "skipCV", "type": "Text", "required": False},
            ],
        }
    }
}

APPLICATION_BY_NAME = """
query {
  applicationByName(name:"Harness Demo"){
    id
    name
    pipelines(limit:4){
      nodes{
        id
        description
      }
    }
  }
}
"""

# From the "Scripts for CLI Tools" curl (func_execute_pipeline), as JSON-decoded.
START_PIPELINE = (
    "\nmutation($startExecution: StartExecutionInput!){\n"
    "  startExecution (input:$startExecution){\n"
    "    clientMutationId\n    execution {\n      notes\n      id\n      application{\n        id\n"
    "      }\n    }\n  }\n}"
)

START_WITH_STATUS = """
mutation($startExecution: StartExecutionInput!){
  startExecution (input:$startExecution){
    clientMutationId
    execution {
      notes
      status
      startedAt
      id
      application{
        id
      }
    }
  }
}
"""

# The last curl command of the page, verbatim.
WORKFLOW_CURL_DATA = (
    '{"query":"\\nmutation($startExecution: StartExecutionInput!){\\n  '
    "startExecution (input:$startExecution)"
    "{\\n    clientMutationId\\n    execution {\\n      notes\\n      status\\n      "
    "startedAt\\n      id\\n"
    '      application{\\n        id\\n      }\\n    }\\n  }\\n}","variables":{"startExecution":'
    '{"applicationId":"iIfYmHDqTj6Gsygtwt4VRQ","notes":"Demo","executionType":"WORKFLOW",'
    '"entityId":"VzViT24gTluKWNFpdrL95A","serviceInputs":{"name":"guestbook","artifactValueInput":'
    '{"buildNumber":{"buildNumber":"v6","artifactSourceName":"guestbook"},"valueType":"BUILD_NUMBER"}},'
    '"variableInputs":[{"name":"Environment","variableValue":{"type":"NAME","value":"dev"}},'
    '{"name":"InfraDefinition_KUBERNETES","variableValue":{"type":"NAME","value":"k8s-dev"}},'
    '{"name":"Service","variableValue":{"type":"NAME","value":"guestbook"}},'
    '{"name":"skipCV","variableValue":{"type":"NAME","value":"true"}}]}}}'
)

PIPELINE_STATUS = """
query{
  execution(executionId: "QzhqUddfQiKMxJdEzZC3bg") {
    id
    ... on PipelineExecution {
      id
      status
    }
  }
}
"""

WORKFLOW_STATUS = """
{
  execution(executionId:"_Mffj1GZQd-VgNN_XWA7NQ"){
    id
    status
    ... on WorkflowExecution {
      id
      outcomes{
        nodes{
          execution {
            id
            endedAt
            startedAt
          }
        }
      }
    }
  }
}
"""


def test_get_pipeline_by_name(client: Client) -> None:
    assert client.gql(PIPELINE_BY_NAME) == PIPELINE_BY_NAME_RESPONSE


def test_get_workflow_by_name(client: Client) -> None:
    assert client.gql(WORKFLOW_BY_NAME) == WORKFLOW_BY_NAME_RESPONSE


def test_deploy_fargate_production_pipeline(client: Client, emu: Emulator) -> None:
    app = client.gql(APPLICATION_BY_NAME)["data"]["applicationByName"]
    assert app["id"] == APP_ID and app["name"] == "Harness Demo"
    pipelines = app["pipelines"]["nodes"]
    assert len(pipelines) == 4
    fargate = next(p for p in pipelines if p["description"] and "Fargate" in p["description"])
    variables = {
        "startExecution": {
            "applicationId": app["id"],
            "notes": "Demo",
            "executionType": "PIPELINE",
            "entityId": fargate["id"],
            "serviceInputs": {
                "name": "fargate-nginx",
                "artifactValueInput": {
                    "buildNumber": {"buildNumber": "1.10.1", "artifactSourceName": "library_nginx"},
                    "valueType": "BUILD_NUMBER",
                },
            },
        }
    }
    body = client.gql(START_PIPELINE, variables)
    execution_id = body["data"]["startExecution"]["execution"]["id"]
    assert body == {
        "data": {
            "startExecution": {
                "clientMutationId": None,
                "execution": {"notes": "Demo", "id": execution_id, "application": {"id": APP_ID}},
            }
        }
    }
    status = client.gql(PIPELINE_STATUS.replace("QzhqUddfQiKMxJdEzZC3bg", execution_id))
    assert status == {"data": {"execution": {"id": execution_id, "status": None}}}  # preparing
    emu.advance(11)
    status = client.gql(PIPELINE_STATUS.replace("QzhqUddfQiKMxJdEzZC3bg", execution_id))
    assert status["data"]["execution"]["status"] == "RUNNING"


def test_deploy_a_pipeline_with_variables(client: Client) -> None:
    variables = {
        "startExecution": {
            "applicationId": APP_ID,
            "notes": "Demo",
            "executionType": "PIPELINE",
            "entityId": "YdK1ONo9TnyzIK5-plsnAg",
            "variableInputs": [
                {"name": "skipCV", "variableValue": {"type": "NAME", "value": "true"}},
                {"name": "branch", "variableValue": {"value": "master", "type": "NAME"}},
                {"name": "hotfix", "variableValue": {"value": "false", "type": "NAME"}},
            ],
        }
    }
    body = client.gql(START_WITH_STATUS, variables)
    assert "errors" not in body
    execution = body["data"]["startExecution"]["execution"]
    assert execution["notes"] == "Demo" and execution["application"] == {"id": APP_ID}
    assert execution["status"] == "QUEUED" and execution["startedAt"] is None


def test_deploy_a_workflow_with_variables_curl(emu: Emulator) -> None:
    response = requests.post(
        f"{emu.base_url}/gateway/api/graphql?accountId={emu.account_id}",
        headers={"content-type": "application/json", "x-api-key": emu.api_key},
        data=WORKFLOW_CURL_DATA,
        timeout=5,
    )
    assert response.status_code == 200
    body = response.json()
    execution = body["data"]["startExecution"]["execution"]
    assert body == {
        "data": {
            "startExecution": {
                "clientMutationId": None,
                "execution": {
                    "notes": "Demo",
                    "status": None,
                    "startedAt": None,
                    "id": execution["id"],
                    "application": {"id": APP_ID},
                },
            }
        }
    }
    client = Client(emu)
    emu.advance(10 + 120)
    status = client.gql(WORKFLOW_STATUS.replace("_Mffj1GZQd-VgNN_XWA7NQ", execution["id"]))
    result = status["data"]["execution"]
    assert result["id"] == execution["id"] and result["status"] == "SUCCESS"
    (outcome,) = result["outcomes"]["nodes"]
    assert outcome["execution"]["id"] == execution["id"]
    assert outcome["execution"]["endedAt"] - outcome["execution"]["startedAt"] == 120_000


def test_application_by_name_curl(emu: Emulator) -> None:
    appname = "Harness Demo"
    data = (
        '{"query":"query {\\n  applicationByName(name:\\"'
        + appname
        + '\\"){\\n    id\\n    name\\n'
        "    pipelines(limit:4){\\n      nodes{\\n        id\\n        description\\n"
        '      }\\n    }\\n  }\\n}\\n\\n"}'
    )
    response = requests.post(
        f"{emu.base_url}/gateway/api/graphql?accountId={emu.account_id}",
        headers={"content-type": "application/json", "x-api-key": emu.api_key},
        data=data,
        timeout=5,
    )
    assert response.status_code == 200
    assert response.json()["data"]["applicationByName"]["id"] == APP_ID


def test_every_sample_query_is_valid_for_the_real_server(required_real_schema: object) -> None:
    for query in (
        PIPELINE_BY_NAME,
        WORKFLOW_BY_NAME,
        APPLICATION_BY_NAME,
        START_PIPELINE,
        START_WITH_STATUS,
        json.loads(WORKFLOW_CURL_DATA)["query"],
        PIPELINE_STATUS,
        WORKFLOW_STATUS,
    ):
        assert_valid_for_real_server(query)
