"""Locate ../shared beside the repository; CI has it, so there a missing copy is a failure."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"


def shared_path(*parts: str) -> Path:
    path = SHARED.joinpath(*parts)
    if not path.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{path} is missing; CI must have ../shared beside the repository")
        pytest.skip(f"{path} not available")
    return path


def load_real_schema() -> tuple[Any, Any]:
    schema_dir = shared_path("harness-graphql-schema")
    if str(schema_dir) not in sys.path:
        sys.path.insert(0, str(schema_dir))
    import load_schema  # type: ignore[import-not-found]

    return load_schema.load_schema(), load_schema.check_query
