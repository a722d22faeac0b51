"""Benchmarks of harness-gate against the bundled emulator (see BENCHMARKS.md)."""
