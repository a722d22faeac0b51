"""Load deploy.yaml into the typed model: checked, interpolated, located by file:line and key.

Every failure is a SpecError, whatever the input: the gate turns it into one line and a
report, never a traceback. The YAML is composed, not constructed, so values keep the text
the user wrote (`1.10` stays "1.10") and every node knows its line.
"""

from __future__ import annotations

import codecs
import dataclasses
import math
import os
import re
import unicodedata
from collections.abc import Mapping, Sequence
from typing import Any, NoReturn, Optional, Union

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from .durations import parse_duration
from .errors import SpecError, UsageError
from .model import PIPELINE, WORKFLOW, ArtifactInput, Deployment, Location, Spec, VariableInput
from .suggest import did_you_mean

__all__ = [
    "MAX_DEPTH",
    "MAX_NODES",
    "MAX_SPEC_BYTES",
    "interpolate",
    "load_spec",
    "load_spec_text",
    "select_deployments",
]

MAX_SPEC_BYTES = 1024 * 1024  # a spec is a page of YAML; anything bigger is the wrong file
MAX_DEPTH = 50  # a real spec nests 6 levels; the bound keeps recursion far from the stack limit
MAX_NODES = 20_000  # nodes composed, and again nodes visited through aliases (YAML bombs)
MAX_DURATION = 365 * 86400.0  # past this a timeout is a typo, and datetime math may overflow
_MAX_MERGE_DEPTH = 20  # `<<` merges of merges; also stops a mapping merging itself
_MAX_DEFAULT_NESTING = 10  # ${A:-${B:-...}}

DEFAULT_TIMEOUT = 1800.0
SPEC_VERSION = 1

TOP_KEYS = (
    "version",
    "application",
    "notes",
    "timeout",
    "poll_interval",
    "parallel",
    "abort_on_exit",
    "allow_unknown_variables",
    "deployments",
)
DEPLOYMENT_KEYS = (
    "name",
    "workflow",
    "pipeline",
    "application",
    "artifacts",
    "variables",
    "notes",
    "timeout",
    "abort_on_exit",
    "allow_unknown_variables",
    "needs",
)
ARTIFACT_KEYS = ("service", "source", "build", "artifact_id")
VARIABLE_KEYS = ("value", "type")
VARIABLE_TYPES = ("NAME", "ID", "EXPRESSION")

_TAG = "tag:yaml.org,2002:"
_STR = _TAG + "str"
_INT = _TAG + "int"
_FLOAT = _TAG + "float"
_BOOL = _TAG + "bool"
_NULL = _TAG + "null"
_TIMESTAMP = _TAG + "timestamp"
_MERGE = _TAG + "merge"
_ALLOWED_TAGS = frozenset(
    _TAG + name for name in ("str", "int", "float", "bool", "null", "timestamp", "seq", "map")
) | {_MERGE, _TAG + "value"}
_NOT_TEXT_KEYS = {
    _INT: "a number",
    _FLOAT: "a number",
    _BOOL: "a boolean",
    _NULL: "null",
    _TIMESTAMP: "a date",
}
_TRUE = frozenset({"true", "yes", "on"})
_FALSE = frozenset({"false", "no", "off"})

# What PyYAML's reader refuses; checked first so the message names the line and the character.
_NON_PRINTABLE = re.compile(
    "[^\x09\x0a\x0d\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]"
)
_LINE_BREAK = re.compile("\r\n|[\n\r\x85\u2028\u2029]")  # the breaks PyYAML counts as lines
_PLAIN_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
_VAR_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_DOLLAR_OR_CLOSE = re.compile(r"[$}]")
_DOLLAR = re.compile(r"\$")


# --- public API -------------------------------------------------------------------------------


def load_spec(path: str, environ: Mapping[str, str]) -> Spec:
    """Read, check and interpolate the spec at path; raises SpecError only."""
    return load_spec_text(_read_file(path), path, environ)


def load_spec_text(text: Union[str, bytes], path: str, environ: Mapping[str, str]) -> Spec:
    """load_spec from memory; path only names the file in messages and in the model."""
    try:
        return _load(text, path, environ)
    except SpecError:
        raise
    except RecursionError:
        raise SpecError("the spec is nested too deeply to read", file=path) from None
    except Exception as exc:
        # The contract is "SpecError or a Spec" whatever the bytes; a bug must not become a
        # traceback in someone's CI log. Tests assert this branch never runs.
        raise SpecError(
            _one_line(f"internal error while reading the spec: {type(exc).__name__}: {exc}"),
            file=path,
        ) from exc


