"""Shell completion: `harness-gate completion SHELL` prints argcomplete's code for the
installed command, and the command answers a shell's completion request."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Optional

import pytest

from tests.e2e.conftest import gate_command

pytest.importorskip("argcomplete")


def gate(*args: str, env: Optional[dict[str, str]] = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*gate_command(), *args],
        capture_output=True,
        text=True,
        env=env,
        stdin=subprocess.DEVNULL,
        timeout=60,
    )


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_completion_script_names_the_command(shell: str) -> None:
    ran = gate("completion", shell)
    assert ran.returncode == 0, ran.stderr
    assert "harness-gate" in ran.stdout
    assert ran.stderr == ""


def test_completion_refuses_an_unknown_shell() -> None:
    ran = gate("completion", "tcsh")
    assert ran.returncode == 2
    assert "invalid choice" in ran.stderr


def complete(line: str, tmp_path: Path) -> list[str]:
    """Ask the command what bash would offer at the end of `line` (argcomplete's protocol:
    the answer goes to file descriptor 8, separated by _ARGCOMPLETE_IFS)."""
    out = tmp_path / "completions"
    env = dict(os.environ)
    env.update(
        _ARGCOMPLETE="1",
        _ARGCOMPLETE_SHELL="bash",
        _ARGCOMPLETE_IFS="\n",
        COMP_LINE=line,
        COMP_POINT=str(len(line)),
        COMP_TYPE="9",
    )
    env["GATE"] = gate_command()[0]
    env["ANSWER"] = str(out)
    proc = subprocess.run(
        ["bash", "-c", '"$GATE" 8>"$ANSWER" 9>/dev/null'],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    return [word.strip() for word in out.read_text().split("\n") if word.strip()]


def test_bash_completes_a_subcommand(tmp_path: Path) -> None:
    assert complete("harness-gate ru", tmp_path) == ["run"]
    offered = complete("harness-gate ", tmp_path)
    for command in ("run", "validate", "plan", "wait", "schema", "completion"):
        assert command in offered


def test_bash_completes_flags_and_choices(tmp_path: Path) -> None:
    assert "--no-wait" in complete("harness-gate run --no-w", tmp_path)
    assert complete("harness-gate completion z", tmp_path) == ["zsh"]
    assert set(complete("harness-gate run --output ", tmp_path)) == {"text", "json"}
