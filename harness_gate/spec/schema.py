"""The JSON Schema of the spec and the key reference of docs/spec.md, both from fields.py.

    python -m harness_gate.spec.schema            # print the schema
    python -m harness_gate.spec.schema --write    # rewrite the shipped schema file and the
                                                  # key reference in docs/spec.md

The schema is draft-07 (what the YAML language server of VS Code and other editors supports
best). It checks keys, shapes and types; rules that need the whole file (unique names, needs,
an application or org/project given somewhere, ${VAR} being set) stay the loader's.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, Optional

from ..model import FIRSTGEN, NEXTGEN, PLATFORMS
from . import fields as F

SCHEMA_FILE = Path(__file__).resolve().parent.parent / "schema" / "deploy-spec.schema.json"
DOCS_BEGIN = (
    "<!-- BEGIN key reference: generated from harness_gate/spec/fields.py by "
    "`python -m harness_gate.spec.schema --write`; edit the table there -->"
)
DOCS_END = "<!-- END key reference -->"

_INTERPOLATED = {"type": "string", "pattern": r"\$\{"}  # ${VAR}: checked once expanded
_SCALAR_TYPES = [
    "string",
    "number",
    "boolean",
]  # text is the scalar as written, whatever YAML makes of it
_YAML_BOOLEANS = [
    spelled
    for word in ("yes", "no", "on", "off")
    for spelled in (word, word.capitalize(), word.upper())
]
_DURATION = r"^\s*([0-9]+(\.[0-9]+)?|([0-9]+(\.[0-9]+)?(ms|s|m|h|d))+)\s*$"
_NEXTGEN_WORD = r"^\s*[Nn][Ee][Xx][Tt][Gg][Ee][Nn]\s*$"
_PLATFORM_WORD = r"^\s*([Ff][Ii][Rr][Ss][Tt]|[Nn][Ee][Xx][Tt])[Gg][Ee][Nn]\s*$"
_VARIABLE_TYPE = r"^\s*([Nn][Aa][Mm][Ee]|[Ii][Dd])\s*$"


def json_schema() -> dict[str, Any]:
    """The draft-07 JSON Schema of a deploy.yaml, generated from the key table."""
    definitions: dict[str, Any] = {}
    for platform in PLATFORMS:
        definitions[platform] = _object(F.TOP, platform, top=True)
        definitions[f"{platform}_deployment"] = _object(F.DEPLOYMENT, platform)
        definitions[f"{platform}_artifact"] = _object(F.ARTIFACT, platform)
        definitions[f"{platform}_variable"] = _object(F.VARIABLE, platform)
    definitions["manifest"] = _object(F.MANIFEST, FIRSTGEN)
    definitions[NEXTGEN]["required"] = [*definitions[NEXTGEN]["required"], "platform"]
    return {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "title": "harness-gate deployment spec",
        "description": "deploy.yaml of harness-gate: which Harness deployments to start and "
        "wait for. Reference: docs/spec.md.",
        "type": "object",
        "if": {
            "type": "object",
            "properties": {"platform": {"type": "string", "pattern": _NEXTGEN_WORD}},
            "required": ["platform"],
        },
        "then": {"$ref": f"#/definitions/{NEXTGEN}"},
        "else": {"$ref": f"#/definitions/{FIRSTGEN}"},
        "definitions": definitions,
    }


def _object(scope: str, platform: str, *, top: bool = False) -> dict[str, Any]:
    properties: dict[str, Any] = {}
    required: list[str] = []
    for key in F.keys_of(scope, platform):
        field = F.field_of(scope, key)
        assert field is not None
        shape = _shape(field, platform)
        if not field.required and key not in F.PAIRED:
            shape = {"anyOf": [{"type": "null"}, shape]}  # an empty value is leaving it out
        description = field.top_description if top and field.inherited else field.description
        properties[key] = {"description": _plain(description or ""), **shape}
        if field.required and field.scope == scope:
            required.append(key)
    result: dict[str, Any] = {
        "type": "object",
        "properties": properties,
        "required": required,
        "additionalProperties": False,
    }
    rules = F.one_of_rules(scope, platform)
    if rules:
        result["allOf"] = [
            {"oneOf": [{"required": [first]}, {"required": [second]}]} for first, second in rules
        ]
    return result


def _shape(field: F.Field, platform: str) -> dict[str, Any]:
    kind = field.kind
    if kind == F.VERSION:
        return {"type": "integer", "const": 1}
    if kind == F.PLATFORM:
        return {"type": "string", "pattern": _PLATFORM_WORD}
    if kind == F.NAME:
        return {"type": _SCALAR_TYPES, "minLength": 1}
    if kind == F.TEXT:
        return {"type": [*_SCALAR_TYPES, "null"]}
    if kind == F.VALUE:
        return {"type": [*_SCALAR_TYPES, "null"], "minLength": 1}
    if kind == F.BOOLEAN:
        return {
            "anyOf": [
                {"type": "boolean"},
                {"type": "string", "enum": _YAML_BOOLEANS},
                _INTERPOLATED,
            ]
        }
    if kind == F.DURATION:
        return {
            "anyOf": [
                {"type": "number", "exclusiveMinimum": 0, "maximum": 365 * 86400},
                {"type": "string", "pattern": _DURATION},
                _INTERPOLATED,
            ]
        }
    if kind == F.NAMES:
        name = {"type": _SCALAR_TYPES, "minLength": 1}
        return {"anyOf": [name, {"type": "array", "items": name}]}
    if kind == F.DEPLOYMENTS:
        return {
            "type": "array",
            "minItems": 1,
            "items": {"$ref": f"#/definitions/{platform}_deployment"},
        }
    if kind == F.ARTIFACTS:
        return {"type": "array", "items": {"$ref": f"#/definitions/{platform}_artifact"}}
    if kind == F.MANIFESTS:
        return {"type": "array", "items": {"$ref": "#/definitions/manifest"}}
    if kind == F.VARIABLES:
        return {
            "type": "object",
            "additionalProperties": {
                "anyOf": [
                    {"type": [*_SCALAR_TYPES, "null"]},
                    {"$ref": f"#/definitions/{platform}_variable"},
                ]
            },
        }
    if kind == F.PARAMETERS:
        return {"type": "object", "additionalProperties": {"type": [*_SCALAR_TYPES, "null"]}}
    if kind == F.VARIABLE_TYPE:
        return {"type": "string", "anyOf": [{"pattern": _VARIABLE_TYPE}, _INTERPOLATED]}
    if kind == F.INPUTS_YAML:
        return {"type": "string", "minLength": 1}
    raise AssertionError(f"no schema for {kind}")  # pragma: no cover


def _plain(text: str) -> str:
    return text.replace("`", "")


# --- the key reference of docs/spec.md --------------------------------------------------------

_KIND_NAMES = {
    F.VERSION: "the number `1`",
    F.PLATFORM: "`firstgen` or `nextgen`",
    F.NAME: "text",
    F.TEXT: "text",
    F.VALUE: "text, as written",
    F.BOOLEAN: "boolean",
    F.DURATION: "duration",
    F.NAMES: "list of names",
    F.DEPLOYMENTS: "list of deployments",
    F.ARTIFACTS: "list of artifacts",
    F.MANIFESTS: "list of manifests",
    F.VARIABLES: "mapping",
    F.PARAMETERS: "mapping of name to text",
    F.VARIABLE_TYPE: "`NAME` or `ID`",
    F.INPUTS_YAML: "YAML text",
}
_SECTIONS = (
    ("Top-level keys", F.TOP, None),
    ("Deployment keys", F.DEPLOYMENT, None),
    ("Artifact keys (FirstGen)", F.ARTIFACT, FIRSTGEN),
    ("Artifact keys (NextGen)", F.ARTIFACT, NEXTGEN),
    ("Manifest keys (FirstGen)", F.MANIFEST, None),
    ("Variable keys (the mapping form)", F.VARIABLE, None),
)


def key_reference_markdown() -> str:
    """The key reference section of docs/spec.md, markers included."""
    lines = [DOCS_BEGIN]
    for title, scope, platform in _SECTIONS:
        lines += ["", f"### {title}", ""]
        lines += ["| key | type | default | platform | meaning |", "|---|---|---|---|---|"]
        for key in F.keys_of(scope, platform):
            field = F.field_of(scope, key)
            assert field is not None
            top_row = scope == F.TOP and field.inherited
            if field.required and field.scope == scope:
                default = "**required**"
            else:
                default = field.top_default if top_row else (field.default or "none")
            described = field.top_description if top_row else field.description
            where = F.PLATFORM_LABELS[field.platform] if field.platform else "both"
            if scope == F.MANIFEST:
                where = F.PLATFORM_LABELS[FIRSTGEN]
            lines.append(
                f"| `{key}` | {_KIND_NAMES[field.kind]} | {default} | {where} | {described} |"
            )
    lines += ["", DOCS_END]
    return "\n".join(lines) + "\n"


def schema_text() -> str:
    return json.dumps(json_schema(), indent=2, ensure_ascii=False) + "\n"


def replace_reference(document: str) -> Optional[str]:
    """document with its key reference section regenerated; None without the markers."""
    begin, end = document.find(DOCS_BEGIN), document.find(DOCS_END)
    if begin == -1 or end < begin:
        return None
    return document[:begin] + key_reference_markdown() + document[end + len(DOCS_END) + 1 :]


def main(argv: Optional[list[str]] = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args != ["--write"]:
        sys.stdout.write(schema_text())
        return 0
    SCHEMA_FILE.parent.mkdir(exist_ok=True)
    SCHEMA_FILE.write_text(schema_text(), encoding="utf-8")
    docs = SCHEMA_FILE.parent.parent.parent / "docs" / "spec.md"
    updated = replace_reference(docs.read_text(encoding="utf-8")) if docs.is_file() else None
    if updated is not None:
        docs.write_text(updated, encoding="utf-8")
    print(f"wrote {SCHEMA_FILE}" + (f" and {docs}" if updated is not None else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
