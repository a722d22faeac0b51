"""YAML nodes as the spec reader sees them: tags, lines, how a value is named in a message,
key paths (`deployments[0].artifacts[1].build`), and the limits that bound the work."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Optional

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

MAX_SPEC_BYTES = 1024 * 1024  # a spec is a page of YAML; anything bigger is the wrong file
MAX_DEPTH = 50  # a real spec nests 6 levels; the bound keeps recursion far from the stack limit
MAX_NODES = 20_000  # nodes composed, and again nodes visited through aliases (YAML bombs)
MAX_DURATION = 365 * 86400.0  # past this a timeout is a typo, and datetime math may overflow
MAX_ERRORS = 20  # collect_spec_errors stops after this many
MAX_MERGE_DEPTH = 20  # `<<` merges of merges; also stops a mapping merging itself

_TAG = "tag:yaml.org,2002:"
STR = _TAG + "str"
INT = _TAG + "int"
FLOAT = _TAG + "float"
BOOL = _TAG + "bool"
NULL = _TAG + "null"
TIMESTAMP = _TAG + "timestamp"
MERGE = _TAG + "merge"
ALLOWED_TAGS = frozenset(
    _TAG + name for name in ("str", "int", "float", "bool", "null", "timestamp", "seq", "map")
) | {MERGE, _TAG + "value"}
# Scalar keys YAML types as something other than text, and how messages name them.
NOT_TEXT_KEYS = {
    INT: "a number",
    FLOAT: "a number",
    BOOL: "a boolean",
    NULL: "null",
    TIMESTAMP: "a date",
}

_PLAIN_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")

# Everything str.splitlines() breaks on: a message is one log line and one JUnit attribute.
_BREAKS = {ord(c): f"\\x{ord(c):02x}" for c in "\x0b\x0c\x1c\x1d\x1e\x85"}
_BREAKS.update({ord("\n"): "\\n", ord("\r"): "\\r", 0x2028: "\\u2028", 0x2029: "\\u2029"})


def line_of(node: Node) -> Optional[int]:
    mark = node.start_mark
    return mark.line + 1 if mark is not None else None


def is_null(node: Node) -> bool:
    return isinstance(node, ScalarNode) and node.tag == NULL


def describe(node: Node) -> str:
    """The node as a message names what was found: "a list", "the number 3", ..."""
    if isinstance(node, MappingNode):
        return "a mapping"
    if isinstance(node, SequenceNode):
        return "a list"
    value = str(node.value)
    if node.tag == NULL:
        return "an empty value" if value in ("", "~") else "null"
    if node.tag == BOOL:
        return f"the boolean {value}"
    if node.tag in (INT, FLOAT):
        return f"the number {value}"
    shown = value if len(value) <= 60 else value[:57] + "..."
    return f"the text {shown!r}"


def join_key(path: str, key: str) -> str:
    """path.key, or path['odd key'] when the key is not a plain identifier."""
    part = key if _PLAIN_KEY.fullmatch(key) else f"[{key!r}]"
    if not path:
        return part
    return append_segment(path, part)


def append_segment(path: str, segment: str) -> str:
    return path + segment if segment.startswith("[") else f"{path}.{segment}"


def one_line(text: str) -> str:
    return text.translate(_BREAKS)


def name_list(names: Sequence[str]) -> str:
    shown = ", ".join(repr(n) for n in names[:10])
    return shown + (f" and {len(names) - 10} more" if len(names) > 10 else "")
