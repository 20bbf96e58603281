"""The traveller's pages over HTTP: sign-in with the notifier's code into a session cookie, form
tokens, redirects without a session, nobody else's certificate or declaration, certificates
with their QR code and PDF, the declaration form with an uploaded foreign QR image, answering
the consulate, the health code, the app manifest and service worker, page weight."""

from __future__ import annotations

import base64
import re
import secrets
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import pytest

from tests.service.declaration_steps import PDF, last_code
from tests.web.conftest import Holder, make_holder, open_session
from tests.web.test_pages import ELSEWHERE, PAGE_BUDGET, REFERENCE

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from fastapi import FastAPI
    from fastapi.testclient import TestClient

    from healthcert.service.context import ServiceContext

SIGNED_IN_PAGES = (
    "/holder",
    "/holder/records",
    "/holder/certificates",
    "/holder/declarations",
    "/holder/declarations/new",
    "/holder/health-code",
)
TOKEN = re.compile(r'name="form_token" value="([^"]+)"')
QR_DATA = re.compile(r'<img class="qr"[^>]*src="data:image/png;base64,([^"]+)"')


@pytest.fixture
def browser(web_app: FastAPI) -> Iterator[TestClient]:
    """A browser of its own: its cookies are nobody else's."""
    from fastapi.testclient import TestClient

    with TestClient(web_app) as client:
        yield client


def _signed_in(client: TestClient, ctx: ServiceContext, holder: Holder) -> TestClient:
    client.cookies.set("healthcert_holder", open_session(ctx, holder), path="/holder")
    return client


def _token(client: TestClient, path: str = "/holder/sign-in") -> str:
    found = TOKEN.search(client.get(path).text)
    assert found, path
    return found.group(1)


def _identity(holder: Holder) -> dict[str, str]:
    """The sign-in fields as a traveller may type them (the number in lower case)."""
    return {
        "document_type": holder.document_type,
        "issuing_country": holder.issuing_country.lower(),
        "document_number": holder.document_number.lower(),
        "date_of_birth": holder.date_of_birth,
    }


def test_a_traveller_signs_in_with_the_code_the_notifier_sent(
    browser: TestClient, web_ctx: ServiceContext, holder: Holder
) -> None:
    first = browser.get("/holder", follow_redirects=False)
    assert first.status_code == 303
    assert first.headers["location"] == "/holder/sign-in?lang=en"
    token = _token(browser)
    asked = browser.post("/holder/sign-in", data={"form_token": token, **_identity(holder)})
    assert asked.status_code == 200
    assert 'autocomplete="one-time-code"' in asked.text
    # The identity travels to the code step in the fields the sign-in form had.
    assert f'name="document_number" value="{holder.document_number.lower()}"' in asked.text
    code = last_code(web_ctx)
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    refused = browser.post(
        "/holder/session", data={"form_token": token, "code": wrong, **_identity(holder)}
    )
    assert refused.status_code == 401
    assert "This code is wrong, used or expired." in refused.text
    opened = browser.post(
        "/holder/session",
        data={"form_token": token, "code": code, **_identity(holder)},
        follow_redirects=False,
    )
    assert opened.status_code == 303
    assert opened.headers["location"] == "/holder?lang=en"
    cookie = opened.headers["set-cookie"]
    assert cookie.startswith("healthcert_holder=")
    for flag in ("HttpOnly", "Path=/holder", "SameSite=strict", "Max-Age=900"):
        assert flag in cookie
    assert "Secure" not in cookie  # over http; see the https test
    overview = browser.get("/holder")
    assert overview.status_code == 200
    assert "<h1>王小明</h1>" in overview.text
    assert overview.headers["cache-control"] == "no-store"


def test_the_sign_in_page_speaks_the_browsers_language(browser: TestClient) -> None:
    page = browser.get("/holder/sign-in", headers={"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.5"})
    assert '<html lang="zh-Hans">' in page.text
    assert "发送验证码" in page.text
    assert 'href="/holder/sign-in?lang=en"' in page.text  # the language switch
    assert '<link rel="manifest" href="/holder/manifest.webmanifest?lang=zh">' in page.text


def test_the_session_cookie_is_secure_over_https(web_app: FastAPI, web_ctx: ServiceContext) -> None:
    from fastapi.testclient import TestClient

    holder = make_holder(web_ctx)
    with TestClient(web_app, base_url="https://testserver") as client:
        token = _token(client)
        client.post("/holder/sign-in", data={"form_token": token, **_identity(holder)})
        opened = client.post(
            "/holder/session",
            data={"form_token": token, "code": last_code(web_ctx), **_identity(holder)},
            follow_redirects=False,
        )
    assert opened.status_code == 303
    assert "Secure" in opened.headers["set-cookie"]


