"""Border certificates at the gateway: a country uploads its border key's certificate at
/borderCertificate (CMS by its UPLOAD key), every other country downloads it as the trust
list's type BORDER; each refusal says why, and a border key is never taken as a DSC nor a DSC
as a border key."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from fastapi.testclient import TestClient

from healthcert.gateway.anchor import GatewayAnchor
from healthcert.gateway.cms import read_cms
from healthcert.gateway.wire import SIGNATURE_HEADER, check_download
from healthcert.keys.border import BORDER_OID
from healthcert.keys.csca import create_csca
from healthcert.keys.kid import kid_of_der
from tests.gateway.border_world import KEY_AGREEMENT, border_of, made_by_csca
from tests.gateway.world import Country, cms, der
from tests.trust import quirky

BORDER = "/borderCertificate"


def _post(client: TestClient, country: Country, path: str, body: bytes) -> tuple[int, str]:
    answer = client.post(path, content=body, headers=country.auth_header())
    document: dict[str, Any] = answer.json()
    return answer.status_code, str(document.get("detail", document))


def _raw(entries: list[dict[str, Any]]) -> list[bytes]:
    return [base64.b64decode(entry["rawData"]) for entry in entries]


def test_a_border_certificate_is_accepted_and_listed_as_border(
    client: TestClient, de: Country, anchor: GatewayAnchor
) -> None:
    border = der(border_of(de))
    dsc = der(de.new_dsc())
    answer = client.post(BORDER, content=cms(border, de.upload), headers=de.auth_header())
    assert answer.status_code == 201
    kid = base64.b64encode(kid_of_der(border)).decode()
    assert answer.json() == {
        "accepted": "border certificate",
        "id": kid,
        "seq": answer.json()["seq"],
    }
    assert _post(client, de, "/signerCertificate", cms(dsc, de.upload))[0] == 201

    listed = client.get("/trustList/BORDER/DE")
    assert _raw(listed.json()) == [border]
    [entry] = listed.json()
    assert (entry["certificateType"], entry["country"], entry["kid"]) == ("BORDER", "DE", kid)
    # Like a DSC's, the entry carries the uploader's CMS over the certificate.
    assert read_cms(base64.b64decode(entry["signature"])).content == border
    check_download(
        anchor.certificate,
        listed.headers[SIGNATURE_HEADER],
        listed.content,
        target="/trustList/BORDER/DE",
    )
    assert _raw(client.get("/trustList/DSC").json()) == [dsc]
    assert client.get("/trustList/BORDER/FR").json() == []
    whole = client.get("/trustList").json()
    assert [e["certificateType"] for e in whole if e["country"] == "DE"] == [
        "CSCA",
        "UPLOAD",
        "AUTHENTICATION",
        "BORDER",
        "DSC",
    ]


def test_border_certificates_page_and_delta_as_dscs_do(client: TestClient, de: Country) -> None:
    first, second = der(border_of(de)), der(border_of(de))
    seq = int(
        client.post(BORDER, content=cms(first, de.upload), headers=de.auth_header()).json()["seq"]
    )
    assert _post(client, de, BORDER, cms(second, de.upload))[0] == 201
    assert _raw(client.get("/trustList/BORDER?pagesize=1&page=0").json()) == [first]
    assert _raw(client.get("/trustList/BORDER?pagesize=1&page=1").json()) == [second]
    assert _raw(client.get(f"/trustList/BORDER?since={seq}").json()) == [second]

    answer = client.request(
        "DELETE", BORDER, content=cms(first, de.upload), headers=de.auth_header()
    )
    assert answer.status_code == 201 and answer.json()["accepted"] == "border certificate deleted"
    assert _raw(client.get("/trustList/BORDER").json()) == [second]
    delta = client.get(f"/trustList?since={seq}").json()
    assert [
        (e["certificateType"], e.get("deleted"), base64.b64decode(e["rawData"])) for e in delta
    ] == [
        ("BORDER", None, second),
        ("BORDER", True, first),
    ]


def test_a_border_certificate_uploaded_as_a_dsc_is_refused(client: TestClient, de: Country) -> None:
    status, detail = _post(client, de, "/signerCertificate", cms(der(border_of(de)), de.upload))
    assert (status, detail) == (
        400,
        "a border certificate signs nothing: upload it to /borderCertificate, not as a DSC",
    )
    assert client.get("/trustList/DSC").json() == []


def test_a_dsc_uploaded_as_a_border_certificate_is_refused(client: TestClient, de: Country) -> None:
    status, detail = _post(client, de, BORDER, cms(der(de.new_dsc()), de.upload))
    assert (status, detail) == (
        400,
        "not a border certificate: its extended key usage does not name the border key usage "
        f"{BORDER_OID}",
    )
    assert client.get("/trustList/BORDER").json() == []


def test_a_border_certificate_of_another_country_is_refused(
    client: TestClient, de: Country, fr: Country
) -> None:
    status, detail = _post(client, de, BORDER, cms(der(border_of(fr)), de.upload))
    assert (status, detail) == (400, "a border certificate of FR uploaded by DE")


def test_a_border_certificate_uploaded_with_another_countrys_key_is_refused(
    client: TestClient, de: Country, fr: Country
) -> None:
    status, detail = _post(client, de, BORDER, cms(der(border_of(de)), fr.upload))
    assert (status, detail) == (403, "the CMS signer is not an onboarded UPLOAD certificate of DE")


def test_a_border_certificate_another_csca_signed_is_refused(
    client: TestClient, de: Country
) -> None:
    stranger = Country("DE", create_csca("DE"), de.upload, de.auth)
    status, detail = _post(client, de, BORDER, cms(der(border_of(stranger)), de.upload))
    assert (status, detail) == (
        400,
        "the border certificate is not signed by an onboarded CSCA of DE",
    )


def test_a_border_certificate_that_is_not_strict_der_is_refused(
    client: TestClient, de: Country
) -> None:
    # BasicConstraints with its DEFAULT cA FALSE spelled out, signed by DE's real CSCA.
    loose = quirky.rebuild(border_of(de), quirky.explicit_ca_false, de.csca.private_key).der
    status, detail = _post(client, de, BORDER, cms(loose, de.upload))
    assert status == 400
    assert detail == (
        "the border certificate must be strict DER (not strict DER, read tolerantly: "
        "BasicConstraints encodes its DEFAULT cA FALSE explicitly)"
    )


NO_SIGNING = {**KEY_AGREEMENT, "digital_signature": True}


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"eku": False}, f"its extended key usage does not name the border key usage {BORDER_OID}"),
        (
            {"usage": NO_SIGNING},
            "its key usage must be key agreement alone (it signs nothing)",
        ),
        (
            {"usage": {**KEY_AGREEMENT, "key_agreement": False, "key_encipherment": True}},
            "its key usage must be key agreement alone (it signs nothing)",
        ),
        ({"key": ec.generate_private_key(ec.SECP384R1())}, "a border key must be EC P-256"),
        (
            {"key": rsa.generate_private_key(public_exponent=65537, key_size=2048)},
            "a border key must be EC P-256",
        ),
    ],
    ids=["no border EKU", "signing too", "key encipherment", "P-384", "RSA"],
)
def test_a_certificate_that_is_no_border_key_is_refused(
    client: TestClient, de: Country, changes: dict[str, Any], reason: str
) -> None:
    status, detail = _post(client, de, BORDER, cms(made_by_csca(de, **changes), de.upload))
    assert (status, detail) == (400, f"not a border certificate: {reason}")


def test_a_ca_certificate_is_refused(client: TestClient, de: Country) -> None:
    status, detail = _post(client, de, BORDER, cms(made_by_csca(de, ca=True), de.upload))
    assert (status, detail) == (400, "not a border certificate: a CA certificate")


def test_an_expired_border_certificate_is_refused_and_a_future_one_accepted(
    client: TestClient, de: Country
) -> None:
    expired = made_by_csca(de, days=(-30, -1))
    status, detail = _post(client, de, BORDER, cms(expired, de.upload))
    assert status == 400 and detail.startswith("the border certificate expired on ")
    # Published ahead of a rollover: issuers only seal to it once it is valid.
    assert _post(client, de, BORDER, cms(made_by_csca(de, days=(10, 40)), de.upload))[0] == 201


def test_the_made_border_certificate_is_sound(client: TestClient, de: Country) -> None:
    # The helper's certificate with nothing changed is accepted: each refusal above is its own.
    assert _post(client, de, BORDER, cms(made_by_csca(de), de.upload))[0] == 201


def test_a_border_kid_that_exists_is_refused(client: TestClient, de: Country) -> None:
    border = der(border_of(de))
    assert _post(client, de, BORDER, cms(border, de.upload))[0] == 201
    status, detail = _post(client, de, BORDER, cms(border, de.upload))
    assert status == 409 and detail.endswith("exists already")


def test_deletions_keep_to_their_own_type_and_country(
    client: TestClient, de: Country, fr: Country
) -> None:
    border, dsc = der(border_of(de)), der(de.new_dsc())
    assert _post(client, de, BORDER, cms(border, de.upload))[0] == 201
    assert _post(client, de, "/signerCertificate", cms(dsc, de.upload))[0] == 201
    kid = base64.b64encode(kid_of_der(border)).decode()
    status, detail = _post(client, de, "/signerCertificate/delete", cms(border, de.upload))
    assert (status, detail) == (404, f"no DSC with kid {kid}")
    status, detail = _post(client, de, f"{BORDER}/delete", cms(dsc, de.upload))
    assert status == 404 and detail.startswith("no border certificate with kid")
    status, detail = _post(client, fr, f"{BORDER}/delete", cms(border, fr.upload))
    assert (status, detail) == (403, f"kid {kid} is a border certificate of DE, not of FR")
    assert _raw(client.get("/trustList/BORDER").json()) == [border]
