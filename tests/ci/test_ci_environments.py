"""End to end: the installed `harness-gate` command against the emulator, in the environment
each CI system gives it (GitHub Actions, GitLab CI, Jenkins, cron), running the command lines
of the CI examples. Checks what each CI reads back: step outputs and summary, annotations,
log groups and sections, the dotenv report, the default notes with the job's URL, and the
exit code.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

import pytest

pytest.importorskip("graphql", reason="the emulator needs harness-gate[emulator]")

from harness_gate.emulator import Emulator
from tests.ci.helpers import (
    BASH_STEP,
    EXAMPLE_SPEC,
    GITLAB,
    JENKINSFILE,
    PROMOTE,
    ROOT,
    action_inputs,
    action_step,
    gate_commands,
    gate_step_env,
    load_yaml,
    parse,
    parse_github_file,
)

TIME_SCALE = 600.0  # a minute of the fixture's time passes in 0.1 s
FAST = ["--poll-interval", "0.05s", "--max-rpm", "100000"]
DEMO_SPEC = ROOT / "harness_gate" / "examples" / "demo.yaml"
# Everything a CI system or a developer's shell could leak into the gate's environment.
STRIPPED_PREFIXES = ("GITHUB_", "GITLAB_", "CI_", "RUNNER_", "JENKINS_", "HARNESS_")
STRIPPED = {"CI", "BUILD_URL", "BUILD_NUMBER", "BUILD_ID", "JOB_NAME", "JOB_URL", "NODE_NAME"}

FAILING_SPEC = """\
version: 1
application: Harness Demo
deployments:
  - name: broken-qa
    workflow: Failing Deployment
"""

GITHUB = {
    "GITHUB_ACTIONS": "true",
    "GITHUB_SERVER_URL": "https://github.example.com",
    "GITHUB_REPOSITORY": "acme/shop",
    "GITHUB_RUN_ID": "4242",
    "GITHUB_WORKFLOW": "deploy",
    "GITHUB_JOB": "deploy-dev",
}
GITHUB_RUN_URL = "https://github.example.com/acme/shop/actions/runs/4242"
GITLAB_ENV = {
    "GITLAB_CI": "true",
    "CI": "true",
    "CI_JOB_URL": "https://gitlab.example.com/acme/shop/-/jobs/77",
    "CI_PROJECT_PATH": "acme/shop",
    "CI_JOB_NAME": "deploy-dev",
}
JENKINS = {
    "JENKINS_URL": "https://jenkins.example.com/",
    "BUILD_URL": "https://jenkins.example.com/job/shop/job/deploy/12/",
    "JOB_NAME": "shop/deploy",
    "BUILD_NUMBER": "12",
}


def gate_command() -> str:
    installed = Path(sys.executable).parent / "harness-gate"
    if not installed.exists():
        pytest.fail(f"the harness-gate command is not installed next to {sys.executable}")
    return str(installed)


@dataclass
class Run:
    code: int
    stdout: str
    stderr: str
    cwd: Path

    @property
    def log(self) -> str:
        return self.stdout + self.stderr

    def explain(self) -> str:
        text = f"exit {self.code}\n--- stdout\n{self.stdout}\n--- stderr\n{self.stderr}"
        if "HTTP 415" in self.log:
            text = (
                "the emulator refused the gate's GraphQL POST with 415 Unsupported Media Type: "
                "does harness_gate/client.py send Content-Type: application/json?\n" + text
            )
        return text


class CI:
    """A temporary workspace, the emulator, and a clean environment for one CI system."""

    def __init__(self, tmp: Path, emulator: Emulator) -> None:
        self.tmp = tmp
        self.emulator = emulator

    def env(self, **extra: str) -> dict[str, str]:
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(STRIPPED_PREFIXES) and k not in STRIPPED
        }
        env.update(self.emulator.env())
        env.update(extra)
        return env

    def github_env(self, **extra: str) -> dict[str, str]:
        output = self.tmp / "github-output"
        summary = self.tmp / "github-step-summary"
        for path in (output, summary):
            path.write_text("", encoding="utf-8")
        return self.env(
            **GITHUB, GITHUB_OUTPUT=str(output), GITHUB_STEP_SUMMARY=str(summary), **extra
        )

    def outputs(self) -> dict[str, str]:
        return parse_github_file((self.tmp / "github-output").read_text(encoding="utf-8"))

    def summary(self) -> str:
        return (self.tmp / "github-step-summary").read_text(encoding="utf-8")

    def write(self, name: str, text: str) -> Path:
        path = self.tmp / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
        return path

    def run(self, argv: list[str], env: dict[str, str], timeout: float = 90) -> Run:
        # Bytes, decoded here: text mode would turn the \r of GitLab's section markers into \n.
        proc = subprocess.run(
            argv,
            env=env,
            cwd=self.tmp,
            capture_output=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
        )
        out, err = (b.decode("utf-8", "replace") for b in (proc.stdout, proc.stderr))
        return Run(proc.returncode, out, err, self.tmp)

    def gate(self, *args: str, env: dict[str, str]) -> Run:
        return self.run([gate_command(), *args, *FAST], env)

    def executions(self) -> list[dict[str, Any]]:
        return self.emulator.executions()


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    with Emulator(time_scale=TIME_SCALE, rate_limit=None) as emu:
        yield emu


@pytest.fixture
def ci(tmp_path: Path, emulator: Emulator) -> CI:
    return CI(tmp_path, emulator)


def _example_command(path: Path, keys: Optional[set[str]] = None) -> list[str]:
    """The first `harness-gate run` line of a CI example, as argv after `harness-gate`."""
    if keys is None:
        commands = gate_commands(path.read_text(encoding="utf-8"), path.name, ("//",))
    else:
        commands = []
        document = load_yaml(path)
        for job in document.values():
            if isinstance(job, dict):
                for text in job.get("script", []):
                    commands += gate_commands(text, path.name)
    runs = [c.argv for c in commands if c.argv[0] == "run"]
    assert runs, f"no harness-gate run in {path}"
    return runs[0]


def _ids_by_name(ci: CI) -> dict[str, str]:
    """Execution ids by deployment name, from the emulator's own record of the starts."""
    found = {}
    for execution in ci.executions():
        match = re.search(r"\[harness-gate \S+ ([^\]]+)\]", execution.get("notes") or "")
        assert match, f"no deployment marker in the notes: {execution.get('notes')!r}"
        found[match.group(1)] = execution["id"]
    return found


