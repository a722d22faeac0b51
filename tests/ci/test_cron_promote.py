"""ci/cron/promote.sh, run: the lock, the dated report directories, the key file, the failure
notice by mail or logger, the exit code, and a stop by SIGTERM. The gate is a stand-in that
checks its argv with the real parser and writes the dotenv report with the real writer; the
end-to-end run against the emulator is in test_ci_environments.py.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import pytest

from tests.ci.helpers import PROMOTE, parse

FAKE_GATE = """#!{python}
import json, os, signal, sys, time
from pathlib import Path
argv = sys.argv[1:]
from harness_gate.cli import build_parser
args = build_parser().parse_args(argv)  # exits 2 on a flag the CLI does not have
record = {{
    "argv": argv,
    "api_key_set": "HARNESS_API_KEY" in os.environ,
    "api_key_file": os.environ.get("HARNESS_API_KEY_FILE"),
    "account": os.environ.get("HARNESS_ACCOUNT_ID"),
}}
Path(os.environ["FAKE_GATE_RECORD"]).write_text(json.dumps(record))
code = int(os.environ.get("FAKE_GATE_EXIT", "0"))
print("resolving names in Harness", flush=True)
if os.environ.get("FAKE_GATE_WAIT_FOR_SIGNAL"):
    got = []
    signal.signal(signal.SIGTERM, lambda signum, frame: got.append(signum))
    Path(os.environ["FAKE_GATE_READY"]).write_text("ready")
    deadline = time.monotonic() + 30
    while not got and time.monotonic() < deadline:
        time.sleep(0.01)
    code = 128 + got[0] if got else 99
from harness_gate.model import DeploymentResult, RunResult
from harness_gate.report.ci import write_dotenv
result = RunResult(command="run", spec_path=args.spec, exit_code=code, deployments=[
    DeploymentResult(name=name, application="Harness Demo", entity_type="workflow",
                     entity_name="K8s Rolling Deployment", execution_id="exec-" + name,
                     url="https://app.harness.io/#/x/" + name)
    for name in (args.only or ["guestbook-prod"])
])
Path(args.junit).write_text("<testsuites/>")
if args.json:
    Path(args.json).write_text(json.dumps({{"exit_code": code}}))
if args.dotenv:
    write_dotenv(result, args.dotenv)
