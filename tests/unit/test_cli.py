"""The `flowstead` command's offline subcommands."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from flowstead.cli import main

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def test_validate_accepts_the_examples(capsys: pytest.CaptureFixture[str]) -> None:
    files = sorted(str(p) for p in EXAMPLES.glob("*.yaml"))
    assert files
    assert main(["validate", *files]) == 0
    assert capsys.readouterr().out.count(": ok") == len(files)


def test_validate_reports_issues_and_fails(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("nodes:\n  - {id: t, type: teleport}\n")
    assert main(["validate", str(path)]) == 1
    out = capsys.readouterr().out
    assert "[t] error: unknown node type `teleport` (unknown_type)" in out
    assert "error: the workflow has no Start node (no_start)" in out


def test_validate_a_file_that_is_not_a_document(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "list.yaml"
    path.write_text("- 1\n")
    assert main(["validate", str(path)]) == 1
    assert "must be a mapping" in capsys.readouterr().err


def test_schema_prints_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schema"]) == 0
    assert json.loads(capsys.readouterr().out)["title"].startswith("Flowstead workflow")


def test_python_dash_m_flowstead_is_the_command() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "flowstead", "schema"], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["title"].startswith("Flowstead workflow")


def test_a_bad_setting_stops_with_its_name(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("FLOWSTEAD_WEB_PORT", "web")
    assert main(["settings"]) == 2
    assert "FLOWSTEAD_WEB_PORT='web' must be a port number" in capsys.readouterr().err


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("FLOWSTEAD_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("FLOWSTEAD_DATABASE_URL", raising=False)
    return tmp_path / "data"


def test_run_prints_the_outputs(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", str(EXAMPLES / "hello.yaml"), "--input", "name=Ada"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result == {
        "status": "succeeded",
        "outputs": {"greeting": "Hello, Ada! This ran in Flowstead."},
        "error": None,
    }
    assert (data_dir / "flowstead.db").exists()


def test_run_without_a_required_input_fails(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["run", str(EXAMPLES / "hello.yaml")]) == 1
    captured = capsys.readouterr()
    assert json.loads(captured.out)["error"] == "node start failed: input `name` is required"
    assert "[start] failed: input `name` is required" in captured.err


def test_run_refuses_an_invalid_document(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("nodes:\n  - {id: start, type: start}\n")
    assert main(["run", str(path)]) == 1
    assert "flowstead run: a workflow needs an End node" in capsys.readouterr().err
