"""The paper certificate: the PDF opens, is bilingual, has one layout for every kind, its QR
code (in each size) read back from the page rendered to an image verifies, and a revoked
certificate has neither QR code nor paper."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Any

import pytest

from tests.service import samples

if TYPE_CHECKING:
    from fastapi.testclient import TestClient

    from healthcert.trust.store import TrustStore


def _page_image(pdf: bytes) -> bytes:
    import pypdfium2

    document = pypdfium2.PdfDocument(pdf)
    assert len(document) == 1
    image = document[0].render(scale=2).to_pil()
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def _page_text(pdf: bytes) -> str:
    """The page's text as pdfium extracts it (what a search or a screen reader finds)."""
    import pypdfium2

    return str(pypdfium2.PdfDocument(pdf)[0].get_textpage().get_text_range())


def test_the_pdf_qr_verifies_and_the_labels_are_bilingual(
    client: TestClient, keys: dict[str, dict[str, str]], trust: TrustStore
) -> None:
    from healthcert.codec.qr import read_image
    from healthcert.verification import context, verify_payload

    record = client.post(
        "/api/v1/records",
        json=samples.record(samples.antibody_test("94564-2")),
        headers=keys["recorder"],
    ).json()
    issued = client.post(
        f"/api/v1/records/{record['id']}/certificates", json={}, headers=keys["issuer"]
    ).json()
    answer = client.get(f"/api/v1/certificates/{issued['id']}/pdf", headers=keys["issuer"])
    assert answer.headers["content-type"] == "application/pdf"
    pdf = answer.content
    assert pdf.startswith(b"%PDF")
    payloads = read_image(_page_image(pdf))
    assert payloads == [issued["payload"]]
    assert verify_payload(payloads[0], context(trust)).valid
    text = _page_text(pdf)
    for expected in (
        "Certificate of test result",
        "检测结果证明",
        "王小明",
        "WANG XIAOMING",
        issued["uvci"],
        "Antibody IgM / IgM抗体检测 (94564-2)",
        "Detected / 检出 (260373001)",
    ):
        assert expected in text, expected


def test_an_unknown_country_is_written_unknown() -> None:
    # A certificate read from a SMART Health Card may name no country.
    from healthcert.service.paper import _value

    assert _value({"country": None}, "country") == "unknown"
    assert _value({"country": "CN"}, "country") == "China (CN)"


def test_codes_are_named_in_english_and_the_local_language() -> None:
    from healthcert.service.paper import _value

    assert _value({"country": "CN"}, "country", "zh") == "China / 中国 (CN)"
    assert _value({"result": "260415000"}, "result", "zh") == "Not detected / 未检出 (260415000)"
    assert (
        _value({"test_type": "94564-2"}, "test_type", "zh")
        == "Antibody IgM / IgM抗体检测 (94564-2)"
    )
    assert _value({"product": "EU/1/20/1528"}, "product", "zh") == "Comirnaty (EU/1/20/1528)"
    assert _value({"disease": "840539006"}, "disease", "de") == "COVID-19 (840539006)"
    assert _value({"product": "EU/9/99/9999"}, "product", "zh") == "EU/9/99/9999"


