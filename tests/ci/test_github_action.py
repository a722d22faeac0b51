"""The composite action ci/github/action.yml: its inputs become real CLI flags, its outputs are
the ones the gate writes, and its run step keeps the gate's exit code, outputs and report on
failure and on cancellation. The run step is executed with bash as the runner would, with a
stand-in gate that checks its argv with the real parser and writes outputs with the real
writer.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Optional

import pytest

from harness_gate.cli import build_parser
from harness_gate.model import DeploymentResult, Outcome, RunResult
from harness_gate.report._common import overall_outcome
from harness_gate.report.ci import write_github_outputs
from tests.ci.helpers import (
    ACTION,
    BASH_STEP,
    action_inputs,
    action_step,
    find_tool,
    gate_step_env,
    load_yaml,
    parse,
    parse_github_file,
)

# Inputs that become one CLI flag each (the others: spec is the positional, extra-args is
# passed through, python-version and package are for the install).
INPUT_FLAGS = {
    "only": "--only",
    "junit-path": "--junit",
    "json-path": "--json",
    "timeout": "--timeout",
    "poll-interval": "--poll-interval",
    "abort-on-exit": "--abort-on-exit",
}
CI_VARIABLES = ("GITHUB_", "GITLAB_", "CI_", "RUNNER_", "JENKINS_URL", "BUILD_URL", "HARNESS_")

FAKE_GATE = """#!{python}
# A stand-in for harness-gate: records its argv, checks it with the real parser, optionally
# waits for a signal, writes the step outputs with the real writer, exits with a chosen code.
import json, os, signal, sys, time
from pathlib import Path

argv = sys.argv[1:]
record = {{"argv": argv}}
from harness_gate.cli import build_parser
try:
    args = build_parser().parse_args(argv)
except SystemExit as exc:
    record["refused"] = True
    Path(os.environ["FAKE_GATE_RECORD"]).write_text(json.dumps(record))
    sys.exit(2)
code = int(os.environ.get("FAKE_GATE_EXIT", "0"))
if os.environ.get("FAKE_GATE_WAIT_FOR_SIGNAL"):
    got = []
    signal.signal(signal.SIGINT, lambda signum, frame: got.append(signum))
    signal.signal(signal.SIGTERM, lambda signum, frame: got.append(signum))
    Path(os.environ["FAKE_GATE_READY"]).write_text("ready")
    deadline = time.monotonic() + 30
    while not got and time.monotonic() < deadline:
        time.sleep(0.01)
    record["signal"] = got[0] if got else None
    code = 128 + got[0] if got else 99
Path(os.environ["FAKE_GATE_RECORD"]).write_text(json.dumps(record))
if os.environ.get("FAKE_GATE_OUTPUTS") == "1":
    from harness_gate.model import DeploymentResult, RunResult
    from harness_gate.report.ci import write_github_outputs
    result = RunResult(
        command="run",
        spec_path=args.spec,
        exit_code=code,
        deployments=[
            DeploymentResult(
                name="guestbook-dev", application="Harness Demo", entity_type="workflow",
                entity_name="K8s Rolling Deployment", execution_id="exec-1",
                url="https://app.harness.io/#/account/a/app/b/pipeline-execution/exec-1",
            )
        ],
    )
    write_github_outputs(result, os.environ, args.junit)
