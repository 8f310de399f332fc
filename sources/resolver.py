"""The link resolver: fetch a landing page found in a mention, safely, and read its identifiers.

These URLs come from the internet and from users, so before any connection, and again for every
redirect, the resolver

* accepts only http and https (no file:, gopher:, ftp: ...), and no user:password@ in URLs,
* resolves the host itself (an injectable resolver, ``socket.getaddrinfo`` by default) and
  refuses loopback, private, link-local, multicast, reserved and unspecified addresses, IPv4
  and IPv6, including IPv4 hidden in IPv6 (mapped, 6to4, Teredo, NAT64),
* connects to the very address it checked (the URL's host is swapped for the IP; the Host
  header and TLS SNI keep the name, so certificates are still checked against it), so a DNS
  answer that changes between check and connect (rebinding) cannot slip through,
* follows at most 5 redirects itself, reads at most ``max_bytes`` and gives up after ``timeout``.

``allow_hosts`` (``host`` or ``host:port``) lifts the private-address refusal for named hosts:
a library's intranet, or a test server on 127.0.0.1.
"""

from __future__ import annotations

import ipaddress
import socket
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import urljoin, urlsplit, urlunsplit

import httpx
from pydantic import BaseModel, ConfigDict

from sources.errors import BadResponse, SourceError, SourceTimeout, SourceUnavailable
from sources.landing import LandingPage, extract_identifiers

NAME = "resolver"
MAX_REDIRECTS = 5
#: ``getaddrinfo``'s shape: (host, port, family, type) -> [(family, type, proto, canonname, sockaddr)]
Resolve = Callable[..., Sequence[tuple[Any, ...]]]
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


class Refused(SourceError):
    """The URL may not be fetched (scheme, address, too many redirects). Nothing was sent."""


class ResolverConfig(BaseModel):
    model_config = ConfigDict(frozen=True)

    max_bytes: int = 3_000_000
    timeout: float = 5.0
    allow_hosts: tuple[str, ...] = ()
    user_agent: str = "attention-bot/0.1"
    max_redirects: int = MAX_REDIRECTS


class Fetched(BaseModel):
    """A landing page as fetched: where it ended up, and its first ``max_bytes`` bytes."""

    model_config = ConfigDict(frozen=True)

    url: str
    final_url: str
    status: int
    content_type: str = ""
    body: bytes = b""
    truncated: bool = False
    redirects: tuple[str, ...] = ()

    @property
    def is_html(self) -> bool:
        kind = self.content_type.split(";")[0].strip().lower()
        return kind in ("", "text/html", "application/xhtml+xml")


def unsafe_reason(ip: IPAddress) -> str | None:
    """Why the resolver must not connect to ``ip``, or None when it is a public address."""
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = ip.ipv4_mapped or ip.sixtofour or (ip.teredo[1] if ip.teredo else None)
        if embedded is None and ip in _NAT64:
            embedded = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if embedded is not None:
            inner = unsafe_reason(embedded)
            return f"{inner} (inside IPv6 {ip})" if inner else None
    for flag, why in (
        ("is_unspecified", "an unspecified address"),
        ("is_loopback", "a loopback address"),
        ("is_link_local", "a link-local address"),
        ("is_multicast", "a multicast address"),
        ("is_private", "a private address"),
        ("is_reserved", "a reserved address"),
    ):
        if getattr(ip, flag):
            return why
    if not ip.is_global:
        return "not a public address"
    return None


def _allowed(host: str, port: int, allow_hosts: Sequence[str]) -> bool:
    entries = {h.strip().lower() for h in allow_hosts if h.strip()}
    return host in entries or f"{host}:{port}" in entries or f"[{host}]:{port}" in entries


def check_url(
    url: str, *, allow_hosts: Sequence[str] = (), resolve: Resolve = socket.getaddrinfo,
    timeout: float | None = None,
) -> tuple[httpx.URL, IPAddress]:
    """The parsed URL and the one address it is safe to connect to, or raise Refused.

    Every address the name resolves to must be public (unless the host is allowed): a name
    answering both a public and a private address is refused rather than gambled on.
    """
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise Refused(f"`{url}` is not a valid URL ({exc})", source=NAME) from exc
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise Refused(f"only http and https links are fetched, not {scheme or 'this'}: `{url}`", source=NAME)
    if parts.username or parts.password:
        raise Refused(f"links carrying a user name or password are not fetched: `{url}`", source=NAME)
    host = (parts.hostname or "").lower().rstrip(".")
    if not host:
        raise Refused(f"`{url}` has no host name", source=NAME)
    port = port or (443 if scheme == "https" else 80)
    allowed = _allowed(host, port, allow_hosts)
    addresses = _addresses(host, port, resolve, timeout)
    if not allowed:
        for ip in addresses:
            why = unsafe_reason(ip)
            if why:
                raise Refused(
                    f"{host} resolves to {ip}, {why}: not fetched (an operator can allow it "
                    "with ATTENTION_ALLOW_HOSTS)",
                    source=NAME,
                )
    return httpx.URL(urlunsplit((scheme, parts.netloc, parts.path or "/", parts.query, ""))), addresses[0]


def _within(seconds: float | None, host: str, port: int, resolve: Resolve) -> Any:
    """``resolve``'s answer, or SourceTimeout after ``seconds``: ``getaddrinfo`` has no timeout
    of its own, and a resolver that never answers must not hold a poll. The lookup is left to
    finish on its own daemon thread."""
    if seconds is None:
        return resolve(host, port, 0, socket.SOCK_STREAM)
    box: dict[str, Any] = {}

    def run() -> None:
        try:
            box["answers"] = resolve(host, port, 0, socket.SOCK_STREAM)
        except BaseException as exc:  # handed to the caller's thread
            box["error"] = exc

    worker = threading.Thread(target=run, daemon=True, name=f"resolve {host}")
    worker.start()
    worker.join(max(seconds, 0.0))
    if worker.is_alive():
        raise SourceTimeout(f"could not resolve {host} within {seconds:g} s", source=NAME)
    if "error" in box:
        raise box["error"]
    return box["answers"]


