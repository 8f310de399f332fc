"""The shared HTTP client: every fault a source can show becomes a named SourceError."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable, Iterator
from typing import ClassVar

import httpx
import pytest

from sources.base import Source
from sources.config import SourcesConfig
from sources.errors import BadResponse, NotAuthorised, RateLimited, SourceTimeout, SourceUnavailable
from sources.factory import HttpFactory
from sources.http import PACE_SHARE, SourceClient, TokenBucket
from sources.pacing import WINDOW_SLACK, header_seconds
from tests.fakes.http import FakeServer, canned

UA = "attention-bot/0.1 (+https://example.org; ops@example.org) httpx"


class Dummy(Source):
    name = "dummy"
    label = "Dummy"
    rate_per_second: ClassVar[float] = 100.0
    concurrency: ClassVar[int] = 2


def make_client(
    handler: Callable[[httpx.Request], httpx.Response] | None = None, *,
    timeout: float = 5.0, sleeps: list[float] | None = None,
) -> SourceClient:
    config = SourcesConfig(user_agent=UA, timeout=timeout)
    record = sleeps if sleeps is not None else []
    transport = httpx.MockTransport(handler) if handler else None
    factory = HttpFactory(config, transport=transport, sleep=record.append)
    return factory.client(Dummy(config, factory))


@pytest.fixture
def server() -> Iterator[FakeServer]:
    with FakeServer() as srv:
        yield srv


def test_timeout_is_named_with_its_seconds(server: FakeServer) -> None:
    server.route("GET", "/slow", json={"ok": True}, delay=30)
    client = make_client(timeout=0.3)
    with pytest.raises(SourceTimeout, match=r"timed out after 0.3 s") as info:
        client.get(server.url + "/slow")
    assert info.value.source == "dummy"


def test_500_then_200_is_retried(server: FakeServer) -> None:
    server.route_fn("GET", "/flaky", [canned(status=500, body="oops"), canned(json={"n": 1})])
    sleeps: list[float] = []
    client = make_client(sleeps=sleeps)
    assert client.get_json(server.url + "/flaky") == {"n": 1}
    assert len(server.requests_to("/flaky")) == 2
    assert sleeps, "the retry waited (with the injected sleep)"


def test_500_every_time_becomes_unavailable(server: FakeServer) -> None:
    server.route("GET", "/down", status=503, body="maintenance")
    client = make_client()
    with pytest.raises(SourceUnavailable, match="HTTP 503"):
        client.get(server.url + "/down")
    assert len(server.requests_to("/down")) == 3


def test_connection_refused_is_unavailable() -> None:
    client = make_client()
    with pytest.raises(SourceUnavailable, match="could not connect"):
        client.get("http://127.0.0.1:9/nothing-listens-here")


def test_short_429_is_waited_out_once(server: FakeServer) -> None:
    server.route_fn(
        "GET", "/busy",
        [canned(status=429, headers={"Retry-After": "2"}), canned(json={"ok": 1})],
    )
    sleeps: list[float] = []
    client = make_client(sleeps=sleeps)
    assert client.get_json(server.url + "/busy") == {"ok": 1}
    assert 2.0 in sleeps


def test_long_429_raises_rate_limited_with_retry_after(server: FakeServer) -> None:
    server.route("GET", "/busy", status=429, headers={"Retry-After": "120"})
    client = make_client()
    with pytest.raises(RateLimited, match="retry after 2 min") as info:
        client.get(server.url + "/busy")
    assert info.value.retry_after == pytest.approx(120)
    assert len(server.requests_to("/busy")) == 1


def test_spent_quota_header_stops_the_next_call(server: FakeServer) -> None:
    server.route(
        "GET", "/counted", json={"score": 3},
        headers={"X-HourlyRateLimit-Remaining": "0", "X-HourlyRateLimit-Limit": "1200"},
    )
    client = make_client()
    assert client.get_json(server.url + "/counted") == {"score": 3}
    with pytest.raises(RateLimited, match="rate limit used up"):
        client.get(server.url + "/counted")
    assert len(server.requests_to("/counted")) == 1


def test_ratelimit_reset_header_sets_the_wait(server: FakeServer) -> None:
    server.route(
        "GET", "/x", json={}, headers={"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "30"}
    )
    client = make_client()
    client.get(server.url + "/x")
    with pytest.raises(RateLimited) as info:
        client.get(server.url + "/x")
    assert info.value.retry_after is not None and 0 < info.value.retry_after <= 30


def test_html_with_200_is_a_bad_response(server: FakeServer) -> None:
    page = "<!DOCTYPE html><html><body>Our service is down for maintenance</body></html>"
    server.route("GET", "/api", body=page, content_type="text/html; charset=utf-8")
    with pytest.raises(BadResponse, match="HTML page instead of JSON"):
        make_client().get_json(server.url + "/api")


def test_truncated_json_is_a_bad_response(server: FakeServer) -> None:
    server.route("GET", "/api", body='{"message": {"is-referenced-by-count": 4', content_type="application/json")
    with pytest.raises(BadResponse, match="malformed or truncated JSON"):
        make_client().get_json(server.url + "/api")


@pytest.mark.parametrize("status", [401, 403])
def test_refused_key_is_not_authorised(server: FakeServer, status: int) -> None:
    server.route("GET", "/secret", status=status, body="no")
    with pytest.raises(NotAuthorised, match="check its key"):
        make_client().get(server.url + "/secret")


def test_404_is_returned_and_get_json_gives_none(server: FakeServer) -> None:
    client = make_client()
    assert client.get(server.url + "/missing").status_code == 404
    assert client.get_json(server.url + "/missing") is None


def test_user_agent_is_sent(server: FakeServer) -> None:
    server.route("GET", "/ua", json={})
    make_client().get(server.url + "/ua")
    assert server.requests_to("/ua")[0].headers["user-agent"] == UA


def test_conditional_request_sends_validators_and_returns_304(server: FakeServer) -> None:
    server.route("GET", "/feed", status=304)
    resp = make_client().get(
        server.url + "/feed", etag='"abc123"', last_modified="Wed, 01 Jan 2025 00:00:00 GMT"
    )
    assert resp.status_code == 304
    sent = server.requests_to("/feed")[0].headers
    assert sent["if-none-match"] == '"abc123"'
    assert sent["if-modified-since"] == "Wed, 01 Jan 2025 00:00:00 GMT"


def test_post_and_mock_transport() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"accessJwt": "t"})

    resp = make_client(handler).post("https://pds.example/xrpc/login", json={"id": "me"})
    assert resp.json() == {"accessJwt": "t"}
    assert seen[0].method == "POST" and seen[0].headers["user-agent"] == UA


def test_factory_caches_one_client_per_source() -> None:
    config = SourcesConfig()
    factory = HttpFactory(config)
    assert factory.client(Dummy(config, factory)) is factory.client(Dummy(config, factory))
    factory.close()


def test_token_bucket_spaces_requests() -> None:
    now = [0.0]
    waits: list[float] = []
    bucket = TokenBucket(2.0, capacity=1, clock=lambda: now[0], sleep=waits.append)
    bucket.acquire()
    bucket.acquire()
    bucket.acquire()
    assert waits == [pytest.approx(0.5), pytest.approx(1.0)]


def test_a_request_that_wakes_late_does_not_crowd_the_next_second() -> None:
    # On a busy machine a waiting request wakes late: the next ones must neither leave with it
    # nor crowd the second after it, or a server's one-second window sees one too many.
    now = [0.0]
    late = [0.7]

    def sleep(seconds: float) -> None:
        now[0] += seconds + (late.pop() if late else 0.0)

    bucket = TokenBucket(2.0, capacity=1, clock=lambda: now[0], sleep=sleep)
    left = []
    for _ in range(4):
        bucket.acquire()
        left.append(now[0])
    # The late one leaves at 1.2; the next, due then too, half an interval after it; the
    # last waits for the late one's second to pass, and then a little more.
    assert left == pytest.approx([0.0, 1.2, 1.45, 2.2 + WINDOW_SLACK])
    assert max(sum(1 for t in left if end - 1 < t <= end) for end in left) == 2


def test_announced_rate_limit_headers_set_the_pace(server: FakeServer) -> None:
    # Crossref announces its budget on every answer: 1 request per 2 s here, below our default.
    server.route(
        "GET", "/works", json={"message": {}},
        headers={"X-Rate-Limit-Limit": "1", "X-Rate-Limit-Interval": "2s"},
    )
    sleeps: list[float] = []
    client = make_client(sleeps=sleeps)
    assert client.rate_per_second == 100.0
    client.get(server.url + "/works")
    assert client.rate_per_second == pytest.approx(0.5)
    client.get(server.url + "/works")
    # The next request waited for the announced pace, no burst first, kept a little under
    # (PACE_SHARE; the injected sleep returns at once).
    # (The bound below is generous: the time the first request took comes off the wait.)
    assert sleeps and 1.5 <= sleeps[-1] <= 2.0 / PACE_SHARE


def test_an_announced_crawl_pace_is_capped_at_one_request_per_ten_seconds(server: FakeServer) -> None:
    server.route("GET", "/works", json={}, headers={"X-Rate-Limit-Limit": "1", "X-Rate-Limit-Interval": "1h"})
    client = make_client()
    client.get(server.url + "/works")
    assert client.rate_per_second == pytest.approx(0.1)  # not one an hour


@pytest.mark.parametrize(
    ("limit", "interval"), [("50", "soon"), ("many", "1s"), ("0", "1s"), ("5", None)]
)
def test_unreadable_rate_headers_keep_the_declared_pace(
    server: FakeServer, limit: str, interval: str | None
) -> None:
    headers = {"X-Rate-Limit-Limit": limit} | ({"X-Rate-Limit-Interval": interval} if interval else {})
    server.route("GET", "/works", json={}, headers=headers)
    client = make_client()
    client.get(server.url + "/works")
    assert client.rate_per_second == 100.0


# --- the test network guard (tests/conftest.py) ---
@pytest.mark.trips_network_guard
def test_guard_refuses_a_connection_to_the_outside_world() -> None:
    from tests.conftest import NetworkGuardError

    with socket.socket() as sock, pytest.raises(NetworkGuardError, match="connect to \\('192.0.2.1'"):
        sock.connect(("192.0.2.1", 80))
    with pytest.raises(NetworkGuardError, match="only loopback is allowed"):
        socket.create_connection(("192.0.2.1", 80), timeout=1)
    with pytest.raises(NetworkGuardError, match="tried to resolve 'api.crossref.org'"):
        socket.getaddrinfo("api.crossref.org", 443)


@pytest.mark.trips_network_guard
def test_guard_fails_a_source_left_on_its_real_url_instead_of_hiding_it() -> None:
    from tests.conftest import NetworkGuardError

    # Not turned into SourceUnavailable: a test that forgot its fake URL must fail loudly.
    with pytest.raises(NetworkGuardError):
        make_client().get("https://api.crossref.org/works/10.1371/journal.pone.0000030")


def test_guard_lets_loopback_through(server: FakeServer) -> None:
    server.route("GET", "/ok", json={"ok": True})
    assert make_client().get_json(server.url + "/ok") == {"ok": True}
    assert make_client().get_json(server.url.replace("127.0.0.1", "localhost") + "/ok") == {"ok": True}


@pytest.mark.parametrize("zone", ["America/New_York", "Asia/Tokyo"])
def test_retry_after_date_in_minus_0000_form_is_utc_whatever_the_local_zone(
    monkeypatch: pytest.MonkeyPatch, zone: str
) -> None:
    monkeypatch.setenv("TZ", zone)
    time.tzset()
    try:
        now = 1445412480.0  # 2015-10-21 07:28:00 UTC
        assert header_seconds("Wed, 21 Oct 2015 07:30:00 -0000", now=now) == pytest.approx(120.0)
    finally:
        monkeypatch.undo()
        time.tzset()


def test_json_nested_past_the_stack_is_a_bad_response() -> None:
    deep = b"[" * 100_000 + b"]" * 100_000
    client = make_client(
        lambda r: httpx.Response(200, content=deep, headers={"content-type": "application/json"})
    )
    with pytest.raises(BadResponse, match="malformed or truncated JSON"):
        client.get_json("https://api.example/deep")
