"""The benchmark's machinery: the generated fixture and spec, the gate and naive-client
scenarios, the sliding-window simulator, cold-start timing and the metrics.

`benchmarks/run.py` drives it; `tests/benchmarks/` calls it directly on small inputs.
Every scenario runs against its own in-process emulator, so each has its own rate limit.
"""

from __future__ import annotations

import collections
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Optional

import requests

from harness_gate.defaults import DEFAULT_MAX_RPM, DEFAULT_POLL_INTERVAL
from harness_gate.emulator import Emulator
from harness_gate.platforms.firstgen.statuses import TERMINAL_STATUSES

APPLICATION = "Benchmark App"
ENVIRONMENT = "bench"
WORKFLOW_SECONDS = tuple(range(10, 121, 10))  # 10 s, 20 s, ... 120 s of RUNNING
PREPARING = 2.0  # emulator seconds with a null status
QUEUED = 1.0
HARNESS_LIMIT = 30  # GraphQL calls per sliding minute for a paid account
WINDOW = 60.0
NAIVE_POLL = 10.0  # the documentation's scripts: one execution() read per run every 10 s

# Variables that make the gate write CI outputs or pick another server; never inherited.
_STRIP_PREFIXES = ("GITHUB_", "GITLAB_", "CI_", "HARNESS_")
_STRIP_NAMES = frozenset(
    {"JENKINS_URL", "BUILD_URL", "JOB_NAME", "BUILD_NUMBER", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"}
)


# ---- the generated world ----------------------------------------------------------------------


def workflow_name(seconds: int) -> str:
    return f"Deploy {seconds}s"


def fixture() -> dict[str, Any]:
    """One application, one workflow per duration, no variables, no artifacts."""
    return {
        "applications": [
            {
                "name": APPLICATION,
                "environments": [{"name": ENVIRONMENT, "type": "NON_PROD"}],
                "workflows": [
                    {
                        "name": workflow_name(seconds),
                        "environment": ENVIRONMENT,
                        "preparing": PREPARING,
                        "queued": QUEUED,
                        "duration": seconds,
                    }
                    for seconds in WORKFLOW_SECONDS
                ],
            }
        ]
    }


def durations_for(n: int) -> list[int]:
    """Round robin over the workflows, longest first: every N includes a 120 s run."""
    count = len(WORKFLOW_SECONDS)
    return [WORKFLOW_SECONDS[(count - 1 - i) % count] for i in range(n)]


def deployment_names(n: int) -> list[str]:
    width = len(str(n))
    return [f"deploy-{i + 1:0{width}d}" for i in range(n)]


def spec_text(n: int) -> str:
    lines = ["version: 1", f"application: {APPLICATION}", "parallel: true", "deployments:"]
    for name, seconds in zip(deployment_names(n), durations_for(n)):
        lines += [f"  - name: {name}", f"    workflow: {workflow_name(seconds)}"]
    return "\n".join(lines) + "\n"


# ---- window arithmetic ------------------------------------------------------------------------


def simulate_limiter(
    timestamps: Iterable[float], limit: int = HARNESS_LIMIT, window: float = WINDOW
) -> list[bool]:
    """Harness's per-account limiter over these call times: True = accepted.

    A sliding window of `window` seconds; a rejected call is not recorded in it (ratelimitj's
    "over limit, don't record request"), exactly like the emulator's SlidingWindow.
    """
    accepted: collections.deque[float] = collections.deque()
    verdicts = []
    for t in sorted(timestamps):
        while accepted and accepted[0] <= t - window:
            accepted.popleft()
        if len(accepted) >= limit:
            verdicts.append(False)
        else:
            accepted.append(t)
            verdicts.append(True)
    return verdicts


def max_in_window(timestamps: Iterable[float], window: float = WINDOW) -> int:
    """The most calls in any half-open window [t, t + window)."""
    ts = sorted(timestamps)
    best = 0
    j = 0
    for i, start in enumerate(ts):
        j = max(j, i)
        while j < len(ts) and ts[j] < start + window:
            j += 1
        best = max(best, j - i)
    return best


def tightest_span(timestamps: Iterable[float], count: int) -> Optional[float]:
    """The shortest time in which `count` consecutive calls were made (None: fewer calls).

    With count = max_rpm + 1, a value of at least 60 s means no rolling minute held more
    than max_rpm calls; below 60 s it says by how much the budget was overrun.
    """
    ts = sorted(timestamps)
    if count < 1 or len(ts) < count:
        return None
    return min(ts[i + count - 1] - ts[i] for i in range(len(ts) - count + 1))


def median(values: Sequence[float]) -> Optional[float]:
    return statistics.median(values) if values else None


# ---- processes -------------------------------------------------------------------------------


def gate_command() -> list[str]:
    installed = Path(sys.executable).parent / "harness-gate"
    if installed.exists():
        return [str(installed)]
    found = shutil.which("harness-gate")
    if found:
        return [found]
    raise SystemExit("the harness-gate command is not installed (pip install -e '.[emulator]')")


def clean_env(extra: Optional[Mapping[str, str]] = None) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in _STRIP_NAMES and not k.startswith(_STRIP_PREFIXES)
    }
    env.update(extra or {})
    return env


