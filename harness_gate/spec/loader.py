"""Load deploy.yaml into the typed model: checked, interpolated, located by file:line and key.

Every failure is a SpecError, whatever the input: the gate turns it into one line and a
report, never a traceback. The text is decoded here, composed into YAML nodes (compose.py)
and walked into the model (document.py and the readers it composes). Which keys a mapping
may hold and how each value is read comes from the table in fields.py.
"""

from __future__ import annotations

import codecs
import dataclasses
import re
from collections.abc import Mapping, Sequence
from typing import Optional, Union

from ..errors import SpecError, UsageError
from ..model import Spec
from ..suggest import did_you_mean
from . import fields as F
from .compose import compose
from .document import SpecWalker
from .nodes import MAX_SPEC_BYTES, name_list, one_line
from .walker import Stop

TOP_KEYS = F.keys_of(F.TOP)
DEPLOYMENT_KEYS = F.keys_of(F.DEPLOYMENT)
ARTIFACT_KEYS = F.keys_of(F.ARTIFACT)
MANIFEST_KEYS = F.keys_of(F.MANIFEST)
VARIABLE_KEYS = F.keys_of(F.VARIABLE)

# What PyYAML's reader refuses; checked first so the message names the line and the character.
_NON_PRINTABLE = re.compile(
    "[^\x09\x0a\x0d\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]"
)
_LINE_BREAK = re.compile("\r\n|[\n\r\x85\u2028\u2029]")  # the breaks PyYAML counts as lines


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
                one_line(f"internal error while reading the spec: {type(exc).__name__}: {exc}"),
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
                one_line(
                    f"--only: {spec.path} has no deployment named {name!r}"
                    f"{did_you_mean(name, declared)}; it declares {name_list(declared)}"
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
                    one_line(
                        f"{deployment.name!r} needs {need!r}, which --only did not select "
                        f"(add --only {need!r} or leave out --only)"
                    ),
                    file=spec.path,
                    line=deployment.location.line if deployment.location else None,
                    key=f"deployments[{index}].needs",
                    deployment_names=[d.name for d in selected],
                )
    return dataclasses.replace(spec, deployments=selected)


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


def _load(
    data: Union[str, bytes], path: str, environ: Mapping[str, str], limit: int
) -> tuple[Optional[Spec], list[SpecError]]:
    text = _decode(data, path)
    root, deferred = compose(text, path)
    document = SpecWalker(path, environ, limit)
    errors = document.walker.errors
    spec: Optional[Spec] = None
    try:
        spec = document.spec(root, deferred)
    except Stop:
        pass
    except SpecError as exc:  # the file as a whole is wrong: nothing else to say
        errors.append(exc)
    if spec is None and not errors:  # pragma: no cover - a walker bug
        raise AssertionError("the walk ended without a spec and without an error")
    return spec, errors[: document.walker.limit]
