"""Resolving NextGen pipelines, runtime-input templates, input sets and merge."""

from __future__ import annotations

import yaml
from ng_helpers import RUNTIME_YAML, Ng

from harness_gate.emulator import Emulator


def test_get_pipeline_by_identifier(ng: Ng) -> None:
    data = ng.ok("GET", "/pipelines/deploy_guestbook")
    assert yaml.safe_load(data["yamlPipeline"])["pipeline"]["identifier"] == "deploy_guestbook"
    assert data["entityValidityDetails"] == {"valid": True, "invalidYaml": None}
    assert data["storeType"] == "INLINE"


def test_unknown_pipeline_is_404_entity_not_found(ng: Ng) -> None:
    response = ng.call("GET", "/pipelines/nope")
    assert response.status_code == 404
    body = response.json()
    assert body["code"] == "ENTITY_NOT_FOUND"
    assert body["message"] == (
        "Pipeline with the given ID: nope does not exist or has been deleted."
    )


def test_the_same_identifier_in_another_project_is_another_pipeline(ng: Ng) -> None:
    mine = ng.ok("GET", "/pipelines/summary/smoke_test")
    other = ng.ok(
        "GET", "/pipelines/summary/smoke_test", params=ng.scope(projectIdentifier="payments")
    )
    assert mine["description"] != other["description"]


def test_summary_shows_draft_and_invalid(ng: Ng) -> None:
    assert ng.ok("GET", "/pipelines/summary/draft_pipeline")["isDraft"] is True
    invalid = ng.ok("GET", "/pipelines/summary/invalid_pipeline")
    assert invalid["entityValidityDetails"]["valid"] is False
    assert invalid["entityValidityDetails"]["invalidYaml"]


def test_list_by_exact_name(ng: Ng) -> None:
    body = {"filterType": "PipelineSetup", "name": "Smoke Test"}
    page = ng.ok("POST", "/pipelines/list", params=ng.scope(page=0, size=50), json=body)
    assert [p["identifier"] for p in page["content"]] == ["smoke_test"]
    assert page["totalElements"] == 1
    both = ng.ok(
        "POST", "/pipelines/list", json={"filterType": "PipelineSetup", "name": "Legacy Deploy"}
    )
    assert sorted(p["identifier"] for p in both["content"]) == ["legacy_deploy", "legacy_deploy_v2"]
    none = ng.ok(
        "POST", "/pipelines/list", json={"filterType": "PipelineSetup", "name": "smoke test"}
    )
    assert none["content"] == []


def test_list_search_term_is_a_case_insensitive_regex(ng: Ng) -> None:
    params = ng.scope(searchTerm="^LEGACY_deploy", size=100)
    page = ng.ok("POST", "/pipelines/list", params=params, json={"filterType": "PipelineSetup"})
    assert sorted(p["identifier"] for p in page["content"]) == ["legacy_deploy", "legacy_deploy_v2"]
    by_tag = ng.ok(
        "POST",
        "/pipelines/list",
        params=ng.scope(searchTerm="guestbook"),
        json={"filterType": "PipelineSetup"},
    )
    assert "deploy_guestbook" in [p["identifier"] for p in by_tag["content"]]


def test_list_pages(ng: Ng) -> None:
    body = {"filterType": "PipelineSetup"}
    first = ng.ok("POST", "/pipelines/list", params=ng.scope(page=0, size=5), json=body)
    second = ng.ok("POST", "/pipelines/list", params=ng.scope(page=1, size=5), json=body)
    assert len(first["content"]) == 5
    assert first["totalElements"] > 5
    assert not {p["identifier"] for p in first["content"]} & {
        p["identifier"] for p in second["content"]
    }


def test_remote_pipeline_has_git_details_and_branches(ng: Ng) -> None:
    data = ng.ok("GET", "/pipelines/remote_deploy", params=ng.scope(branch="develop"))
    assert data["storeType"] == "REMOTE"
    assert data["gitDetails"]["branch"] == "develop"
    assert data["gitDetails"]["filePath"] == ".harness/remote_deploy.yaml"
    response = ng.call("GET", "/pipelines/remote_deploy", params=ng.scope(branch="nope"))
    assert response.status_code == 400


def test_template_lists_runtime_inputs(ng: Ng) -> None:
    data = ng.ok(
        "POST", "/inputSets/template", params=ng.scope(pipelineIdentifier="deploy_guestbook")
    )
    template = yaml.safe_load(data["inputSetTemplateYaml"])["pipeline"]
    deploy = template["stages"][0]["stage"]
    assert deploy["identifier"] == "deploy"
    assert deploy["spec"]["service"]["serviceRef"] == "<+input>"
    assert deploy["spec"]["environment"]["environmentRef"] == "<+input>.default(dev)"
    assert template["variables"][1] == {
        "name": "region",
        "type": "String",
        "value": "<+input>.allowedValues(us-east-1,eu-west-1,ap-south-1)",
    }
    assert data["hasInputSets"] is True


