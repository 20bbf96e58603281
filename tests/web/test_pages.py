"""The pages over HTTP: languages, the check as a plain form post, nothing from another host,
page weight."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import select

from healthcert.database.tables import AuditEvent
from tests.rules.certs import Issuer, lab_test
from tests.web.conftest import CLOCK_FIELD, Samples

if TYPE_CHECKING:
    from fastapi.testclient import TestClient

    from healthcert.service.context import ServiceContext

PAGES = ("/", "/check", "/api/v1/docs")
# What a page may weigh, its static assets included, before any QR image.
PAGE_BUDGET = 150 * 1024
REFERENCE = re.compile(r"""(?:src|href|action)\s*=\s*["']([^"']+)["']""", re.IGNORECASE)
ELSEWHERE = re.compile(r"""(?:https?:)?//[^"'\s)]+""", re.IGNORECASE)


def test_the_home_page_speaks_the_browsers_language(web_client: TestClient) -> None:
    page = web_client.get("/", headers={"Accept-Language": "fr;q=1, zh-CN;q=0.8, en;q=0.5"})
    assert page.status_code == 200
    assert '<html lang="zh-Hans">' in page.text
    assert "旅行健康证书：签发与离线核验" in page.text
    for way in ("/holder?lang=zh", "/api/v1/docs", "/check?lang=zh"):
        assert f'href="{way}"' in page.text
    assert "旅客页面即将推出" not in page.text


def test_every_way_in_from_the_home_page_answers(web_client: TestClient) -> None:
    for lang in ("en", "zh"):
        page = web_client.get(f"/?lang={lang}")
        links = {link for link in REFERENCE.findall(page.text) if link.startswith("/")}
        assert "/check?lang=" + lang in links
        for link in links:
            assert web_client.get(link).status_code == 200, link


def test_the_query_wins_over_the_browser(web_client: TestClient) -> None:
    page = web_client.get("/?lang=en", headers={"Accept-Language": "zh"})
    assert '<html lang="en">' in page.text
    assert "Travel health certificates, issued and checked offline" in page.text
    assert 'href="/?lang=zh"' in page.text


def test_english_when_nothing_is_asked(web_client: TestClient) -> None:
    assert '<html lang="en">' in web_client.get("/", headers={"Accept-Language": "fr"}).text


# The health details, asked for with a reason as an officer would.
FULL_VIEW = {"full": "1", "reason": "secondary inspection"}


def _check(web_client: TestClient, png: bytes, key: str, **fields: str) -> tuple[int, str]:
    answer = web_client.post(
        "/check",
        data={"key": key, "at": CLOCK_FIELD, **fields},
        files={"image": ("qr.png", png, "image/png")},
    )
    assert answer.headers["cache-control"] == "no-store"
    return answer.status_code, answer.text


def test_a_genuine_certificate_is_green_without_javascript(
    web_client: TestClient, samples: Samples
) -> None:
    status, page = _check(
        web_client, samples.genuine_png.read_bytes(), samples.verifier_key, country="CN", lang="zh"
    )
    assert status == 200
    assert 'class="outcome green"' in page
    assert "绿色：准予通过" in page
    assert "王小明 (WANG XIAOMING)" in page
    assert "1985-07-21" in page
    assert "2026-11-20 07:00 UTC – 2026-12-20 07:00 UTC" in page
    assert "Not verified" not in page
    # The minimal view: who and whether, no rule and nothing of the holder's health.
    assert "VR-CN-0003" not in page and "Comirnaty" not in page
    assert "未显示健康详情" in page


def test_the_health_details_need_a_reason_that_the_audit_log_keeps(
    web_client: TestClient, samples: Samples, web_ctx: ServiceContext
) -> None:
    png = samples.genuine_png.read_bytes()
    status, page = _check(web_client, png, samples.verifier_key, country="CN", full="1")
    assert status == 400
    assert "Give a reason to see the health details." in page
    reason = "secondary inspection at gate 7"
    status, page = _check(
        web_client, png, samples.verifier_key, country="CN", full="1", reason=reason
    )
    assert status == 200
    assert "VR-CN-0003" in page and "Comirnaty" in page
    with web_ctx.sessions() as session:
        details = session.scalars(
            select(AuditEvent.detail).where(AuditEvent.action == "verification.full_view")
        ).all()
    assert {"reason": reason, "reports": 1} in details


def test_the_check_page_names_the_codes_in_its_language(
    web_client: TestClient, samples: Samples
) -> None:
    png = samples.genuine_png.read_bytes()
    _, page = _check(web_client, png, samples.verifier_key, lang="zh", **FULL_VIEW)
    assert '<dt>疾病</dt><dd>新冠肺炎 <small class="code">840539006</small></dd>' in page
    assert (
        '<dt>疫苗类型</dt><dd>新冠病毒mRNA疫苗 <small class="code">1119349007</small></dd>' in page
    )
    assert '<dt>疫苗产品</dt><dd>Comirnaty <small class="code">EU/1/20/1528</small></dd>' in page
    assert "<dt>生产商</dt><dd>Biontech Manufacturing GmbH <small" in page
    assert '<dt>国家或地区</dt><dd>德国 <small class="code">DE</small></dd>' in page
    _, page = _check(web_client, png, samples.verifier_key, lang="en", **FULL_VIEW)
    assert '<dt>Disease</dt><dd>COVID-19 <small class="code">840539006</small></dd>' in page
    assert '<dt>Country</dt><dd>Germany <small class="code">DE</small></dd>' in page


