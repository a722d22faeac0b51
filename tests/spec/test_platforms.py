# ruff: noqa: E501  (the tables of cases read best one case a line)
"""The keys added for Helm charts, parameterized artifact sources and runtime inputs
(FirstGen), and the NextGen platform."""

from __future__ import annotations

import pytest

from harness_gate.model import (
    FIRSTGEN,
    NEXTGEN,
    PIPELINE,
    WORKFLOW,
    ArtifactInput,
    ManifestInput,
    NextGenTarget,
    StageArtifactInput,
)
from harness_gate.spec import VARIABLE_TYPES
from tests.spec.helpers import error, load

# --- FirstGen: manifests, artifact parameters, continue_with_default_values ----------------

FIRSTGEN_SPEC = """\
version: 1
application: Harness Demo
continue_with_default_values: false
deployments:
  - name: guestbook-dev
    pipeline: Deploy Guestbook
    artifacts:
      - service: guestbook
        source: guestbook-params
        build: "1.4.2"
        parameters: {repo: guestbook, path: charts, depth: 010, flag: true, tag: "${BUILD_TAG}"}
    manifests:
      - service: guestbook
        manifest: guestbook-chart
        version: 0.3.10
      - service: redis
        manifest: redis-chart
        chart_id: abc123
    continue_with_default_values: true
  - name: guestbook-qa
    workflow: Rolling
"""


def test_firstgen_inputs_load() -> None:
    spec = load(FIRSTGEN_SPEC, {"BUILD_TAG": "b-7"})
    assert spec.platform == FIRSTGEN and spec.org is None and spec.project is None
    assert spec.continue_with_default_values is False
    dev, qa = spec.deployments
    assert (dev.entity_type, dev.entity_name, dev.platform) == (
        PIPELINE,
        "Deploy Guestbook",
        FIRSTGEN,
    )
    assert dev.continue_with_default_values is True
    assert qa.continue_with_default_values is False  # the top-level default
    assert qa.entity_type == WORKFLOW and qa.manifests == [] and qa.nextgen is None
    (artifact,) = dev.artifacts
    assert isinstance(artifact, ArtifactInput)
    assert artifact.parameters == (
        ("repo", "guestbook"),
        ("path", "charts"),
        ("depth", "010"),
        ("flag", "true"),
        ("tag", "b-7"),
    )
    assert artifact.value_type == "PARAMETERIZED_ARTIFACT_SOURCE"
    chart, redis = dev.manifests
    assert chart == ManifestInput(
        service="guestbook",
        manifest="guestbook-chart",
        version="0.3.10",
        chart_id=None,
        location=chart.location,
    )
    assert chart.value_type == "VERSION_NUMBER"
    assert chart.location is not None and chart.location.line == 13
    assert (redis.chart_id, redis.version, redis.value_type) == ("abc123", None, "HELM_CHART_ID")


def test_continue_with_default_values_is_inherited() -> None:
    spec = load(
        "version: 1\napplication: A\ncontinue_with_default_values: true\n"
        "deployments: [{name: a, workflow: W}, {name: b, workflow: W, "
        "continue_with_default_values: false}]\n"
    )
    assert spec.continue_with_default_values is True
    assert [d.continue_with_default_values for d in spec.deployments] == [True, False]
    err = error(
        "version: 1\napplication: A\ncontinue_with_default_values: 'yes'\n"
        "deployments: [{name: a, workflow: W}]\n"
    )
    assert err.key == "continue_with_default_values" and "remove the quotes" in err.detail


@pytest.mark.parametrize(
    "entry, key, part",
    [
        ("{service: s, manifest: m}", "manifests[0]", "missing version: (the chart version) or chart_id:"),
        ("{service: s, manifest: m, version: 1, chart_id: c}", "manifests[0]", "not both"),
        ("{service: s, version: 1}", "manifests[0]", "missing required key 'manifest'"),
        ("{manifest: m, version: 1}", "manifests[0]", "missing required key 'service'"),
        ("{service: s, manifest: '', version: 1}", "manifests[0].manifest", "the manifest name is empty"),
        ("{service: s, manifest: m, version: ''}", "manifests[0].version", "version is empty"),
        ("{service: s, manifest: m, verison: 1}", "manifests[0].verison", "did you mean 'version'?"),
        ("{service: s, manifest: m, source: x, version: 1}", "manifests[0].source", "unknown key"),
    ],
)  # fmt: skip
def test_manifest_rules(entry: str, key: str, part: str) -> None:
    err = error(
        f"version: 1\napplication: A\ndeployments:\n  - {{name: a, workflow: W, manifests: [{entry}]}}\n"
    )
    assert err.key == f"deployments[0].{key}", err
    assert part in err.detail, err.detail
    assert err.line == 4


