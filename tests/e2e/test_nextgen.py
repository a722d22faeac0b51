"""`harness-gate run`/`wait`/`plan` on `platform: nextgen`, end to end: the installed command
against the emulator's pipeline-service routes over loopback HTTP.

The emulator here runs two minutes of fixture time per real second (approvals wait 30
fixture minutes: 15 s here, time enough to decide one), with the default fixture plus one
pipeline whose stage takes its primary artifact tag as a runtime input.
"""

from __future__ import annotations

import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Callable, Optional

import pytest
import requests
import yaml

from harness_gate.emulator import Emulator
from tests.e2e.conftest import GateRun, Workspace

NG_TIME_SCALE = 120.0
FIXTURE = Path(__file__).resolve().parents[2] / "harness_gate/emulator/fixtures/default.yaml"

TAGGED_PIPELINE = """\
pipeline:
  name: Deploy Tagged
  identifier: deploy_tagged
  projectIdentifier: harness_gate
  orgIdentifier: default
  stages:
    - stage:
        name: Deploy
        identifier: deploy
        type: Deployment
        spec:
          deploymentType: Kubernetes
          service:
            serviceRef: <+input>
            serviceInputs:
              serviceDefinition:
                type: Kubernetes
                spec:
                  artifacts:
                    primary:
                      primaryArtifactRef: guestbook_image
                      sources:
                        - identifier: guestbook_image
                          type: DockerRegistry
                          spec:
                            tag: <+input>
          environment:
            environmentRef: <+input>.default(dev)
            infrastructureDefinitions: <+input>
          execution:
            steps:
              - step:
                  name: Rollout
                  identifier: rollout
                  type: K8sRollingDeploy
                  timeout: 10m
  variables:
    - name: region
      type: String
      value: <+input>.allowedValues(us-east-1,eu-west-1)
    - name: version
      type: String
      value: <+input>.default(1.0.0)
"""


def fixture() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(FIXTURE.read_text(encoding="utf-8"))
    project = data["nextgen"]["organizations"][0]["projects"][0]
    project["pipelines"].append(
        {
            "identifier": "deploy_tagged",
            "name": "Deploy Tagged",
            "yaml": TAGGED_PIPELINE,
            "stages": {"deploy": {"duration": "30s"}},
            "input_sets": [
                {
                    "identifier": "guestbook_service",
                    "name": "Guestbook service",
                    "yaml": (
                        "inputSet:\n  identifier: guestbook_service\n  pipeline:\n"
                        "    identifier: deploy_tagged\n    stages:\n      - stage:\n"
                        "          identifier: deploy\n          type: Deployment\n"
                        "          spec:\n            service:\n"
                        "              serviceRef: guestbook\n"
                    ),
                }
            ],
        }
    )
    return data


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    with Emulator(fixture(), time_scale=NG_TIME_SCALE, rate_limit=None) as emu:
        yield emu


def ng_env(ws: Workspace, **extra: str) -> dict[str, str]:
    """The workspace's environment with the emulator's NextGen token (a PAT)."""
    return ws.env(**{"HARNESS_API_KEY": ws.emulator.ng_env()["HARNESS_NG_API_KEY"], **extra})


def ng_spec(ws: Workspace, deployments: str, parallel: bool = True, extra: str = "") -> str:
    text = (
        "version: 1\nplatform: nextgen\norg: default\nproject: harness_gate\n"
        f"parallel: {str(parallel).lower()}\n{extra}deployments:\n{deployments}"
    )
    return str(ws.spec(text))


def one(name: str, pipeline: str, extra: str = "") -> str:
    return f"  - name: {name}\n    pipeline: {pipeline}\n{extra}"


def run_ng(ws: Workspace, spec: str, *args: str, timeout: float = 60) -> GateRun:
    return ws.gate("run", spec, *args, env=ng_env(ws), timeout=timeout)


def runs(ws: Workspace) -> list[dict[str, Any]]:
    return ws.emulator.nextgen.execution_dicts()


def ng_requests(ws: Workspace) -> list[dict[str, Any]]:
    return [r for r in ws.emulator.requests() if r["kind"] == "nextgen"]


def cases(run: GateRun) -> dict[str, ET.Element]:
    root = ET.parse(run.junit).getroot()
    return {c.get("name", ""): c for c in root.iter("testcase")}


def wait_until(condition: Callable[[], Any], limit: float = 30) -> Any:
    end = time.monotonic() + limit
    while time.monotonic() < end:
        value = condition()
        if value:
            return value
        time.sleep(0.02)
    pytest.fail("the condition never held")


