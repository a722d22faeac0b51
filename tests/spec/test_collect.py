"""collect_spec_errors (every mistake, for validate), the spec from standard input, and the key
table driving the loader."""

from __future__ import annotations

import io
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from harness_gate.errors import SpecError
from harness_gate.spec import (
    ARTIFACT_KEYS,
    DEPLOYMENT_KEYS,
    MAX_ERRORS,
    MAX_SPEC_BYTES,
    STDIN_NAME,
    TOP_KEYS,
    VARIABLE_KEYS,
    collect_spec_errors,
    load_spec,
    load_spec_text,
    read_spec_source,
)
from harness_gate.spec import fields as F
from tests.spec.helpers import ROOT, AnyEnv

MANY_MISTAKES = """\
version: 1
application: A
timout: 5m
parallel: maybe
deployments:
  - name: api
    wrokflow: W
    timeout: soon
    artifacts:
      - {service: s, build: 1}
      - {service: t, source: t, build: ''}
    variables:
      Env: {value: dev, type: EXPRESSION}
  - name: api
    workflow: W
    notes: ${NOT_SET}
  - name: web
    workflow: W
    needs: [apj]
"""


def collect(text: str, **kwargs: int) -> list[SpecError]:
    return collect_spec_errors(textwrap.dedent(text), "deploy.yaml", {}, **kwargs)


def test_every_mistake_is_reported_with_file_line_and_key() -> None:
    errors = collect(MANY_MISTAKES)
    assert [str(e) for e in errors] == [
        "deploy.yaml:3: timout: unknown key (did you mean 'timeout'?)",
        "deploy.yaml:4: parallel: expected true or false, got the text 'maybe'",
        "deploy.yaml:7: deployments[0].wrokflow: unknown key (did you mean 'workflow'?)",
        "deploy.yaml:6: deployments[0]: missing workflow: or pipeline: "
        "(the name of the Harness workflow or pipeline)",
        "deploy.yaml:10: deployments[0].artifacts[0]: missing required key 'source': "
        "a build needs its artifact source name",
        "deploy.yaml:11: deployments[0].artifacts[1].build: build is empty",
        "deploy.yaml:13: deployments[0].variables.Env.type: variable type EXPRESSION cannot be "
        'sent: Harness refuses it when starting an execution ("Expression Type not supported"); '
        "give the value as a NAME or an ID",
        "deploy.yaml:8: deployments[0].timeout: expected a duration such as 90s, 20m, 1h30m or "
        "a number of seconds, got 'soon'",
        "deploy.yaml:14: deployments[1].name: duplicate deployment name 'api' (first at line 6)",
        "deploy.yaml:16: deployments[1].notes: environment variable NOT_SET is not set "
        "(write ${NOT_SET:-default} to give a default)",
        "deploy.yaml:19: deployments[2].needs[0]: needs unknown deployment 'apj' "
        "(did you mean 'api'?)",
    ]
    assert all(e.deployment_names == ["api", "web"] for e in errors)


def test_the_first_collected_error_is_the_one_load_raises() -> None:
    with pytest.raises(SpecError) as caught:
        load_spec_text(MANY_MISTAKES, "deploy.yaml", {})
    assert str(caught.value) == str(collect(MANY_MISTAKES)[0])


def test_a_valid_spec_has_no_errors() -> None:
    assert collect("version: 1\napplication: A\ndeployments: [{name: a, workflow: W}]\n") == []


def test_the_number_of_errors_is_bounded() -> None:
    body = "".join(f"  - {{name: d{i}, workflow: W, timeout: soon}}\n" for i in range(50))
    text = "version: 1\napplication: A\ndeployments:\n" + body
    assert len(collect(text)) == MAX_ERRORS == 20
    assert len(collect(text, limit=3)) == 3
    assert [e.key for e in collect(text, limit=2)] == [
        "deployments[0].timeout",
        "deployments[1].timeout",
    ]


def test_yaml_mistakes_are_all_reported_when_the_yaml_reads() -> None:
    text = (
        "version: 1\nversion: 1\napplication: A\ndeployments:\n"
        "  - {name: a, workflow: W, variables: {V: 1, V: 2}}\n"
        "  - {name: b, workflow: !custom W}\n"
    )
    assert [(e.line, e.key) for e in collect(text)] == [
        (2, "version"),
        (5, "deployments[0].variables.V"),
        (6, "deployments[1].workflow"),
    ]


