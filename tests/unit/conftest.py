"""Unit tests share one process: secrets one test registers must not scrub another's output."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from harness_gate import redact


@pytest.fixture(autouse=True)
def _isolated_secrets() -> Iterator[None]:
    with redact._lock:
        saved = list(redact._secrets)
    yield
    with redact._lock:
        redact._secrets[:] = saved
