"""Fixture files: the default world, custom worlds, and clear errors for broken ones."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from emulator_helpers import REPO, Client

from harness_gate.emulator import DEFAULT_FIXTURE, Emulator, FixtureError, load_fixtures
from harness_gate.emulator.fixture import derived_id

DOCS = REPO / "docs" / "emulator.md"

CUSTOM = """
account:
  id: acct-1
  api_key: secret-key
  portal_url: https://app.example.com
applications:
  - name: Shop
    services:
      - name: web
        artifact_sources:
          - name: registry
            builds: ["1.0", "1.1"]
    environments:
      - name: staging
        infrastructure_definitions: [{name: k8s-staging}]
    workflows:
      - name: Deploy Web
        environment: staging
        service: web
        infrastructure_definition: k8s-staging
        duration: 10s
    pipelines:
      - name: Release
        outcome: FAILED
        failure: boom
        stages:
          - {name: Deploy, workflow: Deploy Web}
"""


def test_default_fixture_loads_with_the_docs_ids() -> None:
    fixtures = load_fixtures()
    assert fixtures.source == str(DEFAULT_FIXTURE)
    demo = fixtures.application_named("Harness Demo")
    assert demo is not None and demo.id == "iIfYmHDqTj6Gsygtwt4VRQ"
    pipeline = demo.pipeline_named("Guestbook Pipeline")
    assert pipeline is not None and pipeline.id == "YdK1ONo9TnyzIK5-plsnAg"
    workflow = demo.workflow_named("K8s Rolling Deployment")
    assert workflow is not None and workflow.id == "VzViT24gTluKWNFpdrL95A"
    assert fixtures.application_named("Payments") is not None


def test_docs_describe_every_entity_of_the_default_fixture() -> None:
    text = DOCS.read_text(encoding="utf-8")
    fixtures = load_fixtures()
    missing = []
    for app in fixtures.applications:
        entities = [app, *app.services, *app.environments, *app.workflows, *app.pipelines]
        entities += [i for e in app.environments for i in e.infrastructure_definitions]
        entities += [s for svc in app.services for s in svc.artifact_sources]
        for entity in entities:
            if entity.name not in text or entity.id not in text:
                missing.append(f"{app.name}/{entity.name} ({entity.id})")
    missing += [f.name for f in fixtures.freezes if f.name not in text]
    assert missing == [], "docs/emulator.md does not list: " + ", ".join(missing)


def test_custom_fixture_file(tmp_path: Path) -> None:
    path = tmp_path / "world.yaml"
    path.write_text(CUSTOM, encoding="utf-8")
    with Emulator(path, rate_limit=None) as emu:
        assert emu.account_id == "acct-1" and emu.api_key == "secret-key"
        client = Client(emu)
        app = emu.fixtures.applications[0]
        assert app.id == derived_id("app", "Shop")  # ids default to stable derived ones
        pipeline = app.pipelines[0]
        services = [
            {
                "name": "web",
                "artifactValueInput": {
                    "valueType": "BUILD_NUMBER",
                    "buildNumber": {"artifactSourceName": "registry", "buildNumber": "1.1"},
                },
            }
        ]
        execution = client.start(pipeline.id, "PIPELINE", app_id=app.id, services=services)
        assert execution["executionUrl"].startswith(
            f"https://app.example.com/#/account/acct-1/app/{app.id}/pipeline-execution/"
        )
        emu.advance(11)
        final = client.execution(execution["id"])
        assert final["status"] == "FAILED" and final["failureDetails"] == "boom"


def test_dict_fixture_and_stage_variable_substitution(client: Client, emu: Emulator) -> None:
    # Guestbook Promote maps its env variable into the stage: k8s-${env} -> k8s-qa.
    services = [
        {
            "name": "guestbook",
            "artifactValueInput": {
                "valueType": "BUILD_NUMBER",
                "buildNumber": {"artifactSourceName": "guestbook", "buildNumber": "v5"},
            },
        }
    ]
    eid = client.start(
        "35-lU82nS7WXsgj4Dg01tw", "PIPELINE", variables={"env": "qa"}, services=services
    )["id"]
    emu.advance(1)
    child = client.execution(eid)["pipelineStageExecutions"][0]["workflowExecutionId"]
    q = """query($id: String!) { execution(executionId: $id) { ... on WorkflowExecution {
      outcomes { nodes { ... on DeploymentOutcome {
        environment { name } infrastructureDefinition { name } service { name } } } }
      artifacts { buildNo } } } }"""
    result = client.gql(q, {"id": child})["data"]["execution"]
    assert result["outcomes"]["nodes"] == [
        {
            "environment": {"name": "qa"},
            "infrastructureDefinition": {"name": "k8s-qa"},
            "service": {"name": "guestbook"},
        }
    ]
    assert result["artifacts"] == [{"buildNo": "v5"}]


@pytest.mark.parametrize(
    ("fixture", "message"),
    [
        (
            {"applications": [{"name": "A", "colour": "red"}]},
            "applications[0]: unknown key(s): colour",
        ),
        (
            {"applications": [{"name": "A", "workflows": [{"name": "W", "outcome": "MAYBE"}]}]},
            "applications[0].workflows[0].outcome: expected one of SUCCESS",
        ),
        (
            {"applications": [{"name": "A", "workflows": [{"name": "W", "duration": "soon"}]}]},
            "applications[0].workflows[0].duration: expected a duration",
        ),
        (
            {
                "applications": [
                    {"name": "A", "pipelines": [{"name": "P", "stages": [{"workflow": "X"}]}]}
                ]
            },
            "applications[0].pipelines[0].stages[0].workflow: no workflow named X in A",
        ),
        ({"applications": [{"name": "A"}, {"name": "A"}]}, "duplicate application name: A"),
        (
            {
                "applications": [
                    {"name": "A", "workflows": [{"name": "W", "environment": "nowhere"}]}
                ]
            },
            "applications[0].workflows[0].environment: no environment named nowhere in A",
        ),
        (
            {
                "applications": [
                    {"name": "A", "workflows": [{"name": "W", "approval": {"resolve": "maybe"}}]}
                ]
            },
            "applications[0].workflows[0].approval.resolve: expected approve, reject or none",
        ),
        ({"freezes": [{"name": "F"}]}, "freezes[0]: a freeze needs environments or master: true"),
    ],
)
def test_fixture_errors_name_the_key(fixture: dict[str, object], message: str) -> None:
    with pytest.raises(FixtureError) as info:
        load_fixtures(fixture)
    assert message in str(info.value)


def test_fixture_file_errors(tmp_path: Path) -> None:
    with pytest.raises(FixtureError, match="cannot read"):
        load_fixtures(tmp_path / "missing.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("applications: [", encoding="utf-8")
    with pytest.raises(FixtureError, match="not valid YAML"):
        load_fixtures(bad)
    bad.write_text("- a list", encoding="utf-8")
    with pytest.raises(FixtureError, match="expected a mapping at the top level"):
        load_fixtures(bad)


def test_default_fixture_is_plain_yaml() -> None:
    data = yaml.safe_load(DEFAULT_FIXTURE.read_text(encoding="utf-8"))
    assert load_fixtures(data).account.id == load_fixtures().account.id


def test_the_documented_fixture_format_loads() -> None:
    section = DOCS.read_text(encoding="utf-8").split("## Fixture format", 1)[1]
    block = section.split("```yaml\n", 1)[1].split("```", 1)[0]
    fixtures = load_fixtures(yaml.safe_load(block))
    shop = fixtures.applications[0]
    web = shop.services[0]
    assert [b.collect_seconds for b in web.artifact_sources[0].builds] == [0.0, 0.0, 2.0]
    assert web.artifact_sources[1].parameters == ["repo", "path"]
    assert [c.version for c in web.manifests[0].charts] == ["0.1.0", "0.2.0"]
    deploy = shop.pipelines[0].stages[0]
    assert [v.name for v in deploy.runtime_variables] == ["region"]
    assert deploy.runtime_timeout == 1800 and deploy.runtime_action == "END_EXECUTION"


@pytest.mark.parametrize(
    ("patch", "message"),
    [
        ({"account": {"edition": "FREE"}}, "account.edition: expected one of"),
        (
            {"stage": {"runtime_action": "WAIT"}},
            "stages[0].runtime_action: expected one of END_EXECUTION, CONTINUE_WITH_DEFAULTS",
        ),
        (
            {"workflow": {"pause": {"after": "2m"}, "duration": "1m"}},
            "pause.after: must not be longer than the duration",
        ),
    ],
)
def test_new_fixture_keys_are_checked(patch: dict[str, Any], message: str) -> None:
    data: dict[str, Any] = {
        "account": patch.get("account", {}),
        "applications": [
            {
                "name": "A",
                "environments": [{"name": "dev"}],
                "workflows": [{"name": "W", "environment": "dev", **patch.get("workflow", {})}],
                "pipelines": [
                    {
                        "name": "P",
                        "variables": [{"name": "x", "runtime": True}],
                        "stages": [{"workflow": "W", "variables": {}, **patch.get("stage", {})}],
                    }
                ],
            }
        ],
    }
    with pytest.raises(FixtureError, match=re.escape(message)):
        load_fixtures(data)
