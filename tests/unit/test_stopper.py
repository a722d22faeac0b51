"""stopper.Stopper: a stop request is seen at once by every wait, and names its signal."""

from __future__ import annotations

import signal
import threading

import pytest

from harness_gate.stopper import Stopped, Stopper


def test_a_stop_names_its_signal_and_the_first_one_wins() -> None:
    s = Stopper()
    assert not s.stopped and s.signum is None
    s.stop(signal.SIGTERM)
    s.stop(signal.SIGINT)
    assert s.stopped and s.signum == signal.SIGTERM and s.signame == "SIGTERM"


def test_an_unknown_signal_number_still_has_a_name() -> None:
    s = Stopper()
    s.stop(250)
    assert s.signame == "signal 250"


def test_check_raises_only_once_stopped() -> None:
    s = Stopper()
    s.check()
    s.stop(signal.SIGINT)
    with pytest.raises(Stopped, match="SIGINT"):
        s.check()


def test_a_wait_ends_when_a_stop_comes_from_another_thread() -> None:
    s = Stopper()
    threading.Timer(0.05, s.stop, args=(signal.SIGTERM,)).start()
    assert s.wait(60) is True  # returns on the stop, not after a minute (the hang guard)


def test_a_zero_wait_reports_the_state_without_sleeping() -> None:
    s = Stopper()
    assert s.wait(0) is False
    s.stop(signal.SIGINT)
    assert s.wait(-1) is True


def test_install_routes_signals_and_restore_puts_the_old_handlers_back() -> None:
    before = signal.getsignal(signal.SIGTERM)
    s = Stopper()
    restore = s.install()
    try:
        handler = signal.getsignal(signal.SIGTERM)
        assert callable(handler) and handler is not before
        handler(signal.SIGTERM, None)  # as the interpreter would call it
        assert s.signum == signal.SIGTERM
    finally:
        restore()
    assert signal.getsignal(signal.SIGTERM) is before
