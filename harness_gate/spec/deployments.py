"""One entry of deployments:, read into a Deployment by the reader of the spec's platform."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any, Optional, Protocol, Union

from yaml.nodes import Node

from ..model import ArtifactInput, Deployment, Location, StageArtifactInput
from . import fields as F
from .needs import Needs, NeedsGraph
from .nodes import line_of
from .values import ValueReader
from .walker import Entry, Reported, Walker


class PlatformReader(Protocol):
    """What differs between a FirstGen and a NextGen deployment."""

    scope_keys: tuple[str, ...]

    def check(self, entries: Mapping[str, Entry], values: Mapping[str, Any], key: str) -> None:
        """Reports the platform's own rules on the values read."""

    def build(
        self, values: Mapping[str, Any], merged: Mapping[str, Any], common: Mapping[str, Any]
    ) -> Deployment:
        """The deployment, from its values, the values with defaults, and the common fields."""

    def artifact(self, node: Node, key: str) -> Union[ArtifactInput, StageArtifactInput]:
        """One entry of the deployment's artifacts:."""


@dataclasses.dataclass
class Defaults:
    values: dict[str, Any]  # what a deployment inherits: the built-in defaults, then the top's
    failed: set[str]  # top-level keys written with a mistake: already reported, not missing


class DeploymentReader:
    def __init__(
        self, walker: Walker, values: ValueReader, platforms: Mapping[str, PlatformReader]
    ) -> None:
        self.walker = walker
        self.values = values
        self.platforms = platforms
        self.declared: list[str] = []  # every name read, repeats included
        self.needs = NeedsGraph(walker)
        self._first_line: dict[str, Optional[int]] = {}

    @property
    def platform(self) -> PlatformReader:
        return self.platforms[self.walker.platform]

    def artifacts(self, node: Node, key: str) -> list[Union[ArtifactInput, StageArtifactInput]]:
        return self.walker.items(node, key, "artifacts", self.platform.artifact)

    def deployment(self, node: Node, index: int, defaults: Defaults) -> Deployment:
        walker = self.walker
        platform = self.platform
        key = f"deployments[{index}]"
        with walker.all_or_nothing():
            entries = walker.scope_entries(
                node,
                key,
                F.DEPLOYMENT,
                "a deployment (a mapping with name:, workflow: or pipeline:, ...)",
            )
            name = self.declare_name(entries, key)
            for pair in F.one_of_rules(F.DEPLOYMENT, walker.platform):
                walker.one_of(entries, node, key, pair)
            without_name = {k: v for k, v in entries.items() if k != "name"}
            values = self.values.values(without_name, key, F.DEPLOYMENT)
            merged = {**defaults.values, **values}
            for scope_key in platform.scope_keys:
                if merged.get(scope_key) is None and scope_key not in defaults.failed:
                    walker.report(
                        f"no {scope_key}: set {scope_key}: at the top level or in this deployment",
                        node,
                        key,
                    )
            platform.check(entries, values, key)
            if name is not None and "needs" in values:
                # kept even when this deployment has mistakes, so that they are all reported
                self.needs.add(name, Needs(index, line_of(entries["needs"][1]), values["needs"]))
        unbuildable = any(merged.get(k) is None for k in platform.scope_keys)  # reported above
        if name is None or unbuildable:
            raise Reported
        common: dict[str, Any] = {
            "name": name,
            "variables": values.get("variables", []),
            "notes": merged.get("notes"),
            "timeout": merged["timeout"],
            "abort_on_exit": merged["abort_on_exit"],
            "allow_unknown_variables": merged["allow_unknown_variables"],
            "location": Location(walker.path, line_of(node)),
            "platform": walker.platform,
        }
        deployment = platform.build(values, merged, common)
        deployment.needs = [need for need, _ in values.get("needs", [])]
        return deployment

    def declare_name(self, entries: Mapping[str, Entry], key: str) -> Optional[str]:
        """The deployment's name, once it is known to be a name; a repeated name is reported."""
        if "name" not in entries:
            return None
        walker = self.walker
        name_node = entries["name"][1]
        name_key = f"{key}.name"
        name = walker.attempt(
            lambda: self.values.name(name_node, name_key, "the deployment name", strict=True)
        )
        if name is not None:
            self.declared.append(name)
            if name in self._first_line:
                walker.report(
                    f"duplicate deployment name {name!r} (first at line {self._first_line[name]})",
                    name_node,
                    name_key,
                )
            else:
                self._first_line[name] = line_of(name_node)
        return name