# --- GitHub Actions -------------------------------------------------------------------------


def test_github_outputs_summary_groups_and_default_notes(ci: CI) -> None:
    env = ci.github_env()
    run = ci.gate(
        "run", str(EXAMPLE_SPEC), "--only", "guestbook-dev", "--junit", "reports/j.xml", env=env
    )
    assert run.code == 0, run.explain()
    ids = _ids_by_name(ci)
    assert set(ids) == {"guestbook-dev"}

    outputs = ci.outputs()
    assert set(load_yaml(ROOT / "ci" / "github" / "action.yml")["outputs"]) <= set(outputs)
    assert outputs["outcome"] == "success"
    assert outputs["exit-code"] == "0"
    assert json.loads(outputs["execution-ids"]) == ids
    urls = json.loads(outputs["execution-urls"])
    assert set(urls) == {"guestbook-dev"} and ids["guestbook-dev"] in urls["guestbook-dev"]
    assert outputs["junit-path"] == "reports/j.xml"
    assert (ci.tmp / "reports" / "j.xml").is_file()

    summary = ci.summary()
    assert "### harness-gate run: success (exit code 0)" in summary
    assert re.search(r"^\| guestbook-dev \| success \| SUCCESS \| \[", summary, flags=re.M)
    assert "::group::Resolving names in Harness" in run.log
    assert "::endgroup::" in run.log
    assert "::error" not in run.log

    [execution] = ci.executions()
    notes = execution["notes"]
    assert notes.startswith("Deployed by harness-gate from GitHub Actions")
    assert GITHUB_RUN_URL in notes
    assert "acme/shop" in notes


def test_github_failing_deployment_is_annotated_and_fails(ci: CI) -> None:
    spec = ci.write("failing.yaml", FAILING_SPEC)
    run = ci.gate("run", str(spec), env=ci.github_env())
    assert run.code == 1, run.explain()
    errors = [line for line in run.log.splitlines() if line.startswith("::error")]
    assert len(errors) == 1, run.explain()
    assert errors[0].startswith("::error title=harness-gate%3A broken-qa failed::")
    assert "CrashLoopBackOff" in errors[0]
    outputs = ci.outputs()
    assert outputs["outcome"] == "failure" and outputs["exit-code"] == "1"
    assert set(json.loads(outputs["execution-ids"])) == {"broken-qa"}
    summary = ci.summary()
    assert "### harness-gate run: failure (exit code 1)" in summary
    assert re.search(r"^\| broken-qa \| failure \| FAILED \|", summary, flags=re.M)


