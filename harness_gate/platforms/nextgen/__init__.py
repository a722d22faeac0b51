"""Harness NextGen: pipeline-service REST (`<base>/pipeline/api/...`) with a pat./sat. token.

One start per HTTP request (`POST pipeline/execute/{id}`, or its inputSetList / stages
forms); a start whose answer is lost is found again by the marker in its notes. Status from
`pipelines/execution/v2/{id}` (the summary only), or from the execution list of a pipeline
when several of its runs are watched. Abort is the asynchronous AbortAll interrupt.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, Optional

from harness_gate.console import Console
from harness_gate.errors import UsageError
from harness_gate.model import Deployment
from harness_gate.platforms.base import (
    AbortOutcome,
    ExecutionRef,
    ReadAnswer,
    Resolution,
    Snapshot,
    StartAnswer,
    StartRequest,
    Target,
)
from harness_gate.platforms.common import TransportPlatform, abort_by_put
from harness_gate.platforms.nextgen import statuses
from harness_gate.platforms.nextgen.client import ApiError, RestClient, Scope, error_words
from harness_gate.platforms.nextgen.resolve import NextGenStartTarget, Resolver
from harness_gate.settings import ConnectionSettings, account_from_key
from harness_gate.transport import (
    RETRYABLE_STATUSES,
    OutcomeUnknown,
    Reply,
    Transport,
    parse_json,
)

# Harness documents 1,000 requests per API key per minute and 400 per minute for external
# API calls; a gate stays at half the smaller one, so others can share the key.
DEFAULT_NG_MAX_RPM = 200
START_BATCH = 1  # NextGen starts one execution per request
READ_BATCH = 50  # executions per read() call; one list request covers a pipeline's runs
LIST_SLACK = 20  # newer runs in the project the list read may have to step over
LOOKUP_ALLOWANCE = 10.0  # the summary record exists when execute answers; lists may lag a bit
LOOKUP_SKEW_MS = 5 * 60 * 1000  # lookups search from a little before the send: clock skew
LOOKUP_PAGE = 50
NOT_FOUND_CODES = ("ENTITY_NOT_FOUND", "RESOURCE_NOT_FOUND")
ABORT_BENIGN = ("already finished", "ABORT_ALL_ALREADY_NG", "abort is already under progress")


def check_key(settings: ConnectionSettings) -> None:
    """A NextGen token, of the account the gate was told: before any call."""
    key = settings.api_key
    parts = key.reveal().split(".")
    if parts[0] not in ("pat", "sat") or len(parts) not in (3, 4):
        kind = " (this looks like a FirstGen API key)" if account_from_key(key) else ""
        raise UsageError(
            "platform nextgen needs a NextGen API token in HARNESS_API_KEY: "
            f"pat.<account>.<id>.<secret> or sat.<account>.<id>.<secret>{kind}"
        )
    embedded = account_from_key(key)
    if embedded is not None and embedded != settings.account_id:
        raise UsageError(
            f"the API token belongs to account {embedded!r}, but the account id is "
            f"{settings.account_id!r} (HARNESS_ACCOUNT_ID or --account-id): Harness would "
            "refuse every call"
        )


def ui_base(settings: ConnectionSettings) -> str:
    """The UI's root for execution links: the host of the base URL, then /ng."""
    base = settings.base_url
    for suffix in ("/gateway", "/pipeline/api", "/pipeline"):
        if base.endswith(suffix):
            base = base[: -len(suffix)]
    return base.rstrip("/") + "/ng"


