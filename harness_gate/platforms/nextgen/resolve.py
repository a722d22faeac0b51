"""NextGen deployments to pipelines ready to start: each pipeline found (by identifier, or by
exact name), valid and not a draft; its runtime-input template filled from the spec and
checked by the server's merge, so a required `<+input>` left empty or a value outside its
allowed values stops the run before anything starts.

Requests: one lookup, one template and (when the pipeline has runtime inputs) one merge per
deployment; deployments that share a pipeline and stages share the lookup and the template.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Optional

from harness_gate.errors import HarnessUnavailable
from harness_gate.model import Deployment
from harness_gate.platforms.base import Resolution
from harness_gate.platforms.nextgen import inputs
from harness_gate.platforms.nextgen.client import ApiError, RestClient, Scope

NAME_PAGE = 100


@dataclass
class NextGenStartTarget:
    deployment: Deployment
    org: str
    project: str
    pipeline: str  # identifier
    runtime_yaml: str
    input_sets: list[str] = field(default_factory=list)
    stages: list[str] = field(default_factory=list)
    branch: Optional[str] = None
    warnings: list[str] = field(default_factory=list)

    @property
    def scope(self) -> tuple[str, ...]:
        """(org, project, pipeline): reads of many runs of one pipeline share a request."""
        return (self.org, self.project, self.pipeline)

    @property
    def ids(self) -> tuple[str, str]:
        return f"{self.org}/{self.project}", self.pipeline

    @property
    def where(self) -> Scope:
        return Scope(self.org, self.project)

    def route(self) -> tuple[str, str, str]:
        """(path, content type, body) of the start, chosen by what the spec gives."""
        path = f"pipeline/execute/{self.pipeline}"
        if self.input_sets:
            body: dict[str, Any] = {
                "inputSetReferences": list(self.input_sets),
                "lastYamlToMerge": self.runtime_yaml,
            }
            if self.stages:
                body["stageIdentifiers"] = list(self.stages)
            return f"{path}/inputSetList", "application/json", json.dumps(body)
        if self.stages:
            body = {
                "runtimeInputYaml": self.runtime_yaml,
                "stageIdentifiers": list(self.stages),
                "expressionValues": {},
            }
            return f"{path}/stages", "application/json", json.dumps(body)
        return path, "application/yaml", self.runtime_yaml


class Resolver:
    def __init__(self, client: RestClient) -> None:
        self.client = client
        self.requests = 0
        self._pipelines: dict[tuple[Any, ...], tuple[Optional[str], Optional[str]]] = {}
        self._templates: dict[tuple[Any, ...], str] = {}

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        self.requests += 1
        return self.client.call(method, path, **kwargs)

    def resolve(self, deployments: Sequence[Deployment], *, deadline: float) -> Resolution:
        targets: list[Any] = []
        failures: dict[str, str] = {}
        warnings: dict[str, list[str]] = {}
        for d in deployments:
            target, problem = self._one(d, deadline)
            if target is not None and target.warnings:
                warnings[d.name] = list(target.warnings)
            if problem:
                failures[d.name] = problem
            elif target is not None:
                targets.append(target)
        return Resolution(targets, failures, warnings, self.requests)

    def _one(
        self, d: Deployment, deadline: float
    ) -> tuple[Optional[NextGenStartTarget], Optional[str]]:
        ng = d.nextgen
        if ng is None:
            return None, "not a NextGen deployment (no org, project and pipeline)"
        scope = Scope(ng.org, ng.project)
        key = (ng.org, ng.project, ng.pipeline, ng.pipeline_name, ng.branch)
        if key not in self._pipelines:
            self._pipelines[key] = self._find(d, scope, deadline)
        identifier, problem = self._pipelines[key]
        if identifier is None:
            return None, problem
        template_key = (ng.org, ng.project, identifier, ng.branch, tuple(ng.stages))
        try:
            if template_key not in self._templates:
                self._templates[template_key] = self._template(identifier, d, scope, deadline)
        except ApiError as exc:
            return None, f"runtime-input template of pipeline {identifier!r}: {exc.words}"
        filled = inputs.fill(self._templates[template_key], d)
        target = NextGenStartTarget(
            deployment=d,
            org=ng.org,
            project=ng.project,
            pipeline=identifier,
            runtime_yaml=filled.runtime_yaml,
            input_sets=list(ng.input_sets),
            stages=list(ng.stages),
            branch=ng.branch,
            warnings=filled.warnings,
        )
        if filled.problems:
            return target, "; ".join(filled.problems)
        if not self._templates[template_key].strip() and not ng.input_sets:
            return target, None  # nothing to fill: no merge to ask for
        return target, self._merge(target, scope, deadline)

    def _find(
        self, d: Deployment, scope: Scope, deadline: float
    ) -> tuple[Optional[str], Optional[str]]:
        """(the pipeline identifier, None), or (None, why it cannot run)."""
        ng = d.nextgen
        assert ng is not None
        where = f"project {ng.org}/{ng.project}"
        if ng.pipeline:
            summary, problem = self._by_identifier(ng.pipeline, ng.branch, where, scope, deadline)
        else:
            summary, problem = self._by_name(ng.pipeline_name or "", where, scope, deadline)
        if summary is None:
            return None, problem
        identifier = str(summary.get("identifier") or ng.pipeline or "")
        if summary.get("isDraft"):
            return None, f"pipeline {identifier!r} is a draft: Harness does not run drafts"
        validity = summary.get("entityValidityDetails")
        if isinstance(validity, dict) and validity.get("valid") is False:
            what = validity.get("invalidYaml")
            return None, f"pipeline {identifier!r} is not valid in Harness" + (
                f": {what}" if isinstance(what, str) and what else ""
            )
        return identifier, None

    def _by_identifier(
        self, pipeline: str, branch: Optional[str], where: str, scope: Scope, deadline: float
    ) -> tuple[Optional[dict[str, Any]], Optional[str]]:
        try:
            summary = self._call(
                "GET",
                f"pipelines/summary/{pipeline}",
                purpose=f"resolve pipeline {pipeline}",
                deadline=deadline,
                params=self.client.params(scope, branch=branch),
            )
        except ApiError as exc:
            if exc.status == 404 and not exc.code:
                raise HarnessUnavailable(
                    f"HTTP 404 without Harness's answer from {self.client.url('')}: "
                    "HARNESS_ENDPOINT should be the Harness base URL "
                    "(https://app.harness.io/gateway, or your own host's)"
                ) from None
            if exc.status == 404:
                return None, (
                    f"pipeline {pipeline!r} not found in {where} (identifiers are exact; "
                    f"or the API key cannot view it): {exc.words}"
                )
            return None, f"pipeline {pipeline!r}: {exc.words}"
        if not isinstance(summary, dict):
            return None, f"pipeline {pipeline!r}: Harness answered without a pipeline"
        return summary, None

    def _by_name(
        self, name: str, where: str, scope: Scope, deadline: float
    ) -> tuple[Optional[dict[str, Any]], Optional[str]]:
        """The one pipeline with exactly this name (the list's search is a regex: escaped)."""
        try:
            page = self._call(
                "POST",
                "pipelines/list",
                purpose=f"resolve pipeline named {name!r}",
                deadline=deadline,
                params=self.client.params(
                    scope, page="0", size=str(NAME_PAGE), searchTerm=re.escape(name)
                ),
                body=json.dumps({"filterType": "PipelineSetup", "name": name}),
            )
        except ApiError as exc:
            return None, f"pipeline named {name!r}: {exc.words}"
        content = page.get("content") if isinstance(page, dict) else None
        found = [
            p
            for p in (content if isinstance(content, list) else [])
            if isinstance(p, dict) and p.get("name") == name
        ]
        if not found:
            return None, f"no pipeline named {name!r} in {where} (names are exact)"
        if len(found) > 1:
            ids = ", ".join(str(p.get("identifier")) for p in found)
            return None, (
                f"{len(found)} pipelines are named {name!r} in {where} ({ids}); "
                "name one by its identifier (pipeline:)"
            )
        return found[0], None

    def _template(self, identifier: str, d: Deployment, scope: Scope, deadline: float) -> str:
        ng = d.nextgen
        assert ng is not None
        body: dict[str, Any] = {"stageIdentifiers": list(ng.stages)} if ng.stages else {}
        data = self._call(
            "POST",
            "inputSets/template",
            purpose=f"runtime inputs of {identifier}",
            deadline=deadline,
            params=self.client.params(scope, pipelineIdentifier=identifier, branch=ng.branch),
            body=json.dumps(body),
        )
        text = data.get("inputSetTemplateYaml") if isinstance(data, dict) else None
        return text if isinstance(text, str) else ""

    def _merge(self, target: NextGenStartTarget, scope: Scope, deadline: float) -> Optional[str]:
        body: dict[str, Any] = {
            "inputSetReferences": list(target.input_sets),
            "lastYamlToMerge": target.runtime_yaml,
            "withMergedPipelineYaml": False,
        }
        if target.stages:
            body["stageIdentifiers"] = list(target.stages)
        try:
            data = self._call(
                "POST",
                "inputSets/merge",
                purpose=f"check runtime inputs of {target.deployment.name}",
                deadline=deadline,
                params=self.client.params(
                    scope, pipelineIdentifier=target.pipeline, branch=target.branch
                ),
                body=json.dumps(body),
            )
        except ApiError as exc:
            return f"runtime inputs of pipeline {target.pipeline!r}: {exc.words}"
        if not isinstance(data, dict):
            return None
        problems = merge_problems(data, target.pipeline)
        if problems:
            return "; ".join(problems)
        merged = data.get("pipelineYaml")
        missing = inputs.unfilled(merged) if isinstance(merged, str) else []
        if missing:
            return (
                "required runtime input(s) without a value: "
                + ", ".join(i.fqn for i in missing)
                + " (give them under variables:, artifacts:, input_sets: or inputs:)"
            )
        return None


def merge_problems(data: dict[str, Any], pipeline: str) -> list[str]:
    """The per-field errors of an `inputSets/merge` answer (200 with isErrorResponse)."""
    if not data.get("isErrorResponse"):
        return []
    wrapper = data.get("inputSetErrorWrapper")
    wrapper = wrapper if isinstance(wrapper, dict) else {}
    problems: list[str] = []
    invalid = wrapper.get("invalidInputSetReferences")
    if isinstance(invalid, list) and invalid:
        problems.append(
            f"input set(s) not found for pipeline {pipeline!r}: "
            + ", ".join(str(i) for i in invalid)
        )
    errors = wrapper.get("uuidToErrorResponseMap")
    if isinstance(errors, dict):
        for fqn, entry in errors.items():
            items = entry.get("errors") if isinstance(entry, dict) else None
            for e in items if isinstance(items, list) else []:
                if isinstance(e, dict):
                    problems.append(
                        f"{e.get('identifierOfErrorSource') or fqn}: {e.get('message')}"
                    )
    return problems or ["Harness found the runtime inputs invalid"]