sys.exit(code)
"""


@dataclass
class StepRun:
    code: int
    stdout: str
    stderr: str
    outputs: dict[str, str]
    record: Optional[dict[str, Any]]

    @property
    def argv(self) -> list[str]:
        assert self.record is not None, f"the gate never ran:\n{self.stdout}\n{self.stderr}"
        argv: list[str] = self.record["argv"]
        return argv


class ActionStep:
    """The action's `gate` step, run by bash in a temporary workspace."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.gate = tmp / "fake-harness-gate"
        self.gate.write_text(FAKE_GATE.format(python=sys.executable), encoding="utf-8")
        self.gate.chmod(0o755)
        self.script = tmp / "gate-step.sh"
        self.script.write_text(action_step("gate")["run"], encoding="utf-8")
        self.count = 0

    def env(self, inputs: dict[str, str], **extra: str) -> tuple[dict[str, str], Path, Path]:
        self.count += 1
        output = self.tmp / f"github-output-{self.count}"
        output.write_text("", encoding="utf-8")
        record = self.tmp / f"record-{self.count}.json"
        env = {k: v for k, v in os.environ.items() if not k.startswith(CI_VARIABLES)}
        env.update(
            gate_step_env(action_inputs(inputs), {"gate": str(self.gate), "python": sys.executable})
        )
        env.update(
            GITHUB_ACTIONS="true",
            GITHUB_OUTPUT=str(output),
            RUNNER_TEMP=str(self.tmp),
            FAKE_GATE_RECORD=str(record),
            FAKE_GATE_READY=str(self.tmp / f"ready-{self.count}"),
        )
        env.update(extra)
        return env, output, record

    def run(self, inputs: dict[str, str], **extra: str) -> StepRun:
        env, output, record = self.env(inputs, **extra)
        proc = subprocess.run(
            [*BASH_STEP, str(self.script)],
            env=env,
            cwd=self.tmp,
            capture_output=True,
            text=True,
            timeout=60,
            stdin=subprocess.DEVNULL,
        )
        return self.finish(proc.returncode, proc.stdout, proc.stderr, output, record)

    def finish(self, code: int, out: str, err: str, output: Path, record: Path) -> StepRun:
        outputs = parse_github_file(output.read_text(encoding="utf-8"))
        data = json.loads(record.read_text(encoding="utf-8")) if record.exists() else None
        return StepRun(code, out, err, outputs, data)


@pytest.fixture
def step(tmp_path: Path) -> ActionStep:
    return ActionStep(tmp_path)


