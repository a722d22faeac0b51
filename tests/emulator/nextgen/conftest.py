"""NextGen emulator tests: a client for the emulator's pipeline-service routes."""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator

import pytest

if importlib.util.find_spec("graphql") is None:
    collect_ignore_glob = ["test_*.py"]
else:
    from ng_helpers import Ng

    from harness_gate.emulator import Emulator

    @pytest.fixture
    def ng(emu: Emulator) -> Iterator[Ng]:
        client = Ng(emu)
        yield client
        client.http.close()
