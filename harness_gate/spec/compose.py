"""Compose YAML text into nodes, bounded in depth and size, checking keys as it goes.

The YAML is composed, not constructed, so values keep the text the user wrote (`1.10` stays
"1.10") and every node knows its line.
"""

from __future__ import annotations

from typing import Any, Optional

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode

from ..errors import SpecError
from .nodes import (
    ALLOWED_TAGS,
    MAX_DEPTH,
    MAX_ERRORS,
    MAX_NODES,
    MERGE,
    NOT_TEXT_KEYS,
    append_segment,
    join_key,
    one_line,
)


class SpecLoader(yaml.SafeLoader):
    """SafeLoader that composes only, bounded in depth and size, and checks keys as it goes.

    Hard limits raise at once (to stop work); softer mistakes (duplicate or non-text keys,
    tags) are kept in `deferred` so the caller can first learn the deployment names, and
    report them all.
    """

    def __init__(self, stream: str, file: str) -> None:
        super().__init__(stream)
        self.spec_file = file
        self.deferred: list[SpecError] = []
        self._depth = 0
        self._nodes = 0
        self._path: list[str] = []
        self._seen_keys: dict[int, dict[str, Optional[int]]] = {}

    def compose_node(self, parent: Optional[Node], index: Any) -> Optional[Node]:
        event: Any = self.peek_event()  # type: ignore[no-untyped-call]  # untyped in the stubs
        line = event.start_mark.line + 1 if event.start_mark is not None else None
        self._nodes += 1
        if self._nodes > MAX_NODES:
            raise SpecError(
                f"the spec has more than {MAX_NODES} YAML nodes; is this the right file?",
                file=self.spec_file,
                line=line,
            )
        if self._depth >= MAX_DEPTH:
            path = self._key_path()
            raise SpecError(
                f"the spec nests more than {MAX_DEPTH} levels deep",
                file=self.spec_file,
                line=line,
                key=path if 0 < len(path) <= 80 else None,  # a path 50 levels long helps nobody
            )
        segment = _segment(parent, index)
        if segment is not None:
            self._path.append(segment)
        self._depth += 1
        try:
            node = super().compose_node(parent, index)
            if node is not None and node.tag not in ALLOWED_TAGS:
                self._defer(
                    f"YAML tag {node.tag!r} is not supported; write plain values",
                    line,
                    self._key_path() or None,
                )
        finally:
            self._depth -= 1
            if segment is not None:
                self._path.pop()
        if node is not None and isinstance(parent, MappingNode) and index is None:
            self._check_key(node, parent, line)
        return node

    def _check_key(self, node: Node, parent: MappingNode, line: Optional[int]) -> None:
        path = self._key_path()
        if not isinstance(node, ScalarNode):
            self._defer("a key must be text, not a list or a mapping", line, path or None)
            return
        kind = NOT_TEXT_KEYS.get(node.tag)
        if kind is not None:
            self._defer(
                f"the key {node.value!r} is {kind} to YAML, not text; quote it: "
                f'"{node.value}"' + ("" if node.value else " (or remove it)"),
                line,
                path or None,
            )
            return
        seen = self._seen_keys.setdefault(id(parent), {})
        name = str(node.value)
        if name in seen:
            if (path == "variables" or path.endswith(".variables")) and node.tag != MERGE:
                message = f"variable declared twice (first at line {seen[name]})"
            else:
                message = f"duplicate key (first at line {seen[name]})"
            self._defer(message, line, join_key(path, name))
        else:
            seen[name] = line

    def _defer(self, message: str, line: Optional[int], key: Optional[str]) -> None:
        if len(self.deferred) < MAX_ERRORS:
            self.deferred.append(
                SpecError(
                    one_line(message),
                    file=self.spec_file,
                    line=line,
                    key=one_line(key) if key else None,
                )
            )

    def _key_path(self) -> str:
        path = ""
        for segment in self._path:
            path = segment if not path else append_segment(path, segment)
        return path


def _segment(parent: Optional[Node], index: Any) -> Optional[str]:
    if isinstance(index, int) and not isinstance(index, bool):
        return f"[{index}]"
    if isinstance(index, ScalarNode):
        return join_key("", str(index.value))
    if isinstance(index, Node):
        return "[?]"
    return None  # the root, or a key being composed


def compose(text: str, path: str) -> tuple[Optional[Node], list[SpecError]]:
    loader = SpecLoader(text, path)
    try:
        return loader.get_single_node(), loader.deferred
    except yaml.MarkedYAMLError as exc:
        raise yaml_error(exc, path) from None
    except yaml.YAMLError as exc:
        raise SpecError(one_line(f"invalid YAML: {exc}"), file=path) from None
    finally:
        loader.dispose()


def yaml_error(exc: yaml.MarkedYAMLError, path: str) -> SpecError:
    mark = exc.problem_mark or exc.context_mark
    detail = exc.problem or exc.context or "malformed YAML"
    if mark is not None:
        detail += f" (column {mark.column + 1})"
    if exc.problem and exc.context:
        context = exc.context
        if exc.context_mark is not None:
            context += f" at line {exc.context_mark.line + 1}"
        # The composer states the rule in `context` ("found duplicate anchor"); the scanner
        # and parser put the cause in `problem` and where they were in `context`.
        if isinstance(exc, yaml.composer.ComposerError):
            detail = f"{context}, {detail}"
        else:
            detail = f"{detail}, {context}"
    if "'\\t'" in detail:
        detail += "; indent YAML with spaces, not tabs"
    return SpecError(
        one_line(f"invalid YAML: {detail}"),
        file=path,
        line=mark.line + 1 if mark is not None else None,
    )
