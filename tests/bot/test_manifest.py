"""manifest.yml is a valid Slack app manifest, in step with the router and with the code's scopes."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from bot import manifest
from handlers.context import Context
from handlers.router import REGISTRY, dispatch
from tests import paths

ROOT = paths.ROOT

#: Web API methods the code calls -> the bot scope each needs.
METHOD_SCOPES = {
    "chat_postMessage": {"chat:write"},
    "chat_postEphemeral": {"chat:write"},
    "files_upload_v2": {"files:write"},
    "conversations_history": {"channels:history", "groups:history"},
    "conversations_replies": {"channels:history", "groups:history"},
    "chat_unfurl": {"links:write"},
}
#: Scopes that come from features rather than method calls.
FEATURE_SCOPES = {"commands", "app_mentions:read", "chat:write.public", "links:read"}


@pytest.fixture
def shipped() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "manifest.yml").read_text(encoding="utf-8"))


@pytest.fixture
def schema(fixtures_dir: Path) -> dict[str, Any]:
    return json.loads((fixtures_dir / "slack" / "manifest.schema.1.0.0.json").read_text(encoding="utf-8"))


def test_manifest_is_valid_against_slacks_schema(shipped: dict[str, Any], schema: dict[str, Any]) -> None:
    jsonschema.Draft7Validator(schema).validate(shipped)


def test_the_schema_rejects_the_shipped_invalid_example(schema: dict[str, Any], fixtures_dir: Path) -> None:
    invalid = json.loads((fixtures_dir / "slack" / "manifest.v1.invalid.json").read_text(encoding="utf-8"))
    valid = json.loads((fixtures_dir / "slack" / "manifest.v1.valid.json").read_text(encoding="utf-8"))
    jsonschema.Draft7Validator(schema).validate(valid)
    with pytest.raises(jsonschema.ValidationError, match="bad_param"):
        jsonschema.Draft7Validator(schema).validate(invalid)


def test_manifest_is_in_step_with_the_router() -> None:
    assert manifest.main(["--check"]) == 0, "run `python -m bot.manifest --write`"


def test_manifest_turns_on_what_the_bot_needs(shipped: dict[str, Any]) -> None:
    (command,) = shipped["features"]["slash_commands"]
    assert command["command"] == "/attention" and command["description"]
    settings = shipped["settings"]
    assert settings["socket_mode_enabled"] is True
    assert settings["interactivity"]["is_enabled"] is True
    assert settings["event_subscriptions"]["bot_events"] == ["app_mention", "link_shared"]
    assert shipped["features"]["unfurl_domains"] == ["doi.org", "hdl.handle.net"]


def test_the_operators_unfurl_domains_join_the_resolvers(schema: dict[str, Any], monkeypatch: pytest.MonkeyPatch,
                                                        tmp_path: Path) -> None:
    monkeypatch.setenv("ATTENTION_UNFURL_DOMAINS", "Repo.Example.edu, maps.example.edu")
    out = tmp_path / "manifest.yml"
    assert manifest.main(["--write", "--path", str(out)]) == 0
    written = yaml.safe_load(out.read_text(encoding="utf-8"))
    assert written["features"]["unfurl_domains"] == ["doi.org", "hdl.handle.net", "repo.example.edu", "maps.example.edu"]
    jsonschema.Draft7Validator(schema).validate(written)
    assert manifest.main(["--check", "--path", str(out)]) == 0
    assert manifest.main(["--check"]) == 1  # the shipped file names only the resolvers


@pytest.mark.parametrize("spec", REGISTRY, ids=lambda s: s.name)
def test_every_command_is_in_the_usage_hint_and_help(spec: Any, shipped: dict[str, Any], ctx: Context) -> None:
    hint = shipped["features"]["slash_commands"][0]["usage_hint"]
    help_text = dispatch(ctx, "help").text
    assert re.search(rf"(^|\| ){re.escape(spec.name)}\b", hint), f"`{spec.name}` missing from the usage hint"
    assert re.search(rf"^\s+{re.escape(spec.name)}\b", help_text, re.MULTILINE), f"`{spec.name}` missing from help"


def test_scopes_are_exactly_the_ones_the_code_uses(shipped: dict[str, Any]) -> None:
    code = "\n".join(p.read_text(encoding="utf-8") for p in sorted((ROOT / "bot").glob("slack*.py")))
    called = {m for m in METHOD_SCOPES if re.search(rf"\.{m}\b", code)}
    assert called == set(METHOD_SCOPES), f"methods the table expects but the code no longer calls: {set(METHOD_SCOPES) - called}"
    needed = set().union(*(METHOD_SCOPES[m] for m in called)) | FEATURE_SCOPES
    declared = set(shipped["oauth_config"]["scopes"]["bot"])
    assert declared == needed
    # any other Web API method in the Slack adapter must be added to the table above
    others = set(re.findall(r"client\.([a-z]+_[A-Za-z0-9_]+)\(", code)) - set(METHOD_SCOPES)
    assert others == set(), f"add the scopes of {others} to METHOD_SCOPES and the manifest"