@dataclass
class ProcessRun:
    argv: list[str]
    exit_code: int
    spawn_wall: float  # time.time() just before the spawn
    exit_wall: float
    wall_seconds: float
    cpu_seconds: float  # user + system of the process itself
    max_rss_mb: float
    timed_out: bool


def run_measured(
    argv: Sequence[str],
    env: Mapping[str, str],
    cwd: Path,
    log_path: Path,
    timeout: float,
) -> ProcessRun:
    """Run a process to its end; os.wait4 gives exactly its own CPU time and peak RSS."""
    with open(log_path, "w", encoding="utf-8") as log:
        spawn_wall = time.time()
        t0 = time.perf_counter()
        proc = subprocess.Popen(
            list(argv), env=dict(env), cwd=cwd, stdout=log, stderr=log, stdin=subprocess.DEVNULL
        )
        expired = threading.Event()

        def stop() -> None:
            expired.set()
            proc.terminate()

        timer = threading.Timer(timeout, stop)
        timer.daemon = True
        timer.start()
        _, status, usage = os.wait4(proc.pid, 0)
        timer.cancel()
        wall = time.perf_counter() - t0
        exit_wall = time.time()
    proc.returncode = os.waitstatus_to_exitcode(status)
    return ProcessRun(
        argv=list(argv),
        exit_code=proc.returncode,
        spawn_wall=spawn_wall,
        exit_wall=exit_wall,
        wall_seconds=wall,
        cpu_seconds=usage.ru_utime + usage.ru_stime,
        max_rss_mb=usage.ru_maxrss / 1024.0,  # Linux: KiB
        timed_out=expired.is_set(),
    )


# ---- (a) the gate -------------------------------------------------------------------------------


def gate_scenario(
    n: int,
    workdir: Path,
    *,
    time_scale: float = 1.0,
    rate_limit: Optional[int] = HARNESS_LIMIT,
    gate_args: Sequence[str] = (),
    timeout: float = 1800.0,
) -> dict[str, Any]:
    """`harness-gate run` on an N-deployment parallel spec; the metrics and the raw data."""
    workdir.mkdir(parents=True, exist_ok=True)
    spec = workdir / f"deploy-{n}.yaml"
    spec.write_text(spec_text(n), encoding="utf-8")
    summary_path = workdir / f"gate-{n}.json"
    argv = [
        *gate_command(),
        "run",
        str(spec),
        "--junit",
        str(workdir / f"gate-{n}-junit.xml"),
        "--json",
        str(summary_path),
        *gate_args,
    ]
    with Emulator(fixtures=fixture(), time_scale=time_scale, rate_limit=rate_limit) as emu:
        run = run_measured(
            argv, clean_env(emu.env()), workdir, workdir / f"gate-{n}.log", timeout=timeout
        )
        log = emu.requests()
        executions = emu.executions()
    summary = json.loads(summary_path.read_text("utf-8")) if summary_path.exists() else None
    raw = {"requests": log, "executions": executions, "summary": summary}
    (workdir / f"gate-{n}-raw.json").write_text(json.dumps(raw, default=str), encoding="utf-8")
    return gate_metrics(n, run, log, executions, summary, time_scale, _max_rpm(gate_args))


