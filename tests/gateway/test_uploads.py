"""Uploads to the gateway: what it accepts, and each refusal with its reason."""

from __future__ import annotations

import base64
import hashlib
from datetime import UTC, datetime, timedelta

import pytest
from asn1crypto import cms as asn1_cms
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from fastapi.testclient import TestClient

from healthcert.keys.csca import create_csca
from healthcert.keys.dsc import create_dsc
from healthcert.keys.material import CertifiedKey
from healthcert.keys.party import create_party
from tests.gateway.world import Country, batch_document, cms, der, rule_document


def _post(client: TestClient, country: Country, path: str, body: bytes) -> tuple[int, str]:
    answer = client.post(path, content=body, headers=country.auth_header())
    return answer.status_code, str(answer.json().get("detail", answer.json()))


def test_a_dsc_signed_by_the_countrys_csca_is_accepted(client: TestClient, de: Country) -> None:
    dsc = de.new_dsc()
    answer = client.post(
        "/signerCertificate", content=cms(der(dsc), de.upload), headers=de.auth_header()
    )
    assert answer.status_code == 201
    listed = client.get("/trustList/DSC/DE").json()
    assert [entry["rawData"] for entry in listed] == [base64.b64encode(der(dsc)).decode()]


def test_a_dsc_of_another_country_is_refused(client: TestClient, de: Country, fr: Country) -> None:
    status, detail = _post(client, de, "/signerCertificate", cms(der(fr.new_dsc()), de.upload))
    assert (status, detail) == (400, "a DSC of FR uploaded by DE")


def test_a_dsc_not_signed_by_the_countrys_csca_is_refused(client: TestClient, de: Country) -> None:
    stranger = create_dsc(create_csca("DE"))
    status, detail = _post(client, de, "/signerCertificate", cms(der(stranger), de.upload))
    assert (status, detail) == (400, "the DSC is not signed by an onboarded CSCA of DE")


def test_a_kid_that_exists_is_refused(client: TestClient, de: Country) -> None:
    dsc = de.new_dsc()
    assert _post(client, de, "/signerCertificate", cms(der(dsc), de.upload))[0] == 201
    status, detail = _post(client, de, "/signerCertificate", cms(der(dsc), de.upload))
    assert status == 409 and detail.endswith("exists already")


def test_the_same_upload_sent_again_is_a_replay(client: TestClient, de: Country) -> None:
    body = cms(der(de.new_dsc()), de.upload)
    assert _post(client, de, "/signerCertificate", body)[0] == 201
    status, detail = _post(client, de, "/signerCertificate", body)
    assert (status, detail) == (409, "replayed upload: this exact CMS was accepted before")


def test_an_old_upload_is_refused_as_a_replay(client: TestClient, de: Country) -> None:
    # Signed 20 minutes ago (cryptography's builder stamps the signing time from the clock).
    old = _signed_at(der(de.new_dsc()), de.upload, datetime.now(UTC) - timedelta(minutes=20))
    status, detail = _post(client, de, "/signerCertificate", base64.b64encode(old))
    assert status == 400 and detail.startswith("replayed or stale upload: signed at")


def test_an_upload_signed_by_a_key_not_onboarded_is_refused(
    client: TestClient, de: Country
) -> None:
    stranger = create_party("DE", "upload")
    status, detail = _post(client, de, "/signerCertificate", cms(der(de.new_dsc()), stranger))
    assert (status, detail) == (403, "the CMS signer is not an onboarded UPLOAD certificate of DE")


def test_an_upload_signed_by_another_countrys_upload_key_is_refused(
    client: TestClient, de: Country, fr: Country
) -> None:
    status, _detail = _post(client, de, "/signerCertificate", cms(der(de.new_dsc()), fr.upload))
    assert status == 403


def test_a_tampered_cms_is_refused(client: TestClient, de: Country) -> None:
    signed = bytearray(base64.b64decode(cms(der(de.new_dsc()), de.upload)))
    signed[-3] ^= 0x01
    status, detail = _post(client, de, "/signerCertificate", base64.b64encode(bytes(signed)))
    assert status == 400 and detail.startswith("bad CMS:")