@pytest.mark.parametrize(
    "entry, key, part",
    [
        ("{service: s, artifact_id: x, parameters: {a: b}}", "artifacts[0].parameters", "only go with build"),
        ("{service: s, source: s, build: 1, parameters: [a]}", "artifacts[0].parameters", "expected a mapping of parameter name to value"),
        ("{service: s, source: s, build: 1, parameters: {a: [1]}}", "artifacts[0].parameters.a", "expected text, got a list"),
        ("{service: s, source: s, build: 1, parameters: {'': x}}", "artifacts[0].parameters['']", "parameter name cannot be empty"),
        ("{service: s, source: s, build: 1, parameters: {a: '${NOPE}'}}", "artifacts[0].parameters.a", "NOPE is not set"),
    ],
)  # fmt: skip
def test_artifact_parameter_rules(entry: str, key: str, part: str) -> None:
    err = error(
        f"version: 1\napplication: A\ndeployments:\n  - {{name: a, workflow: W, artifacts: [{entry}]}}\n",
        {},
    )
    assert err.key == f"deployments[0].{key}", err
    assert part in err.detail, err.detail


def test_parameter_declared_twice() -> None:
    text = (
        "version: 1\napplication: A\ndeployments:\n  - name: a\n    workflow: W\n"
        "    artifacts:\n      - service: s\n        source: s\n        build: 1\n"
        "        parameters:\n          repo: a\n          repo: b\n"
    )
    err = error(text)
    assert str(err) == (
        "deploy.yaml:12: deployments[0].artifacts[0].parameters.repo: duplicate key (first at line 11)"
    )


def test_expression_variables_are_refused_with_the_reason() -> None:
    assert VARIABLE_TYPES == ("NAME", "ID")
    for written in ("EXPRESSION", "expression", " Expression "):
        err = error(
            "version: 1\napplication: A\ndeployments:\n  - name: a\n    workflow: W\n"
            f"    variables:\n      Svc: {{value: x, type: '{written}'}}\n"
        )
        assert err.key == "deployments[0].variables.Svc.type" and err.line == 7
        assert "Expression Type not supported" in err.detail
        assert "NAME or an ID" in err.detail
    err = error(
        "version: 1\napplication: A\ndeployments: [{name: a, workflow: W, "
        "variables: {V: {value: x, type: expresion}}}]\n"
    )
    assert "unknown variable type 'expresion'" in err.detail and "expected NAME or ID" in err.detail


# --- NextGen ---------------------------------------------------------------------------------

NEXTGEN_SPEC = """\
version: 1
platform: nextgen
org: default
project: guestbook
parallel: true
notes: from ${CI_JOB_URL:-a laptop}
deployments:
  - name: guestbook-dev
    pipeline: deploy_guestbook
    variables:
      tag: 1.10
      Region: {value: eu}
    artifacts:
      - stage: deploy_dev
        tag: "${BUILD_TAG}"
    input_sets: [dev_defaults, overlay]
    inputs: |
      pipeline:
        identifier: deploy_guestbook
        variables:
          - name: region
            type: String
            value: eu-west-1
    stages: [deploy_dev]
    branch: main
    timeout: 45m
    abort_on_exit: true
  - name: guestbook-prod
    pipeline_name: Deploy Guestbook
    project: guestbook-prod
    org: prod-org
    needs: [guestbook-dev]
    input_sets: single
"""


