"""platforms.connect: the platform a spec names, or a usage error."""

from __future__ import annotations

import io

import pytest

from harness_gate.console import Console
from harness_gate.errors import UsageError
from harness_gate.platforms import connect
from harness_gate.platforms.firstgen import FirstGenPlatform
from harness_gate.settings import ConnectionSettings, Secret
from harness_gate.stopper import Stopper

SETTINGS = ConnectionSettings(
    "https://h.example/gateway", "acct", Secret("connect-test-key-0123456789"), max_rpm=7
)


def test_firstgen_is_connected_with_the_settings_budget_and_key() -> None:
    p = connect("firstgen", SETTINGS, Console(io.StringIO()), Stopper(), start_grace=30.0)
    try:
        assert isinstance(p, FirstGenPlatform)
        assert p.budget.max_per_minute == 7
        assert p.transport._session.headers["X-Api-Key"] == "connect-test-key-0123456789"
        assert p.lookup_window(2) == SETTINGS.request_timeout + 60.0
    finally:
        p.close()


@pytest.mark.parametrize(("name", "words"), [("nextgen", "not available"), ("cg", "unknown")])
def test_other_platforms_are_usage_errors(name: str, words: str) -> None:
    with pytest.raises(UsageError, match=words):
        connect(name, SETTINGS, Console(io.StringIO()), Stopper())
