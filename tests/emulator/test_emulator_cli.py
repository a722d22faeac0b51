"""`harness-gate emulator`: an eval-able first line, signals, and a hint when graphql is missing."""

from __future__ import annotations

import argparse
import os
import shlex
import signal
import subprocess
import sys

import pytest
import requests
from emulator_helpers import REPO

from harness_gate import cli
from harness_gate.commands import emulator as command


def _spawn(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "harness_gate", "emulator", *args],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "0"},
    )


def _exports(line: str) -> dict[str, str]:
    words = shlex.split(line)
    assert words[0] == "export"
    return dict(w.split("=", 1) for w in words[1:])


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_prints_exports_first_and_stops_on_signal(sig: signal.Signals) -> None:
    proc = _spawn("--time-scale", "60", "--no-rate-limit")
    try:
        assert proc.stdout is not None
        env = _exports(proc.stdout.readline())
        assert set(env) == {"HARNESS_ENDPOINT", "HARNESS_ACCOUNT_ID", "HARNESS_API_KEY"}
        assert env["HARNESS_ENDPOINT"].startswith("http://127.0.0.1:")
        assert env["HARNESS_ENDPOINT"].endswith("/gateway/api/graphql")
        response = requests.post(
            env["HARNESS_ENDPOINT"],
            params={"accountId": env["HARNESS_ACCOUNT_ID"]},
            headers={"X-Api-Key": env["HARNESS_API_KEY"]},
            json={"query": '{ applicationByName(name: "Harness Demo") { id } }'},
            timeout=5,
        )
        assert response.json()["data"]["applicationByName"]["id"] == "iIfYmHDqTj6Gsygtwt4VRQ"
        proc.send_signal(sig)
        assert proc.wait(timeout=5) == 0  # a hang guard; speed is for the benchmarks
        assert proc.stdout.read() == ""  # nothing else on stdout
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_bad_fixture_is_a_usage_error(tmp_path: object) -> None:
    proc = _spawn("--fixtures", "/nonexistent/world.yaml")
    out, err = proc.communicate(timeout=10)
    assert proc.returncode == 2
    assert out == ""
    assert "cannot read" in err


def test_register_adds_the_subcommand() -> None:
    parser = argparse.ArgumentParser(prog="harness-gate")
    command.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["emulator"])
    assert args.func is command.main
    assert (args.host, args.port, args.fixtures, args.time_scale) == ("127.0.0.1", 0, None, 1.0)
    assert (args.rate_limit, args.no_rate_limit) == (30, False)
    args = parser.parse_args(
        [
            "emulator",
            "--port",
            "8099",
            "--time-scale",
            "600",
            "--rate-limit",
            "5",
            "--fixtures",
            "f.yaml",
        ]
    )
    assert (args.port, args.time_scale, args.rate_limit, args.fixtures) == (
        8099,
        600.0,
        5,
        "f.yaml",
    )
    with pytest.raises(SystemExit):
        parser.parse_args(["emulator", "--rate-limit", "5", "--no-rate-limit"])
    with pytest.raises(SystemExit):
        parser.parse_args(["emulator", "--time-scale", "0"])


def test_without_graphql_it_says_how_to_install(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "graphql", None)  # makes `import graphql` fail
    assert cli.main(["emulator"]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.strip().endswith("pip install 'graphql-core>=3.2,<3.3'")


def test_the_gate_package_does_not_import_the_emulator() -> None:
    # Import every gate module (not the emulator's, nor this command) and look at sys.modules.
    code = (
        "import sys, importlib, pathlib\n"
        "for path in sorted(pathlib.Path('harness_gate').rglob('*.py')):\n"
        "    name = '.'.join(path.with_suffix('').parts).removesuffix('.__init__')\n"
        "    if 'emulator' in name or name.endswith('__main__') or name == 'harness_gate.cli':\n"
        "        continue\n"
        "    importlib.import_module(name)\n"
        "print([n for n in sys.modules if n.startswith(('harness_gate.emulator', 'graphql'))])\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