def select_deployments(spec: Spec, only: Sequence[str]) -> Spec:
    """The spec with only the named deployments (--only), in spec order.

    Raises UsageError for a name the spec does not declare and SpecError when a selected
    deployment needs one that is not selected.
    """
    if not only:
        return spec
    declared = [d.name for d in spec.deployments]
    wanted = list(dict.fromkeys(only))
    for name in wanted:
        if name not in declared:
            raise UsageError(
                _one_line(
                    f"--only: {spec.path} has no deployment named {name!r}"
                    f"{did_you_mean(name, declared)}; it declares {_name_list(declared)}"
                )
            )
    chosen = set(wanted)
    selected = [d for d in spec.deployments if d.name in chosen]
    for index, deployment in enumerate(spec.deployments):
        if deployment.name not in chosen:
            continue
        for need in deployment.needs:
            if need not in chosen:
                raise SpecError(
                    _one_line(
                        f"{deployment.name!r} needs {need!r}, which --only did not select "
                        f"(add --only {need!r} or leave out --only)"
                    ),
                    file=spec.path,
                    line=deployment.location.line if deployment.location else None,
                    key=f"deployments[{index}].needs",
                    deployment_names=[d.name for d in selected],
                )
    return dataclasses.replace(spec, deployments=selected)


def interpolate(text: str, environ: Mapping[str, str]) -> str:
    """Expand ${VAR} and ${VAR:-default}; $$ is a literal $. Raises ValueError with a reason."""
    if "$" not in text:
        return text
    expanded, _ = _expand(text, 0, environ, evaluate=True, nesting=0)
    return expanded


# --- reading bytes ----------------------------------------------------------------------------


def _read_file(path: str) -> bytes:
    try:
        if os.path.isdir(path):
            raise SpecError("cannot read the spec: it is a directory, not a file", file=path)
        with open(path, "rb") as stream:
            # Bounded read: /dev/zero or a huge log passed by mistake must not fill memory.
            return stream.read(MAX_SPEC_BYTES + 1)
    except FileNotFoundError:
        raise SpecError("cannot read the spec: no such file", file=path) from None
    except IsADirectoryError:
        raise SpecError("cannot read the spec: it is a directory, not a file", file=path) from None
    except PermissionError:
        raise SpecError("cannot read the spec: permission denied", file=path) from None
    except OSError as exc:
        reason = exc.strerror or str(exc) or type(exc).__name__
        raise SpecError(_one_line(f"cannot read the spec: {reason}"), file=path) from None
    except ValueError as exc:  # e.g. a NUL in the path
        raise SpecError(_one_line(f"cannot read the spec: {exc}"), file=path) from None


def _decode(data: Union[str, bytes], path: str) -> str:
    size = len(data.encode("utf-8", "surrogatepass")) if isinstance(data, str) else len(data)
    if size > MAX_SPEC_BYTES:
        raise SpecError(
            f"the spec is larger than 1 MiB ({size} bytes or more); is this the right file?",
            file=path,
        )
    text = data if isinstance(data, str) else _decode_bytes(data, path)
    if text.startswith("\ufeff"):
        text = text[1:]
    bad = _NON_PRINTABLE.search(text)
    if bad is not None:
        char = bad.group()
        line, column = _line_column(text, bad.start())
        if char == "\x00":
            what = f"a NUL byte (column {column}); is it a binary file?"
        else:
            what = (
                f"the character U+{ord(char):04X} (column {column}), "
                "which YAML text cannot hold unescaped"
            )
        raise SpecError(f"the spec contains {what}", file=path, line=line)
    return text


