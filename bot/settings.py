"""Settings from the environment and an optional ``.env`` file (pydantic-settings).

Every setting is declared once, beside the code that reads it: the bot's own here, what the
handlers read in ``handlers.options``, and each source's in its ``Settings`` class. This module
puts them together into one settings class, so one variable each, one line per problem, one
configuration table (``python -m bot.settings`` prints README's, ``python -m bot.settings env`` the
``.env.example``). Ours use the ``ATTENTION_``
prefix; Slack's keep their conventional names. Lists take ``a,b`` or a JSON list.
"""

from __future__ import annotations

import difflib
import functools
import json
import os
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, ClassVar

from pydantic import SecretStr, ValidationError, create_model
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, SettingsConfigDict

import sources
from bot import PROJECT_URL, __version__
from core.config import HostList, Port, Rates, Slots, StrList, setting
from handlers.options import Options
from sources.base import Source
from sources.config import SourcesConfig, flat_name, variable
from sources.factory import user_agent

SLACK_API_DEFAULT = "https://slack.com/api/"
CONFIG = SettingsConfigDict(
    env_prefix="ATTENTION_", env_file=".env", extra="ignore", populate_by_name=True, frozen=True
)


class BotSettings(BaseSettings):
    """The bot's own settings: storage, logging, Slack, and how sources are asked."""

    model_config = CONFIG

    db: Path = setting(Path("attention.db"), "SQLite database file.")
    contact_email: str | None = setting(None, "Sent in the User-Agent to sources (Wikimedia, Crossref, DataCite and Reddit ask for one).")
    log_level: str = setting("INFO", "Logging level: DEBUG, INFO, WARNING, ERROR.")
    default_channel: str = setting("console", "Channel used by the shell and `cmd` without --channel.")
    files_dir: Path = setting(Path("attention-files"), "Folder where the console, `shell` and `cmd` write summary charts, exports and the console's log.")
    port: Port = setting(3000, "Port `run --http` listens on (`--port` overrides it).", env="PORT")
    first_poll_seconds: int = setting(60, "Seconds within which `run` first asks every source about a newly watched or imported item.", ge=5, le=86400)

    slack_bot_token: SecretStr | None = setting(None, "Bot token (xoxb-...).", env="SLACK_BOT_TOKEN")
    slack_app_token: SecretStr | None = setting(None, "App-level token (xapp-...) for Socket Mode.", env="SLACK_APP_TOKEN")
    slack_signing_secret: SecretStr | None = setting(None, "Signing secret for HTTP mode.", env="SLACK_SIGNING_SECRET")
    slack_api_url: str = setting(SLACK_API_DEFAULT, "Slack Web API base URL.", env="SLACK_API_URL")
    unfurl_domains: HostList = setting((), "Web sites besides doi.org and hdl.handle.net whose links the bot unfurls in Slack (at most 3; run `python -m bot.manifest --write` after), e.g. `repo.example.edu`.", max_length=3)
    http_max_connections: int = setting(512, "Connections the web server holds at once (`run --http`, `serve`); more are answered 503.", ge=16, le=10_000)

    http_timeout: float = setting(10.0, "Seconds before one request to a source times out.", gt=0, le=120)
    http_max_bytes: int = setting(20_000_000, "Largest response body (after decompression) read from a source.", gt=0)
    disabled_sources: StrList = setting((), "Sources switched off, e.g. `mastodon,feeds`.")
    streams: StrList = setting(("bluesky", "wikipedia"), "Sources read from their public streams as posts happen (`bluesky`: Jetstream, `wikipedia`: EventStreams); empty: none.")
    source_rates: Rates = setting({}, "Requests a second a source may be sent, overriding its default, e.g. `crossref=50,openalex=10`.")
    source_concurrency: Slots = setting({}, "Requests a source may have in flight at once (a whole number, at least 1), e.g. `crossref=16`.")