GOOD_IDENTITY = {
    "document_type": "passport",
    "issuing_country": "CN",
    "document_number": "E1",
    "date_of_birth": "1985-07-21",
}


@pytest.mark.parametrize(
    ("fields", "status", "message"),
    [
        ({"document_type": "visa"}, 400, "Choose your travel document."),
        ({"issuing_country": ""}, 400, "Choose the country that issued"),
        ({"issuing_country": "ZZ"}, 400, "Choose the country that issued"),
        ({"document_number": " "}, 400, "Enter your passport"),
        ({"date_of_birth": "21.07.1985"}, 400, "Enter your date of"),
    ],
)
def test_a_bad_identity_is_named_on_the_form(
    browser: TestClient, fields: dict[str, str], status: int, message: str
) -> None:
    data = {"form_token": _token(browser), **GOOD_IDENTITY, **fields}
    answer = browser.post("/holder/sign-in", data=data)
    assert answer.status_code == status
    assert message in answer.text


def test_a_code_that_is_not_six_digits_is_refused(browser: TestClient, holder: Holder) -> None:
    token = _token(browser)
    answer = browser.post(
        "/holder/session", data={"form_token": token, "code": "12ab", **_identity(holder)}
    )
    assert answer.status_code == 400
    assert "The code has six digits." in answer.text


@pytest.mark.parametrize("sent", [None, "forged-token"])
def test_a_post_without_this_browsers_form_token_is_refused(
    browser: TestClient, web_ctx: ServiceContext, holder: Holder, sent: str | None
) -> None:
    _token(browser)  # the browser has its token cookie; the post does not carry it
    fields = {**_identity(holder), **({"form_token": sent} if sent else {})}
    assert browser.post("/holder/sign-in", data=fields).status_code == 403
    _signed_in(browser, web_ctx, holder)
    url = f"/holder/records/{holder.records[1]}/certificates"
    answer = browser.post(url, data={"format": "eu-dcc", **({"form_token": sent} if sent else {})})
    assert answer.status_code == 403
    assert "Form expired" in answer.text


