"""Parse and normalise persistent identifiers typed by users or found in pages.

Built on idutils for detection and scheme checks. The rules that idutils leaves open:

* A string starting ``10.`` is a DOI, never a Handle (every DOI is also a valid Handle).
* A string of digits only is an ISBN when it has 10 or 13 digits and a valid check digit,
  otherwise a PMID (1 to 9 digits).
* DOIs are lower-cased (they are case-insensitive); arXiv ids lose their version suffix
  (``1501.00001v2`` and ``1501.00001`` are the same paper); ISBNs become ISBN-13 without hyphens.
* A doi.org / dx.doi.org / hdl.handle.net / arxiv.org/abs URL becomes its DOI, Handle or arXiv id;
  any other http(s) URL is kept as a URL with its scheme and host lower-cased and fragment dropped.
* ``key:`` names an item by a key made by a URL-pattern rule (``key:contentdm:maps/12``), for
  pages that carry no identifier of their own.
"""

from __future__ import annotations

import re
from urllib.parse import quote, unquote, urlsplit, urlunsplit

import idutils

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
_DOI_HOSTS = {"doi.org", "dx.doi.org", "www.doi.org"}
_HANDLE_HOSTS = {"hdl.handle.net", "handle.net"}
_ARXIV_HOSTS = {"arxiv.org", "www.arxiv.org", "export.arxiv.org"}
_ARXIV_VERSION = re.compile(r"v\d+$")


def _fail(text: str, why: str) -> InputError:
    shown = text if len(text) <= 60 else text[:57] + "..."
    return InputError(f"`{shown}` {why}. Give {EXAMPLES}.")


def parse_identifier(text: str) -> Identifier:
    """Turn what a user typed into one normalised :class:`Identifier`, or raise InputError."""
    raw = (text or "").strip().strip("<>")
    if not raw:
        raise InputError(f"No identifier given. Give {EXAMPLES}.")
    if len(raw) > MAX_LENGTH:
        raise InputError(
            f"That identifier is {len(raw):,} characters long; the limit is {MAX_LENGTH:,}. "
            f"Give {EXAMPLES}."
        )
    if any(ch.isspace() for ch in raw):
        raise _fail(raw, "contains spaces; give one identifier at a time")
    lowered = raw.lower()
    if lowered.startswith(("http://", "https://")):
        return _from_url(raw)
    if "://" in raw:
        raise _fail(raw, "is a URL that is not http or https")
    for prefix, scheme in _PREFIXES.items():
        if lowered.startswith(prefix):
            return _as_scheme(raw[len(prefix) :].strip(), scheme, raw)
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
    schemes = idutils.detect_identifier_schemes(raw)
    for scheme in ("arxiv", "handle"):
        if scheme in schemes:
            return _as_scheme(raw, scheme, raw)
    raise _fail(raw, "is not an identifier this bot knows")


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
        if not idutils.is_urn(value):
            raise InputError(
                f"`{_short(original)}` is not a URN: it looks like urn:nbn:de:101:1-201102033592."
            )
        return Identifier(scheme="urn", value=value[4:].lower() if value[4:7].lower() != "nbn" else value[4:])
    if scheme == "key":
        name, sep, rest = value.partition(":")
        if not sep or not name or not rest:
            raise InputError(
                f"`{_short(original)}` is not an item key: it looks like key:contentdm:maps/12 "
                "(made by a URL rule, see ATTENTION_URL_RULES)."
            )
        return Identifier(scheme="key", value=value)
    raise InputError(f"Unknown identifier scheme `{scheme}`.")


def _short(text: str) -> str:
    return text if len(text) <= 60 else text[:57] + "..."


def _from_url(raw: str) -> Identifier:
    try:
        parts = urlsplit(raw)
        port = parts.port
    except ValueError as exc:
        raise _fail(raw, f"is not a valid URL ({exc})") from exc
    host = (parts.hostname or "").lower()
    if not host or "." not in host and host != "localhost":
        raise _fail(raw, "is a URL without a host name")
    path = parts.path
    if host in _DOI_HOSTS and len(path) > 1:
        return _as_scheme(unquote(path.lstrip("/")), "doi", raw)
    if host in _HANDLE_HOSTS and len(path) > 1:
        return _as_scheme(unquote(path.lstrip("/")), "handle", raw)
    if host in _ARXIV_HOSTS and path.startswith(("/abs/", "/pdf/")):
        ident = path.split("/", 2)[2].removesuffix(".pdf")
        return _as_scheme(ident, "arxiv", raw)
    netloc = host if port is None else f"{host}:{port}"
    if parts.username or parts.password:
        raise _fail(raw, "carries a user name or password; give the public address")
    return Identifier(
        scheme="url", value=urlunsplit((parts.scheme.lower(), netloc, path or "/", parts.query, ""))
    )


def normalise_url(url: str) -> str:
    """The form a URL is stored and compared in (scheme and host lower-cased, no fragment)."""
    return _from_url(url).value if url.lower().startswith(("http://", "https://")) else url


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
