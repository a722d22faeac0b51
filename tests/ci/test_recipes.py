"""The CI recipes against the CI systems' own rules: the official JSON schemas of GitHub
workflows, GitHub actions and GitLab CI (vendored in check-jsonschema, so no network), the
deployment concurrency each CI intends, and an install story that never trusts a package name
this project has not published.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from harness_gate import __version__
from tests.ci.helpers import (
    ACTION,
    CI,
    DOCS,
    GITLAB,
    JENKINS_PROMOTION,
    JENKINSFILE,
    ROOT,
    WORKFLOW,
    load_yaml,
)

RELEASE_WORKFLOW = CI / "github" / "release-workflow.yml"
TESTS_WORKFLOW = ROOT / ".github" / "workflows" / "tests.yml"
ACTION_USES = f"harness-gate/harness-gate/ci/github@v{__version__}"

SCHEMAS = [
    (WORKFLOW, "vendor.github-workflows"),
    (RELEASE_WORKFLOW, "vendor.github-workflows"),
    (TESTS_WORKFLOW, "vendor.github-workflows"),
    (ACTION, "vendor.github-actions"),
    (GITLAB, "vendor.gitlab-ci"),
]


def check_jsonschema(schema: str, path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--builtin-schema", schema, str(path)],
        capture_output=True,
        text=True,
        timeout=120,
    )


# --- the official schemas ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "schema"), SCHEMAS, ids=[path.relative_to(ROOT).as_posix() for path, _ in SCHEMAS]
)
def test_recipe_is_valid_against_the_ci_systems_schema(path: Path, schema: str) -> None:
    result = check_jsonschema(schema, path)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("schema", "text", "complaint"),
    [
        (
            "vendor.github-workflows",
            "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n"
            "    concurrency: {group: g, cancel-in-progres: false}\n    steps: [{run: x}]\n",
            "cancel-in-progres",
        ),
        ("vendor.gitlab-ci", "job:\n  script: [x]\n  resource_group: [not, a, string]\n", "job"),
        ("vendor.github-actions", "name: a\ndescription: b\nruns: {using: composite}\n", "runs"),
    ],
)
def test_the_schema_check_catches_a_broken_file(
    tmp_path: Path, schema: str, text: str, complaint: str
) -> None:
    broken = tmp_path / "broken.yml"
    broken.write_text(text, encoding="utf-8")
    result = check_jsonschema(schema, broken)
    assert result.returncode == 1, result.stdout + result.stderr
    assert complaint in result.stdout + result.stderr


# --- GitHub Actions: job-level concurrency per environment ----------------------------------


def _deploy_jobs(workflow: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        name: job
        for name, job in workflow["jobs"].items()
        if any(step.get("uses") == ACTION_USES for step in job.get("steps", []))
    }


def _environment_name(job: dict[str, Any]) -> str:
    environment = job["environment"]
    return str(environment["name"] if isinstance(environment, dict) else environment)


def test_github_deploy_jobs_each_hold_the_concurrency_group_of_their_environment() -> None:
    workflow = load_yaml(WORKFLOW)
    # Not for the whole workflow: a run waiting for the prod approval would block dev.
    assert "concurrency" not in workflow
    jobs = _deploy_jobs(workflow)
    assert set(jobs) == {"deploy-dev", "deploy-prod"}
    groups = {}
    for name, job in jobs.items():
        environment = _environment_name(job)
        concurrency = job["concurrency"]
        # A newer run waits for a running deployment; it never cancels it.
        assert concurrency["cancel-in-progress"] is False, name
        assert environment in concurrency["group"], (name, concurrency["group"])
        assert "github.ref" not in concurrency["group"], "one group per environment, any ref"
        groups[name] = concurrency["group"]
    assert len(set(groups.values())) == len(groups)
    assert _environment_name(jobs["deploy-prod"]) == "production"


def test_github_example_pins_the_action_at_a_release_of_this_version() -> None:
    text = WORKFLOW.read_text(encoding="utf-8")
    uses = re.findall(r"uses:\s*(\S+/ci/github\S*)", text)
    assert uses and set(uses) == {ACTION_USES}
    assert "./ci/github" not in text.replace("# ", "")


def test_contributor_workflow_runs_the_readme_test_command_on_every_supported_python() -> None:
    workflow = load_yaml(TESTS_WORKFLOW)
    test = workflow["jobs"]["test"]
    versions = test["strategy"]["matrix"]["python-version"]
    assert versions == ["3.9", "3.10", "3.11", "3.12", "3.13"]
    classifiers = re.findall(
        r"Programming Language :: Python :: (3\.\d+)", (ROOT / "setup.cfg").read_text()
    )
    assert classifiers == versions
    assert re.search(r"python_requires = >=3\.9\b", (ROOT / "setup.cfg").read_text())
    runs = [step.get("run", "") for step in test["steps"]]
    assert "python3 -m pip install -e '.[test]' && python3 -m pytest" in runs
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "python3 -m pip install -e '.[test]' && python3 -m pytest" in readme
    # A contributor's run must not demand the project's private reference files.
    assert "HARNESS_GATE_REQUIRE_SHARED" not in str(workflow)


def test_release_workflow_builds_checks_and_publishes_sdist_wheel_and_image() -> None:
    workflow = load_yaml(RELEASE_WORKFLOW)
    text = RELEASE_WORKFLOW.read_text(encoding="utf-8")
    assert "python3 -m build" in text and "twine check --strict dist/*" in text
    assert "docker build -f ci/Dockerfile" in text and "--build-arg PYTHON_IMAGE=" in text
    publish = workflow["jobs"]["publish"]
    assert publish["permissions"] == {"id-token": "write"}
    assert _environment_name(publish) == "pypi"  # reviewers on it guard the release
    assert any(
        str(step.get("uses", "")).startswith("pypa/gh-action-pypi-publish@")
        for step in publish["steps"]
    )
    assert "password" not in str(publish)  # trusted publishing: no token in the repository


# --- GitLab CI: resource groups and rules -----------------------------------------------------

DEFAULT_BRANCH_ONLY = re.compile(r"\$CI_COMMIT_BRANCH\s*==\s*\$CI_DEFAULT_BRANCH")


def _gitlab_jobs() -> dict[str, dict[str, Any]]:
    pipeline = load_yaml(GITLAB)
    return {
        name: job
        for name, job in pipeline.items()
        if isinstance(job, dict) and not name.startswith(".") and "script" in job
    }


def _runs_the_gate(job: dict[str, Any]) -> bool:
    return any("harness-gate run" in str(line) for line in job["script"])


def test_gitlab_deploy_jobs_hold_the_resource_group_of_their_environment() -> None:
    jobs = {name: job for name, job in _gitlab_jobs().items() if _runs_the_gate(job)}
    assert set(jobs) == {"deploy-dev", "deploy-prod"}
    groups = {}
    for name, job in jobs.items():
        environment = job["environment"]["name"]
        assert environment in job["resource_group"], (name, job["resource_group"])
        groups[name] = job["resource_group"]
    assert len(set(groups.values())) == len(groups)


def test_gitlab_deploy_jobs_run_only_where_the_protected_key_exists() -> None:
    jobs = _gitlab_jobs()
    for name, job in jobs.items():
        needs = {need["job"] if isinstance(need, dict) else need for need in job.get("needs", [])}
        if not (_runs_the_gate(job) or needs & {"deploy-dev", "deploy-prod"}):
            continue
        # Every rule that lets the job in requires the default (protected) branch, and merge
        # request pipelines never get it; without rules a job would run everywhere.
        rules = job.get("rules")
        assert rules, f"{name} has no rules: it would run on every branch and MR pipeline"
        for rule in rules:
            if rule.get("when") == "never":
                continue
            assert DEFAULT_BRANCH_ONLY.search(rule.get("if", "")), (name, rule)
            assert 'merge_request_event"' in rule["if"], (name, rule)
    assert jobs["deploy-prod"]["rules"][0]["when"] == "manual"


# --- Jenkins: a lock per environment, milestones so an older build never overtakes ----------


def _stages(text: str) -> dict[str, str]:
    """stage('Name') { ... } blocks of a declarative pipeline, by name."""
    stages = {}
    for match in re.finditer(r"stage\('([^']+)'\)\s*\{", text):
        depth, index = 1, match.end()
        while depth:
            depth += {"{": 1, "}": -1}.get(text[index], 0)
            index += 1
        stages[match.group(1)] = text[match.end() : index - 1]
    return stages


def _ordinals(text: str) -> list[int]:
    return [int(n) for n in re.findall(r"\bmilestone\(ordinal:\s*(\d+)", text)]


@pytest.mark.parametrize("path", [JENKINSFILE, JENKINS_PROMOTION], ids=lambda p: p.name)
def test_jenkins_deploying_stages_lock_their_environment_and_pass_a_milestone(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    code = "\n".join(line.split("//")[0] for line in text.splitlines())
    # A build waiting for an approval must not hold back every other build.
    assert "disableConcurrentBuilds" not in code
    deploying = {name: body for name, body in _stages(code).items() if "runGate(" in body}
    deploying.update(
        {name: body for name, body in _stages(code).items() if "harness-gate run" in body}
    )
    assert deploying
    resources = []
    for name, body in deploying.items():
        lock = re.search(r"\block\(resource:\s*'([^']+)',\s*inversePrecedence:\s*true\)", body)
        assert lock, f"{path.name}: stage {name!r} deploys without lock(..., inversePrecedence)"
        resources.append(lock.group(1))
        # The milestone comes first inside the locked stage: passing it aborts older builds
        # still waiting for the lock.
        steps = body[body.index("steps {") + len("steps {") :]
        first = next(line.strip() for line in steps.splitlines() if line.strip())
        assert first.startswith("milestone(ordinal:"), (name, first)
    assert len(set(resources)) == len(resources), "each environment has its own lock"
    ordinals = _ordinals(code)
    assert ordinals == sorted(set(ordinals)), "milestone ordinals must increase"


def test_jenkins_promotion_approval_holds_no_lock_and_aborts_older_approvals() -> None:
    code = "\n".join(
        line.split("//")[0] for line in JENKINS_PROMOTION.read_text(encoding="utf-8").splitlines()
    )
    stages = _stages(code)
    approve = stages["Approve prod"]
    assert "lock(" not in approve and "agent any" not in approve
    # After the input: approving a newer build first aborts the older ones still waiting.
    assert approve.index("input message:") < approve.index("milestone(ordinal:")
    dev, prod = stages["Deploy to dev"], stages["Deploy to prod"]
    assert "harness-gate-dev" in dev and "harness-gate-prod" in prod
    assert _ordinals(dev)[0] < _ordinals(approve)[0] < _ordinals(prod)[0]
    # The prod stage's `when` is checked before its lock is taken.
    assert "beforeOptions true" in prod


# --- the install story ------------------------------------------------------------------------

# pip install lines in every document and recipe; a requirement naming this project must be
# a direct reference (`harness-gate @ git+https://...@<ref>`), a path, or a wheel file.
INSTALL_SOURCES = [
    ROOT / "README.md",
    *sorted((ROOT / "docs").glob("*.md")),
    JENKINSFILE,
    *sorted(p for p in CI.rglob("*") if p.is_file()),
    TESTS_WORKFLOW,
]
_PIP_INSTALL = re.compile(r"pip\s+install\b([^\n]*)")
_BARE_NAME = re.compile(
    r"""(?:^|[\s'"=])harness[-_]gate(?:\[[\w,]+\])?(?:[=<>!~]=?[\w.*]+)?(?=[\s'"]|$)"""
)
_REQUIREMENT_SETTING = re.compile(
    r"""HARNESS_GATE_(?:REQUIREMENT|PACKAGE)\s*[:=]\s*['"]?([^'"\n]*)"""
)


def _bare_installs(text: str) -> list[str]:
    found = []
    for match in _PIP_INSTALL.finditer(text):
        rest = re.split(r"&&|\|\||;|\|", match.group(1))[0]  # this command's arguments only
        if _BARE_NAME.search(rest) and not re.search(r"harness-gate\s*@\s*\S", rest):
            found.append(match.group(0).strip())
    for match in _REQUIREMENT_SETTING.finditer(text):
        value = match.group(1).strip()
        if value and not re.fullmatch(r"harness-gate @ git\+https://\S+@v?[\w.]+", value):
            found.append(match.group(0).strip())
    return found


@pytest.mark.parametrize("path", INSTALL_SOURCES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_nothing_installs_a_package_name_this_project_has_not_published(path: Path) -> None:
    assert not _bare_installs(path.read_text(encoding="utf-8", errors="replace"))


def test_the_bare_name_check_catches_what_it_must() -> None:
    for bad in (
        "pip install harness-gate",
        "pip install 'harness-gate[emulator]'",
        "python -m pip install --quiet harness-gate==1.0.0",
        "HARNESS_GATE_PACKAGE = 'harness-gate'",
        'HARNESS_GATE_REQUIREMENT: "harness-gate"',
    ):
        assert _bare_installs(bad), bad
    for good in (
        "pip install 'harness-gate @ git+https://github.com/harness-gate/harness-gate@v0.1.0'",
        "pip install '.[emulator]'",
        "pip install -e '.[test]'",
        "pip install '.[emulator]' && harness-gate demo",
        'pip install "$requirement"',
        "pip install dist/harness_gate-0.1.0-py3-none-any.whl",
        'HARNESS_GATE_REQUIREMENT: "harness-gate @ git+https://example.org/x/harness-gate@v1.2"',
    ):
        assert not _bare_installs(good), good


def test_docs_say_how_to_publish_and_how_to_pin() -> None:
    text = DOCS.read_text(encoding="utf-8")
    assert "## Installing" in text
    assert "not published" in text
    assert "twine check" in text and "trusted publishing" in text.lower()
    assert "@sha256:" in text  # the image by digest


# --- the package description --------------------------------------------------------------

REPOSITORY = "https://github.com/harness-gate/harness-gate"


def test_readme_links_are_absolute_and_point_at_files_of_this_repository() -> None:
    # The README is the package description: rendered on an index, a relative link breaks.
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    targets = re.findall(r"\]\(([^)\s]+)\)", readme)
    assert targets
    for target in targets:
        assert target.startswith(("https://", "http://")), target
        if target.startswith(REPOSITORY + "/"):
            kind, branch, *path = target[len(REPOSITORY) + 1 :].split("/")
            assert (kind, branch) in (("blob", "main"), ("tree", "main")), target
            assert (ROOT.joinpath(*path)).exists(), target


def test_package_metadata_names_the_repository_and_the_licence() -> None:
    setup = (ROOT / "setup.cfg").read_text(encoding="utf-8")
    assert "license = Apache-2.0" in setup and "license_files = LICENSE" in setup
    urls = re.findall(r"^    [\w ]+ = (\S+)$", setup.split("project_urls =")[1], flags=re.M)
    assert urls and all(url.startswith(REPOSITORY) for url in urls)
    licence = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert "Apache License" in licence and "Version 2.0, January 2004" in licence
    assert "END OF TERMS AND CONDITIONS" in licence  # the full text, not a pointer to it


@pytest.mark.parametrize("path", INSTALL_SOURCES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_pinned_refs_name_this_version(path: Path) -> None:
    # A release bumps harness_gate.__version__; every recipe's pin must follow it.
    text = path.read_text(encoding="utf-8", errors="replace")
    for ref in re.findall(r"harness-gate/harness-gate(?:\.git)?(?:/ci/github)?@(v[\w.]+)", text):
        assert ref == f"v{__version__}", (path.name, ref)
