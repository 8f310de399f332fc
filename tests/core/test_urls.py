from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from core.urls import canonical, is_tld, starts_with_host


@pytest.mark.parametrize(
    ("typed", "host"),
    [
        ("example.org/page", True),
        ("www.example.org", True),
        ("www.intranet", True),  # www. alone says "web address"
        ("repository.example.ac.uk:8443/x", True),
        ("museum.example.museum?q=1", True),
        ("xn--e1afmkfd.xn--p1ai/page", True),  # an internationalised domain, as sent on the wire
        ("doi.org", True),
        ("10.1038/nature12373", False),
        ("2027/abc", False),
        ("1721.1/12345", False),
        ("20.500.12345/x", False),
        ("192.168.1.1/x", False),
        ("example.invalidtld/x", False),
        ("root:x:0:0:root:/root:/bin/bash", False),
        ("someone@example.org", False),
        ("example.org:0/x", False),
        ("example..org/x", False),
        ("hep-th/9901001", False),
    ],
)
def test_a_host_name_needs_a_real_top_level_domain_or_www(typed: str, host: bool) -> None:
    assert starts_with_host(typed) is host


def test_top_level_domains_come_from_the_public_suffix_list() -> None:
    assert all(is_tld(t) for t in ("org", "ORG", "de", "uk", "museum", "xn--p1ai"))
    assert not any(is_tld(t) for t in ("", "1", "1038", "invalidtld", "local"))


@pytest.mark.parametrize(
    "url",
    [
        "http://Example.org:80/a/?utm_source=x&b=2#f",
        "https://example.org./",
        "https://[2001:db8::1]:443/x/",
        "http://example.org:8080",
        "https://example.org/a%2Fb?x=1&&fbclid=2",
    ],
)
def test_the_canonical_form_is_stable(url: str) -> None:
    once = canonical(urlsplit(url))
    assert once.startswith("https://") and "#" not in once
    assert canonical(urlsplit(once)) == once


def test_canonical_keeps_what_is_not_tracking_in_order() -> None:
    assert canonical(urlsplit("http://x.org/p?b=2&utm_medium=m&a=1&gclid=g")) == "https://x.org/p?b=2&a=1"
    assert canonical(urlsplit("https://[2001:db8::1]:443/x/")) == "https://[2001:db8::1]/x"