print("harness-gate summary:")
print("  guestbook-prod  FAILURE  FAILED  2m0s")
print("exit code " + str(code))
sys.exit(code)
"""

RECORDER = """#!/bin/sh
# Records its arguments and standard input, one JSON line per call.
{python} -c '
import json, sys
print(json.dumps({{"argv": sys.argv[1:], "stdin": sys.stdin.read()}}))
' "$@" >>"{log}"
exit ${{FAKE_EXIT_{name}:-0}}
"""


LOGGER_TAG = ["-t", "harness-gate-promote", "-p"]


@dataclass
class PromoteRun:
    code: int
    stdout: str
    stderr: str
    root: Path
    record: Optional[dict]
    mails: list[dict]
    logs: list[dict]  # logger calls at user.err: failures
    notices: list[dict]  # logger calls at user.notice: one per run

    @property
    def notice_texts(self) -> list[str]:
        return [call["argv"][-1] for call in self.notices]

    @property
    def run_dirs(self) -> list[Path]:
        return sorted(p for p in self.root.glob("*/*") if p.is_dir())

    @property
    def args(self):  # type: ignore[no-untyped-def]
        assert self.record is not None, f"the gate never ran:\n{self.stderr}"
        return parse(self.record["argv"])


class Cron:
    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.venv = tmp / "venv"
        (self.venv / "bin").mkdir(parents=True)
        gate = self.venv / "bin" / "harness-gate"
        gate.write_text(FAKE_GATE.format(python=sys.executable), encoding="utf-8")
        gate.chmod(0o755)
        self.fakebin = tmp / "fakebin"
        self.fakebin.mkdir()
        for name in ("mail", "logger"):
            tool = self.fakebin / name
            tool.write_text(
                RECORDER.format(python=sys.executable, log=tmp / f"{name}.log", name=name.upper()),
                encoding="utf-8",
            )
            tool.chmod(0o755)
        self.root = tmp / "reports"
        self.key = tmp / "api-key"
        self.key.write_text("the-key\n", encoding="utf-8")
        self.key.chmod(0o600)
        self.record = tmp / "record.json"

    def env(self, **settings: str) -> dict[str, str]:
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("HARNESS_", "CREDENTIALS_DIRECTORY", "GITHUB_", "GITLAB_", "CI_"))
        }
        env.update(
            PATH=f"{self.fakebin}:{os.environ['PATH']}",
            HARNESS_API_KEY="must-not-be-used",  # promote.sh takes the key from a file only
            HARNESS_API_KEY_FILE=str(self.key),
            HARNESS_ACCOUNT_ID="acct",
            HARNESS_GATE_VENV=str(self.venv),
            HARNESS_GATE_SPEC=str(self.tmp / "promote.yaml"),
            HARNESS_GATE_REPORT_DIR=str(self.root),
            FAKE_GATE_RECORD=str(self.record),
            FAKE_GATE_READY=str(self.tmp / "ready"),
        )
        env.update(settings)
        return {k: v for k, v in env.items() if v != "<unset>"}

    def start(self, **settings: str) -> subprocess.Popen[str]:
        if self.record.exists():
            self.record.unlink()
        return subprocess.Popen(
            [str(PROMOTE)],
            env=self.env(**settings),
            cwd=self.tmp,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            text=True,
            start_new_session=True,
        )

    def finish(self, proc: subprocess.Popen[str]) -> PromoteRun:
        out, err = proc.communicate(timeout=60)
        record = json.loads(self.record.read_text()) if self.record.exists() else None
        calls = self._calls("logger")
        notices = [call for call in calls if call["argv"][:4] == [*LOGGER_TAG, "user.notice"]]
        errors = [call for call in calls if call not in notices]
        return PromoteRun(
            proc.returncode, out, err, self.root, record, self._calls("mail"), errors, notices
        )

    def run(self, **settings: str) -> PromoteRun:
        return self.finish(self.start(**settings))

    def _calls(self, name: str) -> list[dict]:
        path = self.tmp / f"{name}.log"
        if not path.exists():
            return []
        return [json.loads(line) for line in path.read_text().splitlines()]


@pytest.fixture
def cron(tmp_path: Path) -> Cron:
    return Cron(tmp_path)


def test_success_keeps_the_reports_in_a_dated_directory(cron: Cron) -> None:
    run = cron.run()
    assert run.code == 0, run.stderr
    [run_dir] = run.run_dirs
    day, name = run_dir.relative_to(cron.root).parts
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", day)
    assert re.fullmatch(r"\d{6}Z-\d+", name)
    assert {p.name for p in run_dir.iterdir()} == {
        "junit.xml",
        "summary.json",
        "gate.env",
        "gate.log",
        "promote.log",
    }
    assert (cron.root / "latest").resolve() == run_dir.resolve()
    args = run.args
    assert args.command == "run"
    assert args.spec == str(cron.tmp / "promote.yaml")
    assert args.junit == str(run_dir / "junit.xml")
    assert args.json == str(run_dir / "summary.json")
    assert args.dotenv == str(run_dir / "gate.env")
    assert args.timeout == 45 * 60
    assert args.only == [] and args.abort_on_exit is False
    assert "harness-gate summary:" in (run_dir / "gate.log").read_text()
    assert "harness-gate summary:" in run.stderr  # for cron's mail or the journal
    assert "every deployment of " in (run_dir / "promote.log").read_text()
    assert ": success (exit 0); reports in " in (run_dir / "promote.log").read_text()
    assert run.mails == [] and run.logs == []


@pytest.mark.parametrize("code, outcome", [(0, "success"), (1, "failure"), (4, "timeout")])
def test_every_run_leaves_one_line_in_syslog_and_the_promotion_log(
    cron: Cron, code: int, outcome: str
) -> None:
    run = cron.run(FAKE_GATE_EXIT=str(code), HARNESS_GATE_ONLY="guestbook-dev")
    assert run.code == code
    [run_dir] = run.run_dirs
    [notice] = run.notice_texts
    assert notice == (
        f"guestbook-dev of {cron.tmp / 'promote.yaml'}: {outcome} (exit {code}); "
        f"reports in {run_dir}"
    )
    [line] = (cron.root / "promote.log").read_text().splitlines()
    assert line.endswith(notice)
    again = cron.run(HARNESS_GATE_ONLY="guestbook-dev")
    assert len(again.notices) == 2  # the stand-in logger keeps every call: one more
    assert len((cron.root / "promote.log").read_text().splitlines()) == 2


def test_the_key_comes_from_the_file_only(cron: Cron) -> None:
    run = cron.run()
    assert run.record is not None
    assert run.record["api_key_set"] is False
    assert run.record["api_key_file"] == str(cron.key)
    assert run.record["account"] == "acct"


def test_the_systemd_credential_is_the_key_file_by_default(cron: Cron, tmp_path: Path) -> None:
    credentials = tmp_path / "credentials"
    credentials.mkdir()
    (credentials / "harness-api-key").write_text("k")
    run = cron.run(HARNESS_API_KEY_FILE="<unset>", CREDENTIALS_DIRECTORY=str(credentials))
    assert run.record is not None
    assert run.record["api_key_file"] == str(credentials / "harness-api-key")


def test_settings_become_flags(cron: Cron) -> None:
    run = cron.run(
        HARNESS_GATE_ONLY="guestbook-dev  guestbook-prod",
        HARNESS_GATE_TIMEOUT="20m",
        HARNESS_GATE_ABORT_ON_EXIT="true",
        HARNESS_GATE_EXTRA_ARGS="--poll-interval 5s --max-rpm 30",
    )
    assert run.code == 0, run.stderr
    args = run.args
    assert args.only == ["guestbook-dev", "guestbook-prod"]
    assert args.timeout == 20 * 60
    assert args.abort_on_exit is True
    assert args.poll_interval == 5 and args.max_rpm == 30


def test_a_failure_is_mailed_with_the_links_and_the_exit_code_kept(cron: Cron) -> None:
    run = cron.run(FAKE_GATE_EXIT="1", HARNESS_GATE_MAIL_TO="ops@example.com")
    assert run.code == 1
    [mail] = run.mails
    subject = mail["argv"][mail["argv"].index("-s") + 1]
    assert subject.startswith("harness-gate promotion failure (exit 1)")
    assert mail["argv"][-1] == "ops@example.com"
    assert (
        "HARNESS_EXECUTION_URL_GUESTBOOK_PROD=https://app.harness.io/#/x/guestbook-prod"
        in (mail["stdin"])
    )
    assert "exit code 1" in mail["stdin"]  # the tail of the gate's log
    assert run.logs == []


@pytest.mark.parametrize("code, outcome", [(4, "timeout"), (5, "error"), (2, "error")])
def test_without_mail_a_failure_goes_to_logger(cron: Cron, code: int, outcome: str) -> None:
    run = cron.run(FAKE_GATE_EXIT=str(code))
    assert run.code == code
    [log] = run.logs
    assert log["argv"][:4] == ["-t", "harness-gate-promote", "-p", "user.err"]
    assert f"harness-gate promotion {outcome} (exit {code})" in log["argv"][-1]
    assert run.mails == []
    assert f"FAILED: harness-gate promotion {outcome}" in run.stderr


def test_when_mailing_fails_the_failure_is_logged(cron: Cron) -> None:
    run = cron.run(FAKE_GATE_EXIT="1", HARNESS_GATE_MAIL_TO="ops@example.com", FAKE_EXIT_MAIL="1")
    assert run.code == 1
    assert len(run.mails) == 1 and len(run.logs) == 1
    assert "could not mail ops@example.com" in run.stderr


def test_a_second_run_never_overlaps_the_first(cron: Cron) -> None:
    cron.root.mkdir()
    with open(cron.root / ".promote-all.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        run = cron.run()  # returns at once instead of waiting for the lock (else it times out)
    assert run.code == 0
    assert run.record is None, "the gate ran while another promotion held the lock"
    assert "is still running" in run.stderr
    assert run.run_dirs == []
    # Not silently: the skip is in syslog and the promotion log.
    [notice] = run.notice_texts
    assert notice.startswith("skipped: a promotion of every deployment is still running")
    assert "skipped:" in (cron.root / "promote.log").read_text()


def test_each_environment_has_its_own_lock(cron: Cron) -> None:
    cron.root.mkdir()
    with open(cron.root / ".promote-guestbook-prod.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # a prod promotion is running
        dev = cron.run(HARNESS_GATE_ONLY="guestbook-dev")
        prod = cron.run(HARNESS_GATE_ONLY="guestbook-prod")
    assert dev.code == 0 and dev.record is not None, "prod held back the dev promotion"
    assert dev.args.only == ["guestbook-dev"]
    assert prod.record is None, "two prod promotions overlapped"
    assert prod.notice_texts[-1].startswith("skipped: a promotion of guestbook-prod is still")


def test_the_lock_name_is_the_sorted_deployments_or_the_setting(cron: Cron) -> None:
    cron.run(HARNESS_GATE_ONLY=" guestbook-prod  guestbook-dev ")
    cron.run(HARNESS_GATE_ONLY="guestbook-dev", HARNESS_GATE_LOCK="nightly dev/qa")
    locks = sorted(p.name for p in cron.root.glob(".promote-*.lock"))
    assert locks == [".promote-guestbook-dev+guestbook-prod.lock", ".promote-nightly_dev_qa.lock"]


def test_old_run_directories_are_pruned(cron: Cron) -> None:
    old = cron.root / "2020-01-01" / "060000Z-1"
    old.mkdir(parents=True)
    (old / "junit.xml").write_text("<testsuites/>")
    past = time.time() - 40 * 86400
    os.utime(old, (past, past))
    recent = cron.root / "2020-01-02" / "060000Z-2"
    recent.mkdir(parents=True)
    run = cron.run()
    assert run.code == 0
    assert not old.exists() and not old.parent.exists()
    assert recent.exists()
    kept = cron.run(HARNESS_GATE_KEEP_DAYS="0")
    assert kept.code == 0 and recent.exists()


def test_sigterm_to_the_unit_lets_the_gate_report_and_the_failure_is_logged(cron: Cron) -> None:
    proc = cron.start(FAKE_GATE_WAIT_FOR_SIGNAL="1")
    ready = cron.tmp / "ready"
    deadline = time.monotonic() + 30
    while not ready.exists():
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "the gate never started"
        time.sleep(0.02)
    # systemd's KillMode=control-group: SIGTERM to every process of the unit at once.
    os.killpg(proc.pid, signal.SIGTERM)
    run = cron.finish(proc)
    assert run.code == 143, run.stderr
    [run_dir] = run.run_dirs
    assert (run_dir / "junit.xml").exists()
    assert "stop requested" in run.stderr
    [log] = run.logs
    assert "harness-gate promotion error (exit 143)" in log["argv"][-1]
