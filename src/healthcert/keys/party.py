"""A country's trusted parties at a gateway: its UPLOAD key (signs what it publishes) and its
AUTHENTICATION key (its TLS client certificate), each a self-signed certificate.

The gateway's operator records both at onboarding; neither signs health certificates, so both
carry a key usage and an extended key usage that say what they are for and nothing more.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Literal

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from healthcert.errors import KeyStoreError
from healthcert.keys.csca import check_country
from healthcert.keys.material import CertifiedKey

Usage = Literal["upload", "auth"]
USAGES: tuple[Usage, ...] = ("upload", "auth")
PARTY_DAYS = 2 * 365
# What the gateway's trust list calls each usage (the EU gateway's certificateType values).
CERTIFICATE_TYPES: dict[Usage, str] = {"upload": "UPLOAD", "auth": "AUTHENTICATION"}


def check_usage(usage: str) -> Usage:
    """``upload`` or ``auth``; KeyStoreError for anything else."""
    text = usage.strip().lower()
    for known in USAGES:
        if text == known:
            return known
    raise KeyStoreError(f"usage must be one of {', '.join(USAGES)}, got {usage!r}")


def create_party(
    country: str, usage: Usage, *, days: int = PARTY_DAYS, now: datetime | None = None
) -> CertifiedKey:
    """A new EC P-256 key and its self-signed certificate for ``usage`` of ``country``."""
    code = check_country(country)
    if days < 1:
        raise KeyStoreError("a party certificate must be valid for at least one day")
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, code),
            x509.NameAttribute(
                NameOID.COMMON_NAME, f"healthcert {CERTIFICATE_TYPES[usage]} {code}"
            ),
        ]
    )
    start = (now or datetime.now(UTC)).replace(microsecond=0)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start - timedelta(minutes=5))
        .not_valid_after(start + timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_usage(usage), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    )
    if usage == "auth":
        # A TLS client certificate. An UPLOAD certificate names no extended usage, as the EU
        # gateway's countries' do: its key usage (non-repudiation) says it signs content.
        usages = x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH])
        builder = builder.add_extension(usages, critical=False)
    return CertifiedKey(key, builder.sign(key, hashes.SHA256()))


def _usage(usage: Usage) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=True,
        content_commitment=usage == "upload",
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=usage == "auth",
        key_cert_sign=False,
        crl_sign=False,
        encipher_only=False,
        decipher_only=False,
    )
