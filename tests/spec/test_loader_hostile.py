"""Hostile input: whatever the bytes, load_spec_text gives a Spec or a one-line SpecError."""

from __future__ import annotations

import inspect
import sys
from pathlib import Path
from typing import Any, Union

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harness_gate.errors import SpecError
from harness_gate.model import PIPELINE, WORKFLOW, Spec
from harness_gate.spec import (
    ARTIFACT_KEYS,
    DEPLOYMENT_KEYS,
    MAX_DEPTH,
    TOP_KEYS,
    VARIABLE_KEYS,
    load_spec,
    load_spec_text,
)

ENV = {"BUILD_TAG": "b-1", "EMPTY": "", "NL": "a\nb", "CTRL": "\x01", "DOLLAR": "${BUILD_TAG}"}
PATH = "deploy.yaml"
FAST = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])

VALID = """\
version: 1
application: Harness Demo
notes: "Deployed by ${CI_JOB_URL:-local}"
timeout: 30m
poll_interval: 10s
parallel: true
abort_on_exit: false
deployments:
  - &base
    name: api
    workflow: K8s Rolling
    artifacts:
      - service: api
        source: api
        build: "${BUILD_TAG}"
      - {service: db, artifact_id: "abc"}
    variables: &vars
      Environment: dev
      skipCV: true
      Region: {value: eu, type: ID}
  - <<: *base
    name: web
    needs: [api]
    variables:
      <<: *vars
      Environment: prod
  - name: smoke
    pipeline: Smoke
    timeout: 5m
    needs: [web]
"""


def check(data: Union[str, bytes]) -> Union[Spec, SpecError]:
    """The property: a Spec that holds together, or a SpecError of one located line."""
    try:
        result = load_spec_text(data, PATH, ENV)
    except SpecError as err:
        message = str(err)
        assert message.startswith(PATH)
        assert len(message.splitlines()) == 1, message  # one line, never a second
        assert err.detail.strip()
        assert "internal error" not in message, message
        assert err.line is None or err.line >= 1
        assert all(isinstance(name, str) and name for name in err.deployment_names)
        return err
    assert isinstance(result, Spec)
    assert result.deployments
    names = [d.name for d in result.deployments]
    assert len(set(names)) == len(names)
    for deployment in result.deployments:
        assert deployment.name.strip() and deployment.entity_name.strip()
        assert deployment.entity_type in (PIPELINE, WORKFLOW)
        assert deployment.application.strip()
        assert 0 < deployment.timeout <= 365 * 86400
        assert set(deployment.needs) <= set(names) - {deployment.name}
        assert not deployment.needs or result.parallel
        for artifact in deployment.artifacts:
            assert (artifact.build is None) != (artifact.artifact_id is None)
        for variable in deployment.variables:
            assert variable.type in ("NAME", "ID", "EXPRESSION")
    return result


def test_the_valid_base_loads() -> None:
    result = check(VALID)
    assert isinstance(result, Spec)
    assert [d.name for d in result.deployments] == ["api", "web", "smoke"]
    web = next(d for d in result.deployments if d.name == "web")
    assert web.entity_name == "K8s Rolling" and web.needs == ["api"]
    assert [(v.name, v.value) for v in web.variables][:2] == [
        ("Environment", "prod"),
        ("skipCV", "true"),
    ]


# --- generated input ----------------------------------------------------------------------

FRAGMENTS = ["version: 1\n", "deployments:\n", "  - ", "name: ", "${", "<<: ", "&a ", "*a"]
YAMLISH = st.lists(
    st.one_of(
        st.sampled_from(list("abcxyz019 :-[]{},&*!|>'\"#?~$%@`.\n\t\\<=_")),
        st.sampled_from(FRAGMENTS),
        st.characters(),
    ),
    max_size=120,
).map("".join)


@FAST
@given(YAMLISH)
def test_yamlish_text(text: str) -> None:
    check(text)


@FAST
@given(st.binary(max_size=400))
def test_random_bytes(data: bytes) -> None:
    check(data)


SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(),
    st.text(max_size=12),
    st.sampled_from(
        [
            *("a", "b", "c", "W", "30m", "0", "-1s", "1h30m", "true", "ID", "nmae", "1.10", "~"),
            *("${BUILD_TAG}", "${NOPE}", "${NOPE:-x}", "$$", "${", "${NL}", "${CTRL}", "${DOLLAR}"),
        ]
    ),
)
KEYS = st.one_of(
    st.sampled_from(TOP_KEYS + DEPLOYMENT_KEYS + ARTIFACT_KEYS + VARIABLE_KEYS),
    st.text(max_size=8),
    st.integers(max_value=5, min_value=0),
    st.none(),
)
NESTED: st.SearchStrategy[Any] = st.recursive(
    SCALARS,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(KEYS, children, max_size=5),
    max_leaves=30,
)


