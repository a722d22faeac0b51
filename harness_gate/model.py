"""Typed model shared by every stage: the spec as loaded, and what happened to each deployment."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Optional

from harness_gate.defaults import DEFAULT_TIMEOUT

PIPELINE = "pipeline"
WORKFLOW = "workflow"

# The Harness platform a spec addresses: FirstGen (GraphQL, applications, workflows) or
# NextGen (organisations, projects, pipelines by identifier).
FIRSTGEN = "firstgen"
NEXTGEN = "nextgen"
PLATFORMS = (FIRSTGEN, NEXTGEN)


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


@dataclass(frozen=True)
class Location:
    file: str
    line: Optional[int] = None

    def __str__(self) -> str:
        return self.file if self.line is None else f"{self.file}:{self.line}"


@dataclass(frozen=True)
class ArtifactInput:
    """One serviceInputs entry: a build number of an artifact source, or an artifact id."""

    service: str
    source: Optional[str] = None
    build: Optional[str] = None
    artifact_id: Optional[str] = None
    location: Optional[Location] = None
    # parameterValueInputs of a parameterized artifact source: (name, exact text), spec order
    parameters: tuple[tuple[str, str], ...] = ()

    @property
    def value_type(self) -> str:
        if self.artifact_id is not None:
            return "ARTIFACT_ID"
        return "PARAMETERIZED_ARTIFACT_SOURCE" if self.parameters else "BUILD_NUMBER"


@dataclass(frozen=True)
class ManifestInput:
    """One manifestInputs entry (FirstGen): a Helm chart version, or a chart id."""

    service: str
    manifest: str  # the application manifest name
    version: Optional[str] = None
    chart_id: Optional[str] = None
    location: Optional[Location] = None

    @property
    def value_type(self) -> str:
        return "HELM_CHART_ID" if self.chart_id is not None else "VERSION_NUMBER"


@dataclass(frozen=True)
class StageArtifactInput:
    """NextGen: the tag of the primary artifact of a stage's service, when it is an input."""

    stage: str
    tag: str
    location: Optional[Location] = None


@dataclass
class NextGenTarget:
    """Where and how a NextGen pipeline runs; Deployment.nextgen for platform: nextgen."""

    org: str
    project: str
    pipeline: Optional[str] = None  # the pipeline identifier
    pipeline_name: Optional[str] = None  # or its exact name
    input_sets: list[str] = field(default_factory=list)
    inputs: Optional[str] = None  # raw runtime-input YAML, as written (after ${VAR})
    stages: list[str] = field(default_factory=list)
    branch: Optional[str] = None
    artifacts: list[StageArtifactInput] = field(default_factory=list)


@dataclass(frozen=True)
class VariableInput:
    """One variableInputs entry; value is the scalar's exact text from the spec."""

    name: str
    value: str
    type: str = "NAME"  # VariableValueType: NAME or ID (always NAME on NextGen)
    location: Optional[Location] = None


@dataclass
class Deployment:
    name: str
    entity_type: str  # PIPELINE or WORKFLOW (NextGen: always PIPELINE)
    entity_name: str  # NextGen: the pipeline identifier, or pipeline_name
    application: str  # NextGen: "org/project"
    artifacts: list[ArtifactInput] = field(default_factory=list)
    variables: list[VariableInput] = field(default_factory=list)
    notes: Optional[str] = None
    timeout: float = DEFAULT_TIMEOUT
    needs: list[str] = field(default_factory=list)
    abort_on_exit: bool = False
    allow_unknown_variables: bool = False
    location: Optional[Location] = None
    platform: str = FIRSTGEN
    manifests: list[ManifestInput] = field(default_factory=list)
    continue_with_default_values: bool = False
    nextgen: Optional[NextGenTarget] = None


@dataclass
class Spec:
    path: str
    deployments: list[Deployment]
    version: int = 1
    application: Optional[str] = None
    notes: Optional[str] = None
    timeout: float = DEFAULT_TIMEOUT
    parallel: bool = False
    poll_interval: Optional[float] = None
    abort_on_exit: bool = False
    allow_unknown_variables: bool = False
    platform: str = FIRSTGEN
    org: Optional[str] = None
    project: Optional[str] = None
    continue_with_default_values: bool = False


class Outcome(str, enum.Enum):
    SUCCESS = "success"
    FAILURE = "failure"
    TIMEOUT = "timeout"
    ERROR = "error"
    SKIPPED = "skipped"


@dataclass
class StatusChange:
    at: datetime
    status: Optional[str]
    note: str = ""


@dataclass
class DeploymentResult:
    """What the gate knows about one deployment; reporters read only this."""

    name: str
    application: str
    entity_type: str
    entity_name: str
    application_id: Optional[str] = None
    entity_id: Optional[str] = None
    execution_id: Optional[str] = None
    url: Optional[str] = None
    status: Optional[str] = None  # last Harness status seen (None: not started or PREPARING)
    terminal: bool = False  # Harness said the execution ended (its status is final)
    outcome: Optional[Outcome] = None  # None while still active
    message: str = ""  # one line: why it failed, errored or was skipped
    details: list[str] = field(
        default_factory=list
    )  # extra lines: Harness's words, failure details
    created_at: Optional[datetime] = None
    started_at: Optional[datetime] = None
    ended_at: Optional[datetime] = None
    timeline: list[StatusChange] = field(default_factory=list)
    abort_result: Optional[str] = None  # e.g. "abort accepted" / "abort refused: ..."
    warning: Optional[str] = None  # startExecution warningMessage
    gate_started_at: Optional[datetime] = None  # when the gate sent the start
    gate_ended_at: Optional[datetime] = None  # when the gate saw the end
    notice_interval: Optional[float] = None  # the poll interval in force when the end was seen

    @property
    def classname(self) -> str:
        """Stable JUnit classname: harness.<application>.<entity>, dots only as separators."""
        return ".".join(
            ["harness", _classname_part(self.application), _classname_part(self.entity_name)]
        )

    @property
    def started(self) -> bool:
        return self.execution_id is not None

    @property
    def duration(self) -> float:
        begin = self.gate_started_at or self.started_at
        end = self.gate_ended_at or self.ended_at
        if begin is None or end is None:
            return 0.0
        return max(0.0, (end - begin).total_seconds())

    def record(self, status: Optional[str], note: str = "", at: Optional[datetime] = None) -> None:
        self.status = status
        self.timeline.append(StatusChange(at or utcnow(), status, note))


def _classname_part(text: str) -> str:
    cleaned = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in text.strip())
    return cleaned.strip("_") or "unnamed"


@dataclass
class RunResult:
    """Everything a report needs about one invocation."""

    command: str  # run, wait, demo
    spec_path: Optional[str]
    deployments: list[DeploymentResult]
    exit_code: int = 0
    started_at: datetime = field(default_factory=utcnow)
    finished_at: Optional[datetime] = None
    error: Optional[str] = None  # run-level error line (spec error, auth failure, ...)
    interrupted_by: Optional[str] = None  # "SIGTERM" etc.
    signum: Optional[int] = None  # the signal that stopped the run
    error_code: Optional[int] = None  # the exit code of the run-level error, when there is one
    internal_error: bool = False  # a bug in the gate ended the run
    no_wait: bool = False

    def settle_unfinished(self, outcome: Outcome, message: str) -> None:
        """The run ends early: every deployment still without an outcome gets this one."""
        for deployment in self.deployments:
            if deployment.outcome is None:
                deployment.outcome, deployment.message = outcome, message
