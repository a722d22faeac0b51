"""redact.scrub: every registered secret is replaced by *** wherever it appears."""

from __future__ import annotations

from harness_gate import redact


def test_registered_secrets_are_replaced_everywhere() -> None:
    redact.register_secret("redact-test-alpha")
    assert redact.scrub("a redact-test-alpha b redact-test-alpha") == "a *** b ***"


def test_text_without_a_secret_is_unchanged() -> None:
    redact.register_secret("redact-test-beta")
    text = "nothing secret here: redact-test-bet"
    assert redact.scrub(text) == text


def test_a_longer_secret_holding_a_shorter_one_is_replaced_whole() -> None:
    redact.register_secret("redact-test-k")
    redact.register_secret("redact-test-k-and-more")
    assert redact.scrub("x redact-test-k-and-more y") == "x *** y"
    assert redact.scrub("x redact-test-k y") == "x *** y"


def test_an_empty_secret_is_never_registered() -> None:
    redact.register_secret("")
    assert redact.scrub("abc") == "abc"


def test_registering_twice_keeps_one_entry() -> None:
    redact.register_secret("redact-test-twice")
    redact.register_secret("redact-test-twice")
    assert redact._secrets.count("redact-test-twice") == 1