def run_status(ws: Workspace, status: str) -> Optional[dict[str, Any]]:
    return next((r for r in runs(ws) if r["status"] == status), None)


# ---- the happy path and the verdicts ---------------------------------------------------


def test_success_reports_org_project_pipeline(ws: Workspace) -> None:
    run = run_ng(ws, ng_spec(ws, one("smoke", "smoke_test")))
    assert run.code == 0, run.stderr
    (execution,) = runs(ws)
    assert execution["pipeline"] == "smoke_test" and execution["status"] == "Success"
    smoke = run.deployment("smoke")
    assert smoke["outcome"] == "success"
    assert smoke["execution_id"] == execution["id"]
    assert smoke["url"].endswith(
        f"/ng/account/{ws.emulator.account_id}/cd/orgs/default/projects/harness_gate"
        f"/pipelines/smoke_test/executions/{execution['id']}/pipeline"
    )
    assert cases(run)["smoke"].get("classname") == "harness.default.harness_gate.smoke_test"
    # Every call carries the account as header and query, and the marker rides in the notes.
    for record in ng_requests(ws):
        assert record["variables"]["params"]["accountIdentifier"] == ws.emulator.account_id
    assert "harness-gate" in (execution["notes"] or "")


def test_failure_names_the_failing_stage(ws: Workspace) -> None:
    run = run_ng(ws, ng_spec(ws, one("broken", "failing_deploy")))
    assert run.code == 1, run.stderr
    broken = run.deployment("broken")
    assert broken["outcome"] == "failure"
    assert "Failed" in broken["message"] and "stage Deploy (deploy)" in broken["message"]
    assert "CrashLoopBackOff" in broken["message"]
    failure = cases(run)["broken"].find("failure")
    assert failure is not None and "CrashLoopBackOff" in (failure.text or "")


def test_variables_artifact_input_set_and_inputs_merge_in_order(ws: Workspace) -> None:
    deployment = one(
        "tagged",
        "deploy_tagged",
        "    variables: {region: eu-west-1}\n"
        "    artifacts:\n      - {stage: deploy, tag: '1.4.2'}\n"
        "    input_sets: [guestbook_service]\n"
        "    inputs: |\n"
        "      pipeline:\n"
        "        identifier: deploy_tagged\n"
        "        stages:\n"
        "          - stage:\n"
        "              identifier: deploy\n"
        "              type: Deployment\n"
        "              spec:\n"
        "                environment:\n"
        "                  infrastructureDefinitions: k8s_dev\n",
    )
    run = run_ng(ws, ng_spec(ws, deployment))
    assert run.code == 0, run.stderr
    (execution,) = runs(ws)
    assert execution["operation"] == "postPipelineExecuteWithInputSetList"
    assert execution["input_set_refs"] == ["guestbook_service"]
    deploy = "pipeline.stages.deploy.spec"
    tag = f"{deploy}.service.serviceInputs.serviceDefinition.spec.artifacts.primary.sources"
    assert execution["resolved_inputs"] == {
        f"{deploy}.service.serviceRef": "guestbook",  # from the input set
        f"{tag}.guestbook_image.spec.tag": "1.4.2",  # artifacts:
        f"{deploy}.environment.environmentRef": "dev",  # its default
        f"{deploy}.environment.infrastructureDefinitions": "k8s_dev",  # inputs:
        "pipeline.variables.region.value": "eu-west-1",  # variables:
        "pipeline.variables.version.value": "1.0.0",  # its default
    }
    merged = yaml.safe_load(execution["merged_yaml"])
    assert merged["pipeline"]["identifier"] == "deploy_tagged"
    assert execution["missing_inputs"] == [] and not execution["body_ignored"]


def test_inputs_override_variables(ws: Workspace) -> None:
    deployment = one(
        "tagged",
        "deploy_tagged",
        "    variables: {region: eu-west-1}\n"
        "    artifacts:\n      - {stage: deploy, tag: '2.0.0'}\n"
        "    input_sets: [guestbook_service]\n"
        "    inputs: |\n"
        "      pipeline:\n"
        "        identifier: deploy_tagged\n"
        "        stages:\n"
        "          - stage:\n"
        "              identifier: deploy\n"
        "              type: Deployment\n"
        "              spec:\n"
        "                environment:\n"
        "                  infrastructureDefinitions: k8s_dev\n"
        "        variables:\n"
        "          - name: region\n"
        "            type: String\n"
        "            value: us-east-1\n",
    )
    run = run_ng(ws, ng_spec(ws, deployment))
    assert run.code == 0, run.stderr
    (execution,) = runs(ws)
    assert execution["resolved_inputs"]["pipeline.variables.region.value"] == "us-east-1"


