from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import SecretStr

from bot.app import build_context
from bot.settings import load_settings, settings_model


def test_handlers_never_see_tokens_or_keys(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("ATTENTION_DB", str(tmp_path / "a.db"))
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-secret")
    monkeypatch.setenv("ALTMETRIC_API_KEY", "altmetric-secret")
    monkeypatch.setenv("ATTENTION_BLUESKY_APP_PASSWORD", "bsky-secret")
    ctx = build_context(load_settings())
    try:
        assert "secret" not in repr(ctx.options)
        assert ctx.options.summary_tz == "UTC"  # what handlers need is still there
    finally:
        ctx.store.close()


def test_every_token_key_and_password_is_a_secret_by_type() -> None:
    """Masking follows the type: a new key declared as SecretStr is masked with no list to keep."""
    fields = settings_model().model_fields
    secrets = {name for name, info in fields.items() if info.annotation == SecretStr | None}
    assert secrets == {
        "slack_bot_token", "slack_app_token", "slack_signing_secret", "mastodon_token",
        "altmetric_api_key", "openalex_api_key", "bluesky_app_password", "reddit_client_secret",
    }
    shown = repr(load_settings(slack_bot_token="xoxb-123456", altmetric_api_key="k-123456"))
    assert "123456" not in shown
