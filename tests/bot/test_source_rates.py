"""ATTENTION_SOURCE_RATES and ATTENTION_SOURCE_CONCURRENCY reach the source's HTTP client."""

from __future__ import annotations

import pytest

from bot.settings import SettingsError, load_settings
from sources.crossref import Crossref
from sources.factory import HttpFactory
from sources.openalex import OpenAlex


def test_an_operator_sets_a_sources_rate_and_concurrency(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ATTENTION_SOURCE_RATES", "crossref=50, openalex=2.5")
    monkeypatch.setenv("ATTENTION_SOURCE_CONCURRENCY", "crossref=16")
    config = load_settings().sources_config()
    http = HttpFactory(config)
    crossref = Crossref(config, http)
    assert (crossref.request_rate(), crossref.request_slots()) == (50.0, 16)
    assert http.client(crossref).rate_per_second == 50.0
    # Not named: the source's own declaration stands.
    openalex = OpenAlex(config, http)
    assert (openalex.request_rate(), openalex.request_slots()) == (2.5, OpenAlex.concurrency)


@pytest.mark.parametrize(
    ("name", "value", "told"),
    [
        ("ATTENTION_SOURCE_RATES", "crossref=0", "fix crossref=0"),
        ("ATTENTION_SOURCE_RATES", "crossref", "name=number pairs"),
        ("ATTENTION_SOURCE_CONCURRENCY", "crossref=2.5", "whole number"),
        ("ATTENTION_SOURCE_CONCURRENCY", "crossref=0", "at least 1"),
    ],
)
def test_a_bad_rate_or_concurrency_says_how_to_fix_it(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, told: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError, match=told):
        load_settings()
