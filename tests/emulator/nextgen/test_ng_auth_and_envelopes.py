"""NextGen auth (x-api-key, Harness-Account, accountIdentifier) and the error envelopes."""

from __future__ import annotations

import requests
from ng_helpers import Ng

from harness_gate.emulator import Emulator

ERROR_DTO_KEYS = {
    "status",
    "code",
    "message",
    "correlationId",
    "detailedMessage",
    "responseMessages",
    "metadata",
}


def _assert_invalid_token(response: requests.Response) -> None:
    assert response.status_code == 401
    body = response.json()
    assert set(body) == ERROR_DTO_KEYS
    assert body["status"] == "ERROR"
    assert body["code"] == "INVALID_TOKEN"
    assert body["message"] == "Token is not valid."
    assert body["correlationId"]
    assert body["responseMessages"][0]["code"] == "INVALID_TOKEN"


def test_pat_and_sat_tokens_read_a_pipeline(emu: Emulator, ng: Ng) -> None:
    env = emu.ng_env()
    assert env["HARNESS_NG_API_KEY"].startswith(f"pat.{emu.account_id}.")
    assert env["HARNESS_NG_SAT_API_KEY"].startswith(f"sat.{emu.account_id}.")
    assert len(env["HARNESS_NG_API_KEY"].split(".")) == 4
    for token in (env["HARNESS_NG_API_KEY"], env["HARNESS_NG_SAT_API_KEY"]):
        data = Ng(emu, token=token).ok("GET", "/pipelines/smoke_test")
        assert data["storeType"] == "INLINE"


def test_success_envelope_is_a_response_dto(ng: Ng) -> None:
    response = ng.call("GET", "/pipelines/smoke_test")
    body = response.json()
    assert set(body) == {"status", "data", "metaData", "correlationId"}
    assert body["status"] == "SUCCESS"
    assert body["correlationId"]


def test_missing_wrong_or_foreign_key_is_401_invalid_token(emu: Emulator, ng: Ng) -> None:
    acct = emu.account_id
    _assert_invalid_token(ng.call("GET", "/pipelines/smoke_test", headers={}))
    _assert_invalid_token(
        ng.call(
            "GET",
            "/pipelines/smoke_test",
            headers={"x-api-key": "pat.nope", "Harness-Account": acct},
        )
    )
    # A well-formed token of another account.
    other = ng.token.replace(f"pat.{acct}.", "pat.OtherAccount.")
    _assert_invalid_token(
        ng.call(
            "GET", "/pipelines/smoke_test", headers={"x-api-key": other, "Harness-Account": acct}
        )
    )
    # The right key against another account.
    params = ng.scope(accountIdentifier="OtherAccount")
    _assert_invalid_token(
        ng.call("GET", "/pipelines/smoke_test", params=params, headers={"x-api-key": ng.token})
    )


def test_the_account_may_come_from_the_query_alone(ng: Ng) -> None:
    response = ng.call("GET", "/pipelines/smoke_test", headers={"X-API-KEY": ng.token})
    assert response.status_code == 200


def test_no_account_anywhere_is_400_invalid_request(ng: Ng) -> None:
    params = {"orgIdentifier": ng.org, "projectIdentifier": ng.project}
    response = ng.call(
        "GET", "/pipelines/smoke_test", params=params, headers={"x-api-key": ng.token}
    )
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "INVALID_REQUEST"
    assert body["message"] == "Invalid request: Account detail is not present in the request"


def test_missing_scope_parameter_is_a_failure_dto(ng: Ng) -> None:
    params = {"accountIdentifier": ng.account, "projectIdentifier": ng.project}
    response = ng.call("GET", "/pipelines/smoke_test", params=params)
    assert response.status_code == 400
    body = response.json()
    assert set(body) == {"status", "code", "message", "correlationId", "errors"}
    assert body["status"] == "FAILURE"
    assert body["code"] == "INVALID_REQUEST"
    assert body["errors"] == [{"fieldId": "orgIdentifier", "error": "must not be null"}]


def test_unknown_route_is_400_not_404(ng: Ng) -> None:
    response = ng.call("GET", "/no/such/route")
    assert response.status_code == 400
    body = response.json()
    assert body["status"] == "FAILURE"
    assert body["code"] == "RESOURCE_NOT_FOUND_EXCEPTION"


def test_both_gateway_prefixes_serve_the_same_routes(emu: Emulator) -> None:
    for prefix in ("/gateway/pipeline/api", "/pipeline/api"):
        client = Ng(emu, prefix=prefix)
        assert client.ok("GET", "/pipelines/smoke_test")["yamlPipeline"]


def test_requests_are_logged_with_operation_params_and_body(emu: Emulator, ng: Ng) -> None:
    emu.clear_requests()
    ng.call("GET", "/pipelines/smoke_test")
    (entry,) = emu.requests()
    assert entry["kind"] == "nextgen"
    assert entry["operation"] == "getPipeline"
    assert entry["fields"] == ["getPipeline", "nextgen"]
    assert entry["variables"]["params"]["orgIdentifier"] == "default"
    assert entry["status"] == 200


def test_access_denied_envelope_has_failed_checks_and_no_correlation_id(ng: Ng) -> None:
    response = ng.start_raw("restricted_deploy")
    assert response.status_code == 403
    body = response.json()
    assert body["code"] == "NG_ACCESS_DENIED"
    assert body["correlationId"] is None
    assert "Missing permission core_pipeline_execute on pipeline with identifier" in body["message"]
    assert body["message"].startswith("Principal of type USER with identifier ")
    (check,) = body["failedPermissionChecks"]
    assert check["permission"] == "core_pipeline_execute"
    assert check["resourceIdentifier"] == "restricted_deploy"
