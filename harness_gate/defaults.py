"""Every default the gate has, in one place (flags, spec keys, docs and tests read them here)."""

from __future__ import annotations

DEFAULT_ENDPOINT = "https://app.harness.io/gateway"
DEFAULT_TIMEOUT = 1800.0  # a deployment's timeout, and `wait`'s, when nothing else is said
DEFAULT_POLL_INTERVAL = 10.0  # the longest wait between two status reads
DEFAULT_MAX_RPM = 10  # a third of a paid account's 30/min, so several gates fit beside each other
DEFAULT_REQUEST_TIMEOUT = 30.0
DEFAULT_CONNECT_GIVE_UP = 60.0  # before anything started: an endpoint that never answers
DEFAULT_JUNIT = "harness-gate-junit.xml"
RESOLVE_TIME = 300.0  # retries while resolving names stop here (or at --timeout)
DEFAULT_START_GRACE = 120.0  # FirstGen collects an unseen build inside the start: up to 120 s