def test_unfilled_input_is_a_resolution_failure_and_nothing_starts(ws: Workspace) -> None:
    run = run_ng(ws, ng_spec(ws, one("guestbook", "deploy_guestbook") + one("smoke", "smoke_test")))
    assert run.code == 3, run.stderr
    assert runs(ws) == []
    message = run.deployment("guestbook")["message"]
    for fqn in (
        "pipeline.stages.deploy.spec.service.serviceRef",
        "pipeline.stages.deploy.spec.environment.infrastructureDefinitions",
        "pipeline.variables.region.value",
    ):
        assert fqn in message
    assert "environmentRef" not in message  # it has a default
    assert run.deployment("smoke")["outcome"] == "skipped"
    assert not [r for r in ng_requests(ws) if "execute" in r["fields"]]


def test_value_outside_allowed_values_is_a_resolution_failure(ws: Workspace) -> None:
    extra = "    input_sets: [guestbook_dev]\n    variables: {region: mars-north-1}\n"
    run = run_ng(ws, ng_spec(ws, one("guestbook", "deploy_guestbook", extra)))
    assert run.code == 3, run.stderr
    assert runs(ws) == []
    message = run.deployment("guestbook")["message"]
    assert "pipeline.variables.region.value" in message and "mars-north-1" in message


def test_unknown_input_set_and_variable_are_named(ws: Workspace) -> None:
    extra = "    input_sets: [no_such_set]\n    variables: {colour: blue}\n"
    run = run_ng(ws, ng_spec(ws, one("guestbook", "deploy_guestbook", extra)))
    assert run.code == 3, run.stderr
    assert "colour" in run.deployment("guestbook")["message"]
    extra = "    input_sets: [no_such_set, guestbook_dev]\n    variables: {region: eu-west-1}\n"
    run = run_ng(ws, ng_spec(ws, one("guestbook", "deploy_guestbook", extra)))
    assert run.code == 3, run.stderr
    assert "no_such_set" in run.deployment("guestbook")["message"]
    assert runs(ws) == []


def test_pipeline_by_exact_name_and_ambiguous_names(ws: Workspace) -> None:
    named = "  - name: smoke\n    pipeline_name: Smoke Test\n"
    run = run_ng(ws, ng_spec(ws, named))
    assert run.code == 0, run.stderr
    assert [r["pipeline"] for r in runs(ws)] == ["smoke_test"]
    twice = "  - name: legacy\n    pipeline_name: Legacy Deploy\n"
    run = run_ng(ws, ng_spec(ws, twice))
    assert run.code == 3, run.stderr
    message = run.deployment("legacy")["message"]
    assert "legacy_deploy" in message and "legacy_deploy_v2" in message


@pytest.mark.parametrize(
    ("pipeline", "why"),
    [
        ("no_such_pipeline", "not found"),
        ("draft_pipeline", "draft"),
        ("invalid_pipeline", "not valid"),
    ],
)
def test_pipelines_that_cannot_run_fail_resolution(ws: Workspace, pipeline: str, why: str) -> None:
    run = run_ng(ws, ng_spec(ws, one("it", pipeline)))
    assert run.code == 3, run.stderr
    assert why in run.deployment("it")["message"]
    assert runs(ws) == []


def test_opa_deny_fails_with_the_policy_words(ws: Workspace) -> None:
    run = run_ng(ws, ng_spec(ws, one("denied", "opa_denied")))
    assert run.code == 1, run.stderr
    (execution,) = runs(ws)
    denied = run.deployment("denied")
    assert denied["outcome"] == "failure" and denied["status"] == "Errored"
    assert "Production deployments need an approval stage" in denied["message"]
    # The 200 with ERRORED is the verdict: no status read was needed.
    assert not [r for r in ng_requests(ws) if r["operation"] == "getExecutionDetailV2"]
    assert execution["id"] == denied["execution_id"]


def test_missing_execute_permission_is_a_refusal(ws: Workspace) -> None:
    run = run_ng(ws, ng_spec(ws, one("restricted", "restricted_deploy")))
    assert run.code == 3, run.stderr  # refused before anything started
    assert "core_pipeline_execute" in run.deployment("restricted")["message"]
    assert runs(ws) == []


