"""Load deploy.yaml into the typed model: checked, interpolated, located by file:line and key.

Every failure is a SpecError, whatever the input: the gate turns it into one line and a
report, never a traceback. The YAML is composed, not constructed, so values keep the text
the user wrote (`1.10` stays "1.10") and every node knows its line. Which keys a mapping may
hold and how each value is read comes from the table in fields.py.

The walker goes on after a mistake, so that `validate` can list every error it finds; the
first error found is the one `run` reports.
"""

from __future__ import annotations

import codecs
import dataclasses
import math
import re
import unicodedata
from collections.abc import Mapping, Sequence
from functools import partial
from typing import Any, Callable, NoReturn, Optional, TypeVar, Union

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from ..durations import parse_duration
from ..errors import SpecError, UsageError
from ..model import (
    FIRSTGEN,
    NEXTGEN,
    PIPELINE,
    PLATFORMS,
    WORKFLOW,
    ArtifactInput,
    Deployment,
    Location,
    ManifestInput,
    NextGenTarget,
    Spec,
    StageArtifactInput,
    VariableInput,
)
from ..suggest import did_you_mean
from . import fields as F

MAX_SPEC_BYTES = 1024 * 1024  # a spec is a page of YAML; anything bigger is the wrong file
MAX_DEPTH = 50  # a real spec nests 6 levels; the bound keeps recursion far from the stack limit
MAX_NODES = 20_000  # nodes composed, and again nodes visited through aliases (YAML bombs)
MAX_DURATION = 365 * 86400.0  # past this a timeout is a typo, and datetime math may overflow
MAX_ERRORS = 20  # collect_spec_errors stops after this many
_MAX_MERGE_DEPTH = 20  # `<<` merges of merges; also stops a mapping merging itself
_MAX_DEFAULT_NESTING = 10  # ${A:-${B:-...}}

DEFAULT_TIMEOUT = 1800.0
SPEC_VERSION = 1

TOP_KEYS = F.keys_of(F.TOP)
DEPLOYMENT_KEYS = F.keys_of(F.DEPLOYMENT)
ARTIFACT_KEYS = F.keys_of(F.ARTIFACT)
MANIFEST_KEYS = F.keys_of(F.MANIFEST)
VARIABLE_KEYS = F.keys_of(F.VARIABLE)
VARIABLE_TYPES = ("NAME", "ID")

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

_T = TypeVar("_T")


# --- entry points (public through harness_gate.spec) ------------------------------------------


