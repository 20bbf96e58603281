"""The traveller's pages in a real browser (Debian's Chromium driven by Playwright) against the
service in uvicorn, in English and Chinese: sign in with the notifier's code, a certificate and
its PDF, a declaration with an uploaded foreign EU DCC QR image, the consulate's request
answered with a document, the green health code alive on the page, an offline reload served by
the service worker; axe-core on every page; screenshots at phone and desktop sizes."""

from __future__ import annotations

import secrets
import time
from typing import TYPE_CHECKING, Any

import pytest

from tests.service.declaration_steps import PDF, body, last_code
from tests.web import test_browser as shared
from tests.web.conftest import Holder, make_holder, open_session
from tests.web.test_browser import CHROMIUM, SIZES, _shot, _violations

if TYPE_CHECKING:
    from pathlib import Path

    from playwright.sync_api import Browser, Page

    from healthcert.service.context import ServiceContext

# The browser, the axe-audited page and axe-core itself, as the other pages' tests have them.
browser = shared.browser
audited = shared.audited
axe_script = shared.axe_script

pytestmark = pytest.mark.skipif(
    not __import__("pathlib").Path(CHROMIUM).exists(),
    reason="no Chromium at /usr/bin/chromium (apt-get install chromium)",
)

WORDS = {
    "en": {
        "sign_in": "Send me a code",
        "code": "Sign in",
        "certificates": "My certificates",
        "pdf": "Download the PDF",
        "print": "Print",
        "next": "Next",
        "file": "File the declaration",
        "submitted": "Submitted: waiting for the consulate",
        "asks": "The consulate asks for documents",
        "send": "Send the document",
        "green": "GREEN: you may travel",
        "product": "Comirnaty",
        "country": "China",
    },
    "zh": {
        "sign_in": "发送验证码",
        "code": "登录",
        "certificates": "我的证书",
        "pdf": "下载 PDF",
        "print": "打印",
        "next": "下一步",
        "file": "提交申报",
        "submitted": "已提交：等待领事馆审核",
        "asks": "领事馆要求补充材料",
        "send": "提交文件",
        "green": "绿码：可以出行",
        "product": "Comirnaty",
        "country": "中国",
    },
}


@pytest.fixture
def phone(browser: Browser, request: pytest.FixtureRequest) -> Any:
    context = browser.new_context(viewport=SIZES["phone"], accept_downloads=True)  # type: ignore[arg-type]
    opened = context.new_page()
    opened.size_name = "phone"  # type: ignore[attr-defined]
    yield opened
    context.close()


def _decide(
    page: Page,
    live_url: str,
    ctx: ServiceContext,
    declaration: int,
    decision: str,
    reason: str = "",
) -> None:
    """The officer's decision, through the consular API of the running service."""
    from healthcert.service.apikeys import create_key
    from healthcert.service.audit import Actor

    label = f"US post {secrets.token_hex(4)}"  # labels are unique; each decision has its own
    key = create_key(ctx, "officer", label, Actor("admin", "web tests"), ["US"]).secret
    answer = page.request.post(
        f"{live_url}/api/v1/consular/declarations/{declaration}/decision",
        data={"decision": decision, **({"reason": reason} if reason else {})},
        headers={"X-API-Key": key},
    )
    assert answer.status == 200, answer.text()


def _sign_in(page: Page, live_url: str, ctx: ServiceContext, holder: Holder, lang: str) -> None:
    words = WORDS[lang]
    page.goto(f"{live_url}/holder?lang={lang}")
    assert page.url.startswith(f"{live_url}/holder/sign-in?lang={lang}")
    page.locator("#document_type").select_option(holder.document_type)
    page.locator("#issuing_country").select_option(holder.issuing_country)
    page.locator("#document_number").fill(holder.document_number)
    page.locator("#date_of_birth").fill(holder.date_of_birth)
    _shot(page, f"holder-sign-in-{lang}")
    page.get_by_role("button", name=words["sign_in"]).click()
    page.locator("#code").fill(last_code(ctx))
    _shot(page, f"holder-code-{lang}")
    page.get_by_role("button", name=words["code"], exact=True).click()
    page.wait_for_url(f"{live_url}/holder?lang={lang}")
    assert page.locator("h1").inner_text() == "王小明"


def _certificate_and_pdf(page: Page, holder: Holder, lang: str) -> None:
    import pypdfium2

    words = WORDS[lang]
    page.get_by_role("link", name=words["certificates"]).first.click()
    page.locator(f"a[href^='/holder/certificates/{holder.certificate}?']").click()
    qr = page.locator("img.qr")
    box: Any = qr.bounding_box()
    assert box["width"] >= 300  # the QR code fills a phone's width
    assert page.evaluate("document.querySelector('img.qr').naturalWidth") > 0
    details = page.locator("dl.details").inner_text()
    assert words["product"] in details and words["country"] in details
    _shot(page, f"holder-certificate-{lang}")
    with page.expect_download() as download:
        page.get_by_role("link", name=words["pdf"]).click()
    pdf = download.value.path().read_bytes()
    assert pdf.startswith(b"%PDF")
    assert "WANG" in pypdfium2.PdfDocument(pdf)[0].get_textpage().get_text_range()
    page.get_by_role("link", name=words["print"], exact=True).click()
    assert page.locator("figure.qr-frame.size-print").count() == 1
    _shot(page, f"holder-certificate-print-{lang}")


