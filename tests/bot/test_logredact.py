"""API keys sent in query strings never reach the log, even at DEBUG."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from bot import logredact, startup
from bot.settings import load_settings
from core.models import Identifier
from sources.altmetric import Altmetric
from sources.factory import HttpFactory


@pytest.fixture
def clean_httpx_logger() -> Iterator[None]:
    yield
    for name in ("httpx", "httpcore"):
        logger = logging.getLogger(name)
        for f in [f for f in logger.filters if isinstance(f, logredact.RedactQuerySecrets)]:
            logger.removeFilter(f)


def test_debug_log_of_an_altmetric_call_hides_the_key(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, clean_httpx_logger: None
) -> None:
    settings = load_settings(db=tmp_path / "a.db", log_level="DEBUG", altmetric_api_key="S3CRET-KEY")
    startup.configure_logging(settings)
    transport = httpx.MockTransport(lambda r: httpx.Response(200, json={"score": 3.5}))
    factory = HttpFactory(settings.sources_config(), transport=transport)
    source = Altmetric(settings.sources_config(), factory)
    with caplog.at_level(logging.DEBUG, logger="httpx"):
        result = source.lookup(Identifier(scheme="doi", value="10.1371/journal.pone.0000030"))
    factory.close()
    assert result.counts[0].value == 3.5
    assert "doi/10.1371/journal.pone.0000030?key=***" in caplog.text
    assert "S3CRET-KEY" not in caplog.text


def test_redact_keeps_other_parameters() -> None:
    url = "https://api.openalex.org/works/doi:10.1/x?api_key=abc&select=id#top"
    assert logredact.redact(url) == "https://api.openalex.org/works/doi:10.1/x?api_key=***&select=id#top"


def test_installed_secret_values_are_hidden_in_any_record_and_traceback(caplog: pytest.LogCaptureFixture) -> None:
    logredact.install_secrets(["xoxb-TOKEN-123456", None, "abc"])  # too short to hide: "abc"
    try:
        try:
            raise RuntimeError("Slack said no to xoxb-TOKEN-123456")
        except RuntimeError:
            with caplog.at_level(logging.DEBUG):
                logging.getLogger("anything.at.all").exception("posting with %s failed, abc", "xoxb-TOKEN-123456")
    finally:
        logredact.uninstall()
    assert "xoxb-TOKEN-123456" not in caplog.text
    assert "posting with *** failed, abc" in caplog.text and "RuntimeError: Slack said no to ***" in caplog.text
