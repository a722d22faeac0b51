"""Checks made before anything starts, by the server's own rules (Harness itself ignores a
misspelt variable name): check_variables and missing_inputs."""

from __future__ import annotations

from typing import Any

import pytest

from harness_gate.model import ArtifactInput, Deployment, ManifestInput, VariableInput
from harness_gate.platforms.firstgen.resolve import (
    FirstGenTarget,
    check_variables,
    missing_inputs,
)

DECLARED = [
    {"name": "Environment", "type": "Environment", "required": True, "allowedValues": None},
    {"name": "branch", "type": "Text", "required": False, "allowedValues": []},
    {"name": "region", "type": "Text", "required": False, "allowedValues": ["eu", "us"]},
    {"name": "fixedOne", "type": "Text", "required": True, "fixed": True, "defaultValue": "x"},
    {"name": "infra", "type": "Infrastructure", "required": False, "allowedValues": ["k8s"]},
]


def deployment(
    *variables: tuple[str, str], allow_unknown: bool = False, entity_type: str = "workflow"
) -> Deployment:
    return Deployment(
        name="d",
        entity_type=entity_type,
        entity_name="W",
        application="A",
        variables=[VariableInput(n, v) for n, v in variables],
        allow_unknown_variables=allow_unknown,
    )


def test_all_good() -> None:
    problems, warnings = check_variables(
        deployment(("Environment", "dev"), ("region", "eu,us")), DECLARED
    )
    assert problems == [] and warnings == []


def test_missing_required_but_not_fixed() -> None:
    problems, _ = check_variables(deployment(("branch", "main")), DECLARED)
    assert len(problems) == 1
    assert "Environment" in problems[0] and "fixedOne" not in problems[0]


def test_unknown_name_with_did_you_mean() -> None:
    problems, warnings = check_variables(
        deployment(("Environment", "dev"), ("brnch", "x")), DECLARED
    )
    assert warnings == []
    assert "'brnch' is not declared" in problems[0] and "did you mean 'branch'" in problems[0]


def test_unknown_name_allowed_is_a_warning() -> None:
    problems, warnings = check_variables(
        deployment(("Environment", "dev"), ("extra", "x"), allow_unknown=True), DECLARED
    )
    assert problems == [] and "'extra'" in warnings[0]


def test_allowed_values_each_comma_separated_part() -> None:
    problems, _ = check_variables(deployment(("Environment", "dev"), ("region", "eu,ap")), DECLARED)
    assert problems == ["variable 'region': 'ap' not among the allowed values [eu, us]"]


@pytest.mark.parametrize("entity_type", ["workflow", "pipeline"])
def test_allowed_values_apply_to_every_type_of_variable(entity_type: str) -> None:
    # Not just Text: an entity-typed variable with a list is checked too, in both entities.
    problems, _ = check_variables(
        deployment(("Environment", "dev"), ("infra", "ecs"), entity_type=entity_type), DECLARED
    )
    assert len(problems) == 1 and "'ecs' not among the allowed values [k8s]" in problems[0]


def test_an_empty_allowed_list_allows_anything() -> None:
    problems, _ = check_variables(deployment(("Environment", "dev"), ("branch", "x")), DECLARED)
    assert problems == []


def test_a_fixed_value_cannot_change_in_a_workflow() -> None:
    problems, _ = check_variables(deployment(("Environment", "dev"), ("fixedOne", "y")), DECLARED)
    assert len(problems) == 1 and "fixed to 'x'" in problems[0] and "'y'" in problems[0]
    same, _ = check_variables(deployment(("Environment", "dev"), ("fixedOne", "x")), DECLARED)
    assert same == []


def test_fixed_is_not_enforced_for_pipelines() -> None:
    # The server checks fixed values for workflows only; a pipeline takes the value as given.
    problems, _ = check_variables(
        deployment(("Environment", "dev"), ("fixedOne", "y"), entity_type="pipeline"), DECLARED
    )
    assert problems == []


def test_declared_entries_without_a_name_are_ignored() -> None:
    declared: list[Any] = [{"required": True}, "junk", {"name": "v", "required": True}]
    problems, _ = check_variables(deployment(("v", "1")), declared)
    assert problems == []


def with_inputs(
    artifacts: tuple[str, ...] = (), charts: tuple[str, ...] = (), entity_type: str = "pipeline"
) -> Deployment:
    d = deployment(entity_type=entity_type)
    d.artifacts = [ArtifactInput(service=s, source="src", build="1") for s in artifacts]
    d.manifests = [ManifestInput(service=s, manifest="m", version="1.0") for s in charts]
    return d


def test_missing_inputs_none_when_all_given() -> None:
    inputs = {"serviceInputs": [{"id": "1", "name": "api"}], "serviceManifestInputs": []}
    assert missing_inputs(with_inputs(artifacts=("api",)), inputs) is None
    assert missing_inputs(with_inputs(), {}) is None


def test_missing_artifacts_are_named() -> None:
    inputs = {"serviceInputs": [{"name": "api"}, {"name": "web"}]}
    problem = missing_inputs(with_inputs(artifacts=("api",)), inputs)
    assert problem is not None
    assert "no artifact given for service(s) web" in problem and "api" not in problem


def test_missing_helm_charts_are_named() -> None:
    inputs = {"serviceInputs": [], "serviceManifestInputs": [{"name": "chart-svc"}]}
    problem = missing_inputs(with_inputs(), inputs)
    assert problem is not None
    assert "no Helm chart version given for service(s) chart-svc" in problem
    assert "no artifact" not in problem
    assert missing_inputs(with_inputs(charts=("chart-svc",)), inputs) is None


def test_missing_artifacts_and_charts_together() -> None:
    inputs = {"serviceInputs": [{"name": "a"}], "serviceManifestInputs": [{"name": "b"}]}
    problem = missing_inputs(with_inputs(), inputs)
    assert problem is not None and problem.count(";") == 1
    assert "service(s) a" in problem and "service(s) b" in problem


def test_start_input_is_plain_data() -> None:
    d = deployment(("v", 'quote " and \\ and $ and\nnewline ü'), entity_type="pipeline")
    d.artifacts = [ArtifactInput(service="api", artifact_id="art1")]
    d.manifests = [ManifestInput(service="api", manifest="m", chart_id="hc")]
    start = FirstGenTarget(d, "app", "pid", []).start_input("notes", "m")
    assert start["variableInputs"][0]["variableValue"]["value"] == (
        'quote " and \\ and $ and\nnewline ü'
    )
    assert start["executionType"] == "PIPELINE" and start["continueWithDefaultValues"] is False
    (service,) = start["serviceInputs"]  # artifact and chart of one service go together
    assert service["artifactValueInput"] == {
        "valueType": "ARTIFACT_ID",
        "artifactId": {"artifactId": "art1"},
    }
    assert service["manifestValueInput"] == {"valueType": "HELM_CHART_ID", "helmChartId": "hc"}
