"""Which CI system runs the gate, and the provenance line Harness shows in execution notes."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Optional

GITHUB = "github"
GITLAB = "gitlab"
JENKINS = "jenkins"


def detect_ci(environ: Mapping[str, str]) -> Optional[str]:
    """The CI system running the gate, from variables each always sets."""
    if environ.get("GITHUB_ACTIONS") == "true":
        return GITHUB
    if environ.get("GITLAB_CI") == "true":
        return GITLAB
    if environ.get("JENKINS_URL") or environ.get("BUILD_URL"):
        return JENKINS
    return None


def default_notes(environ: Mapping[str, str]) -> str:
    """Notes naming the CI system, job and build URL, so a person in Harness finds the build."""
    ci = detect_ci(environ)
    if ci == GITHUB:
        server = environ.get("GITHUB_SERVER_URL", "https://github.com").rstrip("/")
        repo = environ.get("GITHUB_REPOSITORY", "")
        run_id = environ.get("GITHUB_RUN_ID", "")
        workflow = environ.get("GITHUB_WORKFLOW", "")
        job = environ.get("GITHUB_JOB", "")
        url = f"{server}/{repo}/actions/runs/{run_id}" if repo and run_id else ""
        what = " / ".join(p for p in (repo, workflow, job) if p)
        return _join("GitHub Actions", what, url)
    if ci == GITLAB:
        what = " / ".join(
            p for p in (environ.get("CI_PROJECT_PATH", ""), environ.get("CI_JOB_NAME", "")) if p
        )
        return _join("GitLab CI", what, environ.get("CI_JOB_URL", ""))
    if ci == JENKINS:
        what = environ.get("JOB_NAME", "")
        number = environ.get("BUILD_NUMBER", "")
        if what and number:
            what = f"{what} #{number}"
        return _join("Jenkins", what, environ.get("BUILD_URL", ""))
    return "Deployed by harness-gate"


def _join(system: str, what: str, url: str) -> str:
    text = f"Deployed by harness-gate from {system}"
    if what:
        text += f" ({what})"
    if url:
        text += f": {url}"
    return text