ENTRIES: dict[str, dict[str, Any]] = {
    "vaccination": samples.vaccination(),
    "pcr": {
        "kind": "test",
        "test_type": "LP6464-4",
        "test_name": "cobas SARS-CoV-2",
        "sample_time": "2026-11-20T08:30:00+08:00",
        "result": "260415000",
        "centre": "Beijing Capital Airport Testing Centre",
    },
    "antigen": {
        "kind": "test",
        "test_type": "LP217198-3",
        "test_device": "1232",
        "sample_time": "2026-11-20T08:30:00+08:00",
        "result": "260415000",
    },
    "antibody": samples.antibody_test("94563-4"),
    "recovery": {
        "kind": "recovery",
        "first_positive": "2026-10-01",
        "valid_from": "2026-10-12",
        "valid_until": "2027-03-30",
    },
}
# What every paper certificate says, in this order, whatever its kind.
FRAME = (
    "Name / 姓名 王小明",
    "Name (ICAO 9303) / 姓名（拉丁字母） WANG XIAOMING",
    "Date of birth / 出生日期 1985-07-21",
    "Document number / 证件号码 ",
    "Disease or agent / 疾病或病原体 COVID-19 / 新冠肺炎 (840539006)",
    "Country / 国家 China / 中国 (CN)",
    "Certificate issuer / 证书签发机构 ",
    "Unique certificate identifier / 证书唯一标识 ",
    "Issued / 签发时间 ",
    "This signed certificate expires / 本电子签名证书到期 ",
    "Scan the QR code to verify this certificate. / 扫描二维码验证本证书。",
)
# Each kind's own lines: its title in both languages and its codes by name in both.
OWN = {
    "vaccination": ("Certificate of vaccination\n疫苗接种证明", "Comirnaty (EU/1/20/1528)"),
    "pcr": (
        "Certificate of test result\n检测结果证明",
        "Type of test / 检测类型 NAAT (PCR) / 核酸扩增检测（NAAT） (LP6464-4)",
        "Test name / 检测名称 cobas SARS-CoV-2",
        "Date and time of sample / 采样日期和时间 2026-11-20 08:30 UTC+08:00",
        "Test result / 检测结果 Not detected / 未检出 (260415000)",
    ),
    "antigen": (
        "Certificate of test result\n检测结果证明",
        "Type of test / 检测类型 Rapid antigen / 快速抗原检测 (LP217198-3)",
        "Test device / 检测试剂 Abbott Rapid Diagnostics, Panbio COVID-19 Ag Rapid Test",
        "Test result / 检测结果 Not detected / 未检出 (260415000)",
    ),
    "antibody": (
        "Certificate of test result\n检测结果证明",
        "Type of test / 检测类型 Antibody IgG / IgG抗体检测 (94563-4)",
        "Test result / 检测结果 Detected / 检出 (260373001)",
    ),
    "recovery": (
        "Certificate of recovery\n康复证明",
        "Date of first positive test / 首次阳性检测日期 2026-10-01",
        "Valid until / 有效期至 2027-03-30",
    ),
}


def _issue(
    client: TestClient, keys: dict[str, dict[str, str]], entry: dict[str, Any]
) -> dict[str, Any]:
    record = client.post(
        "/api/v1/records", json=samples.record(entry), headers=keys["recorder"]
    ).json()
    issued = client.post(
        f"/api/v1/records/{record['id']}/certificates", json={}, headers=keys["issuer"]
    )
    assert issued.status_code == 201, issued.text
    return {**issued.json(), "document_number": record["holder"]["document_number"]}


def _qr_side_mm(pdf: bytes) -> float:
    """The printed side of the page's one image, the QR code, in millimetres."""
    import pypdfium2
    import pypdfium2.raw as pdfium_c

    page = pypdfium2.PdfDocument(pdf)[0]
    images = list(page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_IMAGE]))
    assert len(images) == 1
    left, bottom, right, top = images[0].get_bounds()
    assert abs((right - left) - (top - bottom)) < 0.01  # square
    return float(right - left) * 25.4 / 72


@pytest.mark.parametrize("kind", list(ENTRIES))
def test_every_kind_has_the_one_layout_in_both_languages(
    client: TestClient, keys: dict[str, dict[str, str]], trust: TrustStore, kind: str
) -> None:
    from healthcert.codec.qr import read_image
    from healthcert.verification import context, verify_payload

    issued = _issue(client, keys, ENTRIES[kind])
    answer = client.get(f"/api/v1/certificates/{issued['id']}/pdf", headers=keys["issuer"])
    assert answer.status_code == 200
    assert read_image(_page_image(answer.content)) == [issued["payload"]]
    assert verify_payload(issued["payload"], context(trust)).valid
    text = _page_text(answer.content).replace("\r\n", "\n")
    positions = [text.find(line) for line in FRAME]
    assert -1 not in positions, [line for line in FRAME if line not in text]
    assert positions == sorted(positions)
    assert f"Document number / 证件号码 {issued['document_number']}" in text
    assert f"Unique certificate identifier / 证书唯一标识 {issued['uvci']}" in text
    issued_at, expires_at = issued["issued_at"], issued["expires_at"]
    assert f"Issued / 签发时间 {issued_at[:10]} {issued_at[11:16]} UTC" in text
    assert f"本电子签名证书到期 {expires_at[:10]} {expires_at[11:16]} UTC" in text
    for line in OWN[kind]:
        assert line in text, line
    assert "王 小明" not in text
    assert " - \n" not in text and not text.rstrip().endswith(" -")  # no empty rows