def test_template_of_a_pipeline_without_inputs_is_empty(ng: Ng) -> None:
    data = ng.ok("POST", "/inputSets/template", params=ng.scope(pipelineIdentifier="smoke_test"))
    assert data["inputSetTemplateYaml"] == ""
    only_build = ng.ok(
        "POST",
        "/inputSets/template",
        params=ng.scope(pipelineIdentifier="deploy_guestbook"),
        json={"stageIdentifiers": ["build"]},
    )
    assert "<+input>" in only_build["inputSetTemplateYaml"]  # pipeline variables stay
    assert "serviceRef" not in only_build["inputSetTemplateYaml"]


def test_input_sets_list_and_get(ng: Ng) -> None:
    params = ng.scope(pipelineIdentifier="deploy_guestbook")
    page = ng.ok("GET", "/inputSets", params=params)
    assert [s["identifier"] for s in page["content"]] == [
        "guestbook_dev",
        "eu_region",
        "guestbook_dev_eu",
    ]
    assert page["totalItems"] == 3
    overlays = ng.ok("GET", "/inputSets", params={**params, "inputSetType": "OVERLAY_INPUT_SET"})
    assert [s["inputSetType"] for s in overlays["content"]] == ["OVERLAY_INPUT_SET"]
    one = ng.ok("GET", "/inputSets/guestbook_dev", params=params)
    assert "serviceRef: guestbook" in one["inputSetYaml"]
    overlay = ng.ok("GET", "/inputSets/overlay/guestbook_dev_eu", params=params)
    assert overlay["inputSetReferences"] == ["guestbook_dev", "eu_region"]
    assert ng.call("GET", "/inputSets/nope", params=params).status_code == 404


def test_merge_input_sets_and_runtime_yaml(ng: Ng) -> None:
    body = {
        "inputSetReferences": ["guestbook_dev_eu"],
        "lastYamlToMerge": "pipeline:\n  identifier: deploy_guestbook\n  variables:\n"
        "    - name: version\n      type: String\n      value: 2.0.0\n",
        "withMergedPipelineYaml": False,
    }
    data = ng.ok(
        "POST",
        "/inputSets/merge",
        params=ng.scope(pipelineIdentifier="deploy_guestbook"),
        json=body,
    )
    assert data["isErrorResponse"] is False
    merged = yaml.safe_load(data["pipelineYaml"])["pipeline"]
    assert merged["stages"][0]["stage"]["spec"]["service"]["serviceRef"] == "guestbook"
    assert {v["name"]: v["value"] for v in merged["variables"]} == {
        "version": "2.0.0",
        "region": "eu-west-1",
    }


def test_merge_reports_bad_values_with_200(ng: Ng) -> None:
    bad = RUNTIME_YAML.replace("us-east-1", "mars-1")
    body = {"inputSetReferences": ["nope"], "lastYamlToMerge": bad}
    data = ng.ok(
        "POST",
        "/inputSets/merge",
        params=ng.scope(pipelineIdentifier="deploy_guestbook"),
        json=body,
    )
    assert data["isErrorResponse"] is True
    wrapper = data["inputSetErrorWrapper"]
    assert wrapper["invalidInputSetReferences"] == ["nope"]
    (errors,) = wrapper["uuidToErrorResponseMap"].values()
    assert errors["errors"][0]["fieldName"] == "value"
    assert "mars-1" in errors["errors"][0]["message"]


def test_merge_flags_fields_that_are_not_inputs(ng: Ng) -> None:
    text = "pipeline:\n  identifier: smoke_test\n  variables:\n    - name: x\n      value: y\n"
    data = ng.ok(
        "POST",
        "/inputSets/merge",
        params=ng.scope(pipelineIdentifier="smoke_test"),
        json={"lastYamlToMerge": text},
    )
    assert data["isErrorResponse"] is True
    (errors,) = data["inputSetErrorWrapper"]["uuidToErrorResponseMap"].values()
    assert errors["errors"][0]["message"] == (
        "Field either not present in pipeline or not a runtime input"
    )


def test_preflight_check_is_polled_until_done(emu: Emulator, ng: Ng) -> None:
    response = ng.call(
        "POST",
        "/pipeline/execute/preflightCheck",
        params=ng.scope(pipelineIdentifier="deploy_guestbook"),
        headers=ng.headers(**{"Content-Type": "application/yaml"}),
        data=RUNTIME_YAML.replace("us-east-1", "mars-1").encode(),
    )
    assert response.status_code == 200
    check_id = response.json()["data"]
    params = ng.scope(preflightCheckId=check_id)
    first = ng.ok("GET", "/pipeline/execute/getPreflightCheckResponse", params=params)
    assert first["status"] == "IN_PROGRESS"
    emu.advance(3)
    done = ng.ok("GET", "/pipeline/execute/getPreflightCheckResponse", params=params)
    assert done["status"] == "FAILURE"
    failed = [
        r for r in done["pipelineInputWrapperResponse"]["pipelineInputResponse"] if not r["success"]
    ]
    assert [r["fqn"] for r in failed] == ["pipeline.variables.region.value"]
