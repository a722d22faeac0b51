"""Fixtures of the report tests; the builders themselves live in report_helpers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Optional

import pytest
from lxml import etree

from harness_gate.model import DeploymentResult, RunResult
from tests.report.report_helpers import (
    ANT_XSD_PARTS,
    SUREFIRE_XSD_PARTS,
    XSD_PARTS,
    JunitSchemas,
    all_outcomes_result,
    check_junit,
    make_deployment,
    make_result,
)
from tests.shared_schema import shared_dir, shared_path, shared_required


@dataclass
class Builders:
    deployment: Callable[..., DeploymentResult]
    result: Callable[..., RunResult]
    all_outcomes: Callable[[], RunResult]


@pytest.fixture(scope="session")
def build() -> Builders:
    return Builders(make_deployment, make_result, all_outcomes_result)


def _schema(parts: tuple[str, ...]) -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(shared_path(*parts))))


@pytest.fixture(scope="session")
def junit_schema() -> JunitSchemas:
    """The three XSDs from ../shared: a failure with HARNESS_GATE_REQUIRE_SHARED=1, else a skip
    of the test that asks for them."""
    return JunitSchemas(_schema(XSD_PARTS), _schema(SUREFIRE_XSD_PARTS), _schema(ANT_XSD_PARTS))


@pytest.fixture(scope="session")
def optional_junit_schema() -> Optional[JunitSchemas]:
    """The XSDs when ../shared is there, else None: the other checks of a test still run (the
    schema checks themselves skip with a reason in test_report_junit_schemas)."""
    parts = (XSD_PARTS, SUREFIRE_XSD_PARTS, ANT_XSD_PARTS)
    if all(shared_dir().joinpath(*p).is_file() for p in parts) or shared_required():
        return JunitSchemas(*(_schema(p) for p in parts))
    return None


@pytest.fixture(scope="session")
def validate(optional_junit_schema: Optional[JunitSchemas]) -> Callable[[str], Any]:
    return lambda text: check_junit(text, optional_junit_schema)
