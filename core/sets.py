"""Sets of works a registry can list: a DOI prefix, an ORCID iD (a person), a ROR id (an
institution). A set is named ``prefix:10.5555``, ``orcid:0000-0002-1825-0097`` or
``ror:02mhbdp94`` wherever a collection's name is accepted; ``prefix 10.5555`` works too.

ORCID iDs end in an ISO 7064 MOD 11-2 check character (idutils checks it); ROR ids are ``0``,
six Crockford base32 characters and a two-digit ISO 7064 MOD 97-10 checksum of them.
"""

from __future__ import annotations

import re
from typing import Literal

import idutils
from pydantic import BaseModel, ConfigDict

from core import text
from core.errors import InputError

SetKind = Literal["prefix", "orcid", "ror"]
KINDS: tuple[SetKind, ...] = ("prefix", "orcid", "ror")
#: How each kind is written, for messages.
EXAMPLES = {
    "prefix": "`watch prefix 10.5555` (a DOI prefix: 10. and digits)",
    "orcid": "`watch orcid 0000-0002-1825-0097` (an ORCID iD, also as an orcid.org link)",
    "ror": "`watch ror 02mhbdp94` (a ROR id, also as a ror.org link)",
}
WHAT = {"prefix": "DOI prefix", "orcid": "ORCID iD", "ror": "ROR id"}

_PREFIX = re.compile(r"10\.\d{1,9}(?:\.\d{1,9})*")
_CROCKFORD = "0123456789abcdefghjkmnpqrstvwxyz"
_ROR = re.compile(r"0[0-9a-hj-km-np-tv-z]{6}\d{2}")
_ORCID = re.compile(r"\d{4}-?\d{4}-?\d{4}-?\d{3}[\dX]", re.IGNORECASE)
_DOI_HOSTS = ("https://doi.org/", "http://doi.org/", "doi.org/", "https://dx.doi.org/", "doi:")
_ORCID_HOSTS = ("https://orcid.org/", "http://orcid.org/", "orcid.org/", "orcid:")
_ROR_HOSTS = ("https://ror.org/", "http://ror.org/", "ror.org/", "ror:")


class SetRef(BaseModel):
    """One set: what kind, and its id in the normal form (``0000-0002-1825-0097``)."""

    model_config = ConfigDict(frozen=True)

    kind: SetKind
    value: str

    @property
    def name(self) -> str:
        """How replies and commands name it: ``orcid:0000-0002-1825-0097``."""
        return f"{self.kind}:{self.value}"

    def __str__(self) -> str:
        return self.name


def _strip(value: str, hosts: tuple[str, ...]) -> str:
    lowered = value.lower()
    for host in hosts:
        if lowered.startswith(host):
            return value[len(host):]
    return value


def ror_checksum(body: str) -> str:
    """The two check digits of a ROR id's first seven characters."""
    number = 0
    for ch in body:
        number = number * 32 + _CROCKFORD.index(ch)
    return f"{98 - (number * 100) % 97:02d}"


def parse_set(kind: str, typed: str) -> SetRef:
    """``kind`` (prefix, orcid, ror) and the id as typed -> a SetRef; InputError saying how to
    write it when the id is not one."""
    kind = kind.strip().lower()
    if kind not in KINDS:
        raise InputError(f"`{text.shown(kind)}` is not a kind of set: use prefix, orcid or ror.")
    raw = text.unwrap(typed.strip())
    if hidden := text.hidden_in(raw):
        raise InputError(f"`{text.shown(raw)}` contains characters that do not show ({', '.join(hidden)}): "
                         f"type it again, e.g. {EXAMPLES[kind]}.")
    shown = text.shown(raw)
    if kind == "prefix":
        value = _strip(raw, _DOI_HOSTS).rstrip("/")
        if not _PREFIX.fullmatch(value):
            raise InputError(f"`{shown}` is not a DOI prefix: a prefix is 10. and digits, e.g. `watch prefix 10.5555`.")
        return SetRef(kind="prefix", value=value)
    if kind == "orcid":
        value = _strip(raw, _ORCID_HOSTS).strip("/").upper()
        if not _ORCID.fullmatch(value):
            raise InputError(f"`{shown}` is not an ORCID iD: it looks like 0000-0002-1825-0097 "
                             "(16 digits, the last may be X).")
        digits = value.replace("-", "")
        value = "-".join(digits[i:i + 4] for i in range(0, 16, 4))
        if not idutils.is_orcid(value):
            raise InputError(f"`{shown}` is not an ORCID iD: its last character is not the check "
                             "digit of the others. Copy it again from the person's ORCID record.")
        return SetRef(kind="orcid", value=value)
    value = _strip(raw, _ROR_HOSTS).strip("/").lower()
    if not _ROR.fullmatch(value) or not idutils.is_ror(value):
        raise InputError(f"`{shown}` is not a ROR id: a ROR id is 9 characters, 0 then six letters "
                         "or digits then two digits, e.g. `watch ror 02mhbdp94` or its ror.org link.")
    if ror_checksum(value[:7]) != value[7:]:
        raise InputError(f"`{shown}` is not a ROR id: its last two digits are not the checksum of "
                         "the others. Copy it again from ror.org.")
    return SetRef(kind="ror", value=value)


def set_name(text_: str) -> SetRef | None:
    """``prefix:10.5555`` (or ``orcid:...``, ``ror:...``) as a SetRef; None when ``text_`` does
    not start with a kind of set. InputError when it does but the id is not one."""
    kind, sep, value = text_.partition(":")
    if not sep or kind.lower() not in KINDS:
        return None
    return parse_set(kind, value)


def joined(args: list[str]) -> list[str]:
    """Arguments with the space form ``prefix 10.5555`` made one ``prefix:10.5555`` word, so a
    command reads a set's name wherever it reads a collection's."""
    out: list[str] = []
    i = 0
    while i < len(args):
        word = args[i]
        if word.lower() in KINDS and i + 1 < len(args):
            out.append(parse_set(word, args[i + 1]).name)
            i += 2
            continue
        ref = set_name(word)
        out.append(ref.name if ref else word)
        i += 1
    return out


def kind_of(name: str) -> str:
    """``set`` for a set's name (``prefix:10.5555``), else ``collection``: how replies call it."""
    kind, sep, _ = name.partition(":")
    return "set" if sep and kind.lower() in KINDS else "collection"
