"""The spec loader: every rule of the format, with the key parts of each message."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections.abc import Mapping
from pathlib import Path
from typing import Optional

import pytest

from harness_gate.errors import SpecError, UsageError
from harness_gate.model import PIPELINE, WORKFLOW, Spec
from harness_gate.spec import interpolate, load_spec, load_spec_text, select_deployments
from harness_gate.suggest import close_matches, did_you_mean

ENV = {"BUILD_TAG": "build-42", "CI_JOB_URL": "https://ci.example/job/7", "EMPTY": ""}

EXAMPLE = """\
version: 1
application: Harness Demo
notes: "Deployed by ${CI_JOB_URL}"
timeout: 30m
poll_interval: 10s
parallel: false
abort_on_exit: false
allow_unknown_variables: false
deployments:
  - name: guestbook-dev
    workflow: K8s Rolling Deployment
    application: Harness Demo
    artifacts:
      - service: guestbook
        source: guestbook
        build: "${BUILD_TAG}"
      - {service: redis, artifact_id: "abc"}
    variables:
      Environment: dev
      skipCV: "true"
      Region: {value: us-east-1, type: ID}
    notes: optional per-deployment notes
    timeout: 20m
    abort_on_exit: true
    allow_unknown_variables: true
  - name: smoke
    pipeline: Smoke Tests
