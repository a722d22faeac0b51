"""transport.Transport: the one place that retries, for every platform, on a fake clock."""

from __future__ import annotations

import io
import random
from typing import Callable, Optional

import pytest
import requests
import urllib3

from harness_gate import transport as transport_module
from harness_gate.budget import RequestBudget
from harness_gate.console import Console
from harness_gate.errors import HarnessError, HarnessUnavailable
from harness_gate.settings import ConnectionSettings, Secret
from harness_gate.transport import (
    RATE_LIMIT_BACKOFF,
    NoSlotBeforeDeadline,
    OutcomeUnknown,
    Transient,
    Transport,
    describe_transport_error,
    plain_message,
    preview,
)
from tests.unit.fakes import FakeClock, FakeStopper

ENDPOINT = "https://harness.example/gateway"


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    fake = FakeClock()
    monkeypatch.setattr(transport_module, "time", fake.as_time_module())
    return fake


def make_transport(
    clock: FakeClock, *, max_rpm: int = 100, give_up: Optional[float] = 60.0
) -> Transport:
    settings = ConnectionSettings(
        ENDPOINT, "acct", Secret("s3cret-key"), max_rpm=max_rpm, connect_give_up=give_up
    )
    stopper = FakeStopper(clock)
    budget = RequestBudget(max_rpm, clock=clock, wait=stopper.wait, rng=random.Random(1))
    return Transport(
        settings, Console(io.StringIO()), budget, stopper, rng=random.Random(2), retry_base=1.0
    )


class Script:
    """An attempt that takes a budget slot like a real send and then fails or answers."""

    def __init__(self, t: Transport, clock: FakeClock, outcomes: list[Optional[Transient]]):
        self.transport = t
        self.clock = clock
        self.outcomes = outcomes
        self.sent_at: list[float] = []

    def __call__(self) -> str:
        self.transport.budget.acquire()
        self.sent_at.append(self.clock.now)
        outcome = self.outcomes.pop(0) if self.outcomes else None
        if outcome is not None:
            raise outcome
        return "answer"


def refused() -> Transient:
    return Transient("could not connect", processed_maybe=False)


def dropped() -> Transient:
    return Transient("the connection was dropped", processed_maybe=True)


def rate_limited() -> Transient:
    return Transient("HTTP 429 rate limit", processed_maybe=False, rate_limited=True)


def call(t: Transport, attempt: Callable[[], str], clock: FakeClock, *, idempotent: bool) -> str:
    return t.call(attempt, purpose="test", deadline=clock.now + 600, idempotent=idempotent)


def test_a_read_is_retried_until_it_answers(clock: FakeClock) -> None:
    t = make_transport(clock)
    script = Script(t, clock, [dropped(), dropped(), None])
    assert call(t, script, clock, idempotent=True) == "answer"
    assert len(script.sent_at) == 3


def test_a_start_that_may_have_arrived_is_never_sent_again(clock: FakeClock) -> None:
    t = make_transport(clock)
    script = Script(t, clock, [dropped(), None])
    with pytest.raises(OutcomeUnknown, match="dropped"):
        call(t, script, clock, idempotent=False)
    assert len(script.sent_at) == 1


def test_a_start_that_surely_did_not_arrive_is_retried(clock: FakeClock) -> None:
    t = make_transport(clock)
    script = Script(t, clock, [refused(), refused(), None])
    assert call(t, script, clock, idempotent=False) == "answer"
    assert len(script.sent_at) == 3


def test_max_tries_limits_a_failure_that_repeats(clock: FakeClock) -> None:
    t = make_transport(clock)
    same = [Transient("HTTP 500 boom", processed_maybe=True, max_tries=4) for _ in range(10)]
    script = Script(t, clock, same)
    with pytest.raises(HarnessError, match=r"HTTP 500 boom \(4 attempts\)"):
        call(t, script, clock, idempotent=True)
    assert len(script.sent_at) == 4


def test_retries_stop_at_the_deadline(clock: FakeClock) -> None:
    t = make_transport(clock)
    script = Script(t, clock, [dropped() for _ in range(1000)])
    deadline = clock.now + 20
    with pytest.raises(HarnessError, match="gave up after"):
        t.call(script, purpose="read", deadline=deadline, idempotent=True)
    assert clock.now <= deadline
    assert len(script.sent_at) >= 2


def test_an_unreachable_endpoint_is_given_up_on_after_connect_give_up(clock: FakeClock) -> None:
    t = make_transport(clock, give_up=30.0)
    script = Script(t, clock, [refused() for _ in range(1000)])
    begin = clock.now
    with pytest.raises(HarnessUnavailable) as info:
        t.call(script, purpose="resolve applications", deadline=begin + 3600, idempotent=True)
    assert ENDPOINT in str(info.value) and "nothing was started" in str(info.value)
    assert 30.0 <= clock.now - begin < 3600
    assert script.sent_at[-1] - script.sent_at[0] >= 30.0