class Settings(Options, BotSettings):
    """All settings. Each source's own are added by :func:`settings_model` (``wikipedia_langs``,
    ``altmetric_api_key`` ...) and read back per source with :meth:`source_settings`."""

    model_config = CONFIG

    #: The sources whose settings this class carries (set by settings_model).
    registry: ClassVar[tuple[type[Source], ...] | None] = None

    @property
    def user_agent(self) -> str:
        return user_agent(f"attention-bot/{__version__} (+{PROJECT_URL}", contact=self.contact_email)

    def secret(self, name: str) -> str | None:
        """A secret setting's value (a Slack token ...), or None when it is not set."""
        value = getattr(self, name)
        return (value.get_secret_value() or None) if isinstance(value, SecretStr) else value

    def secret_values(self) -> list[str]:
        """Every configured secret, found by its type: for masking them in the log."""
        return [v.get_secret_value() for v in self.__dict__.values() if isinstance(v, SecretStr)]

    def options(self) -> Options:
        """What the handlers may read (no secrets)."""
        return Options(**{name: getattr(self, name) for name in Options.model_fields})

    def source_settings(self, cls: type[Source]) -> Any:
        fields = cls.Settings.model_fields
        return cls.Settings(**{f: getattr(self, flat_name(cls.name, f, i)) for f, i in fields.items()})

    def sources_config(self) -> SourcesConfig:
        return SourcesConfig(
            user_agent=self.user_agent,
            contact_email=self.contact_email,
            timeout=self.http_timeout,
            max_bytes=self.http_max_bytes,
            settings={cls.name: self.source_settings(cls) for cls in (*_registry(self), *sources.STREAMS)},
            disabled=self.disabled_sources,
            streams=self.streams,
            allow_hosts=self.allow_hosts,
            rates=self.source_rates,
            concurrency={name: int(n) for name, n in self.source_concurrency.items()},
        )


def _registry(settings: Settings) -> Sequence[type[Source]]:
    return type(settings).registry or sources.REGISTRY


@functools.cache
def _model(registry: tuple[type[Source], ...]) -> type[Settings]:
    fields: dict[str, Any] = {}
    for cls in (*registry, *sources.STREAMS):
        for field, info in cls.Settings.model_fields.items():
            fields[flat_name(cls.name, field, info)] = (info.annotation, info)
    model = create_model("Settings", __base__=Settings, **fields)
    model.registry = registry
    return model


def settings_model(registry: Sequence[type[Source]] | None = None) -> type[Settings]:
    """The settings class for ``registry`` (default: every registered source)."""
    return _model(tuple(registry if registry is not None else sources.REGISTRY))


class SettingsError(Exception):
    """Settings that cannot be used; one line per problem."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


def env_name(field_name: str, model: type[BaseSettings] | None = None) -> str:
    """The environment variable a setting is read from."""
    info = (model or settings_model()).model_fields[field_name]
    choices = getattr(info.validation_alias, "choices", None)
    return str(choices[0]) if choices else "ATTENTION_" + field_name.upper()


#: Settings that name sources: a misspelt name would otherwise silently do nothing.
PER_SOURCE_FIELDS = ("disabled_sources", "poll_intervals", "source_rates", "source_concurrency")


def unknown_source_names(settings: Settings) -> list[str]:
    """One line per per-source setting that names a source the bot doesn't have."""
    known = sorted(cls.name for cls in _registry(settings))
    problems = []
    streamed = sorted(cls.source for cls in sources.STREAMS)
    if wrong := [name for name in settings.streams if name not in streamed]:
        problems.append(
            f"{env_name('streams')}: there is no stream for {', '.join(wrong)} "
            f"(the streams are {', '.join(streamed)})"
        )
    for field_name in PER_SOURCE_FIELDS:
        wrong = [name for name in getattr(settings, field_name) if name not in known]
        if wrong:
            problems.append(
                f"{env_name(field_name)}: there is no source called {', '.join(wrong)} "
                f"(the sources are {', '.join(known)})"
            )
    return problems


def variable_names(model: type[BaseSettings] | None = None) -> set[str]:
    """Every environment variable a setting is read from, alternative names included."""
    model = model or settings_model()
    names: set[str] = set()
    for name, info in model.model_fields.items():
        choices = getattr(info.validation_alias, "choices", None)
        if choices:
            names.update(str(c) for c in choices)
        else:
            names.add("ATTENTION_" + name.upper())
    return names


def unknown_variables(
    names: Iterator[str] | Sequence[str] | None = None, *, model: type[BaseSettings] | None = None
) -> list[str]:
    """One warning per ``ATTENTION_*`` variable (in the environment and ``.env``) that is not a
    setting: a misspelt name would otherwise be silently ignored."""
    if names is None:
        names = [*os.environ, *_dotenv_names()]
    known = variable_names(model)
    # Compared without the shared prefix, which would make every name look close.
    ours = sorted(n.removeprefix("ATTENTION_") for n in known if n.startswith("ATTENTION_"))
    warnings = []
    for name in dict.fromkeys(n.upper() for n in names):  # read case-insensitively
        if not name.startswith("ATTENTION_") or name in known:
            continue
        close = difflib.get_close_matches(name.removeprefix("ATTENTION_"), ours, n=1, cutoff=0.7)
        hint = (f"did you mean ATTENTION_{close[0]}?" if close
                else "see README 'Configuration' for the settings")
        warnings.append(f"{name} is not a setting and is ignored: {hint}")
    return warnings


