"""The gate loop and its parts: exactly-once starts, status interpretation, poll timing."""

from harness_gate.gate.loop import Gate, WatchOptions
from harness_gate.gate.tracked import Deadline, State, Tracked

__all__ = ["Deadline", "Gate", "State", "Tracked", "WatchOptions"]
