"""A real browser: headless Chromium (Debian's package, driven by Selenium through Debian's
chromedriver) opens a details page, and a library's plain HTML page on another origin that
embeds the snippet. The badge must render (its accessible name in the DOM, a screenshot that is
not blank) with nothing in the console: no script error, no CSP or CORS refusal.

`.ci/run` installs chromium and chromium-driver when they are missing; on a developer's machine
without them these tests say how to get them and skip.
"""

from __future__ import annotations

import io
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.server import WebServer, build_app
from core.models import Mention
from handlers.context import Context
from handlers.router import dispatch
from handlers.web.paths import identifier_from_path
from storage import items, mentions
from tests.fakes.http import FakeServer, wait_for

DOI = "10.1038/nature12373"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
#: Chromium as root with no display, and none of its calls home (this machine's network is closed).
FLAGS = ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage", "--window-size=900,700")

if not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()):
    if os.environ.get("CI"):
        pytest.fail("CI needs Debian's chromium and chromium-driver: .ci/run installs them", pytrace=False)
    pytest.skip("headless browser tests need `apt-get install chromium chromium-driver`", allow_module_level=True)


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Any]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (*FLAGS, f"--user-data-dir={tmp_path / 'profile'}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture
def bot_site(ctx: Context) -> Iterator[str]:
    assert dispatch(ctx, f"watch {DOI}", channel="C0LIB").ok
    item_id = items.find_item_id(ctx.store.db, identifier_from_path("doi", DOI)) or 0
    with ctx.store.transaction() as db:
        items.set_title(db, item_id, "Nanometre-scale thermometry in a living cell")
        mentions.add_mentions(db, item_id, [
            Mention(source="feeds", external_id="1", kind="news", title="A story", url="https://n.example/1"),
            Mention(source="mastodon", external_id="2", kind="social", title="A toot", url="https://m.example/2"),
        ])
    server = WebServer(build_app(ctx), host="127.0.0.1", port=0)
    port = server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


def _errors(browser: Any) -> list[str]:
    return [entry["message"] for entry in browser.get_log("browser") if entry["level"] in ("SEVERE", "ERROR")]


def _not_blank(png: bytes) -> bool:
    from PIL import Image  # matplotlib's dependency

    image = Image.open(io.BytesIO(png)).convert("RGB")
    return len(image.getcolors(maxcolors=1 << 20) or ()) > 3


def test_the_details_page_renders_its_badge_with_a_clean_console(browser: Any, bot_site: str) -> None:
    from selenium.webdriver.common.by import By

    browser.get(f"{bot_site}/items/doi/{DOI}")
    assert browser.find_element(By.TAG_NAME, "h1").text == "Nanometre-scale thermometry in a living cell"
    donut = browser.find_element(By.CSS_SELECTOR, ".donut svg")
    assert donut.get_attribute("aria-label") == "Attention score 8.5: 1 news, 1 social"
    assert donut.size["width"] > 0
    assert _not_blank(browser.get_screenshot_as_png())
    assert _errors(browser) == []


def test_a_library_page_on_another_site_shows_the_badge_from_the_snippet(browser: Any, bot_site: str) -> None:
    from selenium.webdriver.common.by import By

    library = FakeServer().start()
    try:
        library.route("GET", "/item/1", content_type="text/html; charset=utf-8", body=(
            '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Item 1</title>'
            '<link rel="icon" href="data:,"></head><body><h1>Our item</h1>'
            f'<script src="{bot_site}/embed.js" async></script>'
            f'<div data-attention-id="doi:{DOI}"></div>'
            '<div data-attention-id="doi:10.9999/not-watched" data-attention-style="bar"></div>'
            "</body></html>"
        ))
        browser.get(f"{library.url}/item/1")

        def badges() -> list[Any]:
            return browser.find_elements(By.CSS_SELECTOR, "[data-attention-id] img")

        assert wait_for(lambda: len(badges()) == 2 and badges()[0].get_attribute("alt").startswith("Attention score 8.5"),
                        timeout=20), browser.page_source
        watched, unknown = badges()
        assert watched.get_attribute("alt") == "Attention score 8.5: 1 news, 1 social"
        assert wait_for(lambda: browser.execute_script("return arguments[0].complete && arguments[0].naturalWidth", watched))
        link = browser.find_element(By.CSS_SELECTOR, "[data-attention-id] a")
        assert link.get_attribute("href") == f"{bot_site}/items/doi/{DOI}"
        assert wait_for(lambda: unknown.get_attribute("alt") == "Attention score: no attention yet")
        # A single-page app (DSpace's Angular UI) adds the element after the script ran.
        browser.execute_script(
            "var d = document.createElement('div'); d.id = 'late';"
            f"d.setAttribute('data-attention-id', 'https://doi.org/{DOI}'); document.body.appendChild(d);")
        assert wait_for(lambda: (browser.find_elements(By.CSS_SELECTOR, "#late img") or [None])[0] is not None
                        and browser.find_element(By.CSS_SELECTOR, "#late img").get_attribute("alt").startswith(
                            "Attention score 8.5"))
        assert _not_blank(browser.get_screenshot_as_png())
        assert _errors(browser) == []
    finally:
        library.stop()
