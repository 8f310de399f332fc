from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.settings import (
    SettingsError,
    env_name,
    load_settings,
    settings_model,
    settings_table,
    sources_table,
)
from sources import REGISTRY
from tests import paths

README = paths.README


def test_defaults_need_nothing() -> None:
    s = load_settings()
    assert s.db == Path("attention.db")
    assert s.slack_bot_token is None and s.slack_api_url == "https://slack.com/api/"
    assert s.sources_config().settings["hackernews"].url == "https://hn.algolia.com/api/v1"


def test_lists_take_commas_or_json(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ATTENTION_ADMINS", "U123, U456")
    monkeypatch.setenv("ATTENTION_FEEDS", '["https://blog.example.org/feed", "https://news.example.org/rss"]')
    monkeypatch.setenv("ATTENTION_SCORE_WEIGHTS", "news=10,social=0.5")
    s = load_settings()
    assert s.admins == ("U123", "U456")
    assert s.feeds == ("https://blog.example.org/feed", "https://news.example.org/rss")
    assert s.score_weights == {"news": 10.0, "social": 0.5}


def test_slack_variables_keep_their_names_and_ours_are_prefixed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-1")
    monkeypatch.setenv("SLACK_API_URL", "http://127.0.0.1:1/api/")
    monkeypatch.setenv("ALTMETRIC_API_KEY", "k")
    monkeypatch.setenv("ATTENTION_CONTACT_EMAIL", "repo@library.example.edu")
    s = load_settings()
    assert s.secret("slack_bot_token") == "xoxb-1" and s.slack_api_url == "http://127.0.0.1:1/api/"
    assert s.secret("altmetric_api_key") == "k"
    assert "repo@library.example.edu" in s.user_agent and s.user_agent.startswith("attention-bot/")
    assert re.search(r" httpx/\d+\.\d+", s.user_agent), "Wikimedia asks for the library and its version"


def test_a_dotenv_file_is_read(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("ATTENTION_DB=/var/lib/attention/bot.db\n")
    assert load_settings().db == Path("/var/lib/attention/bot.db")


def test_each_bad_setting_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ATTENTION_SUMMARY_DAY", "someday")
    monkeypatch.setenv("ATTENTION_LOOKUP_TIMEOUT", "-1")
    with pytest.raises(SettingsError) as info:
        load_settings()
    problems = info.value.problems
    assert len(problems) == 2
    assert problems[0].startswith("ATTENTION_LOOKUP_TIMEOUT:")
    assert problems[1].startswith("ATTENTION_SUMMARY_DAY:") and "mon, tue" in problems[1]


def test_readme_documents_every_setting() -> None:
    text = README.read_text(encoding="utf-8")
    model = settings_model()
    missing = [env_name(name) for name in model.model_fields if f"`{env_name(name)}`" not in text]
    assert missing == [], f"add these to README's configuration table: {missing}"


def test_readme_table_is_the_declarations() -> None:
    """Each row, default and description included, is what the code declares (python -m bot.settings)."""
    text = README.read_text(encoding="utf-8")
    stale = [row for row in settings_table() if row not in text]
    assert stale == [], "README's configuration table is out of date: paste `python -m bot.settings`"


def test_env_example_lists_every_setting_at_its_default() -> None:
    from bot.settings import env_example

    shipped = (paths.ROOT / ".env.example").read_text(encoding="utf-8")
    assert shipped == env_example(), "`.env.example` is out of date: run `python -m bot.settings env > .env.example`"
    for name in settings_model().model_fields:
        assert f"#{env_name(name)}=" in shipped
    defaults = load_settings().model_dump()
    # Uncommented as shipped, every line that has a value reads back as the default.
    uncommented = [line[1:] for line in shipped.splitlines() if re.match(r"#[A-Z_]+=.", line)]
    Path(".env").write_text("\n".join(uncommented) + "\n", encoding="utf-8")
    assert load_settings().model_dump() == defaults


def test_a_bad_url_rule_stops_the_start(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ATTENTION_URL_RULES", "/digital/collection/{alias}/id/{id}")
    with pytest.raises(SettingsError) as info:
        load_settings()
    assert info.value.problems[0].startswith("ATTENTION_URL_RULES:")
    assert "pattern=key" in info.value.problems[0]
    monkeypatch.setenv("ATTENTION_URL_RULES", "/digital/collection/{alias}/id/{id}=contentdm:{alias}/{id}")
    assert load_settings().url_rules.startswith("/digital")


def test_a_poll_interval_under_a_minute_stops_the_start(monkeypatch: pytest.MonkeyPatch) -> None:
    # The scheduler would crash on these (APScheduler refuses a grace time of 0 or less).
    monkeypatch.setenv("ATTENTION_POLL_INTERVALS", "wikipedia=-5,crossref=0.01,hackernews=90")
    with pytest.raises(SettingsError) as info:
        load_settings()
    problem = info.value.problems[0].partition("(got")[0]
    assert problem.startswith("ATTENTION_POLL_INTERVALS:")
    assert "wikipedia=-5" in problem and "crossref=0.01" in problem and "hackernews" not in problem
    monkeypatch.setenv("ATTENTION_POLL_INTERVALS", "hackernews=90")
    assert load_settings().poll_intervals == {"hackernews": 90.0}


def test_readme_sources_table_is_the_declarations() -> None:
    text = README.read_text(encoding="utf-8")
    stale = [row for row in sources_table() if row not in text]
    assert stale == [], "README's sources table is out of date: paste `python -m bot.settings sources`"
    for cls in REGISTRY:  # and each source is described in the tables below it
        assert f"| {cls.label}" in text.partition("### Identifier sources")[2], cls.label
