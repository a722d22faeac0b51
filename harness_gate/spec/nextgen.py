"""A NextGen deployment: a pipeline of an org/project (by identifier or by name), with input
sets, runtime inputs (YAML text), the stages to run, and artifact tags per stage."""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial
from typing import Any, Callable, Optional

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode

from ..errors import SpecError
from ..model import PIPELINE, Deployment, Location, NextGenTarget, StageArtifactInput
from . import fields as F
from .compose import SpecLoader, yaml_error
from .nodes import describe, line_of, one_line
from .values import ValueReader
from .walker import Entry, Walker

# A line of the inputs text (1-based) as a line of the spec file.
_OuterLine = Callable[[Optional[int]], Optional[int]]


class NextGenReader:
    # Where a deployment runs, given at the top level or in the deployment.
    scope_keys: tuple[str, ...] = ("org", "project")

    def __init__(self, walker: Walker, values: ValueReader) -> None:
        self.walker = walker
        self.values = values

    def check(self, entries: Mapping[str, Entry], values: Mapping[str, Any], key: str) -> None:
        pipeline = values.get("pipeline")
        if pipeline is not None and any(c.isspace() for c in pipeline):
            self.walker.report(
                f"{pipeline!r} is not a pipeline identifier (identifiers have no spaces); "
                "to give the pipeline's name, write pipeline_name:",
                entries["pipeline"][1],
                f"{key}.pipeline",
            )

    def build(
        self, values: Mapping[str, Any], merged: Mapping[str, Any], common: Mapping[str, Any]
    ) -> Deployment:
        target = NextGenTarget(
            org=merged["org"],
            project=merged["project"],
            pipeline=values.get("pipeline"),
            pipeline_name=values.get("pipeline_name"),
            input_sets=[n for n, _ in values.get("input_sets", [])],
            inputs=values.get("inputs"),
            stages=[n for n, _ in values.get("stages", [])],
            branch=values.get("branch"),
            artifacts=values.get("artifacts", []),
        )
        return Deployment(
            entity_type=PIPELINE,
            entity_name=target.pipeline or target.pipeline_name or "",
            application=f"{target.org}/{target.project}",
            nextgen=target,
            **common,
        )

    def artifact(self, node: Node, key: str) -> StageArtifactInput:
        walker = self.walker
        with walker.all_or_nothing():
            entries = walker.scope_entries(
                node, key, F.ARTIFACT, "an artifact (a mapping with stage: and tag:)"
            )
            values = self.values.values(entries, key, F.ARTIFACT)
        return StageArtifactInput(
            stage=values["stage"], tag=values["tag"], location=Location(walker.path, line_of(node))
        )

    def inputs_yaml(self, node: Node, key: str) -> str:
        """The runtime inputs as written (Harness takes the text), once they parse as YAML
        with the single top key pipeline:."""
        walker = self.walker
        scalar = walker.scalar(node, key, "runtime-input YAML as text (write `inputs: |`)")
        text = walker.interpolated(scalar, key)
        if not text.strip():
            walker.fail("inputs is empty", node, key)
        at = partial(_outer_line, line_of(node), scalar.style in ("|", ">"))
        inner = self.compose_inputs(text, node, key, at)
        pipeline = None
        if isinstance(inner, MappingNode):
            for key_node, value_node in inner.value:
                if isinstance(key_node, ScalarNode) and key_node.value == "pipeline":
                    pipeline = value_node
                else:
                    walker.fail(
                        "inputs holds runtime-input YAML whose only top key is pipeline:, "
                        f"found {describe(key_node)}",
                        at(line_of(key_node)),
                        key,
                    )
        if not isinstance(pipeline, MappingNode):
            walker.fail(
                "inputs is runtime-input YAML: a mapping with the top key pipeline: "
                "(as Harness shows it under Run Pipeline, YAML view)",
                node,
                key,
            )
        return text

    def compose_inputs(self, text: str, node: Node, key: str, at: _OuterLine) -> Optional[Node]:
        """The inputs text composed with the spec's own limits and key checks."""
        walker = self.walker
        loader = SpecLoader(text, walker.path)
        try:
            inner = loader.get_single_node()
        except SpecError as exc:  # a limit
            walker.fail(f"inputs: {exc.detail}", at(exc.line), key)
        except yaml.MarkedYAMLError as exc:
            parsed = yaml_error(exc, walker.path)
            # parsed.detail[14:] drops "invalid YAML: "
            walker.fail(f"inputs is not valid YAML: {parsed.detail[14:]}", at(parsed.line), key)
        except yaml.YAMLError as exc:
            walker.fail(one_line(f"inputs is not valid YAML: {exc}"), node, key)
        finally:
            loader.dispose()
        if loader.deferred:
            first = loader.deferred[0]
            inner_key = f"{key} ({first.key})" if first.key else key
            walker.fail(f"inputs: {first.detail}", at(first.line), inner_key)
        return inner


def _outer_line(where: Optional[int], block: bool, inner: Optional[int]) -> Optional[int]:
    # A block scalar (| or >) starts on the line after its key, so its lines map one to one;
    # a quoted or plain one may fold lines, so only the key's line is sure.
    if not block or where is None or inner is None:
        return where
    return where + inner