def gate_metrics_again(result: Mapping[str, Any], workdir: Path) -> dict[str, Any]:
    """The metrics of a finished gate run, computed anew from its kept raw data."""
    n = int(result["n"])
    raw = json.loads((workdir / f"gate-{n}-raw.json").read_text("utf-8"))
    run = ProcessRun(**result["run"])
    return gate_metrics(
        n,
        run,
        raw["requests"],
        raw["executions"],
        raw["summary"],
        float(result["time_scale"]),
        int(result["max_rpm"]),
    )


def _max_rpm(args: Sequence[str]) -> int:
    args = list(args)
    for i, arg in enumerate(args):
        if arg == "--max-rpm" and i + 1 < len(args):
            return int(args[i + 1])
        if arg.startswith("--max-rpm="):
            return int(arg.split("=", 1)[1])
    return DEFAULT_MAX_RPM


def is_rate_limited(entry: Mapping[str, Any]) -> bool:
    return bool(entry.get("rate_limited")) or entry.get("status") == 429


def to_wall(log: Sequence[Mapping[str, Any]], time_scale: float) -> Any:
    """Emulator epoch seconds -> time.time(), from any logged request's pair of clocks."""
    if not log:
        return lambda t: t
    ref = log[0]
    return lambda t: ref["wall"] + (t - ref["time"]) / time_scale


def _variable_values(variables: Any) -> set[str]:
    if isinstance(variables, dict):
        return {v for v in variables.values() if isinstance(v, str)}
    return set()


def notice_delays(
    log: Sequence[Mapping[str, Any]],
    executions: Sequence[Mapping[str, Any]],
    deployments: Sequence[Mapping[str, Any]],
    time_scale: float,
) -> list[dict[str, Any]]:
    """For each ended execution: when the first status read that saw it terminal arrived.

    delay = that request's arrival (emulator clock) - the execution's endedAt, in real
    seconds. interval = the gate's interval in force for that read (notice_interval_seconds).
    (The summary's timeline times have whole-second precision, so the request log decides.)
    """
    wall = to_wall(log, time_scale)
    by_execution = {d["execution_id"]: d for d in deployments if d.get("execution_id")}
    reads = sorted(
        (
            e
            for e in log
            if "execution" in (e.get("fields") or [])
            and e.get("status") == 200
            and not e.get("fault")
            and not is_rate_limited(e)
        ),
        key=lambda e: float(e["time"]),
    )
    ids_in = [_variable_values(e.get("variables")) for e in reads]
    rows = []
    for x in executions:
        if x.get("ended_at") is None:
            continue
        end = x["ended_at"] / 1000.0
        mine = [e for e, ids in zip(reads, ids_in) if x["id"] in ids]
        seen = next((e for e in mine if e["time"] >= end), None)
        before = [e for e in mine if e["time"] < end]
        # The real interval: from the last read that still saw it running to the one that saw
        # it ended (what the gate planned is `interval`; the budget or a start may stretch it).
        gap = None
        between: list[str] = []
        if seen is not None and before:
            gap = (seen["time"] - before[-1]["time"]) / time_scale
            between = [
                str(e.get("operation"))
                for e in log
                if before[-1]["time"] < e["time"] < seen["time"]
            ]
        d = by_execution.get(x["id"], {})
        rows.append(
            {
                "deployment": d.get("name"),
                "execution_id": x["id"],
                "entity": x.get("entity_name"),
                "status": x.get("status"),
                "ended_wall": wall(end),
                "delay": None if seen is None else (seen["time"] - end) / time_scale,
                "request_seconds": None if seen is None else seen["duration_ms"] / 1000.0,
                "gap": gap,
                "between": between,  # other requests between those two reads
                "interval": d.get("notice_interval_seconds"),
            }
        )
    return rows


