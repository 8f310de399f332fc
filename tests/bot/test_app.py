from __future__ import annotations

from pathlib import Path

import pytest

from bot.app import SECRET_FIELDS, build_context
from bot.settings import Settings, load_settings


def test_handlers_never_see_tokens_or_keys(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("ATTENTION_DB", str(tmp_path / "a.db"))
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-secret")
    monkeypatch.setenv("ALTMETRIC_API_KEY", "altmetric-secret")
    monkeypatch.setenv("ATTENTION_BLUESKY_APP_PASSWORD", "bsky-secret")
    ctx = build_context(load_settings())
    try:
        assert "secret" not in repr(ctx.options)
        assert ctx.options["summary_tz"] == "UTC"  # what handlers need is still there
        assert set(Settings.model_fields) >= SECRET_FIELDS
    finally:
        ctx.store.close()
