"""The Country Signing CA (CSCA): the long-lived anchor that certifies an issuer's DSCs."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from healthcert.errors import KeyStoreError
from healthcert.keys.material import CertifiedKey

# A CSCA must outlive every DSC it signs and every certificate those DSCs sign.
CSCA_DAYS = 12 * 365 + 3
_COUNTRY = re.compile(r"[A-Z]{2}")


def check_country(country: str) -> str:
    """The ISO 3166-1 alpha-2 code, upper case; KeyStoreError when it is not two letters."""
    code = country.strip().upper()
    if not _COUNTRY.fullmatch(code):
        raise KeyStoreError(f"country must be a two-letter ISO 3166 code, got {country!r}")
    return code


def create_csca(
    country: str,
    name: str | None = None,
    *,
    days: int = CSCA_DAYS,
    now: datetime | None = None,
    private_key: ec.EllipticCurvePrivateKey | None = None,
) -> CertifiedKey:
    """A new self-signed CSCA (EC P-256 unless a key is given) for ``country``."""
    code = check_country(country)
    if days < 1:
        raise KeyStoreError("a CSCA must be valid for at least one day")
    key = private_key or ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, code),
            x509.NameAttribute(NameOID.COMMON_NAME, name or f"healthcert CSCA {code}"),
        ]
    )
    start = (now or datetime.now(UTC)).replace(microsecond=0)
    ski = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_ca_key_usage(), critical=True)
        .add_extension(ski, critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski), critical=False
        )
    )
    return CertifiedKey(key, builder.sign(key, hashes.SHA256()))


def _ca_key_usage() -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=False,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=True,
        crl_sign=True,
        encipher_only=False,
        decipher_only=False,
    )
