"""Runtime inputs: `<+input>` leaves of a pipeline YAML, the template, merging and validation.

Fields are named by fully-qualified names as Harness does: list items by their `identifier`
(or `name` for variables), with the `stage`/`step`/`stepGroup` wrapper keys left out, e.g.
`pipeline.stages.deploy.spec.service.serviceRef` or `pipeline.variables.version`.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Optional

import yaml

INPUT = "<+input>"
WRAPPERS = ("stage", "step", "stepGroup", "parallel")
# Keys a template keeps so a list item can be matched: identifier/type, or name for variables.
_KEEP = ("identifier", "type")
_CALL = re.compile(r"\.(default|allowedValues|executionInput|regex)\(((?:[^()]|\([^()]*\))*)\)")
# InputSetErrorsHelper's wording for a field the pipeline does not have as an input.
NOT_AN_INPUT = "Field either not present in pipeline or not a runtime input"


@dataclass
class RuntimeInput:
    fqn: str
    raw: str
    default: Optional[str] = None
    allowed: Optional[list[str]] = None
    execution_input: bool = False

    @property
    def stage(self) -> Optional[str]:
        parts = self.fqn.split(".")
        return parts[2] if len(parts) > 2 and parts[1] == "stages" else None

    @property
    def field(self) -> str:
        return self.fqn.rsplit(".", 1)[-1]


def is_input(value: Any) -> bool:
    return isinstance(value, str) and value.strip().startswith(INPUT)


def parse_runtime_input(fqn: str, value: str) -> RuntimeInput:
    spec = RuntimeInput(fqn, value)
    for name, arg in _CALL.findall(value.strip()[len(INPUT) :]):
        if name == "default":
            spec.default = arg
        elif name == "allowedValues":
            spec.allowed = [a.strip() for a in arg.split(",")] if arg.strip() else []
        elif name == "executionInput":
            spec.execution_input = True
    return spec


def _key(item: dict[str, Any]) -> tuple[dict[str, Any], Optional[str]]:
    inner = item
    if len(item) == 1:
        (only,) = item
        if only in WRAPPERS and isinstance(item[only], dict):
            inner = item[only]
    ident = inner.get("identifier", inner.get("name"))
    return inner, None if ident is None else str(ident)


def leaves(node: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    """(fqn, value) for every scalar of a YAML tree."""
    if isinstance(node, dict):
        for k, v in node.items():
            yield from leaves(v, f"{prefix}.{k}" if prefix else str(k))
    elif isinstance(node, list):
        for i, item in enumerate(node):
            if isinstance(item, dict):
                inner, ident = _key(item)
                yield from leaves(inner, f"{prefix}.{ident if ident is not None else i}")
            else:
                yield f"{prefix}.{i}", item
    else:
        yield prefix, node


def runtime_leaves(doc: Any) -> list[tuple[str, str]]:
    return [(fqn, str(v)) for fqn, v in leaves(doc) if is_input(v)]


def _prune(node: Any, keep_name: bool = False) -> Any:
    """The parts of a tree that hold runtime inputs, plus the keys that identify list items."""
    if isinstance(node, dict):
        out: dict[str, Any] = {}
        for k, v in node.items():
            sub = _prune(v, k == "variables")
            if sub is not None:
                out[k] = sub
        if not out:
            return None
        ident = {k: node[k] for k in _KEEP if k in node}
        if "identifier" not in node and "name" in node and keep_name:
            ident = {"name": node["name"], **ident}
        return {**ident, **{k: v for k, v in out.items() if k not in ident}}
    if isinstance(node, list):
        items = []
        for item in node:
            if isinstance(item, dict) and len(item) == 1 and next(iter(item)) in WRAPPERS:
                (wrap,) = item
                sub = _prune(item[wrap])
                if sub is not None:
                    items.append({wrap: sub})
            else:
                sub = _prune(item, keep_name)
                if sub is not None:
                    items.append(sub)
        return items or None
    return node if is_input(node) else None


def template(doc: dict[str, Any], stage_ids: Optional[list[str]] = None) -> dict[str, Any]:
    """The runtime-input template of a pipeline (optionally of some stages only); {} if none."""
    doc = copy.deepcopy(doc)
    if stage_ids is not None:
        pipeline = doc.get("pipeline") or {}
        kept = []
        for item in pipeline.get("stages") or []:
            if isinstance(item, dict):
                _, ident = _key(item)
                if ident in stage_ids:
                    kept.append(item)
        pipeline["stages"] = kept
    pruned = _prune(doc)
    if not pruned or "pipeline" not in pruned:
        return {}
    pruned["pipeline"] = {
        "identifier": doc["pipeline"].get("identifier"),
        **{k: v for k, v in pruned["pipeline"].items() if k != "identifier"},
    }
    return dict(pruned)


def dump(doc: Any) -> str:
    if not doc:
        return ""
    return yaml.safe_dump(doc, sort_keys=False, default_flow_style=False, allow_unicode=True)


def _fill(node: Any, values: dict[str, Any], prefix: str) -> Any:
    if isinstance(node, dict):
        return {k: _fill(v, values, f"{prefix}.{k}" if prefix else str(k)) for k, v in node.items()}
    if isinstance(node, list):
        out = []
        for i, item in enumerate(node):
            if isinstance(item, dict):
                inner, ident = _key(item)
                filled = _fill(inner, values, f"{prefix}.{ident if ident is not None else i}")
                out.append({next(iter(item)): filled} if inner is not item else filled)
            else:
                out.append(_fill(item, values, f"{prefix}.{i}"))
        return out
    if is_input(node) and prefix in values:
        return values[prefix]
    return node


@dataclass
class Merged:
    """The result of merging input sets and runtime YAML into a pipeline's template."""

    yaml: str  # the merged runtime-input YAML
    values: dict[str, Any]  # fqn -> value given
    errors: dict[str, list[dict[str, str]]] = field(default_factory=dict)  # fqn -> errors
    missing: list[str] = field(default_factory=list)  # inputs without a value or default
    pending: list[str] = field(default_factory=list)  # .executionInput() left for run time
    ignored_body: bool = False  # a body without a top-level pipeline key: nothing merged


