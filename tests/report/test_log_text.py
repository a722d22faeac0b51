"""The progress log gets the reports' hygiene too: Harness's texts reach a terminal or a CI log
without ANSI escapes, control characters or graphql-java's alias wrapper."""

from __future__ import annotations

import io

from harness_gate.console import Console
from harness_gate.report._common import clean_text, link_note, log_text


def test_console_lines_are_stripped_of_escapes_controls_and_alias_paths() -> None:
    stream = io.StringIO()
    console = Console(stream)
    console.line(
        "api: \x1b[31mFAILED\x1b[0m: Exception while fetching data (/s6) : "
        "freeze\x07 window\x1b]0;title\x07 active\x00\rnext"
    )
    # A lone CR (which would overwrite the line on a terminal) becomes a line break.
    line, rest = stream.getvalue().splitlines()
    assert line.endswith("] api: FAILED: freeze window active")
    assert rest == "next"
    assert "\x1b" not in stream.getvalue() and "\x07" not in stream.getvalue()
    assert "/s6" not in line and "Exception while fetching data" not in line


def test_log_text_keeps_tabs_and_newlines_and_the_words() -> None:
    assert log_text("a\tb\nc\x1b[2K\x9bd\x7f") == "a\tb\ncd"
    assert log_text("Exception while fetching data (/startExecution) : no access") == "no access"
    # Not a graphql-java wrapper: left alone.
    assert clean_text("see (/s6) : here") == "see (/s6) : here"


def test_only_harness_s_undefined_pipeline_link_gets_a_note() -> None:
    pipeline = (
        "https://h/#/account/a/app/b/pipeline-execution/p1/workflow-execution/undefined/details"
    )
    assert link_note(pipeline) and "Harness's own link" in link_note(pipeline)
    assert link_note("https://h/#/account/a/app/b/env/e/executions/w1/details") is None
    assert link_note(None) is None


def test_json_details_keep_harness_s_words_without_the_alias() -> None:
    from harness_gate.model import DeploymentResult, Outcome, RunResult
    from harness_gate.report.summary import summary_dict

    deployment = DeploymentResult(
        name="api",
        application="A",
        entity_type="workflow",
        entity_name="W",
        outcome=Outcome.FAILURE,
        details=["Harness said: Exception while fetching data (/s2) : Freeze\nwindow"],
    )
    result = RunResult(command="run", spec_path=None, deployments=[deployment], exit_code=1)
    summary = summary_dict(result)
    assert summary["deployments"][0]["details"] == ["Harness said: Freeze\nwindow"]


def test_github_summary_and_annotation_say_the_pipeline_link_is_harness_s_own() -> None:
    from harness_gate.model import DeploymentResult, Outcome, RunResult
    from harness_gate.report.ci import github_annotations, github_step_summary_markdown

    url = "https://h/#/account/a/app/b/pipeline-execution/p1/workflow-execution/undefined/details"
    deployment = DeploymentResult(
        name="pipe",
        application="A",
        entity_type="pipeline",
        entity_name="P",
        outcome=Outcome.FAILURE,
        execution_id="p1",
        url=url,
        status="FAILED",
    )
    result = RunResult(command="run", spec_path=None, deployments=[deployment], exit_code=1)
    summary = github_step_summary_markdown(result)
    assert "A pipeline's execution link: this is Harness's own link" in summary
    (annotation,) = github_annotations(result)
    assert "(this is Harness's own link to a pipeline execution" in annotation
    deployment.url = "https://h/#/account/a/app/b/env/e/executions/w1/details"
    assert "Harness's own link" not in github_step_summary_markdown(result)
