"""The deployment spec: load deploy.yaml (or standard input) into the typed model.

    load_spec(path, environ, stdin=None) -> Spec        # raises the first SpecError
    load_spec_text(text, path, environ) -> Spec
    collect_spec_errors(text, path, environ) -> list    # every error, up to MAX_ERRORS
    read_spec_source(path, stdin=None) -> (name, data)  # "-" reads standard input
    json_schema() -> dict                               # the JSON Schema of the format

The keys, their kinds and defaults are described once, in fields.py.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from typing import IO, Any, Optional, Union

from ..errors import SpecError
from ..model import Spec
from .document import DEFAULT_TIMEOUT
from .interpolation import interpolate
from .loader import (
    ARTIFACT_KEYS,
    DEPLOYMENT_KEYS,
    MANIFEST_KEYS,
    TOP_KEYS,
    VARIABLE_KEYS,
    load_text,
    select_deployments,
)
from .nodes import MAX_DEPTH, MAX_DURATION, MAX_ERRORS, MAX_NODES, MAX_SPEC_BYTES, one_line
from .values import SPEC_VERSION
from .variables import VARIABLE_TYPES

__all__ = [
    "ARTIFACT_KEYS",
    "DEFAULT_TIMEOUT",
    "DEPLOYMENT_KEYS",
    "MANIFEST_KEYS",
    "MAX_DEPTH",
    "MAX_DURATION",
    "MAX_ERRORS",
    "MAX_NODES",
    "MAX_SPEC_BYTES",
    "SPEC_VERSION",
    "STDIN",
    "STDIN_NAME",
    "TOP_KEYS",
    "VARIABLE_KEYS",
    "VARIABLE_TYPES",
    "collect_spec_errors",
    "interpolate",
    "json_schema",
    "load_spec",
    "load_spec_text",
    "read_spec_source",
    "select_deployments",
]

STDIN = "-"  # the spec path that means standard input
STDIN_NAME = "<stdin>"  # how messages and reports name it


def json_schema() -> dict[str, Any]:
    """The JSON Schema (draft-07) of the spec, generated from the key table; the package
    ships it as harness_gate/schema/deploy-spec.schema.json."""
    from .schema import json_schema as generate

    return generate()


def load_spec(path: str, environ: Mapping[str, str], *, stdin: Optional[IO[Any]] = None) -> Spec:
    """Read, check and interpolate the spec at path ("-": standard input, or `stdin` when
    given); raises SpecError only, the first mistake found."""
    name, data = read_spec_source(path, stdin=stdin)
    return load_spec_text(data, name, environ)


def load_spec_text(text: Union[str, bytes], path: str, environ: Mapping[str, str]) -> Spec:
    """load_spec from memory; path only names the file in messages and in the model."""
    spec, errors = load_text(text, path, environ, limit=1)
    if spec is None:
        raise errors[0]
    return spec


def collect_spec_errors(
    text: Union[str, bytes],
    path: str,
    environ: Mapping[str, str],
    *,
    limit: int = MAX_ERRORS,
) -> list[SpecError]:
    """Every mistake found in the spec, in the order found, at most `limit` (a file that
    cannot be read as YAML at all, or hits a size limit, gives one); [] when it loads. The
    first is the error load_spec_text raises."""
    _, errors = load_text(text, path, environ, limit=limit)
    return errors


def read_spec_source(path: str, *, stdin: Optional[IO[Any]] = None) -> tuple[str, bytes]:
    """(the name messages use, the bytes) of a spec path; "-" reads standard input (or the
    stream given), named <stdin>. At most MAX_SPEC_BYTES + 1 bytes are read, so that an
    oversized input is refused without filling memory. Raises SpecError."""
    if path == STDIN:
        return STDIN_NAME, _read_stream(stdin)
    return path, _read_file(path)


def _read_stream(stdin: Optional[IO[Any]]) -> bytes:
    stream: Any = stdin if stdin is not None else sys.stdin
    if stream is None:
        raise SpecError("cannot read the spec: there is no standard input", file=STDIN_NAME)
    if stdin is None and getattr(stream, "buffer", None) is not None:
        stream = stream.buffer  # bytes, so the decoding rules are the file's
    try:
        if stream.isatty():
            raise SpecError(
                "cannot read the spec: standard input is a terminal; pipe the spec in "
                "(harness-gate validate - < deploy.yaml)",
                file=STDIN_NAME,
            )
    except (AttributeError, ValueError, OSError):
        pass
    try:
        data = stream.read(MAX_SPEC_BYTES + 1)
    except OSError as exc:
        reason = exc.strerror or str(exc) or type(exc).__name__
        raise SpecError(one_line(f"cannot read the spec: {reason}"), file=STDIN_NAME) from None
    except ValueError as exc:  # a closed stream
        raise SpecError(one_line(f"cannot read the spec: {exc}"), file=STDIN_NAME) from None
    if isinstance(data, str):
        return data.encode("utf-8", "surrogatepass")
    return bytes(data or b"")


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
        raise SpecError(one_line(f"cannot read the spec: {reason}"), file=path) from None
    except ValueError as exc:  # e.g. a NUL in the path
        raise SpecError(one_line(f"cannot read the spec: {exc}"), file=path) from None
