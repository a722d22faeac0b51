"""The one scrubber: every log line and every report is passed through it as it is written,
so no field can carry the API key out, whichever field a later change adds."""

from __future__ import annotations

import threading

_lock = threading.Lock()
_secrets: list[str] = []


def register_secret(value: str) -> None:
    with _lock:
        if value and value not in _secrets:
            _secrets.append(value)
            _secrets.sort(key=len, reverse=True)  # a longer secret first: it may hold a shorter


def scrub(text: str) -> str:
    with _lock:
        secrets = list(_secrets)
    for secret in secrets:
        text = text.replace(secret, "***")
    return text
