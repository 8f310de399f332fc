"""The link resolver: fetch a landing page found in a mention, safely, and read its identifiers.

These URLs come from the internet and from users, so before any connection, and again for every
redirect, the resolver

* accepts only http and https (no file:, gopher:, ftp: ...), no user:password@ in URLs, and no
  link it could not send as is (control characters, over 65,536 characters, a broken host),
* resolves the host itself (an injectable resolver, ``socket.getaddrinfo`` by default) and
  refuses every address that is not globally routable, by one rule (:func:`unsafe_reason`),
  IPv4 and IPv6, including IPv4 hidden in IPv6 (mapped, 6to4, Teredo, NAT64),
* connects to the very address it checked (the URL's host is swapped for the IP; the Host
  header and TLS SNI keep the name, so certificates are still checked against it), so a DNS
  answer that changes between check and connect (rebinding) cannot slip through,
* follows at most 5 redirects itself, reads at most ``max_bytes`` (after decompression) and
  gives up after ``timeout`` for the whole chain, however slowly the bytes come.

Whatever goes wrong becomes a :class:`SourceError` named ``resolver`` that says what it was.

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
from urllib.parse import urlsplit, urlunsplit

import httpx
from pydantic import BaseModel, ConfigDict

from sources.errors import BadResponse, SourceError, SourceTimeout, SourceUnavailable
from sources.landing import LandingPage, extract_identifiers
from sources.transport import (
    ACCEPT_ENCODING,
    REDIRECTS,
    BadEncoding,
    bounded_transport,
    deadline,
    read_body,
    redirect_url,
)

NAME = "resolver"
MAX_REDIRECTS = 5
#: Longer links are not fetched (httpx's own limit; no page needs more).
MAX_URL_LENGTH = 65_536
#: ``getaddrinfo``'s shape: (host, port, family, type) -> [(family, type, proto, canonname, sockaddr)]
Resolve = Callable[..., Sequence[tuple[Any, ...]]]
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
#: Not globally routable, though Python 3.11's ``is_global`` says they are: the deprecated
#: site-local range and the local-use NAT64 prefix (RFC 8215).
_NOT_GLOBAL = (ipaddress.ip_network("fec0::/10"), ipaddress.ip_network("64:ff9b:1::/48"))


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
    """Why the resolver must not connect to ``ip``, or None when it is a public address.

    One rule: an address is public when it is globally routable (``is_global``, not multicast,
    not in _NOT_GLOBAL), and so is any IPv4 address hidden in it."""
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = ip.ipv4_mapped or ip.sixtofour or (ip.teredo[1] if ip.teredo else None)
        if embedded is None and ip in _NAT64:
            embedded = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if embedded is not None:
            inner = unsafe_reason(embedded)
            if inner:
                return f"{inner} (inside IPv6 {ip})"
    listed = any(ip in net for net in _NOT_GLOBAL if net.version == ip.version)
    if ip.is_global and not ip.is_multicast and not listed:
        return None
    for flag, why in (
        ("is_unspecified", "an unspecified address"),
        ("is_loopback", "a loopback address"),
        ("is_link_local", "a link-local address"),
        ("is_multicast", "a multicast address"),
        ("is_site_local", "a site-local address"),
        ("is_private", "a private address"),
        ("is_reserved", "a reserved address"),
    ):
        if getattr(ip, flag, False):
            return why
    return "not a public address"


def shown_url(url: str, limit: int = 120) -> str:
    """A link as it can be shown in a message: control characters escaped, long ones cut."""
    text = "".join(ch if ch.isprintable() else ascii(ch)[1:-1] for ch in url[: limit + 1])
    return text if len(text) <= limit else text[: limit - 1] + "…"


def url_problem(url: str) -> str | None:
    """What makes ``url`` a link that cannot be fetched, in words; None when it can be tried."""
    if len(url) > MAX_URL_LENGTH:
        return f"is {len(url):,} characters long; links over {MAX_URL_LENGTH:,} are not fetched"
    for pos, ch in enumerate(url):
        if ord(ch) < 0x20 or ord(ch) == 0x7F:
            return (f"contains the control character {ascii(ch)} at position {pos}, "
                    "which no web address may")
    try:
        parts = urlsplit(url.strip())
        parts.port  # noqa: B018 - reading it checks it
        httpx.URL(url.strip())
    except (ValueError, httpx.InvalidURL, UnicodeError) as exc:
        return f"is not a valid web address ({exc})"
    if parts.scheme.lower() not in ("http", "https"):
        return f"is not an http or https link ({parts.scheme or 'no scheme'})"
    if parts.username or parts.password:
        return "carries a user name or password; such links are not fetched"
    if not parts.hostname:
        return "has no host name"
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
    problem = url_problem(url)
    if problem:
        raise Refused(f"`{shown_url(url)}` {problem}", source=NAME)
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower().rstrip(".")
    if not host:
        raise Refused(f"`{shown_url(url)}` has no host name", source=NAME)
    port = parts.port or (443 if scheme == "https" else 80)
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
    try:
        target = httpx.URL(urlunsplit((scheme, parts.netloc, parts.path or "/", parts.query, "")))
    except (httpx.InvalidURL, ValueError) as exc:
        why = f"`{shown_url(url)}` is not a valid web address ({exc})"
        raise Refused(why, source=NAME) from exc
    return target, addresses[0]


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
    SourceUnavailable or BadResponse (named ``resolver``), whatever the link or server does."""
    try:
        return _fetch(url, config=config, resolve=resolve, transport=transport, clock=clock)
    except SourceError:
        raise
    except Exception as exc:  # a hostile page or link must never stop the caller's loop
        raise BadResponse(
            f"could not read `{shown_url(url)}` ({type(exc).__name__}: {shown_url(str(exc))})",
            source=NAME,
        ) from exc


