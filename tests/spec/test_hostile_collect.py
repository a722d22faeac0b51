"""Whatever the input, collect_spec_errors answers with one-line located errors (bounded in
number, the first being load_spec_text's), and NextGen-shaped input is as safe as FirstGen."""

from __future__ import annotations

from typing import Any, Union

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harness_gate.errors import SpecError
from harness_gate.model import NEXTGEN, PIPELINE
from harness_gate.spec import MAX_ERRORS, collect_spec_errors, load_spec_text
from harness_gate.spec import fields as F

FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
ENV = {"BUILD_TAG": "b-1", "EMPTY": ""}
PATH = "deploy.yaml"


def check(data: Union[str, bytes]) -> None:
    errors = collect_spec_errors(data, PATH, ENV)
    assert len(errors) <= MAX_ERRORS
    for err in errors:
        message = str(err)
        assert message.startswith(PATH) and len(message.splitlines()) == 1, message
        assert "internal error" not in message and "(reported)" not in message, message
        assert err.line is None or err.line >= 1
    try:
        spec = load_spec_text(data, PATH, ENV)
    except SpecError as first:
        assert errors and str(errors[0]) == str(first)
        return
    assert errors == []
    for deployment in spec.deployments:
        if spec.platform == NEXTGEN:
            target = deployment.nextgen
            assert target is not None and deployment.entity_type == PIPELINE
            assert (target.pipeline is None) != (target.pipeline_name is None)
            assert deployment.application == f"{target.org}/{target.project}"
            assert all(v.type == "NAME" for v in deployment.variables)
        else:
            assert deployment.nextgen is None
            assert all(v.type in ("NAME", "ID") for v in deployment.variables)
            for manifest in deployment.manifests:
                assert (manifest.version is None) != (manifest.chart_id is None)


SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-5, max_value=2000),
    st.text(max_size=8),
    st.sampled_from(["a", "b", "p", "30m", "soon", "${BUILD_TAG}", "${NOPE}", "ID", "EXPRESSION"]),
)
KEYS = st.one_of(
    st.sampled_from(sorted({f.key for f in F.FIELDS} | {"extra", "<<"})), st.text(max_size=6)
)
NESTED: st.SearchStrategy[Any] = st.recursive(
    SCALARS,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(KEYS, children, max_size=4),
    max_leaves=25,
)
NAMES = st.sampled_from(["a", "b", "c"])


def maybe(valid: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.sampled_from([True] * 9 + [False]).flatmap(lambda ok: valid if ok else NESTED)


INPUTS = st.sampled_from(
    [
        "pipeline:\n  identifier: p\n",
        "pipeline: {a: 1, a: 2}\n",
        "stages: []\n",
        "pipeline: [",
        "pipeline: &a [*a]\n",
        "",
    ]
)
NG_DEPLOYMENT = st.fixed_dictionaries(
    {"name": maybe(NAMES), "pipeline": maybe(st.sampled_from(["deploy_x", "deploy_y", "D X"]))},
    optional={
        "org": maybe(NAMES),
        "project": maybe(NAMES),
        "variables": maybe(st.dictionaries(NAMES, SCALARS, max_size=3)),
        "artifacts": maybe(
            st.lists(st.fixed_dictionaries({"stage": NAMES, "tag": SCALARS}), max_size=2)
        ),
        "input_sets": maybe(st.lists(NAMES, max_size=2)),
        "inputs": maybe(INPUTS),
        "stages": maybe(st.lists(NAMES, max_size=2)),
        "branch": maybe(NAMES),
        "needs": maybe(st.lists(NAMES, max_size=2)),
    },
)
FG_DEPLOYMENT = st.fixed_dictionaries(
    {"name": maybe(NAMES), "workflow": maybe(st.just("W"))},
    optional={
        "manifests": maybe(
            st.lists(
                st.fixed_dictionaries(
                    {"service": NAMES, "manifest": NAMES},
                    optional={"version": SCALARS, "chart_id": SCALARS},
                ),
                max_size=2,
            )
        ),
        "artifacts": maybe(
            st.lists(
                st.fixed_dictionaries(
                    {"service": NAMES, "source": NAMES, "build": SCALARS},
                    optional={"parameters": maybe(st.dictionaries(NAMES, SCALARS, max_size=2))},
                ),
                max_size=2,
            )
        ),
        "continue_with_default_values": maybe(st.booleans()),
    },
)
SPEC = st.one_of(
    st.fixed_dictionaries(
        {
            "version": st.just(1),
            "platform": st.just("nextgen"),
            "org": maybe(NAMES),
            "project": maybe(NAMES),
            "deployments": maybe(st.lists(NG_DEPLOYMENT, max_size=3)),
        },
        optional={"parallel": maybe(st.booleans())},
    ),
    st.fixed_dictionaries(
        {"version": st.just(1), "deployments": maybe(st.lists(FG_DEPLOYMENT, max_size=3))},
        optional={
            "application": maybe(NAMES),
            "continue_with_default_values": maybe(st.booleans()),
            "parallel": maybe(st.booleans()),
        },
    ),
)


# Now and then a key of the other platform, or a key of a pair twice.
STRAYS = st.sampled_from([None] * 8 + ["workflow", "org", "pipeline_name", "manifests"])


@FAST
@given(SPEC, STRAYS)
def test_spec_shaped_input_of_both_platforms(value: dict[str, Any], stray: Any) -> None:
    deployments = value.get("deployments")
    if stray and isinstance(deployments, list) and deployments and isinstance(deployments[0], dict):
        deployments[0][stray] = "x"
    check(yaml.safe_dump(value, sort_keys=False, allow_unicode=True))


@FAST
@given(NESTED)
def test_random_structures(value: object) -> None:
    check(yaml.safe_dump(value, sort_keys=False, allow_unicode=True))


@FAST
@given(st.binary(max_size=300))
def test_random_bytes(data: bytes) -> None:
    check(data)
