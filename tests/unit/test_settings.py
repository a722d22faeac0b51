from __future__ import annotations

import argparse
import base64
from pathlib import Path

import pytest

from harness_gate.defaults import DEFAULT_JUNIT
from harness_gate.errors import UsageError
from harness_gate.settings import (
    ReportSettings,
    Secret,
    account_from_key,
    build_settings,
    check_endpoint,
)

KEY = base64.b64encode(b"acct123::" + b"k" * 80).decode()


def test_key_from_environment_and_account_from_key() -> None:
    s = build_settings({"HARNESS_API_KEY": KEY})
    assert s.api_key.reveal() == KEY
    assert s.account_id == "acct123"
    assert s.endpoint == "https://app.harness.io/gateway"
    assert s.graphql_url == "https://app.harness.io/gateway/api/graphql"
    assert KEY not in repr(s) and KEY not in str(s.api_key)


def test_key_from_file(tmp_path: Path) -> None:
    f = tmp_path / "key"
    f.write_text(KEY + "\n")
    s = build_settings({"HARNESS_API_KEY_FILE": str(f), "HARNESS_ACCOUNT_ID": "other"})
    assert s.api_key.reveal() == KEY
    assert s.account_id == "other"


def test_flags_win_over_environment() -> None:
    s = build_settings(
        {"HARNESS_API_KEY": KEY, "HARNESS_ENDPOINT": "https://a.example/api/graphql"},
        endpoint="https://b.example/gateway/api/graphql",
        account_id="flag",
    )
    assert s.endpoint.startswith("https://b.example")
    assert s.account_id == "flag"
    assert s.url("api/executions/x") == "https://b.example/gateway/api/executions/x"


@pytest.mark.parametrize(
    "endpoint",
    [
        "https://h.example/gateway",
        "https://h.example/gateway/",
        "https://h.example/gateway/api/graphql",
        "https://h.example/gateway/api/graphql/",
    ],
)
def test_base_url_and_graphql_url_forms_both_work(endpoint: str) -> None:
    s = build_settings({"HARNESS_API_KEY": KEY}, endpoint=endpoint)
    assert s.base_url == "https://h.example/gateway"
    assert s.graphql_url == "https://h.example/gateway/api/graphql"
    assert s.url("pipeline/api/x") == "https://h.example/gateway/pipeline/api/x"
    assert s.url("/api/executions/e") == "https://h.example/gateway/api/executions/e"


def test_endpoint_from_the_environment() -> None:
    env = {"HARNESS_API_KEY": KEY, "HARNESS_ENDPOINT": " https://env.example/gateway "}
    assert build_settings(env).graphql_url == "https://env.example/gateway/api/graphql"


def report_args(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    ReportSettings.register_argparse_arguments(parser)
    return parser.parse_args(list(argv))


def test_report_settings_from_flags() -> None:
    reports = ReportSettings.from_argparse(
        report_args("--junit", "out/j.xml", "--json", "-", "--dotenv", "d.env", "-o", "json")
    )
    assert (reports.junit, reports.json, reports.dotenv, reports.output) == (
        "out/j.xml",
        "-",
        "d.env",
        "json",
    )
    assert ReportSettings.from_argparse(report_args()).junit == DEFAULT_JUNIT


def test_report_settings_refuse_junit_on_stdout() -> None:
    with pytest.raises(UsageError, match="--junit - is not supported"):
        ReportSettings.from_argparse(report_args("--junit", "-"))


@pytest.mark.parametrize(
    "env",
    [{}, {"HARNESS_API_KEY": KEY, "HARNESS_API_KEY_FILE": "/x"}, {"HARNESS_API_KEY_FILE": "/nope"}],
)
def test_key_problems_are_usage_errors(env: dict[str, str]) -> None:
    with pytest.raises(UsageError) as info:
        build_settings(env)
    assert KEY not in str(info.value)


def test_plain_http_only_to_loopback() -> None:
    assert check_endpoint("http://127.0.0.1:8080/api/graphql", allow_http=False)
    assert check_endpoint("http://localhost/api/graphql", allow_http=False)
    with pytest.raises(UsageError, match="unencrypted"):
        check_endpoint("http://harness.example.com/api/graphql", allow_http=False)
    assert check_endpoint("http://harness.example.com/api/graphql", allow_http=True)
    with pytest.raises(UsageError):
        check_endpoint("ftp://x/y", allow_http=True)


def test_account_from_non_firstgen_key() -> None:
    assert account_from_key(Secret("not-base64!")) is None
    with pytest.raises(UsageError, match="account id"):
        build_settings({"HARNESS_API_KEY": "plainkey"})


def test_ca_bundle_from_flag_or_environment(tmp_path: Path) -> None:
    bundle = tmp_path / "ca.pem"
    bundle.write_text("-----BEGIN CERTIFICATE-----\n")
    assert build_settings({"HARNESS_API_KEY": KEY}).verify is True  # TLS verified by default
    assert build_settings({"HARNESS_API_KEY": KEY}, ca_bundle=str(bundle)).verify == str(bundle)
    env = {"HARNESS_API_KEY": KEY, "REQUESTS_CA_BUNDLE": str(bundle)}
    assert build_settings(env).verify == str(bundle)
    with pytest.raises(UsageError, match="CA bundle not found"):
        build_settings({"HARNESS_API_KEY": KEY}, ca_bundle=str(tmp_path / "missing.pem"))
