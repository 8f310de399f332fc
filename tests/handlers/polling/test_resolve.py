"""From a link to its item's identifiers: links are kept as https, pages read where they answer."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from core.identifiers import parse_identifier
from handlers.context import Context
from handlers.polling.resolve import page_reader, resolve_link
from sources.errors import SourceUnavailable
from tests import paths
from tests.fakes.http import FakeServer


@pytest.fixture
def http_only_site() -> Iterator[FakeServer]:
    """A repository that speaks only http (the fake serves no TLS), like many older ones."""
    srv = FakeServer().start()
    srv.route("GET", "/handle/1794/22871", body=(paths.DATA / "landing" / "dspace6.html").read_bytes(),
              content_type="text/html; charset=utf-8")
    yield srv
    srv.stop()


def test_a_link_stored_as_https_is_read_over_http_where_the_site_has_no_tls(
    ctx: Context, http_only_site: FakeServer
) -> None:
    host = http_only_site.url.removeprefix("http://")
    ctx.options = ctx.options.model_copy(update={"allow_hosts": (host,)})
    resolved = resolve_link(ctx, f"http://{host}/handle/1794/22871/?utm_source=feed")
    assert resolved.url == f"https://{host}/handle/1794/22871"
    assert resolved.status == "ok"
    assert resolved.identifiers[0] == parse_identifier("hdl:1794/22871")
    assert resolved.identifiers[-1] == parse_identifier(f"http://{host}/handle/1794/22871")
    # The page was asked for once, over http, after https found no TLS there.
    assert len(http_only_site.requests_to("/handle/1794/22871")) == 1


def test_a_site_that_answers_neither_way_is_reported_unreachable(ctx: Context) -> None:
    with FakeServer() as srv:
        host = srv.url.removeprefix("http://")
    # the server is gone: nothing listens there now
    ctx.options = ctx.options.model_copy(update={"allow_hosts": (host,)})
    with pytest.raises(SourceUnavailable, match=f"could not fetch {host.split(':')[0]}"):
        page_reader(ctx)(f"https://{host}/item")
