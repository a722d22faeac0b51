"""Harness NextGen pipelines (pipeline-service REST) served by the same emulator process.

The `nextgen:` section of a fixture describes organizations, projects, pipelines (their YAML
with `<+input>` runtime inputs, input sets, stage behaviour) and API tokens; see
docs/emulator.md.
"""

from __future__ import annotations

from harness_gate.emulator.nextgen.fixture import NgFixtures, parse_nextgen
from harness_gate.emulator.nextgen.service import PREFIXES, ROUTES, NextGen, route_of

__all__ = ["PREFIXES", "ROUTES", "NextGen", "NgFixtures", "parse_nextgen", "route_of"]
