"""The `sources` command tells an operator which variable switches each source on."""

from __future__ import annotations

import re

import pytest

from bot.settings import Settings, env_name
from sources import REGISTRY
from sources.base import Source

SETTINGS_VARIABLES = {env_name(field) for field in Settings.model_fields}
# Sources that are off until the operator lists something, though they need no credentials.
NEEDS_A_LIST = {"feeds", "mastodon"}


def _needs_setup(cls: type[Source]) -> bool:
    return cls.needs_credentials or cls.name in NEEDS_A_LIST


def _param(cls: type[Source]) -> object:
    return pytest.param(cls, id=cls.name)


@pytest.mark.parametrize("cls", [_param(c) for c in REGISTRY if _needs_setup(c)])
def test_each_source_that_needs_setup_names_real_settings(cls: type[Source]) -> None:
    named = set(re.findall(r"\b[A-Z][A-Z0-9_]{3,}\b", cls.setup_hint))
    assert named, f"{cls.name}.setup_hint names no variable: {cls.setup_hint!r}"
    assert named <= SETTINGS_VARIABLES, f"{cls.name}.setup_hint names unknown {named - SETTINGS_VARIABLES}"


def test_sources_that_need_setup_are_covered() -> None:
    names = {cls.name for cls in REGISTRY if _needs_setup(cls)}
    assert {"altmetric", "openalex", "bluesky", "reddit", "feeds", "mastodon"} <= names
