"""Every request is bounded in time and size whatever the server does, and credentials never
follow a redirect to another origin: drip-feeding servers, gzip bombs, hostile redirects."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from typing import ClassVar

import httpx
import pytest

from core.models import Identifier
from sources.altmetric import Altmetric
from sources.base import Source
from sources.bluesky import Bluesky
from sources.config import SourcesConfig
from sources.errors import BadResponse, SourceTimeout, SourceUnavailable
from sources.factory import HttpFactory
from sources.http import SourceClient
from sources.resolver import ResolverConfig, fetch_page
from sources.transport import _DeadlineBackend, bounded_transport, read_body, step
from tests import paths
from tests.fakes.config import sources_config
from tests.fakes.hostile import DripServer
from tests.fakes.http import FakeServer, canned

DOI = Identifier(scheme="doi", value="10.1234/abc")
JSON_HEAD = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n"


class Dummy(Source):
    name = "dummy"
    label = "Dummy"
    rate_per_second: ClassVar[float] = 100.0
    concurrency: ClassVar[int] = 2


def client(*, timeout: float = 5.0, max_bytes: int = 20_000_000, **config: object) -> SourceClient:
    cfg = SourcesConfig(timeout=timeout, max_bytes=max_bytes, **config)  # type: ignore[arg-type]
    factory = HttpFactory(cfg, sleep=lambda s: None)
    return factory.client(Dummy(cfg, factory))


@pytest.fixture
def server() -> Iterator[FakeServer]:
    with FakeServer() as srv:
        yield srv


@pytest.fixture
def elsewhere() -> Iterator[FakeServer]:
    """Another origin (another port): where a hostile redirect points."""
    with FakeServer() as srv:
        yield srv


def test_the_default_transport_carries_the_deadline() -> None:
    # httpx gives no public way in: if an upgrade moves the attribute, this says so first.
    pool = bounded_transport()._pool
    assert isinstance(pool._network_backend, _DeadlineBackend)  # type: ignore[union-attr]


# --- time: an overall deadline, not only a per-read timeout ---
@pytest.mark.parametrize(
    "payload",
    [JSON_HEAD.replace(b"1000", b"2") + b"{}", JSON_HEAD + b"{" * 1000],
    ids=["dripped-headers", "dripped-body"],
)
def test_a_drip_feeding_server_is_abandoned_at_the_timeout(payload: bytes) -> None:
    # One byte every 0.2 s never trips a 1 s read timeout; only an overall deadline stops it.
    with DripServer(payload, every=0.2) as drip:
        with pytest.raises(SourceTimeout, match="timed out after 1 s"):
            client(timeout=1.0).get(drip.url + "/works/x")
        assert drip.wait_abandoned(10), "the client never hung up"
    # About 5 bytes in 1 s; a client that waited for the whole answer would take 60-1000.
    assert drip.sent < 15
    assert drip.connections == 1  # a timeout is not retried


def test_the_resolver_abandons_a_drip_feeding_page_too() -> None:
    page = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 900\r\n\r\n<html>" + b" " * 900
    with DripServer(page, every=0.2) as drip:
        port = drip.url.rsplit(":", 1)[1]
        config = ResolverConfig(timeout=1.0, allow_hosts=(f"127.0.0.1:{port}",))
        with pytest.raises(SourceTimeout):
            fetch_page(drip.url + "/item/1", config=config)
        assert drip.wait_abandoned(10)
    assert drip.sent < 15


def test_retries_stop_when_the_step_is_spent(server: FakeServer) -> None:
    # Each answer takes 0.6 s: a step of 1 s has room for one answer and a cut-short second try.
    server.route("GET", "/down", status=503, body="busy", delay=0.6)
    with step(1.0), pytest.raises(SourceUnavailable):
        client().get(server.url + "/down")
    assert len(server.requests_to("/down")) < 3


def test_without_a_step_the_retries_are_made(server: FakeServer) -> None:
    server.route("GET", "/down", status=503, body="busy")
    with pytest.raises(SourceUnavailable, match="HTTP 503"):
        client().get(server.url + "/down")
    assert len(server.requests_to("/down")) == 3


def test_a_step_already_spent_sends_nothing(server: FakeServer) -> None:
    server.route("GET", "/x", json={})
    with step(0.0), pytest.raises(SourceTimeout, match="were spent"):
        client().get(server.url + "/x")
    assert server.requests_to("/x") == []


# --- size: capped after decompression ---
def test_a_body_over_the_cap_is_refused(server: FakeServer) -> None:
    server.route("GET", "/big", body=b"[" + b"1," * 600 + b"1]", content_type="application/json")
    with pytest.raises(BadResponse, match=r"more than 1 KB \(ATTENTION_HTTP_MAX_BYTES\)"):
        client(max_bytes=1000).get(server.url + "/big")


def test_a_gzip_body_is_capped_after_decompression(server: FakeServer) -> None:
    body = gzip.compress(json.dumps({"pad": "x" * 5000}).encode())
    assert len(body) < 1000  # small on the wire, five times the cap once inflated
    server.route("GET", "/zip", body=body, headers={"Content-Encoding": "gzip"}, content_type="application/json")
    with pytest.raises(BadResponse, match="more than 1 KB"):
        client(max_bytes=1000).get(server.url + "/zip")
    # Under the cap it reads as usual, decompressed.
    assert client(max_bytes=10_000).get_json(server.url + "/zip") == {"pad": "x" * 5000}


def test_an_encoding_not_asked_for_is_a_bad_response(server: FakeServer) -> None:
    server.route("GET", "/br", body=b"\x8b\x02\x80{}\x03", headers={"Content-Encoding": "br"},
                 content_type="application/json")
    with pytest.raises(BadResponse, match="'br', which the bot did not ask for"):
        client().get(server.url + "/br")
    assert server.requests_to("/br")[0].headers["accept-encoding"] == "gzip, deflate"


def test_a_deflate_body_with_or_without_its_zlib_header_is_read() -> None:
    import zlib

    raw = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    for body in (zlib.compress(b'{"a": 1}'), raw.compress(b'{"a": 1}') + raw.flush()):
        resp = httpx.Response(200, headers={"Content-Encoding": "deflate"}, stream=httpx.ByteStream(body))
        assert read_body(resp, 100) == (b'{"a": 1}', False)


def test_a_gzip_bomb_is_refused_early_and_memory_stays_bounded() -> None:
    # Measured in a child process: peak RSS there is this one request's doing, not the suite's.
    script = textwrap.dedent("""
        import json, resource
        from typing import ClassVar
        from sources.base import Source
        from sources.errors import BadResponse
        from sources.config import SourcesConfig
        from sources.factory import HttpFactory
        from sources.resolver import ResolverConfig, fetch_page
        from tests.fakes.hostile import gzip_bomb
        from tests.fakes.http import FakeServer

        class Dummy(Source):
            name = "dummy"
            label = "Dummy"

        def peak():
            # VmHWM is this process's own: ru_maxrss keeps the parent's peak across fork+exec,
            # so it said what the test suite had grown to, not what this request took.
            for line in open("/proc/self/status"):
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
            return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

        bomb = gzip_bomb(512)  # 512 MB of zeros in about 500 KB
        out = {"wire": len(bomb)}
        with FakeServer() as srv:
            srv.route("GET", "/api", body=bomb, headers={"Content-Encoding": "gzip"},
                      content_type="application/json")
            srv.route("GET", "/page", body=bomb, headers={"Content-Encoding": "gzip"},
                      content_type="text/html")
            out["before"] = peak()
            config = SourcesConfig()
            client = HttpFactory(config).client(Dummy(config, HttpFactory(config)))
            try:
                client.get(srv.url + "/api")
            except BadResponse as exc:
                out["error"] = str(exc)
            port = srv.url.rsplit(":", 1)[1]
            page = fetch_page(srv.url + "/page",
                              config=ResolverConfig(allow_hosts=(f"127.0.0.1:{port}",)))
            out["page"] = [len(page.body), page.truncated]
            out["after"] = peak()
        print(json.dumps(out))
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          cwd=paths.ROOT, timeout=120)
    assert done.returncode == 0, done.stderr
    got = json.loads(done.stdout)
    assert got["wire"] < 600_000
    assert "more than 20 MB (ATTENTION_HTTP_MAX_BYTES)" in got["error"]
    assert got["page"] == [3_000_000, True]  # the resolver keeps a page's first 3 MB
    assert got["after"] < 200, f"peak RSS {got['after']:.0f} MB ({got})"
    assert got["after"] - got["before"] < 100, f"grew {got['after'] - got['before']:.0f} MB"