def _dotenv_names() -> list[str]:
    path = Path(str(CONFIG.get("env_file") or ".env"))
    if not path.is_file():
        return []
    from dotenv import dotenv_values  # the library pydantic-settings reads .env with

    return list(dotenv_values(path))


def load_settings(*, registry: Sequence[type[Source]] | None = None, **overrides: Any) -> Settings:
    """Read settings; raise SettingsError naming each bad variable and how to fix it."""
    model = settings_model(registry)
    try:
        return model(**overrides)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            loc = str(err["loc"][0]) if err["loc"] else "?"
            name = env_name(loc, model) if loc in model.model_fields else loc
            msg = err["msg"].removeprefix("Value error, ")
            problems.append(f"{name}: {msg} (got {err.get('input')!r})")
        raise SettingsError(problems) from None
    except (ValueError, json.JSONDecodeError) as exc:
        raise SettingsError([f"settings: {exc}"]) from None


def _default(info: FieldInfo) -> str:
    value = info.default
    if value is None:
        return "unset"
    if isinstance(value, tuple | list | dict | str) and not value:
        return "empty"
    if isinstance(value, tuple | list):
        value = ",".join(value)
    return f"`{value}`"


def _rows(registry: Sequence[type[Source]]) -> Iterator[tuple[str, FieldInfo]]:
    own = [n for n in BotSettings.model_fields]
    for name in own:
        yield env_name(name, BotSettings), BotSettings.model_fields[name]
    for name, info in Options.model_fields.items():
        yield "ATTENTION_" + name.upper(), info
    for cls in (*registry, *sources.STREAMS):
        for field, info in cls.Settings.model_fields.items():
            yield variable(cls.name, field, info), info


def settings_table(registry: Sequence[type[Source]] | None = None) -> list[str]:
    """README's configuration table, one row a setting, from the declarations."""
    rows = ["| variable | default | what it does |", "|---|---|---|"]
    for env, info in _rows(registry if registry is not None else sources.REGISTRY):
        rows.append(f"| `{env}` | {_default(info)} | {info.description} |")
    return rows


def _every(minutes: int) -> str:
    return f"{minutes // 60} h" if minutes % 60 == 0 else f"{minutes} min"


def sources_table(registry: Sequence[type[Source]] | None = None) -> list[str]:
    """README's "sources at a glance" table, from each source's declaration."""
    rows = [
        "| source | asked by | kinds of mention | switched on by | requests/s, at once | polled every |",
        "|---|---|---|---|---|---|",
    ]
    for cls in registry if registry is not None else sources.REGISTRY:
        asked = sorted(cls.schemes) + (["domain"] if cls.by_domain else [])
        needs = " + ".join(f"`{cls.variables()[f]}`" for f in cls.needs) or "nothing (on by default)"
        rows.append(
            f"| {cls.label} | {', '.join(asked)} | {', '.join(sorted(cls.reported_kinds()))} "
            f"| {needs} | {cls.rate_per_second:g}, {cls.concurrency} | {_every(cls.default_interval_minutes)} |"
        )
    return rows


def _env_value(info: FieldInfo) -> str:
    value = info.default
    if value is None or isinstance(value, dict):
        return ""
    if isinstance(value, tuple | list):
        return ",".join(value)
    return str(value).lower() if isinstance(value, bool) else str(value)


def env_example(registry: Sequence[type[Source]] | None = None) -> str:
    """``.env.example``: every setting, commented out at its default, with its description."""
    lines = [
        "# attention-bot settings. Copy this file to .env (or set the variables in the environment)",
        "# and uncomment what you change; each line shows the default. Generated by",
        "# `python -m bot.settings env` from the settings' declarations (a test keeps them the same).",
    ]
    for env, info in _rows(registry if registry is not None else sources.REGISTRY):
        lines += ["", f"# {info.description}", f"#{env}={_env_value(info)}"]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    if sys.argv[1:] == ["env"]:
        sys.stdout.write(env_example())
    else:
        table = sources_table() if sys.argv[1:] == ["sources"] else settings_table()
        sys.stdout.write("\n".join(table) + "\n")