def test_nextgen_spec_loads() -> None:
    spec = load(NEXTGEN_SPEC, {"BUILD_TAG": "b-7"})
    assert (spec.platform, spec.org, spec.project, spec.application) == (
        NEXTGEN,
        "default",
        "guestbook",
        None,
    )
    dev, prod = spec.deployments
    assert dev.platform == NEXTGEN and dev.entity_type == PIPELINE
    assert dev.entity_name == "deploy_guestbook"
    assert dev.application == "default/guestbook"
    assert dev.notes == "from a laptop" and dev.timeout == 2700.0 and dev.abort_on_exit
    assert dev.artifacts == [] and dev.manifests == []
    assert [(v.name, v.value, v.type) for v in dev.variables] == [
        ("tag", "1.10", "NAME"),
        ("Region", "eu", "NAME"),
    ]
    target = dev.nextgen
    assert isinstance(target, NextGenTarget)
    assert (target.org, target.project, target.pipeline, target.pipeline_name) == (
        "default",
        "guestbook",
        "deploy_guestbook",
        None,
    )
    assert target.input_sets == ["dev_defaults", "overlay"]
    assert target.stages == ["deploy_dev"] and target.branch == "main"
    assert target.inputs is not None and target.inputs.startswith("pipeline:\n  identifier:")
    assert target.inputs.endswith("value: eu-west-1\n")
    (artifact,) = target.artifacts
    assert isinstance(artifact, StageArtifactInput)
    assert (artifact.stage, artifact.tag) == ("deploy_dev", "b-7")
    assert artifact.location is not None and artifact.location.line == 14

    assert prod.entity_name == "Deploy Guestbook" and prod.application == "prod-org/guestbook-prod"
    assert prod.nextgen is not None
    assert (prod.nextgen.pipeline, prod.nextgen.pipeline_name) == (None, "Deploy Guestbook")
    assert prod.nextgen.input_sets == ["single"] and prod.nextgen.inputs is None
    assert prod.needs == ["guestbook-dev"] and prod.timeout == 1800.0


def test_platform_is_read_case_insensitively_and_defaults_to_firstgen() -> None:
    spec = load(
        "version: 1\nplatform: NextGen\norg: o\nproject: p\ndeployments: [{name: a, pipeline: p}]\n"
    )
    assert spec.platform == NEXTGEN
    spec = load(
        "version: 1\nplatform: firstgen\napplication: A\ndeployments: [{name: a, workflow: W}]\n"
    )
    assert spec.platform == FIRSTGEN
    err = error("version: 1\nplatform: nxtgen\ndeployments: [{name: a, workflow: W}]\n")
    assert str(err).startswith(
        "deploy.yaml:2: platform: unknown platform 'nxtgen' (did you mean 'nextgen'?)"
    )


NG = "version: 1\nplatform: nextgen\norg: o\nproject: p\n"
FG = "version: 1\napplication: A\n"


@pytest.mark.parametrize(
    "text, key, belongs",
    [
        (NG + "application: A\ndeployments: [{name: a, pipeline: p}]\n", "application", "FirstGen"),
        (NG + "deployments: [{name: a, pipeline: p, workflow: W}]\n", "deployments[0].workflow", "FirstGen"),
        (NG + "deployments: [{name: a, pipeline: p, manifests: []}]\n", "deployments[0].manifests", "FirstGen"),
        (NG + "deployments: [{name: a, pipeline: p, artifacts: [{service: s, stage: x, tag: t}]}]\n",
         "deployments[0].artifacts[0].service", "FirstGen"),
        (NG + "deployments: [{name: a, pipeline: p, variables: {V: {value: x, type: ID}}}]\n",
         "deployments[0].variables.V.type", "FirstGen"),
        (FG + "org: o\ndeployments: [{name: a, workflow: W}]\n", "org", "NextGen"),
        (FG + "deployments: [{name: a, workflow: W, input_sets: [x]}]\n", "deployments[0].input_sets", "NextGen"),
        (FG + "deployments: [{name: a, workflow: W, pipeline_name: x}]\n", "deployments[0].pipeline_name", "NextGen"),
        (FG + "deployments: [{name: a, workflow: W, artifacts: [{stage: s, tag: t}]}]\n",
         "deployments[0].artifacts[0].stage", "NextGen"),
    ],
)  # fmt: skip
def test_keys_of_the_other_platform_say_where_they_belong(
    text: str, key: str, belongs: str
) -> None:
    err = error(text)
    assert err.key == key, str(err)
    assert f"belongs to {belongs} specs (platform: {belongs.lower()})" in err.detail
    assert err.line is not None


