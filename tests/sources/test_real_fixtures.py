"""Every real recorded file in ``../shared/fixtures/real/`` goes through the code that reads
such things, without an exception: landing pages through the identifier extractor and the
`check` audit, API answers through their source's whole pipeline (HTTP client, decoding,
parser), served as recorded. And the extractor reads what a person reading each page would."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest

from core.models import Identifier, SourceResult
from handlers.commands.check import audit
from sources import REGISTRY
from sources.errors import SourceError
from sources.factory import HttpFactory
from sources.landing import LandingPage, extract_identifiers
from tests import paths
from tests.fakes.config import sources_config

# feedparser's own notice about its `updated_parsed` fallback, met on some real feeds.
pytestmark = pytest.mark.filterwarnings("ignore:To avoid breaking existing software:DeprecationWarning")

REAL = paths.FIXTURES / "real"
README = REAL / "README.md"


def _files(folder: str) -> list[str]:
    """Every file under ``real/<folder>``, as parameters; one placeholder when the folder is
    missing, so the test asks for the fixtures and says so (see conftest.fixtures_dir)."""
    root = REAL / folder
    found = sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()) if root.is_dir() else []
    return found or ["(missing)"]


def _readme_column(prefix: str, column: int) -> dict[str, str]:
    """A column of README's tables by file name (page URL, HTTP status)."""
    out: dict[str, str] = {}
    for line in README.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if cells and cells[0].startswith(prefix):
            out[cells[0].removeprefix(prefix)] = cells[column] if len(cells) > column else ""
    return out


def page_of(name: str) -> LandingPage:
    url = _readme_column("landing-pages/", 4).get(name) or "https://unknown.example.org/"
    return extract_identifiers((REAL / "landing-pages" / name).read_bytes(), base_url=url)


def keys(page: LandingPage) -> list[str]:
    return [f.identifier.key for f in page.found]


def registered(page: LandingPage) -> set[str]:
    return {f.identifier.key for f in page.registered}


# --- every landing page ---
@pytest.mark.parametrize("name", _files("landing-pages"))
def test_every_real_landing_page_is_read_and_audited(fixtures_dir: Path, name: str) -> None:
    page = page_of(name)
    lines = audit(page).lines()
    assert lines[0].startswith("Trackability of ")
    assert lines[-1].startswith("Fix: ")
    # Whatever a page declares, no identifier is a reference it cites (a citation_reference).
    cited = set(re.findall(r"citation_doi=(10\.[^;'\"]+)", (REAL / "landing-pages" / name).read_text(errors="replace")))
    assert not {f"doi:{d.strip().lower()}" for d in cited} & registered(page)


#: What a person reading each page would call its own identifiers (all of them registered).
OWN = {
    "arxiv_1902.02534.html": {"arxiv:1902.02534", "doi:10.48550/arxiv.1902.02534"},
    "dlib_may2017_vanhyning.html": {"doi:10.1045/may2017-vanhyning"},
    "pmc_4852986.html": {"pmcid:PMC4852986", "pmid:24385230", "doi:10.1007/s10461-013-0685-8"},
    "usenix_nsdi22_goyal.html": set(),  # the ISBN is the proceedings'
    "philica_661.html": set(),  # urn:ISSN:1751-3030 names the journal
    "acl_2021.naacl-main.208.html": {"doi:10.18653/v1/2021.naacl-main.208"},
    "pangaea_836178.html": {"doi:10.1594/pangaea.836178"},
    "peerj_4375.html": {"doi:10.7717/peerj.4375"},
    "elife_44753.html": {"doi:10.7554/elife.44753"},
    "plos_one_0213978.html": {"doi:10.1371/journal.pone.0213978"},
    "zenodo_rdm_1196821.html": {"doi:10.5281/zenodo.1196821"},
    "zenodo_invenio3_1196821.html": {"doi:10.5281/zenodo.1196821"},
    "dspace_xmlui_deepblue_2027.42-151767.html": {"handle:2027.42/151767"},
    "bmc_ccforum_s13054-016-1322-5.html": {"doi:10.1186/s13054-016-1322-5"},
    "dataverse_harvard_nj7xso.html": {"doi:10.7910/dvn/nj7xso"},
    "iopscience_1748-605x_ab007b.html": {"doi:10.1088/1748-605x/ab007b"},
    "hal_jpa-00235190.html": {"doi:10.1051/jphysrad:01955001606044400"},
}


@pytest.mark.parametrize("name", sorted(OWN))
def test_a_page_names_its_own_identifiers_and_nothing_else(fixtures_dir: Path, name: str) -> None:
    assert registered(page_of(name)) == OWN[name]


def test_a_pmcid_in_the_canonical_path_is_read_but_ranks_below_declared_ones(fixtures_dir: Path) -> None:
    page = page_of("pmc_4852986.html")
    pmcid = next(f for f in page.found if f.identifier.scheme == "pmcid")
    assert pmcid.tag == "link rel=canonical"  # the page's own address names it
    assert keys(page).index("pmcid:PMC4852986") > keys(page).index("doi:10.1007/s10461-013-0685-8")


