"""Static checks of every CI example: it parses, and every `harness-gate` command line in it is
accepted by the real argument parser (no flag the CLI does not have).
"""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from harness_gate import __version__
from harness_gate.durations import parse_duration
from harness_gate.model import DeploymentResult, RunResult
from harness_gate.report.ci import render_dotenv
from harness_gate.spec import load_spec, select_deployments
from tests.ci.helpers import (
    ACTION,
    CRONTAB,
    DOCKERFILE,
    DOCKERIGNORE,
    DOCS,
    EXAMPLE_FILES,
    EXAMPLE_SPEC,
    GITLAB,
    JENKINS_PROMOTION,
    JENKINSFILE,
    PROMOTE,
    ROOT,
    SERVICE,
    TIMER,
    WORKFLOW,
    YAML_FILES,
    CommandLine,
    balanced,
    example_spec_names,
    find_tool,
    gate_commands,
    groovy_code,
    load_yaml,
    logical_lines,
    markdown_code,
    parse,
    yaml_gate_commands,
)

GITLAB_SCRIPT_KEYS = {"script", "before_script", "after_script"}


def _text(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def _all_commands() -> list[CommandLine]:
    found: list[CommandLine] = []
    for path in (JENKINSFILE, JENKINS_PROMOTION):
        found += gate_commands(_text(path), path.relative_to(ROOT).as_posix(), ("//",))
    for path in (PROMOTE, CRONTAB, SERVICE, TIMER, DOCKERFILE):
        found += gate_commands(_text(path), path.relative_to(ROOT).as_posix())
    found += yaml_gate_commands(GITLAB, GITLAB_SCRIPT_KEYS)
    found += yaml_gate_commands(WORKFLOW, {"run"})
    found += yaml_gate_commands(ACTION, {"run"})
    found += gate_commands(markdown_code(_text(DOCS)), "docs/ci.md")
    found += gate_commands(markdown_code(_text(ROOT / "README.md")), "README.md")
    return found


ALL_COMMANDS = _all_commands()


# --- every file -----------------------------------------------------------------------------


@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_example_file_exists_and_is_linked_from_the_docs(path: Path) -> None:
    assert path.is_file(), path
    docs = _text(DOCS)
    relative = path.relative_to(ROOT).as_posix()
    if path == DOCKERIGNORE:
        return  # an implementation detail of the Dockerfile, mentioned by it
    assert relative in docs, f"docs/ci.md does not mention {relative}"


@pytest.mark.parametrize("path", YAML_FILES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_yaml_examples_parse(path: Path) -> None:
    document = yaml.safe_load(_text(path))
    assert isinstance(document, dict) and document


def test_the_example_spec_is_a_valid_spec() -> None:
    spec = load_spec(str(EXAMPLE_SPEC), {})
    assert [d.name for d in spec.deployments] == ["guestbook-dev", "guestbook-prod"]
    for name in example_spec_names():
        select_deployments(spec, [name])  # each can run alone (no `needs` across environments)


def test_every_example_has_gate_command_lines() -> None:
    sources = {c.source.split(":")[0] for c in ALL_COMMANDS}
    for path in (JENKINSFILE, JENKINS_PROMOTION, PROMOTE, DOCKERFILE, GITLAB):
        assert path.relative_to(ROOT).as_posix() in sources, f"no harness-gate command in {path}"
    assert "docs/ci.md" in sources


@pytest.mark.parametrize("command", ALL_COMMANDS, ids=str)
def test_command_line_is_accepted_by_the_real_parser(command: CommandLine) -> None:
    assert command.argv, command
    parse(command.argv, str(command))


@pytest.mark.parametrize("command", ALL_COMMANDS, ids=str)
def test_only_names_exist_in_the_example_spec(command: CommandLine) -> None:
    args = parse(command.argv, str(command))
    names = example_spec_names()
    for name in getattr(args, "only", None) or []:
        if name != "placeholder":
            assert name in names, f"{command}: --only {name}: not in {EXAMPLE_SPEC.name}"


def test_no_example_passes_the_key_on_a_command_line() -> None:
    for command in ALL_COMMANDS:
        joined = " ".join(command.argv).lower()
        assert "key" not in joined, command


def test_the_parser_check_catches_a_flag_the_cli_does_not_have() -> None:
    [bad] = gate_commands("harness-gate run deploy.yaml --api-key $KEY", "inline")
    with pytest.raises(AssertionError, match="--api-key"):
        parse(bad.argv, str(bad))


def test_command_extraction_handles_continuations_variables_and_quotes() -> None:
    text = (
        '"$VENV"/bin/harness-gate run "${SPEC}" --only "$A" b \\\n'
        "   --timeout ${{ inputs.timeout }} --junit 'out dir/j.xml' \"${args[@]}\" 2>&1 | tee x\n"
        "pip install harness-gate\n"
        "# harness-gate run commented.yaml --nope\n"
    )
    [command] = gate_commands(text, "inline")
    assert command.argv == [
        "run",
        "placeholder",
        "--only",
        "placeholder",
        "b",
        "--timeout",
        "45m",
        "--junit",
        "out dir/j.xml",
    ]


# --- Jenkins --------------------------------------------------------------------------------


@pytest.mark.parametrize("path", [JENKINSFILE, JENKINS_PROMOTION], ids=lambda p: p.name)
def test_jenkinsfile_brackets_and_strings_balance(path: Path) -> None:
    assert balanced(groovy_code(_text(path))) is None


@pytest.mark.parametrize("path", [JENKINSFILE, JENKINS_PROMOTION], ids=lambda p: p.name)
def test_jenkinsfile_takes_the_key_from_credentials_and_never_shows_it(path: Path) -> None:
    text = _text(path)
    assert re.search(
        r"withCredentials\(\[string\(credentialsId: '[\w-]+', variable: 'HARNESS_API_KEY'\)\]\)",
        text,
    )
    for number, line in logical_lines(text, ("//",)):
        if "HARNESS_API_KEY" in line and "withCredentials" not in line:
            pytest.fail(f"{path.name}:{number} uses the key outside withCredentials: {line}")
    # Every script that runs the gate is single-quoted: Groovy never interpolates a secret.
    quotes = "|".join(re.escape(q) for q in ("'''", '"""', "'", '"'))
    step = re.compile(rf"\bsh\s*(?:\(\s*(?:\w+:\s*\w+,\s*)*script:\s*|\s+)({quotes})")
    scripts = list(step.finditer(text))
    assert scripts
    for match in scripts:
        quote = match.group(1)
        body = text[match.end() : text.find(quote, match.end())]
        if "harness-gate" in body:
            assert quote == "'''", f"{path.name}: a gate script in {quote} quotes"


@pytest.mark.parametrize("path", [JENKINSFILE, JENKINS_PROMOTION], ids=lambda p: p.name)
def test_jenkinsfile_gates_on_the_exit_code_and_always_publishes_the_report(path: Path) -> None:
    text = _text(path)
    code = groovy_code(text)
    assert "pipeline {" in code
    assert re.search(r"sh\(returnStatus: true, script: '''", text)
    assert re.search(r"timeout\(time: \d+, unit: '(MINUTES|HOURS)'\)", text)
    post = re.findall(r"post \{\s*(?://[^\n]*\n\s*)*always \{\s*junit testResults: '([^']+)'", text)
    assert post, "no `post { always { junit ... } }`"
    # What the junit step publishes is what the gate writes (GATE_REPORTS filled in).
    runs = [parse(c.argv) for c in gate_commands(text, path.name, ("//",)) if c.argv[0] == "run"]
    report_dirs = re.findall(r"GATE_REPORTS = '([^']+)'", text) or [""]
    written = {args.junit.replace("placeholder", d) for args in runs for d in report_dirs}
    assert written == set(post)
    # The exit-code table: 1 fails, 4 is unstable, interrupts abort.
    assert re.search(r"code == 1\) \{\s*error\(", text)
    assert re.search(r"code == 4\) \{\s*unstable\(", text)
    assert re.search(r"code == 2 \|\| code == 3\) \{\s*error\(", text)
    assert re.search(r"code == 5\) \{\s*error\(", text)
    assert re.search(r"code > 128\) \{\s*currentBuild.result = 'ABORTED'", text)


def test_jenkinsfile_gate_timeout_is_shorter_than_the_stage_timeout() -> None:
    text = _text(JENKINSFILE)
    [run] = [c for c in gate_commands(text, "Jenkinsfile", ("//",)) if c.argv[0] == "run"]
    gate_timeout = parse(run.argv).timeout
    minutes = int(re.search(r"timeout\(time: (\d+), unit: 'MINUTES'\)", text).group(1))  # type: ignore[union-attr]
    assert gate_timeout < minutes * 60


def test_jenkinsfile_documents_cancellation() -> None:
    text = _text(JENKINSFILE)
    assert "SIGTERM" in text and "143" in text


def test_jenkins_promotion_asks_a_person_between_dev_and_prod() -> None:
    text = _text(JENKINS_PROMOTION)
    stages = re.findall(r"stage\('([^']+)'\)", text)
    assert stages == ["Deploy to dev", "Approve prod", "Deploy to prod"]
    approve = text[text.index("stage('Approve prod')") : text.index("stage('Deploy to prod')")]
    assert re.search(r"\binput message:", approve)
    assert "agent any" not in approve  # waiting for a person holds no executor
    only = re.findall(r"GATE_ONLY = '([^']+)'", text)
    assert only == ["guestbook-dev", "guestbook-prod"]
    assert set(only) <= set(example_spec_names())
    # Neither approval nor prod after an UNSTABLE (timed-out) dev gate.
    assert text.count("currentBuild.currentResult == 'SUCCESS'") == 2


# --- GitHub Actions (static part; the run script itself is run in test_github_action.py) ------


def test_example_workflow_passes_the_key_as_env_from_secrets() -> None:
    workflow = load_yaml(WORKFLOW)
    action = load_yaml(ACTION)
    inputs = set(action["inputs"])
    outputs = set(action["outputs"])
    required = {name for name, spec in action["inputs"].items() if spec.get("required")}
    gate_steps = []
    for job in workflow["jobs"].values():
        steps = job["steps"]
        for index, step in enumerate(steps):
            if step.get("uses") != f"harness-gate/harness-gate/ci/github@v{__version__}":
                continue
            gate_steps.append(step)
            assert step["env"]["HARNESS_API_KEY"] == "${{ secrets.HARNESS_API_KEY }}"
            assert set(step["with"]) <= inputs, set(step["with"]) - inputs
            assert required <= set(step["with"])
            for value in step["with"].values():
                assert "secrets." not in str(value)
            # A reporter after the gate that runs when the gate failed, but not on cancel.
            later = steps[index + 1 :]
            uploads = [
                s for s in later if str(s.get("uses", "")).startswith("actions/upload-artifact")
            ]
            assert uploads and all(s.get("if") == "${{ !cancelled() }}" for s in uploads)
            junit = step["with"].get("junit-path", action["inputs"]["junit-path"]["default"])
            assert any(
                junit.startswith(u["with"]["path"].rstrip("/") + "/") or junit == u["with"]["path"]
                for u in uploads
            )
    assert len(gate_steps) == 2
    used = set(re.findall(r"steps\.gate\.outputs\.([\w-]+)", _text(WORKFLOW)))
    assert used and used <= outputs
    assert (ROOT / "ci" / "github" / "action.yml").is_file()  # what `uses: .../ci/github` loads


def test_example_workflow_only_names_exist_in_the_example_spec() -> None:
    workflow = load_yaml(WORKFLOW)
    for job in workflow["jobs"].values():
        for step in job["steps"]:
            only = step.get("with", {}).get("only")
            if only:
                assert set(re.split(r"[\s,]+", only.strip())) <= set(example_spec_names())


# --- GitLab CI ------------------------------------------------------------------------------


def _gitlab_gate_jobs() -> dict[str, tuple[dict, object]]:
    pipeline = load_yaml(GITLAB)
    jobs = {}
    for name, job in pipeline.items():
        if not isinstance(job, dict) or name.startswith("."):
            continue
        for text in job.get("script", []):
            for command in gate_commands(text, f"{GITLAB.name}:{name}"):
                args = parse(command.argv, str(command))
                if getattr(args, "command", None) == "run":
                    jobs[name] = (job, args)
    return jobs


def test_gitlab_gate_jobs_always_upload_junit_and_dotenv_reports() -> None:
    jobs = _gitlab_gate_jobs()
    assert set(jobs) == {"deploy-dev", "deploy-prod"}
    pipeline = load_yaml(GITLAB)
    template = pipeline[".harness-gate"]
    for name, (job, args) in jobs.items():
        artifacts = job["artifacts"]
        assert artifacts["when"] == "always", name
        assert artifacts["reports"]["junit"] == args.junit, name
        assert args.dotenv and artifacts["reports"]["dotenv"] == args.dotenv, name
        assert job.get("extends") == ".harness-gate"
        # The job's own timeout is longer than the gate's, so the gate reports a timeout itself.
        assert parse_duration(template["timeout"]) > args.timeout, name
    assert template["interruptible"] is False


def test_gitlab_later_jobs_use_the_dotenv_variables_the_gate_writes() -> None:
    pipeline = load_yaml(GITLAB)
    jobs = _gitlab_gate_jobs()
    # What the real dotenv writer produces for the deployments each gate job runs.
    written: dict[str, set[str]] = {}
    for name, (_job, args) in jobs.items():
        result = RunResult(
            command="run",
            spec_path="deploy.yaml",
            deployments=[
                DeploymentResult(
                    name=d,
                    application="Harness Demo",
                    entity_type="workflow",
                    entity_name="K8s Rolling Deployment",
                    execution_id="exec",
                    url="https://app.harness.io/x",
                )
                for d in args.only
            ],
        )
        text, warnings = render_dotenv(result)
        assert not warnings
        written[name] = {line.split("=", 1)[0] for line in text.splitlines()}
    assert "HARNESS_EXECUTION_ID_GUESTBOOK_DEV" in written["deploy-dev"]
    consumers = 0
    for name, job in pipeline.items():
        if not isinstance(job, dict) or name.startswith("."):
            continue
        needed = [n["job"] if isinstance(n, dict) else n for n in job.get("needs", [])]
        available = set().union(*(written.get(n, set()) for n in needed), written.get(name, set()))
        text = yaml.safe_dump(job)
        used = set(re.findall(r"\$\{?(HARNESS_(?:EXECUTION_(?:ID|URL)_\w+|GATE_\w+))", text))
        assert used <= available, f"{name} uses {sorted(used - available)}, never written"
        if name not in jobs and any(v.startswith("HARNESS_EXECUTION_ID_") for v in used):
            consumers += 1
    assert consumers >= 1, "no later job uses $HARNESS_EXECUTION_ID_<NAME>"


def test_gitlab_never_defines_the_key_in_the_file() -> None:
    pipeline = load_yaml(GITLAB)
    assert "HARNESS_API_KEY" not in pipeline.get("variables", {})
    for job in pipeline.values():
        if isinstance(job, dict):
            assert "HARNESS_API_KEY" not in (job.get("variables") or {})
    assert "Masked" in _text(GITLAB)


# --- cron and systemd -----------------------------------------------------------------------


def test_promote_script_is_valid_bash() -> None:
    result = subprocess.run(["bash", "-n", str(PROMOTE)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    text = _text(PROMOTE)
    assert text.startswith("#!/usr/bin/env bash\n")
    assert "set -euo pipefail" in text
    assert re.search(r"flock --nonblock 9|flock -n 9", text)
    assert PROMOTE.stat().st_mode & 0o111, "promote.sh is not executable"


def test_promote_script_passes_shellcheck() -> None:
    shellcheck = find_tool("shellcheck")
    if shellcheck is None:
        pytest.skip("shellcheck is not installed")
    result = subprocess.run([shellcheck, str(PROMOTE)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def _settings_of_promote() -> set[str]:
    return set(re.findall(r"\$\{(HARNESS_GATE_\w+):-", _text(PROMOTE)))


def test_crontab_runs_promote_with_settings_it_knows() -> None:
    known = _settings_of_promote() | {
        "HARNESS_API_KEY_FILE",
        "HARNESS_ACCOUNT_ID",
        "HARNESS_ENDPOINT",
    }
    entries = 0
    for number, line in logical_lines(_text(CRONTAB)):
        if not line.strip():
            continue
        if re.match(r"^[A-Z_]+=", line):
            name = line.split("=", 1)[0]
            assert name in known | {"SHELL", "PATH", "MAILTO"}, f"line {number}: {name}"
            assert name != "HARNESS_API_KEY", "the key itself must not be in a crontab"
            continue
        fields = line.split()
        assert len(fields) > 5, f"line {number}: {line}"
        command = shlex.split(" ".join(fields[5:]))
        assignments = [w for w in command if re.match(r"^[A-Z_]+=", w)]
        assert command[len(assignments)].endswith("/promote.sh"), line
        for assignment in assignments:
            name, value = assignment.split("=", 1)
            assert name in known, f"line {number}: promote.sh has no setting {name}"
            if name == "HARNESS_GATE_ONLY":
                assert set(value.split()) <= set(example_spec_names())
        entries += 1
    assert entries >= 1


def _unit(path: Path) -> dict[str, dict[str, list[str]]]:
    sections: dict[str, dict[str, list[str]]] = {}
    current = None
    for line in _text(path).splitlines():
        line = line.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            current = sections.setdefault(line.strip("[]"), {})
            continue
        key, _, value = line.partition("=")
        assert current is not None, line
        current.setdefault(key, []).append(value)
    return sections


def test_systemd_service_runs_promote_as_a_oneshot_with_time_for_the_gate() -> None:
    unit = _unit(SERVICE)
    service = unit["Service"]
    assert service["Type"] == ["oneshot"]
    assert service["ExecStart"][0].endswith("/promote.sh")
    assert service["User"][0] not in ("root", "0")
    gate_timeout = "45m"
    for line in service.get("Environment", []):
        name, _, value = line.partition("=")
        assert name in _settings_of_promote() | {"HARNESS_API_KEY_FILE"}, name
        if name == "HARNESS_GATE_TIMEOUT":
            gate_timeout = value
        if name == "HARNESS_GATE_ONLY":
            assert set(value.split()) <= set(example_spec_names())
    assert parse_duration(service["TimeoutStartSec"][0]) > parse_duration(gate_timeout)
    # The credential name promote.sh looks for.
    credential = service["LoadCredential"][0].split(":", 1)[0]
    assert f"$CREDENTIALS_DIRECTORY/{credential}" in _text(PROMOTE)
    assert not any("HARNESS_API_KEY=" in v for v in service.get("Environment", []))


def test_systemd_timer_starts_the_service() -> None:
    unit = _unit(TIMER)
    assert unit["Timer"]["Unit"] == [SERVICE.name]
    assert unit["Install"]["WantedBy"] == ["timers.target"]
    analyze = shutil.which("systemd-analyze")
    if analyze:
        for spec in unit["Timer"]["OnCalendar"]:
            result = subprocess.run([analyze, "calendar", spec], capture_output=True, text=True)
            assert result.returncode == 0, result.stderr


def test_systemd_units_verify(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed")
    for path in (SERVICE, TIMER):
        text = _text(path).replace("ExecStart=/opt/harness-gate/promote.sh", f"ExecStart={PROMOTE}")
        (tmp_path / path.name).write_text(text, encoding="utf-8")
    result = subprocess.run(
        [analyze, "verify", str(tmp_path / SERVICE.name), str(tmp_path / TIMER.name)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    # Warnings about our units (an unknown key, say) are printed but do not fail verify.
    output = result.stdout + result.stderr
    problems = [line for line in output.splitlines() if "harness-gate-promote" in line]
    assert result.returncode == 0 and not problems, output


# --- Dockerfile -----------------------------------------------------------------------------


def _instructions() -> list[tuple[str, str]]:
    found = []
    for _number, line in logical_lines(_text(DOCKERFILE)):
        if line.strip():
            keyword, _, rest = line.strip().partition(" ")
            found.append((keyword.upper(), rest.strip()))
    return found


def test_dockerfile_builds_the_package_from_the_context_as_a_non_root_user() -> None:
    instructions = _instructions()
    keywords = [k for k, _ in instructions]
    # The base comes from a build argument, so a release can pin it by digest.
    assert instructions[0] == ("ARG", "PYTHON_IMAGE=python:3.11-slim")
    assert instructions[1] == ("FROM", "${PYTHON_IMAGE}")
    assert "--build-arg PYTHON_IMAGE=python:3.11-slim@sha256:" in _text(DOCKERFILE)
    assert ("COPY", ". /src") in instructions
    runs = [rest for k, rest in instructions if k == "RUN"]
    assert any(re.search(r"\bpip install /src\b", r) for r in runs)
    users = [rest for k, rest in instructions if k == "USER"]
    assert users, "no USER"
    user = users[-1].split(":")[0]
    assert user not in ("root", "0"), users
    # The user is switched after the last RUN (nothing installed as that user is needed).
    last_run = max(i for i, k in enumerate(keywords) if k == "RUN")
    assert keywords.index("USER") > last_run
    [entrypoint] = [rest for k, rest in instructions if k == "ENTRYPOINT"]
    assert json.loads(entrypoint) == ["harness-gate"]
    for _k, cmd in [i for i in instructions if i[0] == "CMD"]:
        parse(json.loads(cmd), "Dockerfile CMD")


def test_dockerfile_labels_name_the_source_licence_and_version() -> None:
    labels = " ".join(rest for k, rest in _instructions() if k == "LABEL")
    for key in ("source", "licenses", "version", "revision", "title", "description"):
        assert f"org.opencontainers.image.{key}=" in labels, key
    assert 'org.opencontainers.image.licenses="Apache-2.0"' in labels
    assert (
        'org.opencontainers.image.source="https://github.com/harness-gate/harness-gate"' in labels
    )
    assert "ARG VERSION=" + __version__ in _text(DOCKERFILE)


def test_dockerfile_documents_the_build_and_run_commands() -> None:
    build = "docker build -f ci/Dockerfile -t harness-gate ."
    run = (
        "docker run --rm -e HARNESS_API_KEY -e HARNESS_ACCOUNT_ID "
        '-v "$PWD:/work" -w /work harness-gate run deploy.yaml'
    )
    for path in (DOCKERFILE, DOCS):
        assert build in _text(path), path
        assert run in _text(path), path
    # -e NAME without a value: the key comes from the caller's environment, not argv.
    assert "HARNESS_API_KEY=" not in _text(DOCKERFILE)


def _ignored(relative: str, patterns: list[str]) -> bool:
    """A simplified .dockerignore match (Go filepath.Match per path, parents included)."""
    from fnmatch import fnmatchcase

    parts = relative.split("/")
    candidates = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    ignored = False
    for pattern in patterns:
        negate = pattern.startswith("!")
        pattern = pattern.lstrip("!").strip("/")
        for candidate in candidates:
            if fnmatchcase(candidate, pattern) or (
                pattern.startswith("**/") and fnmatchcase(candidate.split("/")[-1], pattern[3:])
            ):
                ignored = not negate
                break
    return ignored


def test_dockerignore_keeps_what_pip_install_needs_and_drops_the_rest() -> None:
    patterns = [
        line.strip()
        for line in _text(DOCKERIGNORE).splitlines()
        if line.strip() and not line.startswith("#")
    ]
    for needed in (
        "setup.cfg",
        "pyproject.toml",
        "README.md",
        "harness_gate/cli.py",
        "harness_gate/examples/demo.yaml",
        "harness_gate/emulator/fixtures/default.yaml",
    ):
        assert not _ignored(needed, patterns), needed
    for dropped in (
        ".git/config",
        ".venv/bin/python",
        ".venv-ci/bin/python",
        "harness_gate/__pycache__/cli.cpython-311.pyc",
        "harness_gate.egg-info/PKG-INFO",
    ):
        assert _ignored(dropped, patterns), dropped


# --- docs -----------------------------------------------------------------------------------


def test_docs_cover_each_ci_system_exit_codes_credentials_and_cancellation() -> None:
    docs = _text(DOCS)
    for heading in ("Jenkins", "GitHub Actions", "GitLab CI", "cron", "systemd", "Docker"):
        assert re.search(rf"^#+ .*{heading}", docs, flags=re.M | re.I), heading
    for word in (
        "SIGTERM",
        "143",
        "130",
        "HARNESS_API_KEY_FILE",
        "withCredentials",
        "Masked",
        "secrets.HARNESS_API_KEY",
        "UNSTABLE",
        "!cancelled()",
        "when: always",
        "harness-gate @ git+https://",
    ):
        assert word in docs, word
    # The exit-code table names every code the gate documents.
    for code in ("0", "1", "2", "3", "4", "5", "128+N"):
        assert re.search(rf"^\| *{re.escape(code)} *\|", docs, flags=re.M), code


def test_docs_links_point_at_files_that_exist() -> None:
    docs = _text(DOCS)
    for target in re.findall(r"\]\(([^)#]+)(?:#[^)]*)?\)", docs):
        if "://" in target:
            continue
        assert (DOCS.parent / target).resolve().exists(), target
