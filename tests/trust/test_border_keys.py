"""Border keys in a trust store: found by country and validity, their CSCA's rule applies."""

from __future__ import annotations

from datetime import timedelta

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from healthcert.keys.border import create_border_key
from healthcert.keys.csca import create_csca
from healthcert.trust.border import border_keys_for, is_border_certificate, is_border_key
from healthcert.trust.certificates import import_certificates
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