class NextGenPlatform(TransportPlatform):
    name = "nextgen"

    def __init__(self, transport: Transport, console: Console, start_grace: float) -> None:
        super().__init__(transport, console)
        self.client = RestClient(transport)
        self.start_batch = START_BATCH
        self.read_batch = READ_BATCH
        self.allowance = min(start_grace, LOOKUP_ALLOWANCE)
        self.ui_base = ui_base(transport.settings)
        self.account = transport.settings.account_id
        self._watched: dict[tuple[str, str], set[str]] = {}  # per project, for list reads

    # ---- resolve ------------------------------------------------------------------------

    def resolve(self, deployments: Sequence[Deployment], *, deadline: float) -> Resolution:
        return Resolver(self.client).resolve(deployments, deadline=deadline)

    def describe_start(self, target: Target, notes: str) -> list[str]:
        assert isinstance(target, NextGenStartTarget)
        d = target.deployment
        path, content_type, _body = target.route()
        lines = [
            f"{d.name}: would start pipeline {target.pipeline!r} in {target.org}/{target.project}",
            *(f"  warning: {w}" for w in target.warnings),
            f"  POST {path} ({content_type})"
            + (f" on branch {target.branch}" if target.branch else ""),
        ]
        if target.input_sets:
            lines.append("  input sets: " + ", ".join(target.input_sets))
        if target.stages:
            lines.append("  stages: " + ", ".join(target.stages))
        if target.runtime_yaml.strip():
            lines.append("  runtime-input YAML:")
            lines += [f"    {line}" for line in target.runtime_yaml.rstrip("\n").splitlines()]
        else:
            lines.append("  runtime-input YAML: (none)")
        lines.append("  notes: " + notes.replace("\n", " / "))
        return lines

    # ---- start --------------------------------------------------------------------------

    def lookup_window(self, batch_size: int) -> float:
        """Execute saves the run before it answers; a lookup after the request timeout (and
        a little for the list to catch up) that finds nothing proves nothing was saved."""
        del batch_size  # one start per request
        return self.transport.settings.request_timeout + self.allowance

    def start(self, requests: Sequence[StartRequest], *, deadline: float) -> list[StartAnswer]:
        answers = []
        for r in requests:
            try:
                answers.append(self._start_one(r, deadline))
            except OutcomeUnknown as exc:
                if len(requests) == 1:
                    raise
                answers.append(StartAnswer(unknown=exc.reason))
        return answers

    def _start_one(self, r: StartRequest, deadline: float) -> StartAnswer:
        target = r.target
        assert isinstance(target, NextGenStartTarget)
        path, content_type, body = target.route()
        try:
            data = self.client.call(
                "POST",
                path,
                purpose=f"start {target.deployment.name}",
                deadline=deadline,
                params=self.client.params(
                    target.where, notesForPipelineExecution=r.notes, branch=target.branch
                ),
                body=body,
                content_type=content_type,
                idempotent=False,
            )
        except ApiError as exc:
            # 400/403/404 come from the checks before the run is saved: nothing started.
            return StartAnswer(refused=exc.words, raw=[exc.words])
        plan = data.get("planExecution") if isinstance(data, dict) else None
        if not isinstance(plan, dict) or not isinstance(plan.get("uuid"), str):
            return StartAnswer(unknown="the start answered without a planExecution")
        snap = statuses.started(
            plan, target.org, target.project, target.pipeline, self.ui_base, self.account
        )
        return StartAnswer(snapshot=snap)

    def find_started(
        self, requests: Sequence[StartRequest], *, deadline: float
    ) -> dict[int, Snapshot]:
        found: dict[int, Snapshot] = {}
        for i, r in enumerate(requests):
            target = r.target
            assert isinstance(target, NextGenStartTarget)
            since = r.sent_at_ms - LOOKUP_SKEW_MS
            for summary in self._list(target.where, target.pipeline, LOOKUP_PAGE, deadline):
                created = summary.get("createdAt")
                if isinstance(created, (int, float)) and created < since:
                    break  # newest first
                if summary.get("notesExistForPlanExecutionId") is False:
                    continue
                execution_id = str(summary.get("planExecutionId") or "")
                if execution_id and r.marker in self._notes(target.where, execution_id, deadline):
                    found[i] = statuses.snapshot(summary, self.ui_base, self.account)
                    break
        return found

    def _notes(self, scope: Scope, execution_id: str, deadline: float) -> str:
        try:
            data = self.client.call(
                "GET",
                f"pipelines/execution/{execution_id}/notes",
                purpose="look up a lost start",
                deadline=deadline,
                params=self.client.params(scope),
            )
        except ApiError:
            return ""
        notes = data.get("notes") if isinstance(data, dict) else None
        return notes if isinstance(notes, str) else ""

    def _list(
        self, scope: Scope, pipeline: Optional[str], size: int, deadline: float
    ) -> list[dict[str, Any]]:
        """The newest executions of a pipeline (or of the whole project), newest first."""
        page = self.client.call(
            "POST",
            "pipelines/execution/summary",
            purpose=f"list executions of {pipeline or scope.project}",
            deadline=deadline,
            params=self.client.params(
                scope, pipelineIdentifier=pipeline, page="0", size=str(min(1000, size))
            ),
            body=json.dumps({"filterType": "PipelineExecution"}),
        )
        content = page.get("content") if isinstance(page, dict) else None
        return [c for c in content if isinstance(c, dict)] if isinstance(content, list) else []

    # ---- read ---------------------------------------------------------------------------

    def read(self, refs: Sequence[ExecutionRef], *, deadline: float) -> list[ReadAnswer]:
        """Executions of one project watched together are read with one list request
        (newest first); any it does not show (older than the page, hidden for a moment
        after its start, or of another project) is read on its own."""
        answers: dict[int, ReadAnswer] = {}
        groups: dict[tuple[str, str], list[int]] = {}
        for i, ref in enumerate(refs):
            if len(ref.scope) >= 2:
                groups.setdefault((ref.scope[0], ref.scope[1]), []).append(i)
        for (org, project), members in groups.items():
            if len(members) < 2:
                continue  # one v2 read costs the same as a list
            wanted = {refs[i].execution_id: i for i in members}
            # The list is newest first, finished runs included: the page must reach back to
            # the oldest watched run, past the runs this gate watched that have ended since.
            seen = self._watched.setdefault((org, project), set())
            seen.update(wanted)
            try:
                listed = self._list(Scope(org, project), None, len(seen) + LIST_SLACK, deadline)
            except ApiError:
                continue  # each is read on its own below
            for summary in listed:
                j = wanted.get(str(summary.get("planExecutionId") or ""))
                if j is not None:
                    answers[j] = ReadAnswer(
                        snapshot=statuses.snapshot(summary, self.ui_base, self.account)
                    )
        for i, ref in enumerate(refs):
            if i not in answers:
                answers[i] = self._read_one(ref, deadline)
        return [answers[i] for i in range(len(refs))]

    def _read_one(self, ref: ExecutionRef, deadline: float) -> ReadAnswer:
        if len(ref.scope) < 2:
            return ReadAnswer(error="NextGen needs the org and project of the execution")
        try:
            data = self.client.call(
                "GET",
                f"pipelines/execution/v2/{ref.execution_id}",
                purpose="read execution status",
                deadline=deadline,
                params=self.client.params(Scope(ref.scope[0], ref.scope[1])),
            )
        except ApiError as exc:
            if exc.status == 404 or exc.code in NOT_FOUND_CODES:
                return ReadAnswer(not_found=exc.words)
            return ReadAnswer(error=exc.words)
        summary = data.get("pipelineExecutionSummary") if isinstance(data, dict) else None
        if not isinstance(summary, dict):
            return ReadAnswer(error="Harness answered without an execution summary")
        return ReadAnswer(snapshot=statuses.snapshot(summary, self.ui_base, self.account))

    # ---- resume, abort ------------------------------------------------------------------

    def resume(self, target: Target, snapshot: Snapshot, *, deadline: float) -> Optional[str]:
        """NextGen execution-time inputs (`.executionInput()`) are not answered by the gate:
        a value given at start (variables:, inputs:) means the stage never asks."""
        del target, deadline
        link = f" ({snapshot.url})" if snapshot.url else ""
        return (
            "the gate does not give NextGen execution-time inputs: answer them in "
            f"Harness{link}, or give the fields at start (variables: or inputs:)"
        )

    def abort(self, ref: ExecutionRef, timeout: float) -> AbortOutcome:
        """AbortAll; asynchronous (Discontinuing, then Aborted). Retried while `timeout`
        lasts on transient failures and "please retry"; a run already finished or already
        aborting is taken as done. Its own session: a read may be in flight on the main one."""
        if len(ref.scope) < 2:
            return AbortOutcome(False, "abort not sent: the org and project are unknown")
        url = self.client.url(f"pipeline/execute/interrupt/{ref.execution_id}")
        params = self.client.params(Scope(ref.scope[0], ref.scope[1]), interruptType="AbortAll")
        return abort_by_put(
            self.transport,
            url,
            params,
            timeout=timeout,
            verdict=abort_verdict,
            what=f"abort {ref.execution_id}",
        )


def transport_headers(settings: ConnectionSettings) -> dict[str, str]:
    return {"x-api-key": settings.api_key.reveal(), "Harness-Account": settings.account_id}


def max_rpm(settings: ConnectionSettings) -> int:
    return settings.max_rpm if settings.max_rpm_given else DEFAULT_NG_MAX_RPM


check_settings = check_key
PLATFORM = NextGenPlatform


def abort_verdict(reply: Reply) -> tuple[AbortOutcome, bool]:
    """What an AbortAll answer means, and whether it is worth sending again."""
    payload = parse_json(reply.text)
    code, words = error_words(payload, reply.text)
    if reply.status == 200 and isinstance(payload, dict) and payload.get("status") == "SUCCESS":
        return AbortOutcome(True, "abort requested (Harness aborts asynchronously)"), False
    if any(b in words or b == code for b in ABORT_BENIGN):
        return AbortOutcome(True, f"nothing more to abort: {words}"), False
    transient = (
        reply.status in RETRYABLE_STATUSES
        or reply.status == 401
        or payload is None
        or "please retry" in words.lower()
    )
    return AbortOutcome(False, f"abort refused (HTTP {reply.status}): {words}"), transient
