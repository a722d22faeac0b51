"""Duration strings of the spec and the command line: 90s, 20m, 1h30m, 250ms, or bare seconds."""

from __future__ import annotations

import re

_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d)")


def parse_duration(text: object) -> float:
    """Seconds in a duration; raises ValueError with a readable reason."""
    if isinstance(text, bool):
        raise ValueError(f"expected a duration such as 90s, 20m or 1h30m, got {text!r}")
    if isinstance(text, (int, float)):
        if text < 0:
            raise ValueError(f"a duration cannot be negative: {text!r}")
        return float(text)
    if not isinstance(text, str):
        raise ValueError(f"expected a duration such as 90s, 20m or 1h30m, got {text!r}")
    value = text.strip()
    if re.fullmatch(r"\d+(?:\.\d+)?", value):
        return float(value)
    pos = 0
    total = 0.0
    for match in _PART.finditer(value):
        if match.start() != pos:
            break
        total += float(match.group(1)) * _UNITS[match.group(2)]
        pos = match.end()
    if pos != len(value) or not value:
        raise ValueError(
            f"expected a duration such as 90s, 20m, 1h30m or a number of seconds, got {text!r}"
        )
    return total


def format_duration(seconds: float) -> str:
    """Short human form: 45s, 2m05s, 1h02m."""
    seconds = max(0.0, seconds)
    if seconds < 10:
        return f"{seconds:.1f}s"
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes:02d}m"
    if minutes:
        return f"{minutes}m{secs:02d}s"
    return f"{secs}s"