# ms rounding of endedAt and of the log's clocks; not a tolerance on the gate's behaviour.
CLOCK_SLACK = 0.002


def notice_verdict(row: Mapping[str, Any]) -> Optional[float]:
    """How far past (interval in force + the noticing request's duration) a run waited to be
    noticed: <= 0 is within the target; None when it was never noticed or has no interval."""
    if row.get("delay") is None or row.get("interval") is None:
        return None
    return float(row["delay"]) - float(row["interval"]) - float(row["request_seconds"] or 0.0)


def gate_metrics(
    n: int,
    run: ProcessRun,
    log: Sequence[Mapping[str, Any]],
    executions: Sequence[Mapping[str, Any]],
    summary: Optional[Mapping[str, Any]],
    time_scale: float,
    max_rpm: int,
) -> dict[str, Any]:
    wall = to_wall(log, time_scale)
    deployments = list(summary["deployments"]) if summary else []
    outcomes = collections.Counter(d.get("outcome") for d in deployments)
    walls = [float(e["wall"]) for e in log]
    lifetimes = [
        (x["ended_at"] - x["created_at"]) / 1000.0 / time_scale
        for x in executions
        if x.get("ended_at") is not None
    ]
    ends = [x["ended_at"] / 1000.0 for x in executions if x.get("ended_at") is not None]
    rows = notice_delays(log, executions, deployments, time_scale)
    delays = [r["delay"] for r in rows if r["delay"] is not None]
    judged = [(notice_verdict(r), r) for r in rows]
    over = [(v, r) for v, r in judged if v is not None]
    worst = max(over, key=lambda item: item[0]) if over else None
    slowest = max(
        (r for r in rows if r["delay"] is not None), key=lambda r: r["delay"], default=None
    )
    intervals = [float(r["interval"]) for r in rows if r["interval"] is not None]
    longest = max(lifetimes) if lifetimes else None
    starts = [float(e["wall"]) - run.spawn_wall for e in log if "startExecution" in e["fields"]]
    return {
        "kind": "gate",
        "n": n,
        "time_scale": time_scale,
        "max_rpm": max_rpm,
        "exit_code": run.exit_code,
        "timed_out": run.timed_out,
        "outcomes": dict(outcomes),
        "succeeded": outcomes.get("success", 0),
        "failed": n - outcomes.get("success", 0),
        "executions_started": len(executions),
        "requests": len(log),
        "requests_per_deployment": len(log) / n,
        "by_operation": dict(collections.Counter(e.get("operation") or "?" for e in log)),
        "start_executions": sum((e.get("fields") or []).count("startExecution") for e in log),
        "rate_limited": sum(1 for e in log if is_rate_limited(e)),
        "max_in_60s": max_in_window(walls),
        "tightest_span": tightest_span(walls, max_rpm + 1),
        "wall_seconds": run.wall_seconds,
        "first_request_seconds": min(walls) - run.spawn_wall if walls else None,
        "first_start_seconds": min(starts) if starts else None,
        "last_start_seconds": max(starts) if starts else None,
        "longest_execution_seconds": longest,
        "beyond_longest_seconds": None if longest is None else run.wall_seconds - longest,
        "exit_after_last_end_seconds": run.exit_wall - wall(max(ends)) if ends else None,
        "notice_median": median(delays),
        "notice_max": max(delays) if delays else None,
        "not_noticed": sum(1 for r in rows if r["delay"] is None),
        "interval_min": min(intervals) if intervals else None,
        "interval_max": max(intervals) if intervals else None,
        "slowest_notice": slowest,
        "worst_over_interval": None if worst is None else worst[0],
        "worst_row": None if worst is None else worst[1],
        "over_interval_count": sum(1 for v, _ in over if v > CLOCK_SLACK),
        "over_rows": sorted(
            (dict(r, over=v) for v, r in over if v > CLOCK_SLACK),
            key=lambda r: -float(r["over"]),
        ),
        "largest_gap": max((r["gap"] for r in rows if r["gap"] is not None), default=None),
        "notice_rows": rows,
        "cpu_seconds": run.cpu_seconds,
        "max_rss_mb": run.max_rss_mb,
        "run": asdict(run),
    }


