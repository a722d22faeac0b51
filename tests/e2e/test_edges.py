"""Edges of the gate's contract, each through the installed command against the emulator:
short deadlines under the default request budget, 429 pacing, an endpoint that never
answers, which deadline fired, --no-wait refusals, report paths and stdin/stdout."""

from __future__ import annotations

import json
import re
import socket
import subprocess
import time
import xml.etree.ElementTree as ET
from typing import Any

import pytest

from tests.e2e.conftest import FAST_START, GateRun, Workspace, gate_command, graphql_requests

LONG = """\
version: 1
application: Harness Demo
deployments:
  - name: slow
    workflow: Long Running Deployment
{extra}"""

TWO_IN_ORDER = """\
version: 1
application: Harness Demo
deployments:
  - name: a
    workflow: Smoke Test
  - name: b
    workflow: Smoke Test
"""

ONE = """\
version: 1
application: Harness Demo
deployments:
  - name: smoke
    workflow: Smoke Test
"""


def junit_cases(run: GateRun) -> dict[str, ET.Element]:
    root = ET.parse(run.junit).getroot()
    return {case.get("name", ""): case for case in root.iter("testcase")}


def closed_port() -> int:
    """A loopback port nothing listens on: bound, then closed."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


def timeout_line(run: GateRun) -> str:
    message = run.deployment("slow")["message"]
    assert isinstance(message, str)
    return message


# ---- a short deployment timeout under the default request budget --------------------------------


@pytest.mark.parametrize(
    ("timeout", "env", "named"),
    [
        ("3s", {}, "3"),
        ("5", {}, "5"),
        ("4s", {"GITHUB_ACTIONS": "true"}, "4"),
    ],
    ids=["3s", "bare-seconds", "github-actions"],
)
def test_short_deployment_timeout_under_default_budget_exits_4(
    ws: Workspace, timeout: str, env: dict[str, str], named: str
) -> None:
    spec = ws.spec(LONG.format(extra=f"    timeout: {timeout}\n"))
    extra = dict(env)
    if "GITHUB_ACTIONS" in extra:
        extra["GITHUB_OUTPUT"] = str(ws.tmp / "github-output")
        extra["GITHUB_STEP_SUMMARY"] = str(ws.tmp / "github-summary")
    run = ws.gate(
        "run", str(spec), *FAST_START, "--poll-interval", "1s", env=ws.env(**extra), fast=False
    )
    assert run.code == 4, run.stderr
    assert run.deployment("slow")["outcome"] == "timeout"
    message = timeout_line(run)
    assert re.search(rf"its timeout of {named}s passed", message), message
    assert "--timeout" not in message
    for wrong in ("could not talk to Harness", "request budget", "no request slot"):
        assert wrong not in run.stderr and wrong not in message
    assert "exit code 4" in run.stderr
    (execution,) = ws.emulator.executions()
    assert execution["status"] == "RUNNING"


SMOKE_THEN_LONG = """\
version: 1
application: Harness Demo
deployments:
  - name: first
    workflow: Smoke Test
  - name: slow
    workflow: Long Running Deployment
    timeout: 3s
"""


def test_short_timeout_of_a_later_deployment_counts_from_its_start(ws: Workspace) -> None:
    # Its start waits for a request slot longer than its 3 s timeout: the timeout only
    # counts once it has started.
    spec = ws.spec(SMOKE_THEN_LONG)
    run = ws.gate("run", str(spec), *FAST_START, fast=False)
    assert run.code == 4, run.stderr
    assert run.deployment("first")["outcome"] == "success"
    assert run.deployment("slow")["outcome"] == "timeout"
    assert re.search(r"its timeout of 3s passed", timeout_line(run)), run.stderr
    assert "request budget" not in run.stderr and "could not talk" not in run.stderr
    assert len(ws.emulator.executions()) == 2


def test_no_request_slot_before_the_run_timeout_is_a_timeout(ws: Workspace) -> None:
    spec = ws.spec(SMOKE_THEN_LONG)
    run = ws.gate("run", str(spec), *FAST_START, "--timeout", "11s", fast=False)
    assert run.code == 4, run.stderr
    slow = run.deployment("slow")
    assert slow["outcome"] in ("timeout", "skipped"), slow
    assert "the run's --timeout" in slow["message"]
    assert "could not start" not in run.stderr and "could not talk" not in run.stderr


PARALLEL_SHORT = """\
version: 1
application: Harness Demo
parallel: true
deployments:
  - name: a
    workflow: Long Running Deployment
    timeout: 3s
  - name: b
    workflow: K8s Rolling Deployment
    timeout: 3s
    artifacts:
      - {service: guestbook, source: guestbook, build: v6}
    variables: {Environment: dev, InfraDefinition_KUBERNETES: k8s-dev, Service: guestbook}
  - name: c
    pipeline: Guestbook Pipeline
    timeout: 3s
