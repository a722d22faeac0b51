"""An in-process emulator of the Harness CD FirstGen GraphQL API, for tests and demos.

Needs the optional extra `emulator` (graphql-core); the gate itself
never imports this package.
"""

from __future__ import annotations

from harness_gate.emulator.fixture import DEFAULT_FIXTURE, FixtureError, Fixtures, load_fixtures
from harness_gate.emulator.server import Emulator
from harness_gate.emulator.state import FAULT_KINDS, FaultError

__all__ = [
    "DEFAULT_FIXTURE",
    "FAULT_KINDS",
    "Emulator",
    "FaultError",
    "FixtureError",
    "Fixtures",
    "load_fixtures",
]