EVERY_TERMINAL = [
    ("smoke_test", 0, "success", "Success"),
    ("ignore_failed", 0, "success", "IgnoreFailed"),
    ("suspended_run", 0, "success", "Suspended"),
    ("skipped_run", 0, "skipped", "Skipped"),
    ("failing_deploy", 1, "failure", "Failed"),
    ("erroring_deploy", 1, "failure", "Errored"),
    ("aborted_deploy", 1, "failure", "Aborted"),
    ("expiring_approval", 1, "failure", "Expired"),
    ("rejected_release", 1, "failure", "ApprovalRejected"),
    ("frozen_deploy", 1, "failure", "AbortedByFreeze"),
]


@pytest.mark.parametrize(("pipeline", "code", "outcome", "status"), EVERY_TERMINAL)
def test_every_terminal_status(
    ws: Workspace, pipeline: str, code: int, outcome: str, status: str
) -> None:
    run = run_ng(ws, ng_spec(ws, one("it", pipeline)))
    assert run.code == code, run.stderr
    it = run.deployment("it")
    assert (it["outcome"], it["status"]) == (outcome, status)
    if status in ("IgnoreFailed", "Suspended"):
        assert status in it["message"]


def test_all_terminal_statuses_in_one_parallel_run(ws: Workspace) -> None:
    spec = ng_spec(ws, "".join(one(f"d{i}", p) for i, (p, *_rest) in enumerate(EVERY_TERMINAL)))
    run = run_ng(ws, spec)
    assert run.code == 1, run.stderr
    got = {d["name"]: d["status"] for d in run.summary["deployments"]}
    assert got == {f"d{i}": status for i, (*_rest, status) in enumerate(EVERY_TERMINAL)}
    assert len(runs(ws)) == len(EVERY_TERMINAL)


# ---- humans ------------------------------------------------------------------------------


def decide(ws: Workspace, execution_id: str, action: str) -> None:
    reply = requests.post(
        ws.emulator.base_url + "/_emulator/nextgen/decide",
        json={"execution_id": execution_id, "action": action},
        timeout=10,
    )
    assert reply.status_code == 200, reply.text


@pytest.mark.parametrize(
    ("action", "code", "status"), [("approve", 0, "Success"), ("reject", 1, "ApprovalRejected")]
)
def test_approval_waiting_then_decided(ws: Workspace, action: str, code: int, status: str) -> None:
    proc, _junit, summary = ws.start(
        "run", ng_spec(ws, one("release", "release_approval")), env=ng_env(ws), log_to_file=True
    )
    waiting = wait_until(lambda: run_status(ws, "ApprovalWaiting"))
    wait_until(lambda: ws.logged("waiting for approval"))
    decide(ws, waiting["id"], action)
    proc.communicate(timeout=60)
    assert proc.returncode == code, ws.stderr_path.read_text(encoding="utf-8")
    run = GateRun(proc.returncode, "", "", _junit, summary)
    release = run.deployment("release")
    assert release["status"] == status
    notes = [change["note"] for change in release["timeline"]]
    assert any("waiting for approval" in n and "Approve Release" in n for n in notes), notes


def test_waiting_for_input_is_a_humans_job_and_fails_the_gate(ws: Workspace) -> None:
    run = run_ng(ws, ng_spec(ws, one("inputs", "execution_input")))
    assert run.code == 1, run.stderr
    message = run.deployment("inputs")["message"]
    assert "execution-time input" in message and "stage Deploy" in message


def test_execution_input_given_at_start_never_waits(ws: Workspace) -> None:
    extra = (
        "    inputs: |\n      pipeline:\n        identifier: execution_input\n"
        "        stages:\n          - stage:\n              identifier: deploy\n"
        "              type: Custom\n              variables:\n"
        "                - name: tag\n                  type: String\n"
        "                  value: '1.4.2'\n"
    )
    run = run_ng(ws, ng_spec(ws, one("inputs", "execution_input", extra)))
    assert run.code == 0, run.stderr


# ---- exactly once, timeouts, signals, rate limits ------------------------------------------


def test_lost_start_answer_is_found_by_its_marker_not_sent_again(ws: Workspace) -> None:
    ws.emulator.add_fault("drop", match="execute", process=True)
    run = run_ng(ws, ng_spec(ws, one("smoke", "smoke_test")), "--request-timeout", "2s")
    assert run.code == 0, run.stderr
    (execution,) = runs(ws)
    assert run.deployment("smoke")["execution_id"] == execution["id"]
    assert "found the execution the lost start created" in run.stderr
    operations = [r["operation"] for r in ng_requests(ws)]
    assert operations.count("postPipelineExecuteWithInputSetYaml") == 1
    assert "getNotesForExecution" in operations


