"""console.Console: timestamped lines on a stream, every known secret redacted."""

from __future__ import annotations

import io
import re

from harness_gate.console import Console

SECRET = "console-test-secret-0123456789"


def test_a_line_is_timestamped_and_redacted() -> None:
    stream = io.StringIO()
    console = Console(stream)
    console.add_secret(SECRET)
    console.line(f"header X-Api-Key: {SECRET}")
    assert re.fullmatch(
        r"\[\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\] header X-Api-Key: \*\*\*\n", stream.getvalue()
    )


def test_raw_text_is_redacted_too() -> None:
    stream = io.StringIO()
    console = Console(stream)
    console.add_secret(SECRET)
    console.raw(f"::group::{SECRET}")
    assert stream.getvalue() == "::group::***\n"


def test_debug_only_when_verbose() -> None:
    quiet, loud = io.StringIO(), io.StringIO()
    Console(quiet).debug("details")
    Console(loud, verbose=True).debug("details")
    assert quiet.getvalue() == "" and "debug: details" in loud.getvalue()


class BrokenPipe(io.StringIO):
    def write(self, text: str) -> int:
        self.attempts = getattr(self, "attempts", 0) + 1
        raise BrokenPipeError(32, "Broken pipe")


def test_a_broken_or_closed_stream_is_not_a_crash() -> None:
    broken = BrokenPipe()
    Console(broken).line("the CI stopped reading")
    assert broken.attempts == 1  # it was written to, and the error stayed inside
    closed = io.StringIO()
    closed.close()
    Console(closed).line("still fine")
    assert closed.closed
