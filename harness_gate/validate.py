"""An offline check of a spec: syntax, keys, types, needs, interpolation; no network."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Optional

from harness_gate import error_handler
from harness_gate.console import Console
from harness_gate.exit_codes import exit_code
from harness_gate.model import Outcome, RunResult, Spec
from harness_gate.run import result_for


def _load_reporting_every_error(
    path: str, only: list[str], environ: Mapping[str, str], console: Console
) -> Spec:
    """All the spec's mistakes (up to a limit) in the log, each with file:line:key; the first
    is raised, so the result and the exit code are those of a spec error."""
    from harness_gate.spec import (
        collect_spec_errors,
        load_spec_text,
        read_spec_source,
        select_deployments,
    )

    name, data = read_spec_source(path)
    errors = collect_spec_errors(data, name, environ)
    for extra in errors[1:]:
        console.line(f"error: {extra}")
    if errors:
        raise errors[0]
    return select_deployments(load_spec_text(data, name, environ), only)


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
        spec = _load_reporting_every_error(path, only, environ, console)
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
