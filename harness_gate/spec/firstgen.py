"""A FirstGen deployment: a workflow or pipeline of an application, its artifacts (a build of
an artifact source, or an artifact id) and its Helm manifests."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Optional

from yaml.nodes import Node

from ..model import PIPELINE, WORKFLOW, ArtifactInput, Deployment, Location, ManifestInput
from . import fields as F
from .nodes import line_of
from .values import ValueReader
from .walker import Entry, Walker


class FirstGenReader:
    # Where a deployment runs, given at the top level or in the deployment.
    scope_keys: tuple[str, ...] = ("application",)

    def __init__(self, walker: Walker, values: ValueReader) -> None:
        self.walker = walker
        self.values = values

    def check(self, entries: Mapping[str, Entry], values: Mapping[str, Any], key: str) -> None:
        """Nothing beyond the table's rules for a FirstGen deployment."""

    def build(
        self, values: Mapping[str, Any], merged: Mapping[str, Any], common: Mapping[str, Any]
    ) -> Deployment:
        entity_type = WORKFLOW if "workflow" in values else PIPELINE
        return Deployment(
            entity_type=entity_type,
            entity_name=values[entity_type],
            application=merged["application"],
            artifacts=values.get("artifacts", []),
            manifests=values.get("manifests", []),
            continue_with_default_values=merged["continue_with_default_values"],
            **common,
        )

    def artifact(self, node: Node, key: str) -> ArtifactInput:
        walker = self.walker
        with walker.all_or_nothing():
            entries = walker.scope_entries(
                node, key, F.ARTIFACT, "an artifact (a mapping with service: and build:)"
            )
            chosen = walker.one_of(entries, node, key, ("build", "artifact_id"))
            values = self.values.values(entries, key, F.ARTIFACT)
            self.check_artifact_pair(entries, node, key, chosen)
        return ArtifactInput(
            service=values["service"],
            source=values.get("source"),
            build=values.get("build"),
            artifact_id=values.get("artifact_id"),
            location=Location(walker.path, line_of(node)),
            parameters=tuple(values.get("parameters", ())),
        )

    def check_artifact_pair(
        self, entries: Mapping[str, Entry], node: Node, key: str, chosen: Optional[str]
    ) -> None:
        """source: and parameters: pick a build, so they go with build: and not artifact_id:."""
        walker = self.walker
        source_node = walker.optional(entries, "source")
        parameters_node = walker.optional(entries, "parameters")
        if chosen == "artifact_id":
            if source_node is not None:
                walker.report(
                    "source only goes with build; artifact_id names the artifact by itself",
                    source_node,
                    f"{key}.source",
                )
            if parameters_node is not None:
                walker.report(
                    "parameters only go with build: they pick the build of a parameterized "
                    "artifact source",
                    parameters_node,
                    f"{key}.parameters",
                )
        elif chosen == "build" and source_node is None:
            walker.report(
                "missing required key 'source': a build needs its artifact source name",
                node,
                key,
            )

    def manifests(self, node: Node, key: str) -> list[ManifestInput]:
        return self.walker.items(node, key, "manifests", self.manifest)

    def manifest(self, node: Node, key: str) -> ManifestInput:
        walker = self.walker
        with walker.all_or_nothing():
            entries = walker.scope_entries(
                node,
                key,
                F.MANIFEST,
                "a manifest (a mapping with service:, manifest: and version:)",
            )
            walker.one_of(entries, node, key, ("version", "chart_id"))
            values = self.values.values(entries, key, F.MANIFEST)
        return ManifestInput(
            service=values["service"],
            manifest=values["manifest"],
            version=values.get("version"),
            chart_id=values.get("chart_id"),
            location=Location(walker.path, line_of(node)),
        )
