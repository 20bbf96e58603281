"""The consular pages in a real browser (Debian's Chromium driven by Playwright), in English
and Chinese at desktop size: an officer signs in, opens a declaration filed through the API
with an EU DCC, sees it verified green, asks for documents, and approves once the traveller
has answered; axe-core finds no serious or critical problem on any consular page. Screenshots
go to var/screenshots/."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.web.consular_steps import (
    Filed,
    Officers,
    answer_with_document,
    file_declaration,
)
from tests.web.test_browser import ARGS, CHROMIUM, SCREENSHOTS, _violations, axe_script, browser

if TYPE_CHECKING:
    from fastapi.testclient import TestClient
    from playwright.sync_api import Browser, Page

    from healthcert.service.context import ServiceContext
    from tests.rules.certs import Issuer

__all__ = ["ARGS", "axe_script", "browser"]  # fixtures, for pytest
DESKTOP = {"width": 1280, "height": 800}
# What the pages say in each language, where the test reads them.
WORDS = {
    "en": {
        "title": "Consular review",
        "sign_in": "Sign in",
        "declaration": "Declaration",
        "green": "✓ Verified: genuine, in force and accepted by the destination's rules",
        "document": "? Not machine-verified: read the document yourself",
        "request": "Request documents",
        "approve": "Approve",
        "asked": "Decision recorded: Documents requested",
        "approved": "Decision recorded: Approved",
        "sign_out": "Sign out",
    },
    "zh": {
        "title": "领事审核",
        "sign_in": "登录",
        "declaration": "申报",
        "green": "✓ 已验证：真实、有效，且符合目的地规则",
        "document": "? 未经机器验证：请人工审阅该文件",
        "request": "要求补充材料",
        "approve": "批准",
        "asked": "审核决定已记录：已要求补充材料",
        "approved": "审核决定已记录：已批准",
        "sign_out": "退出登录",
    },
}

pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists(),
    reason="no Chromium at /usr/bin/chromium (apt-get install chromium)",
)


@pytest.fixture
def desk(browser: Browser) -> Iterator[Page]:
    """A desktop browser window of its own (its own cookies: one officer)."""
    context = browser.new_context(viewport=DESKTOP, locale="en-GB")
    yield context.new_page()
    context.close()


@pytest.fixture
def desk_audited(browser: Browser) -> Iterator[Page]:
    """A desktop window into which axe-core may be injected (the pages allow no script)."""
    context = browser.new_context(viewport=DESKTOP, bypass_csp=True)
    yield context.new_page()
    context.close()


@pytest.fixture
def filed(
    web_client: TestClient, web_ctx: ServiceContext, officers: Officers, issuer: Issuer
) -> Filed:
    return file_declaration(web_client, web_ctx, officers, issuer)


def _shot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}-desktop.png"), full_page=True)


def _sign_in(page: Page, live_url: str, key: str, lang: str) -> None:
    page.goto(f"{live_url}/consular?lang={lang}")
    page.locator("#key").fill(key)
    page.get_by_role("button", name=WORDS[lang]["sign_in"], exact=True).click()
    page.wait_for_url("**/consular/queue**")


def _decide(page: Page, lang: str, button: str, reason: str) -> None:
    page.locator("#reason").fill(reason)
    page.get_by_role("button", name=WORDS[lang][button]).click()
    page.wait_for_selector(".notice")


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_an_officer_reviews_asks_for_documents_and_approves(
    desk: Page,
    live_url: str,
    officers: Officers,
    filed: Filed,
    web_client: TestClient,
    lang: str,
) -> None:
    words = WORDS[lang]
    requested: list[str] = []
    desk.on("request", lambda sent: requested.append(sent.url))
    desk.goto(f"{live_url}/consular?lang={lang}")
    assert desk.get_attribute("html", "lang") == ("zh-Hans" if lang == "zh" else "en")
    assert desk.locator("h1").inner_text() == words["title"]
    _shot(desk, f"consular-signin-{lang}")
    _sign_in(desk, live_url, officers.us_key, lang)
    _shot(desk, f"consular-queue-{lang}")

    desk.get_by_role("link", name=f"{words['declaration']} {filed.id}", exact=True).click()
    piece = desk.locator("article.piece").first
    assert piece.get_attribute("class") == "piece green"
    assert piece.locator(".verdict").inner_text() == words["green"]
    assert "WANG XIAOMING" in piece.inner_text()
    assert piece.locator(".rules li.passed").count() == 5
    _shot(desk, f"consular-declaration-{lang}")

    _decide(desk, lang, "request", "Please add a PCR test taken in New York.")
    assert desk.locator(".notice").inner_text() == words["asked"]
    assert desk.locator("#reason").count() == 0  # waiting for the traveller: nothing to decide

    answer_with_document(web_client, filed)
    desk.reload()
    document = desk.locator("article.piece.grey")
    assert document.locator(".verdict").inner_text() == words["document"]
    # The scan is shown inline: the browser decoded it as the PNG it is.
    width = document.locator("img.document").evaluate("image => image.naturalWidth")
    assert width == 480
    _shot(desk, f"consular-documents-{lang}")

    _decide(desk, lang, "approve", "The scan shows a negative PCR test.")
    assert desk.locator(".notice").inner_text() == words["approved"]
    assert "The scan shows a negative PCR test." in desk.locator(".history").inner_text()
    assert "Please add a PCR test taken in New York." in desk.locator(".history").inner_text()
    _shot(desk, f"consular-approved-{lang}")
    mine = web_client.get(f"/api/v1/holder/declarations/{filed.id}", headers=filed.person.auth)
    assert mine.json()["status"] == "approved"

    desk.get_by_role("button", name=words["sign_out"]).click()
    desk.wait_for_url("**/consular?lang=*")
    desk.goto(f"{live_url}/consular/queue?lang={lang}")
    assert desk.locator("#key").count() == 1  # signed out: back to the sign-in form
    assert [url for url in requested if not url.startswith(live_url)] == []


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_axe_finds_nothing_on_the_consular_pages(
    desk_audited: Page,
    live_url: str,
    officers: Officers,
    filed: Filed,
    web_client: TestClient,
    axe_script: Path,
    lang: str,
) -> None:
    answer_with_document(web_client, filed)  # the page shows an uploaded image too
    page = desk_audited
    page.goto(f"{live_url}/consular?lang={lang}")
    found = {"sign-in": _violations(page, axe_script)}
    _sign_in(page, live_url, officers.us_key, lang)
    found["queue"] = _violations(page, axe_script)
    for name, path in (
        ("declaration", f"/consular/declarations/{filed.id}"),
        ("missing", "/consular/declarations/999999"),
        ("filter", "/consular/queue?state=nothing"),
    ):
        separator = "&" if "?" in path else "?"
        page.goto(f"{live_url}{path}{separator}lang={lang}")
        found[name] = _violations(page, axe_script)
    assert found == {name: [] for name in found}
