"""Real certificates for the trust tests, built with cryptography (no fixtures from files)."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import NameOID

from healthcert.keys.csca import create_csca
from healthcert.keys.dsc import create_dsc
from healthcert.keys.material import CertifiedKey, PrivateKey
from healthcert.model.kinds import ALL_KINDS, EntryKind

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def csca(country: str = "DE") -> CertifiedKey:
    return create_csca(country, now=NOW - timedelta(days=30))


def dsc(authority: CertifiedKey, kinds: Sequence[EntryKind] = tuple(ALL_KINDS)) -> CertifiedKey:
    return create_dsc(authority, kinds, now=NOW - timedelta(days=1))


@dataclass
class Spec:
    """What to put into a hand-built certificate."""

    country: str | None = "DE"
    name: str = "test"
    ca: bool = False
    eku: Sequence[str] | None = None
    key_cert_sign: bool | None = None  # None: no keyUsage extension


def ec_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def rsa_key(bits: int = 2048) -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=bits)


def name(spec: Spec) -> x509.Name:
    attributes = [x509.NameAttribute(NameOID.COMMON_NAME, spec.name)]
    if spec.country:
        attributes.insert(0, x509.NameAttribute(NameOID.COUNTRY_NAME, spec.country))
    return x509.Name(attributes)


def build(
    spec: Spec,
    key: PrivateKey,
    issuer: CertifiedKey | None = None,
    *,
    rsa_padding: padding.PSS | padding.PKCS1v15 | None = None,
) -> x509.Certificate:
    """A certificate for ``key`` per ``spec``, signed by ``issuer`` (self-signed if None)."""
    signing_key = issuer.private_key if issuer else key
    builder = (
        x509.CertificateBuilder()
        .subject_name(name(spec))
        .issuer_name(issuer.certificate.subject if issuer else name(spec))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(NOW - timedelta(days=10))
        .not_valid_after(NOW + timedelta(days=365))
    )
    if spec.ca:
        builder = builder.add_extension(x509.BasicConstraints(ca=True, path_length=0), True)
    if spec.eku is not None:
        usage = x509.ExtendedKeyUsage([x509.ObjectIdentifier(oid) for oid in spec.eku])
        builder = builder.add_extension(usage, critical=False)
    if spec.key_cert_sign is not None:
        builder = builder.add_extension(key_usage(spec.key_cert_sign), critical=True)
    if isinstance(signing_key, rsa.RSAPrivateKey):
        return builder.sign(signing_key, hashes.SHA256(), rsa_padding=rsa_padding)
    return builder.sign(signing_key, hashes.SHA256())


def key_usage(cert_sign: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=not cert_sign,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=cert_sign,
        crl_sign=cert_sign,
        encipher_only=False,
        decipher_only=False,
    )


def der(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.DER)


def pem(*certs: x509.Certificate) -> bytes:
    return b"".join(cert.public_bytes(serialization.Encoding.PEM) for cert in certs)


def list_entry(
    cert: x509.Certificate, country: str = "DE", certificate_type: str = "DSC"
) -> dict[str, str]:
    """One entry of an EU trust list, as the gateway publishes it."""
    raw = der(cert)
    return {
        "kid": base64.b64encode(hashlib.sha256(raw).digest()[:8]).decode(),
        "country": country,
        "certificateType": certificate_type,
        "thumbprint": hashlib.sha256(raw).hexdigest(),
        "timestamp": "2026-01-01T00:00:00+01:00",
        "signature": "",
        "rawData": base64.b64encode(raw).decode(),
    }
