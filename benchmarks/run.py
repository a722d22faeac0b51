"""Benchmark harness-gate against the emulator with Harness's real rate limit.

    .venv/bin/python benchmarks/run.py          # the full benchmark, ~8 min: BENCHMARKS.md
    .venv/bin/python benchmarks/run.py --quick  # ~10 s smoke run: benchmarks/results/quick.md

Exit code 0 when every target passes (always 0 with --quick unless something broke), 1 when
a target fails, 2 when a run could not be carried out. BENCHMARKS.md says what is measured.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Optional

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"


@dataclass
class Plan:
    quick: bool
    sizes: tuple[int, ...]
    time_scale: float
    gate_rate_limit: Optional[int]
    gate_args: tuple[str, ...]
    naive_poll: float
    naive_limited: tuple[int, ...]
    cold_runs: int
    cold_big: int
    output: str
    gate_timeout: float = 1800.0
    naive_deadline: float = 900.0
    extra: dict[str, Any] = field(default_factory=dict)


def full_plan() -> Plan:
    return Plan(
        quick=False,
        sizes=(1, 10, 50, 200),
        time_scale=1.0,
        gate_rate_limit=30,
        gate_args=(),
        naive_poll=10.0,
        naive_limited=(10,),
        cold_runs=10,
        cold_big=1000,
        output=str(ROOT / "BENCHMARKS.md"),
    )


def quick_plan() -> Plan:
    # 60x emulator time: the 10-120 s runs take 0.2-2 s; no limit, so the gate is let loose.
    return Plan(
        quick=True,
        sizes=(1, 3),
        time_scale=60.0,
        gate_rate_limit=None,
        gate_args=("--max-rpm", "6000", "--poll-interval", "0.1s"),
        naive_poll=10.0 / 60.0,
        naive_limited=(),
        cold_runs=3,
        cold_big=1000,
        output=str(RESULTS / "quick.md"),
        gate_timeout=120.0,
        naive_deadline=60.0,
    )


# ---- workers: one scenario each, in its own process ----------------------------------------


def worker(args: argparse.Namespace) -> int:
    from benchmarks import core

    workdir = Path(args.workdir)
    rate = None if args.rate_limit == "none" else int(args.rate_limit)
    if args.worker == "gate":
        result = core.gate_scenario(
            args.n,
            workdir,
            time_scale=args.time_scale,
            rate_limit=rate,
            gate_args=args.gate_arg,
            timeout=args.timeout,
        )
    else:
        result = core.naive_scenario(
            args.n,
            workdir,
            time_scale=args.time_scale,
            rate_limit=rate,
            poll_every=args.poll_every,
            deadline_seconds=args.timeout,
        )
    Path(args.out).write_text(json.dumps(result, indent=1, default=str), encoding="utf-8")
    return 0


@dataclass
class Job:
    label: str
    argv: list[str]
    out: Path
    log: Path
    proc: Optional[subprocess.Popen[bytes]] = None
    started: float = 0.0


def _job(plan: Plan, kind: str, n: int, rate: Optional[int], workdir: Path) -> Job:
    label = f"{kind}-{n}" + ("-limited" if kind == "naive" and rate else "")
    argv = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--worker",
        kind,
        "--n",
        str(n),
        "--time-scale",
        str(plan.time_scale),
        "--rate-limit",
        "none" if rate is None else str(rate),
        "--poll-every",
        str(plan.naive_poll),
        "--timeout",
        str(plan.gate_timeout if kind == "gate" else plan.naive_deadline),
        "--workdir",
        str(workdir),
        "--out",
        str(workdir / f"{label}.result.json"),
    ]
    argv += [f"--gate-arg={a}" for a in plan.gate_args] if kind == "gate" else []
    return Job(label, argv, workdir / f"{label}.result.json", workdir / f"{label}.worker.log")


def _say(text: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {text}", flush=True)


def _summary_line(result: dict[str, Any]) -> str:
    notice = result.get("notice_max")
    if result["kind"] == "gate":
        return (
            f"{result['succeeded']}/{result['n']} ok, {result['requests']} requests, "
            f"{result['rate_limited']} 429s, max {result['max_in_60s']} in 60 s, "
            f"wall {result['wall_seconds']:.1f} s, notice max "
            f"{'-' if notice is None else round(notice, 2)} s"
        )
    return (
        f"{result['succeeded']}/{result['n']} seen ending, {result['requests']} requests, "
        f"{result['rate_limited']} 429s received, {result['simulated_429']} at 30/min simulated, "
        f"wall {result['wall_seconds']:.1f} s"
    )


def orchestrate(plan: Plan, workdir: Path) -> int:
    from benchmarks import core

    began = time.monotonic()
    workdir.mkdir(parents=True, exist_ok=True)
    machine = core.machine()
    _say(
        f"machine: {machine['cpu']}, {machine['usable_cores']} cores, "
        f"{machine['memory_gib']:.1f} GiB, Python {machine['python']}"
    )
    _say(f"(c) cold start: {plan.cold_runs} runs of each command")
    cold = core.cold_start(workdir / "cold", runs=plan.cold_runs, big=plan.cold_big)
    for row in cold["rows"]:
        _say(f"    {row['label']}: {row['median'] * 1000:.0f} ms ({row['ratio']:.2f}x)")
    jobs = [_job(plan, "gate", n, plan.gate_rate_limit, workdir) for n in plan.sizes]
    jobs += [_job(plan, "naive", n, None, workdir) for n in plan.sizes]
    jobs += [_job(plan, "naive", n, 30, workdir) for n in plan.naive_limited]
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    _say(f"(a)+(b): {len(jobs)} runs at once: {', '.join(j.label for j in jobs)}")
    for job in jobs:
        job.started = time.monotonic()
        with open(job.log, "wb") as log:
            job.proc = subprocess.Popen(
                job.argv, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env
            )
    results: dict[str, Any] = {"gate": [], "naive": [], "naive_limited": []}
    broken = []
    pending = list(jobs)
    while pending:
        time.sleep(1.0)
        for job in list(pending):
            assert job.proc is not None
            if job.proc.poll() is None:
                continue
            pending.remove(job)
            took = time.monotonic() - job.started
            if job.proc.returncode != 0 or not job.out.exists():
                broken.append(job.label)
                _say(f"{job.label}: worker failed (exit {job.proc.returncode}); see {job.log}")
                continue
            result = json.loads(job.out.read_text("utf-8"))
            key = result["kind"]
            if key == "naive" and result["rate_limit"]:
                key = "naive_limited"
            results[key].append(result)
            _say(f"{job.label} done in {took:.0f} s: {_summary_line(result)}")
    results.update(
        machine=machine,
        cold=cold,
        plan=asdict(plan),
        elapsed_seconds=time.monotonic() - began,
        workdir=str(workdir),
    )
    if not results["gate"]:
        _say("no gate run finished; nothing to report")
        return 2
    return write_report(plan, results, broken)


def report_only(plan: Plan, workdir: Path) -> int:
    """Write the report again from the last run's kept results (gate metrics recomputed from
    the raw request logs), e.g. after a change to the report's layout."""
    from benchmarks import core

    name = "quick.json" if plan.quick else "latest.json"
    results = json.loads((RESULTS / name).read_text("utf-8"))
    workdir = Path(results.get("workdir") or workdir)
    results["workdir"] = str(workdir)
    results["gate"] = [core.gate_metrics_again(g, workdir) for g in results["gate"]]
    _say(f"recomputed from {RESULTS / name} and the raw logs in {workdir}")
    return write_report(plan, results, [])