def test_a_client_without_a_certificate_gets_401(client: TestClient, de: Country) -> None:
    answer = client.post("/signerCertificate", content=cms(der(de.new_dsc()), de.upload))
    assert answer.status_code == 401
    assert answer.json()["detail"] == "no client certificate: authenticate with TLS"


def test_an_unknown_certificate_gets_401(client: TestClient, de: Country) -> None:
    headers = de.auth_header(create_party("DE", "auth"))
    answer = client.post(
        "/signerCertificate", content=cms(der(de.new_dsc()), de.upload), headers=headers
    )
    assert answer.status_code == 401
    assert answer.json()["detail"] == "unknown client certificate: not onboarded at this gateway"


def test_a_known_certificate_without_the_role_gets_403(client: TestClient, de: Country) -> None:
    headers = de.auth_header(de.upload)
    answer = client.post(
        "/signerCertificate", content=cms(der(de.new_dsc()), de.upload), headers=headers
    )
    assert answer.status_code == 403
    assert (
        answer.json()["detail"] == "this certificate is onboarded as UPLOAD, not as AUTHENTICATION"
    )


def test_the_proxy_header_counts_only_from_the_trusted_proxy(settings: object, de: Country) -> None:
    from dataclasses import replace

    from healthcert.gateway.app import GatewaySettings
    from tests.gateway.world import gateway_client

    assert isinstance(settings, GatewaySettings)
    elsewhere = gateway_client(replace(settings, trusted_proxies=frozenset({"10.0.0.1"})))
    answer = elsewhere.post(
        "/signerCertificate", content=cms(der(de.new_dsc()), de.upload), headers=de.auth_header()
    )
    assert answer.status_code == 401


def test_a_rule_is_accepted_and_listed_by_country(client: TestClient, de: Country) -> None:
    assert _post(client, de, "/rules", cms(rule_document("VR-DE-0001"), de.upload))[0] == 201
    listed = client.get("/rules/DE").json()
    assert list(listed) == ["VR-DE-0001"] and listed["VR-DE-0001"][0]["version"] == "1.0.0"
    assert client.get("/rules/FR").json() == {}


def test_a_rule_whose_identifier_and_country_differ_is_refused(
    client: TestClient, de: Country
) -> None:
    status, detail = _post(
        client, de, "/rules", cms(rule_document("VR-FR-0001", Country="DE"), de.upload)
    )
    assert status == 400 and "Identifier names country FR but Country is DE" in detail


def test_a_rule_of_another_country_is_refused(client: TestClient, de: Country) -> None:
    status, detail = _post(client, de, "/rules", cms(rule_document("VR-FR-0001"), de.upload))
    assert (status, detail) == (400, "rule VR-FR-0001 is of FR, uploaded by DE")


def test_a_rule_version_that_does_not_increase_is_refused(client: TestClient, de: Country) -> None:
    assert (
        _post(client, de, "/rules", cms(rule_document("VR-DE-0002", Version="1.1.0"), de.upload))[0]
        == 201
    )
    status, detail = _post(
        client, de, "/rules", cms(rule_document("VR-DE-0002", Version="1.0.5"), de.upload)
    )
    assert (status, detail) == (400, "rule VR-DE-0002: version 1.0.5 does not increase on 1.1.0")
    assert (
        _post(client, de, "/rules", cms(rule_document("VR-DE-0002", Version="1.2.0"), de.upload))[0]
        == 201
    )


def test_an_acceptance_rule_valid_within_48_hours_is_refused(
    client: TestClient, de: Country
) -> None:
    soon = (datetime.now(UTC) + timedelta(hours=47)).strftime("%Y-%m-%dT%H:%M:%SZ")
    status, detail = _post(
        client, de, "/rules", cms(rule_document("VR-DE-0003", ValidFrom=soon), de.upload)
    )
    assert status == 400 and detail.endswith("is before 48 hours after upload")


