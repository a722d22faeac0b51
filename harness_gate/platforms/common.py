"""What every platform built on the shared transport has in common."""

from __future__ import annotations

from harness_gate.budget import RequestBudget
from harness_gate.console import Console
from harness_gate.transport import Transport


class TransportPlatform:
    def __init__(self, transport: Transport, console: Console) -> None:
        self.transport = transport
        self.console = console
        self.budget: RequestBudget = transport.budget

    def started_something(self) -> None:
        """From now on executions exist: reads keep trying until their deadlines."""
        self.transport.unreachable_limit = None

    def close(self) -> None:
        self.transport.close()
