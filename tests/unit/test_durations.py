from __future__ import annotations

import pytest

from harness_gate.durations import format_duration, parse_duration


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("90s", 90),
        ("20m", 1200),
        ("1h30m", 5400),
        ("1s", 1),
        ("45", 45),
        (30, 30),
        ("250ms", 0.25),
        ("0.5s", 0.5),
        ("2h", 7200),
        ("1m30s", 90),
    ],
)
def test_parse(text: object, seconds: float) -> None:
    assert parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["", "abc", "10x", "1h 30m", "-5", True, None, [], "m", "5m3"])
def test_reject(text: object) -> None:
    with pytest.raises(ValueError):
        parse_duration(text)


def test_format() -> None:
    assert format_duration(3.25) == "3.2s"
    assert format_duration(75) == "1m15s"
    assert format_duration(3720) == "1h02m"
