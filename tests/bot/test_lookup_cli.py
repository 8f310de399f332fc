"""End to end: `attention-bot cmd "lookup <doi>"` against loopback fakes of the sources."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests import paths
from tests.fakes.http import FakeServer

DATA = paths.DATA
DOI = "10.1371/journal.pone.0000030"
ROOT = paths.ROOT

pytestmark = pytest.mark.slow

WIKI_HIT = {
    "batchcomplete": True,
    "query": {
        "searchinfo": {"totalhits": 1},
        "search": [{"ns": 0, "title": "Open science", "pageid": 4242, "timestamp": "2026-03-01T00:00:00Z"}],
    },
}


@pytest.fixture
def fake() -> Iterator[FakeServer]:
    with FakeServer() as srv:
        srv.route("GET", "/w/api.php", json=WIKI_HIT)
        srv.route("GET", "/hn/search_by_date", body=(DATA / "hackernews/search-fuzzy-mix.json").read_text(),
                  content_type="application/json")
        srv.route("GET", f"/crossref/works/{DOI}", body=(DATA / "crossref/work-cited.json").read_text(),
                  content_type="application/json")
        yield srv


def run_cli(
    fake: FakeServer, tmp_path: Path, *, disabled: str, timeout: float = 10, http_timeout: float = 10
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ATTENTION_", "SLACK_"))}
    env.pop("ALTMETRIC_API_KEY", None)
    env.pop("OPENALEX_API_KEY", None)
    # The subprocess has no network guard: every URL must point at the loopback fake.
    for name in ("ALTMETRIC", "OPENALEX", "BLUESKY", "REDDIT", "REDDIT_AUTH"):
        env[f"ATTENTION_{name}_URL"] = f"{fake.url}/unused/{name.lower()}"
    env.update(
        PYTHONPATH=str(ROOT),
        ATTENTION_DB=str(tmp_path / "attention.db"),
        ATTENTION_WIKIPEDIA_URL=f"{fake.url}/w/api.php",
        ATTENTION_WIKIPEDIA_LANGS="en",
        ATTENTION_HACKERNEWS_URL=f"{fake.url}/hn",
        ATTENTION_CROSSREF_URL=f"{fake.url}/crossref",
        ATTENTION_DATACITE_URL=f"{fake.url}/datacite",
        ATTENTION_EUROPEPMC_URL=f"{fake.url}/europepmc",
        ATTENTION_MASTODON_SERVERS=f"{fake.url}/unused/mastodon",
        ATTENTION_FEEDS="",
        ATTENTION_DISABLED_SOURCES=disabled,
        ATTENTION_LOOKUP_TIMEOUT=str(timeout),
        ATTENTION_HTTP_TIMEOUT=str(http_timeout),
        ATTENTION_LOG_LEVEL="ERROR",
    )
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", "cmd", f"lookup {DOI}"],
        env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60,
    )


OTHERS = "altmetric,feeds,mastodon,openalex,bluesky,reddit"


def test_lookup_prints_mentions_and_counts_without_fuzzy_hits(fake: FakeServer, tmp_path: Path) -> None:
    proc = run_cli(fake, tmp_path, disabled=OTHERS + ",datacite,europepmc")
    out = proc.stdout
    assert proc.returncode == 0, proc.stderr
    assert "Wikipedia: 1 mention (1 new)" in out
    assert "Open science (en.wikipedia)" in out and f"{fake.url}/wiki/Open_science" in out
    assert "Hacker News: 2 mentions" in out
    assert "Ten simple rules for open science" in out
    assert "Comment on “Ten simple rules" in out
    assert "dave" not in out  # the commenter is not shown, nor stored, by default
    # Algolia's fuzzy matches (another DOI, the journal's home page, an unrelated comment) are left out.
    assert "A different PLOS paper" not in out
    assert "homepage" not in out and "erin" not in out
    assert "Crossref: citations 42" in out
    # Only loopback was asked, and the polite Wikipedia query quoted the DOI.
    (wiki,) = fake.requests_to("/w/api.php")
    assert wiki.query["srsearch"] == [f'"{DOI}"']
    assert "attention-bot/" in wiki.headers["user-agent"]
    assert not fake.requests_to(f"/datacite/dois/{DOI}")


def test_lookup_names_the_failed_and_the_hung_source(fake: FakeServer, tmp_path: Path) -> None:
    fake.route("GET", f"/datacite/dois/{DOI}", status=500, body="Internal Server Error")
    fake.route("GET", "/europepmc/search", json={"resultList": {"result": []}}, delay=30)
    # The hung request is cut at ATTENTION_HTTP_TIMEOUT; the lookup's own bound is generous,
    # so how busy the machine is does not decide which sources answered in time.
    proc = run_cli(fake, tmp_path, disabled=OTHERS, timeout=60, http_timeout=2)
    out = proc.stdout
    assert proc.returncode == 0, proc.stderr
    assert "DataCite: is unavailable (HTTP 500)" in out
    assert "Europe PMC: timed out after 2 s" in out
    assert "Crossref: citations 42" in out and "Wikipedia: 1 mention" in out
    assert "3 of 5 sources answered" in out
    assert len(fake.requests_to(f"/datacite/dois/{DOI}")) == 3  # retried before giving up


def test_lookup_result_is_stored_for_the_unwatched_item(fake: FakeServer, tmp_path: Path) -> None:
    run_cli(fake, tmp_path, disabled=OTHERS + ",datacite,europepmc")
    again = run_cli(fake, tmp_path, disabled=OTHERS + ",datacite,europepmc")
    # The second lookup finds the same mentions, none of them new.
    assert "Wikipedia: 1 mention\n" in again.stdout
    assert "(1 new)" not in again.stdout
    assert json.dumps(DOI) not in again.stderr