"""


def spec(body: str, header: str = "version: 1\napplication: A\n") -> str:
    return header + textwrap.dedent(body)


def load(text: str, env: Optional[Mapping[str, str]] = None) -> Spec:
    return load_spec_text(text, "deploy.yaml", ENV if env is None else env)


def error(text: str | bytes, env: Optional[Mapping[str, str]] = None) -> SpecError:
    with pytest.raises(SpecError) as caught:
        load_spec_text(text, "deploy.yaml", ENV if env is None else env)
    message = str(caught.value)
    assert "\n" not in message and "internal error" not in message
    return caught.value


def line_of(text: str, needle: str, occurrence: int = 1) -> int:
    seen = 0
    for number, line in enumerate(text.splitlines(), 1):
        if needle in line:
            seen += 1
            if seen == occurrence:
                return number
    raise AssertionError(f"{needle!r} not in text")


def one(body: str, env: Optional[Mapping[str, str]] = None) -> str:
    """A spec with a single deployment `a` whose extra lines are body (indented 4)."""
    return spec("deployments:\n  - name: a\n    workflow: W\n" + textwrap.indent(body, "    "))


# --- the complete example -----------------------------------------------------------------


def test_example_loads_completely() -> None:
    result = load(EXAMPLE)
    assert result.path == "deploy.yaml"
    assert result.version == 1
    assert result.application == "Harness Demo"
    assert result.notes == "Deployed by https://ci.example/job/7"
    assert result.timeout == 1800.0
    assert result.poll_interval == 10.0
    assert result.parallel is False
    assert [d.name for d in result.deployments] == ["guestbook-dev", "smoke"]

    dev = next(d for d in result.deployments if d.name == "guestbook-dev")
    assert (dev.entity_type, dev.entity_name) == (WORKFLOW, "K8s Rolling Deployment")
    assert dev.application == "Harness Demo"
    assert dev.notes == "optional per-deployment notes"
    assert dev.timeout == 1200.0
    assert dev.abort_on_exit is True and dev.allow_unknown_variables is True
    assert dev.location is not None and str(dev.location) == "deploy.yaml:10"
    build, redis = dev.artifacts
    assert (build.service, build.source, build.build, build.artifact_id) == (
        "guestbook",
        "guestbook",
        "build-42",
        None,
    )
    assert build.value_type == "BUILD_NUMBER"
    assert (redis.service, redis.artifact_id, redis.source) == ("redis", "abc", None)
    assert redis.value_type == "ARTIFACT_ID"
    assert [(v.name, v.value, v.type) for v in dev.variables] == [
        ("Environment", "dev", "NAME"),
        ("skipCV", "true", "NAME"),
        ("Region", "us-east-1", "ID"),
    ]
    assert dev.variables[0].location is not None
    assert dev.variables[0].location.line == line_of(EXAMPLE, "Environment: dev")

    smoke = next(d for d in result.deployments if d.name == "smoke")
    assert (smoke.entity_type, smoke.entity_name) == (PIPELINE, "Smoke Tests")
    assert smoke.application == "Harness Demo"  # top-level default
    assert smoke.notes == "Deployed by https://ci.example/job/7"  # top-level default
    assert smoke.timeout == 1800.0
    assert smoke.abort_on_exit is False and smoke.artifacts == [] and smoke.variables == []


def test_the_documented_examples_load() -> None:
    readme = Path(__file__).resolve().parents[2] / "README.md"
    example = readme.read_text(encoding="utf-8").split("```yaml\n", 1)[1].split("```", 1)[0]
    result = load(example, {"BUILD_TAG": "b-7", "CI_JOB_URL": "https://ci/job/1"})
    assert [d.name for d in result.deployments] == ["guestbook-dev", "guestbook-pipeline"]
    assert result.deployments[0].variables[4].value == "true"  # skipCV: true, as written
    assert result.deployments[1].needs == ["guestbook-dev"]

    doc = Path(__file__).resolve().parents[2] / "docs" / "spec.md"
    example = doc.read_text(encoding="utf-8").split("```yaml\n", 1)[1].split("```", 1)[0]
    result = load(example, {"BUILD_TAG": "b-7", "INFRA_ID": "infra"})
    assert [d.name for d in result.deployments] == ["guestbook-dev", "smoke-tests"]
    assert result.deployments[1].needs == ["guestbook-dev"]


def test_defaults_of_a_minimal_spec() -> None:
    result = load("version: 1\ndeployments:\n  - {name: a, workflow: W, application: App}\n")
    assert result.application is None and result.notes is None
    assert result.timeout == 1800.0 and result.poll_interval is None
    assert result.parallel is False and result.abort_on_exit is False
    assert result.allow_unknown_variables is False
    (only,) = result.deployments
    assert only.application == "App" and only.notes is None and only.needs == []


def test_load_spec_reads_a_file(tmp_path: Path) -> None:
    path = tmp_path / "deploy.yaml"
    path.write_text(EXAMPLE, encoding="utf-8")
    result = load_spec(str(path), ENV)
    assert result.path == str(path)
    assert result.deployments[0].location is not None
    assert result.deployments[0].location.file == str(path)


def test_importing_spec_stays_cheap() -> None:
    code = (
        "import sys, harness_gate.spec\n"
        "heavy = [m for m in ('requests', 'junit_xml', 'urllib3') if m in sys.modules]\n"
        "print(','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


# --- the scalar-text rule ------------------------------------------------------------------


@pytest.mark.parametrize(
    "written, expected",
    [
        ("true", "true"),
        ("True", "True"),
        ("yes", "yes"),
        ("1.10", "1.10"),
        ("010", "010"),
        ("0x1F", "0x1F"),
        ("1e3", "1e3"),
        ("null", "null"),
        ("~", "~"),
        ("2024-01-02", "2024-01-02"),
        ("1:30", "1:30"),
        ("'quoted'", "quoted"),
        ('"He said \\"hi\\""', 'He said "hi"'),
        ("it's", "it's"),
        ("ünïcödé 日本 🚀", "ünïcödé 日本 🚀"),
        ('"tab\\tbell\\x07"', "tab\tbell\x07"),
        ("", ""),
    ],
)
def test_variable_values_and_builds_keep_their_text(written: str, expected: str) -> None:
    text = one(f"variables:\n  V: {written}\nartifacts:\n  - {{service: s, source: s, build: x}}\n")
    assert load(text).deployments[0].variables[0].value == expected
    if expected.strip():
        build = one(f"artifacts:\n  - service: s\n    source: s\n    build: {written}\n")
        assert load(build).deployments[0].artifacts[0].build == expected


def test_block_scalars_keep_newlines() -> None:
    text = one("notes: |\n  line one\n  line two\nvariables:\n  Script: >\n    folded\n    text\n")
    deployment = load(text).deployments[0]
    assert deployment.notes == "line one\nline two\n"
    assert deployment.variables[0].value == "folded text\n"


def test_variable_types() -> None:
    text = one(
        "variables:\n"
        "  A: {value: x}\n"
        "  B: {value: 12, type: ID}\n"
        "  C: {value: '${BUILD_TAG}', type: id}\n"
        "  D: {value: y, type: NAME}\n"
    )
    variables = load(text).deployments[0].variables
    assert [(v.name, v.value, v.type) for v in variables] == [
        ("A", "x", "NAME"),
        ("B", "12", "ID"),
        ("C", "build-42", "ID"),
        ("D", "y", "NAME"),
    ]


def test_variable_names_are_not_interpolated() -> None:
    variables = load(one("variables:\n  ${BUILD_TAG}: x\n")).deployments[0].variables
    assert variables[0].name == "${BUILD_TAG}"


# --- interpolation -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "written, expected",
    [
        ("${BUILD_TAG}", "build-42"),
        ("v-${BUILD_TAG}-x", "v-build-42-x"),
        ("${MISSING:-fallback}", "fallback"),
        ("${MISSING:-}", ""),
        ("${EMPTY:-used when empty}", "used when empty"),
        ("${BUILD_TAG:-unused}", "build-42"),
        ("${MISSING:-${BUILD_TAG}}", "build-42"),
        ("${BUILD_TAG:-${MISSING}}", "build-42"),  # an unused default is not evaluated
        ("$$", "$"),
        ("$${BUILD_TAG}", "${BUILD_TAG}"),
        ("cost $5", "cost $5"),
        ("a $ b", "a $ b"),
        ("trailing $", "trailing $"),
        ("$ {BUILD_TAG}", "$ {BUILD_TAG}"),
        ("}{", "}{"),
        ("${UNI}", "ünï 🚀"),
        ("${DOLLAR}", "${BUILD_TAG} $$"),  # values from the environment are not re-expanded
    ],
)
def test_interpolation(written: str, expected: str) -> None:
    env = {**ENV, "UNI": "ünï 🚀", "DOLLAR": "${BUILD_TAG} $$"}
    assert interpolate(written, env) == expected
    text = one(f"variables:\n  V: '{written}'\nnotes: '{written}'\n")
    deployment = load(text, env).deployments[0]
    assert deployment.variables[0].value == expected
    assert deployment.notes == expected


def test_interpolation_reaches_every_string_value() -> None:
    env = {"APP": "Demo", "WF": "Rolling", "N": "dev", "S": "svc", "T": "5m", "P": "true"}
    text = (
        "version: 1\n"
        "application: ${APP}\n"
        "parallel: ${P}\n"
        "timeout: ${T}\n"
        "deployments:\n"
        "  - name: ${N}\n"
        "    workflow: ${WF}\n"
        "    artifacts: [{service: '${S}', source: '${S}', build: '${N}-1'}]\n"
        "  - name: other\n"
        "    pipeline: P\n"
        "    needs: ['${N}']\n"
    )
    result = load(text, env)
    first, second = result.deployments
    assert (result.application, result.parallel, result.timeout) == ("Demo", True, 300.0)
    assert (first.name, first.entity_name) == ("dev", "Rolling")
    assert (first.artifacts[0].service, first.artifacts[0].build) == ("svc", "dev-1")
    assert second.needs == ["dev"]


def test_undefined_variable_names_file_line_key_and_variable() -> None:
    text = one("artifacts:\n  - service: s\n    source: s\n    build: ${NOT_SET}\n")
    err = error(text)
    assert str(err).startswith(f"deploy.yaml:{line_of(text, 'NOT_SET')}: ")
    assert err.key == "deployments[0].artifacts[0].build"
    assert "NOT_SET is not set" in err.detail and "${NOT_SET:-default}" in err.detail
    assert err.deployment_names == ["a"]


@pytest.mark.parametrize(
    "written, part",
    [
        ("${UNCLOSED", "unterminated"),
        ("${A:-unclosed", "unterminated"),
        ("${}", "variable name"),
        ("${1A}", "variable name"),
        ("${A B}", "expected '}' or ':-'"),
        ("${A-x}", "expected '}' or ':-'"),
    ],
)
def test_malformed_references(written: str, part: str) -> None:
    err = error(one(f"notes: '{written}'\n"))
    assert err.key == "deployments[0].notes" and part in err.detail


def test_harness_expressions_need_double_dollar() -> None:
    err = error(one("variables:\n  S: {value: '${workflow.variables.svc}', type: EXPRESSION}\n"))
    assert err.key == "deployments[0].variables.S.value"
    assert "write '$${workflow.variables.svc}'" in err.detail
    text = one("variables:\n  S: {value: '$${workflow.variables.svc}'}\n")
    assert load(text).deployments[0].variables[0].value == "${workflow.variables.svc}"


def test_non_utf8_environment_value_is_rejected() -> None:
    err = error(one("notes: ${BAD}\n"), {"BAD": "x\udcff"})
    assert "BAD is not valid UTF-8" in str(err)


# --- booleans, version, durations ----------------------------------------------------------


@pytest.mark.parametrize(
    "written, expected",
    [("true", True), ("false", False), ("True", True), ("yes", True), ("off", False)],
)
def test_booleans(written: str, expected: bool) -> None:
    result = load(spec(f"parallel: {written}\ndeployments: [{{name: a, workflow: W}}]\n"))
    assert result.parallel is expected


@pytest.mark.parametrize("written", ['"true"', "'false'", "1", "maybe", "[true]", "${P}"])
def test_booleans_are_not_strings(written: str) -> None:
    text = spec(f"abort_on_exit: {written}\ndeployments: [{{name: a, workflow: W}}]\n")
    err = error(text, {"P": "sure"})
    assert str(err).startswith("deploy.yaml:3: abort_on_exit: expected true or false")
    if written.startswith(("'", '"')):
        assert "remove the quotes" in str(err)


@pytest.mark.parametrize(
    "written, message",
    [
        ("2", "unsupported spec version '2'"),
        ('"1"', "version is the number 1, not text"),
        ("[1]", "expected version: 1, got a list"),
    ],
)
def test_version_must_be_1(written: str, message: str) -> None:
    err = error(f"version: {written}\napplication: A\ndeployments: [{{name: a, workflow: W}}]\n")
    assert str(err).startswith("deploy.yaml:1: version: ") and message in str(err)


def test_version_is_required() -> None:
    err = error("application: A\ndeployments: [{name: a, workflow: W}]\n")
    assert "missing required key 'version'" in str(err)
    assert err.deployment_names == ["a"]


@pytest.mark.parametrize(
    "written, seconds",
    [
        ("90s", 90.0),
        ("20m", 1200.0),
        ("1h30m", 5400.0),
        ("250ms", 0.25),
        ("45", 45.0),
        ("1.5", 1.5),
    ],
)
def test_durations(written: str, seconds: float) -> None:
    text = spec(
        f"poll_interval: {written}\ndeployments: [{{name: a, workflow: W, timeout: {written}}}]\n"
    )
    result = load(text)
    assert result.poll_interval == seconds and result.deployments[0].timeout == seconds


@pytest.mark.parametrize(
    "written, part",
    [
        ("0", "more than zero"),
        ("0s", "more than zero"),
        ("-5", "expected a duration"),
        ("soon", "expected a duration"),
        ("1:30", "expected a duration"),
        ("yes", "got the boolean yes"),
        ("400d", "cannot exceed 365 days"),
        ("[1]", "got a list"),
    ],
)
def test_bad_durations(written: str, part: str) -> None:
    err = error(one(f"timeout: {written}\n"))
    assert str(err).startswith("deploy.yaml:6: deployments[0].timeout: ") and part in str(err)


def test_empty_optional_values_mean_default() -> None:
    result = load(spec("timeout:\nnotes: ~\ndeployments: [{name: a, workflow: W, notes: null}]\n"))
    assert result.timeout == 1800.0 and result.notes is None
    assert result.deployments[0].notes is None


# --- structure errors ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "body, line_needle, key, part",
    [
        ("timout: 5\n", "timout", "timout", "unknown key (did you mean 'timeout'?)"),
        ("Parallel: true\n", "Parallel", "Parallel", "did you mean 'parallel'?"),
        ("zzz: 5\n", "zzz", "zzz", "expected one of: version, application"),
        ("workflow: W\n", "workflow: W", "workflow", "belongs in a deployment"),
        ("build: 5\n", "build", "build", "belongs in an artifacts entry"),
    ],
)
def test_unknown_top_level_keys(body: str, line_needle: str, key: str, part: str) -> None:
    text = spec(body + "deployments: [{name: a, workflow: W}]\n")
    err = error(text)
    assert str(err).startswith(f"deploy.yaml:{line_of(text, line_needle)}: {key}: ")
    assert part in str(err)
    assert err.deployment_names == ["a"]


@pytest.mark.parametrize(
    "body, key, part",
    [
        ("wrokflow: X\n", "deployments[0].wrokflow", "did you mean 'workflow'?"),
        ("varaibles: {}\n", "deployments[0].varaibles", "did you mean 'variables'?"),
        ("service: s\n", "deployments[0].service", "belongs in an artifacts entry"),
        ("parallel: true\n", "deployments[0].parallel", "top-level key"),
        ("artifacts:\n  - {service: s, sorce: x, build: 1}\n", "deployments[0].artifacts[0].sorce",
         "did you mean 'source'?"),
        ("variables:\n  V: {value: 1, typ: ID}\n", "deployments[0].variables.V.typ",
         "did you mean 'type'?"),
    ],
)  # fmt: skip
def test_unknown_nested_keys(body: str, key: str, part: str) -> None:
    err = error(one(body))
    assert err.key == key and part in err.detail and err.line is not None


def test_wrong_types() -> None:
    cases = {
        "deployments: {a: 1}\n": ("deployments", "expected a list of deployments, got a mapping"),
        "deployments: [x]\n": ("deployments[0]", "expected a deployment"),
        "deployments: [{name: [a], workflow: W}]\n": ("deployments[0].name", "got a list"),
        "deployments: [{name: a, workflow: {x: 1}}]\n": ("deployments[0].workflow", "mapping"),
        "deployments: [{name: a, workflow: W, artifacts: {}}]\n": (
            "deployments[0].artifacts",
            "expected a list of artifacts",
        ),
        "deployments: [{name: a, workflow: W, artifacts: [x]}]\n": (
            "deployments[0].artifacts[0]",
            "expected an artifact",
        ),
        "deployments: [{name: a, workflow: W, variables: [x]}]\n": (
            "deployments[0].variables",
            "expected a mapping of variable name to value",
        ),
        "deployments: [{name: a, workflow: W, variables: {V: [1]}}]\n": (
            "deployments[0].variables.V",
            "a variable value is text or a mapping",
        ),
        "deployments: [{name: a, workflow: W, needs: {x: 1}}]\n": (
            "deployments[0].needs",
            "expected a list of deployment names",
        ),
        "notes: [a]\ndeployments: [{name: a, workflow: W}]\n": ("notes", "got a list"),
    }
    for body, (key, part) in cases.items():
        err = error(spec(body))
        assert err.key == key, body
        assert part in err.detail, (body, err.detail)


def test_top_level_must_be_a_mapping() -> None:
    for text in ("- a\n- b\n", "just text\n", "42\n"):
        err = error(text)
        assert str(err).startswith("deploy.yaml:1: the spec must be a mapping")
        assert err.deployment_names == []


@pytest.mark.parametrize("text", ["", "\n\n", "# only a comment\n", "---\n", "\ufeff"])
def test_empty_spec(text: str) -> None:
    assert str(error(text)).startswith("deploy.yaml: the spec is empty")


def test_missing_deployments() -> None:
    err = error("version: 1\napplication: A\n")
    assert "missing required key 'deployments'" in str(err) and err.deployment_names == []


def test_empty_deployments() -> None:
    err = error(spec("deployments: []\n"))
    assert str(err) == "deploy.yaml:3: deployments: is empty; list at least one deployment"


def test_deployment_missing_name() -> None:
    text = spec("deployments:\n  - name: a\n    workflow: W\n  - workflow: W\n")
    err = error(text)
    assert str(err) == (
        f"deploy.yaml:{line_of(text, '- workflow')}: deployments[1]: missing required key 'name'"
    )
    assert err.deployment_names == []  # not every deployment has a name


@pytest.mark.parametrize("name", ["''", "'  '", "null", "~"])
def test_empty_names(name: str) -> None:
    err = error(spec(f"deployments: [{{name: {name}, workflow: W}}]\n"))
    assert err.key == "deployments[0].name" and "is empty" in err.detail


def test_workflow_and_pipeline_exactly_one() -> None:
    text = spec("deployments:\n  - name: a\n    workflow: W\n    pipeline: P\n")
    err = error(text)
    assert str(err).startswith(f"deploy.yaml:{line_of(text, 'pipeline')}: deployments[0]: ")
    assert "not both" in str(err)
    err = error(spec("deployments:\n  - name: a\n"))
    assert "missing workflow: or pipeline:" in str(err) and err.key == "deployments[0]"


def test_application_required_somewhere() -> None:
    text = "version: 1\ndeployments:\n  - name: a\n    workflow: W\n"
    err = error(text)
    assert str(err).startswith("deploy.yaml:3: deployments[0]: no application")
    result = load("version: 1\ndeployments:\n  - {name: a, workflow: W, application: Own}\n")
    assert result.deployments[0].application == "Own"


def test_duplicate_deployment_names() -> None:
    text = spec("deployments:\n  - name: a\n    workflow: W\n  - name: a\n    pipeline: P\n")
    err = error(text)
    second = line_of(text, "name: a", 2)
    assert str(err) == (
        f"deploy.yaml:{second}: deployments[1].name: duplicate deployment name 'a' "
        f"(first at line {line_of(text, 'name: a')})"
    )
    assert err.deployment_names == ["a"]


def test_duplicate_keys_report_the_second() -> None:
    text = spec("deployments:\n  - name: a\n    workflow: W\n    workflow: X\n")
    err = error(text)
    assert str(err) == (
        f"deploy.yaml:{line_of(text, 'workflow: X')}: deployments[0].workflow: "
        f"duplicate key (first at line {line_of(text, 'workflow: W')})"
    )
    assert err.deployment_names == ["a"]
    err = error("version: 1\nversion: 1\n")
    assert str(err) == "deploy.yaml:2: version: duplicate key (first at line 1)"


def test_variable_declared_twice() -> None:
    text = one("variables:\n  Env: dev\n  Env: prod\n")
    err = error(text)
    assert str(err) == (
        f"deploy.yaml:{line_of(text, 'Env: prod')}: deployments[0].variables.Env: "
        f"variable declared twice (first at line {line_of(text, 'Env: dev')})"
    )


def test_odd_key_names_are_quoted_in_the_path() -> None:
    err = error(one("variables:\n  'my var': 1\n  'my var': 2\n"))
    assert err.key == "deployments[0].variables['my var']"


@pytest.mark.parametrize(
    "key, part",
    [
        ("1", "the key '1' is a number"),
        ("1.5", "is a number"),
        ("true", "is a boolean"),
        ("null", "is null"),
        ("2024-01-01", "is a date"),
        ("[a]", "a key must be text"),
        ("{a: 1}", "a key must be text"),
    ],
)
def test_non_string_keys(key: str, part: str) -> None:
    text = one(f"variables:\n  ? {key}\n  : x\n")
    err = error(text)
    assert err.key == "deployments[0].variables" and part in err.detail
    assert err.deployment_names == ["a"]


def test_quoted_keys_are_text() -> None:
    variables = load(one("variables:\n  '1': x\n  'true': y\n")).deployments[0].variables
    assert [v.name for v in variables] == ["1", "true"]


def test_artifact_rules() -> None:
    cases = {
        "- {source: s, build: 1}": "missing required key 'service'",
        "- {service: s}": "missing build: (with source:) or artifact_id:",
        "- {service: s, source: s, build: 1, artifact_id: x}": "build or artifact_id, not both",
        "- {service: s, build: 1}": "missing required key 'source'",
        "- {service: s, source: s, artifact_id: x}": "source only goes with build",
        "- {service: s, source: s, build: ''}": "build is empty",
        "- {service: s, source: s, build: '${EMPTY}'}": "build is empty",
        "- {service: '', source: s, build: 1}": "the service name is empty",
    }
    for entry, part in cases.items():
        err = error(one(f"artifacts:\n  {entry}\n"))
        assert err.key is not None and err.key.startswith("deployments[0].artifacts[0]"), entry
        assert part in err.detail, (entry, err.detail)


def test_unknown_variable_type() -> None:
    err = error(one("variables:\n  V: {value: x, type: nmae}\n"))
    assert err.key == "deployments[0].variables.V.type"
    assert "unknown variable type 'nmae' (did you mean 'NAME'?)" in err.detail
    err = error(one("variables:\n  V: {type: ID}\n"))
    assert err.key == "deployments[0].variables.V" and "missing required key 'value'" in err.detail


def test_control_characters_in_names() -> None:
    err = error(spec('deployments: [{name: "a\\x07b", workflow: W}]\n'))
    assert err.key == "deployments[0].name" and "control character U+0007" in err.detail
    err = error(spec('deployments: [{name: "a\\nb", workflow: W}]\n'))
    assert "U+000A" in err.detail  # a deployment name is one line in every report
    err = error(spec('deployments: [{name: a, workflow: "W\\x1b[31m"}]\n'))
    assert err.key == "deployments[0].workflow" and "U+001B" in err.detail
    err = error(one('variables:\n  "V\\x00": x\n'))
    assert "U+0000" in err.detail
    err = error(one("").replace("name: a", "name: ${N}"), {"N": "x\x01"})
    assert "U+0001" in str(err)
    # tabs and newlines are left to Harness in its own names; values keep everything
    result = load(spec('deployments: [{name: a, workflow: "W\\tX", notes: "\\x07\\x00"}]\n'))
    assert result.deployments[0].entity_name == "W\tX"
    assert result.deployments[0].notes == "\x07\x00"


# --- needs ---------------------------------------------------------------------------------

PARALLEL = "version: 1\napplication: A\nparallel: true\n"


def test_needs() -> None:
    text = PARALLEL + (
        "deployments:\n"
        "  - {name: a, workflow: W}\n"
        "  - {name: b, workflow: W, needs: [a]}\n"
        "  - {name: c, workflow: W, needs: [a, b, a]}\n"
        "  - {name: d, workflow: W, needs: c}\n"
    )
    result = load(text)
    assert [d.needs for d in result.deployments] == [[], ["a"], ["a", "b"], ["c"]]


def test_needs_requires_parallel() -> None:
    text = spec(
        "deployments:\n  - {name: a, workflow: W}\n  - {name: b, workflow: W, needs: [a]}\n"
    )
    err = error(text)
    assert str(err).startswith(f"deploy.yaml:{line_of(text, 'needs')}: deployments[1].needs: ")
    assert "parallel: true" in str(err)
    assert err.deployment_names == ["a", "b"]
    load(spec("deployments: [{name: a, workflow: W, needs: []}]\n"))  # empty is harmless


def test_needs_itself() -> None:
    err = error(PARALLEL + "deployments:\n  - {name: a, workflow: W, needs: [a]}\n")
    assert err.key == "deployments[0].needs[0]" and "'a' cannot need itself" in err.detail


def test_needs_unknown_with_suggestion() -> None:
    text = PARALLEL + (
        "deployments:\n  - {name: build-api, workflow: W}\n"
        "  - name: deploy\n    workflow: W\n    needs:\n      - build-apj\n"
    )
    err = error(text)
    assert str(err) == (
        f"deploy.yaml:{line_of(text, '- build-apj')}: deployments[1].needs[0]: "
        "needs unknown deployment 'build-apj' (did you mean 'build-api'?)"
    )


@pytest.mark.parametrize(
    "edges, cycle",
    [
        ({"a": ["b"], "b": ["a"]}, "a -> b -> a"),
        ({"a": [], "b": ["c"], "c": ["d"], "d": ["b"]}, "b -> c -> d -> b"),
        ({"a": ["c"], "b": ["a"], "c": ["b"]}, "a -> c -> b -> a"),
        ({"a": [], "b": ["a", "c"], "c": ["b"]}, "b -> c -> b"),
    ],
)
def test_needs_cycles(edges: dict[str, list[str]], cycle: str) -> None:
    lines = "".join(
        f"  - {{name: {n}, workflow: W, needs: [{', '.join(needs)}]}}\n"
        for n, needs in edges.items()
    )
    text = PARALLEL + "deployments:\n" + lines
    err = error(text)
    first = cycle.split(" -> ")[0]
    index = list(edges).index(first)
    assert str(err) == (
        f"deploy.yaml:{line_of(text, f'name: {first},')}: deployments[{index}].needs: "
        f"needs form a cycle: {cycle}"
    )


# --- --only --------------------------------------------------------------------------------

SELECTABLE = PARALLEL + (
    "deployments:\n"
    "  - {name: api, workflow: W}\n"
    "  - {name: web, workflow: W, needs: [api]}\n"
    "  - {name: docs, workflow: W}\n"
)


def test_select_nothing_returns_the_spec() -> None:
    loaded = load(SELECTABLE)
    assert select_deployments(loaded, []) is loaded


def test_select_keeps_spec_order() -> None:
    loaded = load(SELECTABLE)
    chosen = select_deployments(loaded, ["docs", "api", "docs"])
    assert [d.name for d in chosen.deployments] == ["api", "docs"]
    assert [d.name for d in loaded.deployments] == ["api", "web", "docs"]  # untouched
    assert chosen.parallel is True and chosen.path == "deploy.yaml"


def test_select_unknown_name() -> None:
    with pytest.raises(UsageError) as caught:
        select_deployments(load(SELECTABLE), ["wbe"])
    assert str(caught.value).startswith("--only: deploy.yaml has no deployment named 'wbe'")
    assert "(did you mean 'web'?)" in str(caught.value)
    assert "'api', 'web', 'docs'" in str(caught.value)


def test_select_needs_an_unselected_deployment() -> None:
    with pytest.raises(SpecError) as caught:
        select_deployments(load(SELECTABLE), ["web"])
    err = caught.value
    assert str(err).startswith(f"deploy.yaml:{line_of(SELECTABLE, 'name: web')}: ")
    assert err.key == "deployments[1].needs"
    assert "'web' needs 'api', which --only did not select" in err.detail
    assert err.deployment_names == ["web"]
    assert [d.name for d in select_deployments(load(SELECTABLE), ["web", "api"]).deployments] == [
        "api",
        "web",
    ]


# --- anchors, aliases, merges ----------------------------------------------------------------


def test_anchors_aliases_and_merge_keys() -> None:
    text = spec(
        "deployments:\n"
        "  - &base\n"
        "    name: dev\n"
        "    workflow: Rolling\n"
        "    variables: &vars\n"
        "      Env: dev\n"
        "      Region: eu\n"
        "  - <<: *base\n"
        "    name: prod\n"
        "    variables:\n"
        "      <<: *vars\n"
        "      Env: prod\n"
    )
    dev, prod = load(text).deployments
    assert prod.entity_name == "Rolling"
    assert [(v.name, v.value) for v in dev.variables] == [("Env", "dev"), ("Region", "eu")]
    assert [(v.name, v.value) for v in prod.variables] == [("Env", "prod"), ("Region", "eu")]


def test_merge_errors() -> None:
    err = error(one("variables:\n  <<: [x]\n"))
    assert "'<<' merges mappings" in err.detail
    err = error(one("variables: &v\n  <<: *v\n"))  # a mapping merging itself
    assert "merges nest too deeply" in err.detail


# --- files ---------------------------------------------------------------------------------


def test_missing_file(tmp_path: Path) -> None:
    path = str(tmp_path / "nope.yaml")
    with pytest.raises(SpecError) as caught:
        load_spec(path, {})
    assert str(caught.value) == f"{path}: cannot read the spec: no such file"
    assert caught.value.deployment_names == []


def test_directory(tmp_path: Path) -> None:
    with pytest.raises(SpecError) as caught:
        load_spec(str(tmp_path), {})
    assert "is a directory" in str(caught.value)


@pytest.mark.skipif(
    sys.platform == "win32" or os.geteuid() == 0, reason="root reads everything"
)  # fmt: skip
def test_unreadable_file(tmp_path: Path) -> None:
    path = tmp_path / "deploy.yaml"
    path.write_text(EXAMPLE)
    path.chmod(0)
    with pytest.raises(SpecError) as caught:
        load_spec(str(path), {})
    assert "permission denied" in str(caught.value)


def test_read_errors_become_spec_errors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "deploy.yaml"
    path.write_text(EXAMPLE)

    def refuse(*args: object, **kwargs: object) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr("harness_gate.spec.open", refuse, raising=False)
    with pytest.raises(SpecError) as caught:
        load_spec(str(path), {})
    assert str(caught.value) == f"{path}: cannot read the spec: permission denied"

    def broken(*args: object, **kwargs: object) -> None:
        raise OSError(5, "Input/output error")

    monkeypatch.setattr("harness_gate.spec.open", broken, raising=False)
    with pytest.raises(SpecError) as caught:
        load_spec(str(path), {})
    assert str(caught.value) == f"{path}: cannot read the spec: Input/output error"


def test_bom_and_utf16(tmp_path: Path) -> None:
    path = tmp_path / "deploy.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + EXAMPLE.encode())
    assert len(load_spec(str(path), ENV).deployments) == 2
    path.write_bytes(EXAMPLE.encode("utf-16"))  # what Windows PowerShell 5 writes
    assert len(load_spec(str(path), ENV).deployments) == 2


def test_tabs_get_a_hint() -> None:
    err = error("version: 1\ndeployments:\n\t- name: a\n")
    assert str(err).startswith("deploy.yaml:3: invalid YAML: ")
    assert "spaces, not tabs" in str(err)


def test_malformed_yaml_has_a_line() -> None:
    err = error("version: 1\ndeployments: [\n  {name: a\n")
    assert str(err).startswith("deploy.yaml:4: invalid YAML: ")
    assert err.deployment_names == []


def test_multiple_documents() -> None:
    err = error("version: 1\n---\nversion: 1\n")
    assert "expected a single document" in str(err)


def test_unsupported_tags() -> None:
    err = error(one("notes: !!python/object:os.system x\n"))
    assert err.key == "deployments[0].notes" and "YAML tag" in err.detail
    err = error(one("notes: !custom x\n"))
    assert "'!custom' is not supported" in err.detail


# --- did-you-mean helper ---------------------------------------------------------------------


def test_suggestions() -> None:
    assert close_matches("timout", ["timeout", "notes"]) == ["timeout"]
    assert close_matches("WORKFLOW", ["workflow", "pipeline"]) == ["workflow"]
    assert close_matches("zzz", ["timeout"]) == []
    assert close_matches("x" * 1000, ["x"]) == []
    assert did_you_mean("pipline", ["pipeline"]) == " (did you mean 'pipeline'?)"
    assert did_you_mean("same", ["same"]) == ""