def dump(value: object) -> str:
    return yaml.safe_dump(value, sort_keys=False, allow_unicode=True)


@FAST
@given(NESTED)
def test_random_structures(value: object) -> None:
    check(dump(value))


def mostly(valid: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Valid most of the time, so the walk gets deep before something breaks."""
    # (one_of would flatten SCALARS' branches and pick valid values only a quarter of the time)
    return st.sampled_from([True, True, True, True, False]).flatmap(
        lambda ok: valid if ok else SCALARS
    )


NAMES = st.sampled_from(["a", "b", "c", "${BUILD_TAG}", "b-1"])
DURATIONS = mostly(st.sampled_from(["30m", "5", 90, 1.5, "1h30m", "${T:-10s}", "250ms"]))
FLAGS = mostly(st.booleans())
ARTIFACT = st.one_of(
    st.fixed_dictionaries({"service": NAMES, "source": NAMES, "build": SCALARS}),
    st.fixed_dictionaries({"service": NAMES, "artifact_id": SCALARS}),
    st.dictionaries(st.sampled_from((*ARTIFACT_KEYS, "extra")), mostly(NAMES), max_size=4),
)
VARIABLE_VALUE = st.one_of(
    SCALARS,
    SCALARS,
    st.fixed_dictionaries(
        {"value": SCALARS}, optional={"type": mostly(st.sampled_from(["NAME", "ID", "expression"]))}
    ),
    st.dictionaries(st.sampled_from((*VARIABLE_KEYS, "typo")), SCALARS, max_size=3),
    st.lists(SCALARS, max_size=2),
)
ENTITY = st.sampled_from(["workflow", "workflow", "pipeline", "pipeline", "both", "neither"])
DEPLOYMENT = st.fixed_dictionaries(
    {"name": mostly(NAMES), "_entity": ENTITY},
    optional={
        "application": mostly(NAMES),
        "artifacts": mostly(st.lists(ARTIFACT, max_size=3)),
        "variables": mostly(st.dictionaries(st.text(max_size=6), VARIABLE_VALUE, max_size=4)),
        "notes": SCALARS,
        "timeout": DURATIONS,
        "abort_on_exit": FLAGS,
        "allow_unknown_variables": FLAGS,
        "needs": mostly(st.lists(NAMES, max_size=3)),
    },
)
SPEC = st.fixed_dictionaries(
    {
        "version": st.sampled_from([True] * 9 + [False]).map(lambda ok: 1 if ok else "1"),
        "deployments": mostly(st.lists(DEPLOYMENT, max_size=4)),
        "application": mostly(NAMES),
    },
    optional={
        "notes": SCALARS,
        "timeout": DURATIONS,
        "poll_interval": DURATIONS,
        "parallel": FLAGS,
        "abort_on_exit": FLAGS,
        "allow_unknown_variables": FLAGS,
    },
)
TYPOS = st.sampled_from([True] * 9 + [False]).flatmap(
    lambda clean: st.just("") if clean else st.sampled_from(["timout", "deployment", "wokflow"])
)


def render(value: dict[str, Any], typo: str) -> str:
    if typo:
        value[typo] = "x"
    for deployment in value["deployments"] if isinstance(value["deployments"], list) else []:
        entity = deployment.pop("_entity")
        if entity in ("workflow", "both"):
            deployment["workflow"] = "W"
        if entity in ("pipeline", "both"):
            deployment["pipeline"] = "P"
    return dump(value)


SPEC_TEXT = st.builds(render, SPEC, TYPOS)


@FAST
@given(SPEC_TEXT)
def test_spec_shaped_structures(text: str) -> None:
    check(text)


@st.composite
def mutated(draw: st.DrawFn) -> str:
    text = VALID
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        lines = text.splitlines(keepends=True)
        kind = draw(st.sampled_from(["delete", "insert", "replace", "dupline", "swap", "indent"]))
        at = draw(st.integers(min_value=0, max_value=max(0, len(text) - 1)))
        if kind == "delete":
            text = text[:at] + text[at + draw(st.integers(min_value=1, max_value=20)) :]
        elif kind == "insert":
            text = text[:at] + draw(YAMLISH.filter(lambda s: len(s) < 20)) + text[at:]
        elif kind == "replace":
            text = text[:at] + draw(st.characters()) + text[at + 1 :]
        elif lines:
            i = draw(st.integers(min_value=0, max_value=len(lines) - 1))
            j = draw(st.integers(min_value=0, max_value=len(lines) - 1))
            if kind == "dupline":
                lines.insert(j, lines[i])
            elif kind == "swap":
                lines[i], lines[j] = lines[j], lines[i]
            else:
                lines[i] = draw(st.sampled_from(["  ", "\t", " ", ""])) + lines[i].lstrip(" ")
            text = "".join(lines)
    return text


@FAST
@given(mutated())
def test_mutated_valid_specs(text: str) -> None:
    check(text)


@FAST
@given(st.data())
def test_flipped_bytes_of_a_valid_spec(data: st.DataObject) -> None:
    raw = bytearray(VALID.encode())
    for _ in range(data.draw(st.integers(min_value=1, max_value=5))):
        at = data.draw(st.integers(min_value=0, max_value=len(raw) - 1))
        raw[at] = data.draw(st.integers(min_value=0, max_value=255))
    check(bytes(raw))


# --- explicit hostile cases ---------------------------------------------------------------


def timed_error(data: Union[str, bytes], seconds: float = 5.0) -> SpecError:
    # `seconds` is kept for the callers' documentation of the intended bound; the test
    # asserts the outcome only (wall-clock limits are for benchmarks, not tests).
    del seconds
    outcome = check(data)
    assert isinstance(outcome, SpecError), outcome
    return outcome


def laughs(levels: int = 9) -> str:
    lines = ['lol0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for i in range(1, levels + 1):
        lines.append(f"lol{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 10)}]")
    return "\n".join(lines) + "\n"


def test_billion_laughs_at_the_top() -> None:
    timed_error(laughs())


def test_billion_laughs_in_values() -> None:
    refs = ", ".join(["*l8"] * 10)
    bomb = laughs(8).replace("\n", "\n    ").strip()  # defined inside a variable mapping
    text = (
        "version: 1\napplication: A\ndeployments:\n"
        "  - name: a\n    workflow: W\n    variables:\n"
        f"      bomb: {{value: [{refs}]}}\n"
    )
    err = timed_error(
        text.replace("variables:\n", "variables:\n      x: &h\n        " + bomb + "\n")
    )
    assert err.line is not None


def test_billion_laughs_through_merge_keys() -> None:
    text = "version: 1\napplication: A\ndeployments:\n"
    text += "  - name: d0\n    workflow: W\n    variables: &v0 {a: 1, b: 2, c: 3, d: 4, e: 5}\n"
    for i in range(1, 10):
        merged = ", ".join([f"*v{i - 1}"] * 10)
        text += f"  - name: d{i}\n    workflow: W\n    variables: &v{i} {{<<: [{merged}]}}\n"
    err = timed_error(text)
    assert "aliases" in err.detail
    assert err.deployment_names == [f"d{i}" for i in range(10)]


def test_self_referencing_alias() -> None:
    err = timed_error("version: 1\napplication: &a [*a]\ndeployments: [{name: a, workflow: W}]\n")
    assert err.key == "application"


def test_two_mebibytes_is_refused_before_parsing(tmp_path: Path) -> None:
    huge = "version: 1\n" + "# padding\n" * (2 * 1024 * 1024 // 10)
    err = timed_error(huge, seconds=1.0)
    assert "larger than 1 MiB" in str(err) and err.line is None
    assert "larger than 1 MiB" in str(timed_error(huge.encode(), seconds=1.0))
    path = tmp_path / "deploy.yaml"
    path.write_text(huge)
    with pytest.raises(SpecError) as caught:
        load_spec(str(path), ENV)
    assert "larger than 1 MiB" in str(caught.value)


def test_just_under_the_limit_is_read() -> None:
    text = VALID + "# " + "x" * (1024 * 1024 - len(VALID) - 10) + "\n"
    assert isinstance(check(text), Spec)


@pytest.mark.parametrize(
    "text",
    [
        "[" * 10_000,
        "[" * 10_000 + "]" * 10_000,
        "{a: " * 10_000,
        "- " * 10_000 + "x",
        "".join("  " * i + "a:\n" for i in range(400)),
        "version: 1\nnotes: " + "[" * 5000,
    ],
)
def test_deep_nesting(text: str) -> None:
    err = timed_error(text)
    assert f"nests more than {MAX_DEPTH} levels" in str(err) or "invalid YAML" in str(err)


def test_recursion_error_never_escapes() -> None:
    # Far less stack than usual: the loader must still answer with a SpecError.
    text = "version: 1\nnotes: " + "[" * (MAX_DEPTH - 5) + "]" * (MAX_DEPTH - 5) + "\n"
    old = sys.getrecursionlimit()
    sys.setrecursionlimit(len(inspect.stack()) + 60)
    try:
        with pytest.raises(SpecError) as caught:
            load_spec_text(text, PATH, ENV)
    finally:
        sys.setrecursionlimit(old)
    assert str(caught.value) == f"{PATH}: the spec is nested too deeply to read"


@pytest.mark.parametrize(
    "data, part, line",
    [
        (b"version: 1\x00\n", "NUL byte (column 11)", 1),
        ("version: 1\nnotes: a\x00b\n", "NUL byte (column 9)", 2),
        (b"\x00" * 100, "NUL byte (column 1)", 1),
        (b"version: 1\nnotes: \xff\xfe\n", "not UTF-8 text: invalid byte 0xff (column 8)", 2),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "not UTF-8 text", 1),
        (b"version: 1\nnotes: \xc3\n", "not UTF-8", 2),
        ("version: 1\nnotes: \x07\n", "U+0007", 2),
        ("version: 1\nnotes: \ud800\n", "U+D800", 2),
        ("version: 1\nnotes: \x1b[31m\n", "U+001B", 2),
    ],
)
def test_binary_and_control_characters(data: Union[str, bytes], part: str, line: int) -> None:
    err = timed_error(data)
    assert part in str(err) and err.line == line


def test_bom_is_fine() -> None:
    assert isinstance(check(b"\xef\xbb\xbf" + VALID.encode()), Spec)
    assert isinstance(check("\ufeff" + VALID), Spec)


def test_duplicate_keys() -> None:
    err = timed_error(VALID.replace("timeout: 30m\n", "timeout: 30m\ntimeout: 20m\n"))
    assert str(err).startswith("deploy.yaml:5: timeout: duplicate key (first at line 4)")
    assert err.deployment_names == ["api", "web", "smoke"]
    err = timed_error("a: 1\nb: {x: 1, x: 2}\n")  # even where no key is allowed at all
    assert "b.x: duplicate key" in str(err)


@pytest.mark.parametrize(
    "text, part",
    [
        ("1: x\n", "the key '1' is a number"),
        ("? [a]\n: b\n", "a key must be text"),
        ("? {a: 1}\n: b\n", "a key must be text"),
        ("[a]: b\n", "a key must be text"),
        ("null: x\n", "is null"),
        ("~: x\n", "is null"),
        ("yes: x\n", "is a boolean"),
    ],
)
def test_non_string_keys(text: str, part: str) -> None:
    err = timed_error(text)
    assert part in str(err) and err.line == 1


def test_unicode_and_controls_in_values_are_kept() -> None:
    text = VALID.replace("Environment: dev", 'Environment: "ünï 日本 🚀 \\x07\\t\\u2028"')
    result = check(text)
    assert isinstance(result, Spec)
    assert result.deployments[0].variables[0].value == "ünï 日本 🚀 \x07\t\u2028"


def test_messages_stay_one_line_with_hostile_keys() -> None:
    err = timed_error('"a\\nb\\u2028c\\x85": 1\n')
    assert len(str(err).splitlines()) == 1


@pytest.mark.parametrize(
    "text",
    [
        "!!python/object/apply:os.system ['echo hi']\n",
        "version: 1\nnotes: !!python/name:os.system\n",
        "a: !!binary aGk=\n",
        "version: 1\napplication: !!set {a, b}\n",
    ],
)
def test_dangerous_or_odd_tags(text: str) -> None:
    timed_error(text)


def test_yaml_odds_and_ends() -> None:
    for text in [
        "---\n...\n",
        "%YAML 1.1\n---\nversion: 1\n",
        "%TAG ! tag:example.com,2000:\n--- !foo x\n",
        "a: *undefined\n",
        "a: &x 1\nb: &x 2\n",
        "key: 'unterminated\n",
        'key: "bad escape \\q"\n',
        "- a\nb: c\n",
        "a: b: c\n",
        ": x\n",
        "\t\n",
        "? ? ? a\n",
        "&a\n",
        "- !!int\n",
        "{\n",
        "x" * 5000 + ": y\n",
    ]:
        check(text)
