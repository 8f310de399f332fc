"""`check <url>`: can this landing page be tracked, by Altmetric, by Google Scholar, by this bot?

The audit is pure (``audit``: a LandingPage in, a checklist out); the command fetches the page
through the safe resolver (no cache: the point is to see the page as it is now).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from urllib.parse import urlsplit

from core.errors import InputError
from core.identifiers import display
from handlers.context import Context
from handlers.errors import plain
from handlers.polling.resolve import PageReader, page_reader, url_rules
from handlers.render import plural
from handlers.replies import Command, Reply
from sources.errors import SourceError
from sources.landing import LandingPage
from sources.resolver import Refused, shown_url, url_problem
from sources.urlrules import UrlRule, key_for

#: What Google Scholar's inclusion guidelines ask of every page (publication date: either tag).
SCHOLAR_NEEDS = ("citation_title", "citation_author", "citation_publication_date")
SCHOLAR_DATES = ("citation_publication_date", "citation_date", "citation_online_date")

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Audit:
    page: LandingPage
    altmetric_ok: bool
    scholar_missing: tuple[str, ...]
    rule_key: str | None
    fix: str
    #: The home page the page's canonical link (or og:url) names instead of itself.
    home_canonical: str | None = None

    def lines(self) -> list[str]:
        p = self.page
        ok, no = "[x]", "[ ]"
        out = [f"Trackability of {p.url}" + (f" - {p.title}" if p.title else "")]
        if p.registered:
            ids = ", ".join(f"{display(f.identifier)} ({f.tag}{', read from a URL' if f.inferred else ''})" for f in p.registered)
            out.append(f"{ok} Persistent identifier: {ids}")
        else:
            out.append(f"{no} Persistent identifier: none in the page's tags")
        shown = ", ".join(p.supported_tags[:8]) + (" ..." if len(p.supported_tags) > 8 else "")
        out.append(f"    Tags read: {shown or 'none of citation_*, DC.*, prism.*, eprints.*, bepress_*'}")
        declared = [f for f in p.registered if not f.inferred]
        out.append(
            f"{ok if self.altmetric_ok else no} Altmetric: needs 2 supported meta tags, one a "
            f"registered identifier (has {len(p.supported_tags)} tags, "
            f"{plural(len(declared), 'declared identifier')})"
        )
        if self.scholar_missing:
            out.append(f"{no} Google Scholar: missing {', '.join(self.scholar_missing)}")
        else:
            out.append(f"{ok} Google Scholar: title, author and publication date present")
        if self.home_canonical:
            out.append(f"{no} Canonical link: {self.home_canonical} is the site's home page, not this item")
        ours = [f.identifier for f in p.registered]
        ours += [i for i in p.identifiers if i not in ours and not _is_home(i.value, p.url)]
        bot = [display(i) for i in ours][:4]
        if self.rule_key:
            bot.append(self.rule_key + " (URL rule)")
        out.append(f"{ok} This bot: links to the page count for {', '.join(bot) or p.url + ' (its URL)'}")
        out.append(f"Fix: {self.fix}")
        return out


def audit(page: LandingPage, *, rules: tuple[UrlRule, ...] = ()) -> Audit:
    """The checklist for one page and the ONE change that would help most."""
    tags = set(page.tags)
    declared = [f for f in page.registered if not f.inferred]
    supported = page.supported_tags
    altmetric_ok = bool(declared) and len(supported) >= 2 and any(
        f.tag.split(" ")[0] in supported for f in declared
    )
    missing = [t for t in SCHOLAR_NEEDS if t not in tags]
    if "citation_publication_date" in missing and tags & set(SCHOLAR_DATES):
        missing.remove("citation_publication_date")
    key = key_for(page.url, rules)
    inferred = next((f for f in page.registered if f.inferred), None)
    home = next((u for u in (page.canonical, *(f.identifier.value for f in page.found if f.tag == "og:url"))
                 if u and _is_home(u, page.url)), None)
    if home is not None:
        # Aggregators (and this bot) take a page for the one its canonical link names:
        # every item page naming the home page looks like the home page.
        tag = (f'<link rel="canonical" href="{page.url}">' if page.canonical == home
               else f'<meta property="og:url" content="{page.url}">')
        fix = f"make the page name itself, not the home page: {tag}"
    elif not declared and inferred is not None:
        scheme = "Handle" if inferred.identifier.scheme == "handle" else "DOI"
        link = "https://hdl.handle.net/" if scheme == "Handle" else "https://doi.org/"
        fix = (f"declare the {scheme} the URL already carries: add "
               f'<meta name="DC.identifier" content="{link}{inferred.identifier.value}" scheme="DCTERMS.URI">')
    elif not declared:
        fix = ('give each item a DOI or Handle and put it in the head: '
               '<meta name="citation_doi" content="10.xxxx/..."> or '
               '<meta name="DC.identifier" content="https://hdl.handle.net/PREFIX/SUFFIX" scheme="DCTERMS.URI">')
        if key is None:
            fix += "; until then, an ATTENTION_URL_RULES rule lets this bot fold the page's views into one item"
    elif not altmetric_ok:
        fix = f'add a title tag beside the identifier: <meta name="citation_title" content="{page.title or "..."}">'
    elif missing:
        fix = "add " + ", ".join(f'<meta name="{t}" content="...">' for t in missing) + " for Google Scholar"
    else:
        fix = "nothing: Altmetric, Google Scholar and this bot can all track this page."
    return Audit(page=page, altmetric_ok=altmetric_ok, scholar_missing=tuple(missing),
                 rule_key=key.key if key else None, fix=fix, home_canonical=home)


def _is_home(url: str, page_url: str) -> bool:
    """``url`` is a site's home page and ``page_url`` is not."""
    return url != page_url and urlsplit(url).path in ("", "/") and urlsplit(page_url).path not in ("", "/")


def check_command(ctx: Context, cmd: Command, *, reader: PageReader | None = None) -> Reply:
    """Audit a landing page: identifiers and tags found, what Altmetric and Google Scholar miss.

    `check https://repository.example.edu/handle/1794/22871` fetches the page and answers with a
    short checklist and the one change that would fix its tracking.
    """
    example = "`check https://repository.example.edu/handle/1794/22871`"
    if len(cmd.args) != 1:
        raise InputError(f"Give one page address: {example}.")
    if not cmd.args[0].lower().startswith(("http://", "https://")):
        raise InputError(f"`{cmd.args[0][:80]}` is not a web page: only http(s) addresses are checked, e.g. {example}.")
    url = cmd.args[0].strip("<>")
    problem = url_problem(url)
    if problem:
        raise InputError(
            f"Cannot check `{shown_url(url)}`: it {problem}. Give the page's address as a "
            f"browser shows it, e.g. {example}."
        )
    try:
        page = (reader or page_reader(ctx))(url)
    except Refused as exc:
        raise InputError(f"Cannot check {shown_url(url)}: {exc}.") from exc
    except SourceError as exc:
        log.warning("check %s: %s (%r)", shown_url(url), exc, exc.__cause__)
        return Reply(text=f"Could not read {shown_url(url)}: {plain(exc)}", ok=False)
    return Reply(text="\n".join(audit(page, rules=url_rules(ctx)).lines()))
