"""Parse and normalise persistent identifiers typed by users or found in pages.

Built on idutils for detection and scheme checks. The rules that idutils leaves open:

* Characters that do not show (control codes such as NUL or ANSI escapes, bidirectional
  overrides, zero-width marks) refuse the input: see core.text.
* Wrapping and trailing punctuation is not part of an identifier: quotes (straight, typographic,
  backticks), a wrapping ``()``, ``<>``, ``[]``, and a final ``.``, ``,`` or ``;``. A closing
  bracket stays when its opening one is inside (``10.1016/0001-8708(79)90013-7``).
* A string starting ``10.`` is a DOI, never a Handle (every DOI is also a valid Handle).
* A string of digits only is an ISBN when it has 10 or 13 digits and a valid check digit,
  otherwise a PMID (1 to 9 digits).
* A string that starts with a host name (``doi.org/10.1/x``, ``www.example.org/page``) is a URL
  without its scheme (core.urls); checked after arXiv ids, whose old form ``math.GT/0309136``
  would look like a host.
* A bare Handle needs a numeric prefix (``2027/abc``, ``1721.1/12345``, ``20.500.12345/x``); any
  other prefix needs ``hdl:``.
* DOIs are lower-cased (they are case-insensitive); arXiv ids lose their version suffix
  (``1501.00001v2`` and ``1501.00001`` are the same paper); ISBNs become ISBN-13 without hyphens;
  a URN's ``urn:`` and namespace id are lower-cased.
* A URL that carries a registered identifier becomes it: doi.org / dx.doi.org, hdl.handle.net,
  arxiv.org/abs|pdf, PubMed, PMC (both hosts), n2t.net and any ``/ark:/`` path, identifiers.org
  (``doi:``, ``pubmed:``, ``pmc:``, ``arxiv:``). Any other http(s) URL is kept in its canonical
  form (core.urls: https, no default port, trailing ``/``, tracking parameters or fragment).
* ``key:`` names an item by a key made by a URL-pattern rule (``key:contentdm:maps/12``), for
  pages that carry no identifier of their own.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import SplitResult, quote, unquote, urlsplit

import idutils

from core import text, urls
from core.errors import InputError
from core.models import Identifier

MAX_LENGTH = 2000

SCHEMES = ("doi", "handle", "arxiv", "pmid", "pmcid", "isbn", "ark", "urn", "url", "key")

EXAMPLES = (
    "a DOI (10.1234/abc or https://doi.org/10.1234/abc), a Handle (hdl:2027/abc), "
    "an arXiv id (2101.00001), a PMID (12345678), a PMCID (PMC1234567), an ISBN, "
    "an ARK (ark:/13030/tf5p30086k), a URN or an http(s) URL"
)

_PREFIXES = {
    "doi:": "doi",
    "hdl:": "handle",
    "handle:": "handle",
    "arxiv:": "arxiv",
    "pmid:": "pmid",
    "pmcid:": "pmcid",
    "isbn:": "isbn",
    "key:": "key",
}
#: How a stored value is typed again, to read it under today's rules (:func:`restate`).
_TYPED = {"doi": "doi:", "handle": "hdl:", "arxiv": "arxiv:", "pmid": "pmid:", "pmcid": "pmcid:",
          "isbn": "isbn:", "ark": "ark:/", "urn": "urn:", "url": ""}
_DOI_HOSTS = {"doi.org", "dx.doi.org", "www.doi.org"}
_HANDLE_HOSTS = {"hdl.handle.net", "handle.net"}
_ARXIV_HOSTS = {"arxiv.org", "www.arxiv.org", "export.arxiv.org"}
_ARXIV_VERSION = re.compile(r"v\d+$")
_BARE_HANDLE = re.compile(r"\d+(?:\.\d+)*/\S+")
_SCHEME_WORD = re.compile(r"([a-z][a-z0-9+.\-]*):", re.IGNORECASE)
_NCBI = (
    (re.compile(r"/pubmed/(\d{1,9})/?"), "pmid"),
    (re.compile(r"/pmc/articles/(pmc\d+)(?:/.*)?", re.IGNORECASE), "pmcid"),
)
#: Hosts whose paths name a PMID or PMCID: (path pattern, scheme) each.
_PATHS_BY_HOST = {
    "pubmed.ncbi.nlm.nih.gov": ((re.compile(r"/(\d{1,9})/?"), "pmid"),),
    "pmc.ncbi.nlm.nih.gov": ((re.compile(r"/articles/(pmc\d+)(?:/.*)?", re.IGNORECASE), "pmcid"),),
    "www.ncbi.nlm.nih.gov": _NCBI,
    "ncbi.nlm.nih.gov": _NCBI,
}
# An ARK's NAAN is "betanumeric" (digits and consonants); what follows is the object's name.
_ARK_PATH = re.compile(r"/ark:/?([0-9bcdfghjkmnpqrstvwxz]+/.+)", re.IGNORECASE)
_IDENTIFIERS_ORG = re.compile(r"/(doi|pubmed|pmc|arxiv)[:/](.+)", re.IGNORECASE)
_IDENTIFIERS_ORG_SCHEMES = {"doi": "doi", "pubmed": "pmid", "pmc": "pmcid", "arxiv": "arxiv"}
#: Hosts whose links name a registered identifier (besides any ``/ark:/`` path): a link on
#: another host can only be a URL item (streams skip parsing such links unless it is watched).
RESOLVER_HOSTS = frozenset(
    _DOI_HOSTS | _HANDLE_HOSTS | _ARXIV_HOSTS | set(_PATHS_BY_HOST) | {"identifiers.org", "n2t.net"}
)
#: What starts a new identifier after a comma inside a URL (a URL may hold commas itself).
_NEW_START = ("http://", "https://", "www.", *_PREFIXES, "ark:", "urn:", "10.")


def _short(value: str) -> str:
    return value if len(value) <= 60 else value[:57] + "..."


def _fail(value: str, why: str) -> InputError:
    return InputError(f"`{_short(value)}` {why}. Give {EXAMPLES}.")


def _is_url(value: str) -> bool:
    low = text.unwrap(value).lower()
    return low.startswith(("http://", "https://")) or urls.starts_with_host(low)


def split_typed(args: Iterable[str]) -> list[str]:
    """The identifiers in command words, which may also be separated by commas (``a,b``,
    ``a, b``). A comma inside a URL is part of it unless a new URL, a prefixed identifier
    (``doi:``, ``hdl:``...) or a DOI follows."""
    out: list[str] = []
    for arg in args:
        pieces = arg.split(",")
        current = pieces[0]
        for piece in pieces[1:]:
            if _is_url(current) and not piece.strip().lower().startswith(_NEW_START):
                current += "," + piece
                continue
            out.append(current)
            current = piece
        out.append(current)
    return [p for p in (p.strip() for p in out) if p]


def parse_identifier(value: str) -> Identifier:
    """Turn what a user typed into one normalised :class:`Identifier`, or raise InputError."""
    # Checked before stripping: str.strip() also takes control codes such as U+0085 away.
    if hidden := text.hidden_in(value or ""):
        what = "a character that does not show" if len(hidden) == 1 else "characters that do not show"
        seen = text.shown(value.strip(" \t\r\n"))
        raise InputError(
            f"`{_short(seen)}` contains {what} ({', '.join(hidden)}): nothing was "
            f"changed. Type it again, or paste it as plain text. Give {EXAMPLES}."
        )
    raw = (value or "").strip()
    if len(raw) > MAX_LENGTH:
        raise InputError(
            f"That identifier is {len(raw):,} characters long; the limit is {MAX_LENGTH:,}. "
            f"Give {EXAMPLES}."
        )
    raw = text.unwrap(raw)
    if not raw:
        raise InputError(f"No identifier given. Give {EXAMPLES}.")
    if any(ch.isspace() for ch in raw):
        raise _fail(raw, "contains spaces; give one identifier at a time")
    lowered = raw.lower()
    if lowered.startswith(("http://", "https://")):
        return _from_url(raw)
    for prefix, scheme in _PREFIXES.items():
        if lowered.startswith(prefix):
            return _prefixed(text.unwrap(raw[len(prefix) :]), scheme, raw)
    if "://" in raw:
        raise _fail(raw, "is a URL that is not http or https")
    if lowered.startswith("ark:"):
        return _as_scheme(raw, "ark", raw)
    if lowered.startswith("urn:"):
        return _as_scheme(raw, "urn", raw)
    if raw.startswith("10."):
        return _as_scheme(raw, "doi", raw)
    if lowered.startswith("pmc") and raw[3:].isdigit():
        return _as_scheme(raw, "pmcid", raw)
    digits = raw.replace("-", "")
    if digits.isdigit() or (len(digits) == 10 and digits[:9].isdigit() and digits[9] in "xX"):
        if len(digits) in (10, 13) and idutils.is_isbn(raw):
            return _as_scheme(raw, "isbn", raw)
        if raw.isdigit() and len(raw) <= 9:
            return _as_scheme(raw, "pmid", raw)
        raise _fail(raw, "is neither a PMID (up to 9 digits) nor an ISBN with a valid check digit")
    if idutils.is_arxiv(raw):
        return _as_scheme(raw, "arxiv", raw)
    if urls.starts_with_host(raw):
        return _from_url("https://" + raw)
    if _BARE_HANDLE.fullmatch(raw):
        return _as_scheme(raw, "handle", raw)
    if m := _SCHEME_WORD.match(raw):
        raise _fail(raw, f"starts with `{m.group(0)}`, which is no identifier scheme this bot knows")
    if "/" in raw:
        raise _fail(
            raw, "is neither a web address (give it with https://) nor a Handle (a Handle without "
            "hdl: starts with a number, as in 2027/abc; write hdl:<prefix>/<suffix> for others)"
        )
    raise _fail(raw, "is not an identifier this bot knows")


def _prefixed(value: str, scheme: str, original: str) -> Identifier:
    """``doi:`` or ``hdl:`` before a resolver link (``hdl:hdl.handle.net/2027/abc``, a CSV
    column named handle) is read through the link; idutils would take any host for a Handle."""
    if scheme in ("doi", "handle") and _is_url(value):
        found = _from_url(value if "://" in value else "https://" + value)
        if found.scheme in (scheme, "doi"):
            return found
        kind = "a DOI" if scheme == "doi" else "a Handle"
        raise _fail(original, f"is not {kind}: it names a web page (give the address alone)")
    return _as_scheme(value, scheme, original)


def _as_scheme(value: str, scheme: str, original: str) -> Identifier:
    """Check ``value`` against one scheme and return it normalised."""
    if scheme == "doi":
        if not value.startswith("10.") or "/" not in value or value.endswith("/"):
            raise InputError(
                f"`{_short(original)}` is not a DOI: a DOI looks like 10.1234/abc "
                "(10., a registrant number, a slash, then a suffix)."
            )
        if not idutils.is_doi(value):
            raise InputError(f"`{_short(original)}` is not a DOI: a DOI looks like 10.1234/abc.")
        return Identifier(scheme="doi", value=value.lower())
    if scheme == "handle":
        if value.startswith("10."):
            return _as_scheme(value, "doi", original)
        if not idutils.is_handle(value) or "/" not in value or value.endswith("/"):
            raise InputError(
                f"`{_short(original)}` is not a Handle: a Handle looks like 2027/abc (a prefix, "
                "a slash, a suffix), or hdl:2027/abc."
            )
        return Identifier(scheme="handle", value=value)
    if scheme == "arxiv":
        if not idutils.is_arxiv(value) and not idutils.is_arxiv("arXiv:" + value):
            raise InputError(
                f"`{_short(original)}` is not an arXiv id: it looks like 2101.00001 or hep-th/9901001."
            )
        bare = re.sub(r"^arxiv:", "", value, flags=re.IGNORECASE)
        return Identifier(scheme="arxiv", value=_ARXIV_VERSION.sub("", bare))
    if scheme == "pmid":
        if not value.isdigit() or not 1 <= len(value) <= 9:
            raise InputError(f"`{_short(original)}` is not a PMID: a PMID is up to 9 digits.")
        return Identifier(scheme="pmid", value=str(int(value)))
    if scheme == "pmcid":
        rest = value[3:] if value.lower().startswith("pmc") else value
        if not rest.isdigit():
            raise InputError(f"`{_short(original)}` is not a PMCID: it looks like PMC1234567.")
        return Identifier(scheme="pmcid", value=f"PMC{int(rest)}")
    if scheme == "isbn":
        if not idutils.is_isbn(value):
            raise InputError(
                f"`{_short(original)}` is not an ISBN: an ISBN has 10 or 13 digits with a valid "
                "check digit, e.g. 978-0-306-40615-7."
            )
        return Identifier(scheme="isbn", value=idutils.normalize_isbn(value).replace("-", ""))
    if scheme == "ark":
        body = value[4:].lstrip("/")
        if not idutils.is_ark("ark:/" + body) or "/" not in body:
            raise InputError(
                f"`{_short(original)}` is not an ARK: it looks like ark:/13030/tf5p30086k."
            )
        return Identifier(scheme="ark", value=body)
    if scheme == "urn":
        # RFC 8141: "urn:" and the namespace id are case-insensitive. NBNs keep their case;
        # other URNs have always been compared lower-cased here.
        nid, sep, nss = value[4:].partition(":")
        if not (nid and sep and nss) or not idutils.is_urn("urn:" + value[4:]):
            raise InputError(
                f"`{_short(original)}` is not a URN: it looks like urn:nbn:de:101:1-201102033592."
            )
        nid = nid.lower()
        return Identifier(scheme="urn", value=f"{nid}:{nss}" if nid == "nbn" else f"{nid}:{nss}".lower())
    if scheme == "key":
        name, sep, rest = value.partition(":")
        if not sep or not name or not rest:
            raise InputError(
                f"`{_short(original)}` is not an item key: it looks like key:contentdm:maps/12 "
                "(made by a URL rule, see ATTENTION_URL_RULES)."
            )
        return Identifier(scheme="key", value=value)
    raise InputError(f"Unknown identifier scheme `{scheme}`.")


def _url_parts(raw: str) -> tuple[SplitResult, str]:
    try:
        parts = urlsplit(raw)
        _ = parts.port  # raises ValueError for a bad port
    except ValueError as exc:
        raise _fail(raw, f"is not a valid URL ({exc})") from exc
    host = (parts.hostname or "").lower().removesuffix(".")
    if not host or "." not in host and host != "localhost" and ":" not in host:
        raise _fail(raw, "is a URL without a host name")
    if ":" not in host and not all(host.split(".")):
        raise _fail(raw, f"has no valid host name (`{host}`)")
    return parts, host


def _registered(host: str, path: str, raw: str) -> Identifier | None:
    """The registered identifier a resolver's (or a repository's ARK) URL names, if any."""
    path = unquote(path)
    if hidden := text.hidden_in(path):  # %00 or %E2%80%AE decoded: refused like typed ones
        raise _fail(raw, f"holds characters that do not show once decoded ({', '.join(hidden)})")
    tail = text.unwrap(path.strip("/"))  # doi.org/10.1/x./ is 10.1/x, as doi.org/10.1/x. is
    if host in _DOI_HOSTS and tail:
        return _prefixed(tail, "doi", raw)
    if host in _HANDLE_HOSTS and tail:
        return _prefixed(tail, "handle", raw)
    if host in _ARXIV_HOSTS and path.startswith(("/abs/", "/pdf/")):
        return _as_scheme(tail.partition("/")[2].removesuffix(".pdf"), "arxiv", raw)
    for pattern, scheme in _PATHS_BY_HOST.get(host, ()):
        if m := pattern.fullmatch(path):
            return _as_scheme(m.group(1), scheme, raw)
    if host == "identifiers.org" and (m := _IDENTIFIERS_ORG.fullmatch(path.rstrip("/"))):
        prefix = _IDENTIFIERS_ORG_SCHEMES[m.group(1).lower()]
        return parse_identifier(f"{prefix}:{m.group(2)}")
    if m := _ARK_PATH.search(path.rstrip("/")):
        return _as_scheme("ark:/" + text.unwrap(m.group(1)), "ark", raw)
    return None


def _from_url(raw: str) -> Identifier:
    parts, host = _url_parts(raw)
    found = _registered(host, parts.path, raw)
    if found is not None:
        return found
    if parts.username or parts.password:
        raise _fail(raw, "carries a user name or password; give the public address")
    return Identifier(scheme="url", value=urls.canonical(parts))


def normalise_url(url: str) -> str:
    """The form an http(s) URL is stored and compared in (core.urls), even a doi.org one;
    anything else is returned as it is."""
    if not url.lower().startswith(("http://", "https://")):
        return url
    return urls.canonical(_url_parts(url)[0])


def restate(stored: Identifier) -> Identifier:
    """A stored identifier under today's rules; itself when they agree, or refuse it.

    Older versions took ``doi.org/10.1/x`` for a Handle, kept ``http`` and ``https`` (and
    trailing ``/``, tracking parameters) apart and kept PubMed and PMC links as URLs."""
    if stored.scheme not in _TYPED:
        return stored
    candidates = [_TYPED[stored.scheme] + stored.value]
    if stored.scheme == "handle" and urls.starts_with_host(stored.value):
        candidates.insert(0, stored.value)  # a URL typed without https://, read as a Handle
    for typed in candidates:
        try:
            return parse_identifier(typed)
        except InputError:
            continue
    return stored


def identifier_url(identifier: Identifier) -> str | None:
    """A resolver link for people to click, percent-encoded where the value needs it."""
    value = identifier.value
    safe = "/:@!$'()*+,=-._~"
    match identifier.scheme:
        case "doi":
            return "https://doi.org/" + quote(value, safe=safe)
        case "handle":
            return "https://hdl.handle.net/" + quote(value, safe=safe)
        case "arxiv":
            return "https://arxiv.org/abs/" + value
        case "pmid":
            return "https://pubmed.ncbi.nlm.nih.gov/" + value + "/"
        case "pmcid":
            return "https://pmc.ncbi.nlm.nih.gov/articles/" + value + "/"
        case "ark":
            return "https://n2t.net/ark:/" + quote(value, safe=safe)
        case "url":
            return value
    return None


def display(identifier: Identifier) -> str:
    """How an identifier is shown to people (``ark:/13030/x``, ``urn:nbn:...``, a bare DOI)."""
    match identifier.scheme:
        case "ark":
            return "ark:/" + identifier.value
        case "doi" | "url":
            return identifier.value
    return identifier.key


def from_key(key: str) -> Identifier:
    """Inverse of :attr:`Identifier.key` for values read back from the store."""
    scheme, _, value = key.partition(":")
    if scheme not in SCHEMES or not value:
        raise ValueError(f"not an identifier key: {key!r}")
    return Identifier(scheme=scheme, value=value)