def _fetch(
    url: str, *, config: ResolverConfig, resolve: Resolve, transport: httpx.BaseTransport | None,
    clock: Callable[[], float],
) -> Fetched:
    end = clock() + config.timeout
    left = config.timeout
    current, redirects = url, []
    # trust_env=False: an environment proxy would connect somewhere other than the checked IP.
    with httpx.Client(
        transport=transport or bounded_transport(trust_env=False), timeout=config.timeout,
        follow_redirects=False, trust_env=False,
        headers={"User-Agent": config.user_agent, "Accept-Encoding": ACCEPT_ENCODING,
                 "Accept": "text/html,application/xhtml+xml;q=0.9,*/*;q=0.1"},
    ) as client, deadline(config.timeout):
        for _ in range(config.max_redirects + 1):
            # One time budget for the whole chain, name lookups included (bounded by what was
            # left at the last look at the clock): slow hops must not add up to six timeouts.
            target, ip = check_url(current, allow_hosts=config.allow_hosts, resolve=resolve, timeout=left)
            left = end - clock()
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
            except (httpx.InvalidURL, httpx.RemoteProtocolError) as exc:
                # Not a network hiccup: the same server answers the same broken way next time.
                # (httpx reads a redirect's Location even when not following it.)
                if isinstance(exc, httpx.InvalidURL) or "location header" in str(exc).lower():
                    why = f"{target.host} redirected to an unusable address ({exc})"
                else:
                    why = f"{target.host} did not answer in valid HTTP ({exc})"
                raise BadResponse(why, source=NAME) from exc
            except httpx.HTTPError as exc:
                raise SourceUnavailable(f"could not fetch {target.host}: {exc}", source=NAME) from exc
            try:
                if response.status_code in REDIRECTS and "location" in response.headers:
                    try:
                        current = str(redirect_url(target, response.headers["location"]))
                    except ValueError as exc:
                        why = f"{target.host} redirected to {exc}"
                        raise BadResponse(why, source=NAME) from exc
                    redirects.append(current)
                    continue
                body, truncated = _read(response, config)
            finally:
                response.close()
            return Fetched(
                url=url, final_url=str(target), status=response.status_code,
                content_type=response.headers.get("content-type", ""), body=body,
                truncated=truncated, redirects=tuple(redirects),
            )
    why = f"more than {config.max_redirects} redirects from `{shown_url(url)}`: not followed"
    raise Refused(why, source=NAME)


def _read(response: httpx.Response, config: ResolverConfig) -> tuple[bytes, bool]:
    """At most ``max_bytes`` of the body: a page's head is at its top, so a prefix is enough."""
    try:
        return read_body(response, config.max_bytes, truncate=True)
    except httpx.TimeoutException as exc:
        why = f"the page did not arrive within {config.timeout:g} s"
        raise SourceTimeout(why, source=NAME) from exc
    except BadEncoding as exc:
        raise BadResponse(f"the page came {exc}", source=NAME) from exc
    except httpx.HTTPError as exc:
        raise SourceUnavailable(f"the page broke off: {exc}", source=NAME) from exc


def resolve_page(
    url: str, *, config: ResolverConfig, resolve: Resolve = socket.getaddrinfo,
    transport: httpx.BaseTransport | None = None,
) -> tuple[Fetched, LandingPage]:
    """Fetch ``url`` and read its identifiers. A non-HTML answer (a PDF) has none; an error
    status raises BadResponse so it is not mistaken for a page without tags."""
    fetched = fetch_page(url, config=config, resolve=resolve, transport=transport)
    if fetched.status >= 400:
        why = f"{shown_url(fetched.final_url)} answered HTTP {fetched.status}"
        raise BadResponse(why, source=NAME)
    if not fetched.is_html:
        return fetched, LandingPage(url=fetched.final_url)
    try:
        return fetched, extract_identifiers(fetched.body, base_url=fetched.final_url)
    except Exception as exc:  # the parser meeting something it cannot read is the page's fault
        why = f"{shown_url(fetched.final_url)} could not be read ({type(exc).__name__})"
        raise BadResponse(why, source=NAME) from exc


def with_query(url: str, params: dict[str, str]) -> str:
    """``url`` with ``params`` as its query string, encoded as the HTTP client would."""
    return str(httpx.URL(url, params=params))