def load_text(
    data: Union[str, bytes], path: str, environ: Mapping[str, str], limit: int
) -> tuple[Optional[Spec], list[SpecError]]:
    """The spec, or the first `limit` errors found (then the spec is None)."""
    try:
        return _load(data, path, environ, limit)
    except SpecError as exc:
        return None, [exc]
    except RecursionError:
        return None, [SpecError("the spec is nested too deeply to read", file=path)]
    except Exception as exc:
        # The contract is "SpecError or a Spec" whatever the bytes; a bug must not become a
        # traceback in someone's CI log. Tests assert this branch never runs.
        return None, [
            SpecError(
                _one_line(f"internal error while reading the spec: {type(exc).__name__}: {exc}"),
                file=path,
            )
        ]


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
        if len(self.deferred) < MAX_ERRORS:
            self.deferred.append(
                SpecError(
                    _one_line(message),
                    file=self.spec_file,
                    line=line,
                    key=_one_line(key) if key else None,
                )
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


def _compose(text: str, path: str) -> tuple[Optional[Node], list[SpecError]]:
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
_MISSING = {
    "version": "missing required key 'version' (add `version: 1`)",
    "deployments": "missing required key 'deployments' (the list of what to run)",
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


class _Stop(Exception):
    """The error limit is reached, or a hard limit makes going on pointless."""


@dataclasses.dataclass
class _Needs:
    index: int
    line: Optional[int]
    items: list[tuple[str, Optional[int]]]


class _Walker:
    def __init__(self, path: str, environ: Mapping[str, str], limit: int) -> None:
        self.path = path
        self.environ = environ
        self.limit = max(1, limit)
        self.platform = FIRSTGEN
        self.names: list[str] = []
        self.errors: list[SpecError] = []
        self.failed_defaults: set[str] = set()
        self._visited = 0

    # errors

    def error(self, message: str, where: Union[Node, int, None], key: Optional[str]) -> SpecError:
        line = where if isinstance(where, int) or where is None else _line(where)
        return SpecError(
            _one_line(message),
            file=self.path,
            line=line,
            key=_one_line(key) if key else None,
            deployment_names=self.names,
        )

    def fail(self, message: str, where: Union[Node, int, None], key: Optional[str]) -> NoReturn:
        raise self.error(message, where, key)

    def report(self, message: str, where: Union[Node, int, None], key: Optional[str]) -> None:
        self.record(self.error(message, where, key))

    def record(self, err: SpecError, *, fatal: bool = False) -> None:
        if not any(str(e) == str(err) for e in self.errors):
            self.errors.append(err)
        if fatal or len(self.errors) >= self.limit:
            raise _Stop

    def attempt(self, read: Callable[[], _T]) -> Optional[_T]:
        """read(), or None after recording its SpecError: the walk goes on after a mistake."""
        try:
            return read()
        except _Reported:
            return None
        except SpecError as err:
            self.record(err)
            return None

    def visit(self, node: Node) -> None:
        self._visited += 1
        if self._visited > MAX_NODES:
            message = f"the spec expands to more than {MAX_NODES} YAML nodes through aliases"
            self.record(self.error(message, node, None), fatal=True)

    # mappings

    def entries(
        self,
        node: Node,
        key: str,
        scope: Optional[str],
        what: str,
        *,
        merge_depth: int = 0,
    ) -> dict[str, _Entry]:
        """The mapping's keys in order, `<<` merges applied (explicit keys win); with a scope,
        keys the table does not allow there are reported and left out."""
        if not isinstance(node, MappingNode):
            self.fail(f"expected {what}, got {_describe(node)}", node, key)
        result: dict[str, _Entry] = {}
        merges: list[Node] = []
        for key_node, value_node in node.value:
            self.visit(value_node)
            if key_node.tag == _MERGE:
                merges.append(value_node)
                continue
            if not isinstance(key_node, ScalarNode) or key_node.tag in _NOT_TEXT_KEYS:
                continue  # reported while composing
            result.setdefault(str(key_node.value), (key_node, value_node))
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
                merged = self.entries(source, key, None, what, merge_depth=merge_depth + 1)
                for name, entry in merged.items():
                    result.setdefault(name, entry)
        if scope is not None and merge_depth == 0:
            result = self.allowed_only(result, key, scope)
        return result

    def allowed_only(self, entries: dict[str, _Entry], key: str, scope: str) -> dict[str, _Entry]:
        allowed = F.keys_of(scope, self.platform)
        kept: dict[str, _Entry] = {}
        for name, entry in entries.items():
            if name in allowed:
                kept[name] = entry
            else:
                self.report(self.unknown_key(name, scope, allowed), entry[0], _join(key, name))
        return kept

    def unknown_key(self, name: str, scope: str, allowed: Sequence[str]) -> str:
        other = next((p for p in PLATFORMS if p != self.platform), NEXTGEN)
        current, elsewhere = F.PLATFORM_LABELS[self.platform], F.PLATFORM_LABELS[other]
        platform_hint = (
            f"unknown key here; {name} belongs to {elsewhere} specs (platform: {other}), "
            f"and this spec is for {current}"
            + (" (platform: firstgen is the default)" if self.platform == FIRSTGEN else "")
        )
        if name in F.keys_of(scope, other):
            return platform_hint
        for (written, belongs), hint in _SCOPE_HINTS.items():
            if written == scope and name in _own_keys(belongs, self.platform):
                return f"unknown key here; {hint}"
        suggestion = did_you_mean(name, allowed)
        if suggestion:
            return f"unknown key{suggestion}"
        if any(name in F.keys_of(s, other) for s in F.SCOPES):
            return platform_hint
        return f"unknown key; expected one of: {', '.join(allowed)}"

    def required(
        self,
        entries: Mapping[str, _Entry],
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
        self, entries: Mapping[str, _Entry], node: Node, key: str, pair: tuple[str, str]
    ) -> Optional[str]:
        """Which of the two keys is given; reports both or neither."""
        first = pair[0]
        given = [k for k in pair if k in entries]
        if len(given) == 1:
            return given[0]
        if given:
            later = max((entries[k][0] for k in pair), key=lambda k: _line(k) or 0)
            messages = {
                "workflow": "a deployment runs one thing: give workflow or pipeline, not both",
                "pipeline": "a deployment runs one pipeline: give pipeline (its identifier) or "
                "pipeline_name, not both",
                "build": "give build or artifact_id, not both",
                "version": "give version or chart_id, not both",
            }
            self.report(messages[first], later if first != "build" else node, key)
        else:
            messages = {
                "workflow": "missing workflow: or pipeline: "
                "(the name of the Harness workflow or pipeline)",
                "pipeline": "missing pipeline: (the pipeline identifier) or pipeline_name:",
                "build": "missing build: (with source:) or artifact_id: (which artifact to deploy)",
                "version": "missing version: (the chart version) or chart_id:",
            }
            self.report(messages[first], node, key)
        return None

    def optional(self, entries: Mapping[str, _Entry], name: str) -> Optional[Node]:
        """The value of an optional key; an empty value or null counts as leaving it out."""
        entry = entries.get(name)
        if entry is None or _is_null(entry[1]):
            return None
        return entry[1]

    def values(self, entries: Mapping[str, _Entry], key: str, scope: str) -> dict[str, Any]:
        """Each key of the scope that is given, read by its kind; a value that has a mistake
        is reported and left out. Null is leaving a key out unless the key is required or one
        of a pair."""
        result: dict[str, Any] = {}
        for name in F.keys_of(scope, self.platform):
            field = F.field_of(scope, name)
            entry = entries.get(name)
            if field is None or entry is None:
                continue
            if _is_null(entry[1]) and not field.required and name not in F.PAIRED:
                continue
            before = len(self.errors)
            node = entry[1]
            value = self.attempt(partial(self.read, field, node, _join(key, name)))
            if len(self.errors) == before:
                result[name] = value
        return result

    def read(self, field: F.Field, node: Node, key: str) -> Any:
        kind = field.kind
        label = _LABELS.get(field.key, field.key)
        if kind == F.NAME:
            return self.name(node, key, label, strict=field.key == "name")
        if kind == F.TEXT:
            return self.raw_text(node, key, "text")
        if kind == F.VALUE:
            return self.value_text(node, key, field.key)
        if kind == F.BOOLEAN:
            return self.boolean(node, key)
        if kind == F.DURATION:
            return self.duration(node, key)
        if kind == F.NAMES:
            return self.name_list(node, key, field.key)
        if kind == F.PLATFORM:
            return self.platform_of(node, key)
        if kind == F.VERSION:
            return self.version(node, key)
        if kind == F.DEPLOYMENTS:
            return self.deployments(node, key)
        if kind == F.ARTIFACTS:
            reader = self.artifact if self.platform == FIRSTGEN else self.stage_artifact
            return self.items(node, key, "artifacts", reader)
        if kind == F.MANIFESTS:
            return self.items(node, key, "manifests", self.manifest)
        if kind == F.VARIABLES:
            return self.variables(node, key)
        if kind == F.PARAMETERS:
            return self.parameters(node, key)
        if kind == F.INPUTS_YAML:
            return self.inputs_yaml(node, key)
        raise AssertionError(f"no reader for {kind}")  # pragma: no cover

    def items(self, node: Node, key: str, what: str, reader: Callable[[Node, str], _T]) -> list[_T]:
        if not isinstance(node, SequenceNode):
            self.fail(f"expected a list of {what}, got {_describe(node)}", node, key)
        result: list[_T] = []
        before = len(self.errors)
        for position, item in enumerate(node.value):
            self.visit(item)
            read = self.attempt(partial(reader, item, f"{key}[{position}]"))
            if read is not None:
                result.append(read)
        if len(self.errors) > before:
            raise _Reported
        return result

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

    def value_text(self, node: Node, key: str, what: str) -> str:
        """A build number, artifact id, tag or version: the scalar text as written, not empty."""
        text = self.raw_text(node, key, f"{what} text")
        if not text.strip():
            self.fail(f"{what} is empty", node, key)
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

    def version(self, node: Node, key: str) -> int:
        version = self.scalar(node, key, "version: 1")
        if version.tag == _STR and version.value.strip() == "1":
            self.fail("version is the number 1, not text (remove the quotes)", version, key)
        if version.tag != _INT or version.value != "1":
            self.fail(
                f"unsupported spec version {version.value!r}; this harness-gate reads version: 1",
                version,
                key,
            )
        return SPEC_VERSION

    def platform_of(self, node: Node, key: str) -> str:
        written = self.raw_text(node, key, " or ".join(PLATFORMS)).strip()
        platform = written.lower()
        if platform not in PLATFORMS:
            self.fail(
                f"unknown platform {written!r}{did_you_mean(platform, PLATFORMS)}; "
                f"expected {' or '.join(PLATFORMS)}",
                node,
                key,
            )
        return platform

    def name_list(self, node: Node, key: str, field: str) -> list[tuple[str, Optional[int]]]:
        """Names in order without repeats, each with its line (None: written without a list)."""
        items: list[tuple[str, Optional[int]]] = []
        what = f"a {field} entry"
        if isinstance(node, ScalarNode):  # `needs: build` reads as a list of one
            items.append((self.name(node, key, what, strict=True), None))
        elif isinstance(node, SequenceNode):
            before = len(self.errors)
            for position, item in enumerate(node.value):
                self.visit(item)
                item_key = f"{key}[{position}]"
                text = self.attempt(partial(self.name, item, item_key, what, strict=True))
                if text is not None:
                    items.append((text, _line(item)))
            if len(self.errors) > before:
                raise _Reported
        else:
            listed = _LIST_OF.get(field, "a list of names")
            self.fail(f"expected {listed}, got {_describe(node)}", node, key)
        first_of: dict[str, Optional[int]] = {}
        for text, line in items:
            first_of.setdefault(text, line)
        return list(first_of.items())

    # the spec

    def spec(self, root: Optional[Node], deferred: Sequence[SpecError]) -> Optional[Spec]:
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
        for err in deferred:
            self.record(
                SpecError(
                    err.detail,
                    file=err.file,
                    line=err.line,
                    key=err.key,
                    deployment_names=self.names,
                )
            )
        top = self.entries(root, "", None, "a mapping")
        platform_node = self.optional(top, "platform")
        if platform_node is not None:
            platform = self.attempt(lambda: self.platform_of(platform_node, "platform"))
            if platform is None:
                # Every other key would be judged against the wrong platform: stop here.
                raise _Stop
            self.platform = platform
        top = self.allowed_only(top, "", F.TOP)
        self.required(top, root, "", F.TOP, only=("version",))
        values = self.values({k: v for k, v in top.items() if k != "platform"}, "", F.TOP)
        self.required(top, root, "", F.TOP, only=("deployments",))
        # top-level defaults written with a mistake: already reported, not missing
        self.failed_defaults = {
            k for k in top if self.optional(top, k) is not None and k not in values
        }
        defaults = {
            "timeout": DEFAULT_TIMEOUT,
            "abort_on_exit": False,
            "allow_unknown_variables": False,
            "continue_with_default_values": False,
            **{k: v for k, v in values.items() if k in DEPLOYMENT_KEYS},
        }
        parallel = bool(values.get("parallel", False))
        # a parallel: with a mistake is reported; needs are then not judged by it
        parallel_known = self.optional(top, "parallel") is None or "parallel" in values

        deployments: list[Deployment] = []
        declared: list[str] = []
        needs: dict[str, _Needs] = {}
        first_line: dict[str, Optional[int]] = {}
        listed = values.get("deployments")
        if listed is not None:
            before = len(self.errors)
            for index, item in enumerate(listed):
                self.visit(item)
                read = self.attempt(
                    partial(self.deployment, item, index, defaults, first_line, declared, needs)
                )
                if read is not None:
                    deployments.append(read)
            if len(self.errors) == before:
                self.names = [d.name for d in deployments]
            self.check_needs(declared, needs, parallel or not parallel_known)
        if self.errors or listed is None:
            return None
        return Spec(
            path=self.path,
            deployments=deployments,
            version=SPEC_VERSION,
            application=defaults.get("application"),
            notes=defaults.get("notes"),
            timeout=defaults["timeout"],
            parallel=parallel,
            poll_interval=values.get("poll_interval"),
            abort_on_exit=defaults["abort_on_exit"],
            allow_unknown_variables=defaults["allow_unknown_variables"],
            platform=self.platform,
            org=defaults.get("org"),
            project=defaults.get("project"),
            continue_with_default_values=defaults["continue_with_default_values"],
        )

    def deployments(self, node: Node, key: str) -> list[Node]:
        if not isinstance(node, SequenceNode):
            self.fail(f"expected a list of deployments, got {_describe(node)}", node, key)
        if not node.value:
            self.fail("is empty; list at least one deployment", node, key)
        return list(node.value)

    def deployment(
        self,
        node: Node,
        index: int,
        defaults: Mapping[str, Any],
        first_line: dict[str, Optional[int]],
        declared: list[str],
        needs: dict[str, _Needs],
    ) -> Deployment:
        key = f"deployments[{index}]"
        before = len(self.errors)
        entries = self.entries(
            node,
            key,
            F.DEPLOYMENT,
            "a deployment (a mapping with name:, workflow: or pipeline:, ...)",
        )
        self.required(entries, node, key, F.DEPLOYMENT)
        name: Optional[str] = None
        if "name" in entries:
            name_node = entries["name"][1]
            name = self.attempt(
                lambda: self.name(name_node, f"{key}.name", "the deployment name", strict=True)
            )
            if name is not None:
                declared.append(name)
                if name in first_line:
                    self.report(
                        f"duplicate deployment name {name!r} (first at line {first_line[name]})",
                        name_node,
                        f"{key}.name",
                    )
                else:
                    first_line[name] = _line(name_node)
        for pair in F.one_of_rules(F.DEPLOYMENT, self.platform):
            self.one_of(entries, node, key, pair)
        values = self.values({k: v for k, v in entries.items() if k != "name"}, key, F.DEPLOYMENT)
        merged = {**defaults, **values}
        location = Location(self.path, _line(node))
        if self.platform == FIRSTGEN:
            if merged.get("application") is None and "application" not in self.failed_defaults:
                self.report(
                    "no application: set application: at the top level or in this deployment",
                    node,
                    key,
                )
        else:
            for scope_key in ("org", "project"):
                if merged.get(scope_key) is None and scope_key not in self.failed_defaults:
                    self.report(
                        f"no {scope_key}: set {scope_key}: at the top level or in this deployment",
                        node,
                        key,
                    )
            pipeline = values.get("pipeline")
            if pipeline is not None and any(c.isspace() for c in pipeline):
                self.report(
                    f"{pipeline!r} is not a pipeline identifier (identifiers have no spaces); "
                    "to give the pipeline's name, write pipeline_name:",
                    entries["pipeline"][1],
                    f"{key}.pipeline",
                )
        if name is not None and "needs" in values and name not in needs:
            # checked even when this deployment has mistakes, so that they are all reported
            needs[name] = _Needs(index, _line(entries["needs"][1]), values["needs"])
        needed = ("application",) if self.platform == FIRSTGEN else ("org", "project")
        unbuildable = any(merged.get(k) is None for k in needed)  # reported at the top
        if len(self.errors) > before or name is None or unbuildable:
            raise _Reported
        variables: list[VariableInput] = values.get("variables", [])
        artifacts = values.get("artifacts", [])
        common: dict[str, Any] = {
            "name": name,
            "variables": variables,
            "notes": merged.get("notes"),
            "timeout": merged["timeout"],
            "abort_on_exit": merged["abort_on_exit"],
            "allow_unknown_variables": merged["allow_unknown_variables"],
            "location": location,
            "platform": self.platform,
        }
        if self.platform == FIRSTGEN:
            entity_type = WORKFLOW if "workflow" in values else PIPELINE
            deployment = Deployment(
                entity_type=entity_type,
                entity_name=values[entity_type],
                application=merged["application"],
                artifacts=artifacts,
                manifests=values.get("manifests", []),
                continue_with_default_values=merged["continue_with_default_values"],
                **common,
            )
        else:
            target = NextGenTarget(
                org=merged["org"],
                project=merged["project"],
                pipeline=values.get("pipeline"),
                pipeline_name=values.get("pipeline_name"),
                input_sets=[n for n, _ in values.get("input_sets", [])],
                inputs=values.get("inputs"),
                stages=[n for n, _ in values.get("stages", [])],
                branch=values.get("branch"),
                artifacts=artifacts,
            )
            deployment = Deployment(
                entity_type=PIPELINE,
                entity_name=target.pipeline or target.pipeline_name or "",
                application=f"{target.org}/{target.project}",
                nextgen=target,
                **common,
            )
        deployment.needs = [need for need, _ in values.get("needs", [])]
        return deployment

    def artifact(self, node: Node, key: str) -> ArtifactInput:
        before = len(self.errors)
        entries = self.entries(
            node, key, F.ARTIFACT, "an artifact (a mapping with service: and build:)"
        )
        self.required(entries, node, key, F.ARTIFACT)
        chosen = self.one_of(entries, node, key, ("build", "artifact_id"))
        values = self.values(entries, key, F.ARTIFACT)
        source_node = self.optional(entries, "source")
        parameters_node = self.optional(entries, "parameters")
        if chosen == "artifact_id":
            if source_node is not None:
                self.report(
                    "source only goes with build; artifact_id names the artifact by itself",
                    source_node,
                    f"{key}.source",
                )
            if parameters_node is not None:
                self.report(
                    "parameters only go with build: they pick the build of a parameterized "
                    "artifact source",
                    parameters_node,
                    f"{key}.parameters",
                )
        elif chosen == "build" and source_node is None:
            self.report(
                "missing required key 'source': a build needs its artifact source name",
                node,
                key,
            )
        if len(self.errors) > before:
            raise _Reported
        return ArtifactInput(
            service=values["service"],
            source=values.get("source"),
            build=values.get("build"),
            artifact_id=values.get("artifact_id"),
            location=Location(self.path, _line(node)),
            parameters=tuple(values.get("parameters", ())),
        )

    def stage_artifact(self, node: Node, key: str) -> StageArtifactInput:
        before = len(self.errors)
        entries = self.entries(
            node, key, F.ARTIFACT, "an artifact (a mapping with stage: and tag:)"
        )
        self.required(entries, node, key, F.ARTIFACT)
        values = self.values(entries, key, F.ARTIFACT)
        if len(self.errors) > before:
            raise _Reported
        return StageArtifactInput(
            stage=values["stage"], tag=values["tag"], location=Location(self.path, _line(node))
        )

    def manifest(self, node: Node, key: str) -> ManifestInput:
        before = len(self.errors)
        entries = self.entries(
            node, key, F.MANIFEST, "a manifest (a mapping with service:, manifest: and version:)"
        )
        self.required(entries, node, key, F.MANIFEST)
        self.one_of(entries, node, key, ("version", "chart_id"))
        values = self.values(entries, key, F.MANIFEST)
        if len(self.errors) > before:
            raise _Reported
        return ManifestInput(
            service=values["service"],
            manifest=values["manifest"],
            version=values.get("version"),
            chart_id=values.get("chart_id"),
            location=Location(self.path, _line(node)),
        )

    def variables(self, node: Node, key: str) -> list[VariableInput]:
        result: list[VariableInput] = []
        before = len(self.errors)
        for var_name, (name_node, value_node) in self.entries(
            node, key, None, "a mapping of variable name to value"
        ).items():
            read = self.attempt(partial(self.variable, var_name, name_node, value_node, key))
            if read is not None:
                result.append(read)
        if len(self.errors) > before:
            raise _Reported
        return result

    def input_name(self, name: str, name_node: ScalarNode, key: str, what: str) -> None:
        if not name.strip():
            self.fail(f"a {what} name cannot be empty", name_node, key)
        for char in name:
            if unicodedata.category(char) == "Cc" and char not in "\t\n\r":
                self.fail(
                    f"the {what} name contains the control character U+{ord(char):04X}",
                    name_node,
                    key,
                )

    def variable(
        self, name: str, name_node: ScalarNode, value_node: Node, parent_key: str
    ) -> VariableInput:
        key = _join(parent_key, name)
        self.input_name(name, name_node, key, "variable")
        location = Location(self.path, _line(name_node))
        if isinstance(value_node, ScalarNode):
            return VariableInput(name, self.interpolated(value_node, key), "NAME", location)
        if not isinstance(value_node, MappingNode):
            shape = "{value: ..., type: ...}" if self.platform == FIRSTGEN else "{value: ...}"
            self.fail(
                f"a variable value is text or a mapping {shape}, got {_describe(value_node)}",
                value_node,
                key,
            )
        before = len(self.errors)
        entries = self.entries(value_node, key, F.VARIABLE, "a mapping")
        if "value" not in entries:
            self.fail("missing required key 'value'", value_node, key)
        value = self.attempt(lambda: self.raw_text(entries["value"][1], f"{key}.value", "text"))
        value_type = "NAME"
        type_node = self.optional(entries, "type")
        if type_node is not None:
            value_type = self.attempt(lambda: self.variable_type(type_node, f"{key}.type")) or ""
        if len(self.errors) > before or value is None:
            raise _Reported
        return VariableInput(name, value, value_type, location)

    def variable_type(self, node: Node, key: str) -> str:
        written = self.raw_text(node, key, "NAME or ID").strip()
        value_type = written.upper()
        if value_type == "EXPRESSION":
            self.fail(
                "variable type EXPRESSION cannot be sent: Harness refuses it when starting an "
                'execution ("Expression Type not supported"); give the value as a NAME or an '
                "ID",
                node,
                key,
            )
        if value_type not in VARIABLE_TYPES:
            self.fail(
                f"unknown variable type {written!r}{did_you_mean(value_type, VARIABLE_TYPES)}"
                "; expected NAME or ID",
                node,
                key,
            )
        return value_type

    def parameters(self, node: Node, key: str) -> list[tuple[str, str]]:
        result: list[tuple[str, str]] = []
        before = len(self.errors)
        for param, (name_node, value_node) in self.entries(
            node, key, None, "a mapping of parameter name to value"
        ).items():

            def read(
                n: str = param,
                k: ScalarNode = name_node,
                v: Node = value_node,
                at: str = _join(key, param),
            ) -> str:
                self.input_name(n, k, at, "parameter")
                return self.raw_text(v, at, "text")

            value = self.attempt(read)
            if value is not None:
                result.append((param, value))
        if len(self.errors) > before:
            raise _Reported
        return result

    def inputs_yaml(self, node: Node, key: str) -> str:
        scalar = self.scalar(node, key, "runtime-input YAML as text (write `inputs: |`)")
        text = self.interpolated(scalar, key)
        if not text.strip():
            self.fail("inputs is empty", node, key)
        block = scalar.style in ("|", ">")
        where = _line(node)

        def at(inner: Optional[int]) -> Optional[int]:
            if not block or where is None or inner is None:
                return where
            return where + inner

        loader = _SpecLoader(text, self.path)
        try:
            inner = loader.get_single_node()
        except SpecError as exc:  # a limit
            self.fail(f"inputs: {exc.detail}", at(exc.line), key)
        except yaml.MarkedYAMLError as exc:
            parsed = _yaml_error(exc, self.path)
            self.fail(f"inputs is not valid YAML: {parsed.detail[14:]}", at(parsed.line), key)
        except yaml.YAMLError as exc:
            self.fail(_one_line(f"inputs is not valid YAML: {exc}"), node, key)
        finally:
            loader.dispose()
        if loader.deferred:
            first = loader.deferred[0]
            inner_key = f"{key} ({first.key})" if first.key else key
            self.fail(f"inputs: {first.detail}", at(first.line), inner_key)
        pipeline = None
        if isinstance(inner, MappingNode):
            for key_node, value_node in inner.value:
                if isinstance(key_node, ScalarNode) and key_node.value == "pipeline":
                    pipeline = value_node
                else:
                    self.fail(
                        "inputs holds runtime-input YAML whose only top key is pipeline:, "
                        f"found {_describe(key_node)}",
                        at(_line(key_node)),
                        key,
                    )
        if not isinstance(pipeline, MappingNode):
            self.fail(
                "inputs is runtime-input YAML: a mapping with the top key pipeline: "
                "(as Harness shows it under Run Pipeline, YAML view)",
                node,
                key,
            )
        return text

    def check_needs(self, declared: list[str], needs: Mapping[str, _Needs], parallel: bool) -> None:
        for name, entry in needs.items():
            key = f"deployments[{entry.index}].needs"
            if entry.items and not parallel:
                self.report(
                    "needs only applies with parallel: true "
                    "(with parallel: false deployments run in listed order)",
                    entry.line,
                    key,
                )
                continue
            for position, (need, line) in enumerate(entry.items):
                item_key = f"{key}[{position}]" if line is not None else key
                where = line if line is not None else entry.line
                if need == name:
                    self.report(f"{name!r} cannot need itself", where, item_key)
                elif need not in declared:
                    candidates = [n for n in declared if n != name]
                    self.report(
                        f"needs unknown deployment {need!r}{did_you_mean(need, candidates)}",
                        where,
                        item_key,
                    )
        cycle = _find_cycle(declared, {n: [x for x, _ in e.items] for n, e in needs.items()})
        if cycle is not None:
            first = needs[cycle[0]]
            self.report(
                f"needs form a cycle: {' -> '.join(cycle)}",
                first.line,
                f"deployments[{first.index}].needs",
            )


class _Reported(SpecError):
    """A part had mistakes, already recorded: leave it out and go on."""

    def __init__(self) -> None:
        super().__init__("(reported)", file="")


def _own_keys(scope: str, platform: str) -> tuple[str, ...]:
    """Keys written in the scope itself (a deployment's inherited keys are also top-level)."""
    if scope == F.TOP:
        return tuple(f.key for f in F.FIELDS if f.scope == F.TOP and f.applies_to(platform))
    return F.keys_of(scope, platform)


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


def _load(
    data: Union[str, bytes], path: str, environ: Mapping[str, str], limit: int
) -> tuple[Optional[Spec], list[SpecError]]:
    text = _decode(data, path)
    root, deferred = _compose(text, path)
    walker = _Walker(path, environ, limit)
    spec: Optional[Spec] = None
    try:
        spec = walker.spec(root, deferred)
    except _Stop:
        pass
    except SpecError as exc:  # the file as a whole is wrong: nothing else to say
        walker.errors.append(exc)
    if spec is None and not walker.errors:  # pragma: no cover - a walker bug
        raise AssertionError("the walk ended without a spec and without an error")
    return spec, walker.errors[: walker.limit]


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