def _addresses(host: str, port: int, resolve: Resolve, timeout: float | None = None) -> list[IPAddress]:
    """The host itself when it is an IP literal, else every address DNS gives for it."""
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    try:
        answers = _within(timeout, host, port, resolve)
    except (OSError, UnicodeError) as exc:
        raise Refused(f"could not resolve {host} ({exc})", source=NAME) from exc
    addresses: list[IPAddress] = []
    for answer in answers:
        try:
            addresses.append(ipaddress.ip_address(str(answer[4][0]).split("%")[0]))
        except (ValueError, IndexError, TypeError):
            continue
    if not addresses:
        raise Refused(f"{host} resolved to no usable address", source=NAME)
    return addresses


def _pinned(url: httpx.URL, ip: IPAddress) -> tuple[httpx.URL, dict[str, str], dict[str, Any]]:
    """The URL aimed at ``ip``, with the Host header and TLS SNI of the original name."""
    host_header = url.host if url.port is None else f"{url.host}:{url.port}"
    extensions: dict[str, Any] = {}
    if url.scheme == "https":
        extensions["sni_hostname"] = url.host
    return url.copy_with(host=str(ip)), {"Host": host_header}, extensions


def fetch_page(
    url: str, *, config: ResolverConfig, resolve: Resolve = socket.getaddrinfo,
    transport: httpx.BaseTransport | None = None, clock: Callable[[], float] = time.monotonic,
) -> Fetched:
    """GET a landing page safely (see the module's notes). Raises Refused, SourceTimeout,
    SourceUnavailable or BadResponse (named ``resolver``)."""
    deadline = clock() + config.timeout
    left = config.timeout
    current, redirects = url, []
    # trust_env=False: an environment proxy would connect somewhere other than the checked IP.
    with httpx.Client(
        transport=transport, timeout=config.timeout, follow_redirects=False, trust_env=False,
        headers={"User-Agent": config.user_agent, "Accept": "text/html,application/xhtml+xml;q=0.9,*/*;q=0.1"},
    ) as client:
        for _ in range(config.max_redirects + 1):
            # One time budget for the whole chain, name lookups included (bounded by what was
            # left at the last look at the clock): slow hops must not add up to six timeouts.
            target, ip = check_url(current, allow_hosts=config.allow_hosts, resolve=resolve, timeout=left)
            left = deadline - clock()
            if left <= 0:
                raise SourceTimeout(
                    f"{target.host} was not reached within {config.timeout:g} s", source=NAME
                )
            pinned, headers, extensions = _pinned(target, ip)
            request = client.build_request(
                "GET", pinned, headers=headers, extensions=extensions, timeout=left
            )
            try:
                response = client.send(request, stream=True)
            except httpx.TimeoutException as exc:
                raise SourceTimeout(f"{target.host} did not answer within {config.timeout:g} s", source=NAME) from exc
            except httpx.HTTPError as exc:
                raise SourceUnavailable(f"could not fetch {target.host}: {exc}", source=NAME) from exc
            try:
                if response.is_redirect and "location" in response.headers:
                    current = urljoin(str(target), response.headers["location"])
                    redirects.append(current)
                    continue
                body, truncated = _read(response, config.max_bytes, deadline, clock)
            finally:
                response.close()
            return Fetched(
                url=url, final_url=str(target), status=response.status_code,
                content_type=response.headers.get("content-type", ""), body=body,
                truncated=truncated, redirects=tuple(redirects),
            )
    raise Refused(f"more than {config.max_redirects} redirects from `{url}`: not followed", source=NAME)


def _read(
    response: httpx.Response, max_bytes: int, deadline: float, clock: Callable[[], float]
) -> tuple[bytes, bool]:
    """At most ``max_bytes`` of the body: a page's head is at its top, so a prefix is enough."""
    chunks, size = [], 0
    try:
        for chunk in response.iter_bytes():
            chunks.append(chunk)
            size += len(chunk)
            if size >= max_bytes:
                return b"".join(chunks)[:max_bytes], True
            if clock() > deadline:
                raise SourceTimeout("the page took too long to arrive", source=NAME)
    except httpx.TimeoutException as exc:
        raise SourceTimeout("the page stopped arriving (timed out)", source=NAME) from exc
    except httpx.HTTPError as exc:
        raise SourceUnavailable(f"the page broke off: {exc}", source=NAME) from exc
    return b"".join(chunks), False


def resolve_page(
    url: str, *, config: ResolverConfig, resolve: Resolve = socket.getaddrinfo,
    transport: httpx.BaseTransport | None = None,
) -> tuple[Fetched, LandingPage]:
    """Fetch ``url`` and read its identifiers. A non-HTML answer (a PDF) has none; an error
    status raises BadResponse so it is not mistaken for a page without tags."""
    fetched = fetch_page(url, config=config, resolve=resolve, transport=transport)
    if fetched.status >= 400:
        raise BadResponse(f"{fetched.final_url} answered HTTP {fetched.status}", source=NAME)
    if not fetched.is_html:
        return fetched, LandingPage(url=fetched.final_url)
    return fetched, extract_identifiers(fetched.body, base_url=fetched.final_url)


def with_query(url: str, params: dict[str, str]) -> str:
    """``url`` with ``params`` as its query string, encoded as the HTTP client would."""
    return str(httpx.URL(url, params=params))
