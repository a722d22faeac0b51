from __future__ import annotations

import io
import json
import re
from typing import Optional

import pytest

from harness_gate.model import Outcome
from harness_gate.report import ci
from harness_gate.report.ci import (
    append_github_step_summary,
    detect_ci,
    github_annotations,
    github_group_end,
    github_group_start,
    github_outputs,
    github_step_summary_markdown,
    gitlab_section_end,
    gitlab_section_start,
    overall_outcome,
    publish_ci,
    render_dotenv,
    write_dotenv,
    write_github_outputs,
)

# --- parsers that behave like the consumers ---------------------------------------------------


def _read_line(text: str, index: int) -> tuple[Optional[str], int, str]:
    if index >= len(text):
        return None, index, ""
    lf = text.find("\n", index)
    if lf < 0:
        return text[index:], len(text), ""
    return text[index:lf], lf + 1, "\n"


def parse_github_file(text: str) -> dict[str, str]:
    """actions/runner's file-command parser (FileCommandManager, Linux line endings)."""
    values: dict[str, str] = {}
    line, index, _ = _read_line(text, 0)
    while line is not None:
        if line:
            equals, heredoc = line.find("="), line.find("<<")
            if equals >= 0 and (heredoc < 0 or equals < heredoc):
                name, value = line.split("=", 1)
                assert name
                values[name] = value
            elif heredoc >= 0 and (equals < 0 or heredoc < equals):
                name, delimiter = line.split("<<", 1)
                assert name and delimiter
                start = end = index
                temp, index, newline = _read_line(text, index)
                while temp != delimiter:
                    if temp is None:
                        raise ValueError(f"Matching delimiter not found '{delimiter}'")
                    end = index - len(newline)
                    temp, index, newline = _read_line(text, index)
                values[name] = text[start:end] if end > start else ""
            else:
                raise ValueError(f"Invalid format '{line}'")
        line, index, _ = _read_line(text, index)
    return values


def _unescape(text: str, mappings: list[tuple[str, str]]) -> str:
    for plain, escaped in mappings:
        text = text.replace(escaped, plain)
    return text.replace("%25", "%")


DATA_MAPPINGS = [("\r", "%0D"), ("\n", "%0A")]
PROPERTY_MAPPINGS = [*DATA_MAPPINGS, (":", "%3A"), (",", "%2C")]


def parse_workflow_command(line: str) -> tuple[str, dict[str, str], str]:
    """actions/runner ActionCommand.TryParseV2."""
    assert line.startswith("::")
    end = line.index("::", 2)
    info, data = line[2:end], line[end + 2 :]
    name, _, props = info.partition(" ")
    properties = {}
    for pair in filter(None, props.split(",")):
        key, _, value = pair.partition("=")
        properties[key] = _unescape(value, PROPERTY_MAPPINGS)
    return name, properties, _unescape(data, DATA_MAPPINGS)


def parse_gitlab_dotenv(text: str) -> dict[str, str]:
    """GitLab's Ci::ParseDotenvArtifactService: every line KEY=VALUE, both stripped."""
    values = {}
    for line in text.splitlines(keepends=True):
        found = re.findall(r"^(.*?)=(.*)$", line, re.MULTILINE)
        assert found, f"Invalid Format: {line!r}"
        key, value = (part.strip() for part in found[-1])
        assert re.fullmatch(r"[a-zA-Z0-9_]+", key) and len(key) <= 255, key
        values[key] = value
    return values


def table_cells(row: str) -> list[str]:
    assert row.startswith("| ") and row.endswith(" |")
    return [cell.strip() for cell in re.split(r"(?<!\\)\|", row)[1:-1]]


# --- outcome ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "word"),
    [
        (0, "success"),
        (1, "failure"),
        (2, "error"),
        (3, "error"),
        (4, "timeout"),
        (5, "error"),
        (130, "error"),
        (143, "error"),
    ],
)
def test_overall_outcome(code, word):
    assert overall_outcome(code) == word


def test_detect_ci():
    assert detect_ci({"GITHUB_ACTIONS": "true"}) == "github"
    assert detect_ci({"GITLAB_CI": "true"}) == "gitlab"
    assert detect_ci({"GITHUB_ACTIONS": "false", "CI": "true"}) is None


# --- GitHub outputs -------------------------------------------------------------------------


