"""End-to-end harness: the installed `harness-gate` command against the emulator over HTTP."""

from __future__ import annotations

import json
import os
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

from harness_gate.emulator import Emulator

# A minute of fixture time passes in 0.1 s; the gate polls every 0.05 s, and a lost start is
# looked up over a scaled-down window (Harness may take 120 s to save a start: 0.3 s here).
TIME_SCALE = 600.0
FAST = ["--poll-interval", "0.05s", "--max-rpm", "100000"]
FAST_START = ["--start-grace", "0.3s"]
CI_VARIABLES = (
    "GITHUB_ACTIONS",
    "GITHUB_OUTPUT",
    "GITHUB_STEP_SUMMARY",
    "GITLAB_CI",
    "JENKINS_URL",
    "BUILD_URL",
    "CI_JOB_URL",
    "HARNESS_API_KEY",
    "HARNESS_API_KEY_FILE",
    "HARNESS_ENDPOINT",
    "HARNESS_ACCOUNT_ID",
    "REQUESTS_CA_BUNDLE",
    "CURL_CA_BUNDLE",
)


def gate_command() -> list[str]:
    installed = Path(sys.executable).parent / "harness-gate"
    if installed.exists():
        return [str(installed)]
    found = shutil.which("harness-gate")
    if found:
        return [found]
    pytest.fail("the harness-gate command is not installed (pip install -e '.[test]')")


@dataclass
class GateRun:
    code: int
    stdout: str
    stderr: str
    junit: Path
    json_path: Path

    @property
    def summary(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.json_path.read_text(encoding="utf-8"))
        return data

    def deployment(self, name: str) -> dict[str, Any]:
        for d in self.summary["deployments"]:
            if d["name"] == name:
                return dict(d)
        raise KeyError(name)


class Workspace:
    def __init__(self, tmp: Path, emulator: Emulator) -> None:
        self.tmp = tmp
        self.emulator = emulator
        self.count = 0

    def env(self, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k not in CI_VARIABLES}
        env.update(self.emulator.env())
        env.update(extra)
        return env

    def spec(self, text: str, name: str = "deploy.yaml") -> Path:
        path = self.tmp / name
        path.write_text(textwrap.dedent(text), encoding="utf-8")
        return path

    def start(
        self,
        *args: str,
        env: Optional[dict[str, str]] = None,
        fast: bool = True,
        log_to_file: bool = False,
    ) -> tuple[subprocess.Popen[str], Path, Path]:
        """Start the gate; with log_to_file its stderr goes to self.stderr_path (see logged)."""
        self.count += 1
        junit = self.tmp / f"junit-{self.count}.xml"
        summary = self.tmp / f"summary-{self.count}.json"
        argv = [*gate_command(), *args]
        if args and args[0] in ("run", "wait"):
            argv += ["--junit", str(junit), "--json", str(summary)]
            if fast:
                argv += FAST + (FAST_START if args[0] == "run" else [])
        self.stderr_path = self.tmp / f"stderr-{self.count}.txt"
        proc = subprocess.Popen(
            argv,
            env=env if env is not None else self.env(),
            cwd=self.tmp,
            stdout=subprocess.PIPE,
            stderr=self.stderr_path.open("w", encoding="utf-8") if log_to_file else subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            text=True,
        )
        return proc, junit, summary

    def gate(
        self,
        *args: str,
        env: Optional[dict[str, str]] = None,
        timeout: float = 60,
        fast: bool = True,
    ) -> GateRun:
        proc, junit, summary = self.start(*args, env=env, fast=fast)
        try:
            out, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, err = proc.communicate()
            pytest.fail(f"harness-gate hung; stderr:\n{err}")
        return GateRun(proc.returncode, out, err, junit, summary)

    def interrupt_when(
        self,
        proc: subprocess.Popen[str],
        condition: Any,
        sig: int = signal.SIGTERM,
        limit: float = 20,
    ) -> tuple[str, str, float]:
        """Send sig once condition() holds; returns stdout, stderr and seconds until exit."""
        end = time.monotonic() + limit
        while not condition():
            if proc.poll() is not None or time.monotonic() > end:
                out, err = proc.communicate()
                pytest.fail(f"condition never held; exit {proc.returncode}; stderr:\n{err}")
            time.sleep(0.02)
        sent = time.monotonic()
        proc.send_signal(sig)
        out, err = proc.communicate(timeout=30)
        took = time.monotonic() - sent
        if err is None:
            err = self.stderr_path.read_text(encoding="utf-8")
        return out, err, took

    def logged(self, text: str) -> bool:
        """Whether the gate started with log_to_file has written text to stderr yet."""
        try:
            return text in self.stderr_path.read_text(encoding="utf-8")
        except OSError:
            return False


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    with Emulator(time_scale=TIME_SCALE, rate_limit=None) as emu:
        yield emu


@pytest.fixture
def ws(tmp_path: Path, emulator: Emulator) -> Workspace:
    return Workspace(tmp_path, emulator)


def started_executions(emulator: Emulator) -> list[dict[str, Any]]:
    return emulator.executions()


def graphql_requests(emulator: Emulator) -> list[dict[str, Any]]:
    return [r for r in emulator.requests() if r["kind"] == "graphql"]
