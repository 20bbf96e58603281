"""The signer: a DSC's private key and certificate, as the issuance pipeline uses them."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.types import CertificatePublicKeyTypes
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from healthcert.codec.ecdsa import ECDSA_SHA256, raw_signature
from healthcert.errors import KeyStoreError
from healthcert.keys.eku import kinds_from_certificate
from healthcert.keys.kid import kid_of
from healthcert.keys.material import Algorithm, CertifiedKey, PrivateKey
from healthcert.keys.subject import subject_country
from healthcert.model.kinds import EntryKind

_P256_BYTES = 32


@dataclass(frozen=True, slots=True)
class Signer:
    """Signs payloads with one DSC. ``sign`` returns the signature as COSE and JWS carry it."""

    private_key: PrivateKey = field(repr=False)
    certificate: x509.Certificate
    kid: bytes
    algorithm: Algorithm
    kinds: frozenset[EntryKind]
    not_after: datetime
    # The C of the DSC's subject, read once: reading a subject costs more than a signature.
    country: str | None = None

    def sign(self, message: bytes) -> bytes:
        """ES256: the 64-byte r||s; PS256: RSASSA-PSS, SHA-256, MGF1 SHA-256, 32-byte salt."""
        key = self.private_key
        if isinstance(key, ec.EllipticCurvePrivateKey):
            return raw_signature(key.sign(message, ECDSA_SHA256), _P256_BYTES)
        # RFC 8230 and RFC 7518 both fix the PSS salt to the hash length.
        pss = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32)
        return key.sign(message, pss, hashes.SHA256())

    def may_sign(self, kind: EntryKind) -> bool:
        return kind in self.kinds


def algorithm_of(key: PrivateKey) -> Algorithm:
    """ES256 for a P-256 key, PS256 for an RSA key of at least 2048 bits."""
    if isinstance(key, ec.EllipticCurvePrivateKey) and isinstance(key.curve, ec.SECP256R1):
        return "ES256"
    if isinstance(key, rsa.RSAPrivateKey) and key.key_size >= 2048:
        return "PS256"
    raise KeyStoreError("a DSC key must be EC P-256 (ES256) or RSA of 2048+ bits (PS256)")


def signer_from(dsc: CertifiedKey) -> Signer:
    """A signer for a DSC held in memory (tests, or a key from an HSM-less deployment)."""
    return Signer(
        private_key=dsc.private_key,
        certificate=dsc.certificate,
        kid=kid_of(dsc.certificate),
        algorithm=algorithm_of(dsc.private_key),
        kinds=kinds_from_certificate(dsc.certificate),
        not_after=dsc.certificate.not_valid_after_utc,
        country=subject_country(dsc.certificate),
    )


def load_signer(
    home: Path | None = None,
    *,
    kinds: Iterable[EntryKind] = (),
    now: datetime | None = None,
    passphrase: bytes | None = None,
) -> Signer:
    """The signer of the newest valid DSC in the key directory that may sign ``kinds``.

    The passphrase defaults to ``HEALTHCERT_KEY_PASSPHRASE``. KeyStoreError when no DSC fits.
    """
    from healthcert.keys.directory import KeyDirectory
    from healthcert.keys.keyfile import passphrase_from_env, read_private_key

    directory = KeyDirectory(home)
    wanted = frozenset(kinds)
    stored = directory.current_dsc(wanted, now)
    if stored is None:
        needed = f" for {', '.join(sorted(wanted))}" if wanted else ""
        raise KeyStoreError(
            f"no valid DSC{needed} in {directory.root}: run `healthcert keys dsc` to make one"
        )
    secret = passphrase if passphrase is not None else passphrase_from_env()
    key = read_private_key(stored.key_path, secret)
    if _spki(key.public_key()) != _spki(stored.certificate.public_key()):
        raise KeyStoreError(f"{stored.key_path}: the key does not match its DSC certificate")
    return signer_from(CertifiedKey(key, stored.certificate))


def _spki(public_key: CertificatePublicKeyTypes) -> bytes:
    return public_key.public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
