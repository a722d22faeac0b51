"""The server's words. Each text is what follows "Exception while fetching data (/<path>) : "."""

from __future__ import annotations

GENERIC = "An error has occurred. Please contact the Harness support team."
ACCESS_DENIED = "User not authorized: ACCESS_DENIED"
NOT_AUTHORIZED = "User not authorized: Not authorized"
APP_NOT_FOUND = "Invalid request: Application does not exist"
WORKFLOW_NOT_FOUND = "Invalid request: Workflow does not exist"
EXECUTION_NOT_FOUND = "Invalid request: Execution does not exist or access is denied"
EMPTY_APP_ID = "Invalid request: Empty Application Id"
EMPTY_PIPELINE_NAME = "Invalid request: Empty Pipeline name"
EMPTY_WORKFLOW_NAME = "Invalid request: Empty Workflow name"
EMPTY_ENTITY_ID = "Invalid request: Entity Id cannot be empty"
EMPTY_START_APP_ID = "Invalid request: Application Id cannot be empty"
NEGATIVE_LIMIT = "Invalid request: Limit argument accepts only non negative values"
NEGATIVE_OFFSET = "Invalid request: Offset argument accepts only non negative values"
RATE_LIMITED = "You've reached your account's rate limit for data queries. Please try again later."
EMPTY_PIPELINE = "You can not deploy an empty pipeline."
MASTER_FREEZE = "Master Deployment Freeze is active. No deployments are allowed."
PIPELINE_HOSTS = (
    "Invalid request: Hosts can't be overridden for pipeline,"
    "Target to specific hosts is only available in a Workflow Execution"
)
WORKFLOW_HOSTS = (
    "Invalid request: Host list can't be empty when Target To Specific Hosts option is enabled"
)
EXPRESSION_NOT_SUPPORTED = "Invalid request: Expression Type not supported"
ENV_EXPRESSION_NOT_SUPPORTED = "Invalid request: Value Type EXPRESSION Not supported"
PARAMETERIZED_NOT_SUPPORTED = (
    "Invalid request: Parameterized Artifact Source valueType cannot be used for "
    "non-parameterized artifact source"
)
PARAMETERS_NOT_PROVIDED = (
    "Invalid request: Artifact Source is parameterized. However, runtime values for parameters "
    "not provided"
)
FEATURE_NOT_ENABLED = "Feature not enabled"
PIPELINE_NOT_FOUND = "Pipeline does not exist"
RESUME_NO_SERVICES = "Invalid request: Services requires but no service was provided"
RESUME_EMPTY_APP_ID = "Invalid request: Invalid app id"
RESUME_EMPTY_EXECUTION = "Invalid request: Invalid pipeline execution"
RESUME_EMPTY_STAGE = "Invalid request: Invalid pipeline stage "
APPROVAL_NOT_AUTHORIZED = "Invalid request: User not authorized to accept or reject the approval"
APPROVAL_NO_VARIABLES = "Invalid request: Variable were not present for the given approval"


