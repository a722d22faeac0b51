"""The Harness APIs the gate speaks, behind one interface (see base.py)."""

from __future__ import annotations

from harness_gate.console import Console
from harness_gate.errors import UsageError
from harness_gate.model import FIRSTGEN, NEXTGEN
from harness_gate.platforms.base import Platform
from harness_gate.settings import ConnectionSettings
from harness_gate.stopper import Stopper

PLATFORMS = (FIRSTGEN, NEXTGEN)
DEFAULT_START_GRACE = 120.0  # FirstGen collects an unseen build inside the start: up to 120 s


def connect(
    name: str,
    settings: ConnectionSettings,
    console: Console,
    stopper: Stopper,
    *,
    start_grace: float = DEFAULT_START_GRACE,
    retry_base: float = 1.0,
) -> Platform:
    if name == FIRSTGEN:
        from harness_gate.platforms import firstgen

        return firstgen.connect(
            settings, console, stopper, start_grace=start_grace, retry_base=retry_base
        )
    if name == NEXTGEN:
        from harness_gate.platforms import nextgen

        return nextgen.connect(
            settings, console, stopper, start_grace=start_grace, retry_base=retry_base
        )
    raise UsageError(f"unknown platform {name!r}; expected one of: {', '.join(PLATFORMS)}")
