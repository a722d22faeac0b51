"""Fixtures of the report tests; the builders themselves live in report_helpers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

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
from tests.shared_schema import shared_path


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
    # ../shared beside the repository: a failure with HARNESS_GATE_REQUIRE_SHARED=1, else a skip.
    return JunitSchemas(_schema(XSD_PARTS), _schema(SUREFIRE_XSD_PARTS), _schema(ANT_XSD_PARTS))


@pytest.fixture(scope="session")
def validate(junit_schema: JunitSchemas) -> Callable[[str], Any]:
    return lambda text: check_junit(text, junit_schema)
