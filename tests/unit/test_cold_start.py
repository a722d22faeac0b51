"""`--version` and `validate` load nothing they do not need (requests, junit-xml, graphql,
the emulator): CI runs them often, and the gate's first request should not wait on imports."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Optional

HEAVY = ("requests", "urllib3", "junit_xml", "graphql", "harness_gate.emulator", "xml.dom")

PROBE = """
import json, sys
from harness_gate.cli import main
try:
    main(sys.argv[1:])
except SystemExit:
    pass
print(json.dumps(sorted(sys.modules)), file=sys.stderr)
"""


def loaded_modules(*args: str, env: Optional[dict[str, str]] = None) -> list[str]:
    proc = subprocess.run(
        [sys.executable, "-c", PROBE, *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        cwd=Path(args[-1]).parent if env else None,
    )
    modules: list[str] = json.loads(proc.stderr.strip().splitlines()[-1])
    return modules


def heavy(modules: list[str]) -> list[str]:
    return [m for m in modules if any(m == h or m.startswith(h + ".") for h in HEAVY)]


def test_version_is_light() -> None:
    assert heavy(loaded_modules("--version")) == []


def test_validate_is_light(tmp_path: Path) -> None:
    spec = tmp_path / "deploy.yaml"
    spec.write_text(
        "version: 1\napplication: A\ndeployments:\n  - name: a\n    workflow: W\n",
        encoding="utf-8",
    )
    modules = loaded_modules("validate", str(spec))
    assert "harness_gate.spec" in modules  # the probe really ran the command
    assert heavy(modules) == []


def test_the_probe_sees_heavy_modules(tmp_path: Path) -> None:
    # A control: `run` against an unreachable endpoint does load requests, and the probe says so.
    spec = tmp_path / "deploy.yaml"
    spec.write_text(
        "version: 1\napplication: A\ndeployments:\n  - name: a\n    workflow: W\n",
        encoding="utf-8",
    )
    env = dict(os.environ)
    env.update(
        HARNESS_API_KEY="k",
        HARNESS_ACCOUNT_ID="acct",
        HARNESS_ENDPOINT="http://127.0.0.1:9/api/graphql",
    )
    modules = loaded_modules("run", "--timeout", "1s", "--junit", "", str(spec), env=env)
    assert "requests" in heavy(modules)
