"""Identifiers in web addresses: ``doi/10.1038/nature12373``, ``handle/2027/abc`` (or ``hdl/``),
``arxiv/2101.00001``, ``pmid/...``, ``pmcid/...``, ``isbn/...``, ``ark/13030/x``, ``urn/nbn:...``,
and a whole URL percent-encoded under ``url/``: the schemes as `list` prints them."""

from __future__ import annotations

from urllib.parse import quote

from core.errors import InputError
from core.identifiers import parse_identifier
from core.models import Identifier

#: Path scheme -> how the value is typed to the parser.
TYPED = {
    "doi": "doi:",
    "handle": "hdl:",
    "hdl": "hdl:",
    "arxiv": "arxiv:",
    "pmid": "pmid:",
    "pmcid": "pmcid:",
    "isbn": "isbn:",
    "ark": "ark:/",
    "urn": "urn:",
    "url": "",
}
HOW = "doi/10.1038/nature12373, handle/2027/abc, arxiv/2101.00001, pmid/12345678 or url/<the address, percent-encoded>"
#: Characters left as they are in a path; everything else (``#``, ``?``, ``%``, ``;``) is encoded.
_SAFE = "/:@!$'()*+,=-._~"


def identifier_from_path(scheme: str, value: str) -> Identifier:
    """The identifier a path names, normalised as the bot keeps it; InputError saying how to
    write it otherwise."""
    typed = TYPED.get(scheme.lower())
    if typed is None:
        raise InputError(f"`{scheme[:40]}` is not an identifier scheme: write {HOW}.")
    value = value.strip()
    if scheme.lower() == "ark":
        value = value.removeprefix("ark:").lstrip("/")
    elif scheme.lower() == "urn":
        value = value.removeprefix("urn:")
    if not value:
        raise InputError(f"No identifier after `{scheme}/`: write {HOW}.")
    if scheme.lower() == "url" and not value.lower().startswith(("http://", "https://")):
        raise InputError("A URL under url/ starts with http:// or https:// (percent-encoded).")
    return parse_identifier(typed + value)


def path_of(identifier: Identifier) -> str:
    """``doi/10.1038/nature12373``: the path a page or badge of ``identifier`` is found at."""
    if identifier.scheme == "url":
        return "url/" + quote(identifier.value, safe="")
    return f"{identifier.scheme}/{quote(identifier.value, safe=_SAFE)}"


def embed_id(identifier: Identifier) -> str:
    """What the snippet's ``data-attention-id`` holds: ``doi:10.1038/x``, ``url:https://...``."""
    return f"{identifier.scheme}:{identifier.value}"