def test_papers_of_one_proceedings_do_not_fold_into_one_item() -> None:
    html = """<html><head><meta name="citation_title" content="Paper {n}">
    <meta name="citation_conference_title" content="Proceedings of Things 2022">
    <meta name="citation_isbn" content="978-1-939133-27-4"></head></html>"""
    pages = [extract_identifiers(html.replace("{n}", str(n)), base_url=f"https://conf.example.org/p{n}") for n in (1, 2)]
    assert [p.registered for p in pages] == [(), ()]
    assert not any(k.startswith("isbn:") for p in pages for k in keys(p))
    # A book's own page keeps its ISBN.
    book = extract_identifiers('<meta name="citation_isbn" content="978-1-939133-27-4">', base_url="https://x.example.org/b")
    assert keys(book) == ["isbn:9781939133274"]


@pytest.mark.parametrize("container", ["citation_inbook_title", "citation_book_title"])
def test_a_chapter_is_not_its_book(container: str) -> None:
    html = f'<meta name="{container}" content="Handbook"><meta name="citation_isbn" content="978-0-306-40615-7">'
    assert extract_identifiers(html, base_url="https://x.example.org/ch3").found == ()


def test_tags_named_only_by_their_id() -> None:
    html = """<head><meta id="DOI" content="10.5555/Id.Named"><meta id="PMID" content="24385230">
    <meta id="citation_arxiv_id" content="1902.02534"></head>"""
    page = extract_identifiers(html, base_url="https://x.example.org/a")
    assert registered(page) == {"doi:10.5555/id.named", "pmid:24385230", "arxiv:1902.02534"}


def test_rel_cite_as_in_the_body_and_id_named_doi_elements() -> None:
    html = """<html><head><title>t</title></head><body>
    <a rel="cite-as" href="https://doi.org/10.5555/Cite.Body">cite this</a>
    <span id="doi">10.5555/span.doi</span>
    <ol class="references"><li><a href="https://doi.org/10.5555/cited.only">a cited work</a></li></ol>
    </body></html>"""
    page = extract_identifiers(html, base_url="https://x.example.org/a")
    assert {"doi:10.5555/cite.body", "doi:10.5555/span.doi"} == registered(page)
    assert page.cite_as == "https://doi.org/10.5555/Cite.Body"


# --- every API answer, through its source ---
SOURCES = {cls.name: cls for cls in REGISTRY}
DOI = Identifier(scheme="doi", value="10.1371/journal.pone.0000030")
#: Recorded answers that are not the API's answer to a question the bot asks: refused by name.
REFUSED = re.compile(r"404|400|not-a-search|-list-|unrecognized-html|errors|-xml-")


def _source_and_path(rel: str) -> tuple[str, Path]:
    source, _, _ = rel.partition("/")
    return source, REAL / "responses" / rel


def _handler(body: bytes, status: int, content_type: str):  # type: ignore[no-untyped-def]
    def answer(request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path.endswith("createSession"):
            return httpx.Response(200, json={"accessJwt": "header.e30.sig"})
        if path.endswith("access_token"):
            return httpx.Response(200, json={"access_token": "tok", "expires_in": 3600})
        return httpx.Response(status, content=body, headers={"Content-Type": content_type})

    return answer


@pytest.mark.parametrize("rel", _files("responses"))
def test_every_real_api_answer_goes_through_its_source(fixtures_dir: Path, rel: str) -> None:
    name, path = _source_and_path(rel)
    status = int(_readme_column("responses/", 3).get(rel) or 200)
    kind = {".json": "application/json", ".txt": "text/plain", ".html": "text/html"}.get(path.suffix, "application/xml")
    config = sources_config(
        urls={name: "https://api.example.org/v1"}, wikipedia_langs=("en",),
        feeds=("https://blog.example.org/feed",), mastodon_servers=("https://social.example.org",),
        altmetric_api_key="k-123456", openalex_api_key="k-123456", bluesky_handle="me.example.org",
        bluesky_app_password="p-123456", reddit_client_id="id", reddit_client_secret="s-123456",
    )
    factory = HttpFactory(config, transport=httpx.MockTransport(_handler(path.read_bytes(), status, kind)),
                          sleep=lambda s: None)
    source = SOURCES[name](config, factory)
    # Europe PMC's citation lists answer the question asked by PMID.
    pmid = re.search(r"-med-(\d+)-", rel)
    asked = Identifier(scheme="pmid", value=pmid.group(1)) if pmid else DOI
    asks = [lambda: source.lookup(asked)]
    if source.by_domain:
        asks.append(lambda: source.lookup_domain("www.youtube.com"))
    for ask in asks:
        try:
            result = ask()
        except SourceError as exc:
            # Refused with a message that says what came instead, never a crash.
            assert str(exc) and exc.source in (name, "")
            assert REFUSED.search(rel), f"{rel} is a real answer but was refused: {exc}"
        else:
            assert isinstance(result, SourceResult) and result.source == name
