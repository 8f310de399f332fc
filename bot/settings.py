"""Settings from the environment and an optional ``.env`` file (pydantic-settings).

Ours use the ``ATTENTION_`` prefix; Slack's keep their conventional names. List settings take
comma-separated values (``ATTENTION_ADMINS=U123,U456``) or a JSON list.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import httpx
from pydantic import AliasChoices, Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bot import PROJECT_URL, __version__
from sources.base import SourcesConfig

StrList = Annotated[tuple[str, ...], NoDecode]
NumberMap = Annotated[dict[str, float], NoDecode]

SLACK_API_DEFAULT = "https://slack.com/api/"


def _split_list(value: Any) -> Any:
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            return tuple(str(v).strip() for v in json.loads(text))
        return tuple(part.strip() for part in text.split(",") if part.strip())
    return value


def _split_map(value: Any) -> Any:
    """``{"news": 8}`` as JSON, or ``news=8,blog=5``."""
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return {}
        if text.startswith("{"):
            return json.loads(text)
        pairs = {}
        for part in text.split(","):
            key, sep, val = part.partition("=")
            if not sep:
                raise ValueError(f"expected name=number pairs separated by commas, got {part!r}")
            pairs[key.strip()] = val.strip()
        return pairs
    return value


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="ATTENTION_", env_file=".env", extra="ignore", populate_by_name=True
    )

    # --- core ---
    db: Path = Field(Path("attention.db"), description="SQLite database file.")
    contact_email: str | None = Field(
        None, description="Sent in the User-Agent to sources (Wikimedia, Crossref, DataCite and Reddit ask for one)."
    )
    log_level: str = Field("INFO", description="Logging level: DEBUG, INFO, WARNING, ERROR.")
    default_channel: str = Field("console", description="Channel used by the shell and `cmd` without --channel.")

    # --- privacy and access ---
    admins: StrList = Field((), description="Slack user ids who may watch, unwatch, import, forget and change settings (with ATTENTION_ADMIN_CHANNELS empty too: everyone).")
    admin_channels: StrList = Field((), description="Channel ids in which anyone may run the changing commands.")
    store_authors: bool = Field(False, description="Keep the author's handle or name with each mention (off: never written).")
    retention_days: int = Field(730, ge=1, description="Days a mention is kept; older ones are purged daily, their monthly counts kept.")
    audit_days: int = Field(90, ge=1, description="Days the audit log of changing commands is kept.")

    # --- Slack ---
    slack_bot_token: str | None = Field(None, validation_alias=AliasChoices("SLACK_BOT_TOKEN"), description="Bot token (xoxb-...).")
    slack_app_token: str | None = Field(None, validation_alias=AliasChoices("SLACK_APP_TOKEN"), description="App-level token (xapp-...) for Socket Mode.")
    slack_signing_secret: str | None = Field(None, validation_alias=AliasChoices("SLACK_SIGNING_SECRET"), description="Signing secret for HTTP mode.")
    slack_api_url: str = Field(SLACK_API_DEFAULT, validation_alias=AliasChoices("SLACK_API_URL"), description="Slack Web API base URL.")

    # --- sources ---
    http_timeout: float = Field(10.0, gt=0, le=120, description="Seconds before one request to a source times out.")
    http_max_bytes: int = Field(20_000_000, gt=0, description="Largest response body (after decompression) read from a source.")
    lookup_timeout: float = Field(10.0, gt=0, le=120, description="Seconds a whole `lookup` may take.")
    wikipedia_url: str = Field("https://{lang}.wikipedia.org/w/api.php", description="MediaWiki API endpoint; `{lang}` is replaced per wiki.")
    wikipedia_langs: StrList = Field(("en", "de", "fr", "es", "ja"), description="Language wikis searched.")
    hackernews_url: str = Field("https://hn.algolia.com/api/v1", description="Hacker News Algolia API.")
    crossref_url: str = Field("https://api.crossref.org", description="Crossref REST API.")
    datacite_url: str = Field("https://api.datacite.org", description="DataCite REST API.")
    europepmc_url: str = Field("https://www.ebi.ac.uk/europepmc/webservices/rest", description="Europe PMC REST API.")
    altmetric_url: str = Field("https://api.altmetric.com/v1", description="Altmetric Details Page API.")
    openalex_url: str = Field("https://api.openalex.org", description="OpenAlex API.")
    bluesky_url: str = Field("https://bsky.social/xrpc", description="Bluesky XRPC endpoint of your PDS.")
    reddit_url: str = Field("https://oauth.reddit.com", description="Reddit OAuth API.")
    reddit_auth_url: str = Field("https://www.reddit.com/api/v1/access_token", description="Reddit token endpoint.")
    feeds: StrList = Field((), description="Blog and news feed URLs (RSS/Atom) to scan for mentions.")
    mastodon_servers: StrList = Field(("https://mastodon.social",), description="Mastodon servers searched.")
    mastodon_token: str | None = Field(None, description="Optional Mastodon access token, sent only to the first server in ATTENTION_MASTODON_SERVERS (the one that issued it).")
    altmetric_api_key: str | None = Field(None, validation_alias=AliasChoices("ALTMETRIC_API_KEY", "ATTENTION_ALTMETRIC_API_KEY"), description="Altmetric key; without it Altmetric is not configured.")
    openalex_api_key: str | None = Field(None, validation_alias=AliasChoices("OPENALEX_API_KEY", "ATTENTION_OPENALEX_API_KEY"), description="OpenAlex key; without it OpenAlex is not configured.")
    bluesky_handle: str | None = Field(None, description="Bluesky handle for searchPosts (with an app password).")
    bluesky_app_password: str | None = Field(None, description="Bluesky app password.")
    reddit_client_id: str | None = Field(None, description="Reddit OAuth client id (an approved client).")
    reddit_client_secret: str | None = Field(None, description="Reddit OAuth client secret.")
    reddit_username: str | None = Field(None, description="Reddit user named in the User-Agent.")
    disabled_sources: StrList = Field((), description="Sources switched off, e.g. `mastodon,feeds`.")
    poll_intervals: NumberMap = Field({}, description="Minutes between polls per source (at least 1), e.g. `wikipedia=360,crossref=1440`.")
    source_rates: NumberMap = Field({}, description="Requests a second a source may be sent, overriding its default, e.g. `crossref=50,openalex=10`.")
    source_concurrency: NumberMap = Field({}, description="Requests a source may have in flight at once (a whole number, at least 1), e.g. `crossref=16`.")

    # --- alerts and summaries ---
    alert_on_first_poll: bool = Field(False, description="Alert about mentions found by an item's first poll.")
    alert_max_mentions: int = Field(5, ge=1, le=20, description="Mentions listed in one alert before 'and N more'.")
    alert_broadcast_jump: float = Field(20.0, ge=0, description="A score jump this large is also sent to the channel, not only the thread.")
    score_weights: NumberMap = Field({}, description="Score weight per kind of source, e.g. `news=8,social=0.5`.")
    summary_day: str = Field("mon", description="Weekday of the weekly summary (mon..sun).")
    summary_time: str = Field("09:00", description="Time of day of the weekly summary (HH:MM).")
    summary_tz: str = Field("UTC", description="Time zone of the summary schedule and week boundaries.")
    summary_post_empty: bool = Field(False, description="Post a summary even for a week with no attention.")

    # --- collections and the link resolver ---
    allow_hosts: StrList = Field((), description="Hosts (`host` or `host:port`) the link resolver may fetch even on private addresses.")
    url_rules: str = Field("", description="URL-pattern rules for pages without tags, e.g. `/digital/collection/{alias}/id/{id}=contentdm:{alias}/{id}`; several separated by `;`.")
    resolver_max_bytes: int = Field(3_000_000, gt=0, description="Largest landing page the resolver reads.")
    resolver_timeout: float = Field(5.0, gt=0, description="Seconds the resolver waits for one landing page.")
    resolver_cache_hours: float = Field(24.0, ge=0, description="Hours a resolved landing page is kept before it is fetched again.")

    @field_validator("admins", "admin_channels", "wikipedia_langs", "feeds", "mastodon_servers", "disabled_sources", "allow_hosts", mode="before")
    @classmethod
    def _lists(cls, value: Any) -> Any:
        return _split_list(value)

    @field_validator("poll_intervals", "score_weights", "source_rates", "source_concurrency", mode="before")
    @classmethod
    def _maps(cls, value: Any) -> Any:
        return _split_map(value)

    @field_validator("poll_intervals")
    @classmethod
    def _intervals(cls, value: dict[str, float]) -> dict[str, float]:
        # The scheduler cannot start with a zero, negative or sub-minute interval.
        bad = [f"{name}={minutes:g}" for name, minutes in value.items() if not minutes >= 1]
        if bad:
            raise ValueError(f"intervals are minutes, at least 1: fix {', '.join(bad)}")
        return value

    @field_validator("source_rates")
    @classmethod
    def _rates(cls, value: dict[str, float]) -> dict[str, float]:
        bad = [f"{name}={rate:g}" for name, rate in value.items() if not rate > 0]
        if bad:
            raise ValueError(f"rates are requests a second, above 0: fix {', '.join(bad)}")
        return value

    @field_validator("source_concurrency")
    @classmethod
    def _slots(cls, value: dict[str, float]) -> dict[str, float]:
        bad = [f"{name}={n:g}" for name, n in value.items() if not (n >= 1 and n == int(n))]
        if bad:
            raise ValueError(f"concurrency is a whole number of requests, at least 1: fix {', '.join(bad)}")
        return value

    @field_validator("url_rules")
    @classmethod
    def _url_rules(cls, value: str) -> str:
        from core.errors import InputError
        from sources.urlrules import parse_rules

        try:
            parse_rules(value)
        except InputError as exc:
            raise ValueError(str(exc)) from None
        return value

    @field_validator("summary_day")
    @classmethod
    def _weekday(cls, value: str) -> str:
        day = value.strip().lower()[:3]
        if day not in ("mon", "tue", "wed", "thu", "fri", "sat", "sun"):
            raise ValueError("use a weekday such as mon, tue ... sun")
        return day

    @field_validator("summary_time")
    @classmethod
    def _time(cls, value: str) -> str:
        hh, sep, mm = value.strip().partition(":")
        if not sep or not (hh.isdigit() and mm.isdigit()) or int(hh) > 23 or int(mm) > 59:
            raise ValueError("use HH:MM, e.g. 09:00")
        return f"{int(hh):02d}:{int(mm):02d}"

    @field_validator("summary_tz")
    @classmethod
    def _tz(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError("use an IANA time zone such as Europe/Berlin") from exc
        return value

    @property
    def user_agent(self) -> str:
        contact = f"; {self.contact_email}" if self.contact_email else ""
        # Wikimedia's policy: name/version (contact) library/version.
        return f"attention-bot/{__version__} (+{PROJECT_URL}{contact}) httpx/{httpx.__version__}"

    def sources_config(self) -> SourcesConfig:
        return SourcesConfig(
            user_agent=self.user_agent,
            contact_email=self.contact_email,
            timeout=self.http_timeout,
            max_bytes=self.http_max_bytes,
            urls={
                "wikipedia": self.wikipedia_url,
                "hackernews": self.hackernews_url,
                "crossref": self.crossref_url,
                "datacite": self.datacite_url,
                "europepmc": self.europepmc_url,
                "altmetric": self.altmetric_url,
                "openalex": self.openalex_url,
                "bluesky": self.bluesky_url,
                "reddit": self.reddit_url,
                "reddit_auth": self.reddit_auth_url,
            },
            wikipedia_langs=self.wikipedia_langs,
            feeds=self.feeds,
            mastodon_servers=self.mastodon_servers,
            mastodon_token=self.mastodon_token,
            altmetric_api_key=self.altmetric_api_key,
            openalex_api_key=self.openalex_api_key,
            bluesky_handle=self.bluesky_handle,
            bluesky_app_password=self.bluesky_app_password,
            reddit_client_id=self.reddit_client_id,
            reddit_client_secret=self.reddit_client_secret,
            reddit_username=self.reddit_username,
            disabled=self.disabled_sources,
            allow_hosts=self.allow_hosts,
            rates=self.source_rates,
            concurrency={name: int(n) for name, n in self.source_concurrency.items()},
        )


class SettingsError(Exception):
    """Settings that cannot be used; one line per problem."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


