"""Every key of the spec, described once.

The loader takes from this table which keys a mapping may hold (per platform), how each value
is read, which top-level keys are defaults of every deployment, and the did-you-mean hints;
the JSON Schema and the key reference of docs/spec.md are generated from it. Adding a key
means adding a row here and reading its value where the model is built.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Optional

from ..model import FIRSTGEN, NEXTGEN, PLATFORMS

__all__ = [
    "ARTIFACT",
    "DEPLOYMENT",
    "FIELDS",
    "MANIFEST",
    "PAIRED",
    "PLATFORM_LABELS",
    "SCOPES",
    "TOP",
    "VARIABLE",
    "Field",
    "field_of",
    "keys_of",
    "one_of_rules",
]

# Where a key is written.
TOP = "top"  # the top level of the file
DEPLOYMENT = "deployment"  # an entry of deployments:
ARTIFACT = "artifact"  # an entry of a deployment's artifacts:
MANIFEST = "manifest"  # an entry of a deployment's manifests:
VARIABLE = "variable"  # the {value: ..., type: ...} form of a variable
SCOPES = (TOP, DEPLOYMENT, ARTIFACT, MANIFEST, VARIABLE)

PLATFORM_LABELS = {FIRSTGEN: "FirstGen", NEXTGEN: "NextGen"}

# How a value is read (the loader has one reader per kind; the schema one shape per kind).
VERSION = "version"  # the number 1
PLATFORM = "platform"  # firstgen | nextgen
NAME = "name"  # non-empty text without control characters; ${VAR} expanded
TEXT = "text"  # any text, kept exactly (notes)
VALUE = "value"  # non-empty text kept exactly as written (builds, tags, versions, ids)
BOOLEAN = "boolean"
DURATION = "duration"
NAMES = "names"  # a list of names, or one name
DEPLOYMENTS = "deployments"
ARTIFACTS = "artifacts"
MANIFESTS = "manifests"
VARIABLES = "variables"  # name -> text, or name -> {value, type}
PARAMETERS = "parameters"  # name -> text
VARIABLE_TYPE = "variable_type"  # NAME | ID
INPUTS_YAML = "inputs_yaml"  # text that parses as a YAML mapping with the key pipeline


@dataclass(frozen=True)
class Field:
    key: str
    scope: str
    kind: str
    description: str
    default: Optional[str] = None  # as the docs show it; None with required=True
    platform: Optional[str] = None  # None: both platforms
    inherited: bool = False  # a deployment key whose top-level value is every deployment's default
    required: bool = False
    top_description: Optional[str] = None  # the top-level row of an inherited key ...
    top_default: str = "none"  # ... and its default there

    def applies_to(self, platform: str) -> bool:
        return self.platform is None or self.platform == platform

    def in_scope(self, scope: str) -> bool:
        return self.scope == scope or (scope == TOP and self.inherited)


FIELDS: tuple[Field, ...] = (
    # --- the file ---
    Field(
        "version",
        TOP,
        VERSION,
        "The format version. Anything but `1` is refused.",
        required=True,
    ),
    Field(
        "application",
        DEPLOYMENT,
        NAME,
        "The Harness application that holds the workflow or pipeline. Either the top-level "
        "`application` or each deployment's is required.",
        default="top-level `application`",
        platform=FIRSTGEN,
        inherited=True,
        top_description="Default Harness application of every deployment.",
    ),
    Field(
        "org",
        DEPLOYMENT,
        NAME,
        "The identifier of the Harness organisation that holds the pipeline. Required, at the "
        "top level or in each deployment.",
        default="top-level `org`",
        platform=NEXTGEN,
        inherited=True,
        top_description="Default organisation identifier of every deployment.",
    ),
    Field(
        "project",
        DEPLOYMENT,
        NAME,
        "The identifier of the Harness project that holds the pipeline. Required, at the top "
        "level or in each deployment.",
        default="top-level `project`",
        platform=NEXTGEN,
        inherited=True,
        top_description="Default project identifier of every deployment.",
    ),
    Field(
        "platform",
        TOP,
        PLATFORM,
        "`firstgen`: Harness CD FirstGen (applications, workflows and pipelines by name). "
        "`nextgen`: Harness NextGen (organisations, projects, pipelines by identifier). "
        "Keys of the other platform are refused.",
        default="`firstgen`",
    ),
    Field(
        "notes",
        DEPLOYMENT,
        TEXT,
        "Execution notes. By default the gate writes the CI job and build URL it runs from.",
        default="top-level `notes`",
        inherited=True,
        top_description="Default execution notes of every deployment.",
        top_default="the CI job and build URL",
    ),
    Field(
        "timeout",
        DEPLOYMENT,
        DURATION,
        "How long to wait for this execution to finish, counted from its start.",
        default="top-level `timeout`",
        inherited=True,
        top_description="Default time to wait for each deployment to finish.",
        top_default="`30m`",
    ),
    Field(
        "poll_interval",
        TOP,
        DURATION,
        "The longest wait between two status reads.",
        default="the gate's own",
    ),
    Field(
        "parallel",
        TOP,
        BOOLEAN,
        "`false`: run the deployments one after another in listed order and stop at the first "
        "failure. `true`: start them together, except that a deployment waits for the ones it "
        "`needs`.",
        default="`false`",
    ),
    Field(
        "abort_on_exit",
        DEPLOYMENT,
        BOOLEAN,
        "Abort this execution if the gate is interrupted or times out.",
        default="top-level `abort_on_exit`",
        inherited=True,
        top_description="Default for each deployment's `abort_on_exit`.",
        top_default="`false`",
    ),
    Field(
        "allow_unknown_variables",
        DEPLOYMENT,
        BOOLEAN,
        "Do not fail on variables the workflow or pipeline does not declare (send them, warn).",
        default="top-level `allow_unknown_variables`",
        inherited=True,
        top_description="Default for each deployment's `allow_unknown_variables`.",
        top_default="`false`",
    ),
    Field(
        "continue_with_default_values",
        DEPLOYMENT,
        BOOLEAN,
        "Let a stage that pauses for runtime inputs carry on with the defaults Harness has. "
        "Off by default: the gate answers runtime inputs with the spec's values, or names the "
        "ones the spec lacks.",
        default="top-level `continue_with_default_values`",
        platform=FIRSTGEN,
        inherited=True,
        top_description="Default for each deployment's `continue_with_default_values`.",
        top_default="`false`",
    ),
    Field(
        "deployments",
        TOP,
        DEPLOYMENTS,
        "What to run; at least one.",
        required=True,
    ),
    # --- a deployment ---
    Field(
        "name",
        DEPLOYMENT,
        NAME,
        "Unique within the file. It names the testcase in the JUnit report and is what `--only` "
        "and `needs` refer to. No control characters (not even tab or newline).",
        required=True,
    ),
    Field(
        "workflow",
        DEPLOYMENT,
        NAME,
        "The name of the Harness workflow to start. Exactly one of `workflow` and `pipeline` is "
        "required.",
        default="—",
        platform=FIRSTGEN,
    ),
    Field(
        "pipeline",
        DEPLOYMENT,
        NAME,
        "FirstGen: the name of the Harness pipeline to start. NextGen: the pipeline "
        "identifier; exactly one of `pipeline` and `pipeline_name` is required.",
        default="—",
    ),
    Field(
        "pipeline_name",
        DEPLOYMENT,
        NAME,
        "The exact name of the pipeline, instead of its identifier.",
        default="—",
        platform=NEXTGEN,
    ),
    Field(
        "artifacts",
        DEPLOYMENT,
        ARTIFACTS,
        "FirstGen: the artifact of each service (Harness `serviceInputs`). NextGen: the tag of "
        "the primary artifact of a stage's service, when it is a runtime input.",
        default="`[]`",
    ),
    Field(
        "manifests",
        DEPLOYMENT,
        MANIFESTS,
        "The Helm chart of each service whose manifest is a runtime input "
        "(Harness `manifestInputs`).",
        default="`[]`",
        platform=FIRSTGEN,
    ),
    Field(
        "variables",
        DEPLOYMENT,
        VARIABLES,
        "Workflow or pipeline variables (FirstGen `variableInputs`); on NextGen the pipeline "
        "variables whose value is a runtime input, by name.",
        default="`{}`",
    ),
    Field(
        "input_sets",
        DEPLOYMENT,
        NAMES,
        "Input set or overlay identifiers, merged first, in order.",
        default="`[]`",
        platform=NEXTGEN,
    ),
    Field(
        "inputs",
        DEPLOYMENT,
        INPUTS_YAML,
        "Runtime-input YAML (top key `pipeline:`), merged last, over the input sets; sent as "
        "written.",
        default="none",
        platform=NEXTGEN,
    ),
    Field(
        "stages",
        DEPLOYMENT,
        NAMES,
        "Run only these stages (identifiers).",
        default="every stage",
        platform=NEXTGEN,
    ),
    Field(
        "branch",
        DEPLOYMENT,
        NAME,
        "The Git branch of a remote pipeline.",
        default="the pipeline's default",
        platform=NEXTGEN,
    ),
    Field(
        "needs",
        DEPLOYMENT,
        NAMES,
        "Deployments that must succeed before this one starts. Only with `parallel: true`. "
        "A single name may be written without the brackets.",
        default="`[]`",
    ),
    # --- an artifact ---
    Field("service", ARTIFACT, NAME, "The Harness service name.", platform=FIRSTGEN, required=True),
    Field(
        "source",
        ARTIFACT,
        NAME,
        "The artifact source name; required with `build`, not allowed with `artifact_id`.",
        default="—",
        platform=FIRSTGEN,
    ),
    Field(
        "build",
        ARTIFACT,
        VALUE,
        "A build number of `source` (sent as `BUILD_NUMBER`).",
        default="—",
        platform=FIRSTGEN,
    ),
    Field(
        "artifact_id",
        ARTIFACT,
        VALUE,
        "The Harness id of an artifact already collected (sent as `ARTIFACT_ID`). Exactly one "
        "of `build` and `artifact_id` is required.",
        default="—",
        platform=FIRSTGEN,
    ),
    Field(
        "parameters",
        ARTIFACT,
        PARAMETERS,
        "The parameters of a parameterized artifact source, name to value, each sent as written "
        "(`parameterValueInputs`). Only with `build`.",
        default="`{}`",
        platform=FIRSTGEN,
    ),
    Field(
        "stage",
        ARTIFACT,
        NAME,
        "The identifier of the stage whose service's primary artifact this is.",
        platform=NEXTGEN,
        required=True,
    ),
    Field(
        "tag",
        ARTIFACT,
        VALUE,
        "The artifact tag, sent as written.",
        platform=NEXTGEN,
        required=True,
    ),
    # --- a manifest ---
    Field("service", MANIFEST, NAME, "The Harness service name.", required=True),
    Field(
        "manifest",
        MANIFEST,
        NAME,
        "The name of the service's application manifest (the Helm chart source).",
        required=True,
    ),
    Field(
        "version",
        MANIFEST,
        VALUE,
        "The chart version (sent as `VERSION_NUMBER`).",
        default="—",
    ),
    Field(
        "chart_id",
        MANIFEST,
        VALUE,
        "The Harness id of a chart already collected (sent as `HELM_CHART_ID`). Exactly one of "
        "`version` and `chart_id` is required.",
        default="—",
    ),
    # --- a variable written as a mapping ---
    Field("value", VARIABLE, TEXT, "The value, as written.", required=True),
    Field(
        "type",
        VARIABLE,
        VARIABLE_TYPE,
        "The Harness `VariableValueType`: `NAME` or `ID` (case does not matter).",
        default="`NAME`",
        platform=FIRSTGEN,
    ),
)

# Exactly one of these keys, per scope and platform: (scope, platform or None, keys).
_ONE_OF: tuple[tuple[str, Optional[str], tuple[str, str]], ...] = (
    (DEPLOYMENT, FIRSTGEN, ("workflow", "pipeline")),
    (DEPLOYMENT, NEXTGEN, ("pipeline", "pipeline_name")),
    (ARTIFACT, FIRSTGEN, ("build", "artifact_id")),
    (MANIFEST, None, ("version", "chart_id")),
)


@cache
def keys_of(scope: str, platform: Optional[str] = None) -> tuple[str, ...]:
    """The keys a mapping of this scope may hold (on platform, or on either), in table order;
    in a deployment, its own keys come before the ones it may inherit."""
    chosen = [
        f for f in FIELDS if f.in_scope(scope) and (platform is None or f.applies_to(platform))
    ]
    if scope == DEPLOYMENT:
        chosen.sort(key=lambda f: f.inherited)
    return tuple(dict.fromkeys(f.key for f in chosen))


@cache
def field_of(scope: str, key: str) -> Optional[Field]:
    for candidate in FIELDS:
        if candidate.key == key and candidate.in_scope(scope):
            return candidate
    return None


def one_of_rules(scope: str, platform: str) -> list[tuple[str, str]]:
    """The pairs of keys of which a mapping of this scope takes exactly one."""
    return [
        keys
        for rule_scope, rule_platform, keys in _ONE_OF
        if rule_scope == scope and rule_platform in (None, platform)
    ]


# Keys that are one of a pair: written empty they are still given (and then refused as empty).
PAIRED = frozenset(key for _, _, pair in _ONE_OF for key in pair)

assert set(PLATFORMS) == set(PLATFORM_LABELS)