@pytest.mark.parametrize(
    "text, part",
    [
        ("version: 1\ndeployments: [\n", "invalid YAML"),
        ("a: " + "[" * 60 + "]" * 60 + "\n", "nests more than 50 levels"),
        ("", "the spec is empty"),
        ("- a\n", "must be a mapping"),
    ],
)
def test_a_file_that_does_not_read_gives_one_error(text: str, part: str) -> None:
    (only,) = collect(text)
    assert part in str(only)


def test_hostile_input_still_gives_located_one_line_errors() -> None:
    for text in (b"\x00\x01", "version: 1\n" + "# x\n" * 300_000, "a: &a [*a]\n"):
        errors = collect_spec_errors(text, "deploy.yaml", {})
        assert errors
        assert all(str(e).startswith("deploy.yaml") and "\n" not in str(e) for e in errors)


# --- standard input ------------------------------------------------------------------------

GOOD = b"version: 1\napplication: A\ndeployments: [{name: a, workflow: W}]\n"


def test_dash_reads_the_given_stream() -> None:
    spec = load_spec("-", {}, stdin=io.BytesIO(GOOD))
    assert spec.path == STDIN_NAME == "<stdin>"
    assert spec.deployments[0].location is not None
    assert str(spec.deployments[0].location) == "<stdin>:3"
    assert load_spec("-", {}, stdin=io.StringIO(GOOD.decode())).deployments[0].name == "a"


def test_errors_from_stdin_name_it() -> None:
    with pytest.raises(SpecError) as caught:
        load_spec("-", {}, stdin=io.BytesIO(b"version: 1\ntimout: 1\n"))
    assert str(caught.value).startswith("<stdin>:2: timout: unknown key")
    assert caught.value.file == "<stdin>"


def test_stdin_is_bounded_and_decoded_like_a_file() -> None:
    name, data = read_spec_source("-", stdin=io.BytesIO(b"x" * (3 * MAX_SPEC_BYTES)))
    assert name == "<stdin>" and len(data) == MAX_SPEC_BYTES + 1
    with pytest.raises(SpecError) as caught:
        load_spec("-", {}, stdin=io.BytesIO(b"x" * (3 * MAX_SPEC_BYTES)))
    assert "larger than 1 MiB" in str(caught.value)
    spec = load_spec("-", {}, stdin=io.BytesIO(GOOD.decode().encode("utf-16")))
    assert spec.deployments[0].name == "a"


def test_a_closed_or_broken_stdin_is_a_spec_error() -> None:
    closed = io.BytesIO(GOOD)
    closed.close()
    with pytest.raises(SpecError) as caught:
        load_spec("-", {}, stdin=closed)
    assert str(caught.value).startswith("<stdin>: cannot read the spec")

    class Broken(io.RawIOBase):
        def read(self, size: int = -1) -> bytes:
            raise OSError(5, "Input/output error")

    with pytest.raises(SpecError) as caught:
        load_spec("-", {}, stdin=Broken())
    assert str(caught.value) == "<stdin>: cannot read the spec: Input/output error"


def test_a_file_path_is_still_a_file(tmp_path: Path) -> None:
    path = tmp_path / "-spec.yaml"
    path.write_bytes(GOOD)
    assert read_spec_source(str(path)) == (str(path), GOOD)


def test_the_process_stdin_is_read_as_bytes() -> None:
    code = (
        "import sys\n"
        "from harness_gate.spec import load_spec\n"
        "spec = load_spec('-', {})\n"
        "print(spec.path, spec.deployments[0].name, spec.deployments[0].variables[0].value)\n"
    )
    data = GOOD.replace(b"workflow: W}", "workflow: W, variables: {V: 'ünï'}}".encode())
    out = subprocess.run(
        [sys.executable, "-c", code], input=data, capture_output=True, check=True, cwd=ROOT
    )
    assert out.stdout.decode("utf-8").split() == ["<stdin>", "a", "ünï"]


# --- the table drives the loader -----------------------------------------------------------