"""


def test_short_timeouts_in_parallel_under_default_budget(ws: Workspace) -> None:
    run = ws.gate("run", str(ws.spec(PARALLEL_SHORT)), *FAST_START, fast=False)
    assert run.code == 4, run.stderr
    for name in ("a", "b", "c"):
        d = run.deployment(name)
        assert d["outcome"] == "timeout", d
        assert d["message"].endswith("its timeout of 3s passed"), d
        assert "not started" not in d["message"]
    assert "request budget" not in run.stderr and "could not talk" not in run.stderr


# ---- 429 pacing ---------------------------------------------------------------------------------


def _times(ws: Workspace, operation: str) -> list[float]:
    return [r["wall"] for r in graphql_requests(ws.emulator) if r["operation"] == operation]


def test_two_429s_on_a_start_delay_it_by_less_than_ten_seconds(ws: Workspace) -> None:
    ws.emulator.add_fault("http_429", match="startExecution", count=2)
    run = ws.gate("run", str(ws.spec(ONE)), *FAST_START, "--poll-interval", "1s", fast=False)
    assert run.code == 0, run.stderr
    starts = _times(ws, "StartExecutions")
    assert len(starts) == 3, "two refused starts, then the one that started"
    assert starts[-1] - starts[0] < 10
    assert len(ws.emulator.executions()) == 1
    # Each logged wait is the one that follows: the next start goes no earlier than it says.
    waits = _logged_waits(run.stderr)
    assert len(waits) == 2, run.stderr
    for said, (before, after) in zip(waits, zip(starts, starts[1:])):
        assert said - 0.06 <= after - before < said + 2, (said, after - before)


def test_one_429_on_a_read_delays_the_next_read_by_less_than_ten_seconds(ws: Workspace) -> None:
    ws.emulator.add_fault("http_429", match="execution", count=1)
    run = ws.gate("run", str(ws.spec(ONE)), *FAST_START, "--poll-interval", "1s", fast=False)
    assert run.code == 0, run.stderr
    log = graphql_requests(ws.emulator)
    refused = next(i for i, r in enumerate(log) if r["fault"] == "http_429")
    following = log[refused + 1]
    assert following["wall"] - log[refused]["wall"] < 10
    (said,) = _logged_waits(run.stderr)
    gap = following["wall"] - log[refused]["wall"]
    assert said - 0.06 <= gap < said + 2, (said, gap)


def _logged_waits(stderr: str) -> list[float]:
    return [float(m) for m in re.findall(r"rate limit hit; next request in ([0-9.]+)s", stderr)]


# ---- an endpoint that never answers -------------------------------------------------------------


def test_unreachable_endpoint_exits_5_naming_it(ws: Workspace) -> None:
    endpoint = f"http://127.0.0.1:{closed_port()}/gateway"
    env = ws.env(HARNESS_ENDPOINT=endpoint)
    run = ws.gate(
        "run", str(ws.spec(ONE)), "--connect-timeout", "2s", env=env, fast=False, timeout=60
    )
    assert run.code == 5, run.stderr
    assert endpoint in run.stderr
    assert "nothing was started" in run.stderr
    assert run.deployment("smoke")["outcome"] == "error"
    assert "Traceback" not in run.stderr


def test_reads_keep_trying_until_the_deadline_once_executions_run(ws: Workspace) -> None:
    # The endpoint goes away once the execution has started: the gate keeps reading until
    # the deployment's deadline instead of giving up after --connect-timeout.
    spec = ws.spec(LONG.format(extra="    timeout: 3s\n"))
    proc, _junit, summary = ws.start(
        "run", str(spec), "--connect-timeout", "0.5s", log_to_file=True
    )
    try:
        end = time.monotonic() + 30
        while not ws.emulator.executions():
            assert proc.poll() is None and time.monotonic() < end
            time.sleep(0.02)
        ws.emulator.stop()
        proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    stderr = ws.stderr_path.read_text(encoding="utf-8")
    assert proc.returncode == 5, stderr
    (slow,) = json.loads(summary.read_text(encoding="utf-8"))["deployments"]
    assert slow["outcome"] == "error" and slow["execution_id"]
    assert slow["message"].startswith("status reads kept failing until the deadline"), slow
    assert "nothing was started" not in stderr
    assert len(re.findall(r"read execution status: could not connect; retry", stderr)) > 1, stderr


# ---- which deadline fired -----------------------------------------------------------------------


def test_run_timeout_is_named_as_the_runs(ws: Workspace) -> None:
    run = ws.gate("run", str(ws.spec(LONG.format(extra=""))), "--timeout", "1s")
    assert run.code == 4, run.stderr
    assert re.search(r"the run's --timeout of 1s passed", timeout_line(run))


def test_deployment_timeout_is_named_as_the_deployments(ws: Workspace) -> None:
    spec = ws.spec(LONG.format(extra="    timeout: 1s\n"))
    run = ws.gate("run", str(spec), "--timeout", "1h")
    assert run.code == 4, run.stderr
    message = timeout_line(run)
    assert re.search(r"its timeout of 1s passed", message) and "--timeout" not in message


# ---- --no-wait refused --------------------------------------------------------------------------


def test_no_wait_refused_on_an_ordered_spec_reports_errors_not_starts(ws: Workspace) -> None:
    run = ws.gate("run", str(ws.spec(TWO_IN_ORDER)), "--no-wait")
    assert run.code == 2, run.stderr
    cases = junit_cases(run)
    assert set(cases) == {"a", "b"}
    for case in cases.values():
        assert case.find("error") is not None, ET.tostring(case)
    assert run.summary["no_wait"] is False
    for case in cases.values():
        error = case.find("error")
        assert error is not None and (error.get("message") or "").startswith("not started: ")
        assert "execution id: (not started)" in (error.text or "")
    assert all(not d.get("execution_id") for d in run.summary["deployments"])
    assert all(d["outcome"] == "error" for d in run.summary["deployments"])
    assert ws.emulator.executions() == []
    assert not any(r["operation"] == "StartExecutions" for r in graphql_requests(ws.emulator))


# ---- report paths -------------------------------------------------------------------------------


def run_plain(ws: Workspace, *args: str, stdin: str = "", env: Any = None) -> GateRun:
    proc = subprocess.run(
        [*gate_command(), *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env if env is not None else ws.env(),
        cwd=ws.tmp,
        timeout=60,
    )
    return GateRun(proc.returncode, proc.stdout, proc.stderr, ws.tmp / "junit.xml", ws.tmp / "-")


FAST_ARGS = ["--poll-interval", "0.05s", "--max-rpm", "100000", *FAST_START]


def test_json_dash_prints_the_summary_on_stdout(ws: Workspace) -> None:
    spec = ws.spec(ONE)
    run = run_plain(ws, "run", str(spec), "--json", "-", "--junit", "j.xml", *FAST_ARGS)
    assert run.code == 0, run.stderr
    summary = json.loads(run.stdout)
    assert [d["name"] for d in summary["deployments"]] == ["smoke"]
    assert (ws.tmp / "j.xml").exists()
    assert not (ws.tmp / "-").exists()


def test_json_through_a_symlink_writes_its_target(ws: Workspace) -> None:
    target = ws.tmp / "reports" / "summary.json"
    target.parent.mkdir()
    target.write_text("old", encoding="utf-8")
    link = ws.tmp / "summary-link.json"
    link.symlink_to(target)
    spec = ws.spec(ONE)
    run = run_plain(ws, "run", str(spec), "--json", str(link), "--junit", "j.xml", *FAST_ARGS)
    assert run.code == 0, run.stderr
    assert link.is_symlink()
    assert json.loads(target.read_text(encoding="utf-8"))["deployments"][0]["name"] == "smoke"


def test_junit_dash_is_refused(ws: Workspace) -> None:
    run = run_plain(ws, "run", str(ws.spec(ONE)), "--junit", "-")
    assert run.code == 2
    assert "--junit -" in run.stderr and "Traceback" not in run.stderr
    assert ws.emulator.requests() == []


# ---- --only, stdin, -o json ---------------------------------------------------------------------

API_SPEC = """\
version: 1
application: Harness Demo
parallel: true
deployments:
  - name: api
    workflow: Smoke Test
  - name: web
    workflow: Guestbook Smoke Test
  - name: db
    workflow: Smoke Test
