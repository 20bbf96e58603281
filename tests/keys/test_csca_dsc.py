from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from healthcert.errors import KeyStoreError
from healthcert.keys.csca import create_csca
from healthcert.keys.dsc import create_dsc
from healthcert.keys.eku import EKU_OIDS, kinds_from_certificate
from healthcert.model.kinds import ALL_KINDS, EntryKind
from healthcert.trust.anchors import is_issued_by

NOW = datetime(2026, 3, 1, tzinfo=UTC)


def _ext(cert: x509.Certificate, kind: type[x509.ExtensionType]) -> x509.Extension[Any]:
    return cert.extensions.get_extension_for_class(kind)


def test_csca_is_a_long_lived_self_signed_p256_ca() -> None:
    csca = create_csca("fr", now=NOW).certificate
    assert csca.subject == csca.issuer
    assert csca.subject.get_attributes_for_oid(NameOID.COUNTRY_NAME)[0].value == "FR"
    assert "healthcert CSCA FR" in csca.subject.rfc4514_string()
    assert isinstance(csca.public_key(), ec.EllipticCurvePublicKey)
    assert csca.not_valid_after_utc - csca.not_valid_before_utc >= timedelta(days=3650)
    constraints = _ext(csca, x509.BasicConstraints)
    assert constraints.critical and constraints.value.ca
    usage = _ext(csca, x509.KeyUsage).value
    assert usage.key_cert_sign and usage.crl_sign and not usage.digital_signature
    csca.verify_directly_issued_by(csca)


def test_csca_takes_a_name() -> None:
    csca = create_csca("DE", "Robert Koch-Institut CSCA", now=NOW).certificate
    assert csca.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == (
        "Robert Koch-Institut CSCA"
    )


@pytest.mark.parametrize("country", ["", "D", "DEU", "1A", "D-"])
def test_csca_needs_a_two_letter_country(country: str) -> None:
    with pytest.raises(KeyStoreError, match="two-letter"):
        create_csca(country)


def test_dsc_is_signed_by_its_csca_and_limited_to_its_kinds() -> None:
    csca = create_csca("DE", now=NOW)
    dsc = create_dsc(csca, [EntryKind.VACCINATION], now=NOW).certificate
    dsc.verify_directly_issued_by(csca.certificate)
    assert is_issued_by(dsc, csca.certificate)
    assert dsc.issuer == csca.certificate.subject
    assert dsc.subject.get_attributes_for_oid(NameOID.COUNTRY_NAME)[0].value == "DE"
    usage = _ext(dsc, x509.KeyUsage)
    assert usage.critical and usage.value.digital_signature and not usage.value.key_cert_sign
    eku = _ext(dsc, x509.ExtendedKeyUsage).value
    assert [oid.dotted_string for oid in eku] == [EKU_OIDS[EntryKind.VACCINATION]]
    assert kinds_from_certificate(dsc) == {EntryKind.VACCINATION}
    assert not _ext(dsc, x509.BasicConstraints).value.ca


def test_dsc_key_identifiers_link_to_the_csca() -> None:
    csca = create_csca("DE", now=NOW)
    dsc = create_dsc(csca, now=NOW).certificate
    ski = _ext(csca.certificate, x509.SubjectKeyIdentifier).value
    aki = _ext(dsc, x509.AuthorityKeyIdentifier).value
    assert aki.key_identifier == ski.digest
    own = _ext(dsc, x509.SubjectKeyIdentifier).value
    assert own == x509.SubjectKeyIdentifier.from_public_key(dsc.public_key())


def test_dsc_defaults_two_years_all_kinds_es256() -> None:
    csca = create_csca("DE", now=NOW)
    dsc = create_dsc(csca, now=NOW).certificate
    assert dsc.not_valid_after_utc - dsc.not_valid_before_utc == timedelta(days=730)
    assert kinds_from_certificate(dsc) == ALL_KINDS
    public_key = dsc.public_key()
    assert isinstance(public_key, ec.EllipticCurvePublicKey)
    assert public_key.curve.name == "secp256r1"


def test_ps256_dsc_is_rsa_3072() -> None:
    csca = create_csca("DE", now=NOW)
    dsc = create_dsc(csca, algorithm="PS256", now=NOW).certificate
    public_key = dsc.public_key()
    assert isinstance(public_key, rsa.RSAPublicKey)
    assert public_key.key_size == 3072


def test_dsc_never_outlives_its_csca() -> None:
    csca = create_csca("DE", days=100, now=NOW)
    dsc = create_dsc(csca, days=730, now=NOW).certificate
    assert dsc.not_valid_after_utc == csca.certificate.not_valid_after_utc


def test_no_dsc_from_an_expired_csca() -> None:
    csca = create_csca("DE", days=10, now=NOW)
    with pytest.raises(KeyStoreError, match="expired"):
        create_dsc(csca, now=NOW + timedelta(days=11))


def test_a_dsc_must_sign_something() -> None:
    with pytest.raises(KeyStoreError, match="at least one kind"):
        create_dsc(create_csca("DE", now=NOW), [], now=NOW)


def test_unknown_algorithm() -> None:
    with pytest.raises(KeyStoreError, match="unsupported algorithm"):
        create_dsc(create_csca("DE", now=NOW), algorithm="EdDSA", now=NOW)  # type: ignore[arg-type]