# --- redirects ---
def test_a_login_redirected_to_another_origin_never_sends_the_password(
    server: FakeServer, elsewhere: FakeServer
) -> None:
    server.route("POST", "/xrpc/com.atproto.server.createSession", status=307,
                 headers={"Location": elsewhere.url + "/xrpc/com.atproto.server.createSession"})
    elsewhere.route("POST", "/xrpc/com.atproto.server.createSession", json={"accessJwt": "stolen"})
    config = sources_config(urls={"bluesky": server.url + "/xrpc"}, bluesky_handle="lib.example.org",
                           bluesky_app_password="app-pass-1234")
    source = Bluesky(config, HttpFactory(config, sleep=lambda s: None))
    with pytest.raises(BadResponse, match="carrying credentials to another origin") as info:
        source.lookup(DOI)
    assert elsewhere.requests == []
    assert "app-pass-1234" not in str(info.value)
    assert len(server.requests_to("/xrpc/com.atproto.server.createSession")) == 1


def test_a_login_redirected_within_its_origin_is_followed_with_its_body(server: FakeServer) -> None:
    server.route("POST", "/xrpc/com.atproto.server.createSession", status=308,
                 headers={"Location": "/v2/xrpc/com.atproto.server.createSession"})
    server.route("POST", "/v2/xrpc/com.atproto.server.createSession", json={"accessJwt": "tok"})
    server.route("GET", "/xrpc/app.bsky.feed.searchPosts", json={"posts": []})
    config = sources_config(urls={"bluesky": server.url + "/xrpc"}, bluesky_handle="lib.example.org",
                           bluesky_app_password="app-pass-1234")
    Bluesky(config, HttpFactory(config, sleep=lambda s: None)).lookup(DOI)
    (login,) = server.requests_to("/v2/xrpc/com.atproto.server.createSession")
    assert login.json()["password"] == "app-pass-1234"