class FieldError(Exception):
    """A data-fetcher failure: the field is null and the error carries this text."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text


def entity_not_found(entity_id: str) -> str:
    return f"Entity with id: {entity_id} is not found"


def env_not_supplied(kind: str, name: str) -> str:
    # kind: "Pipeline" or "Workflow"
    return (
        f"Invalid request: {kind} [{name}] has environment parameterized. "
        "However, the value not supplied"
    )


def empty_value(variable: str) -> str:
    return f"Invalid request: Please provide a non empty value for {variable}"


def env_not_found(value: str, app_id: str) -> str:
    return f"Environment [{value}] doesn't exist in specified application {app_id}"


def service_id_not_found(value: str, app_id: str) -> str:
    return f"Invalid request: Service [{value}] doesn't exist in specified application {app_id}"


def service_name_not_found(value: str, app_id: str) -> str:
    return f"Service [{value}] doesn't exist in specified application {app_id}"


def infra_id_not_found(value: str, app_id: str) -> str:
    # Two spaces after "Definition", as the server writes it.
    return f"Infrastructure Definition  [{value}] doesn't exist in specified application {app_id}"


def infra_id_not_in_env(value: str) -> str:
    return (
        f"Invalid request: Infrastructure Definition  [{value}] doesn't exist in specified "
        "application and environment "
    )


def infra_name_not_found(value: str, app_id: str) -> str:
    return (
        f"Infrastructure Definition  [{value}] doesn't exist in specified application "
        f"and environment {app_id}"
    )


def no_multiple_values(variable: str) -> str:
    return f"Invalid request: Variable {variable} doesnt allow multiple values"


def required_missing(names: list[str]) -> str:
    return f"Invalid request: Value not provided for required variable: [{','.join(names)}]"


def not_allowed(variable: str, allowed: list[str]) -> str:
    return f"Invalid request: Variable {variable} can only take values [{', '.join(allowed)}]"


def fixed_changed(variable: str, value: str) -> str:
    return (
        f"Invalid request: Cannot change value of a fixed variable in workflow: {variable}. "
        f"Value set in workflow is: {value}"
    )


def ignored_variables(names: list[str], pipeline: bool) -> str:
    joined = ",".join(names)
    if pipeline:
        return (
            f"Ignoring values for variables: [{joined}] as they don't exist in Pipeline. "
            "Might be modified"
        )
    return (
        f"Ignoring values for variables: [{joined}] as they don't exist in workflow. "
        "Workflow Might be modified"
    )


def service_input_required(service: str) -> str:
    return f"ServiceInput required for service: {service}"


def artifact_value_required(service: str) -> str:
    return f"ArtifactValueInput is required for the service Input: {service}"


def value_input_required(what: str, service: str, value_type: str) -> str:
    # No space before "for": the server's text runs the words together.
    return f"{what} is required for the service Input: {service}for value type as {value_type}"


def empty_artifact_id(service: str) -> str:
    return f"Invalid request: Artifact Id cannot be empty for serviceInput: {service}"


def artifact_id_not_found(artifact_id: str) -> str:
    return f"Cannot find artifact for specified Id: {artifact_id}. Might be deleted"


def artifact_other_service(artifact_id: str, service: str) -> str:
    return (
        f"Invalid request: Artifact Id: {artifact_id} does not belong to specified service: "
        f"{service}"
    )


def empty_source_name(service: str) -> str:
    return f"Invalid request: Artifact Source name cannot be empty for serviceInput: {service}"


def empty_build_number(service: str) -> str:
    return f"Invalid request: Build Number cannot be empty for serviceInput: {service}"


def source_not_found(source: str, service: str) -> str:
    return f"Cannot find artifact Source: {source} in specified service: {service}"


def build_not_found(build: str) -> str:
    return f"Cannot find or collect artifact for specified Build Number: {build}"


def freeze_windows(names: list[str]) -> str:
    if len(names) == 1:
        return (
            f"Deployment Freeze Window [{names[0]}] is active for the environment. "
            "No deployments are allowed to proceed."
        )
    return (
        f"Deployment Freeze Windows [{', '.join(names)}] are active for the environment. "
        "No deployments are allowed to proceed."
    )


def approval_type_not_supported(approval_type: str) -> str:
    return f"{approval_type} Approval Type not supported"


def approval_variable_unknown(name: str) -> str:
    return f'Invalid request: Variable with name "{name}" not present'


def not_waiting_for_approval(kind: str, execution_id: str, approval_id: str) -> str:
    return (
        f"Invalid argument(s): No {kind} execution [{execution_id}] waiting for approval id: "
        f"{approval_id}"
    )


def already_completed(name: str) -> str:
    return f"Invalid request: Workflow execution [{name}] already completed."


def manifest_value_required(service: str) -> str:
    return f"ManifestValueInput is required for the service Input: {service}"


def helm_chart_id_required(service: str) -> str:
    # Unlike the artifact messages, these have a space before "for".
    return (
        f"HelmChartId is required for the service Input: {service} for value type as HELM_CHART_ID"
    )


def version_number_required(service: str) -> str:
    return (
        f"versionNumber is required for the service Input: {service} "
        "for value type as VERSION_NUMBER"
    )


def empty_helm_chart_id(service: str) -> str:
    return f"Invalid request: Helm Chart Id cannot be empty for serviceInput: {service}"


def empty_version_number(service: str) -> str:
    return f"Invalid request: Version Number cannot be empty for serviceInput: {service}"


def helm_chart_id_not_found(chart_id: str) -> str:
    return f"Cannot find helm chart for specified Id: {chart_id}. Might be deleted"


def manifest_not_in_service(name: str) -> str:
    return f"App manifest with name {name} doesn't belong to the given app and service"


def helm_version_not_found(version: str, service: str) -> str:
    return f"Cannot find helm chart for specified version number: {version} and service: {service}"


def resume_no_execution(app_id: str) -> str:
    return f"No execution found for the given application {app_id}"


def resume_no_stage(stage_id: str) -> str:
    return f"Invalid request: No stage found for the given pipeline stage ID {stage_id}"
