"""The whole document: the top level, its defaults, and the list of deployments, each part
read by its own reader over one shared Walker."""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping, Sequence
from functools import partial
from typing import Any, Optional

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from ..errors import SpecError
from ..model import FIRSTGEN, NEXTGEN, Deployment, Spec
from . import fields as F
from .deployments import Defaults, DeploymentReader
from .firstgen import FirstGenReader
from .interpolation import interpolate
from .nextgen import NextGenReader
from .nodes import NULL, describe, is_null
from .values import SPEC_VERSION, ValueReader
from .variables import VariableReader
from .walker import Entry, Stop, Walker

DEFAULT_TIMEOUT = 1800.0

_BUILT_IN_DEFAULTS = {
    "timeout": DEFAULT_TIMEOUT,
    "abort_on_exit": False,
    "allow_unknown_variables": False,
    "continue_with_default_values": False,
}


class SpecWalker:
    """Walks a composed document into a Spec, or into the errors it has."""

    def __init__(self, path: str, environ: Mapping[str, str], limit: int) -> None:
        self.walker = walker = Walker(path, environ, limit)
        self.values = values = ValueReader(walker)
        firstgen = FirstGenReader(walker, values)
        nextgen = NextGenReader(walker, values)
        variables = VariableReader(walker, values)
        self.deployments = DeploymentReader(walker, values, {FIRSTGEN: firstgen, NEXTGEN: nextgen})
        values.sections.update(
            {
                F.DEPLOYMENTS: self.deployment_nodes,
                F.ARTIFACTS: self.deployments.artifacts,
                F.MANIFESTS: firstgen.manifests,
                F.VARIABLES: variables.variables,
                F.PARAMETERS: variables.parameters,
                F.INPUTS_YAML: nextgen.inputs_yaml,
            }
        )

    def spec(self, root: Optional[Node], deferred: Sequence[SpecError]) -> Optional[Spec]:
        walker = self.walker
        root = self.root_mapping(root)
        walker.names = lenient_names(root, walker.environ)
        for err in deferred:  # composing mistakes, now with the deployment names
            walker.record(
                SpecError(
                    err.detail,
                    file=err.file,
                    line=err.line,
                    key=err.key,
                    deployment_names=walker.names,
                )
            )
        top = walker.entries(root, "", None, "a mapping")
        self.choose_platform(top)
        top = walker.allowed_only(top, "", F.TOP)
        walker.required(top, root, "", F.TOP, only=("version",))
        values = self.values.values({k: v for k, v in top.items() if k != "platform"}, "", F.TOP)
        walker.required(top, root, "", F.TOP, only=("deployments",))
        defaults = self.defaults(top, values)
        parallel = bool(values.get("parallel", False))
        # a parallel: with a mistake is reported; needs are then not judged by it
        parallel_known = walker.optional(top, "parallel") is None or "parallel" in values
        listed = values.get("deployments")
        if listed is None:
            return None
        deployments = self.read_deployments(listed, defaults, parallel or not parallel_known)
        if walker.errors:
            return None
        return self.built(deployments, defaults.values, values)

    def root_mapping(self, root: Optional[Node]) -> MappingNode:
        if root is None or is_null(root):
            self.walker.fail(
                "the spec is empty; it needs at least `version: 1` and `deployments:`", None, ""
            )
        if not isinstance(root, MappingNode):
            self.walker.fail(
                "the spec must be a mapping of keys (version:, deployments:, ...), "
                f"got {describe(root)}",
                root,
                "",
            )
        return root

    def choose_platform(self, top: Mapping[str, Entry]) -> None:
        """platform: first, since it decides which keys every other mapping may hold."""
        platform_node = self.walker.optional(top, "platform")
        if platform_node is None:
            return
        platform = self.walker.attempt(lambda: self.values.platform_of(platform_node, "platform"))
        if platform is None:
            # Every other key would be judged against the wrong platform: stop here.
            raise Stop
        self.walker.platform = platform

    def defaults(self, top: Mapping[str, Entry], values: Mapping[str, Any]) -> Defaults:
        inherited = F.keys_of(F.DEPLOYMENT)
        return Defaults(
            values={
                **_BUILT_IN_DEFAULTS,
                **{k: v for k, v in values.items() if k in inherited},
            },
            failed={k for k in top if self.walker.optional(top, k) is not None and k not in values},
        )

    def deployment_nodes(self, node: Node, key: str) -> list[Node]:
        if not isinstance(node, SequenceNode):
            self.walker.fail(f"expected a list of deployments, got {describe(node)}", node, key)
        if not node.value:
            self.walker.fail("is empty; list at least one deployment", node, key)
        return list(node.value)

    def read_deployments(
        self, listed: Sequence[Node], defaults: Defaults, parallel: bool
    ) -> list[Deployment]:
        walker = self.walker
        deployments: list[Deployment] = []
        before = len(walker.errors)
        for index, item in enumerate(listed):
            walker.visit(item)
            read = walker.attempt(partial(self.deployments.deployment, item, index, defaults))
            if read is not None:
                deployments.append(read)
        if len(walker.errors) == before:
            # the names each error carries: now the ones read, not the lenient guess
            walker.names = [d.name for d in deployments]
        self.deployments.needs.check(self.deployments.declared, parallel)
        return deployments

    def built(
        self, deployments: list[Deployment], defaults: Mapping[str, Any], values: Mapping[str, Any]
    ) -> Spec:
        return Spec(
            path=self.walker.path,
            deployments=deployments,
            version=SPEC_VERSION,
            application=defaults.get("application"),
            notes=defaults.get("notes"),
            timeout=defaults["timeout"],
            parallel=bool(values.get("parallel", False)),
            poll_interval=values.get("poll_interval"),
            abort_on_exit=defaults["abort_on_exit"],
            allow_unknown_variables=defaults["allow_unknown_variables"],
            platform=self.walker.platform,
            org=defaults.get("org"),
            project=defaults.get("project"),
            continue_with_default_values=defaults["continue_with_default_values"],
        )


def lenient_names(root: MappingNode, environ: Mapping[str, str]) -> list[str]:
    """Every deployment's name if each one has a usable name, else []: the report can then
    show one testcase per deployment even when the spec has a mistake elsewhere."""
    listed = None
    for key_node, value_node in root.value:
        if isinstance(key_node, ScalarNode) and key_node.value == "deployments":
            listed = value_node
            break
    if not isinstance(listed, SequenceNode) or not listed.value:
        return []
    names: list[str] = []
    for item in listed.value:
        if not isinstance(item, MappingNode):
            return []
        found: Optional[str] = None
        for key_node, value_node in item.value:
            if isinstance(key_node, ScalarNode) and key_node.value == "name":
                if not isinstance(value_node, ScalarNode) or value_node.tag == NULL:
                    return []
                try:
                    found = interpolate(str(value_node.value), environ)
                except ValueError:
                    return []
                break
        if found is None or not found.strip():
            return []
        if any(unicodedata.category(char) == "Cc" for char in found):
            return []
        names.append(found)
    return list(dict.fromkeys(names))
