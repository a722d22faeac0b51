"""Emulator test helpers: a small GraphQL client, default-fixture ids, the real schema."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any, Optional

import pytest
import requests
from graphql import GraphQLSchema, parse, validate

from harness_gate.emulator import Emulator

REPO = Path(__file__).resolve().parents[2]
# ../shared beside the repository, or HARNESS_GATE_SHARED_DIR (see tests/shared_schema.py).
REAL_SCHEMA_DIR = (
    Path(os.environ.get("HARNESS_GATE_SHARED_DIR") or REPO.parent / "shared")
    / "harness-graphql-schema"
)

DEMO_APP = "iIfYmHDqTj6Gsygtwt4VRQ"
PAYMENTS_APP = "DdnmPSqySFmP-xGipKbFkQ"
GUESTBOOK_PIPELINE = "YdK1ONo9TnyzIK5-plsnAg"
K8S_ROLLING = "VzViT24gTluKWNFpdrL95A"

# Workflow and pipeline ids of the default fixture, by name (Harness Demo unless noted).
WF = {
    "K8s Rolling Deployment": K8S_ROLLING,
    "Smoke Test": "80Z1CTXwTMeJLQV_RNxjkQ",
    "Failing Deployment": "UzY0aHJtQm-mKCvecGtruw",
    "Erroring Deployment": "6bzAUVqBQGSqdEHkr9mZnA",
    "Aborted Deployment": "0D40ImjlTi-JWbtEZIE5JQ",
    "Approved Deployment": "SN-PUTb0QueVPIsAguiMtQ",
    "Rejected Deployment": "iXuPQgC5ToSf3e1nsId_kA",
    "Expiring Deployment": "Fnvf4SL7SKW-bYgQHgM28Q",
    "Manual Approval Deployment": "a_4lTZ7kShCzR1Xs6V-o4g",
    "Jira Gated Deployment": "_T4NPMTiS_KpCgGJ1H_84g",
    "Long Running Deployment": "pxTLiWEMS763B9YAB7ndzw",
    "Regional Deploy": "ChYUMm_BQ8216EepA_qquw",
    "Prod Deployment": "bHwSRD3qSvSkuJopgM4gPw",
    "Restricted Deployment": "gBgO_J_ARm6Dvuze7BPmcg",
    "Payments Smoke Test": "hUkSj85XSkeC2iZ-82g2wg",
}
PL = {
    "Guestbook Pipeline": GUESTBOOK_PIPELINE,
    "Fargate Production": "BoKIda5tRui3cIl2PGNf1Q",
    "Guestbook Promote": "35-lU82nS7WXsgj4Dg01tw",
    "Release Pipeline": "H5xAkOqETJ2kr2eKGzKdqA",
    "Rejected Release": "lf6Uyhe-QwqSWuuzAuyDyA",
    "Failing Pipeline": "pynd6NcYTGOKyCdoJbfB7w",
    "Prod Release": "jWEyKXdRSxqEy9Sw83zl9Q",
}

START = """
mutation Start($input: StartExecutionInput!) {
  startExecution(input: $input) {
    clientMutationId
    warningMessage
    execution { id status createdAt startedAt endedAt notes executionUrl application { id } }
  }
}
"""

EXECUTION = """
query Execution($id: String!) {
  execution(executionId: $id) {
    id
    status
    createdAt
    startedAt
    endedAt
    failureDetails
    executionUrl
    notes
    ... on PipelineExecution {
      pipeline { id name }
      pipelineStageExecutions {
        pipelineStageElementId
        pipelineStageName
        pipelineStepName
        ... on ApprovalStageExecution { status approvalStepType }
        ... on WorkflowStageExecution { status workflowExecutionId }
      }
    }
    ... on WorkflowExecution { workflow { id name } }
  }
}
"""

ABORT_BODY = {"executionInterruptType": "ABORT_ALL"}


def _load_real_schema() -> Optional[GraphQLSchema]:
    if not (REAL_SCHEMA_DIR / "load_schema.py").is_file():
        return None
    sys.path.insert(0, str(REAL_SCHEMA_DIR))
    try:
        from load_schema import load_schema  # type: ignore[import-not-found]
    finally:
        sys.path.remove(str(REAL_SCHEMA_DIR))
    schema: GraphQLSchema = load_schema(REAL_SCHEMA_DIR)
    return schema


_REAL: list[Optional[GraphQLSchema]] = []


def real_schema() -> Optional[GraphQLSchema]:
    """The real Harness schema when ../shared is there (loaded once), else None."""
    if not _REAL:
        _REAL.append(_load_real_schema())
    return _REAL[0]


def required_real_schema() -> GraphQLSchema:
    """The real schema; with HARNESS_GATE_REQUIRE_SHARED=1 (the project's CI) its absence is a
    failure, elsewhere a skip."""
    schema = real_schema()
    if schema is None:
        message = f"real Harness schema not found at {REAL_SCHEMA_DIR}"
        if os.environ.get("HARNESS_GATE_REQUIRE_SHARED", "").strip().lower() in (
            "1",
            "true",
            "yes",
        ):
            pytest.fail(message + " (HARNESS_GATE_REQUIRE_SHARED=1: the subset proof must run)")
        pytest.skip(message)
    return schema


def assert_valid_for_real_server(query: str) -> None:
    schema = real_schema()
    if schema is None:
        return
    problems = validate(schema, parse(query))
    assert not problems, f"not valid against the real Harness schema: {problems}"


class Client:
    """Talks to one emulator over real HTTP, like a gate would."""

    def __init__(self, emu: Emulator) -> None:
        self.emu = emu
        self.http = requests.Session()

    def post(
        self,
        query: str,
        variables: Optional[dict[str, Any]] = None,
        *,
        operation: Optional[str] = None,
        path: str = "/gateway/api/graphql",
        headers: Optional[dict[str, str]] = None,
        params: Optional[dict[str, str]] = None,
        real_check: bool = True,
    ) -> requests.Response:
        if real_check:
            assert_valid_for_real_server(query)
        body: dict[str, Any] = {"query": query}
        if variables is not None:
            body["variables"] = variables
        if operation is not None:
            body["operationName"] = operation
        return self.http.post(
            self.emu.base_url + path,
            json=body,
            params={"accountId": self.emu.account_id} if params is None else params,
            headers={"X-Api-Key": self.emu.api_key} if headers is None else headers,
            timeout=10,
        )

    def gql(
        self, query: str, variables: Optional[dict[str, Any]] = None, **kw: Any
    ) -> dict[str, Any]:
        response = self.post(query, variables, **kw)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    def start_input(
        self,
        entity_id: str,
        execution_type: str = "WORKFLOW",
        app_id: str = DEMO_APP,
        variables: Optional[dict[str, str]] = None,
        services: Optional[list[dict[str, Any]]] = None,
        **extra: Any,
    ) -> dict[str, Any]:
        inp: dict[str, Any] = {
            "applicationId": app_id,
            "entityId": entity_id,
            "executionType": execution_type,
            **extra,
        }
        if variables is not None:
            inp["variableInputs"] = [
                {"name": k, "variableValue": {"type": "NAME", "value": v}}
                for k, v in variables.items()
            ]
        if services is not None:
            inp["serviceInputs"] = services
        return inp

    def start_raw(
        self, entity_id: str, execution_type: str = "WORKFLOW", **kw: Any
    ) -> dict[str, Any]:
        return self.gql(START, {"input": self.start_input(entity_id, execution_type, **kw)})

    def start(self, entity_id: str, execution_type: str = "WORKFLOW", **kw: Any) -> dict[str, Any]:
        body = self.start_raw(entity_id, execution_type, **kw)
        assert "errors" not in body, body
        execution: dict[str, Any] = body["data"]["startExecution"]["execution"]
        return execution

    def start_error(self, entity_id: str, execution_type: str = "WORKFLOW", **kw: Any) -> str:
        body = self.start_raw(entity_id, execution_type, **kw)
        assert body["data"] == {"startExecution": None}, body
        (error,) = body["errors"]
        assert error["path"] == ["startExecution"]
        prefix = "Exception while fetching data (/startExecution) : "
        assert error["message"].startswith(prefix), error
        return str(error["message"][len(prefix) :])

    def execution(self, execution_id: str) -> dict[str, Any]:
        body = self.gql(EXECUTION, {"id": execution_id})
        assert "errors" not in body, body
        execution: dict[str, Any] = body["data"]["execution"]
        return execution

    def status(self, execution_id: str) -> Optional[str]:
        status: Optional[str] = self.execution(execution_id)["status"]
        return status

    def abort(
        self,
        execution_id: str,
        app_id: str = DEMO_APP,
        body: Optional[dict[str, Any]] = None,
        prefix: str = "/gateway",
    ) -> requests.Response:
        return self.http.put(
            f"{self.emu.base_url}{prefix}/api/executions/{execution_id}",
            params={"appId": app_id, "accountId": self.emu.account_id},
            json=ABORT_BODY if body is None else body,
            headers={"X-Api-Key": self.emu.api_key},
            timeout=10,
        )


def guestbook_artifact(build: str = "v6") -> list[dict[str, Any]]:
    return [
        {
            "name": "guestbook",
            "artifactValueInput": {
                "valueType": "BUILD_NUMBER",
                "buildNumber": {"artifactSourceName": "guestbook", "buildNumber": build},
            },
        }
    ]


K8S_VARIABLES = {
    "Environment": "dev",
    "Service": "guestbook",
    "InfraDefinition_KUBERNETES": "k8s-dev",
}
