"""${VAR} and ${VAR:-default} in spec values; $$ is a literal $.

Harness expressions share the syntax (${workflow.variables.x}); a reference that looks like
one gets a message saying how to pass it on ($${...}).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

_MAX_DEFAULT_NESTING = 10  # ${A:-${B:-...}}
_VAR_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_DOLLAR_OR_CLOSE = re.compile(r"[$}]")
_DOLLAR = re.compile(r"\$")


def interpolate(text: str, environ: Mapping[str, str]) -> str:
    """Expand ${VAR} and ${VAR:-default}; $$ is a literal $. Raises ValueError with a reason."""
    if "$" not in text:
        return text
    expanded, _ = _expand(text, 0, environ, evaluate=True, nesting=0)
    return expanded


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
