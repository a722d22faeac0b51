"""Keeps benchmarks/nextgen.py from rotting: its spec, its section of BENCHMARKS.md, and one
small scenario on a sped-up emulator. Counts only, never timings."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

pytest.importorskip("graphql")

from benchmarks import nextgen


def test_spec_spreads_the_pipelines_from_the_longest() -> None:
    spec = yaml.safe_load(nextgen.spec_text(13))
    assert spec["platform"] == "nextgen"
    pipelines = [d["pipeline"] for d in spec["deployments"]]
    assert pipelines[0] == "deploy_120s" and pipelines[11] == "deploy_10s"
    assert pipelines[12] == "deploy_120s"


def test_section_is_replaced_in_place(tmp_path: Path) -> None:
    doc = tmp_path / "BENCHMARKS.md"
    doc.write_text(
        "# Benchmarks\n\n## (a) and (b): requests\n\n| N | gate requests | per deployment |\n"
        "|---|---|---|\n| 1 | 17 | 17.00 |\n| 10 | 21 | 2.10 |\n\n## Next\n",
        encoding="utf-8",
    )
    row = {
        "n": 1,
        "requests": 20,
        "per_deployment": 20.0,
        "rate_limited": 0,
        "max_in_60s": 13,
        "succeeded": 1,
        "operations": {"getExecutionDetailV2": 17},
    }
    nextgen.write_section([row], doc)
    nextgen.write_section([row], doc)
    text = doc.read_text(encoding="utf-8")
    assert text.count(nextgen.START) == 1
    assert "| 1 | 20 | 20.00 | 17 | 0 | 13 | 1/1 |" in text


def test_scenario_counts_requests(tmp_path: Path) -> None:
    row = nextgen.scenario(2, tmp_path, 600.0, ["--poll-interval", "0.05s"])
    assert row["exit_code"] == 0
    assert (row["started"], row["succeeded"]) == (2, 2)
    ops = row["operations"]
    assert ops["postPipelineExecuteWithInputSetYaml"] == 2
    assert ops["getPipelineSummary"] == 2 and ops["runtimeInputTemplate"] == 2
    assert row["requests"] == sum(ops.values())
