"""Downloads: the EU array form, paging, deltas, value sets, and the anchor's signature over
each exact body, which a client checks (request, sequence, expiry)."""

from __future__ import annotations

import base64
import hashlib
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
from cryptography.hazmat.primitives.serialization import Encoding
from fastapi.testclient import TestClient

from healthcert.gateway.anchor import GatewayAnchor
from healthcert.gateway.app import GatewaySettings
from healthcert.gateway.wire import (
    SIGNATURE_HEADER,
    DownloadRefused,
    check_download,
    entry_signature_holds,
)
from tests.gateway.world import Country, cms, der, gateway_client


def _upload_dsc(client: TestClient, country: Country) -> bytes:
    dsc = der(country.new_dsc())
    answer = client.post(
        "/signerCertificate", content=cms(dsc, country.upload), headers=country.auth_header()
    )
    assert answer.status_code == 201
    return dsc


def test_the_trust_list_is_the_eu_array_form(
    client: TestClient, de: Country, anchor: GatewayAnchor
) -> None:
    dsc = _upload_dsc(client, de)
    entries = client.get("/trustList").json()
    assert {entry["certificateType"] for entry in entries} == {
        "CSCA",
        "UPLOAD",
        "AUTHENTICATION",
        "DSC",
    }
    for entry in entries:
        assert set(entry) == {
            "kid",
            "timestamp",
            "country",
            "certificateType",
            "thumbprint",
            "signature",
            "rawData",
        }
        raw = base64.b64decode(entry["rawData"])
        assert entry["thumbprint"] == hashlib.sha256(raw).hexdigest()
        assert base64.b64decode(entry["kid"]) == hashlib.sha256(raw).digest()[:8]
        if entry["certificateType"] != "DSC":
            assert entry_signature_holds(
                anchor.certificate,
                entry["country"],
                entry["certificateType"],
                raw,
                entry["signature"],
            )
    dscs = [entry for entry in entries if entry["certificateType"] == "DSC"]
    assert [base64.b64decode(entry["rawData"]) for entry in dscs] == [dsc]


def test_an_entry_signature_binds_country_type_and_bytes(
    client: TestClient, anchor: GatewayAnchor
) -> None:
    entry = client.get("/trustList/CSCA/DE").json()[0]
    raw = base64.b64decode(entry["rawData"])
    assert entry_signature_holds(anchor.certificate, "DE", "CSCA", raw, entry["signature"])
    assert not entry_signature_holds(anchor.certificate, "FR", "CSCA", raw, entry["signature"])
    assert not entry_signature_holds(anchor.certificate, "DE", "UPLOAD", raw, entry["signature"])


def test_pages_say_whether_more_follow_and_the_signature_says_it_too(
    client: TestClient, anchor: GatewayAnchor
) -> None:
    first = client.get("/trustList?page=0&pagesize=4")
    last = client.get("/trustList?page=1&pagesize=4")
    assert len(first.json()) == 4 and len(last.json()) == 2
    stamp = check_download(
        anchor.certificate,
        first.headers[SIGNATURE_HEADER],
        first.content,
        target="/trustList?page=0&pagesize=4",
    )
    assert stamp.more is True
    stamp = check_download(
        anchor.certificate,
        last.headers[SIGNATURE_HEADER],
        last.content,
        target="/trustList?page=1&pagesize=4",
    )
    assert stamp.more is False


def test_a_delta_after_the_last_sequence_is_empty_and_a_new_dsc_shows(
    client: TestClient, de: Country, anchor: GatewayAnchor
) -> None:
    answer = client.get("/trustList")
    seq = check_download(
        anchor.certificate, answer.headers[SIGNATURE_HEADER], answer.content, target="/trustList"
    ).seq
    assert client.get(f"/trustList?since={seq}").json() == []
    dsc = _upload_dsc(client, de)
    assert [
        base64.b64decode(e["rawData"]) for e in client.get(f"/trustList?since={seq}").json()
    ] == [dsc]


def test_if_modified_since_selects_newer_entries(client: TestClient, de: Country) -> None:
    later = format_datetime(datetime.now(UTC) + timedelta(hours=1), usegmt=True)
    assert client.get("/trustList", headers={"If-Modified-Since": later}).json() == []
    earlier = format_datetime(datetime.now(UTC) - timedelta(hours=1), usegmt=True)
    assert len(client.get("/trustList", headers={"If-Modified-Since": earlier}).json()) == 6
    assert client.get("/trustList", headers={"If-Modified-Since": "yesterday"}).status_code == 400


def test_value_sets_are_served(client: TestClient) -> None:
    ids = client.get("/valuesets").json()
    assert "disease-agent-targeted" in ids
    found = client.get("/valuesets/disease-agent-targeted").json()
    assert found["valueSetValues"]["840539006"]["display"] == "COVID-19"
    assert client.get("/valuesets/nothing").status_code == 404


