"""Keeps benchmarks/ from rotting: its window arithmetic, the naive client and the gate
scenario on a sped-up emulator without a rate limit. Counts only, never timings."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("graphql")

from benchmarks import core, report


def test_simulated_limiter_does_not_record_rejected_calls() -> None:
    # 31 calls at once: the 31st is refused. Calls at 30 s are still inside the window and
    # refused; at 60 s the first 30 have left it, so 30 more are accepted.
    times = [0.0] * 31 + [30.0] * 5 + [60.0] * 31
    verdicts = core.simulate_limiter(times, limit=30, window=60.0)
    assert verdicts.count(True) == 60
    assert verdicts.count(False) == 7
    # A refused call must not extend the window: one call per second, limit 2 per 10 s.
    verdicts = core.simulate_limiter([float(t) for t in range(20)], limit=2, window=10.0)
    assert verdicts.count(True) == 4  # at 0, 1, 10, 11


def test_window_counts() -> None:
    # Evenly paced at 6 s: exactly 10 per minute, and the 11th request is 60 s after the 1st.
    paced = [6.0 * i for i in range(30)]
    assert core.max_in_window(paced) == 10
    assert core.tightest_span(paced, 11) == pytest.approx(60.0)
    # One request 1 ms early puts 11 in one window.
    early = [*paced[:10], 59.999, *paced[11:]]
    assert core.max_in_window(early) == 11
    assert core.tightest_span(early, 11) == pytest.approx(59.999)
    assert core.tightest_span([1.0, 2.0], 11) is None
    assert core.max_in_window([]) == 0


def test_generated_spec_spreads_the_workflows() -> None:
    assert core.durations_for(1) == [120]
    assert core.durations_for(3) == [120, 110, 100]
    assert sorted(set(core.durations_for(200))) == list(core.WORKFLOW_SECONDS)
    text = core.spec_text(12)
    assert text.count("- name: deploy-") == 12
    assert "parallel: true" in text
    assert "workflow: Deploy 10s" in text


def test_notice_delay_from_the_request_log() -> None:
    log = [
        {"time": 100.0, "wall": 1000.0, "fields": ["execution"], "status": 200,
         "variables": {"x0": "e1"}, "duration_ms": 5.0},
        {"time": 106.0, "wall": 1006.0, "fields": ["execution"], "status": 429,
         "rate_limited": True, "variables": {"x0": "e1"}, "duration_ms": 1.0},
        {"time": 109.0, "wall": 1009.0, "fields": ["execution"], "status": 200,
         "variables": {"x0": "e1"}, "duration_ms": 20.0},
    ]  # fmt: skip
    executions = [{"id": "e1", "entity_name": "Deploy 10s", "ended_at": 101_000}]
    deployments = [{"name": "d1", "execution_id": "e1", "notice_interval_seconds": 9.0}]
    (row,) = core.notice_delays(log, executions, deployments, time_scale=1.0)
    # The 429 at 106 saw nothing; the read at 109 is the first to see the end at 101.
    assert row["delay"] == pytest.approx(8.0)
    assert row["interval"] == 9.0
    assert core.notice_verdict(row) == pytest.approx(8.0 - 9.0 - 0.02)


def test_naive_client_and_gate_on_a_fast_emulator(tmp_path: Path) -> None:
    naive = core.naive_scenario(3, tmp_path, time_scale=120.0, poll_every=10.0 / 120.0)
    # One lookup of each kind and one start per deployment, then status reads until the end.
    assert naive["by_field"]["applicationByName"] == 3
    assert naive["by_field"]["workflowByName"] == 3
    assert naive["by_field"]["startExecution"] == 3
    assert naive["by_field"]["execution"] >= 3
    assert naive["requests"] == sum(naive["by_field"].values())
    assert naive["succeeded"] == 3
    assert naive["rate_limited"] == 0

    gate = core.gate_scenario(
        3,
        tmp_path,
        time_scale=120.0,
        rate_limit=None,
        gate_args=["--max-rpm", "6000", "--poll-interval", "0.1s"],
        timeout=60.0,
    )
    assert gate["exit_code"] == 0
    assert gate["succeeded"] == 3
    assert gate["executions_started"] == 3
    # All three starts go in one batched mutation; one read per tick covers every run.
    assert gate["by_operation"]["StartExecutions"] == 1
    assert gate["start_executions"] == 3
    assert gate["by_operation"]["ExecutionStatuses"] >= 1
    assert gate["not_noticed"] == 0
    assert gate["rate_limited"] == 0
    assert gate["max_rpm"] == 6000
    assert gate["cpu_seconds"] > 0
    assert gate["max_rss_mb"] > 0

    results = {
        "gate": [gate],
        "naive": [naive],
        "naive_limited": [],
        "machine": core.machine(),
        "cold": {"runs": 0, "rows": []},
        "plan": {
            "quick": True,
            "time_scale": 120.0,
            "gate_rate_limit": None,
            "gate_args": ["--max-rpm", "6000"],
            "naive_poll": 10.0 / 120.0,
        },
        "elapsed_seconds": 1.0,
    }
    lines = [t.line for t in report.targets(results)]
    assert len(lines) == 4
    assert lines[0].startswith("PASS: N = 3 completes with zero 429s")
    text = report.render(results)
    assert "## Targets" in text and "Quick mode" in text