def test_notes_in_the_spec_win_over_the_default(ci: CI) -> None:
    run = ci.gate("run", str(DEMO_SPEC), env=ci.github_env())
    assert run.code == 0, run.explain()
    executions = ci.executions()
    assert len(executions) == 2
    for execution in executions:
        assert execution["notes"].startswith("harness-gate demo")
        assert "GitHub Actions" not in execution["notes"]
        assert GITHUB_RUN_URL not in execution["notes"]
    assert set(json.loads(ci.outputs()["execution-ids"])) == {
        "guestbook-dev",
        "guestbook-pipeline",
    }


def test_the_action_step_runs_the_real_gate(ci: CI) -> None:
    """The composite action's run step as the runner runs it, with the installed gate."""
    script = ci.write("gate-step.sh", action_step("gate")["run"])
    inputs = action_inputs(
        {
            "spec": str(DEMO_SPEC),
            "json-path": "reports/summary.json",
            "timeout": "10m",
            "extra-args": " ".join(FAST),
        }
    )
    env = ci.github_env(**gate_step_env(inputs, {"gate": gate_command(), "python": sys.executable}))
    run = ci.run([*BASH_STEP, str(script)], env)
    assert run.code == 0, run.explain()
    outputs = ci.outputs()
    assert outputs["outcome"] == "success"
    assert json.loads(outputs["execution-ids"]) == _ids_by_name(ci)
    assert outputs["junit-path"] == "harness-gate-junit.xml"
    assert (ci.tmp / "harness-gate-junit.xml").is_file()
    assert json.loads((ci.tmp / "reports" / "summary.json").read_text())["exit_code"] == 0


def test_the_action_step_fails_with_the_gate_code_and_keeps_its_outputs(ci: CI) -> None:
    spec = ci.write("failing.yaml", FAILING_SPEC)
    script = ci.write("gate-step.sh", action_step("gate")["run"])
    inputs = action_inputs({"spec": str(spec), "extra-args": " ".join(FAST)})
    env = ci.github_env(**gate_step_env(inputs, {"gate": gate_command(), "python": sys.executable}))
    run = ci.run([*BASH_STEP, str(script)], env)
    assert run.code == 1, run.explain()
    outputs = ci.outputs()
    assert outputs["outcome"] == "failure" and outputs["exit-code"] == "1"
    assert (ci.tmp / "harness-gate-junit.xml").is_file()


# --- GitLab CI ------------------------------------------------------------------------------


def test_gitlab_example_job_sections_dotenv_and_default_notes(ci: CI) -> None:
    shutil.copy(EXAMPLE_SPEC, ci.tmp / "deploy.yaml")
    argv = _example_command(GITLAB, keys={"script"})
    assert "--dotenv" in argv
    run = ci.gate(*argv, env=ci.env(**GITLAB_ENV))
    assert run.code == 0, run.explain()
    ids = _ids_by_name(ci)

    # Collapsible section around name resolution, and no GitHub workflow commands.
    start = re.search(
        r"\x1b\[0Ksection_start:(\d+):harness_gate_resolve\[collapsed=true\]\r\x1b\[0K"
        r"Resolving names in Harness",
        run.log,
    )
    assert start, run.explain()
    assert re.search(r"\x1b\[0Ksection_end:(\d+):harness_gate_resolve\r\x1b\[0K", run.log)
    assert "::group::" not in run.log and "::error" not in run.log

    # The job's artifacts: every path it uploads exists, and the dotenv has what later jobs use.
    job = load_yaml(GITLAB)["deploy-dev"]
    for path in job["artifacts"]["paths"]:
        assert (ci.tmp / path).is_file(), path
    dotenv = dict(
        line.split("=", 1)
        for line in (ci.tmp / job["artifacts"]["reports"]["dotenv"]).read_text().splitlines()
    )
    assert dotenv["HARNESS_GATE_OUTCOME"] == "success"
    assert dotenv["HARNESS_GATE_EXIT_CODE"] == "0"
    assert dotenv["HARNESS_EXECUTION_ID_GUESTBOOK_DEV"] == ids["guestbook-dev"]
    assert ids["guestbook-dev"] in dotenv["HARNESS_EXECUTION_URL_GUESTBOOK_DEV"]
    later = load_yaml(GITLAB)["smoke-test-dev"]
    used = set(re.findall(r"\$(HARNESS_\w+)", " ".join(later["script"])))
    assert used and used <= set(dotenv), used - set(dotenv)

    [execution] = ci.executions()
    assert execution["notes"].startswith("Deployed by harness-gate from GitLab CI")
    assert GITLAB_ENV["CI_JOB_URL"] in execution["notes"]


