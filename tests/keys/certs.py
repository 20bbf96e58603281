"""A self-signed certificate with a chosen extended key usage, for the key tests."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

CLIENT_AUTH = ExtendedKeyUsageOID.CLIENT_AUTH.dotted_string


def self_signed(eku: Sequence[str] | None = None) -> x509.Certificate:
    """A P-256 certificate; ``eku`` None leaves the extension out."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "DE")])
    start = datetime(2026, 1, 1, tzinfo=UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + timedelta(days=30))
    )
    if eku is not None:
        usage = x509.ExtendedKeyUsage([x509.ObjectIdentifier(oid) for oid in eku])
        builder = builder.add_extension(usage, critical=False)
    return builder.sign(key, hashes.SHA256())