def test_a_test_result_reads_by_name(
    web_client: TestClient, samples: Samples, issuer: Issuer
) -> None:
    payload = issuer.issue(lab_test())
    answer = web_client.post(
        "/check",
        data={
            "key": samples.verifier_key,
            "payload": payload,
            "at": CLOCK_FIELD,
            "lang": "zh",
            **FULL_VIEW,
        },
    )
    assert answer.status_code == 200
    assert '<dt>检测结果</dt><dd>未检出 <small class="code">260415000</small></dd>' in answer.text
    assert '<dt>检测类型</dt><dd>核酸扩增检测（NAAT） <small class="code">LP6464-4</small>' in (
        answer.text
    )


def test_a_forged_certificate_is_red_with_its_reason(
    web_client: TestClient, samples: Samples
) -> None:
    status, page = _check(
        web_client, samples.forged_png.read_bytes(), samples.verifier_key, country="CN"
    )
    assert status == 200
    assert 'class="outcome red"' in page
    assert "RED: not accepted" in page
    assert "no trusted key has this kid <code>KID_UNKNOWN</code>" in page
    assert "Not verified: the details below are only what the QR code claims." in page
    # Rules passed on what a forger wrote would read as reassurance: they are not shown.
    assert 'class="rules"' not in page


@pytest.mark.parametrize(
    ("key_of", "status", "message"),
    [
        (None, 401, "The verifier key is missing or not valid."),
        ("recorder", 403, "This key may not check certificates."),
    ],
)
def test_the_check_needs_a_verifier_key(
    web_client: TestClient, samples: Samples, key_of: str | None, status: int, message: str
) -> None:
    key = samples.recorder_key if key_of == "recorder" else "not-a-key"
    answer, page = _check(web_client, samples.genuine_png.read_bytes(), key)
    assert answer == status
    assert message in page
    assert "outcome" not in page


def test_an_unknown_destination_is_refused(web_client: TestClient, samples: Samples) -> None:
    answer, page = _check(
        web_client, samples.genuine_png.read_bytes(), samples.verifier_key, country="ZZ"
    )
    assert answer == 400
    assert "Choose a destination from the list." in page


def test_every_control_of_the_check_page_has_a_label(web_client: TestClient) -> None:
    page = web_client.get("/check").text
    controls = re.findall(r'<(?:input|select)[^>]*\bid="([^"]+)"', page)
    assert set(controls) >= {"image", "country", "at", "key"}
    for control in controls:
        if control != "payload":
            assert f'<label for="{control}">' in page, control


def _references(web_client: TestClient, path: str) -> list[str]:
    return REFERENCE.findall(web_client.get(path).text)


@pytest.mark.parametrize("path", PAGES)
def test_no_page_references_another_host(web_client: TestClient, path: str) -> None:
    page = web_client.get(path)
    assert page.status_code == 200
    assert [ref for ref in REFERENCE.findall(page.text) if ELSEWHERE.match(ref)] == []
    for asset in _assets(web_client, path):
        body = web_client.get(asset).text
        if asset.endswith(".css"):
            urls = [url.strip("'\" ") for url in re.findall(r"url\(([^)]*)\)", body)]
            assert [url for url in urls if ELSEWHERE.match(url)] == []


def _assets(web_client: TestClient, path: str) -> list[str]:
    return [ref for ref in _references(web_client, path) if ref.startswith("/static/")]


@pytest.mark.parametrize("path", ["/", "/check"])
def test_each_page_weighs_less_than_its_budget(web_client: TestClient, path: str) -> None:
    total = len(web_client.get(path).content)
    for asset in _assets(web_client, path):
        answer = web_client.get(asset)
        assert answer.status_code == 200, asset
        total += len(answer.content)
    assert total < PAGE_BUDGET


def test_the_api_docs_assets_are_served_here(web_client: TestClient) -> None:
    for asset in _assets(web_client, "/api/v1/docs"):
        assert web_client.get(asset).status_code == 200, asset


def test_every_message_of_the_pages_has_its_chinese() -> None:
    from babel.messages.pofile import read_po

    from healthcert.web.i18n import LOCALES

    with (LOCALES / "messages.pot").open("rb") as file:
        wanted = {message.id for message in read_po(file) if message.id}
    with (LOCALES / "zh" / "LC_MESSAGES" / "messages.po").open("rb") as file:
        catalog = read_po(file, locale="zh")
    done = {m.id for m in catalog if m.id and m.string and "fuzzy" not in m.flags}
    assert len(wanted) > 40
    assert wanted - done == set()


def test_a_health_code_read_by_the_camera_shows_its_document_number(
    web_client: TestClient, samples: Samples, issuer: Issuer
) -> None:
    from cryptography.hazmat.primitives.serialization import Encoding

    from healthcert.formats.health_code.model import Colour
    from healthcert.issuance import issue_health_code
    from healthcert.trust.certificates import import_certificates
    from tests.formats import test_health_code as codes

    dsc = codes.signer()
    issuer.trust.add_batch(import_certificates(dsc.certificate.public_bytes(Encoding.PEM), "hc"))
    payload = issue_health_code(codes.health_code(Colour.YELLOW), dsc, now=codes.ISSUED)
    answer = web_client.post(
        "/check",
        data={"key": samples.verifier_key, "payload": payload, "at": "2026-12-09T09:00"},
    )
    assert answer.status_code == 200
    assert 'class="outcome yellow"' in answer.text
    assert "YELLOW: action needed" in answer.text
    assert "<dt>Document number</dt><dd>E12345678</dd>" in answer.text