# ---- (b) the naive client ---------------------------------------------------------------------

_APP_QUERY = (
    "query {{\n  applicationByName(name:{name}){{\n    id\n    name\n"
    "    pipelines(limit:4){{\n      nodes{{\n        id\n        description\n      }}\n    }}\n"
    "  }}\n}}\n"
)
_WORKFLOW_QUERY = (
    "{{\n  workflowByName(applicationId: {app}, workflowName: {name}) {{\n    id\n    name\n"
    "    workflowVariables {{\n      name\n      type\n      required\n    }}\n  }}\n}}\n"
)
_START_MUTATION = (
    "\nmutation($startExecution: StartExecutionInput!){\n"
    "  startExecution (input:$startExecution){\n"
    "    clientMutationId\n    execution {\n      notes\n      status\n      startedAt\n      id\n"
    "      application{\n        id\n      }\n    }\n  }\n}"
)
_STATUS_QUERY = "query{{\n  execution(executionId: {id}) {{\n    id\n    status\n  }}\n}}\n"


class NaiveClient:
    """What the documentation's curl scripts do, one call at a time: look up the application
    and the workflow by name for every deployment, start it, then read each active execution's
    status every 10 s until all have ended.

    The scripts do nothing about a 429. To let a run under the real limit finish, this client
    waits one poll period and sends a refused lookup or start again; a refused status read is
    simply tried again on the next round.
    """

    def __init__(
        self,
        endpoint: str,
        account_id: str,
        api_key: str,
        *,
        poll_every: float = NAIVE_POLL,
        deadline_seconds: float = 900.0,
    ) -> None:
        self.url = f"{endpoint}?accountId={account_id}"
        self.session = requests.Session()
        self.session.headers.update({"x-api-key": api_key, "content-type": "application/json"})
        self.poll_every = poll_every
        self.deadline = time.monotonic() + deadline_seconds
        self.calls: list[dict[str, Any]] = []
        self.seen: dict[str, dict[str, Any]] = {}  # execution id -> {wall, status}
        self.failed: dict[str, str] = {}  # deployment name -> why

    def _post(self, kind: str, payload: dict[str, Any], retry: bool) -> Optional[dict[str, Any]]:
        while True:
            sent = time.time()
            response = self.session.post(self.url, data=json.dumps(payload), timeout=60)
            self.calls.append({"wall": sent, "kind": kind, "status": response.status_code})
            if response.status_code == 429 and retry and time.monotonic() < self.deadline:
                time.sleep(self.poll_every)
                continue
            if response.status_code != 200:
                return None
            body: dict[str, Any] = response.json()
            return body

    def _data(self, body: Optional[dict[str, Any]], *path: str) -> Any:
        node: Any = body.get("data") if body else None
        for key in path:
            node = node.get(key) if isinstance(node, dict) else None
        return node

    def start(self, name: str, application: str, workflow: str) -> Optional[str]:
        body = self._post(
            "applicationByName", {"query": _APP_QUERY.format(name=json.dumps(application))}, True
        )
        app_id = self._data(body, "applicationByName", "id")
        if not app_id:
            self.failed[name] = "application lookup failed"
            return None
        query = _WORKFLOW_QUERY.format(app=json.dumps(app_id), name=json.dumps(workflow))
        body = self._post("workflowByName", {"query": query}, True)
        workflow_id = self._data(body, "workflowByName", "id")
        if not workflow_id:
            self.failed[name] = "workflow lookup failed"
            return None
        variables = {
            "startExecution": {
                "applicationId": app_id,
                "notes": "Demo",
                "executionType": "WORKFLOW",
                "entityId": workflow_id,
            }
        }
        body = self._post(
            "startExecution", {"query": _START_MUTATION, "variables": variables}, True
        )
        execution_id = self._data(body, "startExecution", "execution", "id")
        if not execution_id:
            self.failed[name] = "start failed"
            return None
        return str(execution_id)

    def run(self, deployments: Sequence[tuple[str, str, str]]) -> dict[str, str]:
        """deployments: (name, application, workflow). Returns name -> execution id."""
        started: dict[str, str] = {}
        for name, application, workflow in deployments:
            execution_id = self.start(name, application, workflow)
            if execution_id:
                started[name] = execution_id
        active = dict(started)
        tick = time.monotonic()
        while active and time.monotonic() < self.deadline:
            tick += self.poll_every
            time.sleep(max(0.0, tick - time.monotonic()))
            for name, execution_id in list(active.items()):
                body = self._post(
                    "execution", {"query": _STATUS_QUERY.format(id=json.dumps(execution_id))}, False
                )
                status = self._data(body, "execution", "status")
                if status in TERMINAL_STATUSES:
                    self.seen[execution_id] = {"wall": time.time(), "status": status}
                    del active[name]
        for name in active:
            self.failed[name] = "still running at the client's deadline"
        self.session.close()
        return started