def _decode_bytes(data: bytes, path: str) -> str:
    # UTF-16/32 only with a BOM: that is what Windows tools write when they are not UTF-8.
    encoding = "utf-8"
    for bom, name in (
        (codecs.BOM_UTF32_LE, "utf-32"),
        (codecs.BOM_UTF32_BE, "utf-32"),
        (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
    ):
        if data.startswith(bom):
            encoding = name
            break
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        start = exc.start
        line = data.count(b"\n", 0, start) + 1
        column = start - (data.rfind(b"\n", 0, start) + 1) + 1
        label = "UTF-8" if encoding == "utf-8" else encoding.upper()
        raise SpecError(
            f"the spec is not {label} text: invalid byte 0x{data[start]:02x} (column {column}); "
            "is it a binary file?",
            file=path,
            line=line,
        ) from None


def _line_column(text: str, pos: int) -> tuple[int, int]:
    line = 1
    line_start = 0
    for match in _LINE_BREAK.finditer(text, 0, pos):
        line += 1
        line_start = match.end()
    return line, pos - line_start + 1


# --- composing YAML ---------------------------------------------------------------------------


class _SpecLoader(yaml.SafeLoader):
    """SafeLoader that composes only, bounded in depth and size, and checks keys as it goes.

    Hard limits raise at once (to stop work); softer mistakes (duplicate or non-text keys,
    tags) are kept in `deferred` so the caller can first learn the deployment names.
    """

    def __init__(self, stream: str, file: str) -> None:
        super().__init__(stream)
        self.spec_file = file
        self.deferred: Optional[SpecError] = None
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
            if node is not None and node.tag not in _ALLOWED_TAGS:
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
        kind = _NOT_TEXT_KEYS.get(node.tag)
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
            if (path == "variables" or path.endswith(".variables")) and node.tag != _MERGE:
                message = f"variable declared twice (first at line {seen[name]})"
            else:
                message = f"duplicate key (first at line {seen[name]})"
            self._defer(message, line, _join(path, name))
        else:
            seen[name] = line

    def _defer(self, message: str, line: Optional[int], key: Optional[str]) -> None:
        if self.deferred is None:
            self.deferred = SpecError(
                _one_line(message),
                file=self.spec_file,
                line=line,
                key=_one_line(key) if key else None,
            )

    def _key_path(self) -> str:
        path = ""
        for segment in self._path:
            path = segment if not path else _append(path, segment)
        return path


def _segment(parent: Optional[Node], index: Any) -> Optional[str]:
    if isinstance(index, int) and not isinstance(index, bool):
        return f"[{index}]"
    if isinstance(index, ScalarNode):
        return _join("", str(index.value))
    if isinstance(index, Node):
        return "[?]"
    return None  # the root, or a key being composed


def _compose(text: str, path: str) -> tuple[Optional[Node], Optional[SpecError]]:
    loader = _SpecLoader(text, path)
    try:
        return loader.get_single_node(), loader.deferred
    except yaml.MarkedYAMLError as exc:
        raise _yaml_error(exc, path) from None
    except yaml.YAMLError as exc:
        raise SpecError(_one_line(f"invalid YAML: {exc}"), file=path) from None
    finally:
        loader.dispose()


def _yaml_error(exc: yaml.MarkedYAMLError, path: str) -> SpecError:
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
        _one_line(f"invalid YAML: {detail}"),
        file=path,
        line=mark.line + 1 if mark is not None else None,
    )


# --- interpolation ----------------------------------------------------------------------------


def _expand(
    text: str, pos: int, environ: Mapping[str, str], *, evaluate: bool, nesting: int
) -> tuple[str, int]:
    """Expand text from pos; inside a default (nesting > 0) stop at its closing brace."""
    parts: list[str] = []
    stop = _DOLLAR_OR_CLOSE if nesting else _DOLLAR
    end = len(text)
    while True:
        found = stop.search(text, pos)
        if found is None:
            if nesting:
                raise ValueError(_unterminated(text))
            parts.append(text[pos:])
            return "".join(parts), end
        at = found.start()
        parts.append(text[pos:at])
        if text[at] == "}":
            return "".join(parts), at
        following = text[at + 1 : at + 2]
        if following == "$":
            parts.append("$")
            pos = at + 2
            continue
        if following != "{":
            parts.append("$")  # a lone $ is literal text
            pos = at + 1
            continue
        name_match = _VAR_NAME.match(text, at + 2)
        if name_match is None:
            raise _bad_reference(text, at, "'${' must be followed by a variable name")
        name = name_match.group()
        pos = name_match.end()
        if text.startswith("}", pos):
            pos += 1
            if evaluate:
                if name not in environ:
                    raise ValueError(
                        f"environment variable {name} is not set "
                        f"(write ${{{name}:-default}} to give a default)"
                    )
                parts.append(_env_value(environ, name))
        elif text.startswith(":-", pos):
            if nesting >= _MAX_DEFAULT_NESTING:
                raise ValueError(f"defaults nest too deeply in {_snippet(text, at)}")
            value = _env_value(environ, name) if evaluate and name in environ else ""
            use_default = evaluate and not value  # shell rule: unset or empty
            default, pos = _expand(
                text, pos + 2, environ, evaluate=use_default, nesting=nesting + 1
            )
            pos += 1  # the closing brace
            if evaluate:
                parts.append(default if use_default else value)
        elif pos >= end:
            raise ValueError(_unterminated(text))
        else:
            raise _bad_reference(text, at, f"expected '}}' or ':-' after ${{{name}")


def _bad_reference(text: str, at: int, reason: str) -> ValueError:
    close = text.find("}", at)
    inner = text[at + 2 : close] if close != -1 else ""
    if "." in inner and len(inner) <= 200:
        # Harness expressions share the ${...} syntax: ${workflow.variables.x}, ${artifact.buildNo}
        expression = "${" + inner + "}"
        return ValueError(
            f"{expression!r} is not an environment variable; "
            f"to pass the Harness expression on, write {'$' + expression!r}"
        )
    return ValueError(f"{reason} in {_snippet(text, at)}; write $$ for a literal $")