def write_report(plan: Plan, results: dict[str, Any], broken: list[str]) -> int:
    from benchmarks import report

    found = report.targets(results)
    text = report.render(results)
    output = Path(plan.output)
    output.parent.mkdir(parents=True, exist_ok=True)
    kept = output.read_text(encoding="utf-8") if output.exists() else ""
    if "<!-- nextgen:start -->" in kept:  # benchmarks/nextgen.py's section stays
        text = (
            text.rstrip("\n")
            + "\n\n<!-- nextgen:start -->"
            + kept.split("<!-- nextgen:start -->", 1)[1]
        )
    output.write_text(text, encoding="utf-8")
    for g in results["gate"]:
        g.pop("notice_rows", None)  # in the raw files already; keeps the summary small
    RESULTS.mkdir(parents=True, exist_ok=True)
    name = "quick.json" if plan.quick else "latest.json"
    (RESULTS / name).write_text(json.dumps(results, indent=1, default=str), encoding="utf-8")
    _say(f"wrote {output} and {RESULTS / name} in {results['elapsed_seconds'] / 60:.1f} min")
    print()
    for target in found:
        print(target.line)
    if broken:
        print(f"BROKEN: worker(s) failed: {', '.join(broken)}")
        return 2
    if plan.quick:
        return 0
    return 0 if all(t.ok for t in found) else 1


def main(argv: Optional[list[str]] = None) -> int:
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a fast smoke run (no real limit)")
    parser.add_argument("--output", help="where to write the report (default: by mode)")
    parser.add_argument(
        "--workdir", help="where runs keep their specs, logs and raw data (default under results/)"
    )
    parser.add_argument(
        "--report-only",
        action="store_true",
        help="rewrite the report from the last run's kept results instead of running",
    )
    parser.add_argument("--worker", choices=("gate", "naive"), help=argparse.SUPPRESS)
    parser.add_argument("--n", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--time-scale", type=float, default=1.0, help=argparse.SUPPRESS)
    parser.add_argument("--rate-limit", default="30", help=argparse.SUPPRESS)
    parser.add_argument("--poll-every", type=float, default=10.0, help=argparse.SUPPRESS)
    parser.add_argument("--timeout", type=float, default=1800.0, help=argparse.SUPPRESS)
    parser.add_argument("--gate-arg", action="append", default=[], help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        return worker(args)
    plan = quick_plan() if args.quick else full_plan()
    if args.output:
        plan.output = args.output
    workdir = Path(args.workdir) if args.workdir else RESULTS / ("quick" if args.quick else "full")
    if args.report_only:
        return report_only(plan, workdir)
    return orchestrate(plan, workdir)


if __name__ == "__main__":
    sys.exit(main())