def _declare(page: Page, live_url: str, holder: Holder, lang: str, foreign_png: Path) -> int:
    """The declaration step by step, with the foreign certificate's QR image uploaded."""
    from datetime import UTC, datetime, timedelta

    words = WORDS[lang]
    page.goto(f"{live_url}/holder/declarations/new?lang={lang}")
    assert page.locator("#step-employer").is_hidden()  # one step at a time
    for field, value in (
        ("#identity-issuing_country", "CN"),
        ("#identity-nationality", "CN"),
        ("#residence-country", "US"),
    ):
        page.locator(field).select_option(value)
    page.locator("#residence-city").fill("New York")
    page.locator("#residence-address").fill("1 Main St, Apt 2")
    _shot(page, f"holder-declaration-step1-{lang}")
    page.get_by_role("button", name=words["next"]).click()
    page.locator("#employer-name").fill("Example Trading Co.")
    page.locator("#employer-address").fill("5 Wall St")
    page.get_by_role("button", name=words["next"]).click()
    page.locator("#trip-from_country").select_option("US")
    page.locator("#trip-from_city").fill("New York")
    page.locator("#trip-to_country").select_option("CN")
    page.locator("#trip-port_of_entry").fill("PEK")
    departure = datetime.now(UTC) + timedelta(days=2)
    page.locator("#trip-departure").fill(departure.strftime("%Y-%m-%dT%H:%M"))
    page.locator("#trip-transport").fill("CA982")
    page.get_by_role("button", name=words["next"]).click()
    page.locator("#evidence-images").set_input_files(str(foreign_png))
    page.locator(f"#record-{holder.records[1]}").check()
    _shot(page, f"holder-declaration-evidence-{lang}")
    page.get_by_role("button", name=words["next"]).click()
    page.locator("#health-temperature_c").fill("36.6")
    page.locator("#consent").check()
    page.get_by_role("button", name=words["file"]).click()
    page.wait_for_url(f"{live_url}/holder/declarations/*")
    assert page.locator("#status").inner_text() == words["submitted"]
    evidence = page.locator("ul.evidence").inner_text()
    assert "HC1:" in evidence
    return int(page.url.split("/holder/declarations/")[1].split("?")[0])


def _answer(
    page: Page, live_url: str, ctx: ServiceContext, declaration: int, lang: str, folder: Path
) -> None:
    words = WORDS[lang]
    _decide(
        page, live_url, ctx, declaration, "request_documents", "请提供雇主证明 / employer letter"
    )
    page.reload()
    assert page.locator("#status").inner_text() == words["asks"]
    assert page.locator("#asked-reason").inner_text() == "请提供雇主证明 / employer letter"
    _shot(page, f"holder-declaration-asked-{lang}")
    letter = folder / "employer-letter.pdf"
    letter.write_bytes(PDF)
    page.locator("#document").set_input_files(str(letter))
    page.get_by_role("button", name=words["send"]).click()
    page.wait_for_load_state()
    assert page.locator("#status").inner_text() == words["submitted"]
    assert "employer-letter.pdf" in page.locator("ul.evidence").inner_text()


def _green_and_alive(
    page: Page, live_url: str, ctx: ServiceContext, declaration: int, lang: str
) -> None:
    from playwright.sync_api import expect

    _decide(page, live_url, ctx, declaration, "approve")
    page.goto(f"{live_url}/holder/health-code?lang={lang}")
    code = page.locator("#health-code")
    assert code.get_attribute("class") == "health-code green"
    assert page.locator("#colour-label").inner_text() == WORDS[lang]["green"]
    first_time = page.locator("#clock").inner_text()
    first_place: Any = page.locator(".runner").bounding_box()
    time.sleep(1.3)
    assert page.locator("#clock").inner_text() != first_time  # the clock ticks
    assert page.locator(".runner").bounding_box() != first_place  # and the mark moves
    box: Any = page.locator("#code-qr").bounding_box()
    assert box["width"] >= 280
    # Coming back online fetches the code again: signed anew, a second or more later.
    signed = page.locator("#signed-at").inner_text()
    page.evaluate("window.dispatchEvent(new Event('online'))")
    expect(page.locator("#signed-at")).not_to_have_text(signed, timeout=10_000)
    assert page.locator("#colour-label").inner_text() == WORDS[lang]["green"]
    _shot(page, f"holder-health-code-green-{lang}")


