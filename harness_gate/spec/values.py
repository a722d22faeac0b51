"""Typed values of the spec, each read by the kind the key table gives it (fields.py)."""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Mapping
from functools import partial
from typing import Any, Callable, Optional

from yaml.nodes import Node, ScalarNode, SequenceNode

from ..durations import parse_duration
from ..model import PLATFORMS
from ..suggest import did_you_mean
from . import fields as F
from .nodes import BOOL, FLOAT, INT, MAX_DURATION, NULL, STR, describe, is_null, join_key, line_of
from .walker import Entry, Walker

SPEC_VERSION = 1

# A kind read by a section reader (deployments, artifacts, ...): reader(node, key).
SectionReader = Callable[[Node, str], Any]

_TRUE = frozenset({"true", "yes", "on"})
_FALSE = frozenset({"false", "no", "off"})

# The noun of a key in messages ("the service name is empty"); the key itself otherwise.
_LABELS = {
    "name": "the deployment name",
    "workflow": "the workflow name",
    "pipeline": "the pipeline name",
    "service": "the service name",
    "source": "the artifact source name",
    "manifest": "the manifest name",
    "stage": "the stage identifier",
    "pipeline_name": "the pipeline name",
    "branch": "the branch",
}
_LIST_OF = {
    "needs": "a list of deployment names",
    "input_sets": "a list of input set identifiers",
    "stages": "a list of stage identifiers",
}