def _run_parser_flags() -> set[str]:
    parser = build_parser()
    subparsers = next(a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction")
    run = subparsers.choices["run"]  # type: ignore[attr-defined]
    return set(run._option_string_actions)


# --- the action file ------------------------------------------------------------------------


def test_action_is_a_composite_with_an_install_and_a_gate_step() -> None:
    action = load_yaml(ACTION)
    assert action["runs"]["using"] == "composite"
    ids = [s.get("id") for s in action["runs"]["steps"]]
    assert "install" in ids and ids[-1] == "gate"
    for s in action["runs"]["steps"]:
        if "run" in s:
            assert s["shell"] == "bash"
            # Inputs reach scripts as environment variables only: no ${{ }} in a script.
            assert "${{" not in s["run"], s.get("name")


def test_every_input_is_used_and_every_flag_input_maps_to_a_real_flag() -> None:
    action = load_yaml(ACTION)
    text = ACTION.read_text(encoding="utf-8")
    for name in action["inputs"]:
        assert f"inputs.{name} " in text or f"inputs.{name}}}" in text, f"input {name} unused"
    flags = _run_parser_flags()
    gate_script = action_step("gate")["run"]
    for name, flag in INPUT_FLAGS.items():
        assert name in action["inputs"], name
        assert flag in flags, f"{flag} is not a flag of `harness-gate run`"
        # The script passes exactly this flag (the run below checks it end to end).
        assert f"args+=({flag}" in gate_script, flag
    passed = set(re.findall(r"args\+=\((--[\w-]+)", gate_script))
    assert passed <= flags, passed - flags
    assert set(INPUT_FLAGS.values()) == passed


def test_action_outputs_come_from_the_gate_step() -> None:
    action = load_yaml(ACTION)
    assert set(action["outputs"]) == {
        "outcome",
        "exit-code",
        "execution-ids",
        "execution-urls",
        "junit-path",
    }
    for name, output in action["outputs"].items():
        assert output["value"] == f"${{{{ steps.gate.outputs.{name} }}}}", name


def _result(exit_code: int) -> RunResult:
    start = datetime(2026, 5, 1, 10, 0, tzinfo=timezone.utc)
    return RunResult(
        command="run",
        spec_path="deploy.yaml",
        exit_code=exit_code,
        deployments=[
            DeploymentResult(
                name="guestbook-dev",
                application="Harness Demo",
                entity_type="workflow",
                entity_name="K8s Rolling Deployment",
                execution_id="Hx3dev",
                url="https://app.harness.io/#/account/A/app/B/pipeline-execution/Hx3dev",
                status="SUCCESS",
                outcome=Outcome.SUCCESS,
                gate_started_at=start,
                gate_ended_at=start + timedelta(minutes=2),
            ),
            DeploymentResult(
                name="guestbook-prod",
                application="Harness Demo",
                entity_type="workflow",
                entity_name="K8s Rolling Deployment",
                outcome=Outcome.SKIPPED,
                message="not started",
            ),
        ],
    )


@pytest.mark.parametrize(
    "code, outcome",
    [(0, "success"), (1, "failure"), (2, "error"), (3, "error"), (4, "timeout"), (5, "error"),
     (130, "error"), (143, "error")],
)  # fmt: skip
def test_every_declared_output_is_written_by_the_gate(
    tmp_path: Path, code: int, outcome: str
) -> None:
    path = tmp_path / "github-output"
    path.write_text("earlier=1\n", encoding="utf-8")
    write_github_outputs(_result(code), {"GITHUB_OUTPUT": str(path)}, "reports/junit.xml")
    outputs = parse_github_file(path.read_text(encoding="utf-8"))
    declared = set(load_yaml(ACTION)["outputs"])
    assert declared <= set(outputs), declared - set(outputs)
    assert outputs["outcome"] == outcome
    assert outputs["exit-code"] == str(code)
    assert json.loads(outputs["execution-ids"]) == {"guestbook-dev": "Hx3dev"}
    assert json.loads(outputs["execution-urls"]) == {
        "guestbook-dev": "https://app.harness.io/#/account/A/app/B/pipeline-execution/Hx3dev"
    }
    assert outputs["junit-path"] == "reports/junit.xml"
    assert outputs["earlier"] == "1"


def test_output_file_parser_reads_heredocs_like_the_runner() -> None:
    text = "a=1\nb<<EOF\nline one\nline=two\nEOF\nc=x<<y\n"
    assert parse_github_file(text) == {"a": "1", "b": "line one\nline=two", "c": "x<<y"}
    with pytest.raises(ValueError, match="delimiter"):
        parse_github_file("b<<EOF\nno end\n")


def test_action_run_scripts_pass_shellcheck(tmp_path: Path) -> None:
    shellcheck = find_tool("shellcheck")
    if shellcheck is None:
        pytest.skip("shellcheck is not installed")
    for step_id in ("cache-key", "install", "gate"):
        script = tmp_path / f"{step_id}.sh"
        script.write_text(action_step(step_id)["run"], encoding="utf-8")
        result = subprocess.run(
            [shellcheck, "--shell=bash", str(script)], capture_output=True, text=True
        )
        assert result.returncode == 0, result.stdout + result.stderr


def _steps() -> list[dict[str, Any]]:
    return list(load_yaml(ACTION)["runs"]["steps"])


def test_install_step_installs_the_action_checkout_and_hands_on_the_command() -> None:
    install = action_step("install")
    # The code of the ref the caller's `uses:` names: github.action_path is ci/github.
    assert install["env"]["HARNESS_GATE_SOURCE"] == "${{ github.action_path }}/../.."
    assert install["env"]["HARNESS_GATE_EXTRAS"] == "${{ inputs.extras }}"
    assert '-m pip install --quiet --disable-pip-version-check "$requirement"' in install["run"]
    assert 'echo "gate=' in install["run"] and 'echo "python=' in install["run"]
    assert "HARNESS_GATE_PACKAGE" not in ACTION.read_text(encoding="utf-8")
    assert "package" not in load_yaml(ACTION)["inputs"]


def test_the_action_never_changes_the_callers_python_or_path() -> None:
    setup = _steps()[0]
    assert setup["uses"].startswith("actions/setup-python@")
    assert setup["with"]["python-version"] == "${{ inputs.python-version }}"
    # setup-python would otherwise put its python first on PATH for every later step.
    assert str(setup["with"]["update-environment"]).lower() == "false"
    for step in _steps():
        script = step.get("run", "")
        assert "GITHUB_PATH" not in script and "GITHUB_ENV" not in script, step.get("name")
    assert "${{ runner.temp }}" in action_step("install")["env"]["PIP_CACHE_DIR"]


def test_pip_downloads_are_cached_under_a_key_of_the_python_and_the_requirements() -> None:
    steps = _steps()
    (cache,) = [step for step in steps if str(step.get("uses", "")).startswith("actions/cache@")]
    install = action_step("install")
    assert cache["with"]["path"] == install["env"]["PIP_CACHE_DIR"]
    assert cache["with"]["key"] == "${{ steps.cache-key.outputs.key }}"
    ids = [step.get("id") for step in steps]
    assert ids.index("cache-key") < steps.index(cache) < ids.index("install")


# --- the install, run: the action's way into a fresh environment, then `harness-gate demo` ----


@pytest.mark.slow
def test_the_action_install_runs_the_demo_from_a_fresh_environment(tmp_path: Path) -> None:
    """The cache-key and install steps run with bash as the runner runs them, the source being
    this checkout as github.action_path/../.. would be, then the installed gate's demo."""
    base_python = shutil.which("python3") or sys.executable
    runner_temp = tmp_path / "runner-temp"
    runner_temp.mkdir()
    files = {name: tmp_path / name for name in ("key-output", "install-output", "path", "env")}
    for path in files.values():
        path.write_text("", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith(CI_VARIABLES)}
    env.update(
        RUNNER_TEMP=str(runner_temp),
        RUNNER_OS="Linux",
        GITHUB_PATH=str(files["path"]),
        GITHUB_ENV=str(files["env"]),
        HARNESS_GATE_SOURCE=str(ACTION.parent / ".." / ".."),
        HARNESS_GATE_EXTRAS="emulator",  # the demo runs the bundled emulator
        SETUP_PYTHON=base_python,
        PIP_CACHE_DIR=str(runner_temp / "harness-gate-pip-cache"),
    )
    env.pop("VIRTUAL_ENV", None)
    key = subprocess.run(
        [*BASH_STEP, "-c", action_step("cache-key")["run"]],
        env={**env, "GITHUB_OUTPUT": str(files["key-output"])},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert key.returncode == 0, key.stderr
    assert re.fullmatch(
        r"harness-gate-pip-Linux-py3\.\d+-[0-9a-f]{16}",
        parse_github_file(files["key-output"].read_text(encoding="utf-8"))["key"],
    )
    install = subprocess.run(
        [*BASH_STEP, "-c", action_step("install")["run"]],
        env={**env, "GITHUB_OUTPUT": str(files["install-output"])},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert install.returncode == 0, install.stdout + install.stderr
    outputs = parse_github_file(files["install-output"].read_text(encoding="utf-8"))
    gate = Path(outputs["gate"])
    assert gate.parent.parent == runner_temp / "harness-gate-venv"
    assert Path(outputs["python"]).parent == gate.parent
    # The job's environment is untouched: nothing for later steps' PATH or environment.
    assert files["path"].read_text(encoding="utf-8") == ""
    assert files["env"].read_text(encoding="utf-8") == ""
    demo = subprocess.run(
        [str(gate), "demo"],
        cwd=tmp_path,
        env={k: v for k, v in env.items() if not k.startswith("HARNESS_")},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert demo.returncode == 0, demo.stderr
    assert (tmp_path / "harness-gate-junit.xml").is_file()


# --- the gate step, run ---------------------------------------------------------------------


def test_defaults_run_the_spec_with_the_default_report(step: ActionStep) -> None:
    run = step.run({"spec": "deploy.yaml"})
    assert run.code == 0, run.stderr
    assert run.argv == ["run", "deploy.yaml", "--junit", "harness-gate-junit.xml"]


def test_every_input_reaches_the_cli_as_its_flag(step: ActionStep) -> None:
    run = step.run(
        {
            "spec": "specs/deploy.yaml",
            "only": "guestbook-dev, guestbook-qa\nguestbook-prod",
            "junit-path": "reports/junit.xml",
            "json-path": "reports/summary.json",
            "timeout": "45m",
            "poll-interval": "5s",
            "abort-on-exit": "true",
            "extra-args": "--max-rpm 30 --endpoint 'https://harness.example/gateway/api/graphql'",
        }
    )
    assert run.code == 0, run.stderr
    args = parse(run.argv)
    assert args.command == "run"
    assert args.spec == "specs/deploy.yaml"
    assert args.only == ["guestbook-dev", "guestbook-qa", "guestbook-prod"]
    assert args.junit == "reports/junit.xml"
    assert args.json == "reports/summary.json"
    assert args.timeout == 45 * 60
    assert args.poll_interval == 5
    assert args.abort_on_exit is True
    assert args.max_rpm == 30
    assert args.endpoint == "https://harness.example/gateway/api/graphql"


@pytest.mark.parametrize("value, expected", [("false", False), ("", False), ("True", True)])
def test_abort_on_exit_values(step: ActionStep, value: str, expected: bool) -> None:
    run = step.run({"spec": "deploy.yaml", "abort-on-exit": value})
    assert run.code == 0, run.stderr
    assert parse(run.argv).abort_on_exit is expected


def test_a_bad_abort_on_exit_stops_before_the_gate(step: ActionStep) -> None:
    run = step.run({"spec": "deploy.yaml", "abort-on-exit": "maybe"})
    assert run.code == 2
    assert run.record is None
    assert "::error" in run.stdout and "abort-on-exit" in run.stdout
    assert run.outputs == {"outcome": "error", "exit-code": "2"}


def test_extra_args_with_an_unclosed_quote_stop_before_the_gate(step: ActionStep) -> None:
    run = step.run({"spec": "deploy.yaml", "extra-args": "--endpoint 'https://x"})
    assert run.code == 2
    assert run.record is None
    assert "::error title=harness-gate::extra-args" in run.stdout
    assert run.outputs == {"outcome": "error", "exit-code": "2"}


def test_extra_args_are_split_but_never_evaluated(step: ActionStep, tmp_path: Path) -> None:
    run = step.run({"spec": "deploy.yaml", "extra-args": "--verbose $(touch pwned) `touch x`"})
    assert not (tmp_path / "pwned").exists() and not (tmp_path / "x").exists()
    assert run.argv[4:] == ["--verbose", "$(touch", "pwned)", "`touch", "x`"]
    # The CLI refuses the stray words; the step fails with usage error 2 and still has outputs.
    assert run.code == 2
    assert run.outputs["outcome"] == "error" and run.outputs["exit-code"] == "2"


@pytest.mark.parametrize("code", [0, 1, 3, 4, 5])
def test_step_fails_with_the_gate_code_after_the_outputs_are_written(
    step: ActionStep, code: int
) -> None:
    run = step.run(
        {"spec": "deploy.yaml", "junit-path": "reports/j.xml"},
        FAKE_GATE_EXIT=str(code),
        FAKE_GATE_OUTPUTS="1",
    )
    assert run.code == code, run.stderr
    declared = set(load_yaml(ACTION)["outputs"])
    assert declared <= set(run.outputs), declared - set(run.outputs)
    assert run.outputs["outcome"] == overall_outcome(code)
    assert run.outputs["exit-code"] == str(code)
    assert run.outputs["junit-path"] == "reports/j.xml"
    assert json.loads(run.outputs["execution-ids"]) == {"guestbook-dev": "exec-1"}


@pytest.mark.parametrize("code", [1, 2, 4, 5, 9, 130])
def test_step_fills_in_outcome_and_exit_code_when_the_gate_could_not(
    step: ActionStep, code: int
) -> None:
    run = step.run({"spec": "deploy.yaml"}, FAKE_GATE_EXIT=str(code))
    assert run.code == code
    # The same words the gate itself would have written for that code.
    assert run.outputs == {"outcome": overall_outcome(code), "exit-code": str(code)}


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_cancelling_the_step_reaches_the_gate_and_keeps_its_outputs(
    step: ActionStep, sig: signal.Signals
) -> None:
    env, output, record = step.env(
        {"spec": "deploy.yaml"}, FAKE_GATE_WAIT_FOR_SIGNAL="1", FAKE_GATE_OUTPUTS="1"
    )
    ready = Path(env["FAKE_GATE_READY"])
    proc = subprocess.Popen(
        [*BASH_STEP, str(step.script)],
        env=env,
        cwd=step.tmp,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while not ready.exists():
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "the gate never started"
            time.sleep(0.02)
        # Like the runner: the signal goes to the step's shell only, not to its children.
        proc.send_signal(sig)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    run = step.finish(proc.returncode, out, err, output, record)
    assert run.record and run.record["signal"] == sig
    assert run.code == 128 + sig
    assert run.outputs["outcome"] == "error"
    assert run.outputs["exit-code"] == str(128 + sig)