@pytest.mark.parametrize(("size", "side"), [("small", 60), ("medium", 80), ("large", 105)])
def test_the_qr_code_prints_in_the_size_asked(
    client: TestClient, keys: dict[str, dict[str, str]], size: str, side: int
) -> None:
    from healthcert.codec.qr import read_image

    issued = _issue(client, keys, ENTRIES["vaccination"])
    url = f"/api/v1/certificates/{issued['id']}"
    pdf = client.get(f"{url}/pdf?size={size}", headers=keys["issuer"]).content
    assert abs(_qr_side_mm(pdf) - side) < 0.1
    assert read_image(_page_image(pdf)) == [issued["payload"]]
    png = client.get(f"{url}/qr.png?size={size}", headers=keys["issuer"])
    assert read_image(png.content) == [issued["payload"]]
    if size == "medium":  # the default
        assert client.get(f"{url}/pdf", headers=keys["issuer"]).content == pdf


def test_a_qr_image_grows_with_its_size(
    client: TestClient, keys: dict[str, dict[str, str]]
) -> None:
    from PIL import Image

    issued = _issue(client, keys, ENTRIES["vaccination"])
    widths = []
    for size in ("small", "medium", "large"):
        png = client.get(
            f"/api/v1/certificates/{issued['id']}/qr.png?size={size}", headers=keys["issuer"]
        ).content
        with Image.open(io.BytesIO(png)) as image:
            widths.append(image.width)
    assert widths[0] * 4 == widths[1] * 3  # 3 and 4 pixels a module
    assert widths[2] == widths[1] * 2  # 8 pixels a module, for print


@pytest.mark.parametrize("path", ["pdf?size=huge", "qr.png?size=", "qr.svg?size=LARGE"])
def test_an_unknown_size_is_refused(
    client: TestClient, keys: dict[str, dict[str, str]], path: str
) -> None:
    issued = _issue(client, keys, ENTRIES["vaccination"])
    answer = client.get(f"/api/v1/certificates/{issued['id']}/{path}", headers=keys["issuer"])
    assert answer.status_code == 422
    assert "small" in answer.text and "large" in answer.text


def test_chinese_names_run_together_and_others_keep_their_space() -> None:
    from healthcert.model.written_name import written_name

    assert written_name("王", "小明") == "王小明"
    assert written_name("欧阳", "娜娜") == "欧阳娜娜"
    assert written_name("Müller", "Anna Lena") == "Müller Anna Lena"
    assert written_name("WANG", "XIAOMING") == "WANG XIAOMING"
    assert written_name("王", None) == "王"
    assert written_name(None, " ") == ""
    assert written_name("김", "민준") == "김민준"


@pytest.mark.parametrize("country", ["CN", "DE", "FR"])
@pytest.mark.parametrize("kind", list(ENTRIES))
def test_every_kind_fits_one_page_in_every_language_with_the_large_code(
    country: str, kind: str
) -> None:
    """Rendered without the service: the issuing country picks the second language."""
    from datetime import UTC, datetime

    import pypdfium2

    from healthcert.model.certificate import Certificate
    from healthcert.service.issuance import certificate_document
    from healthcert.service.paper import PaperFacts, render_pdf

    uvci = f"URN:UVCI:01:{country}:ABCDEF0123456789#Q"
    document = certificate_document(samples.holder("E12345678"), ENTRIES[kind], country, "X", uvci)
    certificate = Certificate.model_validate(document).model_dump(mode="json")
    moment = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
    facts = PaperFacts(uvci, country, "Ministry of Health", "E12345678", moment, moment)
    pdf = render_pdf(certificate, "HC1:" + "6BF" * 150, facts, "large")
    document_pdf = pypdfium2.PdfDocument(pdf)
    assert len(document_pdf) == 1
    text = document_pdf[0].get_textpage()
    last = text.count_chars() - 1
    bottom = text.get_charbox(last)[1]
    assert bottom > 10 * 72 / 25.4  # the last line ends above a 10 mm bottom margin
    assert text.get_text_range().rstrip().endswith("。" if country == "CN" else ".")