def naive_scenario(
    n: int,
    workdir: Path,
    *,
    time_scale: float = 1.0,
    rate_limit: Optional[int] = None,
    poll_every: float = NAIVE_POLL,
    deadline_seconds: float = 900.0,
) -> dict[str, Any]:
    workdir.mkdir(parents=True, exist_ok=True)
    deployments = [
        (name, APPLICATION, workflow_name(seconds))
        for name, seconds in zip(deployment_names(n), durations_for(n))
    ]
    with Emulator(fixtures=fixture(), time_scale=time_scale, rate_limit=rate_limit) as emu:
        client = NaiveClient(
            emu.endpoint,
            emu.account_id,
            emu.api_key,
            poll_every=poll_every,
            deadline_seconds=deadline_seconds,
        )
        t0 = time.perf_counter()
        started = client.run(deployments)
        wall_seconds = time.perf_counter() - t0
        log = emu.requests()
        executions = emu.executions()
    label = f"naive-{n}-{'limited' if rate_limit else 'unlimited'}"
    raw = {"requests": log, "executions": executions, "calls": client.calls}
    (workdir / f"{label}-raw.json").write_text(json.dumps(raw, default=str), encoding="utf-8")
    return naive_metrics(n, log, executions, client, started, wall_seconds, time_scale, rate_limit)


def naive_metrics(
    n: int,
    log: Sequence[Mapping[str, Any]],
    executions: Sequence[Mapping[str, Any]],
    client: NaiveClient,
    started: Mapping[str, str],
    wall_seconds: float,
    time_scale: float,
    rate_limit: Optional[int],
) -> dict[str, Any]:
    wall = to_wall(log, time_scale)
    walls = [float(e["wall"]) for e in log]
    by_field: collections.Counter[str] = collections.Counter()
    for e in log:
        by_field.update(e.get("fields") or ["?"])
    verdicts = simulate_limiter(walls)
    ended = {x["id"]: x for x in executions if x.get("ended_at") is not None}
    delays = [
        seen["wall"] - wall(ended[xid]["ended_at"] / 1000.0)
        for xid, seen in client.seen.items()
        if xid in ended
    ]
    succeeded = sum(1 for seen in client.seen.values() if seen["status"] == "SUCCESS")
    return {
        "kind": "naive",
        "n": n,
        "time_scale": time_scale,
        "rate_limit": rate_limit,
        "requests": len(log),
        "requests_per_deployment": len(log) / n,
        "by_field": dict(by_field),
        "rate_limited": sum(1 for e in log if is_rate_limited(e)),
        "simulated_429": verdicts.count(False),
        "simulated_limit": HARNESS_LIMIT,
        "max_in_60s": max_in_window(walls),
        "started": len(started),
        "succeeded": succeeded,
        "failed": n - succeeded,
        "failures": dict(collections.Counter(client.failed.values())),
        "wall_seconds": wall_seconds,
        "notice_median": median(delays),
        "notice_max": max(delays) if delays else None,
    }


