"""Fixtures for the emulator tests: an emulator per test and a client talking to it."""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from typing import Any

import pytest

if importlib.util.find_spec("graphql") is None:
    # The emulator is an optional extra; without graphql-core these tests cannot run.
    collect_ignore_glob = ["test_*.py"]
else:
    from emulator_helpers import Client
    from emulator_helpers import required_real_schema as _required_real_schema

    from harness_gate.emulator import Emulator

    @pytest.fixture
    def emu() -> Iterator[Emulator]:
        """Real-time clock, no rate limit: tests move time on with emu.advance()."""
        with Emulator(rate_limit=None) as emulator:
            yield emulator

    @pytest.fixture
    def client(emu: Emulator) -> Iterator[Client]:
        c = Client(emu)
        yield c
        c.http.close()

    @pytest.fixture
    def required_real_schema() -> Any:
        """The real schema; in CI its absence fails the test, elsewhere it skips it."""
        return _required_real_schema()
