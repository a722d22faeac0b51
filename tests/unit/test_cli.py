"""error_handler and cli: a bug in any command is one line that says it is a bug, the report
is still written, the exit code is the documented 70, and there is never a traceback."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import pytest

from harness_gate import cli
from harness_gate.exit_codes import ExitCode

KEY = base64.b64encode(b"acct123::" + b"k" * 40).decode()
SPEC = """\
version: 1
application: Harness Demo
deployments:
  - name: web
    workflow: Deploy Web
"""
BUG = "injected bug"


def explode(*_args: Any, **_kwargs: Any) -> Any:
    raise RuntimeError(BUG)


@pytest.fixture
def spec(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    path = tmp_path / "deploy.yaml"
    path.write_text(SPEC, encoding="utf-8")
    monkeypatch.setenv("HARNESS_API_KEY", KEY)
    monkeypatch.setenv("HARNESS_ENDPOINT", "http://127.0.0.1:9/gateway")
    for name in ("HARNESS_API_KEY_FILE", "GITHUB_ACTIONS", "GITLAB_CI", "GITHUB_STEP_SUMMARY"):
        monkeypatch.delenv(name, raising=False)
    return str(path)


# command -> (the library function it calls, patched to raise; its arguments; report written)
CASES: dict[str, tuple[str, list[str], bool]] = {
    "run": ("harness_gate.run.load", ["run", "{spec}"], True),
    "wait": ("harness_gate.platforms.connect", ["wait", "exec-1", "exec-2"], True),
    "demo": ("harness_gate.run.load", ["demo"], True),
    "plan": ("harness_gate.plan.load", ["plan", "{spec}"], False),
    "validate": ("harness_gate.spec.collect_spec_errors", ["validate", "{spec}"], False),
    "schema": ("harness_gate.spec.json_schema", ["schema"], False),
    "completion": ("argcomplete.shell_integration.shellcode", ["completion", "bash"], False),
    "emulator": ("harness_gate.emulator.Emulator", ["emulator", "--port", "0"], False),
}


def test_every_command_is_covered() -> None:
    assert set(CASES) == set(cli.COMMANDS)


@pytest.mark.parametrize("command", list(CASES))
def test_a_bug_in_any_command_is_one_line_code_70_and_the_report(
    command: str,
    spec: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    target, argv, has_report = CASES[command]
    monkeypatch.setattr(target, explode)
    junit = tmp_path / "reports" / "junit.xml"
    args = [a.format(spec=spec) for a in argv]
    if has_report:
        args += ["--junit", str(junit)]

    code = cli.main(args)

    err = capsys.readouterr().err
    assert code == ExitCode.INTERNAL == 70
    bug_lines = [line for line in err.splitlines() if "bug in harness-gate" in line]
    assert len(bug_lines) == 1, err
    assert f"internal error in harness-gate: RuntimeError: {BUG}" in bug_lines[0]
    assert "Traceback" not in err
    if has_report:
        report = junit.read_text(encoding="utf-8")
        assert "<testsuite" in report and BUG in report
    if command == "wait":  # both executions are in the report, their outcome unknown
        assert 'tests="2"' in report and 'errors="2"' in report
        assert "outcome unknown: the gate stopped on an internal error" in report


def test_verbose_shows_the_traceback_for_a_bug_report(
    spec: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("harness_gate.plan.load", explode)
    assert cli.main(["plan", spec, "--verbose"]) == 70
    assert "Traceback" in capsys.readouterr().err


def test_a_known_error_is_one_line_with_its_own_code(
    spec: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("HARNESS_API_KEY")
    junit = tmp_path / "junit.xml"
    assert cli.main(["run", spec, "--junit", str(junit)]) == ExitCode.USAGE
    err = capsys.readouterr().err
    assert [line for line in err.splitlines() if "error: no API key" in line] != []
    assert "bug" not in err and "Traceback" not in err
    assert junit.exists()


@pytest.mark.parametrize("command", list(CASES))
def test_every_commands_help_documents_code_70(
    command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as info:
        cli.main([command, "--help"])
    assert info.value.code == 0
    help_text = capsys.readouterr().out
    assert "exit codes:" in help_text
    assert "  70   internal error: a bug in harness-gate" in help_text


@pytest.mark.parametrize(
    ("argv", "ids"),
    [
        (
            ["wait", "-oW-Hl8MSeuE", "--platform", "nextgen", "--org", "o", "--project", "p"],
            ["-oW-Hl8MSeuE"],
        ),
        (["wait", "--timeout", "5s", "-x1", "x2", "-v"], ["-x1", "x2"]),
        (["wait", "--junit=out.xml", "id"], ["id"]),
        (["wait", "--", "-z"], ["-z"]),
    ],
)
def test_wait_takes_execution_ids_that_begin_with_a_dash(argv: list[str], ids: list[str]) -> None:
    parser = cli.build_parser()
    args = parser.parse_args(cli._with_wait_ids_protected(parser, argv))
    assert args.execution_ids == ids


def test_a_misspelt_wait_flag_is_still_refused(capsys: pytest.CaptureFixture[str]) -> None:
    parser = cli.build_parser()
    with pytest.raises(SystemExit) as exited:
        parser.parse_args(cli._with_wait_ids_protected(parser, ["wait", "--timout", "5s", "id"]))
    assert exited.value.code == 2
    assert "--timout" in capsys.readouterr().err
