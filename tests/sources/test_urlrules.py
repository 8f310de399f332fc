"""URL-pattern rules: item keys for pages without identifiers, folding views of one item."""

from __future__ import annotations

import pytest

from core.errors import InputError
from core.identifiers import from_key, parse_identifier
from sources.urlrules import key_for, parse_rules

RULES = parse_rules(
    "/digital/collection/{alias}/id/{id}=contentdm:{alias}/{id}; "
    "archives.example.edu/items/show/{n}=omeka:{host}/{n}"
)


@pytest.mark.parametrize(
    "url",
    [
        "https://cdm.example.edu/digital/collection/maps/id/12",
        "https://cdm.example.edu/digital/collection/maps/id/12/",
        "https://cdm.example.edu/digital/collection/maps/id/12/rec/3",
        "https://cdm.example.edu/digital/collection/maps/id/12?page=2&view=full",
        "https://cdm.example.edu/digital/collection/maps/id/12/print#top",
        "http://CDM.example.edu/digital/collection/maps/id/12/full",
    ],
)
def test_views_of_one_contentdm_item_fold_into_one_key(url: str) -> None:
    key = key_for(url, RULES)
    assert key is not None and key.key == "key:contentdm:maps/12"


def test_other_items_and_other_paths_do_not_match() -> None:
    assert key_for("https://cdm.example.edu/digital/collection/maps/id/13", RULES).value == "contentdm:maps/13"  # type: ignore[union-attr]
    assert key_for("https://cdm.example.edu/digital/collection/maps/search", RULES) is None
    assert key_for("https://cdm.example.edu/digital/collection/maps/id/12x", RULES).value == "contentdm:maps/12x"  # type: ignore[union-attr]
    assert key_for("https://cdm.example.edu/other/digital/collection/maps/id/1", RULES) is None


def test_host_limited_rule_and_host_placeholder() -> None:
    assert key_for("https://archives.example.edu/items/show/42?x=1", RULES).key == "key:omeka:archives.example.edu/42"  # type: ignore[union-attr]
    assert key_for("https://elsewhere.example.edu/items/show/42", RULES) is None


def test_key_round_trips_through_identifiers() -> None:
    key = key_for("https://cdm.example.edu/digital/collection/maps/id/12", RULES)
    assert key is not None
    assert from_key(key.key) == key == parse_identifier("key:contentdm:maps/12")


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("/digital/collection/{alias}/id/{id}", "pattern=key"),
        ("/digital/collection/maps=contentdm:maps", "no {name}"),
        ("/digital/{alias}=contentdm:{alias}/{id}", "{id}"),
        ("cdm.example.edu=contentdm:{x}", "no path"),
    ],
)
def test_bad_rules_say_how_to_fix_them(text: str, why: str) -> None:
    with pytest.raises(InputError, match="URL rule") as err:
        parse_rules(text)
    assert why in str(err.value)


def test_empty_setting_means_no_rules() -> None:
    assert parse_rules("") == () and parse_rules(None) == () and parse_rules(" ; ") == ()
