"""The base of the spec walk: errors, limits, mappings and scalars.

The walk goes on after a mistake, so that `validate` can list every error it finds; the first
error found is the one `run` reports. A reader records a mistake and leaves its part out
(Reported); Stop ends the walk (the error limit, or a hard limit).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from functools import partial
from typing import Callable, NoReturn, Optional, TypeVar, Union

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from ..errors import SpecError
from ..model import FIRSTGEN, NEXTGEN, PLATFORMS
from ..suggest import did_you_mean
from . import fields as F
from .interpolation import interpolate
from .nodes import (
    MAX_MERGE_DEPTH,
    MAX_NODES,
    MERGE,
    NOT_TEXT_KEYS,
    describe,
    is_null,
    join_key,
    line_of,
    one_line,
)

Entry = tuple[ScalarNode, Node]  # a key's node and its value's node
Where = Union[Node, int, None]  # a node, a line, or nowhere in particular

_T = TypeVar("_T")

_MISSING = {
    "version": "missing required key 'version' (add `version: 1`)",
    "deployments": "missing required key 'deployments' (the list of what to run)",
}
# One of a pair (named by its first key) given twice, or not at all.
_BOTH_GIVEN = {
    "workflow": "a deployment runs one thing: give workflow or pipeline, not both",
    "pipeline": "a deployment runs one pipeline: give pipeline (its identifier) or "
    "pipeline_name, not both",
    "build": "give build or artifact_id, not both",
    "version": "give version or chart_id, not both",
}
_NEITHER_GIVEN = {
    "workflow": "missing workflow: or pipeline: (the name of the Harness workflow or pipeline)",
    "pipeline": "missing pipeline: (the pipeline identifier) or pipeline_name:",
    "build": "missing build: (with source:) or artifact_id: (which artifact to deploy)",
    "version": "missing version: (the chart version) or chart_id:",
}
_SCOPE_HINTS = {
    # (where the key was written, where it belongs): the hint
    (F.TOP, F.DEPLOYMENT): "it belongs in a deployment, under deployments:",
    (F.TOP, F.ARTIFACT): "it belongs in an artifacts entry of a deployment",
    (F.DEPLOYMENT, F.ARTIFACT): "it belongs in an artifacts entry, under artifacts:",
    (F.DEPLOYMENT, F.TOP): "it is a top-level key of the spec",
    (F.DEPLOYMENT, F.MANIFEST): "it belongs in a manifests entry, under manifests:",
    (F.ARTIFACT, F.MANIFEST): "it belongs in a manifests entry of the deployment",
}


class Stop(Exception):
    """The error limit is reached, or a hard limit makes going on pointless."""


class Reported(SpecError):
    """A part had mistakes, already recorded: leave it out and go on."""

    def __init__(self) -> None:
        super().__init__("(reported)", file="")


class Walker:
    """What every reader of the walk shares: the errors so far, the platform (it decides
    which keys are allowed), and the deployment names that each error carries."""

    def __init__(self, path: str, environ: Mapping[str, str], limit: int) -> None:
        self.path = path
        self.environ = environ
        self.limit = max(1, limit)
        self.platform = FIRSTGEN
        self.names: list[str] = []
        self.errors: list[SpecError] = []
        self._visited = 0

    # errors

    def error(self, message: str, where: Where, key: Optional[str]) -> SpecError:
        line = where if isinstance(where, int) or where is None else line_of(where)
        return SpecError(
            one_line(message),
            file=self.path,
            line=line,
            key=one_line(key) if key else None,
            deployment_names=self.names,
        )

    def fail(self, message: str, where: Where, key: Optional[str]) -> NoReturn:
        raise self.error(message, where, key)

    def report(self, message: str, where: Where, key: Optional[str]) -> None:
        self.record(self.error(message, where, key))

    def record(self, err: SpecError, *, fatal: bool = False) -> None:
        if not any(str(e) == str(err) for e in self.errors):
            self.errors.append(err)
        if fatal or len(self.errors) >= self.limit:
            raise Stop

    def attempt(self, read: Callable[[], _T]) -> Optional[_T]:
        """read(), or None after recording its SpecError: the walk goes on after a mistake."""
        try:
            return read()
        except Reported:
            return None
        except SpecError as err:
            self.record(err)
            return None

    @contextmanager
    def all_or_nothing(self) -> Iterator[None]:
        """Raises Reported after the block if it recorded a mistake: the part it reads is left
        out whole, while every mistake inside it is still reported."""
        before = len(self.errors)
        yield
        if len(self.errors) > before:
            raise Reported

    def visit(self, node: Node) -> None:
        self._visited += 1
        if self._visited > MAX_NODES:
            message = f"the spec expands to more than {MAX_NODES} YAML nodes through aliases"
            self.record(self.error(message, node, None), fatal=True)

    # mappings and lists

    def entries(
        self, node: Node, key: str, scope: Optional[str], what: str, *, merge_depth: int = 0
    ) -> dict[str, Entry]:
        """The mapping's keys in order, `<<` merges applied (explicit keys win); with a scope,
        keys the table does not allow there are reported and left out."""
        if not isinstance(node, MappingNode):
            self.fail(f"expected {what}, got {describe(node)}", node, key)
        result: dict[str, Entry] = {}
        merges: list[Node] = []
        for key_node, value_node in node.value:
            self.visit(value_node)
            if key_node.tag == MERGE:
                merges.append(value_node)
                continue
            if not isinstance(key_node, ScalarNode) or key_node.tag in NOT_TEXT_KEYS:
                continue  # reported while composing
            result.setdefault(str(key_node.value), (key_node, value_node))
        for merge in merges:
            for name, entry in self.merged(merge, key, what, merge_depth).items():
                result.setdefault(name, entry)
        if scope is not None and merge_depth == 0:
            result = self.allowed_only(result, key, scope)
        return result

    def merged(self, merge: Node, key: str, what: str, merge_depth: int) -> dict[str, Entry]:
        """The entries a `<<` value brings: one mapping or a list of them, earlier ones win."""
        if merge_depth >= MAX_MERGE_DEPTH:
            self.fail("'<<' merges nest too deeply (does a mapping merge itself?)", merge, key)
        result: dict[str, Entry] = {}
        sources = merge.value if isinstance(merge, SequenceNode) else [merge]
        for source in sources:
            self.visit(source)
            if not isinstance(source, MappingNode):
                self.fail(
                    f"'<<' merges mappings, got {describe(source)}", source, join_key(key, "<<")
                )
            merged = self.entries(source, key, None, what, merge_depth=merge_depth + 1)
            for name, entry in merged.items():
                result.setdefault(name, entry)
        return result

    def scope_entries(self, node: Node, key: str, scope: str, what: str) -> dict[str, Entry]:
        """The entries of a mapping of the scope; each required key missing is reported."""
        entries = self.entries(node, key, scope, what)
        self.required(entries, node, key, scope)
        return entries

    def allowed_only(self, entries: dict[str, Entry], key: str, scope: str) -> dict[str, Entry]:
        allowed = F.keys_of(scope, self.platform)
        kept: dict[str, Entry] = {}
        for name, entry in entries.items():
            if name in allowed:
                kept[name] = entry
            else:
                message = unknown_key(name, scope, allowed, self.platform)
                self.report(message, entry[0], join_key(key, name))
        return kept

    def required(
        self,
        entries: Mapping[str, Entry],
        node: Node,
        key: str,
        scope: str,
        only: Optional[Sequence[str]] = None,
    ) -> bool:
        """Reports each required key of the scope (or of `only`) that is missing; True when
        none is."""
        complete = True
        for field in F.FIELDS:
            wanted = field.scope == scope and field.required and field.applies_to(self.platform)
            wanted = wanted and (only is None or field.key in only)
            if wanted and field.key not in entries:
                message = _MISSING.get(field.key, f"missing required key {field.key!r}")
                self.report(message, node, key)
                complete = False
        return complete

    def one_of(
        self, entries: Mapping[str, Entry], node: Node, key: str, pair: tuple[str, str]
    ) -> Optional[str]:
        """Which of the two keys is given; reports both or neither."""
        first = pair[0]
        given = [k for k in pair if k in entries]
        if len(given) == 1:
            return given[0]
        if given:
            later = max((entries[k][0] for k in pair), key=lambda k: line_of(k) or 0)
            self.report(_BOTH_GIVEN[first], later if first != "build" else node, key)
        else:
            self.report(_NEITHER_GIVEN[first], node, key)
        return None

    def optional(self, entries: Mapping[str, Entry], name: str) -> Optional[Node]:
        """The value of an optional key; an empty value or null counts as leaving it out."""
        entry = entries.get(name)
        if entry is None or is_null(entry[1]):
            return None
        return entry[1]

    def items(self, node: Node, key: str, what: str, reader: Callable[[Node, str], _T]) -> list[_T]:
        """Each item of a list read by reader; the list is left out if one has a mistake."""
        if not isinstance(node, SequenceNode):
            self.fail(f"expected a list of {what}, got {describe(node)}", node, key)
        result: list[_T] = []
        with self.all_or_nothing():
            for position, item in enumerate(node.value):
                self.visit(item)
                read = self.attempt(partial(reader, item, f"{key}[{position}]"))
                if read is not None:
                    result.append(read)
        return result

    # scalars

    def scalar(self, node: Node, key: str, what: str) -> ScalarNode:
        if not isinstance(node, ScalarNode):
            self.fail(f"expected {what}, got {describe(node)}", node, key)
        return node

    def interpolated(self, node: ScalarNode, key: str) -> str:
        try:
            return interpolate(str(node.value), self.environ)
        except ValueError as exc:
            self.fail(str(exc), node, key)

    def raw_text(self, node: Node, key: str, what: str) -> str:
        """The scalar's text as written (no YAML typing), interpolated."""
        return self.interpolated(self.scalar(node, key, what), key)


