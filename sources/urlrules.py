"""URL-pattern rules: item keys for platforms whose pages carry no identifier (CONTENTdm...).

A rule is ``pattern=template``; several are separated by ``;`` (``ATTENTION_URL_RULES``)::

    /digital/collection/{alias}/id/{id}=contentdm:{alias}/{id}
    maps.example.edu/items/show/{n}=omeka:maps/{n}

A pattern is a path, optionally led by a host (``host[:port]/path``). ``{name}`` matches one
path segment. A pattern matches the start of a URL's path; whatever follows (``/full``,
``/print``, ``/rec/3``), the query string and the fragment are ignored, so every view of one
item folds into one key. The template may use the pattern's names and ``{host}``. The key
becomes the identifier ``key:<template result>``.
"""

from __future__ import annotations

import re
from urllib.parse import unquote, urlsplit

from pydantic import BaseModel, ConfigDict

from core.errors import InputError
from core.models import Identifier

_NAME = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
EXAMPLE = "/digital/collection/{alias}/id/{id}=contentdm:{alias}/{id}"


class UrlRule(BaseModel):
    model_config = ConfigDict(frozen=True)

    #: ``host[:port]`` the rule is limited to, lower-cased; None for any host.
    host: str | None
    path: str
    template: str

    @property
    def text(self) -> str:
        return f"{self.host or ''}{self.path}={self.template}"

    def _regex(self) -> re.Pattern[str]:
        out, pos = "^", 0
        for m in _NAME.finditer(self.path):
            out += re.escape(self.path[pos : m.start()]) + f"(?P<{m.group(1)}>[^/]+)"
            pos = m.end()
        out += re.escape(self.path[pos:].rstrip("/")) + "(?:/.*)?$"
        return re.compile(out)

    def key(self, url: str) -> Identifier | None:
        """The item key ``url`` folds to under this rule, or None when it does not match."""
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        netloc = host if parts.port is None else f"{host}:{parts.port}"
        if self.host is not None and self.host not in (host, netloc):
            return None
        m = self._regex().match(unquote(parts.path))
        if m is None:
            return None
        values = {**m.groupdict(), "host": host}
        return Identifier(scheme="key", value=self.template.format_map(values))


def parse_rules(text: str | None) -> tuple[UrlRule, ...]:
    """Rules from the setting's text; InputError naming the bad rule and how to write one."""
    rules = []
    for raw in (text or "").split(";"):
        part = raw.strip()
        if not part:
            continue
        pattern, sep, template = part.partition("=")
        pattern, template = pattern.strip(), template.strip()
        if not sep or not pattern or not template:
            raise InputError(f"URL rule `{part}` needs the form pattern=key, e.g. `{EXAMPLE}`.")
        host: str | None = None
        if not pattern.startswith("/"):
            host, slash, rest = pattern.partition("/")
            host = host.lower().removeprefix("https://").removeprefix("http://") or None
            pattern = slash + rest
            if not pattern:
                raise InputError(f"URL rule `{part}` has no path after its host, e.g. `{EXAMPLE}`.")
        names = set(_NAME.findall(pattern))
        if not names:
            raise InputError(
                f"URL rule `{part}` has no {{name}} in its pattern, so every page would be one "
                f"item; e.g. `{EXAMPLE}`."
            )
        used = set(_NAME.findall(template))
        unknown = used - names - {"host"}
        if unknown:
            raise InputError(
                f"URL rule `{part}` uses {', '.join('{' + n + '}' for n in sorted(unknown))} in "
                "its key but not in its pattern."
            )
        if "{" in _NAME.sub("", template) or "}" in _NAME.sub("", template):
            raise InputError(f"URL rule `{part}` has a stray brace in its key.")
        rules.append(UrlRule(host=host, path=pattern, template=template))
    return tuple(rules)


def key_for(url: str, rules: tuple[UrlRule, ...] | list[UrlRule]) -> Identifier | None:
    """The key of the first rule matching ``url``, or None."""
    for rule in rules:
        found = rule.key(url)
        if found is not None:
            return found
    return None