def test_start_refused_before_processing_is_sent_again_after_lookups_agree(ws: Workspace) -> None:
    ws.emulator.add_fault("http_502", match="execute")
    run = run_ng(ws, ng_spec(ws, one("smoke", "smoke_test")), "--request-timeout", "1s")
    assert run.code == 0, run.stderr
    assert len(runs(ws)) == 1
    operations = [r["operation"] for r in ng_requests(ws)]
    assert operations.count("getListOfExecutions") >= 3  # the lookups over the window
    assert "sending the start again" in run.stderr


def test_timeout_leaves_the_run_without_abort_on_exit(ws: Workspace) -> None:
    run = run_ng(ws, ng_spec(ws, one("long", "long_running", "    timeout: 1s\n")))
    assert run.code == 4, run.stderr
    (execution,) = runs(ws)
    assert not execution["aborted"]
    assert "left running" in " ".join(run.deployment("long")["details"])


def test_timeout_with_abort_on_exit_aborts(ws: Workspace) -> None:
    extra = "    timeout: 1s\n    abort_on_exit: true\n"
    run = run_ng(ws, ng_spec(ws, one("long", "long_running", extra)))
    assert run.code == 4, run.stderr
    (execution,) = runs(ws)
    assert execution["aborted"]
    assert run.deployment("long")["abort_result"].startswith("abort requested")
    interrupts = [r for r in ng_requests(ws) if r["operation"] == "putHandleInterrupt"]
    assert [r["variables"]["params"]["interruptType"] for r in interrupts] == ["AbortAll"]


@pytest.mark.parametrize("abort", [False, True])
def test_sigterm_stops_at_once(ws: Workspace, abort: bool) -> None:
    extra = "    abort_on_exit: true\n" if abort else ""
    proc, junit, _summary = ws.start(
        "run", ng_spec(ws, one("long", "long_running", extra)), env=ng_env(ws)
    )
    _out, err, _took = ws.interrupt_when(proc, lambda: bool(runs(ws)))
    assert proc.returncode == 143, err
    (execution,) = runs(ws)
    assert execution["aborted"] is abort
    case = cases(GateRun(proc.returncode, "", err, junit, _summary))["long"]
    assert case.find("error") is not None


def test_a_429_storm_is_waited_out(ws: Workspace) -> None:
    ws.emulator.add_fault("http_429", match="nextgen", count=4)
    spec = ng_spec(ws, one("smoke", "smoke_test") + one("broken", "failing_deploy"))
    run = run_ng(ws, spec, timeout=120)
    assert run.code == 1, run.stderr
    assert run.deployment("smoke")["outcome"] == "success"
    assert len(runs(ws)) == 2
    assert "rate limit" in run.stderr


# ---- keys, wait, plan --------------------------------------------------------------------


def test_firstgen_key_on_nextgen_is_a_usage_error_before_any_call(ws: Workspace) -> None:
    run = ws.gate("run", ng_spec(ws, one("smoke", "smoke_test")), env=ws.env())
    assert run.code == 2, run.stderr
    assert "NextGen API token" in run.stderr and "FirstGen" in run.stderr
    assert ng_requests(ws) == []


def test_token_of_another_account_is_a_usage_error(ws: Workspace) -> None:
    env = ng_env(ws, HARNESS_ACCOUNT_ID="SomeOtherAccount")
    run = ws.gate("run", ng_spec(ws, one("smoke", "smoke_test")), env=env)
    assert run.code == 2, run.stderr
    assert "SomeOtherAccount" in run.stderr
    assert ng_requests(ws) == []


def test_unknown_token_is_an_auth_error(ws: Workspace) -> None:
    token = ws.emulator.ng_env()["HARNESS_NG_API_KEY"]
    prefix, account, ident, _secret = token.split(".")
    env = ng_env(ws)
    env["HARNESS_API_KEY"] = f"{prefix}.{account}.{ident}.wrong"
    run = ws.gate("run", ng_spec(ws, one("smoke", "smoke_test")), env=env)
    assert run.code == 5, run.stderr
    assert "Token is not valid" in run.stderr
    assert len(ng_requests(ws)) == 2  # one 401 may be transient: tried twice