def test_org_and_project_are_required_somewhere() -> None:
    err = error(
        "version: 1\nplatform: nextgen\nproject: p\ndeployments: [{name: a, pipeline: p}]\n"
    )
    assert (
        str(err)
        == "deploy.yaml:4: deployments[0]: no org: set org: at the top level or in this deployment"
    )
    err = error("version: 1\nplatform: nextgen\norg: o\ndeployments: [{name: a, pipeline: p}]\n")
    assert "no project:" in err.detail
    spec = load(
        "version: 1\nplatform: nextgen\ndeployments: [{name: a, pipeline: p, org: o, project: q}]\n"
    )
    assert spec.deployments[0].application == "o/q" and spec.org is None


@pytest.mark.parametrize(
    "extra, key, part",
    [
        ("pipeline: p, pipeline_name: P", "deployments[0]", "give pipeline (its identifier) or pipeline_name, not both"),
        ("stages: [s]", "deployments[0]", "missing pipeline: (the pipeline identifier) or pipeline_name:"),
        ("pipeline: Deploy Guestbook", "deployments[0].pipeline", "write pipeline_name:"),
        ("pipeline: p, artifacts: [{stage: s}]", "deployments[0].artifacts[0]", "missing required key 'tag'"),
        ("pipeline: p, artifacts: [{stage: s, tag: ''}]", "deployments[0].artifacts[0].tag", "tag is empty"),
        ("pipeline: p, stages: [s, '']", "deployments[0].stages[1]", "is empty"),
        ("pipeline: p, input_sets: {a: 1}", "deployments[0].input_sets", "expected a list of input set identifiers"),
        ("pipeline: p, branch: ''", "deployments[0].branch", "the branch is empty"),
        ("pipeline: p, inputs: [a]", "deployments[0].inputs", "write `inputs: |`"),
        ("pipeline: p, inputs: ''", "deployments[0].inputs", "inputs is empty"),
        ("pipeline: p, inputs: 'stages: []'", "deployments[0].inputs", "only top key is pipeline:"),
        ("pipeline: p, inputs: 'pipeline: x'", "deployments[0].inputs", "a mapping with the top key pipeline:"),
        ("pipeline: p, inputs: '[a'", "deployments[0].inputs", "inputs is not valid YAML"),
        ("pipeline: p, inputs: 'pipeline: {a: 1, a: 2}'", "deployments[0].inputs (pipeline.a)", "duplicate key"),
    ],
)  # fmt: skip
def test_nextgen_rules(extra: str, key: str, part: str) -> None:
    err = error(NG + f"deployments:\n  - {{name: a, {extra}}}\n")
    assert err.key == key, str(err)
    assert part in err.detail, err.detail
    assert err.line == 6


def test_inputs_errors_point_at_the_line_in_the_file() -> None:
    text = NG + (
        "deployments:\n"
        "  - name: a\n"
        "    pipeline: p\n"
        "    inputs: |\n"
        "      pipeline:\n"
        "        identifier: p\n"
        "        stages: [\n"
    )
    err = error(text)
    assert err.key == "deployments[0].inputs" and "inputs is not valid YAML" in err.detail
    assert err.line is not None and err.line >= 11


def test_inputs_keep_harness_expressions_and_are_bounded() -> None:
    text = NG + (
        "deployments:\n  - name: a\n    pipeline: p\n    inputs: |\n"
        "      pipeline:\n        identifier: p\n        variables:\n"
        "          - {name: v, type: String, value: <+pipeline.sequenceId>}\n"
    )
    target = load(text).deployments[0].nextgen
    assert target is not None and target.inputs is not None
    assert "<+pipeline.sequenceId>" in target.inputs
    nested = "pipeline: " + "[" * 60 + "]" * 60
    err = error(NG + f"deployments:\n  - name: a\n    pipeline: p\n    inputs: '{nested}'\n")
    assert "nests more than 50 levels" in err.detail


def test_needs_and_parallel_keep_their_meaning_on_nextgen() -> None:
    err = error(NG + "deployments: [{name: a, pipeline: p}, {name: b, pipeline: p, needs: [a]}]\n")
    assert err.key == "deployments[1].needs" and "parallel: true" in err.detail
    err = error(NG + "parallel: true\ndeployments: [{name: a, pipeline: p, needs: [b]}]\n")
    assert "needs unknown deployment 'b'" in err.detail