def test_after_something_started_an_unreachable_endpoint_is_waited_out(clock: FakeClock) -> None:
    from harness_gate.platforms.firstgen import FirstGenPlatform

    t = make_transport(clock, give_up=30.0)
    FirstGenPlatform(t, t.console, start_grace=120.0).started_something()
    script = Script(t, clock, [refused() for _ in range(1000)])
    begin = clock.now
    with pytest.raises(HarnessError) as info:
        t.call(script, purpose="read", deadline=begin + 300, idempotent=True)
    assert not isinstance(info.value, HarnessUnavailable)
    assert clock.now - begin > 30.0


def test_answers_in_between_reset_the_unreachable_clock(clock: FakeClock) -> None:
    # The endpoint answers (with a 502) between refusals: it is reachable, never given up on.
    t = make_transport(clock, give_up=10.0)
    outcomes = [refused() if i % 2 else dropped() for i in range(40)]
    script = Script(t, clock, [*outcomes, None])
    assert call(t, script, clock, idempotent=True) == "answer"


def test_a_first_429_is_retried_promptly_without_throttling(clock: FakeClock) -> None:
    t = make_transport(clock, max_rpm=20)
    script = Script(t, clock, [rate_limited(), None])
    assert call(t, script, clock, idempotent=False) == "answer"  # a 429 was not processed
    gap = script.sent_at[1] - script.sent_at[0]
    assert gap <= RATE_LIMIT_BACKOFF + 1e-9
    assert t.budget.limit == 20
    assert t.budget.rate_limited_count == 1


def test_repeated_429s_throttle_the_whole_process(clock: FakeClock) -> None:
    t = make_transport(clock, max_rpm=20)
    script = Script(t, clock, [rate_limited(), rate_limited(), rate_limited(), None])
    assert call(t, script, clock, idempotent=True) == "answer"
    gaps = [b - a for a, b in zip(script.sent_at, script.sent_at[1:])]
    assert gaps[-1] > gaps[0]  # each 429 in a row waits longer
    assert t.budget.limit == 10  # halved for a minute
    clock.advance(61)
    assert t.budget.limit == 20


def test_a_success_ends_the_429_streak(clock: FakeClock) -> None:
    t = make_transport(clock, max_rpm=20)
    call(t, Script(t, clock, [rate_limited(), None]), clock, idempotent=True)
    call(t, Script(t, clock, [rate_limited(), None]), clock, idempotent=True)
    assert t.budget.limit == 20  # two 429s, but never two in a row


def test_send_without_a_budget_slot_before_the_deadline_sends_nothing(clock: FakeClock) -> None:
    t = make_transport(clock, max_rpm=1)
    t.budget.acquire()  # the only slot of this minute
    sent: list[str] = []
    t._in_thread = lambda *a, **k: sent.append("x")  # type: ignore[method-assign,assignment,return-value]
    with pytest.raises(NoSlotBeforeDeadline, match="request budget"):
        t.send("POST", ENDPOINT, purpose="read", deadline=clock.now + 5)
    assert sent == []


def test_transport_errors_say_whether_the_request_may_have_arrived() -> None:
    assert describe_transport_error(requests.exceptions.ConnectTimeout()) == (
        "connection timed out",
        False,
    )
    assert describe_transport_error(requests.exceptions.ReadTimeout())[1] is True
    assert describe_transport_error(requests.exceptions.SSLError())[1] is False
    assert describe_transport_error(requests.exceptions.ConnectionError("reset"))[1] is True
    never_connected = urllib3.exceptions.MaxRetryError(
        None,  # type: ignore[arg-type]
        "/api/graphql",
        reason=urllib3.exceptions.NewConnectionError(None, "refused"),  # type: ignore[arg-type]
    )
    assert describe_transport_error(requests.exceptions.ConnectionError(never_connected)) == (
        "could not connect",
        False,
    )
    assert describe_transport_error(requests.exceptions.InvalidURL())[1] is True


def test_plain_messages_and_previews() -> None:
    assert "HTML error page" in plain_message("<!DOCTYPE html><html>502</html>")
    assert plain_message("  two\n lines ") == "two lines"
    assert plain_message("") == "(empty body)"
    assert len(plain_message("x" * 500)) == 200
    assert preview("short") == "short"
    assert preview("y" * 3000).endswith("(3000 chars)")


def test_the_key_is_scrubbed_from_the_console(clock: FakeClock) -> None:
    t = make_transport(clock)
    assert t.console.redact("header s3cret-key") == "header ***"
    assert not isinstance(OutcomeUnknown("x"), HarnessError)