def env_name(field_name: str) -> str:
    """The environment variable a setting is read from."""
    info = Settings.model_fields[field_name]
    alias = info.validation_alias
    if isinstance(alias, AliasChoices):
        return str(alias.choices[0])
    return "ATTENTION_" + field_name.upper()


#: Settings that name sources: a misspelt name would otherwise silently do nothing.
PER_SOURCE_FIELDS = ("disabled_sources", "poll_intervals", "source_rates", "source_concurrency")


def unknown_source_names(settings: Settings) -> list[str]:
    """One line per per-source setting that names a source the bot doesn't have."""
    from sources import REGISTRY

    known = sorted(cls.name for cls in REGISTRY)
    problems = []
    for field_name in PER_SOURCE_FIELDS:
        wrong = [name for name in getattr(settings, field_name) if name not in known]
        if wrong:
            problems.append(
                f"{env_name(field_name)}: there is no source called {', '.join(wrong)} "
                f"(the sources are {', '.join(known)})"
            )
    return problems


def load_settings(**overrides: Any) -> Settings:
    """Read settings; raise SettingsError naming each bad variable and how to fix it."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            loc = str(err["loc"][0]) if err["loc"] else "?"
            name = env_name(loc) if loc in Settings.model_fields else loc
            msg = err["msg"].removeprefix("Value error, ")
            problems.append(f"{name}: {msg} (got {err.get('input')!r})")
        raise SettingsError(problems) from None
    except (ValueError, json.JSONDecodeError) as exc:
        raise SettingsError([f"settings: {exc}"]) from None
