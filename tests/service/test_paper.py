"""The paper certificate: the PDF opens, is bilingual, and its QR code, read back from the
page rendered to an image, verifies."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

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
        "王 小明",
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