@pytest.mark.parametrize(
    "target", ["/trustList/XYZ", "/trustList?pagesize=0", "/trustList?page=-1", "/rules/DEU"]
)
def test_bad_queries_are_400(client: TestClient, target: str) -> None:
    assert client.get(target).status_code == 400


def test_a_tampered_body_is_refused(client: TestClient, anchor: GatewayAnchor) -> None:
    answer = client.get("/trustList")
    body = answer.content.replace(b'"DE"', b'"XX"', 1)
    with pytest.raises(DownloadRefused, match="wrong signature"):
        check_download(
            anchor.certificate, answer.headers[SIGNATURE_HEADER], body, target="/trustList"
        )


def test_a_body_for_another_request_is_refused(client: TestClient, anchor: GatewayAnchor) -> None:
    answer = client.get("/trustList/DSC")
    with pytest.raises(DownloadRefused, match="not '/trustList'"):
        check_download(
            anchor.certificate,
            answer.headers[SIGNATURE_HEADER],
            answer.content,
            target="/trustList",
        )


def test_an_older_sequence_is_refused(
    client: TestClient, de: Country, anchor: GatewayAnchor
) -> None:
    old = client.get("/trustList")
    _upload_dsc(client, de)
    new = client.get("/trustList")
    held = check_download(
        anchor.certificate, new.headers[SIGNATURE_HEADER], new.content, target="/trustList"
    ).seq
    with pytest.raises(DownloadRefused, match="old sequence"):
        check_download(
            anchor.certificate,
            old.headers[SIGNATURE_HEADER],
            old.content,
            target="/trustList",
            min_seq=held,
        )


def test_an_expired_download_is_refused(settings: GatewaySettings, anchor: GatewayAnchor) -> None:
    past = gateway_client(replace(settings, clock=lambda: datetime.now(UTC) - timedelta(days=2)))
    answer = past.get("/trustList")
    with pytest.raises(DownloadRefused, match="expired"):
        check_download(
            anchor.certificate,
            answer.headers[SIGNATURE_HEADER],
            answer.content,
            target="/trustList",
        )


def test_a_download_signed_by_another_anchor_is_refused(client: TestClient) -> None:
    from tests.gateway.world import new_anchor

    answer = client.get("/trustList")
    with pytest.raises(DownloadRefused, match="wrong signature"):
        check_download(
            new_anchor().certificate,
            answer.headers[SIGNATURE_HEADER],
            answer.content,
            target="/trustList",
        )


def test_an_unsigned_download_is_refused(anchor: GatewayAnchor) -> None:
    with pytest.raises(DownloadRefused, match="not signed"):
        check_download(anchor.certificate, None, b"[]", target="/trustList")


def test_the_did_route_answers_501_until_a_writer_is_wired(client: TestClient) -> None:
    answer = client.get("/v2/trustlist/DCC/-/-/did.json")
    assert answer.status_code == 501


def test_the_did_route_signs_what_the_writer_makes(
    settings: GatewaySettings, anchor: GatewayAnchor
) -> None:
    def writer(
        entries: list[dict[str, object]], domain: str, participant: str, usage: str
    ) -> dict[str, object] | None:
        if participant not in ("-", "DEU"):
            return None
        return {"id": f"did:web:test:{domain}:{participant}:{usage}", "count": len(entries)}

    client = gateway_client(replace(settings, did_writer=writer))
    answer = client.get("/v2/trustlist/DCC/DEU/-/did.json")
    assert answer.json() == {"id": "did:web:test:DCC:DEU:-", "count": 6}
    target = "/v2/trustlist/DCC/DEU/-/did.json"
    check_download(
        anchor.certificate, answer.headers[SIGNATURE_HEADER], answer.content, target=target
    )
    assert client.get("/v2/trustlist/DCC/XXX/-/did.json").status_code == 404


def test_the_did_trust_list_is_the_gateways_own_signed_by_its_anchor(
    settings: GatewaySettings, anchor: GatewayAnchor, de: Country
) -> None:
    from healthcert.gateway.did_list import did_writer
    from healthcert.trust.did import import_did_document

    client = gateway_client(replace(settings, did_writer=did_writer(anchor, "gw.example")))
    dsc = _upload_dsc(client, de)
    answer = client.get("/v2/trustlist/DCC/DEU/DSC/did.json")
    assert answer.status_code == 200, answer.text
    document = answer.json()
    assert document["id"] == "did:web:gw.example:v2:trustlist:DCC:DEU:DSC"
    read = import_did_document(document, "gateway", signers=[anchor.certificate])
    assert [
        (key.certificate.public_bytes(Encoding.DER), key.country)
        for key in read.keys
        if key.certificate
    ] == [(dsc, "DE")]
    assert "proof checked" in read.notes[0].reason
    # The whole list: every onboarded country's CSCA, UPLOAD and AUTHENTICATION, and the DSC.
    everyone = client.get("/v2/trustlist/DCC/-/-/did.json").json()
    assert len(everyone["verificationMethod"]) == len(client.get("/trustList").json())
    assert client.get("/v2/trustlist/DCC/ZZZ/-/did.json").status_code == 404
