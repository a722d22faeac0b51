from __future__ import annotations

import json
import subprocess
import sys

from harness_gate.report import junit, write_reports


def test_writes_every_requested_report(build, validate, tmp_path):
    result = build.all_outcomes()
    paths = {
        "junit": tmp_path / "reports" / "junit.xml",
        "json": tmp_path / "reports" / "summary.json",
        "dotenv": tmp_path / "gate.env",
    }
    warnings = write_reports(result, paths["junit"], paths["json"], paths["dotenv"])
    assert warnings == []
    validate(paths["junit"].read_text(encoding="utf-8"))
    assert json.loads(paths["json"].read_text(encoding="utf-8"))["exit_code"] == 1
    assert "HARNESS_GATE_OUTCOME=failure\n" in paths["dotenv"].read_text(encoding="utf-8")
    assert sorted(p.name for p in (tmp_path / "reports").iterdir()) == [
        "junit.xml",
        "summary.json",
    ]


def test_only_junit_by_default(build, tmp_path):
    assert write_reports(build.all_outcomes(), tmp_path / "j.xml") == []
    assert [p.name for p in tmp_path.iterdir()] == ["j.xml"]


def test_unwritable_report_becomes_a_warning_and_the_others_are_written(build, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("", encoding="utf-8")
    warnings = write_reports(
        build.all_outcomes(),
        blocker / "junit.xml",  # parent is a file
        tmp_path / "summary.json",
        tmp_path,  # a directory
    )
    assert len(warnings) == 2
    assert warnings[0].startswith(f"could not write JUnit report {blocker / 'junit.xml'}: ")
    assert warnings[1].startswith(f"could not write dotenv report {tmp_path}: ")
    assert (tmp_path / "summary.json").is_file()


def test_a_rendering_bug_is_a_warning_not_a_crash(build, tmp_path, monkeypatch):
    def boom(*args: object, **kwargs: object) -> str:
        raise ValueError("unexpected")

    monkeypatch.setattr(junit, "render_junit", boom)
    warnings = write_reports(build.all_outcomes(), tmp_path / "j.xml")
    assert warnings == [
        f"could not write JUnit report {tmp_path / 'j.xml'}: ValueError: unexpected"
    ]
    assert list(tmp_path.iterdir()) == []


def test_dotenv_limit_warnings_are_returned(build, tmp_path):
    deployments = [build.deployment(f"d{n}") for n in range(12)]
    warnings = write_reports(build.result(*deployments), None, dotenv_path=tmp_path / "e.env")
    assert len(warnings) == 1 and warnings[0].startswith("dotenv: ")


def test_importing_the_package_does_not_import_junit_xml():
    code = (
        "import sys, harness_gate.report, harness_gate.fileio; "
        "assert 'junit_xml' not in sys.modules, 'junit_xml imported'; "
        "assert 'xml.etree.ElementTree' not in sys.modules, 'ElementTree imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_empty_paths_mean_not_requested(build, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert write_reports(build.all_outcomes(), "", "", "") == []
    assert write_reports(build.all_outcomes(), None) == []
    assert list(tmp_path.iterdir()) == []
