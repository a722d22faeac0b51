"""The `nextgen:` fixture section: defaults, custom worlds and the errors it reports."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from ng_helpers import Ng

from harness_gate.emulator import DEFAULT_FIXTURE, Emulator, FixtureError

_ONE_STAGE = """pipeline:
  identifier: p1
  stages:
    - stage: {identifier: a, name: A, type: Custom}
"""


def _world(**pipeline: object) -> dict[str, object]:
    spec = {"identifier": "p1", "name": "P1", **pipeline}
    return {
        "nextgen": {
            "organizations": [
                {"identifier": "o", "projects": [{"identifier": "pr", "pipelines": [spec]}]}
            ]
        }
    }


def test_a_fixture_without_nextgen_has_tokens_but_no_pipelines() -> None:
    with Emulator({"applications": []}, rate_limit=None) as emu:
        ng = Ng(emu)
        assert ng.call("GET", "/pipelines/smoke_test").status_code == 404


def test_tokens_follow_an_overridden_account() -> None:
    with Emulator(account_id="acct42", rate_limit=None) as emu:
        env = emu.ng_env()
        assert env["HARNESS_NG_API_KEY"].startswith("pat.acct42.")
        assert Ng(emu).call("GET", "/pipelines/smoke_test").status_code == 200


def test_explicit_tokens() -> None:
    fixture = _world(stages={"a": {"duration": "5s"}})
    fixture["nextgen"]["api_keys"] = [  # type: ignore[index]
        {"type": "sat", "id": "robot", "token": "sat.HarnessGateEmulator001.robot.s3cret"}
    ]
    with Emulator(fixture, rate_limit=None) as emu:
        assert emu.ng_env()["HARNESS_NG_SAT_API_KEY"] == "sat.HarnessGateEmulator001.robot.s3cret"
        assert "HARNESS_NG_API_KEY" not in emu.ng_env()
        ng = Ng(emu, token="sat.HarnessGateEmulator001.robot.s3cret", org="o", project="pr")
        assert ng.start("p1")["status"] == "RUNNING"


def test_generated_yaml_has_a_stage_per_behaviour() -> None:
    fixture = _world(stages={"build": {"duration": "5s"}, "gate": {"approval": {"timeout": "1m"}}})
    with Emulator(fixture, rate_limit=None) as emu:
        ng = Ng(emu, org="o", project="pr")
        doc = yaml.safe_load(ng.ok("GET", "/pipelines/p1")["yamlPipeline"])
        stages = [s["stage"] for s in doc["pipeline"]["stages"]]
        assert [(s["identifier"], s["type"]) for s in stages] == [
            ("build", "Custom"),
            ("gate", "Approval"),
        ]
        eid = ng.start("p1")["uuid"]
        emu.advance(6)
        assert ng.status(eid) == "ApprovalWaiting"
        emu.advance(60)
        assert ng.status(eid) == "Expired"


@pytest.mark.parametrize(
    ("pipeline", "message"),
    [
        ({"colour": "red"}, "unknown key(s): colour"),
        ({"yaml": _ONE_STAGE, "stages": {"nope": {}}}, "unknown key(s): nope"),
        ({"stages": {"a": {"outcome": "Green"}}}, "expected one of"),
        ({"stages": {"a": {"approval": {"resolve": "maybe"}}}}, "expected one of"),
        ({"yaml": "stages: []"}, "top-level pipeline key"),
        ({"queue_status": "Waiting"}, "expected one of"),
    ],
)
def test_fixture_errors_name_the_key(pipeline: dict[str, object], message: str) -> None:
    if "stages" not in pipeline and "yaml" not in pipeline:
        pipeline = {**pipeline, "stages": {"a": {}}}
    with pytest.raises(FixtureError, match=re.escape(message)):
        Emulator(_world(**pipeline))


def test_the_default_fixture_nextgen_block_loads(tmp_path: Path) -> None:
    data = yaml.safe_load(DEFAULT_FIXTURE.read_text())
    ids = [p["identifier"] for p in data["nextgen"]["organizations"][0]["projects"][0]["pipelines"]]
    assert len(ids) == len(set(ids))
    copy = tmp_path / "copy.yaml"
    copy.write_text(yaml.safe_dump(data))
    with Emulator(str(copy), rate_limit=None) as emu:
        assert Ng(emu).ok("GET", "/pipelines/deploy_guestbook")


def test_not_found_reads_must_be_a_count() -> None:
    with pytest.raises(FixtureError, match="not_found_reads"):
        Emulator(_world(stages={"a": {}}, not_found_reads="two"))


def test_control_api_tokens_and_decide_errors(emu: Emulator, ng: Ng) -> None:
    tokens = ng.http.get(emu.base_url + "/_emulator/nextgen/tokens", timeout=10).json()
    assert sorted(t["type"] for t in tokens) == ["pat", "sat"]
    eid = ng.start("smoke_test")["uuid"]
    decide = emu.base_url + "/_emulator/nextgen/decide"
    idle = ng.http.post(decide, json={"execution_id": eid, "action": "approve"}, timeout=10)
    assert idle.status_code == 400
    assert "not waiting" in idle.json()["error"]
    unknown = ng.http.post(decide, json={"execution_id": "x", "action": "approve"}, timeout=10)
    assert unknown.status_code == 400
    approval = ng.start("release_approval")["uuid"]
    emu.advance(31)
    wrong = ng.http.post(decide, json={"execution_id": approval, "action": "continue"}, timeout=10)
    assert wrong.status_code == 400
    assert ng.status(approval) == "ApprovalWaiting"
