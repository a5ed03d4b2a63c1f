"""Files that are not importable Dify apps fail with a message that says why."""

from __future__ import annotations

import pytest

from flowstead.dsl.dify import DifyImportError, import_dify
from tests.unit.dsl.dify.builders import START, dsl


def test_malformed_yaml() -> None:
    with pytest.raises(DifyImportError, match="not valid YAML") as caught:
        import_dify("app: [unclosed\nworkflow: {")
    assert caught.value.code == "invalid_yaml"


def test_not_a_mapping() -> None:
    with pytest.raises(DifyImportError, match="expected a mapping") as caught:
        import_dify("- just\n- a list\n")
    assert caught.value.code == "not_a_dify_app"


def test_kind_other_than_app() -> None:
    with pytest.raises(DifyImportError, match="kind is 'rag_pipeline'") as caught:
        import_dify(dsl(START).replace("kind: app", "kind: rag_pipeline"))
    assert caught.value.code == "unsupported_kind"


def test_missing_kind_is_accepted_like_dify_does() -> None:
    assert import_dify(dsl(START).replace("kind: app\n", "")).document.nodes


def test_file_over_ten_megabytes_is_refused_before_parsing() -> None:
    huge = b"#" * (10 * 1024 * 1024 + 1)
    with pytest.raises(DifyImportError, match=r"10\.0 MB.*over 10 MB") as caught:
        import_dify(huge)
    assert caught.value.code == "file_too_large"


@pytest.mark.parametrize("version", ["0.7.0", "1.0.0", "0.10.2"])
def test_future_versions_are_named(version: str) -> None:
    with pytest.raises(DifyImportError, match=f"DSL version {version} is newer") as caught:
        import_dify(dsl(START, version=version))
    assert caught.value.code == "unsupported_version"


@pytest.mark.parametrize("version", ["0.1.0", "0.1.5", "0.3.1", "0.5.0", "0.6.9"])
def test_known_versions(version: str) -> None:
    assert import_dify(dsl(START, version=version)).document.nodes


def test_unreadable_version() -> None:
    with pytest.raises(DifyImportError, match="unreadable DSL version 'latest'"):
        import_dify(dsl(START, version="latest"))


@pytest.mark.parametrize("mode", ["completion", "agent-chat", "chat"])
def test_app_modes_that_are_not_workflows(mode: str) -> None:
    with pytest.raises(DifyImportError, match=f"mode '{mode}' is not a workflow") as caught:
        import_dify(dsl(START, mode=mode))
    assert caught.value.code == "unsupported_mode"


def test_missing_graph() -> None:
    with pytest.raises(DifyImportError, match="no workflow graph"):
        import_dify("app: {mode: workflow}\nkind: app\nversion: 0.3.1\nworkflow: {}\n")


def test_modes() -> None:
    assert import_dify(dsl(START, mode="advanced-chat")).document.mode == "chat"
    assert import_dify(dsl(START, mode="workflow")).document.mode == "workflow"
