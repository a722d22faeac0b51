"""Exactly-once starts: a start whose answer is lost is looked up by its marker, and sent
again only when MIN_LOOKUPS lookups over the platform's lookup window agree that nothing was
created. All on a fake clock."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from harness_gate.errors import HarnessError, RefusedError
from harness_gate.gate.starter import MAX_START_SENDS, MIN_LOOKUPS
from harness_gate.model import Outcome
from harness_gate.platforms.base import StartAnswer, StartRequest
from harness_gate.transport import OutcomeUnknown
from tests.unit.gate.fake_platform import FakePlatform, make_items, rig

GENERIC = "An error has occurred. Please contact the Harness support team."


def lost_after_saving(save_delay: float = 0.0):  # type: ignore[no-untyped-def]
    """The start reaches Harness and is saved (maybe late), but its answer is lost."""

    def behaviour(p: FakePlatform, requests: Sequence[StartRequest]) -> list[StartAnswer]:
        for r in requests:
            p.create(r, save_delay)
        raise OutcomeUnknown("no answer within the request timeout")

    return behaviour


def lost_unprocessed(p: FakePlatform, requests: Sequence[StartRequest]) -> list[StartAnswer]:
    raise OutcomeUnknown("the connection was dropped")


def test_a_lost_answer_is_adopted_by_marker() -> None:
    r = rig({"a": 10.0})
    r.platform.start_behaviour = [lost_after_saving()]
    (t,) = r.run(make_items({"a": 10.0}))
    assert t.result.outcome is Outcome.SUCCESS
    assert t.sends == 1 and len(r.platform.starts()) == 1
    assert len(r.platform.executions) == 1
    (execution,) = r.platform.executions.values()
    assert t.result.execution_id == execution.id and t.marker in execution.notes
    assert "found the execution the lost start created" in r.output.getvalue()
    assert r.platform.started_flag


def test_a_start_saved_late_is_found_by_a_later_lookup_and_never_sent_again() -> None:
    r = rig({"a": 10.0}, window=100.0)
    r.platform.start_behaviour = [lost_after_saving(save_delay=40.0)]
    (t,) = r.run(make_items({"a": 10.0}))
    assert t.result.outcome is Outcome.SUCCESS
    assert len(r.platform.starts()) == 1 and len(r.platform.executions) == 1
    assert len(r.platform.lookups()) >= 2


@pytest.mark.parametrize("window", [0.5, 120.0])
def test_an_unprocessed_start_is_sent_again_only_after_enough_lookups_and_the_window(
    window: float,
) -> None:
    r = rig({"a": 10.0}, window=window)
    r.platform.start_behaviour = [lost_unprocessed]
    (t,) = r.run(make_items({"a": 10.0}))
    assert t.result.outcome is Outcome.SUCCESS and t.sends == 2
    first, second = (at for at, _, _ in r.platform.starts())
    lookups_between = [at for at, _, _ in r.platform.lookups() if first < at <= second]
    assert len(lookups_between) >= MIN_LOOKUPS
    assert second - first >= window
    assert lookups_between[-1] - first >= window  # the last lookup is after the window
    assert len(r.platform.executions) == 1


def test_a_failed_lookup_means_never_sending_again() -> None:
    r = rig({"a": 10.0})
    r.platform.start_behaviour = [lost_unprocessed]
    r.platform.lookup_error = HarnessError("look up lost starts: HTTP 503 (gave up)")
    (t,) = r.run(make_items({"a": 10.0}))
    assert t.result.outcome is Outcome.ERROR
    assert t.result.message.startswith("start outcome unknown: the connection was dropped")
    assert "the lookup failed too" in t.result.message
    assert len(r.platform.starts()) == 1
    assert any(t.marker in line for line in t.result.details)


def test_a_generic_error_answer_is_looked_up_before_anything_is_concluded() -> None:
    def saved_then_generic_error(
        p: FakePlatform, requests: Sequence[StartRequest]
    ) -> list[StartAnswer]:
        for r in requests:
            p.create(r)
        return [StartAnswer(unknown=f"Harness said: {GENERIC}", raw=[GENERIC]) for _ in requests]

    r = rig({"a": 10.0})
    r.platform.start_behaviour = [saved_then_generic_error]
    (t,) = r.run(make_items({"a": 10.0}))
    assert t.result.outcome is Outcome.SUCCESS  # it had been saved: not a refusal
    assert len(r.platform.lookups()) >= 1 and len(r.platform.starts()) == 1
    assert f"Harness said: {GENERIC}" in t.result.details


def test_a_refusal_fails_with_harnesss_words_once() -> None:
    words = "Invalid request: artifact source not found"

    def refuse(p: FakePlatform, requests: Sequence[StartRequest]) -> list[StartAnswer]:
        return [StartAnswer(refused=words, raw=[words]) for _ in requests]

    r = rig({"a": 10.0})
    r.platform.start_behaviour = [refuse]
    (t,) = r.run(make_items({"a": 10.0}))
    assert t.result.outcome is Outcome.FAILURE
    assert t.result.message == f"Harness refused to start it: {words}"
    assert not any(words in line for line in t.result.details)  # said once, in the message
    assert r.platform.lookups() == [] and len(r.platform.starts()) == 1


def test_a_request_refused_as_a_whole_fails_every_deployment_in_it() -> None:
    def refuse_batch(p: FakePlatform, requests: Sequence[StartRequest]) -> list[StartAnswer]:
        raise RefusedError("start: Harness refused the request", ["bad input", "second"])

    r = rig({"a": 10.0, "b": 10.0})
    r.platform.start_behaviour = [refuse_batch]
    a, b = r.run(make_items({"a": 10.0, "b": 10.0}))
    for t in (a, b):
        assert t.result.outcome is Outcome.FAILURE
        assert t.result.message == "Harness refused to start it: bad input"
        assert t.result.details == ["Harness said: second"]


def test_a_start_is_sent_at_most_max_start_sends_times() -> None:
    r = rig({"a": 10.0}, window=0.5)
    r.platform.start_behaviour = [lost_unprocessed] * (MAX_START_SENDS + 1)
    (t,) = r.run(make_items({"a": 10.0}))
    assert t.result.outcome is Outcome.ERROR
    assert f"gave up after {MAX_START_SENDS} attempts" in t.result.message
    assert len(r.platform.starts()) == MAX_START_SENDS