@pytest.mark.parametrize(
    "path",
    [
        *SIGNED_IN_PAGES,
        "/holder/certificates/1",
        "/holder/certificates/1/pdf",
        "/holder/declarations/1",
        "/holder/health-code.json",
    ],
)
def test_without_a_session_every_page_sends_to_sign_in(browser: TestClient, path: str) -> None:
    answer = browser.get(f"{path}?lang=zh", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/holder/sign-in?lang=zh"


def test_an_expired_session_says_so_and_asks_to_sign_in_again(
    browser: TestClient,
    web_ctx: ServiceContext,
    holder: Holder,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _signed_in(browser, web_ctx, holder)
    assert browser.get("/holder/certificates").status_code == 200
    later = web_ctx.clock() + timedelta(minutes=16)
    monkeypatch.setattr(web_ctx, "clock", lambda: later)
    answer = browser.get("/holder/certificates", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/holder/sign-in?lang=en&expired=1"
    assert 'healthcert_holder=""' in answer.headers["set-cookie"]
    assert "Your session has ended: sign in again." in browser.get(answer.headers["location"]).text


def test_nobody_elses_certificate_or_declaration_is_shown(
    browser: TestClient, web_ctx: ServiceContext, holder: Holder
) -> None:
    other = make_holder(web_ctx)
    theirs = _file(_signed_in(browser, web_ctx, other), {})
    _signed_in(browser, web_ctx, holder)
    for path in (
        f"/holder/certificates/{other.certificate}",
        f"/holder/certificates/{other.certificate}/pdf",
        f"/holder/declarations/{theirs}",
        "/holder/certificates/999999",
    ):
        answer = browser.get(path)
        assert answer.status_code == 404, path
        assert "There is nothing of yours here." in answer.text
        assert other.document_number not in answer.text
    token = _token(browser, "/holder")
    issued = browser.post(
        f"/holder/records/{other.records[0]}/certificates", data={"form_token": token}
    )
    assert issued.status_code == 404
    sent = browser.post(
        f"/holder/declarations/{theirs}/documents",
        data={"form_token": token},
        files={"document": ("scan.pdf", PDF, "application/pdf")},
    )
    assert sent.status_code == 404


def _qr_payloads(page: str) -> list[str]:
    from healthcert.codec.qr import read_image

    return [text for data in QR_DATA.findall(page) for text in read_image(base64.b64decode(data))]


def test_a_certificate_shows_its_qr_code_and_its_codes_by_name(
    browser: TestClient, web_ctx: ServiceContext, holder: Holder
) -> None:
    from healthcert.service.issuance import get_certificate

    _signed_in(browser, web_ctx, holder)
    page = browser.get(f"/holder/certificates/{holder.certificate}?lang=zh").text
    assert _qr_payloads(page) == [get_certificate(web_ctx, holder.certificate).payload]
    assert "<dt>姓名</dt><dd>王小明 (WANG XIAOMING)</dd>" in page
    assert '<dt>疫苗产品</dt><dd>Comirnaty <small class="code">EU/1/20/1528</small></dd>' in page
    assert '<dt>国家或地区</dt><dd>中国 <small class="code">CN</small></dd>' in page
    assert f'href="/holder/certificates/{holder.certificate}/pdf"' in page
    assert 'class="qr-frame size-screen"' in page
    english = browser.get(f"/holder/certificates/{holder.certificate}?lang=en&size=print").text
    assert '<dt>Country</dt><dd>China <small class="code">CN</small></dd>' in english
    assert 'class="qr-frame size-print"' in english
    assert "<dt>Status</dt><dd>In force</dd>" in english


def test_a_revoked_certificate_says_so_and_has_no_qr_code(
    browser: TestClient, web_ctx: ServiceContext, holder: Holder
) -> None:
    _signed_in(browser, web_ctx, holder)
    page = browser.get(f"/holder/certificates/{holder.revoked}").text
    assert "REVOKED: this certificate is no longer valid" in page
    assert 'class="qr"' not in page
    assert "/pdf" not in page
    assert browser.get(f"/holder/certificates/{holder.revoked}/pdf").status_code == 410
    listing = browser.get("/holder/certificates").text
    assert listing.count('class="revoked-word"') == 1


def test_the_pdf_is_the_holders_paper_certificate(
    browser: TestClient, web_ctx: ServiceContext, holder: Holder
) -> None:
    import pypdfium2

    _signed_in(browser, web_ctx, holder)
    answer = browser.get(f"/holder/certificates/{holder.certificate}/pdf")
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/pdf"
    text = pypdfium2.PdfDocument(answer.content)[0].get_textpage().get_text_range()
    assert "WANG" in text


def test_a_record_gets_its_certificate_from_the_records_page(
    browser: TestClient, web_ctx: ServiceContext, holder: Holder
) -> None:
    _signed_in(browser, web_ctx, holder)
    page = browser.get("/holder/records?lang=zh").text
    assert "核酸扩增检测（NAAT）" in page  # the test's type, by name
    assert f'href="/holder/certificates/{holder.certificate}?lang=zh"' in page
    token = TOKEN.search(page)
    assert token
    url = f"/holder/records/{holder.records[0]}/certificates"
    bad = browser.post(url, data={"form_token": token.group(1), "format": "nonsense"})
    assert bad.status_code == 404
    again = browser.post(
        url, data={"form_token": token.group(1), "format": "eu-dcc"}, follow_redirects=False
    )
    assert again.status_code == 303
    assert again.headers["location"] == f"/holder/certificates/{holder.certificate}?lang=en"


def _declaration_form(**changes: Any) -> dict[str, Any]:
    departure = (datetime.now(UTC) + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    form: dict[str, Any] = {
        "identity.document_type": "passport",
        "identity.issuing_country": "CN",
        "identity.nationality": "CN",
        "residence.country": "US",
        "residence.city": "New York",
        "residence.address": "1 Main St, Apt 2",
        "employer.name": "Example Trading Co.",
        "employer.address": "5 Wall St",
        "trip.from_country": "US",
        "trip.from_city": "New York",
        "trip.to_country": "CN",
        "trip.port_of_entry": "pek",
        "trip.departure": departure,
        "trip.transport": "ca 982",
        "health.symptoms": "no",
        "health.temperature_c": "36.6",
        "consent": "yes",
    }
    form.update(changes)
    return form


def _file(
    client: TestClient,
    files: dict[str, Any],
    changes: dict[str, Any] | None = None,
    expected: int = 303,
) -> int:
    token = _token(client, "/holder/declarations/new")
    answer = client.post(
        "/holder/declarations",
        data={"form_token": token, **_declaration_form(**(changes or {}))},
        files=files or None,
        follow_redirects=False,
    )
    assert answer.status_code == expected, answer.text
    if expected != 303:
        return 0
    found = re.fullmatch(r"/holder/declarations/(\d+)\?lang=en", answer.headers["location"])
    assert found
    return int(found.group(1))


def test_a_declaration_is_filed_with_a_foreign_qr_image_a_record_and_a_document(
    browser: TestClient, web_ctx: ServiceContext, holder: Holder, foreign_png: Path
) -> None:
    _signed_in(browser, web_ctx, holder)
    files = {
        "evidence.images": ("dcc.png", foreign_png.read_bytes(), "image/png"),
        "documents": ("letter.pdf", PDF, "application/pdf"),
    }
    filed = _file(browser, files, {"evidence.record": str(holder.records[1])})
    from healthcert.declarations import intake

    stored = intake.read_own(web_ctx, holder.person, filed)
    assert [item["kind"] for item in stored["evidence"]] == ["record", "payload", "document"]
    assert stored["evidence"][1]["payload"].startswith("HC1:")
    assert stored["trip"]["transport"] == "CA982"
    assert stored["trip"]["port_of_entry"] == "PEK"
    assert stored["employer"] == {"name": "Example Trading Co.", "address": "5 Wall St"}
    page = browser.get(f"/holder/declarations/{filed}?lang=zh").text
    assert "已提交：等待领事馆审核" in page
    assert "检测 · 核酸扩增检测（NAAT）" in page  # the record given, by what it is
    assert "letter.pdf" in page


@pytest.mark.parametrize(
    ("changes", "files", "shown"),
    [
        ({"trip.departure": "2020-01-01T10:00"}, {}, "Departure (UTC)</a>: "),
        ({"consent": ""}, {}, "Consent</a>: "),
        ({"health.temperature_c": "hot"}, {}, "Body temperature today (°C)</a>: "),
        ({"evidence.payloads": "HC1:NOT-A-CERTIFICATE"}, {}, "Tests and vaccination</a>: "),
        (
            {},
            {"evidence.images": ("blank.png", PDF, "image/png")},
            "no QR code could be read in this image (blank.png)",
        ),
        (
            {},
            {"documents": ("notes.txt", b"just text", "text/plain")},
            "only PDF, PNG and JPEG documents are accepted (notes.txt)",
        ),
    ],
)
def test_a_bad_declaration_is_shown_again_with_each_problem_and_nothing_stored(
    browser: TestClient,
    web_ctx: ServiceContext,
    holder: Holder,
    changes: dict[str, str],
    files: dict[str, Any],
    shown: str,
) -> None:
    from tests.service.declaration_steps import declaration_count

    _signed_in(browser, web_ctx, holder)
    before = declaration_count(web_ctx)
    token = _token(browser, "/holder/declarations/new")
    answer = browser.post(
        "/holder/declarations",
        data={"form_token": token, **_declaration_form(**changes)},
        files=files or None,
    )
    assert answer.status_code == 422
    assert shown in answer.text
    assert 'value="New York"' in answer.text  # what was typed stays
    assert declaration_count(web_ctx) == before


def _officer(ctx: ServiceContext) -> dict[str, str]:
    from healthcert.service.apikeys import create_key
    from healthcert.service.audit import Actor

    created = create_key(
        ctx, "officer", f"US post {secrets.token_hex(4)}", Actor("admin", "web tests"), ["US"]
    )
    return {"X-API-Key": created.secret}


def test_the_consulate_asks_for_a_document_and_the_traveller_answers(
    browser: TestClient, web_ctx: ServiceContext, holder: Holder
) -> None:
    _signed_in(browser, web_ctx, holder)
    filed = _file(browser, {})
    officer = _officer(web_ctx)
    asked = browser.post(
        f"/api/v1/consular/declarations/{filed}/decision",
        json={"decision": "request_documents", "reason": "Send your employer's letter."},
        headers=officer,
    )
    assert asked.status_code == 200, asked.text
    page = browser.get(f"/holder/declarations/{filed}").text
    assert "The consulate asks for documents" in page
    assert '<blockquote id="asked-reason">Send your employer&#39;s letter.</blockquote>' in page
    token = TOKEN.search(page)
    assert token
    url = f"/holder/declarations/{filed}/documents"
    wrong = browser.post(
        url,
        data={"form_token": token.group(1)},
        files={"document": ("x.txt", b"text", "text/plain")},
    )
    assert wrong.status_code == 400
    assert "Only PDF, PNG and JPEG documents are accepted." in wrong.text
    sent = browser.post(
        url,
        data={"form_token": token.group(1)},
        files={"document": ("letter.pdf", PDF, "application/pdf")},
        follow_redirects=False,
    )
    assert sent.status_code == 303
    page = browser.get(f"/holder/declarations/{filed}").text
    assert "Submitted: waiting for the consulate" in page
    assert "letter.pdf" in page


def test_the_health_code_is_shown_in_its_colour_and_in_words(
    browser: TestClient, web_ctx: ServiceContext
) -> None:
    from healthcert.codec.qr import read_image

    holder = make_holder(web_ctx)
    _signed_in(browser, web_ctx, holder)
    none = browser.get("/holder/health-code").text
    assert "You have no health code yet" in none
    assert browser.get("/holder/health-code.json").status_code == 404
    filed = _file(browser, {})
    waiting = browser.get("/holder/health-code?lang=zh").text
    assert 'class="health-code yellow"' in waiting
    assert '<span id="colour-label">黄码：等待领事馆审核</span>' in waiting
    decided = browser.post(
        f"/api/v1/consular/declarations/{filed}/decision",
        json={"decision": "approve"},
        headers=_officer(web_ctx),
    )
    assert decided.status_code == 200
    green = browser.get("/holder/health-code").text
    assert 'class="health-code green"' in green
    assert '<span id="colour-label">GREEN: you may travel</span>' in green
    assert f"<dd>{holder.document_number}</dd>" in green
    [payload] = _qr_payloads(green)
    assert payload.startswith("HCD1:")
    refreshed = browser.get("/holder/health-code.json").json()
    assert refreshed["colour"] == "green"
    assert refreshed["label"] == "GREEN: you may travel"
    assert read_image(base64.b64decode(refreshed["qr"].split(",", 1)[1]))[0].startswith("HCD1:")


def test_signing_out_ends_the_session_and_forgets_the_offline_copies(
    browser: TestClient, web_ctx: ServiceContext, holder: Holder
) -> None:
    _signed_in(browser, web_ctx, holder)
    token = _token(browser, "/holder")
    answer = browser.post("/holder/sign-out", data={"form_token": token})
    assert answer.status_code == 200
    assert 'data-forget="1"' in answer.text
    assert browser.get("/holder", follow_redirects=False).status_code == 303


def test_the_pages_install_as_an_app(browser: TestClient) -> None:
    manifest = browser.get("/holder/manifest.webmanifest?lang=zh")
    assert manifest.headers["content-type"] == "application/manifest+json"
    document = manifest.json()
    assert document["start_url"] == "/holder?lang=zh"
    assert document["scope"] == "/holder"
    assert document["display"] == "standalone"
    for icon in document["icons"]:
        assert browser.get(icon["src"]).status_code == 200
    worker = browser.get("/holder/sw.js")
    assert worker.headers["content-type"].startswith("text/javascript")
    assert "caches.match" in worker.text
    assert ELSEWHERE.search(worker.text) is None


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_each_holder_page_is_light_labelled_and_from_this_host(
    browser: TestClient, web_ctx: ServiceContext, lang: str
) -> None:
    holder = make_holder(web_ctx)
    _signed_in(browser, web_ctx, holder)
    _file(browser, {})
    pages = [*SIGNED_IN_PAGES, f"/holder/certificates/{holder.certificate}", "/holder/sign-in"]
    for path in pages:
        answer = browser.get(f"{path}?lang={lang}")
        assert answer.status_code == 200, path
        page = answer.text
        assert f'<html lang="{"zh-Hans" if lang == "zh" else "en"}">' in page
        references = REFERENCE.findall(page)
        assert [ref for ref in references if ELSEWHERE.match(ref)] == [], path
        # The weight before QR images: the page without its inline QR code, and its assets.
        total = len(QR_DATA.sub("", page).encode())
        for asset in {ref for ref in references if ref.startswith("/static/")}:
            total += len(browser.get(asset).content)
        assert total < PAGE_BUDGET, (path, total)
        controls = re.findall(
            r'<(?:input|select|textarea)(?![^>]*type="hidden")[^>]*\bid="([^"]+)"', page
        )
        for control in controls:
            assert f'<label for="{control}">' in page, (path, control)


def test_the_declaration_form_starts_with_the_signed_in_document(
    browser: TestClient, web_ctx: ServiceContext, holder: Holder
) -> None:
    _signed_in(browser, web_ctx, holder)
    form = browser.get("/holder/declarations/new?lang=en").text
    country = re.search(r'<select id="identity-issuing_country".*?</select>', form, re.S)
    kind = re.search(r'<select id="identity-document_type".*?</select>', form, re.S)
    assert country and kind, form
    assert re.findall(r'<option value="(\w+)" selected>', country.group(0)) == ["CN"]
    assert re.findall(r'<option value="([\w-]+)" selected>', kind.group(0)) == ["passport"]
