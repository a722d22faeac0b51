"""Shared helpers of the spec tests: loading text, every example spec of the repository."""

from __future__ import annotations

import re
import textwrap
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml

from harness_gate.errors import SpecError
from harness_gate.model import Spec
from harness_gate.spec import load_spec_text

ROOT = Path(__file__).resolve().parents[2]
PATH = "deploy.yaml"


class AnyEnv(Mapping[str, str]):
    """An environment in which every variable is set (to its name in lower case)."""

    def __getitem__(self, name: str) -> str:
        return name.lower().replace("_", "-")

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str)

    def __iter__(self) -> Iterator[str]:
        return iter(())

    def __len__(self) -> int:
        return 0


def load(text: str, env: Mapping[str, str] | None = None) -> Spec:
    return load_spec_text(textwrap.dedent(text), PATH, AnyEnv() if env is None else env)


def error(text: str, env: Mapping[str, str] | None = None) -> SpecError:
    with pytest.raises(SpecError) as caught:
        load(text, env)
    message = str(caught.value)
    assert "\n" not in message and "internal error" not in message, message
    return caught.value


class _PlainLoader(yaml.SafeLoader):
    """PyYAML's safe loader, dates kept as text (as YAML 1.2 editors read them)."""


_PlainLoader.add_constructor(
    "tag:yaml.org,2002:timestamp",
    lambda loader, node: loader.construct_scalar(node),  # type: ignore[arg-type]
)


def plain_yaml(text: str) -> Any:
    return yaml.load(text, Loader=_PlainLoader)


_FENCED_YAML = re.compile(r"^```yaml\n(.*?)^```", re.M | re.S)


def markdown_specs(path: Path) -> list[tuple[str, str]]:
    """(label, text) of each fenced yaml block of a Markdown file that is a whole spec."""
    text = path.read_text(encoding="utf-8")
    found = []
    for match in _FENCED_YAML.finditer(text):
        block = match.group(1)
        if re.search(r"^version:", block, re.M) and re.search(r"^deployments:", block, re.M):
            line = text.count("\n", 0, match.start()) + 2
            found.append((f"{path.relative_to(ROOT).as_posix()}:{line}", block))
    return found


def example_specs() -> list[tuple[str, str]]:
    """Every example spec in the repository: the README's and docs' fenced specs, the bundled
    examples, and the spec files of the CI recipes."""
    found: list[tuple[str, str]] = []
    for doc in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        found += markdown_specs(doc)
    files = sorted((ROOT / "harness_gate" / "examples").glob("*.yaml"))
    for pattern in ("*.yaml", "*.yml"):
        for candidate in sorted((ROOT / "ci").rglob(pattern)):
            content = candidate.read_text(encoding="utf-8")
            if re.search(r"^deployments:", content, re.M) and re.search(
                r"^version:", content, re.M
            ):
                files.append(candidate)
    for path in files:
        found.append((path.relative_to(ROOT).as_posix(), path.read_text(encoding="utf-8")))
    return found
