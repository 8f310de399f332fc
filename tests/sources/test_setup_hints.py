"""The `sources` command tells an operator which variable switches each source on."""

from __future__ import annotations

import re

import pytest

from bot.settings import env_name, settings_model
from sources import REGISTRY
from sources.base import Source

SETTINGS_VARIABLES = {env_name(field) for field in settings_model().model_fields}


def _param(cls: type[Source]) -> object:
    return pytest.param(cls, id=cls.name)


@pytest.mark.parametrize("cls", [_param(c) for c in REGISTRY if c.needs])
def test_each_source_that_needs_setup_names_real_settings(cls: type[Source]) -> None:
    hint = cls.setup_hint()
    named = set(re.findall(r"\b[A-Z][A-Z0-9_]{3,}\b", hint))
    assert named, f"{cls.name}.setup_hint names no variable: {hint!r}"
    assert named <= SETTINGS_VARIABLES, f"{cls.name}.setup_hint names unknown {named - SETTINGS_VARIABLES}"


def test_sources_that_need_setup_are_covered() -> None:
    names = {cls.name for cls in REGISTRY if cls.needs}
    assert {"altmetric", "openalex", "bluesky", "reddit", "feeds", "mastodon"} <= names