def test_a_key_in_the_query_is_not_carried_to_another_origin(server: FakeServer, elsewhere: FakeServer) -> None:
    server.route("GET", f"/v1/doi/{DOI.value}", status=302, headers={"Location": elsewhere.url + "/v1/doi/x?key=secret-key-77"})
    config = sources_config(urls={"altmetric": server.url + "/v1"}, altmetric_api_key="secret-key-77")
    with pytest.raises(BadResponse, match="another origin"):
        Altmetric(config, HttpFactory(config, sleep=lambda s: None)).lookup(DOI)
    assert elsewhere.requests == []


def test_a_plain_request_follows_a_move_to_another_origin(server: FakeServer, elsewhere: FakeServer) -> None:
    server.route("GET", "/feed", status=301, headers={"Location": elsewhere.url + "/new-feed"})
    elsewhere.route("GET", "/new-feed", json={"moved": True})
    resp = client().get(server.url + "/feed")
    assert resp.json() == {"moved": True}
    assert str(resp.url) == elsewhere.url + "/new-feed"


@pytest.mark.parametrize("location", ["http://[bad/", "ftp://example.org/x", "javascript:alert(1)", "http://h:99999/"])
def test_an_unusable_redirect_is_a_bad_response_asked_once(server: FakeServer, location: str) -> None:
    server.route_fn("GET", "/go", lambda rec: canned(status=302, headers={"Location": location}))
    with pytest.raises(BadResponse, match="redirected to"):
        client().get(server.url + "/go")
    assert len(server.requests_to("/go")) == 1  # the same answer every time: not retried


def test_a_location_no_http_parser_accepts_is_bounded_and_named(server: FakeServer) -> None:
    # A control character in a header: the HTTP parser itself refuses the whole answer.
    server.route_fn("GET", "/go", lambda rec: canned(status=302, headers={"Location": "/a\x7fb"}))
    with pytest.raises((BadResponse, SourceUnavailable)) as info:
        client().get(server.url + "/go")
    assert info.value.source == "dummy"
    assert len(server.requests_to("/go")) <= 3


def test_a_redirect_loop_ends(server: FakeServer) -> None:
    server.route("GET", "/loop", status=302, headers={"Location": "/loop"})
    with pytest.raises(BadResponse, match="redirected more than 5 times"):
        client().get(server.url + "/loop")
    assert len(server.requests_to("/loop")) == 6
