"""An offline check of a spec: syntax, keys, types, needs, interpolation; no network."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Optional

from harness_gate import error_handler
from harness_gate.console import Console
from harness_gate.exit_codes import exit_code
from harness_gate.model import Outcome, RunResult
from harness_gate.run import load, result_for


def validate_spec(
    path: str,
    only: list[str],
    environ: Mapping[str, str],
    console: Optional[Console] = None,
    out: Optional[list[str]] = None,
) -> RunResult:
    console = console or Console()
    lines = out if out is not None else []
    result = RunResult(command="validate", spec_path=path, deployments=[])
    try:
        spec = load(path, only, environ)
        result.deployments = [result_for(d) for d in spec.deployments]
        for r in result.deployments:
            r.outcome = Outcome.SUCCESS
        mode = "in parallel" if spec.parallel else "in listed order"
        lines.append(f"{path}: OK, {len(spec.deployments)} deployment(s), {mode}")
        for d in spec.deployments:
            needs = f" after {', '.join(d.needs)}" if d.needs else ""
            lines.append(
                f"  {d.name}: {d.entity_type} {d.entity_name!r} in {d.application!r}{needs}"
            )
    except BaseException as exc:
        error_handler.record(result, exc, console)
    result.exit_code = exit_code(result)
    return result