def values_of(text: str) -> tuple[dict[str, Any], bool]:
    """fqn -> value of a runtime-input YAML (or an inputSet YAML); False if nothing to merge."""
    try:
        data = yaml.safe_load(text) if text and text.strip() else None
    except yaml.YAMLError as e:
        raise ValueError(str(e)) from e
    if isinstance(data, dict) and isinstance(data.get("inputSet"), dict):
        data = {"pipeline": data["inputSet"].get("pipeline") or {}}
    if not isinstance(data, dict) or not isinstance(data.get("pipeline"), dict):
        return {}, data is not None
    return {
        fqn: v for fqn, v in leaves(data) if not fqn.endswith((".identifier", ".type", ".name"))
    }, False


def merge(
    doc: dict[str, Any],
    inputs: list[RuntimeInput],
    layers: list[str],
    stage_ids: Optional[list[str]] = None,
) -> Merged:
    """Apply runtime-input YAML layers in order (input sets first, then the runtime YAML)."""
    values: dict[str, Any] = {}
    ignored = False
    for text in layers:
        layer, skipped = values_of(text)
        ignored = ignored or skipped
        values.update({k: v for k, v in layer.items() if not is_input(v)})
    wanted = [i for i in inputs if stage_ids is None or i.stage is None or i.stage in stage_ids]
    by_fqn = {i.fqn: i for i in wanted}
    errors: dict[str, list[dict[str, str]]] = {}
    for fqn, value in values.items():
        spec = by_fqn.get(fqn)
        if spec is None:
            errors.setdefault(fqn, []).append(_error(fqn, NOT_AN_INPUT))
        elif spec.allowed is not None and str(value) not in spec.allowed:
            message = f"Value given: {value} is not one of the allowed values: {spec.allowed}"
            errors.setdefault(fqn, []).append(_error(fqn, message))
    given = {k: v for k, v in values.items() if k in by_fqn}
    merged = _fill(template(doc, stage_ids), given, "")
    missing = [
        i.fqn for i in wanted if i.fqn not in given and i.default is None and not i.execution_input
    ]
    pending = [i.fqn for i in wanted if i.fqn not in given and i.execution_input]
    return Merged(dump(merged), given, errors, missing, pending, ignored)


def _error(fqn: str, message: str) -> dict[str, str]:
    return {"fieldName": fqn.rsplit(".", 1)[-1], "message": message, "identifierOfErrorSource": fqn}


def resolved(inputs: list[RuntimeInput], given: dict[str, Any]) -> dict[str, Any]:
    """Every input's value at run time: given, else its default; missing ones are left out."""
    out: dict[str, Any] = {}
    for spec in inputs:
        if spec.fqn in given:
            out[spec.fqn] = given[spec.fqn]
        elif spec.default is not None:
            out[spec.fqn] = spec.default
    return out
