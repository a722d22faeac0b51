"""The JSON Schema: generated from the key table, shipped as a file, and in agreement with the
loader on every example of the repository and on a table of bad specs."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import jsonschema
import pytest

from harness_gate.errors import SpecError
from harness_gate.spec import collect_spec_errors, json_schema, load_spec_text
from harness_gate.spec import fields as F
from harness_gate.spec.schema import SCHEMA_FILE, key_reference_markdown, schema_text
from tests.spec.helpers import ROOT, AnyEnv, example_specs, plain_yaml

VALIDATOR = jsonschema.Draft7Validator(json_schema())
EXAMPLES = example_specs()


def schema_errors(text: str) -> list[str]:
    return [error.message for error in VALIDATOR.iter_errors(plain_yaml(text))]


def test_the_schema_is_valid_draft_07() -> None:
    schema = json_schema()
    assert schema["$schema"] == "http://json-schema.org/draft-07/schema#"
    jsonschema.Draft7Validator.check_schema(schema)


def test_the_shipped_file_is_the_generated_schema() -> None:
    shipped = SCHEMA_FILE.read_text(encoding="utf-8")
    assert shipped == schema_text(), (
        "harness_gate/schema/deploy-spec.schema.json is stale: "
        "run python -m harness_gate.spec.schema --write"
    )
    assert json.loads(shipped) == json_schema()
    assert SCHEMA_FILE.relative_to(ROOT).as_posix() == (
        "harness_gate/schema/deploy-spec.schema.json"
    )


def test_the_schema_file_is_package_data() -> None:
    setup = (ROOT / "setup.cfg").read_text(encoding="utf-8")
    line = next(x for x in setup.splitlines() if x.startswith("harness_gate = "))
    assert "schema/*.json" in line


def test_the_docs_key_reference_is_generated_from_the_table() -> None:
    doc = (ROOT / "docs" / "spec.md").read_text(encoding="utf-8")
    assert key_reference_markdown() in doc, (
        "the key reference of docs/spec.md is stale: run python -m harness_gate.spec.schema --write"
    )


def test_every_key_of_the_table_is_in_the_schema_and_the_docs() -> None:
    schema = json_schema()["definitions"]
    reference = key_reference_markdown()
    for field in F.FIELDS:
        platforms = [field.platform] if field.platform else ["firstgen", "nextgen"]
        for platform in platforms:
            name = {
                F.TOP: platform,
                F.DEPLOYMENT: f"{platform}_deployment",
                F.ARTIFACT: f"{platform}_artifact",
                F.VARIABLE: f"{platform}_variable",
                F.MANIFEST: "manifest",
            }[field.scope]
            assert field.key in schema[name]["properties"], (field.key, name)
            assert field.description.replace("`", "") in json.dumps(
                schema[name], ensure_ascii=False
            )
        assert f"| `{field.key}` |" in reference


def test_the_schema_documents_the_editor_line() -> None:
    for doc in (ROOT / "README.md", ROOT / "docs" / "spec.md"):
        text = doc.read_text(encoding="utf-8")
        assert "# yaml-language-server: $schema=" in text, doc
        assert "deploy-spec.schema.json" in text, doc


def test_the_repository_has_the_examples_this_test_expects() -> None:
    labels = [label for label, _ in EXAMPLES]
    assert any(label.startswith("README.md") for label in labels)
    assert sum(label.startswith("docs/spec.md") for label in labels) >= 5
    assert "harness_gate/examples/demo.yaml" in labels
    assert "ci/deploy.example.yaml" in labels


@pytest.mark.parametrize("label, text", EXAMPLES, ids=[label for label, _ in EXAMPLES])
def test_every_example_loads_and_matches_the_schema(label: str, text: str) -> None:
    spec = load_spec_text(text, label, AnyEnv())
    assert spec.deployments
    assert schema_errors(text) == [], label


# Each spec is refused by the loader and by the schema: type errors, unknown keys, keys of the
# other platform, missing or conflicting keys.
FIRSTGEN_HEAD = "version: 1\napplication: A\n"
NEXTGEN_HEAD = "version: 1\nplatform: nextgen\norg: o\nproject: p\n"
BAD_SPECS = {
    "unknown top-level key": FIRSTGEN_HEAD + "timout: 5m\ndeployments: [{name: a, workflow: W}]",
    "unknown deployment key": FIRSTGEN_HEAD + "deployments: [{name: a, wrokflow: W}]",
    "unknown artifact key": FIRSTGEN_HEAD
    + "deployments: [{name: a, workflow: W, artifacts: [{service: s, sorce: s, build: 1}]}]",
    "unknown variable key": FIRSTGEN_HEAD
    + "deployments: [{name: a, workflow: W, variables: {V: {value: 1, typ: ID}}}]",
    "NextGen org under FirstGen": FIRSTGEN_HEAD + "org: o\ndeployments: [{name: a, workflow: W}]",
    "NextGen input_sets under FirstGen": FIRSTGEN_HEAD
    + "deployments: [{name: a, workflow: W, input_sets: [x]}]",
    "NextGen artifact under FirstGen": FIRSTGEN_HEAD
    + "deployments: [{name: a, workflow: W, artifacts: [{stage: s, tag: t}]}]",
    "FirstGen workflow under NextGen": NEXTGEN_HEAD + "deployments: [{name: a, workflow: W}]",
    "FirstGen application under NextGen": NEXTGEN_HEAD
    + "application: A\ndeployments: [{name: a, pipeline: p}]",
    "FirstGen manifests under NextGen": NEXTGEN_HEAD
    + "deployments: [{name: a, pipeline: p, manifests: []}]",
    "FirstGen artifact under NextGen": NEXTGEN_HEAD
    + "deployments: [{name: a, pipeline: p, artifacts: [{service: s, source: s, build: 1}]}]",
    "variable type under NextGen": NEXTGEN_HEAD
    + "deployments: [{name: a, pipeline: p, variables: {V: {value: 1, type: ID}}}]",
    "continue_with_default_values under NextGen": NEXTGEN_HEAD
    + "continue_with_default_values: true\ndeployments: [{name: a, pipeline: p}]",
    "unknown platform": "version: 1\nplatform: cloud\napplication: A\n"
    "deployments: [{name: a, workflow: W}]",
    "version 2": "version: 2\napplication: A\ndeployments: [{name: a, workflow: W}]",
    "version as text": "version: '1'\napplication: A\ndeployments: [{name: a, workflow: W}]",
    "no version": "application: A\ndeployments: [{name: a, workflow: W}]",
    "no deployments": FIRSTGEN_HEAD,
    "no deployment listed": FIRSTGEN_HEAD + "deployments: []",
    "deployments a mapping": FIRSTGEN_HEAD + "deployments: {a: 1}",
    "deployment not a mapping": FIRSTGEN_HEAD + "deployments: [x]",
    "name a list": FIRSTGEN_HEAD + "deployments: [{name: [a], workflow: W}]",
    "no name": FIRSTGEN_HEAD + "deployments: [{workflow: W}]",
    "workflow a mapping": FIRSTGEN_HEAD + "deployments: [{name: a, workflow: {x: 1}}]",
    "workflow and pipeline": FIRSTGEN_HEAD + "deployments: [{name: a, workflow: W, pipeline: P}]",
    "neither workflow nor pipeline": FIRSTGEN_HEAD + "deployments: [{name: a}]",
    "pipeline and pipeline_name": NEXTGEN_HEAD
    + "deployments: [{name: a, pipeline: p, pipeline_name: P}]",
    "neither pipeline nor pipeline_name": NEXTGEN_HEAD + "deployments: [{name: a}]",
    "parallel as text": FIRSTGEN_HEAD + "parallel: 'true'\ndeployments: [{name: a, workflow: W}]",
    "parallel a number": FIRSTGEN_HEAD + "parallel: 1\ndeployments: [{name: a, workflow: W}]",
    "timeout not a duration": FIRSTGEN_HEAD
    + "deployments: [{name: a, workflow: W, timeout: soon}]",
    "timeout zero": FIRSTGEN_HEAD + "deployments: [{name: a, workflow: W, timeout: 0}]",
    "timeout a list": FIRSTGEN_HEAD + "timeout: [1]\ndeployments: [{name: a, workflow: W}]",
    "notes a list": FIRSTGEN_HEAD + "notes: [a]\ndeployments: [{name: a, workflow: W}]",
    "needs a mapping": "version: 1\napplication: A\nparallel: true\n"
    "deployments: [{name: a, workflow: W}, {name: b, workflow: W, needs: {a: 1}}]",
    "artifacts a mapping": FIRSTGEN_HEAD + "deployments: [{name: a, workflow: W, artifacts: {}}]",
    "artifact not a mapping": FIRSTGEN_HEAD
    + "deployments: [{name: a, workflow: W, artifacts: [x]}]",
    "artifact without service": FIRSTGEN_HEAD
    + "deployments: [{name: a, workflow: W, artifacts: [{source: s, build: 1}]}]",
    "build and artifact_id": FIRSTGEN_HEAD + "deployments: [{name: a, workflow: W, "
    "artifacts: [{service: s, source: s, build: 1, artifact_id: x}]}]",
    "neither build nor artifact_id": FIRSTGEN_HEAD
    + "deployments: [{name: a, workflow: W, artifacts: [{service: s}]}]",
    "parameters a list": FIRSTGEN_HEAD + "deployments: [{name: a, workflow: W, "
    "artifacts: [{service: s, source: s, build: 1, parameters: [a]}]}]",
    "parameter value a list": FIRSTGEN_HEAD + "deployments: [{name: a, workflow: W, "
    "artifacts: [{service: s, source: s, build: 1, parameters: {repo: [a]}}]}]",
    "manifest without manifest": FIRSTGEN_HEAD
    + "deployments: [{name: a, workflow: W, manifests: [{service: s, version: 1}]}]",
    "manifest version and chart_id": FIRSTGEN_HEAD + "deployments: [{name: a, workflow: W, "
    "manifests: [{service: s, manifest: m, version: 1, chart_id: c}]}]",
    "manifest without version or chart_id": FIRSTGEN_HEAD
    + "deployments: [{name: a, workflow: W, manifests: [{service: s, manifest: m}]}]",
    "manifests a mapping": FIRSTGEN_HEAD + "deployments: [{name: a, workflow: W, manifests: {}}]",
    "variables a list": FIRSTGEN_HEAD + "deployments: [{name: a, workflow: W, variables: [x]}]",
    "variable value a list": FIRSTGEN_HEAD
    + "deployments: [{name: a, workflow: W, variables: {V: [1]}}]",
    "variable without value": FIRSTGEN_HEAD
    + "deployments: [{name: a, workflow: W, variables: {V: {type: ID}}}]",
    "variable type EXPRESSION": FIRSTGEN_HEAD
    + "deployments: [{name: a, workflow: W, variables: {V: {value: x, type: EXPRESSION}}}]",
    "variable type unknown": FIRSTGEN_HEAD
    + "deployments: [{name: a, workflow: W, variables: {V: {value: x, type: nmae}}}]",
    "stage artifact without tag": NEXTGEN_HEAD
    + "deployments: [{name: a, pipeline: p, artifacts: [{stage: s}]}]",
    "stages a mapping": NEXTGEN_HEAD + "deployments: [{name: a, pipeline: p, stages: {s: 1}}]",
    "input_sets a mapping": NEXTGEN_HEAD
    + "deployments: [{name: a, pipeline: p, input_sets: {s: 1}}]",
    "inputs a list": NEXTGEN_HEAD + "deployments: [{name: a, pipeline: p, inputs: [a]}]",
    "branch a list": NEXTGEN_HEAD + "deployments: [{name: a, pipeline: p, branch: [a]}]",
}


@pytest.mark.parametrize("text", BAD_SPECS.values(), ids=list(BAD_SPECS))
def test_the_loader_and_the_schema_both_refuse(text: str) -> None:
    with pytest.raises(SpecError):
        load_spec_text(text, "deploy.yaml", AnyEnv())
    assert schema_errors(text), "the schema accepts a spec the loader refuses"


def test_bad_specs_are_one_mistake_each_from_a_good_one() -> None:
    # The same shapes with the mistake removed load and match the schema: the table above
    # tests the mistakes, not something else that is wrong with its specs.
    good = {
        FIRSTGEN_HEAD + "deployments: [{name: a, workflow: W}]",
        NEXTGEN_HEAD + "deployments: [{name: a, pipeline: p}]",
        FIRSTGEN_HEAD + "deployments: [{name: a, workflow: W, manifests: "
        "[{service: s, manifest: m, version: 1}], artifacts: "
        "[{service: s, source: s, build: 1, parameters: {repo: r}}]}]",
        NEXTGEN_HEAD + "deployments: [{name: a, pipeline: p, artifacts: [{stage: s, tag: t}], "
        "stages: s, input_sets: [i], branch: b, inputs: 'pipeline: {identifier: p}'}]",
    }
    for text in good:
        load_spec_text(text, "deploy.yaml", AnyEnv())
        assert schema_errors(text) == []


def test_schema_accepts_the_written_forms_the_loader_accepts() -> None:
    text = textwrap.dedent(
        """\
        version: 1
        application: A
        parallel: yes
        abort_on_exit: ${ABORT:-false}
        timeout: 1h30m
        poll_interval: 2.5
        notes: ~
        deployments:
          - name: 2024
            workflow: W
            timeout: 90
            variables:
              Empty:
              Date: 2024-01-02
              Flag: true
              Number: 1.10
              Id: {value: x, type: id}
            artifacts:
              - {service: s, source: s, build: 010}
            needs: []
        """
    )
    assert load_spec_text(text, "deploy.yaml", {}).deployments[0].name == "2024"
    assert schema_errors(text) == []


def test_collect_and_schema_agree_on_a_spec_full_of_mistakes() -> None:
    text = FIRSTGEN_HEAD + textwrap.dedent(
        """\
        timout: 5m
        org: o
        deployments:
          - name: a
            wrokflow: W
            workflow: W
            variables: {V: {value: x, type: EXPRESSION}}
        """
    )
    errors = collect_spec_errors(text, "deploy.yaml", AnyEnv())
    assert [e.key for e in errors] == [
        "timout",
        "org",
        "deployments[0].wrokflow",
        "deployments[0].variables.V.type",
    ]
    assert len(schema_errors(text)) >= 3


def test_schema_file_path_is_inside_the_package() -> None:
    import harness_gate

    assert SCHEMA_FILE.parent.parent == Path(harness_gate.__file__).resolve().parent