def _env_value(environ: Mapping[str, str], name: str) -> str:
    value = environ[name]
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        # os.environ keeps undecodable bytes as lone surrogates; Harness cannot take them.
        raise ValueError(f"environment variable {name} is not valid UTF-8 text") from None
    return value


def _unterminated(text: str) -> str:
    return f"unterminated '${{' in {_snippet(text, 0)}: close it with '}}'"


def _snippet(text: str, at: int) -> str:
    piece = text[at : at + 40]
    return repr(piece + "..." if len(text) > at + 40 else piece)


# --- walking the node tree --------------------------------------------------------------------

_Entry = tuple[ScalarNode, Node]


@dataclasses.dataclass
class _Defaults:
    application: Optional[str]
    notes: Optional[str]
    timeout: float
    abort_on_exit: bool
    allow_unknown_variables: bool


@dataclasses.dataclass
class _Needs:
    index: int
    line: Optional[int]
    items: list[tuple[str, Optional[int]]]


class _Walker:
    def __init__(self, path: str, environ: Mapping[str, str]) -> None:
        self.path = path
        self.environ = environ
        self.names: list[str] = []
        self._visited = 0

    # errors

    def fail(self, message: str, where: Union[Node, int, None], key: Optional[str]) -> NoReturn:
        line = where if isinstance(where, int) or where is None else _line(where)
        raise SpecError(
            _one_line(message),
            file=self.path,
            line=line,
            key=_one_line(key) if key else None,
            deployment_names=self.names,
        )

    def visit(self, node: Node) -> None:
        self._visited += 1
        if self._visited > MAX_NODES:
            self.fail(
                f"the spec expands to more than {MAX_NODES} YAML nodes through aliases", node, None
            )

    # mappings

    def entries(
        self,
        node: Node,
        key: str,
        allowed: Optional[Sequence[str]],
        what: str,
        *,
        hints: Optional[Mapping[str, str]] = None,
        merge_depth: int = 0,
    ) -> dict[str, _Entry]:
        """The mapping's keys in order, `<<` merges applied (explicit keys win)."""
        if not isinstance(node, MappingNode):
            self.fail(f"expected {what}, got {_describe(node)}", node, key)
        result: dict[str, _Entry] = {}
        merges: list[Node] = []
        for key_node, value_node in node.value:
            self.visit(value_node)
            if key_node.tag == _MERGE:
                merges.append(value_node)
                continue
            name = str(key_node.value)
            if allowed is not None and name not in allowed:
                self.unknown_key(key_node, name, key, allowed, hints)
            result.setdefault(name, (key_node, value_node))
        for merge in merges:
            if merge_depth >= _MAX_MERGE_DEPTH:
                self.fail("'<<' merges nest too deeply (does a mapping merge itself?)", merge, key)
            sources = merge.value if isinstance(merge, SequenceNode) else [merge]
            for source in sources:
                self.visit(source)
                if not isinstance(source, MappingNode):
                    self.fail(
                        f"'<<' merges mappings, got {_describe(source)}", source, _join(key, "<<")
                    )
                merged = self.entries(
                    source, key, allowed, what, hints=hints, merge_depth=merge_depth + 1
                )
                for name, entry in merged.items():
                    result.setdefault(name, entry)
        return result

    def unknown_key(
        self,
        key_node: ScalarNode,
        name: str,
        key: str,
        allowed: Sequence[str],
        hints: Optional[Mapping[str, str]],
    ) -> NoReturn:
        hint = (hints or {}).get(name)
        if hint is not None:
            message = f"unknown key here; {hint}"
        else:
            suggestion = did_you_mean(name, allowed)
            if suggestion:
                message = f"unknown key{suggestion}"
            else:
                message = f"unknown key; expected one of: {', '.join(allowed)}"
        self.fail(message, key_node, _join(key, name))

    # scalars

    def scalar(self, node: Node, key: str, what: str) -> ScalarNode:
        if not isinstance(node, ScalarNode):
            self.fail(f"expected {what}, got {_describe(node)}", node, key)
        return node

    def interpolated(self, node: ScalarNode, key: str) -> str:
        try:
            return interpolate(str(node.value), self.environ)
        except ValueError as exc:
            self.fail(str(exc), node, key)

    def raw_text(self, node: Node, key: str, what: str) -> str:
        """The scalar's text as written (no YAML typing), interpolated."""
        return self.interpolated(self.scalar(node, key, what), key)

    def name(self, node: Node, key: str, what: str, *, strict: bool = False) -> str:
        """A name: non-empty text without control characters (strict: not even tab/newline)."""
        scalar = self.scalar(node, key, what)
        if scalar.tag == _NULL:
            self.fail(f"{what} is empty", node, key)
        text = self.interpolated(scalar, key)
        if not text.strip():
            self.fail(f"{what} is empty", node, key)
        for char in text:
            if unicodedata.category(char) == "Cc" and (strict or char not in "\t\n\r"):
                self.fail(
                    f"{what} contains the control character U+{ord(char):04X}; "
                    "names must be plain text",
                    node,
                    key,
                )
        return text

    def boolean(self, node: Node, key: str) -> bool:
        scalar = self.scalar(node, key, "true or false")
        text = str(scalar.value)
        if scalar.tag == _STR and "${" in text:
            text = self.interpolated(scalar, key).strip()
        elif scalar.tag != _BOOL:
            quoted = " (remove the quotes)" if scalar.style in ("'", '"') else ""
            self.fail(f"expected true or false, got {_describe(scalar)}{quoted}", node, key)
        if text.lower() in _TRUE:
            return True
        if text.lower() in _FALSE:
            return False
        self.fail(f"expected true or false, got {text!r}", node, key)

    def duration(self, node: Node, key: str) -> float:
        scalar = self.scalar(node, key, "a duration such as 90s, 20m or 1h30m")
        if scalar.tag not in (_STR, _INT, _FLOAT):
            self.fail(
                f"expected a duration such as 90s, 20m or 1h30m, got {_describe(scalar)}",
                node,
                key,
            )
        text = self.interpolated(scalar, key) if scalar.tag == _STR else str(scalar.value)
        try:
            seconds = parse_duration(text)
        except ValueError as exc:
            self.fail(str(exc), node, key)
        if not math.isfinite(seconds) or seconds <= 0:
            self.fail(f"a duration must be more than zero, got {text!r}", node, key)
        if seconds > MAX_DURATION:
            self.fail(f"a duration cannot exceed 365 days, got {text!r}", node, key)
        return seconds

    # the spec

    def spec(self, root: Optional[Node], deferred: Optional[SpecError]) -> Spec:
        if root is None or _is_null(root):
            self.fail(
                "the spec is empty; it needs at least `version: 1` and `deployments:`", None, ""
            )
        if not isinstance(root, MappingNode):
            self.fail(
                "the spec must be a mapping of keys (version:, deployments:, ...), "
                f"got {_describe(root)}",
                root,
                "",
            )
        self.names = _lenient_names(root, self.environ)
        if deferred is not None:
            raise SpecError(
                deferred.detail,
                file=deferred.file,
                line=deferred.line,
                key=deferred.key,
                deployment_names=self.names,
            )
        top = self.entries(
            root,
            "",
            TOP_KEYS,
            "a mapping",
            hints={
                **{k: "it belongs in a deployment, under deployments:" for k in DEPLOYMENT_KEYS},
                **{k: "it belongs in an artifacts entry of a deployment" for k in ARTIFACT_KEYS},
            },
        )

        if "version" not in top:
            self.fail("missing required key 'version' (add `version: 1`)", root, "")
        version = self.scalar(top["version"][1], "version", "version: 1")
        if version.tag == _STR and version.value.strip() == "1":
            self.fail("version is the number 1, not text (remove the quotes)", version, "version")
        if version.tag != _INT or version.value != "1":
            self.fail(
                f"unsupported spec version {version.value!r}; this harness-gate reads version: 1",
                version,
                "version",
            )

        application = self.optional(top, "application")
        notes = self.optional(top, "notes")
        timeout = self.optional(top, "timeout")
        poll = self.optional(top, "poll_interval")
        parallel = self.optional(top, "parallel")
        abort = self.optional(top, "abort_on_exit")
        allow = self.optional(top, "allow_unknown_variables")
        defaults = _Defaults(
            application=self.name(application, "application", "application")
            if application is not None
            else None,
            notes=self.raw_text(notes, "notes", "text") if notes is not None else None,
            timeout=self.duration(timeout, "timeout") if timeout is not None else DEFAULT_TIMEOUT,
            abort_on_exit=self.boolean(abort, "abort_on_exit") if abort is not None else False,
            allow_unknown_variables=self.boolean(allow, "allow_unknown_variables")
            if allow is not None
            else False,
        )
        poll_interval = self.duration(poll, "poll_interval") if poll is not None else None
        is_parallel = self.boolean(parallel, "parallel") if parallel is not None else False

        if "deployments" not in top:
            self.fail("missing required key 'deployments' (the list of what to run)", root, "")
        listed = top["deployments"][1]
        if not isinstance(listed, SequenceNode):
            self.fail(
                f"expected a list of deployments, got {_describe(listed)}", listed, "deployments"
            )
        if not listed.value:
            self.fail("is empty; list at least one deployment", listed, "deployments")

        deployments: list[Deployment] = []
        needs: dict[str, _Needs] = {}
        first_line: dict[str, Optional[int]] = {}
        for index, item in enumerate(listed.value):
            self.visit(item)
            deployment, item_needs = self.deployment(item, index, defaults, first_line)
            deployments.append(deployment)
            if item_needs is not None:
                needs[deployment.name] = item_needs

        self.names = [d.name for d in deployments]
        self.check_needs(deployments, needs, is_parallel)
        return Spec(
            path=self.path,
            deployments=deployments,
            version=SPEC_VERSION,
            application=defaults.application,
            notes=defaults.notes,
            timeout=defaults.timeout,
            parallel=is_parallel,
            poll_interval=poll_interval,
            abort_on_exit=defaults.abort_on_exit,
            allow_unknown_variables=defaults.allow_unknown_variables,
        )

    def optional(self, entries: Mapping[str, _Entry], name: str) -> Optional[Node]:
        """The value of an optional key; an empty value or null counts as leaving it out."""
        entry = entries.get(name)
        if entry is None or _is_null(entry[1]):
            return None
        return entry[1]

    def deployment(
        self,
        node: Node,
        index: int,
        defaults: _Defaults,
        first_line: dict[str, Optional[int]],
    ) -> tuple[Deployment, Optional[_Needs]]:
        key = f"deployments[{index}]"
        entries = self.entries(
            node,
            key,
            DEPLOYMENT_KEYS,
            "a deployment (a mapping with name:, workflow: or pipeline:, ...)",
            hints={
                **{k: "it belongs in an artifacts entry, under artifacts:" for k in ARTIFACT_KEYS},
                **{
                    k: "it is a top-level key of the spec"
                    for k in ("version", "parallel", "poll_interval", "deployments")
                },
            },
        )
        if "name" not in entries:
            self.fail("missing required key 'name'", node, key)
        name_node = entries["name"][1]
        name = self.name(name_node, f"{key}.name", "the deployment name", strict=True)
        if name in first_line:
            self.fail(
                f"duplicate deployment name {name!r} (first at line {first_line[name]})",
                name_node,
                f"{key}.name",
            )
        first_line[name] = _line(name_node)

        workflow = entries.get("workflow")
        pipeline = entries.get("pipeline")
        if workflow is not None and pipeline is not None:
            later = max(workflow[0], pipeline[0], key=lambda k: _line(k) or 0)
            self.fail(
                "a deployment runs one thing: give workflow or pipeline, not both",
                later,
                key,
            )
        if workflow is None and pipeline is None:
            self.fail(
                "missing workflow: or pipeline: (the name of the Harness workflow or pipeline)",
                node,
                key,
            )
        entity_type, entity = (WORKFLOW, workflow) if workflow is not None else (PIPELINE, pipeline)
        assert entity is not None
        entity_name = self.name(entity[1], f"{key}.{entity_type}", f"the {entity_type} name")

        application_node = self.optional(entries, "application")
        if application_node is not None:
            application = self.name(application_node, f"{key}.application", "application")
        elif defaults.application is not None:
            application = defaults.application
        else:
            self.fail(
                "no application: set application: at the top level or in this deployment",
                node,
                key,
            )

        artifacts: list[ArtifactInput] = []
        artifacts_node = self.optional(entries, "artifacts")
        if artifacts_node is not None:
            if not isinstance(artifacts_node, SequenceNode):
                self.fail(
                    f"expected a list of artifacts, got {_describe(artifacts_node)}",
                    artifacts_node,
                    f"{key}.artifacts",
                )
            for position, item in enumerate(artifacts_node.value):
                self.visit(item)
                artifacts.append(self.artifact(item, f"{key}.artifacts[{position}]"))

        variables: list[VariableInput] = []
        variables_node = self.optional(entries, "variables")
        if variables_node is not None:
            var_key = f"{key}.variables"
            for var_name, (name_node, value_node) in self.entries(
                variables_node, var_key, None, "a mapping of variable name to value"
            ).items():
                variables.append(self.variable(var_name, name_node, value_node, var_key))

        notes_node = self.optional(entries, "notes")
        timeout_node = self.optional(entries, "timeout")
        abort_node = self.optional(entries, "abort_on_exit")
        allow_node = self.optional(entries, "allow_unknown_variables")
        deployment = Deployment(
            name=name,
            entity_type=entity_type,
            entity_name=entity_name,
            application=application,
            artifacts=artifacts,
            variables=variables,
            notes=self.raw_text(notes_node, f"{key}.notes", "text")
            if notes_node is not None
            else defaults.notes,
            timeout=self.duration(timeout_node, f"{key}.timeout")
            if timeout_node is not None
            else defaults.timeout,
            abort_on_exit=self.boolean(abort_node, f"{key}.abort_on_exit")
            if abort_node is not None
            else defaults.abort_on_exit,
            allow_unknown_variables=self.boolean(allow_node, f"{key}.allow_unknown_variables")
            if allow_node is not None
            else defaults.allow_unknown_variables,
            location=Location(self.path, _line(node)),
        )

        needs_node = self.optional(entries, "needs")
        if needs_node is None:
            return deployment, None
        needs_key = f"{key}.needs"
        items: list[tuple[str, Optional[int]]] = []
        if isinstance(needs_node, ScalarNode):  # `needs: build` reads as a list of one
            items.append((self.name(needs_node, needs_key, "a needs entry", strict=True), None))
        elif isinstance(needs_node, SequenceNode):
            for position, item in enumerate(needs_node.value):
                self.visit(item)
                item_key = f"{needs_key}[{position}]"
                items.append((self.name(item, item_key, "a needs entry", strict=True), _line(item)))
        else:
            self.fail(
                f"expected a list of deployment names, got {_describe(needs_node)}",
                needs_node,
                needs_key,
            )
        first_of: dict[str, Optional[int]] = {}
        for need, line in items:
            first_of.setdefault(need, line)
        unique = list(first_of.items())
        deployment.needs = [need for need, _ in unique]
        return deployment, _Needs(index, _line(needs_node), unique)

    def artifact(self, node: Node, key: str) -> ArtifactInput:
        entries = self.entries(
            node, key, ARTIFACT_KEYS, "an artifact (a mapping with service: and build:)"
        )
        if "service" not in entries:
            self.fail("missing required key 'service'", node, key)
        service = self.name(entries["service"][1], f"{key}.service", "the service name")
        build = entries.get("build")
        artifact_id = entries.get("artifact_id")
        if build is not None and artifact_id is not None:
            self.fail("give build or artifact_id, not both", node, key)
        if build is None and artifact_id is None:
            self.fail(
                "missing build: (with source:) or artifact_id: (which artifact to deploy)",
                node,
                key,
            )
        source_node = self.optional(entries, "source")
        location = Location(self.path, _line(node))
        if artifact_id is not None:
            if source_node is not None:
                self.fail(
                    "source only goes with build; artifact_id names the artifact by itself",
                    source_node,
                    f"{key}.source",
                )
            return ArtifactInput(
                service=service,
                artifact_id=self.value_text(artifact_id[1], f"{key}.artifact_id", "artifact_id"),
                location=location,
            )
        assert build is not None
        if source_node is None:
            self.fail(
                "missing required key 'source': a build needs its artifact source name",
                node,
                key,
            )
        return ArtifactInput(
            service=service,
            source=self.name(source_node, f"{key}.source", "the artifact source name"),
            build=self.value_text(build[1], f"{key}.build", "build"),
            location=location,
        )

    def value_text(self, node: Node, key: str, what: str) -> str:
        """A build number or artifact id: the scalar text as written, never empty."""
        text = self.raw_text(node, key, f"{what} text")
        if not text.strip():
            self.fail(f"{what} is empty", node, key)
        return text

    def variable(
        self, name: str, name_node: ScalarNode, value_node: Node, parent_key: str
    ) -> VariableInput:
        key = _join(parent_key, name)
        if not name.strip():
            self.fail("a variable name cannot be empty", name_node, key)
        for char in name:
            if unicodedata.category(char) == "Cc" and char not in "\t\n\r":
                self.fail(
                    f"the variable name contains the control character U+{ord(char):04X}",
                    name_node,
                    key,
                )
        location = Location(self.path, _line(name_node))
        if isinstance(value_node, ScalarNode):
            return VariableInput(name, self.interpolated(value_node, key), "NAME", location)
        if not isinstance(value_node, MappingNode):
            self.fail(
                f"a variable value is text or a mapping {{value: ..., type: ...}}, "
                f"got {_describe(value_node)}",
                value_node,
                key,
            )
        entries = self.entries(value_node, key, VARIABLE_KEYS, "a mapping")
        if "value" not in entries:
            self.fail("missing required key 'value'", value_node, key)
        value = self.raw_text(entries["value"][1], f"{key}.value", "text")
        value_type = "NAME"
        type_node = self.optional(entries, "type")
        if type_node is not None:
            type_key = f"{key}.type"
            written = self.raw_text(type_node, type_key, "NAME, ID or EXPRESSION").strip()
            value_type = written.upper()
            if value_type not in VARIABLE_TYPES:
                self.fail(
                    f"unknown variable type {written!r}{did_you_mean(value_type, VARIABLE_TYPES)}"
                    "; expected NAME, ID or EXPRESSION",
                    type_node,
                    type_key,
                )
        return VariableInput(name, value, value_type, location)

    def check_needs(
        self, deployments: list[Deployment], needs: Mapping[str, _Needs], parallel: bool
    ) -> None:
        names = [d.name for d in deployments]
        for name, entry in needs.items():
            key = f"deployments[{entry.index}].needs"
            if entry.items and not parallel:
                self.fail(
                    "needs only applies with parallel: true "
                    "(with parallel: false deployments run in listed order)",
                    entry.line,
                    key,
                )
            for position, (need, line) in enumerate(entry.items):
                item_key = f"{key}[{position}]" if line is not None else key
                where = line if line is not None else entry.line
                if need == name:
                    self.fail(f"{name!r} cannot need itself", where, item_key)
                if need not in names:
                    candidates = [n for n in names if n != name]
                    self.fail(
                        f"needs unknown deployment {need!r}{did_you_mean(need, candidates)}",
                        where,
                        item_key,
                    )
        cycle = _find_cycle(names, {n: [x for x, _ in e.items] for n, e in needs.items()})
        if cycle is not None:
            first = needs[cycle[0]]
            self.fail(
                f"needs form a cycle: {' -> '.join(cycle)}",
                first.line,
                f"deployments[{first.index}].needs",
            )


