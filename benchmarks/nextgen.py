"""NextGen request counts: `harness-gate run` on N NextGen pipelines, counted in the
emulator's request log, beside the FirstGen numbers of BENCHMARKS.md.

    python benchmarks/nextgen.py            # N = 1, 10, 50 in real time (about 2.5 min)
    python benchmarks/nextgen.py --quick    # N = 1, 3 sped up 60 times (a smoke run)

Same shape as the FirstGen benchmark: one project with 12 pipelines of one stage that runs
10 s, 20 s, ... 120 s after 1 s queued; a parallel spec spread over them round robin from
the longest; the gate with its defaults (NextGen request budget, 10 s poll interval). The
emulator's edge limit is the documented 1,000 calls per key per minute.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any, Optional

import yaml

from harness_gate.emulator import Emulator

WORKFLOW_SECONDS = tuple(range(10, 121, 10))  # as the FirstGen benchmark's workflows
WINDOW = 60.0
_STRIP_PREFIXES = ("GITHUB_", "GITLAB_", "CI_", "HARNESS_")
_STRIP_NAMES = frozenset({"JENKINS_URL", "BUILD_URL", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"})

ORG, PROJECT = "default", "bench"
FIXTURE = Path(__file__).resolve().parent.parent / "harness_gate/emulator/fixtures/default.yaml"
EDGE_LIMIT = 1000


def gate_command() -> list[str]:
    installed = Path(sys.executable).parent / "harness-gate"
    return [str(installed)] if installed.exists() else ["harness-gate"]


def clean_env(extra: dict[str, str]) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in _STRIP_NAMES and not k.startswith(_STRIP_PREFIXES)
    }
    env.update(extra)
    return env


def durations_for(n: int) -> list[int]:
    """Round robin over the pipelines, longest first: every N includes a 120 s run."""
    count = len(WORKFLOW_SECONDS)
    return [WORKFLOW_SECONDS[(count - 1 - i) % count] for i in range(n)]


def deployment_names(n: int) -> list[str]:
    width = len(str(n))
    return [f"deploy-{i + 1:0{width}d}" for i in range(n)]


def max_in_window(times: list[float], window: float = WINDOW) -> int:
    ordered = sorted(times)
    best, lo = 0, 0
    for hi, t in enumerate(ordered):
        while t - ordered[lo] >= window:
            lo += 1
        best = max(best, hi - lo + 1)
    return best


def pipeline_id(seconds: int) -> str:
    return f"deploy_{seconds}s"


def fixture() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(FIXTURE.read_text(encoding="utf-8"))
    data["nextgen"]["rate_limit"] = EDGE_LIMIT
    data["nextgen"]["organizations"][0]["projects"].append(
        {
            "identifier": PROJECT,
            "name": "Benchmark",
            "pipelines": [
                {
                    "identifier": pipeline_id(s),
                    "name": f"Deploy {s}s",
                    "queued": "1s",
                    "stages": {"deploy": {"duration": f"{s}s"}},
                }
                for s in WORKFLOW_SECONDS
            ],
        }
    )
    return data


def spec_text(n: int) -> str:
    lines = [
        "version: 1",
        "platform: nextgen",
        f"org: {ORG}",
        f"project: {PROJECT}",
        "parallel: true",
        "deployments:",
    ]
    for name, seconds in zip(deployment_names(n), durations_for(n)):
        lines += [f"  - name: {name}", f"    pipeline: {pipeline_id(seconds)}"]
    return "\n".join(lines) + "\n"


def scenario(n: int, workdir: Path, time_scale: float, gate_args: list[str]) -> dict[str, Any]:
    workdir.mkdir(parents=True, exist_ok=True)
    spec = workdir / f"ng-{n}.yaml"
    spec.write_text(spec_text(n), encoding="utf-8")
    summary_path = workdir / f"ng-{n}.json"
    argv = [*gate_command(), "run", str(spec), "--json", str(summary_path), *gate_args]
    argv += ["--junit", str(workdir / f"ng-{n}-junit.xml")]
    with Emulator(fixtures=fixture(), time_scale=time_scale, rate_limit=EDGE_LIMIT) as emu:
        env = clean_env(emu.env())
        env["HARNESS_API_KEY"] = emu.ng_env()["HARNESS_NG_API_KEY"]
        with open(workdir / f"ng-{n}.log", "w", encoding="utf-8") as out:
            started_at = time.perf_counter()
            code = subprocess.run(
                argv, env=env, cwd=workdir, stdout=out, stderr=out, check=False, timeout=1800
            ).returncode
            seconds = time.perf_counter() - started_at
        log = [r for r in emu.requests() if r.get("kind") == "nextgen"]
        started = len(emu.nextgen.execution_dicts())
    summary = json.loads(summary_path.read_text("utf-8")) if summary_path.exists() else {}
    succeeded = sum(d.get("outcome") == "success" for d in summary.get("deployments", []))
    operations = collections.Counter(str(r.get("operation")) for r in log)
    walls = [float(r["wall"]) for r in log]  # when the emulator received each request
    return {
        "n": n,
        "exit_code": code,
        "requests": len(log),
        "per_deployment": len(log) / n,
        "rate_limited": sum(1 for r in log if r.get("rate_limited") or r.get("status") == 429),
        "max_in_60s": max_in_window(walls) if walls else 0,
        "operations": dict(sorted(operations.items())),
        "started": started,
        "succeeded": succeeded,
        "wall_seconds": round(seconds, 1),
    }


def markdown(rows: list[dict[str, Any]], quick: bool) -> str:
    head = (
        "| N | requests | req/deployment | 429s | max in any 60 s | started | succeeded | wall s |"
    )
    lines = [head, "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(
            f"| {r['n']} | {r['requests']} | {r['per_deployment']:.2f} | {r['rate_limited']} "
            f"| {r['max_in_60s']} | {r['started']} | {r['succeeded']} | {r['wall_seconds']} |"
        )
    lines += ["", "| N | operations |", "|---|---|"]
    for r in rows:
        ops = ", ".join(f"{k} {v}" for k, v in r["operations"].items())
        lines.append(f"| {r['n']} | {ops} |")
    if quick:
        lines.insert(0, "(quick run: time scale 60, poll interval 1 s; counts only)\n")
    return "\n".join(lines) + "\n"


START, END = "<!-- nextgen:start -->", "<!-- nextgen:end -->"
BENCHMARKS = Path(__file__).resolve().parent.parent / "BENCHMARKS.md"


def firstgen_requests(text: str) -> dict[int, int]:
    """N -> the FirstGen gate's requests, from the table benchmarks/run.py writes."""
    found: dict[int, int] = {}
    head = text.find("## (a) and (b)")
    for line in text[head:].splitlines()[1:] if head >= 0 else []:
        if line.startswith("## "):
            break
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) > 2 and cells[0].isdigit() and cells[1].isdigit():
            found[int(cells[0])] = int(cells[1])
    return found