# ---- (c) cold start --------------------------------------------------------------------------


def _timed(argv: Sequence[str], env: Mapping[str, str], cwd: Path) -> float:
    t0 = time.perf_counter()
    done = subprocess.run(
        list(argv), env=dict(env), cwd=cwd, capture_output=True, text=True, check=False
    )
    elapsed = time.perf_counter() - t0
    if done.returncode != 0:
        raise RuntimeError(f"{argv} exited {done.returncode}: {done.stderr.strip()[-500:]}")
    return elapsed


def _until_first_request(
    argv: Sequence[str], env: Mapping[str, str], cwd: Path, emu: Emulator
) -> float:
    emu.clear_requests()
    spawn_wall = time.time()
    proc = subprocess.Popen(
        list(argv),
        env=dict(env),
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        stdin=subprocess.DEVNULL,
    )
    try:
        limit = time.monotonic() + 60.0
        while time.monotonic() < limit:
            log = emu.requests()
            if log:
                return float(log[0]["wall"]) - spawn_wall
            if proc.poll() is not None:
                raise RuntimeError(f"{argv} exited {proc.returncode} before any request")
            time.sleep(0.002)
        raise RuntimeError(f"{argv}: no request within 60 s")
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def cold_start(workdir: Path, runs: int = 10, big: int = 1000) -> dict[str, Any]:
    """Medians over `runs` (after one untimed warm-up run each), and ratios to python -c pass."""
    workdir.mkdir(parents=True, exist_ok=True)
    gate = gate_command()
    spec_big = workdir / f"deploy-{big}.yaml"
    spec_big.write_text(spec_text(big), encoding="utf-8")
    spec_one = workdir / "deploy-1.yaml"
    spec_one.write_text(spec_text(1), encoding="utf-8")
    env = clean_env()
    offline: list[tuple[str, list[str]]] = [
        ("python -c pass", [sys.executable, "-c", "pass"]),
        ("harness-gate --version", [*gate, "--version"]),
        (f"harness-gate validate ({big:,} deployments)", [*gate, "validate", str(spec_big)]),
    ]
    rows: list[dict[str, Any]] = []
    for label, argv in offline:
        _timed(argv, env, workdir)
        samples = [_timed(argv, env, workdir) for _ in range(runs)]
        rows.append({"label": label, "what": "spawn to exit", "samples": samples})
    with Emulator(fixtures=fixture(), time_scale=1.0, rate_limit=None) as emu:
        run_env = clean_env(emu.env())
        for count, spec in ((1, spec_one), (big, spec_big)):
            argv = [*gate, "run", str(spec), "--junit", str(workdir / "cold-junit.xml")]
            _until_first_request(argv, run_env, workdir, emu)
            samples = [_until_first_request(argv, run_env, workdir, emu) for _ in range(runs)]
            rows.append(
                {
                    "label": f"harness-gate run ({count:,} deployment{'s' if count > 1 else ''})",
                    "what": "spawn to first request at the emulator",
                    "samples": samples,
                }
            )
    base = statistics.median(rows[0]["samples"])
    for row in rows:
        row["median"] = statistics.median(row["samples"])
        row["min"] = min(row["samples"])
        row["max"] = max(row["samples"])
        row["ratio"] = row["median"] / base
    return {"runs": runs, "rows": rows}


# ---- the machine -----------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    import platform

    import harness_gate

    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory = int(line.split()[1]) / 1024 / 1024
                break
    except OSError:
        pass
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count() or 0
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "usable_cores": usable,
        "memory_gib": memory,
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "harness_gate": harness_gate.__version__,
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "default_max_rpm": DEFAULT_MAX_RPM,
        "default_poll_interval": DEFAULT_POLL_INTERVAL,
    }
