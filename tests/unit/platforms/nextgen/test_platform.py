"""NextGenPlatform's read batching and lost-start lookups, on canned answers (no HTTP)."""

from __future__ import annotations

from typing import Any, Optional

from harness_gate.model import Deployment, NextGenTarget
from harness_gate.platforms.base import ExecutionRef, StartRequest
from harness_gate.platforms.nextgen import NextGenPlatform
from harness_gate.platforms.nextgen.client import ApiError, Scope
from harness_gate.platforms.nextgen.resolve import NextGenStartTarget
from harness_gate.settings import ConnectionSettings, Secret


class Canned(NextGenPlatform):
    def __init__(self, listed: list[dict[str, Any]], notes: dict[str, str]) -> None:
        self.ui_base = "https://h.io/ng"
        self.account = "acct"
        self.listed = listed
        self.notes = notes
        self.calls: list[str] = []
        self._watched = {}

    def _list(
        self, scope: Scope, pipeline: Optional[str], size: int, deadline: float
    ) -> list[dict[str, Any]]:
        self.calls.append(f"list {pipeline or scope.project} {size}")
        return [
            s
            for s in self.listed
            if pipeline in (None, s["pipelineIdentifier"])
            and s["projectIdentifier"] == scope.project
        ]

    def _notes(self, scope: Scope, execution_id: str, deadline: float) -> str:
        self.calls.append(f"notes {execution_id}")
        return self.notes.get(execution_id, "")

    def _read_one(self, ref: ExecutionRef, deadline: float) -> Any:
        from harness_gate.platforms.base import ReadAnswer

        self.calls.append(f"v2 {ref.execution_id}")
        return ReadAnswer(not_found="Plan Execution Summary does not exist")


def summary(
    execution_id: str, pipeline: str = "p", created: int = 2_000, notes: bool = True
) -> dict[str, Any]:
    return {
        "planExecutionId": execution_id,
        "pipelineIdentifier": pipeline,
        "orgIdentifier": "o",
        "projectIdentifier": "j",
        "status": "Running",
        "createdAt": created,
        "notesExistForPlanExecutionId": notes,
    }


def test_runs_of_one_project_share_a_list_read_others_are_read_alone() -> None:
    other = {**summary("d", pipeline="q"), "projectIdentifier": "k"}
    platform = Canned([summary("a"), summary("b"), summary("c", pipeline="q"), other], {})
    refs = [
        ExecutionRef("a", ("o", "j", "p")),
        ExecutionRef("b", ("o", "j", "p")),
        ExecutionRef("gone", ("o", "j", "p")),
        ExecutionRef("c", ("o", "j", "q")),
        ExecutionRef("d", ("o", "k", "q")),
    ]
    answers = platform.read(refs, deadline=0)
    assert [a.snapshot.execution_id if a.snapshot else a.not_found for a in answers] == [
        "a",
        "b",
        "Plan Execution Summary does not exist",
        "c",
        "Plan Execution Summary does not exist",  # read alone: the only one of its project
    ]
    assert platform.calls == ["list j 24", "v2 gone", "v2 d"]


def target() -> NextGenStartTarget:
    d = Deployment("d", "pipeline", "p", "o/j", nextgen=NextGenTarget("o", "j", pipeline="p"))
    return NextGenStartTarget(d, "o", "j", "p", "")


def test_lost_start_found_by_marker_among_runs_since_the_send() -> None:
    platform = Canned(
        [
            summary("newer", created=400_000, notes=False),
            summary("other", created=399_000),
            summary("mine", created=398_000),
            summary("old", created=1),
        ],
        {"other": "someone else's run", "mine": "CI build 7\nharness-gate:abc"},
    )
    request = StartRequest(target(), "CI build 7\nharness-gate:abc", "harness-gate:abc", 400_000)
    found = platform.find_started([request], deadline=0)
    assert list(found) == [0] and found[0].execution_id == "mine"
    assert "notes newer" not in platform.calls  # it has no notes
    assert "notes old" not in platform.calls


def test_nothing_found_when_no_marker_matches() -> None:
    platform = Canned([summary("other", created=10_000_000)], {"other": "x"})
    request = StartRequest(target(), "m", "harness-gate:zzz", 10_000_000)
    assert platform.find_started([request], deadline=0) == {}


def test_start_route_per_spec() -> None:
    t = target()
    assert t.route() == ("pipeline/execute/p", "application/yaml", "")
    t.stages = ["build"]
    path, kind, body = t.route()
    assert path.endswith("/stages") and kind == "application/json" and '"build"' in body
    t.input_sets = ["dev"]
    path, kind, body = t.route()
    assert path.endswith("/inputSetList") and '"inputSetReferences": ["dev"]' in body
    assert t.scope == ("o", "j", "p") and t.ids == ("o/j", "p")


def test_api_error_words() -> None:
    err = ApiError(400, "INVALID_REQUEST", "Invalid request: x", "start d")
    assert str(err) == "start d: Invalid request: x"


def test_lookup_window_is_the_request_timeout_and_a_little() -> None:
    class T:
        settings = ConnectionSettings("https://h.io/gateway", "acct", Secret("pat.acct.a.b"))

    platform = Canned([], {})
    platform.transport = T()  # type: ignore[assignment]
    platform.allowance = 10.0
    assert platform.lookup_window(1) == 40.0
