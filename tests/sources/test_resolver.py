"""The link resolver refuses unsafe addresses before any connection, on every redirect."""

from __future__ import annotations

import socket

import httpx
import pytest

from sources.errors import BadResponse, SourceError, SourceTimeout
from sources.resolver import (
    Refused,
    ResolverConfig,
    check_url,
    fetch_page,
    resolve_page,
    unsafe_reason,
    url_problem,
)
from tests import paths
from tests.fakes.http import FakeServer

DATA = paths.DATA / "landing"


class StubDNS:
    """Answers every name with fixed addresses and records what was asked."""

    def __init__(self, *answers: str, per_host: dict[str, tuple[str, ...]] | None = None) -> None:
        self.answers = answers
        self.per_host = per_host or {}
        self.asked: list[str] = []

    def __call__(self, host: str, port: int, *args: object) -> list[tuple[object, ...]]:
        self.asked.append(host)
        out = []
        for addr in self.per_host.get(host, self.answers):
            family = socket.AF_INET6 if ":" in addr else socket.AF_INET
            out.append((family, socket.SOCK_STREAM, 6, "", (addr, port)))
        return out


class Recorder:
    """A MockTransport handler that records every request it is given."""

    def __init__(self, handler=None) -> None:  # type: ignore[no-untyped-def]
        self.requests: list[httpx.Request] = []
        self.handler = handler or (lambda r: httpx.Response(200, html="<html></html>"))

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self.handler(request)

    @property
    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self)


CONFIG = ResolverConfig(max_bytes=100_000, timeout=5.0)


@pytest.mark.parametrize(
    "address", ["10.0.0.5", "192.168.1.10", "169.254.169.254", "127.0.0.1", "::1", "::ffff:10.0.0.5", "fd00::5", "224.0.0.251"]
)
def test_a_name_resolving_to_a_private_address_is_refused_without_connecting(address: str) -> None:
    dns, rec = StubDNS(address), Recorder()
    with pytest.raises(Refused, match="ATTENTION_ALLOW_HOSTS") as err:
        fetch_page("https://repo.example.edu/handle/1/2", config=CONFIG, resolve=dns, transport=rec.transport)
    assert address in str(err.value) or "inside IPv6" in str(err.value)
    assert dns.asked == ["repo.example.edu"]
    assert rec.requests == []


def test_one_private_answer_among_public_ones_is_refused() -> None:
    rec = Recorder()
    with pytest.raises(Refused):
        fetch_page("http://mixed.example.org/", config=CONFIG, resolve=StubDNS("93.184.216.34", "10.0.0.5"), transport=rec.transport)
    assert rec.requests == []


@pytest.mark.parametrize("url", ["file:///etc/passwd", "gopher://example.org:70/1", "ftp://example.org/x", "http://user:pw@example.org/"])
def test_other_schemes_and_credentials_are_refused_before_dns(url: str) -> None:
    dns, rec = StubDNS("93.184.216.34"), Recorder()
    with pytest.raises(Refused):
        fetch_page(url, config=CONFIG, resolve=dns, transport=rec.transport)
    assert dns.asked == [] and rec.requests == []


def test_literal_loopback_and_metadata_addresses_are_refused() -> None:
    rec = Recorder()
    for url in ("http://127.0.0.1:8080/", "http://169.254.169.254/latest/meta-data/", "http://[::1]/"):
        with pytest.raises(Refused):
            fetch_page(url, config=CONFIG, resolve=StubDNS(), transport=rec.transport)
    assert rec.requests == []


def test_connects_to_the_checked_address_keeping_the_host_name() -> None:
    rec = Recorder()
    fetched = fetch_page("https://repo.example.edu/handle/1/2?x=1", config=CONFIG, resolve=StubDNS("93.184.216.34"), transport=rec.transport)
    (req,) = rec.requests
    # Pinned to the IP the check approved: a second DNS answer cannot swap it (rebinding).
    assert req.url.host == "93.184.216.34" and req.url.path == "/handle/1/2"
    assert req.headers["host"] == "repo.example.edu"
    assert req.extensions.get("sni_hostname") == "repo.example.edu"
    assert fetched.final_url == "https://repo.example.edu/handle/1/2?x=1"


def test_redirect_to_a_private_address_is_refused_after_one_request() -> None:
    rec = Recorder(lambda r: httpx.Response(302, headers={"Location": "http://intranet.example.edu/admin"}))
    dns = StubDNS(per_host={"repo.example.edu": ("93.184.216.34",), "intranet.example.edu": ("10.0.0.5",)})
    with pytest.raises(Refused, match="10.0.0.5"):
        fetch_page("https://repo.example.edu/x", config=CONFIG, resolve=dns, transport=rec.transport)
    assert len(rec.requests) == 1
    assert dns.asked == ["repo.example.edu", "intranet.example.edu"]


