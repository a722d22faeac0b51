"""Locate the reference files in ../shared beside the repository.

A fresh clone has nothing beside it: the checks that need ../shared (the real Harness schema,
the JUnit XSDs) are skipped with a reason pytest prints (`-ra`). The project's own CI
(.ci/run) sets HARNESS_GATE_REQUIRE_SHARED=1, and there a missing file fails the test
instead. `CI=true` alone changes nothing: a contributor's fork runs the same tests in its own
GitHub Actions or GitLab CI, where the files are not there.

HARNESS_GATE_SHARED_DIR points at another copy of the shared folder.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[1]
REQUIRE_VARIABLE = "HARNESS_GATE_REQUIRE_SHARED"
DIR_VARIABLE = "HARNESS_GATE_SHARED_DIR"


def shared_dir() -> Path:
    override = os.environ.get(DIR_VARIABLE, "")
    return Path(override) if override else REPO.parent / "shared"


SHARED = shared_dir()


def shared_required() -> bool:
    """Whether a missing shared file is a failure (the project's CI) rather than a skip."""
    return os.environ.get(REQUIRE_VARIABLE, "").strip().lower() in ("1", "true", "yes")


def missing_shared(what: Path) -> None:
    """Fail (HARNESS_GATE_REQUIRE_SHARED=1) or skip, saying what is missing and why."""
    if shared_required():
        pytest.fail(
            f"{what} is missing; {REQUIRE_VARIABLE}=1 needs ../shared beside the repository"
        )
    pytest.skip(
        f"{what} not available (the reference files of ../shared; see tests/shared_schema.py)"
    )


def shared_path(*parts: str) -> Path:
    path = shared_dir().joinpath(*parts)
    if not path.exists():
        missing_shared(path)
    return path


def load_real_schema() -> tuple[Any, Any]:
    schema_dir = shared_path("harness-graphql-schema")
    if str(schema_dir) not in sys.path:
        sys.path.insert(0, str(schema_dir))
    import load_schema  # type: ignore[import-not-found]

    return load_schema.load_schema(), load_schema.check_query
