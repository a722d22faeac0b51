"""Variable checks made before anything starts (Harness itself ignores a misspelt name)."""

from __future__ import annotations

from harness_gate.resolve import check_variables, harness_words

from harness_gate.model import Deployment, VariableInput

DECLARED = [
    {"name": "Environment", "type": "Environment", "required": True, "allowedValues": None},
    {"name": "branch", "type": "Text", "required": False, "allowedValues": []},
    {"name": "region", "type": "Text", "required": False, "allowedValues": ["eu", "us"]},
    {"name": "fixedOne", "type": "Text", "required": True, "fixed": True, "defaultValue": "x"},
]


def deployment(*variables: tuple[str, str], allow_unknown: bool = False) -> Deployment:
    return Deployment(
        name="d",
        entity_type="workflow",
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


def test_allowed_values() -> None:
    problems, _ = check_variables(deployment(("Environment", "dev"), ("region", "eu,ap")), DECLARED)
    assert "'ap' not among the allowed values [eu, us]" in problems[0]


def test_fixed_value_cannot_change() -> None:
    problems, _ = check_variables(deployment(("Environment", "dev"), ("fixedOne", "y")), DECLARED)
    assert "fixed" in problems[0]


def test_harness_words_drops_the_graphql_java_wrapper() -> None:
    text = "Exception while fetching data (/s0) : Invalid request: Workflow does not exist"
    assert harness_words(text) == "Invalid request: Workflow does not exist"