def test_redirect_loop_stops_after_five() -> None:
    rec = Recorder(lambda r: httpx.Response(301, headers={"Location": "/again"}))
    with pytest.raises(Refused, match="more than 5 redirects"):
        fetch_page("https://repo.example.edu/x", config=CONFIG, resolve=StubDNS("93.184.216.34"), transport=rec.transport)
    assert len(rec.requests) == 6


def test_timeout_is_a_named_error() -> None:
    def hang(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("timed out", request=request)

    with pytest.raises(SourceTimeout, match="did not answer within 5 s"):
        fetch_page("https://slow.example.org/", config=CONFIG, resolve=StubDNS("93.184.216.34"), transport=Recorder(hang).transport)


def test_a_name_lookup_that_never_answers_is_a_timeout_within_the_budget() -> None:
    # getaddrinfo has no timeout of its own: a stuck resolver must not hold the poll.
    import threading

    release, answered = threading.Event(), threading.Event()

    def stuck(host: str, port: int, *args: object) -> list[tuple[object, ...]]:
        release.wait(30)
        answered.set()
        return []

    rec = Recorder(lambda r: httpx.Response(200, text="<html></html>"))
    try:
        with pytest.raises(SourceTimeout, match="could not resolve slow-dns.example.org within"):
            fetch_page("https://slow-dns.example.org/", config=ResolverConfig(timeout=0.3), resolve=stuck,
                       transport=rec.transport)
        # Given up while the lookup was still stuck: bounded by the budget, not by the resolver.
        assert not answered.is_set()
    finally:
        release.set()
    assert rec.requests == []  # nothing was fetched


# --- against a real loopback server, allowed by host:port ---


def test_allow_hosts_lets_a_loopback_page_through_and_reads_its_handle() -> None:
    with FakeServer() as srv:
        srv.route("GET", "/handle/1794/22871", body=(DATA / "dspace6.html").read_bytes(), content_type="text/html; charset=utf-8")
        host_port = srv.url.removeprefix("http://")
        config = ResolverConfig(allow_hosts=(host_port,))
        fetched, page = resolve_page(f"{srv.url}/handle/1794/22871", config=config)
    assert fetched.status == 200
    assert "handle:1794/22871" in [i.key for i in page.identifiers]


def test_allowing_one_port_does_not_allow_a_redirect_to_another() -> None:
    with FakeServer() as allowed, FakeServer() as hidden:
        hidden.route("GET", "/secret", body="secret")
        allowed.route("GET", "/go", status=302, headers={"Location": f"{hidden.url}/secret"})
        config = ResolverConfig(allow_hosts=(allowed.url.removeprefix("http://"),))
        with pytest.raises(Refused, match="loopback"):
            fetch_page(f"{allowed.url}/go", config=config)
        assert len(allowed.requests) == 1
        assert hidden.requests == []


def test_reads_at_most_max_bytes() -> None:
    with FakeServer() as srv:
        srv.route("GET", "/big", body=b"<html><head><title>big</title></head>" + b"x" * 2_000_000, content_type="text/html")
        config = ResolverConfig(allow_hosts=("127.0.0.1",), max_bytes=50_000)
        fetched = fetch_page(f"{srv.url}/big", config=config)
    assert fetched.truncated and len(fetched.body) == 50_000


def test_a_pdf_has_no_identifiers_and_an_error_status_is_an_error() -> None:
    with FakeServer() as srv:
        srv.route("GET", "/paper.pdf", body=b"%PDF-1.7", content_type="application/pdf")
        srv.route("GET", "/gone", status=404, body="<html>gone</html>", content_type="text/html")
        config = ResolverConfig(allow_hosts=("127.0.0.1",))
        _, page = resolve_page(f"{srv.url}/paper.pdf", config=config)
        assert page.found == ()
        with pytest.raises(Exception, match="HTTP 404"):
            resolve_page(f"{srv.url}/gone", config=config)


def test_a_redirect_chain_shares_one_time_budget() -> None:
    # Each hop is answered 2 s later (by the fake clock): the third must not start after 5 s.
    ticks = iter(range(0, 100, 2))
    hops = Recorder(lambda r: httpx.Response(302, headers={"Location": f"/hop{len(hops.requests)}"}))
    with pytest.raises(SourceTimeout, match="within 5 s"):
        fetch_page(
            "https://repo.example.edu/start", config=CONFIG, resolve=StubDNS("93.184.216.34"),
            transport=hops.transport, clock=lambda: float(next(ticks)),
        )
    assert len(hops.requests) == 2
    # The time left, not the whole timeout, bounds each request.
    assert hops.requests[1].extensions["timeout"]["read"] == pytest.approx(1.0)


# --- one rule for "public", and links no server could be sent ---


@pytest.mark.parametrize(
    "address",
    ["fec0::1", "64:ff9b:1::a00:5", "ff0e::1", "100.64.0.1", "198.18.0.1", "2001:db8::1",
     "2001:0:4136:e378:8000:63bf:3fff:fdd2", "2002:7f00:1::1", "64:ff9b::7f00:1", "240.0.0.1"],
)
def test_every_address_that_is_not_globally_routable_is_refused(address: str) -> None:
    import ipaddress

    assert unsafe_reason(ipaddress.ip_address(address)) is not None
    dns, rec = StubDNS(address), Recorder()
    with pytest.raises(Refused, match="ATTENTION_ALLOW_HOSTS"):
        fetch_page("https://repo.example.edu/x", config=CONFIG, resolve=dns, transport=rec.transport)
    assert rec.requests == []


@pytest.mark.parametrize("address", ["93.184.216.34", "2606:4700::1", "2002:5db8:d822::1"])
def test_public_addresses_are_fetched(address: str) -> None:
    import ipaddress

    assert unsafe_reason(ipaddress.ip_address(address)) is None
    rec = Recorder()
    fetch_page("https://repo.example.edu/x", config=CONFIG, resolve=StubDNS(address), transport=rec.transport)
    assert len(rec.requests) == 1


BAD_LINKS = {
    "nul": ("https://repo.example.edu/item/a\x00b", "control character '\\x00' at position 31"),
    "del": ("https://repo.example.edu/item/a\x7fb", "control character '\\x7f' at position 31"),
    "long": ("https://repo.example.edu/" + "a" * 70_000, "70,025 characters long; links over 65,536"),
    "bracket": ("http://[bad/", "not a valid web address"),
}


@pytest.mark.parametrize("name", BAD_LINKS)
def test_a_link_no_server_could_be_sent_is_refused_by_name_before_dns(name: str) -> None:
    url, why = BAD_LINKS[name]
    assert why in (url_problem(url) or "")
    dns, rec = StubDNS("93.184.216.34"), Recorder()
    with pytest.raises(Refused) as err:
        fetch_page(url, config=CONFIG, resolve=dns, transport=rec.transport)
    assert why in str(err.value)
    assert len(str(err.value)) < 400  # the link is named, shortened and escaped
    assert dns.asked == [] and rec.requests == []
    with pytest.raises(Refused):
        check_url(url, resolve=dns)


@pytest.mark.parametrize("location", ["http://[bad/", "http://example.org:99999/", "/a\x00b", "javascript:alert(1)"])
def test_a_redirect_nowhere_usable_is_a_bad_response_naming_it(location: str) -> None:
    # A bad response, not a passing hiccup: the resolver's cache keeps it (see handlers.resolve).
    rec = Recorder(lambda r: httpx.Response(302, headers={"Location": location}))
    with pytest.raises(BadResponse, match="repo.example.edu redirected to"):
        fetch_page("https://repo.example.edu/x", config=CONFIG, resolve=StubDNS("93.184.216.34"), transport=rec.transport)
    assert len(rec.requests) == 1


def test_whatever_the_transport_raises_becomes_a_source_error() -> None:
    def broken(request: httpx.Request) -> httpx.Response:
        raise RuntimeError("something no one expected")

    with pytest.raises(SourceError, match="RuntimeError"):
        resolve_page("https://repo.example.edu/x", config=CONFIG, resolve=StubDNS("93.184.216.34"),
                     transport=Recorder(broken).transport)


def test_a_gzip_page_is_read_decompressed_and_cut_at_max_bytes() -> None:
    import gzip

    html = b"<html><head><meta name='citation_doi' content='10.1234/zip'></head>" + b" " * 300_000
    rec = Recorder(lambda r: httpx.Response(200, headers={"Content-Encoding": "gzip", "Content-Type": "text/html"},
                                            stream=httpx.ByteStream(gzip.compress(html))))
    fetched, page = resolve_page("https://repo.example.edu/x", config=CONFIG, resolve=StubDNS("93.184.216.34"),
                                 transport=rec.transport)
    assert fetched.truncated and len(fetched.body) == CONFIG.max_bytes
    assert [i.key for i in page.identifiers][0] == "doi:10.1234/zip"
