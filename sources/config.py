"""What sources are configured with: what they share (HTTP politeness, switches, rate overrides)
and the settings each declares for itself.

A source's own settings are a :class:`SourceSettings` subclass beside its code, one line per
setting (``core.config.setting``). ``bot.settings`` turns every field into an environment
variable, ``ATTENTION_<SOURCE>_<FIELD>`` unless the field names its own (``ALTMETRIC_API_KEY``),
so adding a setting to a source touches only the source's module.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, SecretStr
from pydantic.fields import FieldInfo


class SourceSettings(BaseModel):
    """Base of a source's own settings (the ``Settings`` class a source declares)."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


def variable(source: str, field: str, info: FieldInfo) -> str:
    """The environment variable a source's setting is read from."""
    alias = info.validation_alias
    choices = getattr(alias, "choices", None)
    if choices:
        return str(choices[0])
    return f"ATTENTION_{source}_{field}".upper()


def flat_name(source: str, field: str, info: FieldInfo) -> str:
    """The name the setting has among all the bot's settings: its variable without
    ``ATTENTION_``, lower-cased (``wikipedia_langs``, ``altmetric_api_key``, ``feeds``)."""
    return variable(source, field, info).removeprefix("ATTENTION_").lower()


def is_set(value: Any) -> bool:
    """Whether a setting a source needs has a value (an empty secret or list does not count)."""
    if isinstance(value, SecretStr):
        return bool(value.get_secret_value())
    return bool(value)


class SourcesConfig(BaseModel):
    """Everything sources need from the settings; built by ``bot.settings``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    user_agent: str = "attention-bot/0.1"
    contact_email: str | None = None
    timeout: float = 10.0
    #: Largest response body read from a source, after decompression.
    max_bytes: int = 20_000_000
    #: Each source's own settings by source name: a SourceSettings, or a dict of its fields.
    settings: Mapping[str, Any] = Field(default_factory=dict)
    #: Source names switched off by the operator.
    disabled: tuple[str, ...] = ()
    #: Sources read from their public streams (``bluesky``, ``wikipedia``; sources.STREAMS).
    streams: tuple[str, ...] = ()
    #: Hosts the link resolver may fetch even when they resolve to private addresses.
    allow_hosts: tuple[str, ...] = ()
    #: Requests a second, and requests in flight at once, per source name: the operator's
    #: overrides of a source's declared ``rate_per_second`` and ``concurrency``.
    rates: dict[str, float] = Field(default_factory=dict)
    concurrency: dict[str, int] = Field(default_factory=dict)

    def settings_for(self, name: str, model: type[SourceSettings]) -> SourceSettings:
        """Source ``name``'s settings as its own model (defaults for what is not given)."""
        given = self.settings.get(name)
        if isinstance(given, model):
            return given
        return model.model_validate(given or {})