def test_gitlab_failing_deployment_dotenv_says_so(ci: CI) -> None:
    spec = ci.write("failing.yaml", FAILING_SPEC)
    run = ci.gate("run", str(spec), "--dotenv", "gate.env", env=ci.env(**GITLAB_ENV))
    assert run.code == 1, run.explain()
    dotenv = (ci.tmp / "gate.env").read_text()
    assert "HARNESS_GATE_OUTCOME=failure\n" in dotenv
    assert "HARNESS_GATE_EXIT_CODE=1\n" in dotenv
    assert "HARNESS_EXECUTION_ID_BROKEN_QA=" in dotenv
    assert "section_start:" in run.log


# --- Jenkins --------------------------------------------------------------------------------


def test_jenkins_example_command_plain_log_reports_and_default_notes(ci: CI) -> None:
    shutil.copy(EXAMPLE_SPEC, ci.tmp / "deploy.yaml")
    argv = _example_command(JENKINSFILE)
    (ci.tmp / "reports").mkdir()  # the Jenkinsfile's `mkdir -p reports`
    run = ci.gate(*argv, "--only", "guestbook-dev", env=ci.env(**JENKINS))
    assert run.code == 0, run.explain()
    args = parse(argv)
    assert (ci.tmp / args.junit).is_file() and (ci.tmp / args.json).is_file()
    assert "Resolving names in Harness" in run.log
    assert "::group::" not in run.log and "section_start" not in run.log
    [execution] = ci.executions()
    notes = execution["notes"]
    assert notes.startswith("Deployed by harness-gate from Jenkins (shop/deploy #12)")
    assert JENKINS["BUILD_URL"] in notes


def test_jenkins_abort_sends_sigterm_and_the_gate_reports_143(ci: CI) -> None:
    """What aborting the build does: SIGTERM to the running gate, which writes its report."""
    spec = ci.write(
        "long.yaml",
        """\
        version: 1
        application: Harness Demo
        deployments:
          - name: long-qa
            workflow: Long Running Deployment
        """,
    )
    junit = ci.tmp / "reports" / "harness-gate-junit.xml"
    proc = subprocess.Popen(
        [gate_command(), "run", str(spec), "--junit", str(junit), "--abort-on-exit", *FAST],
        env=ci.env(**JENKINS),
        cwd=ci.tmp,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while not any(e["status"] == "RUNNING" for e in ci.executions()):
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "the deployment never started running"
            time.sleep(0.05)
        proc.send_signal(signal.SIGTERM)
        # a hang guard, not a timing assertion: the 5 s promise is checked structurally in
        # tests/e2e/test_signals.py (the gate leaves a hanging request behind)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 143, out + err
    assert junit.is_file()
    assert "SIGTERM" in junit.read_text(encoding="utf-8")
    [execution] = ci.executions()
    assert execution["aborted"] is True  # --abort-on-exit, as in the Jenkinsfile


# --- cron -----------------------------------------------------------------------------------


def test_promote_script_runs_the_real_gate(ci: CI) -> None:
    key = ci.write("api-key", ci.emulator.env()["HARNESS_API_KEY"] + "\n")
    key.chmod(0o600)
    reports = ci.tmp / "reports"
    # HARNESS_API_KEY stays set (the emulator's): promote.sh must drop it and use the file.
    env = ci.env(
        HARNESS_API_KEY_FILE=str(key),
        HARNESS_GATE_VENV=str(Path(sys.executable).parent.parent),
        HARNESS_GATE_SPEC=str(EXAMPLE_SPEC),
        HARNESS_GATE_ONLY="guestbook-dev",
        HARNESS_GATE_EXTRA_ARGS=" ".join(FAST),
        HARNESS_GATE_REPORT_DIR=str(reports),
    )
    # promote.sh runs `harness-gate` from $HARNESS_GATE_VENV/bin: that must be this one.
    assert Path(env["HARNESS_GATE_VENV"], "bin", "harness-gate") == Path(gate_command())
    run = ci.run([str(PROMOTE)], env)
    assert run.code == 0, run.explain() + _gate_log(reports)
    run_dir = (reports / "latest").resolve()
    assert (run_dir / "junit.xml").is_file()
    assert json.loads((run_dir / "summary.json").read_text())["exit_code"] == 0
    dotenv = (run_dir / "gate.env").read_text()
    ids = _ids_by_name(ci)
    assert f"HARNESS_EXECUTION_ID_GUESTBOOK_DEV={ids['guestbook-dev']}\n" in dotenv
    assert "harness-gate summary:" in run.stderr
    [execution] = ci.executions()
    assert execution["notes"].startswith("Deployed by harness-gate")
    assert "from" not in execution["notes"].splitlines()[0]  # no CI system to name


def _gate_log(reports: Path) -> str:
    logs = sorted(reports.glob("*/*/gate.log"))
    return "\n--- gate.log\n" + logs[-1].read_text() if logs else ""
