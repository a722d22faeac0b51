"""Targets and the BENCHMARKS.md text, from the results run.py collected."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Optional

from benchmarks import core

REQUEST_RATIO = 20  # the gate must send under 1/20 of the naive client's requests


@dataclass
class Target:
    ok: bool
    text: str

    @property
    def line(self) -> str:
        return f"{'PASS' if self.ok else 'FAIL'}: {self.text}"


def num(value: Optional[float], digits: int = 1) -> str:
    if value is None:
        return "-"
    if isinstance(value, int):
        return str(value)
    return f"{value:.{digits}f}"


def _share(count: int, run: Mapping[str, Any]) -> str:
    return f"{count / run['requests']:.0%}" if run["requests"] else "-"


def _ratio(naive: int, gate: int) -> str:
    return f"1/{naive / gate:.1f}"


def targets(results: Mapping[str, Any]) -> list[Target]:
    gates: dict[int, dict[str, Any]] = {g["n"]: g for g in results["gate"]}
    naives: dict[int, dict[str, Any]] = {r["n"]: r for r in results["naive"]}
    out: list[Target] = []
    if not gates:
        return [Target(False, "no gate run finished")]
    big = max(gates)
    g = gates[big]
    out.append(
        Target(
            g["rate_limited"] == 0 and g["failed"] == 0 and g["exit_code"] == 0,
            f"N = {big} completes with zero 429s and zero failed deployments "
            f"({g['succeeded']}/{big} succeeded, {g['rate_limited']} 429s, exit code "
            f"{g['exit_code']}, {g['executions_started']} executions started)",
        )
    )
    worst_window = max(gates.values(), key=lambda x: x["max_in_60s"])
    spans = ", ".join(
        f"N={n}: {gates[n]['max_in_60s']}"
        + (
            f" (tightest {gates[n]['max_rpm'] + 1} requests: {gates[n]['tightest_span']:.3f} s)"
            if gates[n]["tightest_span"] is not None
            else ""
        )
        for n in sorted(gates)
    )
    out.append(
        Target(
            all(x["max_in_60s"] <= x["max_rpm"] for x in gates.values()),
            f"the gate never exceeds --max-rpm = {worst_window['max_rpm']} in any rolling "
            f"60 s window (most requests seen in one window, at the emulator: {spans})",
        )
    )
    if big in naives:
        nv = naives[big]
        ratio = nv["requests"] / g["requests"] if g["requests"] else float("inf")
        out.append(
            Target(
                g["requests"] * REQUEST_RATIO < nv["requests"],
                f"N = {big}: the gate's requests are under 1/{REQUEST_RATIO} of the naive "
                f"client's for the same spec ({g['requests']} vs {nv['requests']}: "
                f"1/{ratio:.1f})",
            )
        )
    else:
        out.append(Target(False, f"N = {big}: no naive-client run to compare with"))
    over = [x for x in gates.values() if x["worst_over_interval"] is not None]
    never = sum(x["not_noticed"] for x in gates.values())
    if over:
        worst = max(over, key=lambda x: x["worst_over_interval"])
        row = worst["worst_row"]
        count = sum(x["over_interval_count"] for x in gates.values())
        ok = count == 0 and never == 0
        out.append(
            Target(
                ok,
                "no finished execution waited longer than the interval in force (plus the "
                f"noticing request's own duration) to be noticed: {count} over, {never} never "
                f"noticed; worst case N = {worst['n']}, {row['deployment']} ({row['entity']}): "
                f"noticed {row['delay']:.3f} s after it ended, interval in force "
                f"{row['interval']:.3f} s, request {row['request_seconds'] * 1000:.1f} ms, "
                f"margin {-worst['worst_over_interval']:.3f} s"
                + (
                    f"; {row['gap']:.3f} s really passed between the two status reads"
                    if row.get("gap") is not None
                    else ""
                ),
            )
        )
    else:
        out.append(Target(False, "no execution was noticed ending (no notice data)"))
    return out


def informational(results: Mapping[str, Any]) -> list[str]:
    gates = {g["n"]: g for g in results["gate"]}
    naives = {r["n"]: r for r in results["naive"]}
    lines = []
    for n in sorted(gates):
        if n in naives and gates[n]["requests"]:
            ratio = naives[n]["requests"] / gates[n]["requests"]
            lines.append(
                f"N = {n}: gate {gates[n]['requests']} requests vs naive "
                f"{naives[n]['requests']} (1/{ratio:.1f})"
            )
    return lines


def _table(head: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    lines = ["| " + " | ".join(head) + " |", "|" + "|".join("---" for _ in head) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


def render(results: Mapping[str, Any]) -> str:
    m = results["machine"]
    plan = results["plan"]
    quick = plan["quick"]
    gates = sorted(results["gate"], key=lambda x: x["n"])
    naives = {r["n"]: r for r in results["naive"]}
    limited = sorted(results["naive_limited"], key=lambda x: x["n"])
    found = targets(results)
    out: list[str] = ["# Benchmarks", ""]
    if quick:
        out += [
            "> **Quick mode** (`--quick`): a smoke run on a sped-up emulator without a rate "
            "limit. These numbers say nothing about the real targets; run the full benchmark.",
            "",
        ]
    out += [
        "Written by `.venv/bin/python benchmarks/run.py` "
        f"({'--quick, ' if quick else ''}took {results['elapsed_seconds'] / 60:.1f} min). "
        "Re-run it to refresh this file; `--quick` is a ~10 s smoke run that writes "
        "`benchmarks/results/quick.md` instead, and `--report-only` rewrites this file from "
        "the last run's kept data. The raw request logs of every run are kept under "
        "`benchmarks/results/` (not committed).",
        "",
        "## Machine",
        "",
    ]
    out += _table(
        ["CPU", "cores (usable)", "memory", "Python", "platform", "harness-gate", "date"],
        [
            [
                m["cpu"],
                f"{m['cores']} ({m['usable_cores']})",
                f"{m['memory_gib']:.1f} GiB" if m["memory_gib"] else "?",
                f"{m['implementation']} {m['python']}",
                m["platform"],
                m["harness_gate"],
                m["date"],
            ]
        ],
    )
    rate = plan["gate_rate_limit"]
    out += [
        "",
        "## Setup",
        "",
        f"* **Emulator**: `harness_gate.emulator.Emulator`, time scale {plan['time_scale']:g} "
        + (
            f"(real time, like Harness), GraphQL rate limit {rate} calls per sliding minute "
            "(a paid account's; refused calls are not counted, no `Retry-After`)."
            if rate
            else "and no rate limit."
        ),
        f"* **Fixture** (generated): one application, {len(core.WORKFLOW_SECONDS)} workflows "
        f"that run {core.WORKFLOW_SECONDS[0]} s, {core.WORKFLOW_SECONDS[1]} s, ... "
        f"{core.WORKFLOW_SECONDS[-1]} s after {core.PREPARING:g} s preparing (null status) and "
        f"{core.QUEUED:g} s queued; no variables, no artifacts.",
        "* **Spec** (generated): N deployments with `parallel: true`, spread over the workflows "
        "round robin from the longest (so every N has a 120 s run; N = 10 uses 120 s ... 30 s).",
        "* **(a) Gate**: the installed `harness-gate run deploy.yaml --json ... --junit ...` as a "
        + (
            f"subprocess with extra flags `{' '.join(plan['gate_args'])}`."
            if plan["gate_args"]
            else "subprocess with the default `--max-rpm` "
            f"({m['default_max_rpm']}) and `--poll-interval` ({m['default_poll_interval']:g} s)."
        ),
        "* **(b) Naive client**: what the documentation's curl scripts do, with `requests`: per "
        "deployment one `applicationByName`, one `workflowByName` and one `startExecution` "
        f"call, then one `execution(executionId)` call per active execution every "
        f"{plan['naive_poll']:g} s. Run against an emulator with **no** rate limit so it "
        "finishes; the 429s it would have received are computed by replaying its request times "
        f"(as the emulator received them) through a {core.HARNESS_LIMIT}/min sliding window "
        "in which a refused call is not recorded, as Harness does.",
        "* **Concurrency**: "
        + (
            "cold-start timings (c) run first, alone. Then every N of (a) and (b) runs at the "
            "same time, each in its own worker process with its own emulator and so its own "
            f"rate limit, to keep the whole benchmark near 10 minutes. The machine has "
            f"{m['usable_cores']} usable cores: request durations and CPU timings of one run "
            "include some contention with the others."
        ),
        "",
        "## Targets",
        "",
    ]
    if quick:
        out += ["Quick mode: computed the same way, but not under the targets' conditions.", ""]
    out += ["```"] + [t.line for t in found] + ["```", ""]
    info = informational(results)
    if info:
        out += [
            "Request ratio at every N (the target is judged on the largest spec; with one "
            "deployment the naive client itself needs only ~15 requests, so no client can be "
            "20 times below it):",
            "",
        ]
        out += [f"* {line}" for line in info] + [""]

    out += ["## (a) and (b): requests for the same spec", ""]
    rows = []
    for g in gates:
        nv = naives.get(g["n"])
        rows.append(
            [
                str(g["n"]),
                str(g["requests"]),
                num(g["requests_per_deployment"], 2),
                str(g["rate_limited"]),
                f"{g['max_in_60s']} (<= {g['max_rpm']})",
                "-" if nv is None else str(nv["requests"]),
                "-" if nv is None else num(nv["requests_per_deployment"], 2),
                "-" if nv is None else str(nv["max_in_60s"]),
                "-" if nv is None else f"{nv['simulated_429']} ({_share(nv['simulated_429'], nv)})",
                "-" if nv is None or not g["requests"] else _ratio(nv["requests"], g["requests"]),
            ]
        )
    out += _table(
        [
            "N",
            "gate requests",
            "gate req/deployment",
            "gate 429s",
            "gate max in any 60 s",
            "naive requests",
            "naive req/deployment",
            "naive max in any 60 s",
            f"naive 429s at {core.HARNESS_LIMIT}/min (simulated)",
            "gate / naive",
        ],
        rows,
    )
    out += ["", "Gate requests by operation:", ""]
    out += _table(
        ["N", "operations"],
        [
            [
                str(g["n"]),
                ", ".join(f"{op} {count}" for op, count in sorted(g["by_operation"].items())),
            ]
            for g in gates
        ],
    )
    out += ["", "Naive requests by call:", ""]
    out += _table(
        ["N", "calls", "started", "succeeded", "wall s", "notice delay median / max s"],
        [
            [
                str(n),
                ", ".join(f"{f} {c}" for f, c in sorted(nv["by_field"].items())),
                str(nv["started"]),
                str(nv["succeeded"]),
                num(nv["wall_seconds"]),
                f"{num(nv['notice_median'], 2)} / {num(nv['notice_max'], 2)}",
            ]
            for n, nv in sorted(naives.items())
        ],
    )
    out += ["", "## (a) The gate: time, noticing, cost", ""]
    out += _table(
        [
            "N",
            "succeeded",
            "exit",
            "wall s",
            "first request s",
            "first / last start s",
            "longest execution s",
            "wall beyond longest s",
            "exit after last end s",
            "notice delay median s",
            "notice delay max s",
            "interval in force (min-max) s",
            "worst delay - interval s",
            "CPU s",
            "peak RSS MiB",
        ],
        [
            [
                str(g["n"]),
                f"{g['succeeded']}/{g['n']}",
                str(g["exit_code"]),
                num(g["wall_seconds"]),
                num(g.get("first_request_seconds"), 2),
                f"{num(g.get('first_start_seconds'))} / {num(g.get('last_start_seconds'))}",
                num(g["longest_execution_seconds"]),
                num(g["beyond_longest_seconds"]),
                num(g["exit_after_last_end_seconds"], 2),
                num(g["notice_median"], 2),
                num(g["notice_max"], 2),
                f"{num(g['interval_min'], 2)}-{num(g['interval_max'], 2)}",
                num(g["worst_over_interval"], 3),
                num(g["cpu_seconds"], 2),
                num(g["max_rss_mb"]),
            ]
            for g in gates
        ],
    )
    out += ["", "The slowest notice of each run, with the interval in force at that read:", ""]
    slow_rows = []
    for g in gates:
        r = g["slowest_notice"]
        if r is None:
            continue
        slow_rows.append(
            [
                str(g["n"]),
                f"{r['deployment']} ({r['entity']})",
                num(r["delay"], 3),
                num(r["interval"], 3),
                num(r.get("gap"), 3),
                num(r["request_seconds"] * 1000, 1),
            ]
        )
    out += _table(
        [
            "N",
            "deployment",
            "delay s",
            "interval in force s",
            "real gap between reads s",
            "request ms",
        ],
        slow_rows,
    )
    late = [(g["n"], r) for g in gates for r in g.get("over_rows") or []]
    if late:
        out += [
            "",
            f"Executions noticed later than the interval in force allows ({len(late)}; at most "
            "15 shown, worst first). *real gap* is the time between the last status read that "
            "saw the run going and the one that saw it ended; *in between* lists the other "
            "requests the gate sent meanwhile:",
            "",
        ]
        late.sort(key=lambda item: -float(item[1]["over"]))
        out += _table(
            [
                "N",
                "deployment",
                "delay s",
                "interval in force s",
                "real gap s",
                "request ms",
                "over by s",
                "in between",
            ],
            [
                [
                    str(n),
                    f"{r['deployment']} ({r['entity']})",
                    num(r["delay"], 3),
                    num(r["interval"], 3),
                    num(r.get("gap"), 3),
                    num(r["request_seconds"] * 1000, 1),
                    num(r["over"], 3),
                    ", ".join(r.get("between") or []) or "nothing (budget wait)",
                ]
                for n, r in late[:15]
            ],
        )
    if limited:
        out += ["", "## (b) The naive client under the real limit", ""]
        out += _table(
            [
                "N",
                "requests sent",
                "429s received",
                "started",
                "succeeded (seen ending)",
                "wall s",
                "notice delay median / max s",
            ],
            [
                [
                    str(r["n"]),
                    str(r["requests"]),
                    f"{r['rate_limited']} ({r['rate_limited'] / r['requests']:.0%})",
                    str(r["started"]),
                    str(r["succeeded"]),
                    num(r["wall_seconds"]),
                    f"{num(r['notice_median'], 2)} / {num(r['notice_max'], 2)}",
                ]
                for r in limited
            ],
        )
        out += [
            "",
            "The scripts ignore 429s; this client waits a poll period and repeats a refused "
            "lookup or start, and a refused status read is retried on the next round.",
        ]
    cold = results["cold"]
    out += ["", f"## (c) Cold start (median of {cold['runs']} runs, after one warm-up run)", ""]
    out += _table(
        ["command", "measured", "median ms", "min-max ms", "x python -c pass"],
        [
            [
                f"`{row['label']}`",
                row["what"],
                num(row["median"] * 1000, 0),
                f"{num(row['min'] * 1000, 0)}-{num(row['max'] * 1000, 0)}",
                num(row["ratio"], 2),
            ]
            for row in cold["rows"]
        ],
    )
    out += [
        "",
        "## How each number is measured",
        "",
        "* **requests**, **429s**: the emulator's request log (every GraphQL and REST call it "
        "received); a 429 is an entry with `rate_limited` or status 429.",
        "* **max in any 60 s**: the most log entries whose arrival times (`wall`) fall in one "
        "half-open window [t, t + 60 s); the tightest span is the shortest time in which "
        "max-rpm + 1 consecutive requests arrived (>= 60 s means the budget held).",
        "* **first request**, **first / last start**: seconds from the gate's spawn to the "
        "arrival of its first request and of its first and last `startExecution` batch.",
        "* **wall**: spawn to exit of the gate process. **longest execution**: the longest "
        "`endedAt - createdAt` the emulator recorded. **exit after last end**: gate exit minus "
        "the last execution's end.",
        "* **notice delay**: for each execution, the arrival (emulator clock) of the first "
        "status read that included it and came after its `endedAt`, minus `endedAt`. The "
        "**interval in force** is the gate's own `notice_interval_seconds` from its `--json` "
        "summary. **delay - interval** subtracts the interval and the noticing request's own "
        f"duration; a run counts as over when that is above {core.CLOCK_SLACK * 1000:.0f} ms "
        "(endedAt has millisecond precision).",
        "* **CPU s**, **peak RSS**: `os.wait4` on the gate process (its own user + system time "
        "and `ru_maxrss`).",
        "* **cold start**: `time.perf_counter()` around `subprocess.run` for spawn to exit; "
        "for `run`, `time.time()` before the spawn to the first request's `wall` in the "
        "emulator's log (the gate is then stopped with SIGTERM).",
        "",
    ]
    return "\n".join(out)
