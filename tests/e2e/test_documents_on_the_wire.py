"""Every GraphQL document the gate sends, as it goes over the wire, validates against the real
Harness schema (../shared/harness-graphql-schema).

A recording proxy sits between the real CLI and the emulator; the runs below make the gate
send each kind of document it has (resolve, start with artifacts, Helm charts, parameterized
sources and runtime inputs, status reads, lookups of a lost start, resumes, approval reads).
"""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from harness_gate.emulator import Emulator
from harness_gate.platforms.firstgen import documents
from tests.e2e.conftest import Workspace
from tests.shared_schema import load_real_schema

# The operation name of each builder in documents.ALL_BUILDERS.
OPERATIONS = {
    "ResolveApplications",
    "ResolveEntities",
    "ExecutionInputs",
    "StartExecutions",
    "ExecutionStatuses",
    "FindStartedExecutions",
    "ResumePipelineStages",
    "PendingApprovals",
}

SPEC = """\
version: 1
application: Gate Lab
parallel: true
deployments:
  - name: chart
    workflow: Helm Deploy
    manifests:
      - {service: guestbook, manifest: guestbook-chart, version: "0.2.0"}
  - name: chart-id
    pipeline: Helm Release
    manifests:
      - {service: guestbook, manifest: guestbook-chart, chart_id: GateLabChartVersion0010}
  - name: nexus
    workflow: Nexus Deploy
    artifacts:
      - service: guestbook-nexus
        source: guestbook-params
        build: "1.0.0"
        parameters: {repo: guestbook, path: releases}
  - name: ci
    workflow: CI Deploy
    artifacts:
      - {service: guestbook-ci, source: jenkins-guestbook, build: "100"}
  - name: inputs
    pipeline: Runtime Inputs Pipeline
    variables: {region: eu-west-1, replicas: "4", ticket: CHG-1}
  - name: defaults
    pipeline: Runtime Inputs Pipeline
    variables: {region: us-east-1}
    continue_with_default_values: true
  - name: runtime-service
    pipeline: Runtime Service Pipeline
    variables: {svc: guestbook-ci}
    artifacts:
      - {service: guestbook-ci, source: jenkins-guestbook, build: "100"}
  - name: by-hand
    workflow: Manual Pause Deployment
  - name: env
    workflow: Env Choice Deploy
    variables: {Environment: qa}
"""


class Recorder:
    def __init__(self, upstream: str) -> None:
        self.upstream = upstream
        self.bodies: list[dict[str, Any]] = []
        self.lock = threading.Lock()
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _forward(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                if self.command == "POST" and "graphql" in self.path and body:
                    with recorder.lock:
                        recorder.bodies.append(json.loads(body))
                headers = {
                    k: v for k, v in self.headers.items() if k.lower() not in ("host", "connection")
                }
                request = urllib.request.Request(
                    recorder.upstream + self.path, data=body, headers=headers, method=self.command
                )
                try:
                    with urllib.request.urlopen(request, timeout=30) as reply:
                        status, payload, kind = reply.status, reply.read(), reply.headers
                except urllib.error.HTTPError as exc:
                    status, payload, kind = exc.code, exc.read(), exc.headers
                self.send_response(status)
                self.send_header("Content-Type", kind.get("Content-Type", "application/json"))
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_POST = do_PUT = do_GET = _forward

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/gateway/api/graphql"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def recorded(tmp_path: Path) -> Iterator[tuple[Workspace, Recorder]]:
    # A minute of fixture time in a second: a pause by hand lasts long enough to be read.
    with Emulator(time_scale=60, rate_limit=None) as emu:
        recorder = Recorder(emu.base_url)
        try:
            yield Workspace(tmp_path, emu), recorder
        finally:
            recorder.close()


def test_every_document_the_gate_sends_is_valid_for_the_real_schema(
    recorded: tuple[Workspace, Recorder],
) -> None:
    schema, check_query = load_real_schema()
    ws, recorder = recorded
    env = ws.env(HARNESS_ENDPOINT=recorder.endpoint)
    ws.emulator.add_fault("drop", match="startExecution", process=True)  # lookups too
    run = ws.gate("run", str(ws.spec(SPEC)), env=env)
    assert run.code == 0, run.stderr
    sent = {body["operationName"] for body in recorder.bodies}
    assert sent == OPERATIONS
    assert len(OPERATIONS) == len(documents.ALL_BUILDERS)
    resumes = [b for b in recorder.bodies if b["operationName"] == "ResumePipelineStages"]
    assert any("serviceInputs" in v for b in resumes for v in b["variables"].values())
    for body in recorder.bodies:
        problems = check_query(schema, body["query"], body.get("variables"))
        assert problems == [], (body["operationName"], problems, body["query"])