class ValueReader:
    """Reads a mapping's values by the key table. The kinds that are whole sections of the
    spec are read by the section readers, which register themselves in `sections`."""

    def __init__(self, walker: Walker) -> None:
        self.walker = walker
        self.sections: dict[str, SectionReader] = {}

    def values(self, entries: Mapping[str, Entry], key: str, scope: str) -> dict[str, Any]:
        """Each key of the scope that is given, read by its kind; a value that has a mistake
        is reported and left out. Null is leaving a key out unless the key is required or one
        of a pair."""
        walker = self.walker
        result: dict[str, Any] = {}
        for name in F.keys_of(scope, walker.platform):
            field = F.field_of(scope, name)
            entry = entries.get(name)
            if field is None or entry is None:
                continue
            if is_null(entry[1]) and not field.required and name not in F.PAIRED:
                continue
            before = len(walker.errors)
            value = walker.attempt(partial(self.read, field, entry[1], join_key(key, name)))
            if len(walker.errors) == before:
                result[name] = value
        return result

    def read(self, field: F.Field, node: Node, key: str) -> Any:
        kind = field.kind
        if kind == F.NAME:
            label = _LABELS.get(field.key, field.key)
            return self.name(node, key, label, strict=field.key == "name")
        if kind == F.TEXT:
            return self.walker.raw_text(node, key, "text")
        if kind == F.VALUE:
            return self.value_text(node, key, field.key)
        if kind == F.NAMES:
            return self.name_list(node, key, field.key)
        scalars: dict[str, SectionReader] = {
            F.BOOLEAN: self.boolean,
            F.DURATION: self.duration,
            F.PLATFORM: self.platform_of,
            F.VERSION: self.version,
        }
        reader = scalars.get(kind) or self.sections.get(kind)
        if reader is None:  # pragma: no cover - a kind in the table without a reader
            raise AssertionError(f"no reader for {kind}")
        return reader(node, key)

    def name(self, node: Node, key: str, what: str, *, strict: bool = False) -> str:
        """A name: non-empty text without control characters (strict: not even tab/newline)."""
        walker = self.walker
        scalar = walker.scalar(node, key, what)
        if scalar.tag == NULL:
            walker.fail(f"{what} is empty", node, key)
        text = walker.interpolated(scalar, key)
        if not text.strip():
            walker.fail(f"{what} is empty", node, key)
        for char in text:
            if unicodedata.category(char) == "Cc" and (strict or char not in "\t\n\r"):
                walker.fail(
                    f"{what} contains the control character U+{ord(char):04X}; "
                    "names must be plain text",
                    node,
                    key,
                )
        return text

    def input_name(self, name: str, name_node: ScalarNode, key: str, what: str) -> None:
        """A variable or parameter name (a key): not empty, no control characters."""
        if not name.strip():
            self.walker.fail(f"a {what} name cannot be empty", name_node, key)
        for char in name:
            if unicodedata.category(char) == "Cc" and char not in "\t\n\r":
                self.walker.fail(
                    f"the {what} name contains the control character U+{ord(char):04X}",
                    name_node,
                    key,
                )

    def value_text(self, node: Node, key: str, what: str) -> str:
        """A build number, artifact id, tag or version: the scalar text as written, not empty."""
        text = self.walker.raw_text(node, key, f"{what} text")
        if not text.strip():
            self.walker.fail(f"{what} is empty", node, key)
        return text

    def boolean(self, node: Node, key: str) -> bool:
        walker = self.walker
        scalar = walker.scalar(node, key, "true or false")
        text = str(scalar.value)
        if scalar.tag == STR and "${" in text:
            text = walker.interpolated(scalar, key).strip()
        elif scalar.tag != BOOL:
            quoted = " (remove the quotes)" if scalar.style in ("'", '"') else ""
            walker.fail(f"expected true or false, got {describe(scalar)}{quoted}", node, key)
        if text.lower() in _TRUE:
            return True
        if text.lower() in _FALSE:
            return False
        walker.fail(f"expected true or false, got {text!r}", node, key)

    def duration(self, node: Node, key: str) -> float:
        walker = self.walker
        scalar = walker.scalar(node, key, "a duration such as 90s, 20m or 1h30m")
        if scalar.tag not in (STR, INT, FLOAT):
            walker.fail(
                f"expected a duration such as 90s, 20m or 1h30m, got {describe(scalar)}",
                node,
                key,
            )
        text = walker.interpolated(scalar, key) if scalar.tag == STR else str(scalar.value)
        try:
            seconds = parse_duration(text)
        except ValueError as exc:
            walker.fail(str(exc), node, key)
        if not math.isfinite(seconds) or seconds <= 0:
            walker.fail(f"a duration must be more than zero, got {text!r}", node, key)
        if seconds > MAX_DURATION:
            walker.fail(f"a duration cannot exceed 365 days, got {text!r}", node, key)
        return seconds

    def version(self, node: Node, key: str) -> int:
        version = self.walker.scalar(node, key, "version: 1")
        if version.tag == STR and version.value.strip() == "1":
            self.walker.fail("version is the number 1, not text (remove the quotes)", version, key)
        if version.tag != INT or version.value != "1":
            self.walker.fail(
                f"unsupported spec version {version.value!r}; this harness-gate reads version: 1",
                version,
                key,
            )
        return SPEC_VERSION

    def platform_of(self, node: Node, key: str) -> str:
        written = self.walker.raw_text(node, key, " or ".join(PLATFORMS)).strip()
        platform = written.lower()
        if platform not in PLATFORMS:
            self.walker.fail(
                f"unknown platform {written!r}{did_you_mean(platform, PLATFORMS)}; "
                f"expected {' or '.join(PLATFORMS)}",
                node,
                key,
            )
        return platform

    def name_list(self, node: Node, key: str, field: str) -> list[tuple[str, Optional[int]]]:
        """Names in order without repeats, each with its line (None: written without a list)."""
        walker = self.walker
        items: list[tuple[str, Optional[int]]] = []
        what = f"a {field} entry"
        if isinstance(node, ScalarNode):  # `needs: build` reads as a list of one
            items.append((self.name(node, key, what, strict=True), None))
        elif isinstance(node, SequenceNode):
            with walker.all_or_nothing():
                for position, item in enumerate(node.value):
                    walker.visit(item)
                    item_key = f"{key}[{position}]"
                    text = walker.attempt(partial(self.name, item, item_key, what, strict=True))
                    if text is not None:
                        items.append((text, line_of(item)))
        else:
            listed = _LIST_OF.get(field, "a list of names")
            walker.fail(f"expected {listed}, got {describe(node)}", node, key)
        first_of: dict[str, Optional[int]] = {}
        for text, line in items:
            first_of.setdefault(text, line)
        return list(first_of.items())
