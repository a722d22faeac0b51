"""Start executions exactly once, then watch them until each reaches a terminal status.

One loop drives everything: it starts what is ready (batched), reads the status of every
active execution in one request per tick, expires deadlines, and on a stop request aborts
what it was asked to abort and leaves a result for every deployment.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable, Optional

from harness_gate import graphql_docs
from harness_gate.client import GraphQLResult, HarnessClient, StartOutcomeUnknown
from harness_gate.console import Console
from harness_gate.durations import format_duration
from harness_gate.errors import AuthError, ExitCode, GateError, GraphQLError, HarnessError
from harness_gate.model import (
    FAILED_STATUSES,
    SKIPPED_STATUSES,
    SUCCESS_STATUSES,
    TERMINAL_STATUSES,
    WAITING_STATUSES,
    DeploymentResult,
    Outcome,
    utcnow,
)
from harness_gate.resolve import ResolvedDeployment, harness_words
from harness_gate.stopper import Stopped, Stopper

START_BATCH = 10  # the server runs aliased mutations one after another: keep a request short
MIN_POLL_INTERVAL = 1.0
BACKOFF_FACTOR = 1.5
HEARTBEAT = 30.0  # CI systems kill jobs that stay silent; well inside their usual limits
RECONCILE_LOOKUPS = 3  # lookups for a lost start before it is judged never started
MAX_START_SENDS = 3
ABORT_TIME = 3.5  # all aborts on a stop together, so the gate exits within 5 s
NOT_FOUND_HINT = "does not exist"
SLOT_TOLERANCE = 0.01  # seconds; sums of the same spacing differ in their last bits

PENDING, STARTING, ACTIVE, DONE = "pending", "starting", "active", "done"


@dataclass(eq=False)  # identity: items are dict keys while starts are reconciled
class Tracked:
    result: DeploymentResult
    resolved: Optional[ResolvedDeployment] = None
    needs: list[str] = field(default_factory=list)
    timeout: float = 1800.0
    abort_on_exit: bool = False
    notes: str = ""
    state: str = PENDING
    marker: str = ""
    deadline: Optional[float] = None
    sends: int = 0
    start_sent_ms: int = 0
    poll_error: Optional[str] = None
    halted_since: Optional[float] = None
    not_found_reads: int = 0

    @property
    def name(self) -> str:
        return self.result.name


@dataclass
class WatchOptions:
    parallel: bool
    poll_max: float
    min_interval: float = MIN_POLL_INTERVAL
    no_wait: bool = False
    run_deadline: Optional[float] = None  # monotonic, from --timeout
    start_batch: int = START_BATCH


class Gate:
    def __init__(
        self,
        client: HarnessClient,
        console: Console,
        stopper: Stopper,
        options: WatchOptions,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.client = client
        self.console = console
        self.stopper = stopper
        self.options = options
        self.clock = clock
        self.run_id = uuid.uuid4().hex[:12]
        self.items: list[Tracked] = []
        self.interval = self._floor()
        self.next_poll = 0.0
        self.last_output = clock()
        self.fatal: Optional[GateError] = None
        self.intervals: list[float] = []  # the planned interval before each poll
        self.gaps: list[float] = []  # the time that really passed between two polls
        self.in_force = self.interval
        self.last_poll_at: Optional[float] = None

    # ---- public -----------------------------------------------------------------------

    def run(self, items: Sequence[Tracked]) -> None:
        self.items = list(items)
        for index, item in enumerate(self.items):
            if not item.marker:
                item.marker = f"[harness-gate {self.run_id}-{index} {item.name}]"
        try:
            self._loop()
        except Stopped:
            self._on_stop()
        except GateError as exc:
            # Auth rejected or Harness unreachable mid-run: nothing more can be learned.
            self.fatal = exc
            self._finish_all(Outcome.ERROR, f"could not talk to Harness: {exc}")

    def observe(self, t: Tracked, execution: dict[str, Any]) -> None:
        """Take in a status read made outside the loop (wait's first read of its ids)."""
        self._apply_status(t, execution, announce=True)

    # ---- the loop -----------------------------------------------------------------------

    def _loop(self) -> None:
        while True:
            self.stopper.check()
            now = self.clock()
            self._expire(now)
            self._skip_blocked()
            ready = self._ready()
            active = [t for t in self.items if t.state == ACTIVE]
            if not active and not ready:
                if any(t.state == PENDING for t in self.items):
                    # Nothing active and nothing startable: a dependency cycle cannot reach
                    # here (the spec loader rejects it), so whatever is left is blocked.
                    for t in self.items:
                        if t.state == PENDING:
                            self._skip(t, "not started: its dependencies did not complete")
                return
            if self.options.no_wait and not ready:
                for t in active:
                    self._finish(t, Outcome.SUCCESS, "started (--no-wait: not waited for)")
                return
            waiting = active and not self.options.no_wait
            if waiting and now >= self.next_poll:
                self._poll(active)
                continue
            # A start goes only where it does not push the next status read back: starts
            # and reads alternate while both are due, so finished runs are still noticed.
            if ready and (not waiting or self._start_fits()):
                self._start(ready[: max(1, self.options.start_batch)])
                continue
            wake = min(
                self.next_poll if waiting else float("inf"),
                self._next_deadline(),
                self.last_output + HEARTBEAT,
            )
            if self.stopper.wait(max(0.0, wake - now)):
                self.stopper.check()
            self._heartbeat_if_due(self.clock())

    def _start_fits(self) -> bool:
        """Whether a start request can go now without pushing the next status read back."""
        _start_at, read_at = self.client.budget.schedule(2)
        return read_at <= self.next_poll + SLOT_TOLERANCE

    def _floor(self) -> float:
        """The shortest poll interval: what the budget sustains and never above poll_max;
        while starts wait for a request slot, room for one start between two reads, even
        past poll_max (the budget is the hard limit)."""
        spacing = self.client.budget.spacing()
        floor = min(self.options.poll_max, max(self.options.min_interval, spacing))
        if any(t.state == PENDING for t in self.items) and self._ready():
            floor = max(floor, 2 * spacing)
        return floor

    def _next_deadline(self) -> float:
        deadlines = [t.deadline for t in self.items if t.state == ACTIVE and t.deadline]
        if self.options.run_deadline is not None:
            deadlines.append(self.options.run_deadline)
        return min(deadlines, default=float("inf"))

    def _expire(self, now: float) -> None:
        run_over = self.options.run_deadline is not None and now >= self.options.run_deadline
        for t in self.items:
            if t.state == ACTIVE and (run_over or (t.deadline is not None and now >= t.deadline)):
                self._timed_out(t)
            elif t.state == PENDING and run_over:
                self._skip(t, "not started: the run's --timeout passed first")

    def _timed_out(self, t: Tracked) -> None:
        status = t.result.status or "not started yet (no status)"
        if t.poll_error:
            # The client retries a read until the deadline: this one failed all the way there.
            self._finish(
                t, Outcome.ERROR, f"status reads kept failing until the deadline: {t.poll_error}"
            )
        elif t.not_found_reads and t.result.status is None:
            self._finish(
                t,
                Outcome.ERROR,
                f"Harness never showed execution {t.result.execution_id} before the deadline",
            )
        else:
            waited = format_duration(t.timeout)
            self._finish(t, Outcome.TIMEOUT, f"still {status} after {waited} (timeout)")
        if t.poll_error:
            t.result.details.append(f"last status read error: {t.poll_error}")
        if t.abort_on_exit:
            self._abort([t])
        else:
            t.result.details.append(
                "the execution was left running in Harness (no abort requested)"
            )

    def _skip_blocked(self) -> None:
        failed_names = {
            t.name
            for t in self.items
            if t.state == DONE and t.result.outcome not in (Outcome.SUCCESS, Outcome.SKIPPED)
        }
        if not failed_names:
            return
        if not self.options.parallel:
            first = next(t for t in self.items if t.name in failed_names)
            for t in self.items:
                if t.state == PENDING:
                    self._skip(t, f"not started: {first.name} did not succeed")
            return
        changed = True
        while changed:  # a skipped deployment blocks its own dependents in turn
            changed = False
            for t in self.items:
                blocked = [n for n in t.needs if n in failed_names]
                if t.state == PENDING and blocked:
                    self._skip(t, f"not started: needs {', '.join(blocked)}, which did not succeed")
                    failed_names.add(t.name)
                    changed = True

    def _ready(self) -> list[Tracked]:
        done_ok = {
            t.name
            for t in self.items
            if t.state == DONE and t.result.outcome in (Outcome.SUCCESS, Outcome.SKIPPED)
        }
        if not self.options.parallel:
            if any(t.state in (ACTIVE, STARTING) for t in self.items):
                return []
            nxt = next((t for t in self.items if t.state == PENDING), None)
            return [nxt] if nxt is not None else []
        return [t for t in self.items if t.state == PENDING and all(n in done_ok for n in t.needs)]

    # ---- starting, exactly once -------------------------------------------------------------

    def _start(self, batch: list[Tracked]) -> None:
        had_active = any(t.state == ACTIVE for t in self.items)
        self._start_batch(batch)
        # Fresh starts change quickly: read again soon, but never later than already planned.
        self.interval = self._floor()
        soon = self.clock() + self.interval
        self.next_poll = min(self.next_poll, soon) if had_active else soon

    def _start_batch(self, batch: list[Tracked]) -> None:
        unknown: list[Tracked] = []
        for t in batch:
            t.state = STARTING
            t.sends += 1
            t.start_sent_ms = int(time.time() * 1000)
            t.result.gate_started_at = utcnow()
        inputs = [self._start_input(t) for t in batch]
        document, variables = graphql_docs.start_mutation(inputs)
        deadline = self._start_deadline(batch)
        purpose = "start " + ", ".join(t.name for t in batch)
        try:
            result = self.client.mutate(document, variables, purpose=purpose, deadline=deadline)
        except StartOutcomeUnknown as exc:
            self.console.line(
                f"{purpose}: no usable answer ({exc.reason}); checking whether Harness started it"
            )
            self._reconcile(batch, exc.reason)
            return
        except GraphQLError as exc:
            for t in batch:
                self._refused(t, harness_words(exc.messages[0]), exc.messages)
            return
        except AuthError:
            raise
        except HarnessError as exc:
            for t in batch:
                t.result.details.append(str(exc))
                self._finish(t, Outcome.ERROR, f"could not start: {exc}")
            return
        for i, t in enumerate(batch):
            alias = f"s{i}"
            payload = result.data.get(alias)
            error = result.error_for(alias)
            execution = payload.get("execution") if isinstance(payload, dict) else None
            if isinstance(execution, dict) and isinstance(execution.get("id"), str):
                warning = payload.get("warningMessage") if isinstance(payload, dict) else None
                if isinstance(warning, str) and warning:
                    t.result.warning = warning
                    self.console.line(f"{t.name}: Harness warning: {warning}")
                self._adopt(t, execution, "started")
            elif error:
                self._refused(t, harness_words(error), [error])
            else:
                unknown.append(t)
        if unknown:
            self.console.line(
                "start answered without an execution for "
                + ", ".join(t.name for t in unknown)
                + "; checking whether Harness started them"
            )
            self._reconcile(unknown, "the start answered null")

    def _start_deadline(self, batch: Sequence[Tracked]) -> float:
        limits = [self.clock() + t.timeout for t in batch]
        if self.options.run_deadline is not None:
            limits.append(self.options.run_deadline)
        return min(limits)

    def _start_input(self, t: Tracked) -> dict[str, Any]:
        assert t.resolved is not None
        notes = f"{t.notes}\n{t.marker}" if t.notes else t.marker
        return t.resolved.start_input(notes, t.marker)

    def _refused(self, t: Tracked, words: str, raw: Sequence[str]) -> None:
        t.result.details.extend(f"Harness said: {m}" for m in raw)
        self._finish(t, Outcome.FAILURE, f"Harness refused to start it: {words}")

    def _reconcile(self, batch: list[Tracked], reason: str) -> None:
        """Find executions a start created although its answer was lost; re-send only when
        several lookups agree that none exists."""
        remaining = list(batch)
        for lookup in range(RECONCILE_LOOKUPS):
            if self.stopper.wait(self._floor() if lookup else min(self._floor(), 1.0)):
                self.stopper.check()
            try:
                found = self._find_started(remaining)
            except (HarnessError, GraphQLError) as exc:
                if isinstance(exc, AuthError):
                    raise
                for t in remaining:
                    self._unknown_start(t, f"{reason}; the lookup failed too: {exc}")
                return
            for t, execution in found.items():
                self._adopt(t, execution, "found the execution the lost start created")
            remaining = [t for t in remaining if t not in found]
            if not remaining:
                return
        resend = [t for t in remaining if t.sends < MAX_START_SENDS]
        for t in remaining:
            if t not in resend:
                self._unknown_start(t, f"{reason}; gave up after {t.sends} attempts")
        if resend:
            self.console.line(
                "no execution was started for "
                + ", ".join(t.name for t in resend)
                + f" ({RECONCILE_LOOKUPS} lookups agree); sending the start again"
            )
            for t in resend:
                t.state = PENDING
            self._start_batch(resend)

    def _find_started(self, batch: Sequence[Tracked]) -> dict[Tracked, dict[str, Any]]:
        items = []
        for t in batch:
            assert t.resolved is not None
            since = t.start_sent_ms - 5 * 60 * 1000  # allow for clock skew; the marker decides
            items.append(
                (
                    t.resolved.deployment.entity_type,
                    t.resolved.application_id,
                    t.resolved.entity_id,
                    since,
                )
            )
        document, variables = graphql_docs.find_started_query(items)
        deadline = self._start_deadline(batch)
        result = self.client.query(
            document, variables, purpose="look up lost starts", deadline=deadline
        )
        found: dict[Tracked, dict[str, Any]] = {}
        for i, t in enumerate(batch):
            connection = result.data.get(f"f{i}")
            nodes = connection.get("nodes") if isinstance(connection, dict) else None
            for node in nodes if isinstance(nodes, list) else []:
                if (
                    isinstance(node, dict)
                    and t.marker in str(node.get("notes") or "")
                    and isinstance(node.get("id"), str)
                ):
                    found[t] = node
                    break
        return found

    def _unknown_start(self, t: Tracked, why: str) -> None:
        t.result.details.append(
            f"look in Harness for an execution whose notes contain {t.marker!r} before re-running"
        )
        self._finish(t, Outcome.ERROR, f"start outcome unknown: {why}")

    def _adopt(self, t: Tracked, execution: dict[str, Any], how: str) -> None:
        t.state = ACTIVE
        t.deadline = self.clock() + t.timeout
        if self.options.run_deadline is not None:
            t.deadline = min(t.deadline, self.options.run_deadline)
        r = t.result
        r.execution_id = str(execution["id"])
        url = execution.get("executionUrl")
        r.url = url if isinstance(url, str) else None
        r.record(None, f"{how}: execution {r.execution_id}")
        self._say(f"{t.name}: {how}: execution {r.execution_id} {r.url or ''}".rstrip())
        self._apply_status(t, execution, announce=False)

    # ---- polling ------------------------------------------------------------------------------

    def _poll(self, active: list[Tracked]) -> None:
        ids = [t.result.execution_id or "" for t in active]
        document, variables = graphql_docs.executions_status_query(ids)
        sent_at = self.clock()
        # The interval in force for this read: the gap the gate planned since the last read
        # (what a finished run could have waited), and the gap that really passed.
        if self.last_poll_at is not None:
            self.in_force = self.next_poll - self.last_poll_at
            self.gaps.append(sent_at - self.last_poll_at)
        else:
            self.in_force = self.interval
        self.intervals.append(self.in_force)
        self.last_poll_at = sent_at
        changed = False
        try:
            deadline = min((t.deadline or float("inf")) for t in active)
            result: Optional[GraphQLResult] = self.client.query(
                document, variables, purpose="read execution status", deadline=deadline
            )
        except AuthError:
            raise
        except (HarnessError, GraphQLError) as exc:
            for t in active:
                t.poll_error = str(exc)
            result = None
        if result is not None:
            for i, t in enumerate(active):
                node = result.data.get(f"x{i}")
                error = result.error_for(f"x{i}")
                if isinstance(node, dict):
                    t.poll_error = None
                    changed |= self._apply_status(t, node, announce=True)
                elif error and NOT_FOUND_HINT in error:
                    # Just-started runs can lag behind on some reads; the deadline bounds this.
                    t.not_found_reads += 1
                    if t.not_found_reads == 1:
                        t.result.record(t.result.status, "Harness does not show the execution yet")
                        self._say(
                            f"{t.name}: Harness does not show execution "
                            f"{t.result.execution_id} yet; still looking"
                        )
                else:
                    t.poll_error = harness_words(error) if error else "no data for the execution"
        self._heartbeat_if_due(self.clock())
        if changed:
            self.interval = self._floor()
        else:
            self.interval = max(
                self._floor(), min(self.options.poll_max, self.interval * BACKOFF_FACTOR)
            )
        # Planned with the budget in view, so the read really goes when planned.
        self.next_poll = max(sent_at + self.interval, self.client.budget.schedule(1)[0])

    def _apply_status(self, t: Tracked, node: dict[str, Any], announce: bool) -> bool:
        r = t.result
        raw = node.get("status")
        status = raw if isinstance(raw, str) else None
        url = node.get("executionUrl")
        if isinstance(url, str) and url:
            r.url = url
        app = node.get("application")
        if isinstance(app, dict) and isinstance(app.get("id"), str) and not r.application_id:
            r.application_id = app["id"]
        r.created_at = _epoch_ms(node.get("createdAt")) or r.created_at
        r.started_at = _epoch_ms(node.get("startedAt")) or r.started_at
        r.ended_at = _epoch_ms(node.get("endedAt")) or r.ended_at
        stage = _stage_note(node)
        if status == r.status and r.timeline and r.timeline[-1].status == status:
            return False
        note = stage
        if status in WAITING_STATUSES:
            t.halted_since = t.halted_since or self.clock()
            note = "waiting for approval or manual intervention" + (f" ({stage})" if stage else "")
        else:
            t.halted_since = None
        r.record(status, note)
        if status not in TERMINAL_STATUSES and (announce or status is not None):
            self._say(
                f"{t.name}: {status or 'preparing (no status yet)'}"
                + (f" - {note}" if note else "")
            )
        if status in TERMINAL_STATUSES:
            details = node.get("failureDetails")
            if isinstance(details, str) and details.strip():
                r.details.append(f"failure details: {details.strip()}")
            r.gate_ended_at = utcnow()
            r.notice_interval = round(self.in_force, 3)
            if status in SUCCESS_STATUSES:
                self._finish(t, Outcome.SUCCESS, "")
            elif status in SKIPPED_STATUSES:
                self._finish(t, Outcome.SKIPPED, "Harness skipped the execution")
            else:
                assert status in FAILED_STATUSES
                why = details.strip() if isinstance(details, str) and details.strip() else ""
                where = f" at {stage}" if stage else ""
                self._finish(
                    t,
                    Outcome.FAILURE,
                    f"{r.entity_type} {r.entity_name!r} ended {status}{where}"
                    + (f": {why}" if why else ""),
                )
        return True

    # ---- endings -------------------------------------------------------------------------------

    def _finish(self, t: Tracked, outcome: Outcome, message: str) -> None:
        t.state = DONE
        t.result.outcome = outcome
        t.result.message = message
        if t.result.gate_ended_at is None:
            t.result.gate_ended_at = utcnow()
        word = {Outcome.SUCCESS: "succeeded"}.get(outcome, outcome.value)
        status = t.result.status if t.result.status in TERMINAL_STATUSES else None
        self._say(
            f"{t.name}: {word}"
            + (f" ({status})" if status else "")
            + (f": {message}" if message else "")
        )

    def _skip(self, t: Tracked, message: str) -> None:
        t.state = DONE
        t.result.outcome = Outcome.SKIPPED
        t.result.message = message
        self._say(f"{t.name}: {message}")

    def _finish_all(self, outcome: Outcome, message: str) -> None:
        for t in self.items:
            if t.state in (ACTIVE, STARTING):
                self._finish(t, outcome, message)
            elif t.state == PENDING:
                self._skip(t, f"not started: {message}")

    def _on_stop(self) -> None:
        name = self.stopper.signame or "a stop request"
        self._say(f"{name} received: stopping")
        active = [t for t in self.items if t.state == ACTIVE]
        self._abort([t for t in active if t.abort_on_exit])
        for t in self.items:
            if t.state == ACTIVE:
                left = (
                    t.result.abort_result
                    or "the execution was left running in Harness (no abort requested)"
                )
                t.result.details.append(left)
                self._finish(
                    t, Outcome.ERROR, f"interrupted by {name} while {t.result.status or 'starting'}"
                )
            elif t.state == STARTING:
                t.result.details.append(
                    f"the start may have reached Harness: look for notes containing {t.marker!r}"
                )
                self._finish(t, Outcome.ERROR, f"interrupted by {name} while starting")
            elif t.state == PENDING:
                self._skip(t, f"not started: interrupted by {name}")

    def _abort(self, targets: Sequence[Tracked]) -> None:
        """Abort executions in parallel, all within ABORT_TIME."""
        targets = [t for t in targets if t.result.execution_id]
        if not targets:
            return

        def work(t: Tracked) -> None:
            app_id = t.result.application_id or (t.resolved.application_id if t.resolved else "")
            outcome = self.client.abort(t.result.execution_id or "", app_id, ABORT_TIME - 0.5)
            t.result.abort_result = outcome.message

        threads = [threading.Thread(target=work, args=(t,), daemon=True) for t in targets]
        for thread in threads:
            thread.start()
        end = time.monotonic() + ABORT_TIME
        for thread in threads:
            thread.join(max(0.0, end - time.monotonic()))
        for t in targets:
            if t.result.abort_result is None:
                t.result.abort_result = "abort not confirmed: Harness did not answer in time"
            t.result.details.append(t.result.abort_result)
            self._say(f"{t.name}: {t.result.abort_result}")

    # ---- output ---------------------------------------------------------------------------------

    def _say(self, text: str) -> None:
        self.console.line(text)
        self.last_output = self.clock()

    def _heartbeat_if_due(self, now: float) -> None:
        if now - self.last_output < HEARTBEAT:
            return
        parts = []
        for t in self.items:
            if t.state != ACTIVE:
                continue
            status = t.result.status or "preparing"
            if t.halted_since is not None:
                status += f" (waiting for a human for {format_duration(now - t.halted_since)})"
            parts.append(f"{t.name} {status}")
        if parts:
            self._say(
                f"still waiting on {len(parts)}: "
                + "; ".join(parts)
                + f" (next status read in {format_duration(max(0.0, self.next_poll - now))})"
            )


def exit_code_for(results: Sequence[DeploymentResult], fatal: Optional[GateError] = None) -> int:
    """The documented exit code from the outcomes (interrupts are decided by the caller)."""
    outcomes = {r.outcome for r in results}
    if Outcome.FAILURE in outcomes:
        started = any(r.execution_id for r in results)
        return ExitCode.DEPLOYMENT_FAILED if started else ExitCode.RESOLUTION
    if fatal is not None or Outcome.ERROR in outcomes or None in outcomes:
        return fatal.exit_code if fatal is not None else ExitCode.HARNESS_UNREACHABLE
    if Outcome.TIMEOUT in outcomes:
        return ExitCode.TIMEOUT
    return ExitCode.SUCCESS


def _epoch_ms(value: Any) -> Optional[datetime]:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    try:
        return datetime.fromtimestamp(value / 1000.0, tz=timezone.utc)
    except (OverflowError, OSError, ValueError):
        return None


def _stage_note(node: dict[str, Any]) -> str:
    """For a pipeline, the stage that is waiting or failed, to say where it stands."""
    stages = node.get("pipelineStageExecutions")
    if not isinstance(stages, list):
        return ""
    for wanted in (WAITING_STATUSES, FAILED_STATUSES, frozenset({"RUNNING"})):
        for stage in stages:
            if isinstance(stage, dict) and stage.get("status") in wanted:
                name = stage.get("pipelineStageName") or stage.get("pipelineStepName") or "?"
                kind = "approval stage" if stage.get("approvalStepType") else "stage"
                return f"{kind} {name!s} {stage.get('status')}"
    return ""
