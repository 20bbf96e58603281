"""Border keys: the P-256 key a destination's border verifiers open sealed certificates with.

A destination publishes the certificate (signed by its CSCA); issuers seal certificates to its
key (``formats.sealed``), and only a holder of the private key reads them. The certificate's
key usage is key agreement alone and its extended key usage is ``BORDER_OID``, which names no
kind of health document: a verifier that trusted it as a DSC would still refuse everything it
signed (KEY_USAGE_MISMATCH), and no issuer picks it to sign.

The key directory keeps it as ``border-<CC>.pem`` and ``border-<CC>.key.pem`` (encrypted); a
replaced one stays beside them as ``border-<CC>-<kid>.pem`` and ``.key.pem``.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from cryptography.x509.oid import NameOID

from healthcert.errors import KeyStoreError
from healthcert.keys.csca import check_country
from healthcert.keys.keyfile import (
    read_certificate,
    read_private_key,
    write_certificate,
    write_private_key,
)
from healthcert.keys.material import CertifiedKey
from healthcert.keys.subject import subject_country

# Under the 2.25 arc (a UUID as one integer, ITU-T X.667), as the health code's OID is: the
# random UUID f43699b2-cdf9-42fd-bd19-4966fe6b5059 makes it unique without registration.
BORDER_OID = "2.25.324615132376908405824396429742924583001"
BORDER_DAYS = 2 * 365
KID_LENGTH = 8
# The key usage of a border certificate: key agreement, and nothing else (it signs nothing).
KEY_AGREEMENT_ONLY = x509.KeyUsage(
    digital_signature=False,
    content_commitment=False,
    key_encipherment=False,
    data_encipherment=False,
    key_agreement=True,
    key_cert_sign=False,
    crl_sign=False,
    encipher_only=False,
    decipher_only=False,
)


def create_border_key(
    csca: CertifiedKey, *, days: int = BORDER_DAYS, now: datetime | None = None
) -> CertifiedKey:
    """A new P-256 border key for the CSCA's country, certified by the CSCA."""
    country = subject_country(csca.certificate)
    if country is None:
        raise KeyStoreError("the CSCA names no country (C) in its subject")
    if days < 1:
        raise KeyStoreError("a border key must be valid for at least one day")
    start = (now or datetime.now(UTC)).replace(microsecond=0)
    end = min(start + timedelta(days=days), csca.certificate.not_valid_after_utc)
    if end <= start:
        raise KeyStoreError("the CSCA has expired: create a new one before a border key")
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, country),
            x509.NameAttribute(NameOID.COMMON_NAME, f"healthcert border key {country}"),
        ]
    )
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(csca.certificate.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(KEY_AGREEMENT_ONLY, critical=True)
        .add_extension(x509.ExtendedKeyUsage([x509.ObjectIdentifier(BORDER_OID)]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
    )
    return CertifiedKey(key, builder.sign(csca.private_key, hashes.SHA256()))


def is_border_certificate(certificate: x509.Certificate | None) -> bool:
    """Whether ``certificate`` is a border key's (its extended key usage names BORDER_OID)."""
    if certificate is None:
        return False
    try:
        usage = certificate.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    except (x509.ExtensionNotFound, ValueError):
        return False
    return x509.ObjectIdentifier(BORDER_OID) in usage


def border_public_key(certificate: x509.Certificate) -> ec.EllipticCurvePublicKey:
    """The key of a border certificate; KeyStoreError when the certificate is not one."""
    if not is_border_certificate(certificate):
        raise KeyStoreError("not a border key certificate (its extended key usage lacks it)")
    key = certificate.public_key()
    if not isinstance(key, ec.EllipticCurvePublicKey) or not isinstance(key.curve, ec.SECP256R1):
        raise KeyStoreError("a border key must be EC P-256")
    return key


def border_kid(key: ec.EllipticCurvePublicKey) -> bytes:
    """The key's id in a sealed payload: 8 bytes of the SHA-256 of its SubjectPublicKeyInfo.

    Computed from the key, not the certificate, so a verifier holding only the private key
    file finds which sealed payloads are for it.
    """
    spki = key.public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    return hashlib.sha256(spki).digest()[:KID_LENGTH]


def border_paths(root: Path, country: str) -> tuple[Path, Path]:
    """Where the key directory ``root`` keeps the border certificate and key of ``country``."""
    code = check_country(country)
    return root / f"border-{code}.pem", root / f"border-{code}.key.pem"


def save_border_key(root: Path, border: CertifiedKey, passphrase: bytes) -> tuple[Path, Path]:
    """Write the certificate and the encrypted key; their paths. A border key already there
    is retired, not overwritten (``retire_border_key``)."""
    country = subject_country(border.certificate)
    if country is None:
        raise KeyStoreError("the border certificate names no country")
    cert_path, key_path = border_paths(root, country)
    retire_border_key(root, country)
    write_private_key(key_path, border.private_key, passphrase)
    write_certificate(cert_path, border.certificate)
    return cert_path, key_path


def retire_border_key(root: Path, country: str) -> tuple[Path, Path] | None:
    """Move the border key of ``country`` aside as ``border-CC-<kid>.pem`` and ``.key.pem``
    (the kid in hex), their new paths; None when there is none. Travellers carry certificates
    sealed to it until they expire: a border post that holds every ``border-*.key.pem`` goes on
    opening them, while issuers seal to the new key."""
    cert_path, key_path = border_paths(root, country)
    if not cert_path.exists():
        return None
    kid = border_kid(border_public_key(read_certificate(cert_path))).hex()
    retired_cert = root / f"border-{country}-{kid}.pem"
    retired_key = root / f"border-{country}-{kid}.key.pem"
    if key_path.exists():
        key_path.replace(retired_key)
    cert_path.replace(retired_cert)
    return retired_cert, retired_key


def load_recipient(path: Path, now: datetime | None = None) -> ec.EllipticCurvePublicKey:
    """The public key of the border certificate at ``path`` (what ``--seal-to`` names), which
    must be valid ``now``: a retired key may be gone from the verifiers that would open it."""
    certificate = read_certificate(path)
    moment = now or datetime.now(UTC)
    start, end = certificate.not_valid_before_utc, certificate.not_valid_after_utc
    if not start <= moment < end:
        raise KeyStoreError(
            f"{path}: the border certificate is valid from {start:%Y-%m-%d} to {end:%Y-%m-%d}, "
            "not now"
        )
    return border_public_key(certificate)


def load_unseal_key(path: Path, passphrase: bytes) -> ec.EllipticCurvePrivateKey:
    """The private border key at ``path`` (what ``--unseal-key`` names)."""
    key = read_private_key(path, passphrase)
    if not isinstance(key, ec.EllipticCurvePrivateKey) or not isinstance(key.curve, ec.SECP256R1):
        raise KeyStoreError(f"{path}: a border key is EC P-256")
    return key