def test_outputs_parse_back_like_the_runner(build, tmp_path):
    output = tmp_path / "github_output"
    output.write_text("earlier=value\n", encoding="utf-8")
    result = build.all_outcomes()
    write_github_outputs(result, {"GITHUB_OUTPUT": str(output)}, "reports/junit.xml")
    parsed = parse_github_file(output.read_text(encoding="utf-8"))
    assert parsed["earlier"] == "value"
    assert parsed["outcome"] == "failure"
    assert parsed["exit-code"] == "1"
    assert parsed["junit-path"] == "reports/junit.xml"
    ids = json.loads(parsed["execution-ids"])
    assert ids == {
        "ok": "exec-ok",
        "broken": "exec-broken",
        "slow": "exec-slow",
        "lost": "exec-lost",
        "unsure": "exec-unsure",
    }  # "later" never started
    urls = json.loads(parsed["execution-urls"])
    assert set(urls) == set(ids)
    assert urls["ok"].startswith("https://app.harness.io/")


def test_outputs_append_on_a_new_line_and_keep_multiline_values(build, tmp_path):
    output = tmp_path / "github_output"
    output.write_text("dangling=no newline", encoding="utf-8")
    result = build.result(build.deployment("a\nb"))
    write_github_outputs(result, {"GITHUB_OUTPUT": str(output)}, "odd\npath=x<<y.xml")
    parsed = parse_github_file(output.read_text(encoding="utf-8"))
    assert parsed["dangling"] == "no newline"
    assert parsed["junit-path"] == "odd\npath=x<<y.xml"
    assert json.loads(parsed["execution-ids"]) == {"a\nb": "exec-a\nb"}


def test_heredoc_delimiter_never_occurs_in_the_value(monkeypatch):
    taken = "ghadelimiter_" + "00" * 16
    tokens = iter([b"\x00" * 16, b"\x01" * 16])
    monkeypatch.setattr(ci.os, "urandom", lambda size: next(tokens))
    text = ci._heredoc("value", f"before\n{taken}\nafter")
    assert text.splitlines()[0] == "value<<ghadelimiter_" + "01" * 16
    assert parse_github_file(text) == {"value": f"before\n{taken}\nafter"}