def test_a_revocation_batch_is_accepted_and_listed(client: TestClient, de: Country) -> None:
    assert client.get("/revocation-list").status_code == 204
    assert (
        _post(client, de, "/revocation-list", cms(batch_document("DE", b"\x01" * 16), de.upload))[0]
        == 201
    )
    listing = client.get("/revocation-list").json()
    assert [item["country"] for item in listing["batches"]] == ["DE"]
    batch = client.get(f"/revocation-list/{listing['batches'][0]['batchId']}").json()
    assert batch["batch"]["entries"] == [{"hash": base64.b64encode(b"\x01" * 16).decode()}]


def test_a_batch_for_another_country_is_refused(client: TestClient, de: Country) -> None:
    status, detail = _post(
        client, de, "/revocation-list", cms(batch_document("FR", b"\x02" * 16), de.upload)
    )
    assert (status, detail) == (400, "a revocation batch for FR uploaded by DE")


def test_a_batch_with_a_short_hash_is_refused(client: TestClient, de: Country) -> None:
    status, detail = _post(
        client, de, "/revocation-list", cms(batch_document("DE", b"\x02" * 8), de.upload)
    )
    assert (status, detail) == (400, "each entry's hash must be base64 of 16 bytes")


def test_a_deletion_removes_a_dsc_and_shows_in_the_delta(client: TestClient, de: Country) -> None:
    dsc = de.new_dsc()
    assert _post(client, de, "/signerCertificate", cms(der(dsc), de.upload))[0] == 201
    seq = int(
        client.post(
            "/signerCertificate/delete", content=cms(der(dsc), de.upload), headers=de.auth_header()
        ).json()["seq"]
    )
    assert client.get("/trustList/DSC").json() == []
    delta = client.get(f"/trustList?since={seq - 1}").json()
    assert [(entry["certificateType"], entry.get("deleted")) for entry in delta] == [("DSC", True)]


def test_another_country_cannot_delete_a_dsc(client: TestClient, de: Country, fr: Country) -> None:
    dsc = de.new_dsc()
    assert _post(client, de, "/signerCertificate", cms(der(dsc), de.upload))[0] == 201
    status, detail = _post(client, fr, "/signerCertificate/delete", cms(der(dsc), fr.upload))
    assert status == 403 and detail.endswith("is a DSC of DE, not of FR")


@pytest.mark.parametrize("body", [b"", b"not base64 !", base64.b64encode(b"\x30\x03\x02\x01\x01")])
def test_a_body_that_is_no_cms_is_refused(client: TestClient, de: Country, body: bytes) -> None:
    status, _detail = _post(client, de, "/signerCertificate", body)
    assert status == 400


def _signed_at(content: bytes, party: CertifiedKey, when: datetime) -> bytes:
    """A CMS whose signing time is ``when``: built with asn1crypto, signed with the key."""
    certificate = asn1_x509.Certificate.load(der(party))
    attributes = asn1_cms.CMSAttributes(
        [
            {"type": "content_type", "values": ["data"]},
            {"type": "signing_time", "values": [asn1_cms.Time({"utc_time": when})]},
            {"type": "message_digest", "values": [hashlib.sha256(content).digest()]},
        ]
    )
    key = party.private_key
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    signature = key.sign(attributes.dump(), ec.ECDSA(hashes.SHA256()))
    signer = {
        "version": "v1",
        "sid": asn1_cms.SignerIdentifier(
            {
                "issuer_and_serial_number": {
                    "issuer": certificate.issuer,
                    "serial_number": certificate.serial_number,
                }
            }
        ),
        "digest_algorithm": {"algorithm": "sha256"},
        "signed_attrs": attributes,
        "signature_algorithm": {"algorithm": "sha256_ecdsa"},
        "signature": signature,
    }
    signed = asn1_cms.SignedData(
        {
            "version": "v1",
            "digest_algorithms": [{"algorithm": "sha256"}],
            "encap_content_info": {"content_type": "data", "content": content},
            "certificates": [certificate],
            "signer_infos": [signer],
        }
    )
    return asn1_cms.ContentInfo({"content_type": "signed_data", "content": signed}).dump()