def _offline(page: Page, live_url: str, holder: Holder, lang: str) -> None:
    """Once the service worker controls the pages, an offline reload shows the kept copies."""
    page.wait_for_function("navigator.serviceWorker.ready.then(() => true)", timeout=10_000)
    page.reload()  # through the service worker now: it keeps this copy
    page.wait_for_function("!!navigator.serviceWorker.controller", timeout=10_000)
    certificate = f"{live_url}/holder/certificates/{holder.certificate}?lang={lang}"
    page.goto(certificate)
    page.goto(f"{live_url}/holder/health-code?lang={lang}")
    page.context.set_offline(True)
    try:
        page.reload()
        assert page.locator("#colour-label").inner_text() == WORDS[lang]["green"]
        assert page.locator("#offline-note").is_visible()
        _shot(page, f"holder-health-code-offline-{lang}")
        page.goto(certificate)
        assert page.evaluate("document.querySelector('img.qr').naturalWidth") > 0
        assert WORDS[lang]["product"] in page.locator("dl.details").inner_text()
    finally:
        page.context.set_offline(False)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_traveller_from_sign_in_to_the_green_code(
    phone: Page,
    live_url: str,
    web_ctx: ServiceContext,
    foreign_png: Path,
    tmp_path: Path,
    lang: str,
) -> None:
    requested: list[str] = []
    phone.on("request", lambda sent: requested.append(sent.url))
    holder = make_holder(web_ctx)
    _sign_in(phone, live_url, web_ctx, holder, lang)
    _certificate_and_pdf(phone, holder, lang)
    declaration = _declare(phone, live_url, holder, lang, foreign_png)
    _answer(phone, live_url, web_ctx, declaration, lang, tmp_path)
    _green_and_alive(phone, live_url, web_ctx, declaration, lang)
    _offline(phone, live_url, holder, lang)
    assert [url for url in requested if not url.startswith(live_url)] == []


def _signed_in(page: Page, live_url: str, ctx: ServiceContext, holder: Holder) -> None:
    cookie = {
        "name": "healthcert_holder",
        "value": open_session(ctx, holder),
        "domain": "127.0.0.1",
        "path": "/holder",
        "httpOnly": True,
        "sameSite": "Strict",
    }
    page.context.add_cookies([cookie])  # type: ignore[list-item]


def _asked_for_documents(ctx: ServiceContext, holder: Holder) -> int:
    """A declaration of ``holder``'s, for which the consulate asked a document."""
    from healthcert.declarations import filing, review
    from healthcert.service.audit import Actor

    filed = filing.file_declaration(ctx, holder.person, body("US"))
    post = review.Post(Actor("admin", "web tests"), None)
    review.decide(ctx, post, filed.id, "request_documents", "Send a letter from your employer.")
    return filed.id


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_axe_finds_nothing_on_the_holder_pages(
    audited: Page, live_url: str, web_ctx: ServiceContext, axe_script: Path, lang: str
) -> None:
    holder = make_holder(web_ctx)
    size = "phone" if audited.viewport_size == SIZES["phone"] else "desktop"
    audited.size_name = size  # type: ignore[attr-defined]
    audited.goto(f"{live_url}/holder/sign-in?lang={lang}")
    found = {"sign-in": _violations(audited, axe_script)}
    _signed_in(audited, live_url, web_ctx, holder)
    declaration = _asked_for_documents(web_ctx, holder)
    pages = {
        "overview": "/holder",
        "records": "/holder/records",
        "certificates": "/holder/certificates",
        "certificate": f"/holder/certificates/{holder.certificate}",
        "certificate-print": f"/holder/certificates/{holder.certificate}?size=print",
        "certificate-revoked": f"/holder/certificates/{holder.revoked}",
        "declarations": "/holder/declarations",
        "declaration-form": "/holder/declarations/new",
        "declaration": f"/holder/declarations/{declaration}",
        "health-code-yellow": "/holder/health-code",
        "missing": "/holder/certificates/999999",
    }
    for name, path in pages.items():
        joiner = "&" if "?" in path else "?"
        audited.goto(f"{live_url}{path}{joiner}lang={lang}")
        _shot(audited, f"holder-{name}-{lang}")
        found[name] = _violations(audited, axe_script)
    assert {name: problems for name, problems in found.items() if problems} == {}


def test_the_pages_read_without_javascript(
    browser: Browser, live_url: str, web_ctx: ServiceContext
) -> None:
    """Reading needs no script: the QR codes show, and the declaration form shows every step."""
    holder = make_holder(web_ctx)
    context = browser.new_context(viewport=SIZES["phone"], java_script_enabled=False)  # type: ignore[arg-type]
    page = context.new_page()
    try:
        _signed_in(page, live_url, web_ctx, holder)
        page.goto(f"{live_url}/holder/certificates/{holder.certificate}")
        box: Any = page.locator("img.qr").bounding_box()
        assert box["width"] >= 300
        page.goto(f"{live_url}/holder/declarations/new")
        assert page.locator("fieldset.step:visible").count() == 5
        assert page.locator("#file").is_visible()
        _asked_for_documents(web_ctx, holder)
        page.goto(f"{live_url}/holder/health-code")
        assert page.locator("#colour-label").inner_text() == "YELLOW: waiting for the consulate"
        assert page.locator("#code-qr").is_visible()
    finally:
        context.close()
