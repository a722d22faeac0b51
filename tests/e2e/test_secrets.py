"""The API key occurs in no output and no file, in any scenario, even with --verbose and even
when the server echoes the request (headers included) back in its error."""

from __future__ import annotations

import http.server
import json
import signal
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.conftest import Workspace

OK = "  - name: ok\n    workflow: Smoke Test\n"
FAILING = "  - name: broken\n    workflow: Failing Deployment\n"
SLOW = "  - name: slow\n    workflow: Long Running Deployment\n    timeout: 1s\n"


def spec(*deployments: str) -> str:
    return "version: 1\napplication: Harness Demo\nparallel: true\ndeployments:\n" + "".join(
        deployments
    )


def every_file_text(root: Path) -> str:
    return "\n".join(
        p.read_text(encoding="utf-8", errors="replace") for p in root.rglob("*") if p.is_file()
    )


def ci_env(ws: Workspace) -> dict[str, str]:
    out = ws.tmp / "github-output"
    summary = ws.tmp / "step-summary"
    return ws.env(GITHUB_ACTIONS="true", GITHUB_OUTPUT=str(out), GITHUB_STEP_SUMMARY=str(summary))


SCENARIOS = {
    "success": (spec(OK), None),
    "failure": (spec(OK, FAILING), None),
    "timeout-abort": (spec(SLOW), None),
    "spec-error": ("version: 1\ndeployments: [{name: x}]\n", None),
    "server-errors": (spec(OK), ("http_500", "*", 3)),
    "lost-start": (spec(OK), ("drop", "startExecution", 1)),
}


@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_key_never_appears(ws: Workspace, scenario: str) -> None:
    text, fault = SCENARIOS[scenario]
    if fault:
        kind, match, count = fault
        ws.emulator.add_fault(kind, match=match, count=count, process=True)
    key = ws.emulator.api_key
    run = ws.gate(
        "run",
        str(ws.spec(text)),
        "--verbose",
        "--abort-on-exit",
        "--dotenv",
        str(ws.tmp / "gate.env"),
        env=ci_env(ws),
    )
    assert run.code in (0, 1, 2, 4), run.stderr
    assert "debug:" in run.stderr or scenario == "spec-error"  # verbose logging was on
    assert key not in run.stdout and key not in run.stderr
    assert key not in every_file_text(ws.tmp)


def test_key_from_file_and_wrong_key(ws: Workspace) -> None:
    key_file = ws.tmp / "secret" / "key"
    key_file.parent.mkdir()
    key_file.write_text(ws.emulator.api_key + "\n")
    env = ws.env()
    del env["HARNESS_API_KEY"]
    env["HARNESS_API_KEY_FILE"] = str(key_file)
    run = ws.gate("run", str(ws.spec(spec(OK))), "--verbose", env=env)
    assert run.code == 0, run.stderr
    assert ws.emulator.api_key not in run.stderr
    wrong = "V3JvbmdBY2NvdW50OjpzZWNyZXRzZWNyZXRzZWNyZXQ="
    run = ws.gate(
        "run", str(ws.spec(spec(OK), "w.yaml")), "--verbose", env=ws.env(HARNESS_API_KEY=wrong)
    )
    assert run.code == 5
    assert wrong not in run.stderr and wrong not in run.junit.read_text(encoding="utf-8")


def test_interrupted_run_leaks_nothing(ws: Workspace) -> None:
    proc, _junit, _summary = ws.start(
        "run", str(ws.spec(spec(SLOW.replace("1s", "1h")))), "--verbose", log_to_file=True
    )
    out, err, _took = ws.interrupt_when(proc, lambda: bool(ws.emulator.executions()), signal.SIGINT)
    assert proc.returncode == 130
    key = ws.emulator.api_key
    assert key not in out and key not in err
    assert key not in every_file_text(ws.tmp)


class _EchoHandler(http.server.BaseHTTPRequestHandler):
    """A hostile server that echoes the whole request, headers included, in its errors."""

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode("utf-8", "replace")
        echo = f"bad request: headers {dict(self.headers)} body {body}"
        if "ResolveApplications" in body:
            payload = {"data": {"a0": None}, "errors": [{"message": echo, "path": ["a0"]}]}
            data = json.dumps(payload).encode()
            self.send_response(200)
        else:
            data = echo.encode()
            self.send_response(400)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *_args: object) -> None:
        pass


@pytest.fixture
def echo_server() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _EchoHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/gateway/api/graphql"
    server.shutdown()
    server.server_close()


def test_echoed_key_is_redacted(ws: Workspace, echo_server: str) -> None:
    key = ws.emulator.api_key
    env = ci_env(ws)
    env["HARNESS_ENDPOINT"] = echo_server
    run = ws.gate("run", str(ws.spec(spec(OK))), "--verbose", env=env)
    assert run.code == 3, run.stderr
    assert "bad request: headers" in run.stderr  # the echo was shown...
    assert "***" in run.stderr
    assert key not in run.stdout and key not in run.stderr  # ...with the key redacted
    assert key not in every_file_text(ws.tmp)