def test_outputs_without_github_output_do_nothing(build, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert write_github_outputs(build.all_outcomes(), {}, None) is None
    assert list(tmp_path.iterdir()) == []  # no file written anywhere it could guess


def test_outputs_without_junit_path(build):
    assert "junit-path" not in github_outputs(build.all_outcomes(), None)


def test_no_started_deployment_gives_empty_objects(build):
    outputs = github_outputs(build.result(exit_code=2, error="bad spec"), None)
    assert outputs["execution-ids"] == "{}" and outputs["execution-urls"] == "{}"
    assert outputs["outcome"] == "error"


# --- annotations ----------------------------------------------------------------------------


def test_annotations_for_failed_deployments_only(build):
    lines = github_annotations(build.all_outcomes())
    parsed = [parse_workflow_command(line) for line in lines]
    assert [p[1]["title"] for p in parsed] == [
        "harness-gate: broken failed",
        "harness-gate: slow timed out",
        "harness-gate: lost error",
        "harness-gate: unsure error",
    ]
    assert all(p[0] == "error" for p in parsed)
    _name, _props, message = parsed[0]
    assert message.splitlines()[0] == "broken: Rollout failed"
    assert message.splitlines()[1].startswith("Execution: https://app.harness.io/")


def test_annotation_escaping_round_trips(build):
    deployment = build.deployment(
        "eu:west,1 100%",
        outcome=Outcome.FAILURE,
        message="50% done: a,b",
        url=None,
    )
    (line,) = github_annotations(build.result(deployment, exit_code=1))
    assert "\n" not in line and "\r" not in line
    assert line == ("::error title=harness-gate%3A eu%3Awest%2C1 100%25 failed::50%25 done: a,b")
    _name, props, message = parse_workflow_command(line)
    assert props == {"title": "harness-gate: eu:west,1 100% failed"}
    assert message == "50% done: a,b"


def test_annotation_for_a_run_without_deployments(build):
    (line,) = github_annotations(build.result(exit_code=2, error="spec.yaml:3: bad\nmore"))
    _name, props, message = parse_workflow_command(line)
    assert props["title"] == "harness-gate run"
    assert message == "spec.yaml:3: bad more"


def test_no_annotations_for_success(build):
    assert github_annotations(build.result(build.deployment("a"))) == []


def test_group_markers():
    assert github_group_start("Deploy: api\nnow") == "::group::Deploy: api now"
    assert github_group_end() == "::endgroup::"


# --- step summary ---------------------------------------------------------------------------


def test_step_summary_table(build):
    markdown = github_step_summary_markdown(build.all_outcomes())
    lines = markdown.splitlines()
    assert lines[0] == "### harness-gate run: failure (exit code 1)"
    header = lines.index("| Deployment | Outcome | Status | Execution | Duration | Message |")
    assert lines[header + 1] == "|---|---|---|---|---|---|"
    rows = [table_cells(row) for row in lines[header + 2 :]]
    assert [row[:3] for row in rows] == [
        ["ok", "success", "SUCCESS"],
        ["broken", "failure", "FAILED"],
        ["slow", "timeout", "RUNNING"],
        ["lost", "error", "RUNNING"],
        ["later", "skipped", "-"],
        ["unsure", "error", "RUNNING"],
    ]
    assert rows[0][3].startswith("[exec-ok](https://app.harness.io/#/account/")
    assert rows[0][4] == "12s"
    assert rows[4][3] == "not started" and rows[4][4] == "-"
    assert rows[1][5] == "broken: Rollout failed"
    assert rows[0][5] == ""
    assert rows[2][5] == "slow: timed out waiting for pipeline 'Deploy slow' (last status RUNNING)"
    assert all(len(row) == 6 for row in rows)
    assert "\x1b" not in markdown


def test_step_summary_escapes_cells(build):
    deployment = build.deployment(
        "a|b_c",
        outcome=Outcome.FAILURE,
        message="pipe | in\nmessage <b>*bold*</b> \x1b[31mred",
        url="https://h.example/x (1)|y z",
        execution_id="id|1",
    )
    markdown = github_step_summary_markdown(build.result(deployment, exit_code=1))
    row = markdown.splitlines()[-1]
    cells = table_cells(row)
    assert len(cells) == 6
    assert cells[0] == r"a\|b\_c"
    assert cells[3] == r"[id\|1](https://h.example/x%20%281%29%7Cy%20z)"
    assert cells[5] == r"pipe \| in message \<b\>\*bold\*\</b\> red"


def test_step_summary_without_deployments(build):
    markdown = github_step_summary_markdown(
        build.result(exit_code=130, interrupted_by="SIGINT", error="interrupted", no_wait=True)
    )
    assert "Interrupted by SIGINT." in markdown
    assert "Error: interrupted" in markdown
    assert "No deployment was reported." in markdown
    assert "|" not in markdown


def test_append_step_summary(build, tmp_path):
    summary = tmp_path / "summary.md"
    summary.write_text("# Earlier step", encoding="utf-8")
    append_github_step_summary(build.all_outcomes(), {"GITHUB_STEP_SUMMARY": str(summary)})
    text = summary.read_text(encoding="utf-8")
    assert text.startswith("# Earlier step\n\n### harness-gate run: failure")
    append_github_step_summary(build.all_outcomes(), {})  # unset: nothing to do


# --- GitLab -------------------------------------------------------------------------------------


def test_gitlab_sections():
    start = gitlab_section_start(
        "deploy api/prod", "Deploying \x1b[1mapi\x1b[0m\nnow", timestamp=1714557600.7
    )
    assert start == (
        "\x1b[0Ksection_start:1714557600:deploy_api_prod[collapsed=true]\r\x1b[0KDeploying api now"
    )
    assert gitlab_section_start("a.b-c_d", "T", collapsed=False, timestamp=5) == (
        "\x1b[0Ksection_start:5:a.b-c_d\r\x1b[0KT"
    )
    assert gitlab_section_end("deploy api/prod", timestamp=1714557700) == (
        "\x1b[0Ksection_end:1714557700:deploy_api_prod\r\x1b[0K"
    )
    assert re.fullmatch(r"\x1b\[0Ksection_end:\d+:x\r\x1b\[0K", gitlab_section_end("x"))


def test_dotenv_parses_back(build, tmp_path):
    target = tmp_path / "gate.env"
    warnings = write_dotenv(build.all_outcomes(), target)
    assert warnings == []
    text = target.read_text(encoding="utf-8")
    assert "\n\n" not in text and text.endswith("\n")
    values = parse_gitlab_dotenv(text)
    assert values["HARNESS_GATE_OUTCOME"] == "failure"
    assert values["HARNESS_GATE_EXIT_CODE"] == "1"
    assert values["HARNESS_EXECUTION_ID_OK"] == "exec-ok"
    assert values["HARNESS_EXECUTION_URL_BROKEN"].startswith("https://app.harness.io/")
    assert "HARNESS_EXECUTION_ID_LATER" not in values  # skipped: never started
    assert len(values) == 2 + 2 * 5


def test_dotenv_names_are_sanitised_and_distinct(build):
    text, warnings = render_dotenv(
        build.result(
            build.deployment("api-prod", execution_id="1"),
            build.deployment("api.prod", execution_id="2"),
            build.deployment("API_PROD", execution_id="3"),
            build.deployment("déploiement", execution_id="4", url=None),
        )
    )
    values = parse_gitlab_dotenv(text)
    assert values["HARNESS_EXECUTION_ID_API_PROD"] == "1"
    assert values["HARNESS_EXECUTION_ID_API_PROD_2"] == "2"
    assert values["HARNESS_EXECUTION_ID_API_PROD_3"] == "3"
    assert values["HARNESS_EXECUTION_ID_D_PLOIEMENT"] == "4"
    assert "HARNESS_EXECUTION_URL_D_PLOIEMENT" not in values
    assert warnings == []


def test_dotenv_drops_values_with_newlines(build):
    text, warnings = render_dotenv(
        build.result(build.deployment("a", execution_id="x\ny", url="https://h/\r"))
    )
    values = parse_gitlab_dotenv(text)
    assert set(values) == {"HARNESS_GATE_OUTCOME", "HARNESS_GATE_EXIT_CODE"}
    assert len(warnings) == 2
    assert "HARNESS_EXECUTION_ID_A left out" in warnings[0]


def test_dotenv_stays_within_gitlab_limits(build):
    deployments = [build.deployment(f"d{n}") for n in range(30)]
    text, warnings = render_dotenv(build.result(*deployments))
    values = parse_gitlab_dotenv(text)
    assert len(values) <= ci.DOTENV_MAX_VARIABLES
    assert len(values) == 2 + 2 * 9
    assert len(text.encode("utf-8")) < ci.DOTENV_MAX_BYTES
    assert len(warnings) == 1 and "21 deployment(s) left out" in warnings[0]
    long_urls = [build.deployment(f"d{n}", url="https://h/" + "x" * 900) for n in range(8)]
    text, warnings = render_dotenv(build.result(*long_urls), max_variables=100)
    assert len(text.encode("utf-8")) < ci.DOTENV_MAX_BYTES
    assert warnings


# --- publish_ci -----------------------------------------------------------------------------


def test_publish_on_github(build, tmp_path):
    summary, output = tmp_path / "summary.md", tmp_path / "output"
    environ = {
        "GITHUB_ACTIONS": "true",
        "GITHUB_STEP_SUMMARY": str(summary),
        "GITHUB_OUTPUT": str(output),
    }
    stream = io.StringIO()
    publish_ci(build.all_outcomes(), environ, "junit.xml", stream)
    printed = stream.getvalue().splitlines()
    assert len(printed) == 4 and all(line.startswith("::error ") for line in printed)
    assert "| Deployment |" in summary.read_text(encoding="utf-8")
    assert parse_github_file(output.read_text(encoding="utf-8"))["junit-path"] == "junit.xml"


def test_publish_warns_once_per_unwritable_file_and_never_raises(build, tmp_path):
    environ = {
        "GITHUB_ACTIONS": "true",
        "GITHUB_STEP_SUMMARY": str(tmp_path),  # a directory: cannot be opened for append
        "GITHUB_OUTPUT": str(tmp_path / "missing-dir" / "output"),
    }
    stream = io.StringIO()
    publish_ci(build.result(build.deployment("a")), environ, None, stream)
    lines = stream.getvalue().splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("::warning::harness-gate: could not append to GITHUB_STEP_SUMMARY")
    assert lines[1].startswith("::warning::harness-gate: could not append to GITHUB_OUTPUT")


def test_publish_survives_a_broken_stream(build, tmp_path):
    class Broken(io.StringIO):
        def write(self, text: str) -> int:
            raise BrokenPipeError("closed")

    summary = tmp_path / "summary.md"
    environ = {
        "GITHUB_ACTIONS": "true",
        "GITHUB_OUTPUT": str(tmp_path),  # a directory: the outputs cannot be written
        "GITHUB_STEP_SUMMARY": str(summary),
    }
    publish_ci(build.all_outcomes(), environ, None, Broken())  # must not raise
    # The broken stream loses the annotations and warnings, not the step summary.
    assert "harness-gate" in summary.read_text(encoding="utf-8")


@pytest.mark.parametrize("environ", [{}, {"GITLAB_CI": "true"}, {"GITHUB_ACTIONS": "false"}])
def test_publish_elsewhere_does_nothing(build, environ):
    stream = io.StringIO()
    publish_ci(build.all_outcomes(), environ, "junit.xml", stream)
    assert stream.getvalue() == ""


def test_outputs_with_empty_junit_path(build):
    assert "junit-path" not in github_outputs(build.all_outcomes(), "")
