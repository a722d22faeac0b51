"""The Harness APIs the gate speaks, behind one interface (see base.py)."""

from __future__ import annotations

from harness_gate.budget import RequestBudget
from harness_gate.console import Console
from harness_gate.defaults import DEFAULT_START_GRACE
from harness_gate.errors import UsageError
from harness_gate.model import FIRSTGEN, NEXTGEN
from harness_gate.platforms.base import Platform
from harness_gate.settings import ConnectionSettings
from harness_gate.stopper import Stopper
from harness_gate.transport import Transport

PLATFORMS = (FIRSTGEN, NEXTGEN)


def connect(
    name: str,
    settings: ConnectionSettings,
    console: Console,
    stopper: Stopper,
    *,
    start_grace: float = DEFAULT_START_GRACE,
    retry_base: float = 1.0,
) -> Platform:
    """The platform for a spec's `platform:` on its own transport and request budget; the
    settings are checked against it before any call."""
    if name == FIRSTGEN:
        from harness_gate.platforms import firstgen as module
    elif name == NEXTGEN:
        from harness_gate.platforms import nextgen as module  # type: ignore[no-redef]
    else:
        raise UsageError(f"unknown platform {name!r}; expected one of: {', '.join(PLATFORMS)}")
    module.check_settings(settings)
    budget = RequestBudget(module.max_rpm(settings), wait=stopper.wait)
    transport = Transport(
        settings,
        console,
        budget,
        stopper,
        retry_base=retry_base,
        headers=module.transport_headers(settings),
    )
    platform: Platform = module.PLATFORM(transport, console, start_grace)
    return platform