def _find_cycle(order: Sequence[str], edges: Mapping[str, Sequence[str]]) -> Optional[list[str]]:
    """A cycle as [a, b, ..., a], starting at its earliest listed member; iterative DFS."""
    rank = {name: i for i, name in enumerate(order)}
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    for start in order:
        if state.get(start):
            continue
        path: list[str] = [start]
        iterators = [iter(edges.get(start, ()))]
        state[start] = 1
        while iterators:
            nxt = next(iterators[-1], None)
            if nxt is None:
                state[path.pop()] = 2
                iterators.pop()
                continue
            if state.get(nxt) == 1:
                loop = path[path.index(nxt) :]
                pivot = min(range(len(loop)), key=lambda i: rank[loop[i]])
                loop = loop[pivot:] + loop[:pivot]
                return [*loop, loop[0]]
            if not state.get(nxt):
                state[nxt] = 1
                path.append(nxt)
                iterators.append(iter(edges.get(nxt, ())))
    return None


def _lenient_names(root: MappingNode, environ: Mapping[str, str]) -> list[str]:
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
                if not isinstance(value_node, ScalarNode) or value_node.tag == _NULL:
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


# --- small helpers ----------------------------------------------------------------------------


def _load(data: Union[str, bytes], path: str, environ: Mapping[str, str]) -> Spec:
    text = _decode(data, path)
    root, deferred = _compose(text, path)
    return _Walker(path, environ).spec(root, deferred)