def section(rows: list[dict[str, Any]], firstgen: dict[int, int]) -> str:
    lines = [
        START,
        "## NextGen",
        "",
        "Written by `python benchmarks/nextgen.py --write` (`benchmarks/run.py` keeps this "
        "section when it rewrites the file). The same shape as the FirstGen runs above: one "
        "project with 12 pipelines of one stage that runs 10 s ... 120 s after 1 s queued, a "
        "parallel spec of N deployments spread over them from the longest, the emulator in real "
        "time with its edge limit of 1,000 calls per key per minute, and the gate with its "
        "defaults: the NextGen request budget (200 per minute) and a 10 s poll interval. "
        "Requests are counted in the emulator's request log.",
        "",
        "| N | NextGen requests | per deployment | FirstGen requests (above) | NextGen 429s "
        "| most in any 60 s | succeeded |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        fg = firstgen.get(r["n"])
        lines.append(
            f"| {r['n']} | {r['requests']} | {r['per_deployment']:.2f} | "
            f"{fg if fg is not None else '-'} | {r['rate_limited']} | {r['max_in_60s']} "
            f"| {r['succeeded']}/{r['n']} |"
        )
    lines += ["", "NextGen requests by operation:", "", "| N | operations |", "|---|---|"]
    for r in rows:
        ops = ", ".join(f"{k} {v}" for k, v in r["operations"].items())
        lines.append(f"| {r['n']} | {ops} |")
    lines += [
        "",
        "Why NextGen needs more requests than FirstGen: NextGen has no batched start (one "
        "`POST pipeline/execute` per deployment) and resolving takes a pipeline lookup and its "
        "runtime-input template per distinct pipeline (plus a merge check when the pipeline has "
        "runtime inputs); status reads are batched by one execution list per project, and a "
        "single execution is read alone. The gate also reads more often on NextGen: after a "
        "status changes, the poll interval drops to what the request budget sustains, and 200 "
        "requests a minute sustain 1 s where FirstGen's 10 sustain 6 s, so an ended run is "
        "noticed sooner; while nothing changes the interval backs off to the 10 s poll "
        "interval as on FirstGen. `--max-rpm` lowers both. All of it stays far below the "
        "documented per-key limits (most in any minute: the column above).",
        END,
    ]
    return "\n".join(lines) + "\n"


def write_section(rows: list[dict[str, Any]], path: Path = BENCHMARKS) -> None:
    text = path.read_text(encoding="utf-8")
    new = section(rows, firstgen_requests(text))
    if START in text and END in text:
        head, rest = text.split(START, 1)
        text = head + new.rstrip("\n") + rest.split(END, 1)[1]
    else:
        text = text.rstrip("\n") + "\n\n" + new
    path.write_text(text, encoding="utf-8")


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--workdir", default="benchmarks/results/nextgen")
    parser.add_argument(
        "--write", action="store_true", help="write the NextGen section of BENCHMARKS.md"
    )
    parser.add_argument(
        "--report-only", action="store_true", help="write it from the last run's results.json"
    )
    args = parser.parse_args(argv)
    sizes = [1, 3] if args.quick else [1, 10, 50]
    time_scale = 60.0 if args.quick else 1.0
    gate_args = ["--poll-interval", "1s"] if args.quick else []
    workdir = Path(args.workdir)
    if args.report_only:
        kept = json.loads((workdir / "results.json").read_text(encoding="utf-8"))
        write_section(kept)
        return 0
    rows: dict[int, dict[str, Any]] = {}

    def one(n: int) -> None:
        rows[n] = scenario(n, workdir, time_scale, gate_args)

    threads = [threading.Thread(target=one, args=(n,)) for n in sizes]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    ordered = [rows[n] for n in sizes if n in rows]
    (workdir / "results.json").write_text(json.dumps(ordered, indent=2), encoding="utf-8")
    print(markdown(ordered, args.quick))
    if args.write and not args.quick:
        write_section(ordered)
    return 0 if all(r["exit_code"] == 0 for r in ordered) and len(ordered) == len(sizes) else 1


if __name__ == "__main__":
    sys.exit(main())