"""


def test_validate_only_takes_one_value_repeatable_and_comma_lists(ws: Workspace) -> None:
    spec = ws.spec(API_SPEC)
    ran = run_plain(ws, "validate", "--only", "api", str(spec))
    assert ran.code == 0, ran.stderr
    assert "api" in ran.stdout and "web" not in ran.stdout
    ran = run_plain(ws, "validate", "--only", "api", "--only", "web", str(spec))
    assert ran.code == 0, ran.stderr
    assert "web" in ran.stdout and "db" not in ran.stdout
    ran = run_plain(ws, "validate", "--only", "api,db", str(spec))
    assert ran.code == 0, ran.stderr
    assert "db" in ran.stdout and "web" not in ran.stdout


def test_run_reads_the_spec_from_stdin(ws: Workspace) -> None:
    run = run_plain(ws, "run", "-", "--junit", "j.xml", *FAST_ARGS, stdin=ONE)
    assert run.code == 0, run.stderr
    assert len(ws.emulator.executions()) == 1
    assert ET.parse(ws.tmp / "j.xml").getroot().find(".//testcase") is not None
    for command in ("validate", "plan"):
        ran = run_plain(ws, command, "-", stdin=ONE)
        assert ran.code == 0, ran.stderr
        assert "smoke" in ran.stdout
    assert len(ws.emulator.executions()) == 1, "plan starts nothing"


def test_json_dash_and_output_json_print_one_summary(ws: Workspace) -> None:
    spec = ws.spec(ONE)
    run = run_plain(
        ws, "run", str(spec), "-o", "json", "--json", "-", "--junit", "j.xml", *FAST_ARGS
    )
    assert run.code == 0, run.stderr
    assert json.loads(run.stdout)["exit_code"] == 0


def test_output_json_is_json_on_stdout_and_the_log_on_stderr(ws: Workspace) -> None:
    run = run_plain(ws, "run", str(ws.spec(ONE)), "-o", "json", "--junit", "j.xml", *FAST_ARGS)
    assert run.code == 0, run.stderr
    summary = json.loads(run.stdout)
    assert summary["deployments"][0]["outcome"] == "success"
    assert "smoke" in run.stderr


# ---- help and internal errors -------------------------------------------------------------------


def test_plan_help_lists_plans_own_exit_codes(ws: Workspace) -> None:
    plan = run_plain(ws, "plan", "--help")
    assert plan.code == 0
    codes = plan.stdout.split("exit codes:")[1]
    assert "  3 " in codes and "  5 " in codes
    assert "  1 " not in codes and "  4 " not in codes
    wait = run_plain(ws, "wait", "--help")
    assert "EXECUTION_ID" in wait.stdout


@pytest.mark.parametrize("command", ["plan", "validate"])
def test_internal_error_is_one_line(ws: Workspace, command: str, tmp_path: Any) -> None:
    # A sitecustomize that breaks the spec loader from inside: a bug, not a user error.
    hook = tmp_path / "hook"
    hook.mkdir()
    (hook / "sitecustomize.py").write_text(
        "import harness_gate.spec as s\n"
        "def boom(*a, **k):\n"
        "    raise RuntimeError('boom')\n"
        "s.select_deployments = boom\n",
        encoding="utf-8",
    )
    env = ws.env(PYTHONPATH=str(hook))
    ran = run_plain(ws, command, str(ws.spec(ONE)), env=env)
    assert ran.code == 70, ran.stderr
    assert "Traceback" not in ran.stderr
    lines = [line for line in ran.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, ran.stderr
    assert "internal error" in lines[0] and "boom" in lines[0]


def test_readme_documents_output_stdin_completion_and_schema() -> None:
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    for text in (
        "-o json",
        "--json -",
        "harness-gate run - < deploy.yaml",
        "harness-gate completion bash",
        "harness-gate completion zsh",
        "harness-gate completion fish",
        "harness-gate schema > deploy-spec.schema.json",
        "# yaml-language-server: $schema=./deploy-spec.schema.json",
        "--connect-timeout",
    ):
        assert text in readme, text


def test_wait_timeout_is_named_as_the_runs(ws: Workspace) -> None:
    started = ws.gate("run", str(ws.spec(LONG.format(extra=""))), "--no-wait")
    assert started.code == 0, started.stderr
    (execution,) = ws.emulator.executions()
    run = ws.gate("wait", execution["id"], "--timeout", "1s")
    assert run.code == 4, run.stderr
    (only,) = run.summary["deployments"]
    assert re.search(r"the run's --timeout of 1s passed", only["message"]), only