def _line(node: Node) -> Optional[int]:
    mark = node.start_mark
    return mark.line + 1 if mark is not None else None


def _is_null(node: Node) -> bool:
    return isinstance(node, ScalarNode) and node.tag == _NULL


def _describe(node: Node) -> str:
    if isinstance(node, MappingNode):
        return "a mapping"
    if isinstance(node, SequenceNode):
        return "a list"
    value = str(node.value)
    if node.tag == _NULL:
        return "an empty value" if value in ("", "~") else "null"
    if node.tag == _BOOL:
        return f"the boolean {value}"
    if node.tag in (_INT, _FLOAT):
        return f"the number {value}"
    shown = value if len(value) <= 60 else value[:57] + "..."
    return f"the text {shown!r}"


def _join(path: str, key: str) -> str:
    part = key if _PLAIN_KEY.fullmatch(key) else f"[{key!r}]"
    if not path:
        return part
    return _append(path, part)


def _append(path: str, segment: str) -> str:
    return path + segment if segment.startswith("[") else f"{path}.{segment}"


# Everything str.splitlines() breaks on: a message is one log line and one JUnit attribute.
_BREAKS = {ord(c): f"\\x{ord(c):02x}" for c in "\x0b\x0c\x1c\x1d\x1e\x85"}
_BREAKS.update({ord("\n"): "\\n", ord("\r"): "\\r", 0x2028: "\\u2028", 0x2029: "\\u2029"})


def _one_line(text: str) -> str:
    return text.translate(_BREAKS)


def _name_list(names: Sequence[str]) -> str:
    shown = ", ".join(repr(n) for n in names[:10])
    return shown + (f" and {len(names) - 10} more" if len(names) > 10 else "")
