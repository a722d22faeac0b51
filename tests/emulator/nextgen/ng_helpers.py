"""A small NextGen REST client for the emulator tests, over real HTTP on loopback."""

from __future__ import annotations

from typing import Any, Optional

import requests

from harness_gate.emulator import Emulator

ORG = "default"
PROJECT = "harness_gate"

RUNTIME_YAML = """pipeline:
  identifier: deploy_guestbook
  stages:
    - stage:
        identifier: deploy
        type: Deployment
        spec:
          service:
            serviceRef: guestbook
          environment:
            infrastructureDefinitions: k8s_dev
  variables:
    - name: region
      type: String
      value: us-east-1
"""


class Ng:
    """Talks to the emulator's pipeline-service routes like a NextGen gate would."""

    def __init__(
        self,
        emu: Emulator,
        token: Optional[str] = None,
        prefix: str = "/gateway/pipeline/api",
        org: str = ORG,
        project: str = PROJECT,
    ) -> None:
        self.emu = emu
        env = emu.ng_env()
        self.token = token or env["HARNESS_NG_API_KEY"]
        self.account = env["HARNESS_ACCOUNT_ID"]
        self.base = emu.base_url + prefix
        self.org = org
        self.project = project
        self.http = requests.Session()

    def scope(self, **extra: Any) -> dict[str, Any]:
        params: dict[str, Any] = {
            "accountIdentifier": self.account,
            "orgIdentifier": self.org,
            "projectIdentifier": self.project,
        }
        params.update({k: v for k, v in extra.items() if v is not None})
        return params

    def headers(self, **extra: str) -> dict[str, str]:
        return {"x-api-key": self.token, "Harness-Account": self.account, **extra}

    def call(
        self,
        method: str,
        path: str,
        params: Optional[dict[str, Any]] = None,
        headers: Optional[dict[str, str]] = None,
        **kw: Any,
    ) -> requests.Response:
        return self.http.request(
            method,
            self.base + path,
            params=self.scope() if params is None else params,
            headers=self.headers() if headers is None else headers,
            timeout=10,
            **kw,
        )

    def ok(self, method: str, path: str, **kw: Any) -> Any:
        response = self.call(method, path, **kw)
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["status"] == "SUCCESS"
        return body["data"]

    def start_raw(
        self, pipeline: str, text: str = "", content_type: str = "application/yaml", **params: Any
    ) -> requests.Response:
        return self.call(
            "POST",
            f"/pipeline/execute/{pipeline}",
            params=self.scope(**params),
            headers=self.headers(**{"Content-Type": content_type}),
            data=text.encode(),
        )

    def start(self, pipeline: str, text: str = "", **params: Any) -> dict[str, Any]:
        response = self.start_raw(pipeline, text, **params)
        assert response.status_code == 200, response.text
        plan: dict[str, Any] = response.json()["data"]["planExecution"]
        return plan

    def summary(self, execution_id: str, **params: Any) -> dict[str, Any]:
        data = self.ok(
            "GET", f"/pipelines/execution/v2/{execution_id}", params=self.scope(**params)
        )
        summary: dict[str, Any] = data["pipelineExecutionSummary"]
        return summary

    def status(self, execution_id: str) -> str:
        return str(self.summary(execution_id)["status"])

    def stages(self, execution_id: str) -> dict[str, dict[str, Any]]:
        layout = self.summary(execution_id)["layoutNodeMap"]
        return {node["nodeIdentifier"]: node for node in layout.values()}

    def abort(self, execution_id: str, kind: str = "AbortAll") -> requests.Response:
        return self.call(
            "PUT",
            f"/pipeline/execute/interrupt/{execution_id}",
            params=self.scope(interruptType=kind),
        )

    def record(self, execution_id: str) -> dict[str, Any]:
        return next(r for r in self.emu.nextgen.execution_dicts() if r["id"] == execution_id)
