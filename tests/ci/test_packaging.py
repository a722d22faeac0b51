"""The package as an index would get it, and the test suite as a stranger's clone runs it."""

from __future__ import annotations

import email
import importlib.util
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from harness_gate import __version__
from tests.ci.helpers import ROOT

REPOSITORY = "https://github.com/harness-gate/harness-gate"


@pytest.mark.slow
def test_the_wheel_carries_the_licence_urls_and_a_description_with_absolute_links(
    tmp_path: Path,
) -> None:
    built = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--quiet",
            "-w",
            str(tmp_path),
            str(ROOT),
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert built.returncode == 0, built.stdout + built.stderr
    (wheel,) = tmp_path.glob("harness_gate-*.whl")
    assert wheel.name.startswith(f"harness_gate-{__version__}-")
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        metadata_name = next(n for n in names if n.endswith(".dist-info/METADATA"))
        metadata = email.message_from_bytes(archive.read(metadata_name))
        assert any(n.endswith(".dist-info/LICENSE") or "/licenses/LICENSE" in n for n in names)
    assert metadata["License"] == "Apache-2.0"
    assert metadata["Requires-Python"] == ">=3.9"
    urls = dict(value.split(", ", 1) for value in metadata.get_all("Project-URL"))
    assert urls["Source"] == REPOSITORY
    assert all(url.startswith(REPOSITORY) for url in urls.values())
    assert metadata["Description-Content-Type"] == "text/markdown"
    description = metadata.get_payload()
    links = re.findall(r"\]\(([^)\s]+)\)", description)
    assert links and all(link.startswith("https://") for link in links)
    if importlib.util.find_spec("twine") is not None:  # what the release workflow runs
        checked = subprocess.run(
            [sys.executable, "-m", "twine", "check", "--strict", str(wheel)],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert checked.returncode == 0, checked.stdout + checked.stderr


def _pytest_without_shared(tmp_path: Path, **extra: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HARNESS_GATE_")}
    env.update(CI="true", HARNESS_GATE_SHARED_DIR=str(tmp_path / "no-shared-here"), **extra)
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-rs",
            "tests/report/test_report_junit.py::test_every_outcome_validates_against_the_three_schemas",
            "tests/report/test_report_junitparser.py",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_without_shared_files_a_ci_run_skips_with_a_reason(tmp_path: Path) -> None:
    # A contributor's own GitHub Actions run: CI=true, and no ../shared beside the clone.
    run = _pytest_without_shared(tmp_path)
    assert run.returncode == 0, run.stdout + run.stderr
    assert re.search(r"\b2 passed, 1 skipped\b", run.stdout), run.stdout
    assert "not available (the reference files of ../shared" in run.stdout


def test_the_projects_ci_switch_makes_missing_shared_files_a_failure(tmp_path: Path) -> None:
    run = _pytest_without_shared(tmp_path, HARNESS_GATE_REQUIRE_SHARED="1")
    assert run.returncode == 1, run.stdout + run.stderr
    assert "HARNESS_GATE_REQUIRE_SHARED=1 needs ../shared" in run.stdout
    assert re.search(r"\b1 error\b|\b1 failed\b", run.stdout), run.stdout


def test_ci_run_script_checks_for_shared_before_anything_else(tmp_path: Path) -> None:
    script = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert script.index("junit-xsd/maven-surefire-test-report.xsd") < script.index(
        "python3 -m venv"
    )
    assert "export HARNESS_GATE_REQUIRE_SHARED=1" in script
    run = subprocess.run(
        ["bash", str(ROOT / ".ci" / "run")],
        env={**os.environ, "HARNESS_GATE_SHARED_DIR": str(tmp_path / "missing")},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 1
    assert "is missing; the project's CI needs ../shared" in run.stderr
    assert not (ROOT / ".venv-ci").exists() or "== ruff" not in run.stdout
