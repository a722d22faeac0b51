"""The NextGen emulator against the research notes on the real pipeline-service.

The notes (../shared/research/harness-nextgen-facts.md, read from Harness's source) list routes,
status names and envelope fields. Every route served must be one they name, the status
spellings must be theirs, and envelopes must carry the fields they document. In CI the notes
must be there; elsewhere the test skips without them.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from ng_helpers import Ng

from harness_gate.emulator.nextgen.service import ROUTES
from harness_gate.emulator.nextgen.statuses import DISPLAY_TO_ENGINE, FINAL
from tests.shared_schema import shared_path

REPO = Path(__file__).resolve().parents[3]

# Served routes the notes do not spell out, and why they are there.
EXTRAS = {
    ("GET", "/inputSets/overlay/{}"): "overlay input sets have their own GET (InputSetResourcePMS)",
}
_ROUTE = re.compile(r"`((?:(?:GET|POST|PUT|DELETE)`?/`?)*(?:GET|POST|PUT|DELETE))\s+([^`\s]+)`")


@pytest.fixture(scope="module")
def facts() -> str:
    # Fails where ../shared is required (the project's CI), skips with a reason elsewhere.
    return shared_path("research", "harness-nextgen-facts.md").read_text(encoding="utf-8")


def _normalize(path: str) -> tuple[str, bool]:
    """(path inside /api with {} placeholders, True if the notes elide its start with …)."""
    path = path.split("?")[0]
    suffix = path.startswith("…")
    path = path.lstrip("…")
    for prefix in ("/gateway/pipeline/api", "/pipeline/api"):
        if path.startswith(prefix + "/"):
            path = path[len(prefix) :]
    return re.sub(r"\{[^}]*\}|<[^>]*>", "{}", path), suffix


def _fact_routes(text: str) -> set[tuple[str, str, bool]]:
    out = set()
    for methods, path in _ROUTE.findall(text):
        normalized, suffix = _normalize(path)
        for method in re.findall(r"GET|POST|PUT|DELETE", methods):
            out.add((method, normalized, suffix))
    return out


def _served() -> list[tuple[str, str]]:
    return [(m, p.pattern.strip("^$").replace("([^/]+)", "{}")) for m, p, _ in ROUTES]


def test_every_served_route_is_named_in_the_notes(facts: str) -> None:
    known = _fact_routes(facts)
    missing = []
    for method, path in _served():
        if (method, path) in EXTRAS:
            continue
        if not any(
            m == method and (p == path or (suffix and path.endswith(p))) for m, p, suffix in known
        ):
            missing.append(f"{method} {path}")
    assert not missing, f"served but not in the notes: {missing}"


def test_the_gate_sequence_routes_are_all_served(facts: str) -> None:
    gate = facts[facts.index("## What a gate needs") :]
    served = set(_served())
    for method, path, suffix in _fact_routes(gate):
        if path.startswith("/pipelines/execution/v2/summary"):
            continue  # hidden multi-pipeline list; the gate section only mentions it
        if suffix or ("{}" not in path and path.count("/") < 2):
            continue
        assert (method, path) in served, f"{method} {path}"


def test_the_wrong_retry_route_of_a_community_client_is_not_served(ng: Ng) -> None:
    response = ng.call("PUT", "/pipeline/execute/retry/some-execution-id")
    assert response.status_code in (400, 405)


def _status_rows(text: str) -> list[tuple[list[str], list[str], str]]:
    section = text[text.index("## 4. Status vocabulary") : text.index("Notes on the table")]
    rows = []
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) < 3 or cells[0] in ("Engine", "") or set(cells[0]) <= {"-"}:
            continue
        engines = [e.strip() for e in cells[0].split(",")]
        displays = [d.strip().strip("`") for d in cells[1].split(",")]
        rows.append((engines, displays, cells[2]))
    return rows


def test_status_spellings_match_the_notes(facts: str) -> None:
    rows = _status_rows(facts)
    assert len(rows) >= 15
    terminal = set()
    for engines, displays, final in rows:
        for eng, display in zip(engines, displays):
            if eng.startswith("("):
                assert DISPLAY_TO_ENGINE[display] == ""  # NotStarted has no engine name
            elif display in ("\u2013", "-"):  # an en dash: no display name
                assert eng.split()[0] not in DISPLAY_TO_ENGINE.values()  # NO_OP
            else:
                assert DISPLAY_TO_ENGINE[display] == eng, display
                if final == "yes":
                    terminal.add(display)
    assert terminal == set(FINAL)
    assert "Waiting" not in DISPLAY_TO_ENGINE  # JsonIgnored, never emitted


def _keys(facts: str, marker: str) -> set[str]:
    line = next(line for line in facts.splitlines() if marker in line)
    body = line[line.index("`{") + 2 :]
    depth, current, parts = 0, "", []
    for ch in body:
        if ch in "{[":
            depth += 1
        elif ch in "}]":
            if depth == 0:
                parts.append(current)
                break
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append(current)
            current = ""
            continue
        current += ch
    return {m.group(1) for p in parts if (m := re.match(r"\s*(\w+)", p))}


def test_envelopes_have_the_documented_fields(facts: str, ng: Ng) -> None:
    ok = ng.call("GET", "/pipelines/smoke_test").json()
    assert set(ok) == _keys(facts, "**Success envelope** `ResponseDTO`")
    error = ng.call("GET", "/pipelines/nope").json()
    assert set(error) == _keys(facts, "**`ErrorDTO`**")
    failure = ng.call("GET", "/nowhere").json()
    assert set(failure) == _keys(facts, "**`FailureDTO`**")
    denied = ng.start_raw("restricted_deploy").json()
    assert set(denied) == set(error) | {"failedPermissionChecks"}
    assert "`correlationId` is not set on this one" in facts
    assert denied["correlationId"] is None


def test_codes_and_messages_quoted_in_the_notes(facts: str, ng: Ng) -> None:
    for quoted in (
        "RESOURCE_NOT_FOUND_EXCEPTION",
        "Token is not valid.",
        "Oops, something went wrong on our end. Please contact Harness Support.",
        "Execution abort is already under progress.",
        "Account detail is not present in the request",
        "harnessAccount param value is required",
        "SERVICE_ACCOUNT is not supported for Harness Approval Step yet",
        "Pipeline executor is not allowed to approve/reject",
        "Plan Execution Summary does not exist or has been deleted for planExecutionId",
    ):
        assert quoted in facts, quoted
