"""Border keys in a trust store: found by country and validity, their CSCA's rule applies."""

from __future__ import annotations

import base64
from datetime import timedelta

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from healthcert.keys.border import BORDER_OID, create_border_key
from healthcert.keys.csca import create_csca
from healthcert.keys.dsc import create_dsc
from healthcert.keys.kid import kid_of
from healthcert.trust.border import (
    border_certificate_problem,
    border_keys_for,
    is_border_certificate,
    is_border_key,
)
from healthcert.trust.certificates import import_certificates
from healthcert.trust.eulist import import_eu_list
from healthcert.trust.store import TrustStore

from ..rules.certs import KEYS_MADE, make_issuer


def _pem(*certificates: x509.Certificate) -> bytes:
    return b"".join(c.public_bytes(Encoding.PEM) for c in certificates)


def _store_with_border(country: str = "FR") -> tuple[TrustStore, bytes]:
    csca = create_csca(country, now=KEYS_MADE)
    border = create_border_key(csca, now=KEYS_MADE, days=30)
    store = TrustStore()
    store.add_batch(import_certificates(_pem(csca.certificate, border.certificate), "test"))
    [key] = list(store)
    return store, key.kid


def test_a_border_certificate_is_found_by_its_country_within_its_validity() -> None:
    store, kid = _store_with_border("FR")
    at = KEYS_MADE + timedelta(days=1)
    [found] = border_keys_for(store, "fr", at)
    assert found.kid == kid and found.country == "FR" and is_border_key(found)
    assert border_keys_for(store, "DE", at) == []
    assert border_keys_for(store, "FR", KEYS_MADE + timedelta(days=31)) == []
    assert border_keys_for(store, "FR", KEYS_MADE - timedelta(days=1)) == []


def test_a_signing_key_is_not_a_border_key() -> None:
    issuer = make_issuer("DE")
    assert [key for key in issuer.trust if is_border_key(key)] == []
    assert not is_border_certificate(None)
    assert border_keys_for(issuer.trust, "DE", KEYS_MADE + timedelta(days=1)) == []


def test_a_border_certificate_another_csca_signed_is_not_trusted() -> None:
    csca = create_csca("FR", now=KEYS_MADE)
    stranger = create_border_key(create_csca("FR", now=KEYS_MADE), now=KEYS_MADE)
    store = TrustStore()
    store.add_batch(import_certificates(_pem(csca.certificate, stranger.certificate), "test"))
    assert list(store) == [] and len(store.skipped) == 1


def _entry(certificate: x509.Certificate, kind: str) -> dict[str, str]:
    raw = certificate.public_bytes(Encoding.DER)
    return {
        "certificateType": kind,
        "country": "FR",
        "rawData": base64.b64encode(raw).decode(),
        "kid": base64.b64encode(kid_of(certificate)).decode(),
    }


def test_an_eu_list_carries_border_keys_as_type_border() -> None:
    csca = create_csca("FR", now=KEYS_MADE)
    border = create_border_key(csca, now=KEYS_MADE, days=30)
    dsc = create_dsc(csca, now=KEYS_MADE)
    listed = [
        _entry(csca.certificate, "CSCA"),
        _entry(border.certificate, "BORDER"),
        _entry(dsc.certificate, "BORDER"),  # a DSC listed as a border key is no border key
    ]
    batch = import_eu_list(listed, "list")
    assert [key.kid for key in batch.keys] == [kid_of(border.certificate)]
    assert [skip.reason for skip in batch.skipped] == [
        f"listed as a border key, but its extended key usage does not name the border key usage "
        f"{BORDER_OID}"
    ]
    store = TrustStore()
    result = store.add_batch(batch)
    assert (result.added, result.border_keys) == (1, 1)
    at = KEYS_MADE + timedelta(days=1)
    assert [key.kid for key in border_keys_for(store, "FR", at)] == [kid_of(border.certificate)]


def test_a_border_certificate_problem_names_what_is_wrong() -> None:
    csca = create_csca("FR", now=KEYS_MADE)
    assert border_certificate_problem(create_border_key(csca, now=KEYS_MADE).certificate) is None
    assert border_certificate_problem(None) == "the certificate is not strict DER"
    assert border_certificate_problem(csca.certificate) == (
        f"its extended key usage does not name the border key usage {BORDER_OID}"
    )


def test_the_border_index_follows_what_is_added_and_removed() -> None:
    csca = create_csca("FR", now=KEYS_MADE)
    store = TrustStore()
    store.add_batch(import_certificates(_pem(csca.certificate), "csca"))
    at = KEYS_MADE + timedelta(days=1)
    assert border_keys_for(store, "FR", at) == []  # the index is built now, empty
    border = create_border_key(csca, now=KEYS_MADE)
    store.add_batch(import_certificates(_pem(border.certificate), "border"))
    [found] = border_keys_for(store, "FR", at)
    assert found.source == "border"
    assert store.remove(lambda key: key.source == "border") == 1
    assert border_keys_for(store, "FR", at) == []