def test_wait_for_a_nextgen_execution(ws: Workspace) -> None:
    started = run_ng(ws, ng_spec(ws, one("smoke", "failing_deploy")), "--no-wait")
    assert started.code == 0, started.stderr
    execution_id = started.deployment("smoke")["execution_id"]
    run = ws.gate(
        "wait",
        execution_id,
        "--platform",
        "nextgen",
        "--org",
        "default",
        "--project",
        "harness_gate",
        env=ng_env(ws),
    )
    assert run.code == 1, run.stderr
    waited = run.deployment(execution_id)
    assert waited["status"] == "Failed"
    assert waited["application"] == "default/harness_gate"
    assert (waited["entity_type"], waited["entity"]) == ("pipeline", "failing_deploy")
    assert cases(run)[execution_id].get("classname") == (
        "harness.default.harness_gate.failing_deploy"
    )


def test_wait_for_an_unknown_execution_is_a_resolution_error(ws: Workspace) -> None:
    run = ws.gate(
        "wait",
        "nope",
        "--platform",
        "nextgen",
        "--org",
        "default",
        "--project",
        "harness_gate",
        env=ng_env(ws),
    )
    assert run.code == 3, run.stderr


def test_plan_shows_the_runtime_yaml_and_starts_nothing(ws: Workspace) -> None:
    extra = "    input_sets: [guestbook_dev]\n    variables: {region: eu-west-1}\n"
    run = ws.gate("plan", ng_spec(ws, one("guestbook", "deploy_guestbook", extra)), env=ng_env(ws))
    assert run.code == 0, run.stderr
    assert "inputSetList" in run.stdout and "guestbook_dev" in run.stdout
    assert "value: eu-west-1" in run.stdout
    assert runs(ws) == []


def test_many_runs_of_one_pipeline_are_read_together(ws: Workspace) -> None:
    spec = ng_spec(ws, "".join(one(f"smoke{i}", "smoke_test") for i in range(6)))
    run = run_ng(ws, spec)
    assert run.code == 0, run.stderr
    operations = [r["operation"] for r in ng_requests(ws)]
    assert operations.count("postPipelineExecuteWithInputSetYaml") == 6
    assert "getListOfExecutions" in operations
    # one list read covers six runs: far fewer single reads than polls x runs
    assert operations.count("getExecutionDetailV2") < operations.count("getListOfExecutions")


# ---- demo ------------------------------------------------------------------------------


def test_demo_runs_the_bundled_nextgen_example(ws: Workspace) -> None:
    junit = ws.tmp / "demo.xml"
    run = ws.gate(
        "demo", "--platform", "nextgen", "--time-scale", "600", "--junit", str(junit), fast=False
    )
    assert run.code == 0, run.stderr
    assert "nextgen-demo.yaml" in run.stderr
    root = ET.parse(junit).getroot()
    classnames = {c.get("name"): c.get("classname") for c in root.iter("testcase")}
    assert classnames == {
        "smoke-test": "harness.default.harness_gate.Smoke_Test",  # named by its name
        "guestbook-dev": "harness.default.harness_gate.deploy_guestbook",
    }


def test_demo_picks_the_nextgen_token_for_a_nextgen_spec(ws: Workspace) -> None:
    spec = ng_spec(ws, one("smoke", "smoke_test"))
    run = ws.gate("demo", "--spec", spec, "--time-scale", "600", fast=False)
    assert run.code == 0, run.stderr


def test_selected_stages_use_the_stages_route(ws: Workspace) -> None:
    extra = "    stages: [build]\n    variables: {region: us-east-1}\n"
    run = run_ng(ws, ng_spec(ws, one("build-only", "deploy_guestbook", extra)))
    assert run.code == 0, run.stderr
    (execution,) = runs(ws)
    assert execution["operation"] == "postExecuteStages"
    assert execution["stage_ids"] == ["build"]
    assert set(execution["stages"]) == {"build"}


def test_remote_pipeline_on_a_branch(ws: Workspace) -> None:
    run = run_ng(ws, ng_spec(ws, one("remote", "remote_deploy", "    branch: develop\n")))
    assert run.code == 0, run.stderr
    (execution,) = runs(ws)
    assert execution["branch"] == "develop"


def test_wrong_endpoint_is_reported_as_such(ws: Workspace) -> None:
    env = ng_env(ws, HARNESS_ENDPOINT=ws.emulator.base_url + "/elsewhere")
    run = ws.gate("run", ng_spec(ws, one("smoke", "smoke_test")), env=env)
    assert run.code == 5, run.stderr
    assert "HARNESS_ENDPOINT" in run.stderr