def unknown_key(name: str, scope: str, allowed: Sequence[str], platform: str) -> str:
    """Why a key is not allowed here, with the likeliest fix: the other platform's key, a key
    of another scope, or a near spelling."""
    other = next((p for p in PLATFORMS if p != platform), NEXTGEN)
    current, elsewhere = F.PLATFORM_LABELS[platform], F.PLATFORM_LABELS[other]
    platform_hint = (
        f"unknown key here; {name} belongs to {elsewhere} specs (platform: {other}), "
        f"and this spec is for {current}"
        + (" (platform: firstgen is the default)" if platform == FIRSTGEN else "")
    )
    if name in F.keys_of(scope, other):
        return platform_hint
    for (written, belongs), hint in _SCOPE_HINTS.items():
        if written == scope and name in _own_keys(belongs, platform):
            return f"unknown key here; {hint}"
    suggestion = did_you_mean(name, allowed)
    if suggestion:
        return f"unknown key{suggestion}"
    if any(name in F.keys_of(s, other) for s in F.SCOPES):
        return platform_hint
    return f"unknown key; expected one of: {', '.join(allowed)}"


def _own_keys(scope: str, platform: str) -> tuple[str, ...]:
    """Keys written in the scope itself (a deployment's inherited keys are also top-level)."""
    if scope == F.TOP:
        return tuple(f.key for f in F.FIELDS if f.scope == F.TOP and f.applies_to(platform))
    return F.keys_of(scope, platform)
