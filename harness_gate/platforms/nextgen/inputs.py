"""Runtime inputs of a NextGen pipeline: the `<+input>` fields of its input-set template,
filled from a deployment's variables, artifact tags and raw `inputs:` YAML.

Fields are named by their fully-qualified name, as Harness names them: list items by
`identifier` (variables by `name`), the `stage`/`step`/`stepGroup`/`parallel` wrappers left
out, e.g. `pipeline.stages.deploy.spec.service.serviceRef` or
`pipeline.variables.region.value`. The merge order is input sets, then variables, then
artifact tags, then `inputs:`; the server merges the input sets itself, under the runtime
YAML the gate sends, so that YAML holds only the fields the spec sets.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Optional

import yaml

from harness_gate.model import Deployment

INPUT = "<+input>"
WRAPPERS = ("stage", "step", "stepGroup", "parallel")
_KEYS = ("identifier", "type", "name")
_CALL = re.compile(r"\.(default|allowedValues|executionInput|regex)\(((?:[^()]|\([^()]*\))*)\)")


@dataclass
class RuntimeInput:
    fqn: str
    raw: str
    default: Optional[str] = None
    allowed: Optional[list[str]] = None
    execution_input: bool = False

    @property
    def required(self) -> bool:
        """Needed at start: no default, and not asked for while the stage runs."""
        return self.default is None and not self.execution_input


def is_input(value: Any) -> bool:
    return isinstance(value, str) and value.strip().startswith(INPUT)


def parse_input(fqn: str, raw: str) -> RuntimeInput:
    spec = RuntimeInput(fqn, raw)
    for name, arg in _CALL.findall(raw.strip()[len(INPUT) :]):
        if name == "default":
            spec.default = arg
        elif name == "allowedValues":
            spec.allowed = [a.strip() for a in arg.split(",")] if arg.strip() else []
        elif name == "executionInput":
            spec.execution_input = True
    return spec


def _unwrap(item: dict[str, Any]) -> tuple[Any, Optional[str]]:
    """A list item without its wrapper key, and the id that names it in an FQN."""
    inner: Any = item
    if len(item) == 1:
        (only,) = item
        if only in WRAPPERS and isinstance(item[only], (dict, list)):
            inner = item[only]
    if isinstance(inner, dict):
        ident = inner.get("identifier", inner.get("name"))
        return inner, None if ident is None else str(ident)
    return inner, None


def leaves(node: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    """(fqn, value) of every scalar of a YAML tree."""
    if isinstance(node, dict):
        for k, v in node.items():
            yield from leaves(v, f"{prefix}.{k}" if prefix else str(k))
    elif isinstance(node, list):
        for i, item in enumerate(node):
            if isinstance(item, dict):
                inner, ident = _unwrap(item)
                if isinstance(inner, list):  # parallel: its items sit at this level
                    yield from leaves(inner, prefix)
                else:
                    yield from leaves(inner, f"{prefix}.{ident if ident is not None else i}")
            else:
                yield f"{prefix}.{i}", item
    else:
        yield prefix, node


def load_yaml(text: str) -> Any:
    return yaml.safe_load(text) if text and text.strip() else None


def dump(doc: Any) -> str:
    if not doc:
        return ""
    return yaml.safe_dump(doc, sort_keys=False, default_flow_style=False, allow_unicode=True)


def runtime_inputs(template: Any) -> dict[str, RuntimeInput]:
    return {fqn: parse_input(fqn, str(v)) for fqn, v in leaves(template) if is_input(v)}


def _keep(node: Any, values: dict[str, str], prefix: str) -> Any:
    """The template with the given values in place and every other input left out; list
    items and mappings keep the keys that identify them."""
    if isinstance(node, dict):
        out: dict[str, Any] = {}
        for k, v in node.items():
            sub = _keep(v, values, f"{prefix}.{k}" if prefix else str(k))
            if sub is not None and not (k in _KEYS and not is_input(v)):
                out[k] = sub
        if not out:
            return None
        keys = {k: node[k] for k in _KEYS if k in node and not is_input(node[k])}
        return {**keys, **out}
    if isinstance(node, list):
        items = []
        for i, item in enumerate(node):
            if isinstance(item, dict):
                inner, ident = _unwrap(item)
                if isinstance(inner, list):
                    sub = _keep(inner, values, prefix)
                else:
                    sub = _keep(inner, values, f"{prefix}.{ident if ident is not None else i}")
                if sub is not None:
                    items.append({next(iter(item)): sub} if inner is not item else sub)
            else:
                sub = _keep(item, values, f"{prefix}.{i}")
                if sub is not None:
                    items.append(sub)
        return items or None
    if is_input(node) and prefix in values:
        return values[prefix]
    return None


@dataclass
class Filled:
    runtime_yaml: str  # what the start sends (merged last, over the input sets)
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    values: dict[str, str] = field(default_factory=dict)  # fqn -> value the spec sets


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def variable_fqn(name: str) -> str:
    return f"pipeline.variables.{name}.value"


def artifact_fqns(inputs: dict[str, RuntimeInput], stage: str) -> list[str]:
    """The primary artifact tag inputs of a stage's service (service v2 `serviceInputs` or
    the older `serviceConfig`)."""
    head = f"pipeline.stages.{stage}."
    return [
        fqn
        for fqn in inputs
        if fqn.startswith(head) and ".artifacts.primary." in fqn and fqn.endswith(".tag")
    ]


def fill(template_text: str, deployment: Deployment) -> Filled:
    """The runtime YAML for a deployment, and what its spec gets wrong against the template."""
    ng = deployment.nextgen
    assert ng is not None
    template = load_yaml(template_text)
    inputs = runtime_inputs(template)
    problems: list[str] = []
    warnings: list[str] = []
    values = _variable_values(deployment, inputs, problems, warnings)
    values.update(_artifact_values(deployment, inputs, problems))
    raw_values = _raw_values(deployment, inputs, problems)
    for fqn, value in {**values, **raw_values}.items():
        allowed = inputs[fqn].allowed
        if allowed is not None and value not in allowed:
            problems.append(
                f"{fqn}: {value!r} is not one of the allowed values [{', '.join(allowed)}]"
            )
    if values:
        merged = {**values, **raw_values}
        runtime = dump(_keep(copy.deepcopy(template), merged, "")) if template else ""
    else:
        runtime = ng.inputs if ng.inputs and ng.inputs.strip() else ""
        merged = raw_values
    return Filled(runtime, problems, warnings, merged)


def _variable_values(
    deployment: Deployment,
    inputs: dict[str, RuntimeInput],
    problems: list[str],
    warnings: list[str],
) -> dict[str, str]:
    values: dict[str, str] = {}
    for v in deployment.variables:
        fqn = variable_fqn(v.name)
        if fqn in inputs:
            values[fqn] = v.value
            continue
        text = f"variable {v.name!r} is not a runtime input of pipeline {deployment.entity_name!r}"
        if deployment.allow_unknown_variables:
            warnings.append(text + "; left out (allow_unknown_variables)")
        else:
            problems.append(
                text + "; Harness would refuse it (set allow_unknown_variables: true to leave "
                "it out)"
            )
    return values


def _artifact_values(
    deployment: Deployment, inputs: dict[str, RuntimeInput], problems: list[str]
) -> dict[str, str]:
    assert deployment.nextgen is not None
    values: dict[str, str] = {}
    for a in deployment.nextgen.artifacts:
        found = artifact_fqns(inputs, a.stage)
        if len(found) == 1:
            values[found[0]] = a.tag
        elif not found:
            problems.append(
                f"artifacts: stage {a.stage!r} of pipeline {deployment.entity_name!r} has no "
                "primary artifact tag as a runtime input"
            )
        else:
            problems.append(
                f"artifacts: stage {a.stage!r} has several primary artifact tags as runtime "
                f"inputs ({', '.join(found)}); set the one you mean under inputs:"
            )
    return values


def _raw_values(
    deployment: Deployment, inputs: dict[str, RuntimeInput], problems: list[str]
) -> dict[str, str]:
    """The values the raw `inputs:` YAML sets, checked against the template's inputs."""
    assert deployment.nextgen is not None
    text = deployment.nextgen.inputs
    if text is None or not text.strip():
        return {}
    try:
        doc = load_yaml(text)
    except yaml.YAMLError as exc:
        problems.append(f"inputs: not valid YAML: {' '.join(str(exc).split())}")
        return {}
    if not isinstance(doc, dict) or not isinstance(doc.get("pipeline"), dict):
        problems.append("inputs: must be runtime-input YAML with the top key pipeline:")
        return {}
    values: dict[str, str] = {}
    for fqn, value in leaves(doc):
        if fqn in inputs:
            if not is_input(value):
                values[fqn] = _scalar(value)
        elif fqn.rsplit(".", 1)[-1] not in _KEYS:
            problems.append(
                f"inputs: {fqn} is not a runtime input of pipeline {deployment.entity_name!r}"
            )
    return values


def unfilled(merged_yaml: str) -> list[RuntimeInput]:
    """Inputs of a merged runtime YAML still without a value that the start needs."""
    try:
        doc = load_yaml(merged_yaml)
    except yaml.YAMLError:
        return []
    return [i for i in runtime_inputs(doc).values() if i.required]
