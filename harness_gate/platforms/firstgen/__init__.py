"""Harness FirstGen: GraphQL `startExecution`, `execution`, `executions`; REST abort."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Optional

from harness_gate.console import Console
from harness_gate.errors import RefusedError, RequestError
from harness_gate.model import PIPELINE, Deployment
from harness_gate.platforms.base import (
    AbortOutcome,
    ExecutionRef,
    Phase,
    ReadAnswer,
    Resolution,
    Snapshot,
    StartAnswer,
    StartRequest,
    Target,
)
from harness_gate.platforms.common import TransportPlatform
from harness_gate.platforms.firstgen import documents, statuses
from harness_gate.platforms.firstgen.graphql import GraphQLClient
from harness_gate.platforms.firstgen.resolve import FirstGenTarget, Resolver
from harness_gate.settings import ConnectionSettings
from harness_gate.transport import Transport

START_BATCH = 10  # the server runs aliased mutations one after another: keep a request short
# Harness resolves aliased fields one after another, a pipeline with a database read per
# stage; allow each execution this much of the request timeout, so a read stays well inside.
READ_COST_PER_EXECUTION = 0.6
MAX_READ_BATCH = 100
READ_TIMEOUT_TRIES = 2  # a status read that times out twice gives way to the next one
NOT_FOUND = "does not exist or access is denied"
GENERIC_ERROR = "An error has occurred. Please contact the Harness support team."
LOOKUP_SKEW_MS = 5 * 60 * 1000  # lookups search from a little before the send: clock skew


def _node_executions(node: Optional[dict[str, Any]]) -> tuple[list[dict[str, Any]], bool]:
    if node is None:
        return [], False
    nodes = node.get("nodes")
    info = node.get("pageInfo")
    more = bool(info.get("hasMore")) if isinstance(info, dict) else False
    return [n for n in nodes if isinstance(n, dict)] if isinstance(nodes, list) else [], more


class FirstGenPlatform(TransportPlatform):
    name = "firstgen"

    def __init__(self, transport: Transport, console: Console, start_grace: float) -> None:
        super().__init__(transport, console)
        self.client = GraphQLClient(transport)
        self.start_grace = start_grace
        self.start_batch = START_BATCH
        timeout = transport.settings.request_timeout
        self.read_batch = max(1, min(MAX_READ_BATCH, int(timeout / READ_COST_PER_EXECUTION)))
        # execution id -> (where it paused, what the pause is, where it waits): one
        # approvalDetails read per pause, forgotten when the execution is no longer PAUSED
        self._pauses: dict[str, tuple[str, Phase, str]] = {}

    # ---- resolve ------------------------------------------------------------------------------

    def resolve(self, deployments: Sequence[Deployment], *, deadline: float) -> Resolution:
        return Resolver(self.client, self.console.line).resolve(deployments, deadline=deadline)

    def describe_start(self, target: Target, notes: str) -> list[str]:
        import json

        assert isinstance(target, FirstGenTarget)
        d = target.deployment
        start = target.start_input(notes, "<set per run>")
        return [
            f"{d.name}: would start {d.entity_type} {d.entity_name!r} ({target.entity_id}) "
            f"in {d.application!r} ({target.application_id})",
            *(f"  warning: {w}" for w in target.warnings),
            "  startExecution input: "
            + json.dumps(start, indent=2, ensure_ascii=False).replace("\n", "\n  "),
        ]

    # ---- start ----------------------------------------------------------------------------------

    def lookup_window(self, batch_size: int) -> float:
        """Harness collects a build it has not seen inside the start, before it saves the
        execution (up to 120 s for Jenkins/Bamboo sources), one aliased start after another."""
        return self.transport.settings.request_timeout + self.start_grace * max(1, batch_size)

    def start(self, requests: Sequence[StartRequest], *, deadline: float) -> list[StartAnswer]:
        inputs = []
        for r in requests:
            assert isinstance(r.target, FirstGenTarget)
            inputs.append(r.target.start_input(r.notes, r.marker))
        batch = documents.starts(inputs)
        purpose = "start " + ", ".join(r.target.deployment.name for r in requests)
        # A late answer is still an answer: wait as long as the server may take.
        read_timeout = self.lookup_window(len(requests))
        result = self.client.run(
            batch, purpose=purpose, deadline=deadline, read_timeout=read_timeout
        )
        answers = []
        for answer in batch.answers(result):
            execution = answer.node.get("execution") if answer.node else None
            if isinstance(execution, dict) and isinstance(execution.get("id"), str):
                warning = answer.node.get("warningMessage") if answer.node else None
                answers.append(
                    StartAnswer(
                        snapshot=statuses.snapshot(execution),
                        warning=warning if isinstance(warning, str) and warning else None,
                    )
                )
            elif answer.error and GENERIC_ERROR not in answer.error:
                answers.append(StartAnswer(refused=answer.error, raw=[answer.error]))
            elif answer.error:
                # The server's catch-all can follow the save: look before calling it refused.
                answers.append(
                    StartAnswer(unknown=f"Harness said: {answer.error}", raw=[answer.error])
                )
            else:
                answers.append(StartAnswer(unknown="the start answered without an execution"))
        return answers

    def find_started(
        self, requests: Sequence[StartRequest], *, deadline: float
    ) -> dict[int, Snapshot]:
        found: dict[int, Snapshot] = {}
        pending = {
            i: documents.LookupKey(
                r.target.deployment.entity_type,
                *r.target.ids,
                r.sent_at_ms - LOOKUP_SKEW_MS,
            )
            for i, r in enumerate(requests)
        }
        while pending:  # page on while a page says it has more
            batch = documents.lookups(list(pending.values()))
            result = self.client.run(batch, purpose="look up lost starts", deadline=deadline)
            following: dict[int, documents.LookupKey] = {}
            for i, answer in zip(list(pending), batch.answers(result)):
                nodes, more = _node_executions(answer.node)
                marker = requests[i].marker
                match = next(
                    (n for n in nodes if marker in str(n.get("notes") or "") and n.get("id")), None
                )
                if match is not None:
                    found[i] = statuses.snapshot(match)
                elif more:
                    key = pending[i]
                    following[i] = documents.LookupKey(
                        key.entity_type,
                        key.application_id,
                        key.entity_id,
                        key.created_after_ms,
                        key.offset + documents.LOOKUP_PAGE,
                    )
            pending = following
        return found

    # ---- read ---------------------------------------------------------------------------

    def read(self, refs: Sequence[ExecutionRef], *, deadline: float) -> list[ReadAnswer]:
        """Reads of at most read_batch executions each. A read Harness cannot answer within
        the request timeout twice is an error for its executions: the caller goes on with
        the others and asks again later."""
        answers: list[ReadAnswer] = []
        size = max(1, self.read_batch)
        for i in range(0, len(refs), size):
            answers += self._read(refs[i : i + size], deadline)
        return answers

    def _read(self, refs: Sequence[ExecutionRef], deadline: float) -> list[ReadAnswer]:
        batch = documents.statuses([r.execution_id for r in refs])
        result = self.client.run(
            batch,
            purpose="read execution status",
            deadline=deadline,
            timeout_tries=READ_TIMEOUT_TRIES,
        )
        answers = []
        for answer in batch.answers(result):
            if answer.node is not None:
                answers.append(ReadAnswer(snapshot=statuses.snapshot(answer.node)))
            elif answer.error and NOT_FOUND in answer.error:
                answers.append(ReadAnswer(not_found=answer.error))
            else:
                answers.append(ReadAnswer(error=answer.error or "no data for the execution"))
        self._tell_pauses_apart(refs, answers, deadline)
        return answers

    def _tell_pauses_apart(
        self, refs: Sequence[ExecutionRef], answers: Sequence[ReadAnswer], deadline: float
    ) -> None:
        """A PAUSED workflow (or a pipeline's workflow stage) reads the same whether an
        approval step waits or someone pressed Pause; approvalDetails tells, once a pause."""
        unclear: list[tuple[Snapshot, str]] = []
        for ref, answer in zip(refs, answers):
            snap = answer.snapshot
            if snap is None:
                continue
            if snap.phase is not Phase.PAUSED:
                self._pauses.pop(snap.execution_id, None)
                continue
            known = self._pauses.get(snap.execution_id)
            if known is not None and known[0] == snap.where:
                snap.phase, snap.where = known[1], known[2]
                continue
            scope = snap.scope or ref.scope
            if scope:
                unclear.append((snap, scope[0]))
        if not unclear:
            return
        batch = documents.approvals(
            [documents.ApprovalsKey(app_id, snap.execution_id) for snap, app_id in unclear]
        )
        try:
            result = self.client.run(batch, purpose="read pending approvals", deadline=deadline)
        except RequestError:
            return  # still "approval or a manual resume"; the next read asks again
        for (snap, _), approval in zip(unclear, batch.answers(result)):
            pending = approval.node.get("approvalDetails") if approval.node else None
            if not isinstance(pending, list):
                continue
            steps = [a for a in pending if isinstance(a, dict)]
            paused_where = snap.where
            if steps:
                step = f"approval step {steps[0].get('stepName') or '?'}"
                snap.phase = Phase.WAITING_APPROVAL
                snap.where = f"{step} in {paused_where}" if paused_where else step
            else:
                snap.phase = Phase.PAUSED_BY_HAND
            self._pauses[snap.execution_id] = (paused_where, snap.phase, snap.where)

    # ---- resume, abort ------------------------------------------------------------------------

    def resume(self, target: Target, snapshot: Snapshot, *, deadline: float) -> Optional[str]:
        assert isinstance(target, FirstGenTarget)
        d = target.deployment
        if d.entity_type != PIPELINE or len(snapshot.scope) < 2:
            return "Harness did not say which stage waits"
        given = {v.name: v for v in d.variables}
        lacking = [name for name in snapshot.waiting_inputs if name not in given]
        if lacking:
            return (
                f"the stage waits for runtime input(s) {', '.join(lacking)}, which the spec "
                "does not give (add them under variables:, or set "
                "continue_with_default_values: true)"
            )
        key = documents.ResumeKey(
            application_id=target.application_id,
            pipeline_execution_id=snapshot.execution_id,
            stage_element_id=snapshot.scope[-1],
            variable_inputs=tuple(
                (name, given[name].type, given[name].value) for name in snapshot.waiting_inputs
            ),
            # A runtime service may need an artifact now: Harness takes it with the resume
            # and ignores the services the stage does not deploy.
            service_inputs=tuple(target.service_inputs()),
        )
        batch = documents.resumes([key])
        try:
            result = self.client.run(batch, purpose=f"resume {d.name}", deadline=deadline)
        except RefusedError as exc:
            return exc.messages[0]
        answer = batch.answers(result)[0]
        if answer.error:
            return answer.error
        return None

    def abort(self, ref: ExecutionRef, timeout: float) -> AbortOutcome:
        app_id = ref.scope[0] if ref.scope else ""
        return self.client.abort(ref.execution_id, app_id, timeout)


def transport_headers(settings: ConnectionSettings) -> dict[str, str]:
    """FirstGen authenticates with the key in X-Api-Key; the account goes in the URL."""
    return {"X-Api-Key": settings.api_key.reveal()}


def max_rpm(settings: ConnectionSettings) -> int:
    return settings.max_rpm


def check_settings(settings: ConnectionSettings) -> None:
    """Any key form works for FirstGen; Harness itself says when it is not one."""


PLATFORM = FirstGenPlatform
