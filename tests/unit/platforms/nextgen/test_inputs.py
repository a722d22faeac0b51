"""Filling a NextGen runtime-input template from a deployment, and what is left unfilled."""

from __future__ import annotations

import yaml

from harness_gate.model import Deployment, NextGenTarget, StageArtifactInput, VariableInput
from harness_gate.platforms.nextgen import inputs

TEMPLATE = """\
pipeline:
  identifier: deploy
  stages:
    - stage:
        identifier: deploy
        type: Deployment
        spec:
          service:
            serviceRef: <+input>
            serviceInputs:
              serviceDefinition:
                type: Kubernetes
                spec:
                  artifacts:
                    primary:
                      sources:
                        - identifier: image
                          type: DockerRegistry
                          spec:
                            tag: <+input>
          environment:
            environmentRef: <+input>.default(dev)
        variables:
          - name: tag
            type: String
            value: <+input>.executionInput()
  variables:
    - name: region
      type: String
      value: <+input>.allowedValues(us-east-1,eu-west-1)
"""
TAG = (
    "pipeline.stages.deploy.spec.service.serviceInputs.serviceDefinition.spec.artifacts"
    ".primary.sources.image.spec.tag"
)


def deployment(**ng: object) -> Deployment:
    variables = ng.pop("variables", [])
    allow = bool(ng.pop("allow_unknown_variables", False))
    target = NextGenTarget("default", "shop", pipeline="deploy", **ng)  # type: ignore[arg-type]
    return Deployment(
        "d",
        "pipeline",
        "deploy",
        "default/shop",
        variables=list(variables),  # type: ignore[call-overload]
        nextgen=target,
        allow_unknown_variables=allow,
    )


def test_template_fields_and_their_kinds() -> None:
    found = inputs.runtime_inputs(yaml.safe_load(TEMPLATE))
    assert set(found) == {
        "pipeline.stages.deploy.spec.service.serviceRef",
        TAG,
        "pipeline.stages.deploy.spec.environment.environmentRef",
        "pipeline.stages.deploy.variables.tag.value",
        "pipeline.variables.region.value",
    }
    assert found["pipeline.stages.deploy.spec.environment.environmentRef"].default == "dev"
    assert found["pipeline.variables.region.value"].allowed == ["us-east-1", "eu-west-1"]
    assert not found["pipeline.stages.deploy.variables.tag.value"].required


def test_variables_and_artifacts_fill_only_their_fields() -> None:
    d = deployment(
        variables=[VariableInput("region", "eu-west-1")],
        artifacts=[StageArtifactInput("deploy", "1.4.2")],
    )
    filled = inputs.fill(TEMPLATE, d)
    assert filled.problems == []
    doc = yaml.safe_load(filled.runtime_yaml)
    assert doc == {
        "pipeline": {
            "identifier": "deploy",
            "stages": [
                {
                    "stage": {
                        "identifier": "deploy",
                        "type": "Deployment",
                        "spec": {
                            "service": {
                                "serviceInputs": {
                                    "serviceDefinition": {
                                        "type": "Kubernetes",
                                        "spec": {
                                            "artifacts": {
                                                "primary": {
                                                    "sources": [
                                                        {
                                                            "identifier": "image",
                                                            "type": "DockerRegistry",
                                                            "spec": {"tag": "1.4.2"},
                                                        }
                                                    ]
                                                }
                                            }
                                        },
                                    }
                                }
                            }
                        },
                    }
                }
            ],
            "variables": [{"name": "region", "type": "String", "value": "eu-west-1"}],
        }
    }
    assert "<+input>" not in filled.runtime_yaml


def test_raw_inputs_merge_last_and_alone_are_sent_as_written() -> None:
    raw = (
        "pipeline:\n  identifier: deploy\n  variables:\n"
        "    - name: region\n      type: String\n      value: us-east-1\n"
    )
    alone = inputs.fill(TEMPLATE, deployment(inputs=raw))
    assert alone.problems == [] and alone.runtime_yaml == raw
    both = inputs.fill(
        TEMPLATE, deployment(inputs=raw, variables=[VariableInput("region", "eu-west-1")])
    )
    assert both.values["pipeline.variables.region.value"] == "us-east-1"


def test_problems_are_named_by_field() -> None:
    d = deployment(
        variables=[VariableInput("region", "mars"), VariableInput("colour", "blue")],
        artifacts=[StageArtifactInput("build", "1")],
        inputs="pipeline:\n  identifier: deploy\n  timeout: 10m\n",
    )
    problems = " | ".join(inputs.fill(TEMPLATE, d).problems)
    assert "'colour' is not a runtime input" in problems
    assert "stage 'build'" in problems and "no primary artifact tag" in problems
    assert "pipeline.timeout is not a runtime input" in problems
    assert "pipeline.variables.region.value: 'mars' is not one of the allowed values" in problems


def test_unknown_variables_left_out_when_allowed() -> None:
    d = deployment(variables=[VariableInput("colour", "blue")], allow_unknown_variables=True)
    filled = inputs.fill(TEMPLATE, d)
    assert filled.problems == [] and filled.warnings and filled.runtime_yaml == ""


def test_bad_inputs_yaml() -> None:
    assert inputs.fill(TEMPLATE, deployment(inputs="a: [")).problems[0].startswith("inputs: not")
    assert "top key pipeline" in inputs.fill(TEMPLATE, deployment(inputs="- 1")).problems[0]


def test_unfilled_lists_required_inputs_only() -> None:
    left = [i.fqn for i in inputs.unfilled(TEMPLATE)]
    assert left == [
        "pipeline.stages.deploy.spec.service.serviceRef",
        TAG,
        "pipeline.variables.region.value",
    ]


def test_parallel_stages_are_named_by_their_identifier() -> None:
    doc = yaml.safe_load(
        "pipeline:\n  stages:\n    - parallel:\n        - stage:\n            identifier: a\n"
        "            spec: {x: <+input>}\n"
    )
    assert [f for f, _ in inputs.leaves(doc)] == [
        "pipeline.stages.a.identifier",
        "pipeline.stages.a.spec.x",
    ]