def test_the_key_lists_come_from_the_table() -> None:
    assert F.keys_of(F.TOP) == TOP_KEYS
    assert TOP_KEYS[:2] == ("version", "application")
    assert set(DEPLOYMENT_KEYS) == {f.key for f in F.FIELDS if f.scope == F.DEPLOYMENT}
    assert set(ARTIFACT_KEYS) == {f.key for f in F.FIELDS if f.scope == F.ARTIFACT}
    assert VARIABLE_KEYS == ("value", "type")
    inherited = {f.key for f in F.FIELDS if f.inherited}
    assert inherited == {
        "application",
        "org",
        "project",
        "notes",
        "timeout",
        "abort_on_exit",
        "allow_unknown_variables",
        "continue_with_default_values",
    }
    assert inherited < set(TOP_KEYS) and inherited < set(DEPLOYMENT_KEYS)


def test_every_key_is_read_where_the_table_puts_it() -> None:
    # A value of the wrong shape under each key is refused by that key's reader (never as an
    # unknown key), on the platform the table gives it; on the other platform it is unknown.
    heads = {
        "firstgen": "version: 1\napplication: A\n",
        "nextgen": "version: 1\nplatform: nextgen\norg: o\nproject: p\n",
    }
    entities = {"firstgen": "workflow: W", "nextgen": "pipeline: p"}
    artifacts = {"firstgen": "{service: s, source: s, build: b", "nextgen": "{stage: s, tag: t"}
    checked = 0
    for field in F.FIELDS:
        if field.key in ("version", "platform", "deployments"):
            continue
        for platform, head in heads.items():
            bad = "{x: [1]}" if field.kind != F.VARIABLES else "[x]"
            if field.scope == F.DEPLOYMENT:
                text = (
                    head + f"deployments: [{{name: a, {entities[platform]}, {field.key}: {bad}}}]"
                )
                key = f"deployments[0].{field.key}"
            elif field.scope == F.TOP:
                text = (
                    head + f"{field.key}: {bad}\ndeployments: [{{name: a, {entities[platform]}}}]"
                )
                key = field.key
            elif field.scope == F.ARTIFACT:
                text = head + (
                    f"deployments: [{{name: a, {entities[platform]}, "
                    f"artifacts: [{artifacts[platform]}, {field.key}: {bad}}}]}}]"
                )
                key = f"deployments[0].artifacts[0].{field.key}"
            elif field.scope == F.MANIFEST:
                if platform != "firstgen":
                    continue
                text = head + (
                    "deployments: [{name: a, workflow: W, manifests: "
                    f"[{{service: s, manifest: m, version: v, {field.key}: {bad}}}]}}]"
                )
                key = f"deployments[0].manifests[0].{field.key}"
            else:
                text = head + (
                    f"deployments: [{{name: a, {entities[platform]}, "
                    f"variables: {{V: {{value: v, {field.key}: {bad}}}}}}}]"
                )
                key = f"deployments[0].variables.V.{field.key}"
            errors = collect_spec_errors(text + "\n", "deploy.yaml", AnyEnv())
            mine = [e for e in errors if e.key and (e.key + ".").startswith(key + ".")]
            assert mine, (field.key, platform, [str(e) for e in errors])
            if field.applies_to(platform):
                assert "unknown key" not in mine[0].detail, str(mine[0])
            else:
                assert "belongs to" in mine[0].detail, str(mine[0])
            checked += 1
    assert checked > 40


def test_a_mistake_is_not_reported_again_where_it_is_inherited() -> None:
    text = (
        "version: 1\napplication: [A]\n"
        "deployments: [{name: a, workflow: W}, {name: b, workflow: W}]\n"
    )
    assert [str(e) for e in collect(text)] == [
        "deploy.yaml:2: application: expected application, got a list"
    ]
    text = (
        "version: 1\nplatform: nextgen\norg: [o]\nproject: p\n"
        "deployments: [{name: a, pipeline: p}]\n"
    )
    assert [e.key for e in collect(text)] == ["org"]


def test_an_unknown_platform_stops_the_check_there() -> None:
    text = (
        "version: 1\nplatform: nextgn\norg: o\nproject: p\ndeployments: [{name: a, pipeline: p}]\n"
    )
    (only,) = collect(text)
    assert str(only) == (
        "deploy.yaml:2: platform: unknown platform 'nextgn' (did you mean 'nextgen'?); "
        "expected firstgen or nextgen"
    )
