"""Everything the gate prints goes through here, so the API key can never reach a log."""

from __future__ import annotations

import sys
import threading
from datetime import datetime, timezone
from typing import Optional, TextIO

from harness_gate import redact
from harness_gate.report._common import log_text


class Console:
    """Timestamped lines on stderr, with every known secret replaced by ***."""

    def __init__(self, stream: Optional[TextIO] = None, verbose: bool = False) -> None:
        self.stream: TextIO = stream if stream is not None else sys.stderr
        self.verbose = verbose
        self._lock = threading.Lock()

    def add_secret(self, value: str) -> None:
        redact.register_secret(value)

    def redact(self, text: str) -> str:
        return redact.scrub(text)

    def raw(self, text: str) -> None:
        """Write text as is (CI workflow commands, section markers), still redacted."""
        with self._lock:
            try:
                self.stream.write(self.redact(text) + "\n")
                self.stream.flush()
            except (OSError, ValueError):
                pass  # a closed stderr must not turn a result into a crash

    def line(self, text: str) -> None:
        """A timestamped log line; ANSI escapes and control characters from Harness's texts
        (and graphql-java's alias wrapper) never reach the terminal or the CI log."""
        stamp = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        self.raw(f"[{stamp}] {log_text(text)}")

    def debug(self, text: str) -> None:
        if self.verbose:
            self.line(f"debug: {text}")
