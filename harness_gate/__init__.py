"""harness-gate: use a Harness CD deployment as a CI gate."""

__version__ = "0.1.0"
