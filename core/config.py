"""Value types for settings, each carrying its own parsing and checks.

A setting is declared once, as one line in the layer that reads it (``handlers.options``, a
source's ``Settings``, ``bot.settings``); these types make that one line enough: a list read
from ``a,b`` or JSON, a ``name=number`` map, a weekday, a time of day, a time zone. Secrets are
pydantic's ``SecretStr``: masked in every repr and dump by their type, not by a list of names.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, Field
from pydantic_settings import NoDecode

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def split_list(value: Any) -> Any:
    """``a, b`` or a JSON list -> a tuple of stripped strings (empty parts dropped)."""
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            return tuple(str(v).strip() for v in json.loads(text))
        return tuple(part.strip() for part in text.split(",") if part.strip())
    return value


def split_map(value: Any) -> Any:
    """``{"news": 8}`` as JSON, or ``news=8,blog=5``."""
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return {}
        if text.startswith("{"):
            return json.loads(text)
        pairs = {}
        for part in text.split(","):
            key, sep, val = part.partition("=")
            if not sep:
                raise ValueError(f"expected name=number pairs separated by commas, got {part!r}")
            pairs[key.strip()] = val.strip()
        return pairs
    return value


def _weekday(value: str) -> str:
    day = value.strip().lower()[:3]
    if day not in WEEKDAYS:
        raise ValueError("use a weekday such as mon, tue ... sun")
    return day


def _time_of_day(value: str) -> str:
    hh, sep, mm = value.strip().partition(":")
    if not sep or not (hh.isdigit() and mm.isdigit()) or int(hh) > 23 or int(mm) > 59:
        raise ValueError("use HH:MM, e.g. 09:00")
    return f"{int(hh):02d}:{int(mm):02d}"


def _time_zone(value: str) -> str:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError("use an IANA time zone such as Europe/Berlin") from exc
    return value


def _at_least(minimum: float, what: str) -> Any:
    def check(value: dict[str, float]) -> dict[str, float]:
        bad = [f"{name}={n:g}" for name, n in value.items() if not n >= minimum]
        if bad:
            raise ValueError(f"{what}: fix {', '.join(bad)}")
        return value

    return check


def _port(value: Any) -> int:
    text = str(value).strip()
    if not (text.isdecimal() and len(text) <= 5 and 1 <= int(text) <= 65535):
        raise ValueError("a port is a whole number from 1 to 65535")
    return int(text)


def _positive(value: dict[str, float]) -> dict[str, float]:
    bad = [f"{name}={rate:g}" for name, rate in value.items() if not rate > 0]
    if bad:
        raise ValueError(f"rates are requests a second, above 0: fix {', '.join(bad)}")
    return value


def _whole(value: dict[str, float]) -> dict[str, float]:
    bad = [f"{name}={n:g}" for name, n in value.items() if not (n >= 1 and n == int(n))]
    if bad:
        raise ValueError(f"concurrency is a whole number of requests, at least 1: fix {', '.join(bad)}")
    return value


def _public_url(value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    url = value.strip().rstrip("/")
    scheme, sep, rest = url.partition("://")
    if scheme.lower() not in ("http", "https") or not sep or not rest or any(c in rest for c in " ?#"):
        raise ValueError("give the address people open, e.g. https://attention.library.example.edu")
    return url


def _hosts(value: tuple[str, ...]) -> tuple[str, ...]:
    out = []
    for host in value:
        name = host.strip().lower().removesuffix(".")
        # Slack's manifest takes bare host names: lower case, digits, dots and hyphens.
        if not name or "://" in name or "/" in name or ":" in name or not all(
            part and all(c.isalnum() or c == "-" for c in part) for part in name.split(".")
        ):
            raise ValueError("give host names only, e.g. repo.example.edu")
        out.append(name)
    return tuple(dict.fromkeys(out))


#: ``a,b`` or ``["a", "b"]``.
StrList = Annotated[tuple[str, ...], NoDecode, BeforeValidator(split_list)]
#: ``name=number,...`` or a JSON object.
NumberMap = Annotated[dict[str, float], NoDecode, BeforeValidator(split_map)]
#: Minutes per source name, at least 1 (the scheduler cannot run a sub-minute interval).
Intervals = Annotated[NumberMap, AfterValidator(_at_least(1, "intervals are minutes, at least 1"))]
#: Requests a second per source name, above 0.
Rates = Annotated[NumberMap, AfterValidator(_positive)]
#: Requests in flight per source name, a whole number at least 1.
Slots = Annotated[NumberMap, AfterValidator(_whole)]
Weekday = Annotated[str, AfterValidator(_weekday)]
TimeOfDay = Annotated[str, AfterValidator(_time_of_day)]
TimeZone = Annotated[str, AfterValidator(_time_zone)]
#: An http(s) address people open (no trailing ``/``), or None.
PublicUrl = Annotated[str | None, AfterValidator(_public_url)]
#: Host names (``repo.example.edu``), lower-cased, without scheme, port or path.
HostList = Annotated[StrList, AfterValidator(_hosts)]
#: A TCP port, 1..65535.
Port = Annotated[int, BeforeValidator(_port)]


def setting(default: Any, description: str, *, env: str | None = None, **constraints: Any) -> Any:
    """One setting: its default, the line README's table shows, and optional constraints
    (``ge=1``...). ``env`` names its variable when it is not derived from the field's name
    (``ALTMETRIC_API_KEY``); the ``ATTENTION_``-prefixed form is then accepted as well."""
    extra: dict[str, Any] = {}
    if env:
        from pydantic import AliasChoices

        choices = [env] + ([f"ATTENTION_{env}"] if not env.startswith(("ATTENTION_", "SLACK_")) else [])
        extra["validation_alias"] = AliasChoices(*choices)
    return Field(default, description=description, **extra, **constraints)
