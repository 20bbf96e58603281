"""The signer: a DSC's private key and certificate, as the issuance pipeline uses them."""

from __future__ import annotations

import base64
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.types import CertificatePublicKeyTypes
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from healthcert.codec.ecdsa import ECDSA_SHA256, raw_signature
from healthcert.errors import ConfigurationError, KeyStoreError
from healthcert.keys.directory import KeyDirectory, StoredDsc
from healthcert.keys.eku import kinds_from_certificate
from healthcert.keys.home import HOME_ENV
from healthcert.keys.keyfile import passphrase_from_env, read_private_key
from healthcert.keys.kid import kid_of
from healthcert.keys.material import Algorithm, CertifiedKey, PrivateKey
from healthcert.keys.subject import subject_country
from healthcert.model.kinds import ALL_KINDS, EntryKind

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

    @classmethod
    def load(
        cls,
        home: str | os.PathLike[str] | None = None,
        passphrase: str | bytes | None = None,
        kid: bytes | str | None = None,
        *,
        kinds: Iterable[EntryKind] = (),
        now: datetime | None = None,
    ) -> Signer:
        """The signer of a DSC in the key directory of ``home``, as ``healthcert issue`` uses it.

        ``home`` defaults to ``HEALTHCERT_HOME`` (else ``~/.local/share/healthcert``), the
        passphrase of the private key to ``HEALTHCERT_KEY_PASSPHRASE``. Without ``kid``, the
        newest DSC valid at ``now`` that may sign every one of ``kinds``; with it, that DSC
        (bytes, or base64 text as ``healthcert keys list`` and reports show it), which must
        be valid at ``now`` and may sign ``kinds`` too.

        ConfigurationError for a setting missing or wrong: no passphrase, a kid that is not
        base64 or names no DSC of the directory. KeyStoreError for key material that cannot be
        used: no key directory or no valid DSC in it, a key file that the passphrase does not
        open or that does not match its certificate.
        """
        directory = KeyDirectory(None if home is None else Path(home).expanduser())
        wanted = frozenset(kinds)
        if kid is None:
            stored = directory.current_dsc(wanted, now)
            if stored is None:
                raise KeyStoreError(_no_dsc(directory, wanted))
        else:
            stored = _chosen_dsc(directory, _kid_bytes(kid), wanted, now)
        key = read_private_key(stored.key_path, _passphrase_bytes(passphrase))
        if _spki(key.public_key()) != _spki(stored.certificate.public_key()):
            raise KeyStoreError(f"{stored.key_path}: the key does not match its DSC certificate")
        return signer_from(CertifiedKey(key, stored.certificate))


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


def _no_dsc(directory: KeyDirectory, kinds: frozenset[EntryKind]) -> str:
    needed = f" for {', '.join(sorted(kinds))}" if kinds else ""
    if not directory.root.is_dir():
        return (
            f"no valid DSC{needed}: there is no key directory {directory.root} (is {HOME_ENV} "
            "right?); run `healthcert keys init` and `healthcert keys dsc` to make one"
        )
    return f"no valid DSC{needed} in {directory.root}: run `healthcert keys dsc` to make one"


def _passphrase_bytes(passphrase: str | bytes | None) -> bytes:
    if passphrase is None:
        return passphrase_from_env()
    if not passphrase:
        raise ConfigurationError("the passphrase of the private keys is empty")
    return passphrase.encode("utf-8") if isinstance(passphrase, str) else passphrase


def _kid_bytes(kid: bytes | str) -> bytes:
    if isinstance(kid, bytes):
        return kid
    try:
        return base64.b64decode(kid, validate=True)
    except ValueError:
        raise ConfigurationError(
            f"kid {kid!r} is not base64 (as `healthcert keys list` shows it)"
        ) from None


def _chosen_dsc(
    directory: KeyDirectory, kid: bytes, kinds: frozenset[EntryKind], now: datetime | None
) -> StoredDsc:
    """The DSC with ``kid``, which must be valid at ``now`` and may sign ``kinds``."""
    shown = base64.b64encode(kid).decode()
    found = [dsc for dsc in directory.dscs() if dsc.kid == kid]
    if not found:
        raise ConfigurationError(f"no DSC with kid {shown} in {directory.root}")
    dsc = found[0]
    moment = now or datetime.now(UTC)
    if not dsc.is_valid_at(moment):
        raise KeyStoreError(f"the DSC with kid {shown} is not valid at {moment.isoformat()}")
    if not dsc.key_path.exists():
        raise KeyStoreError(f"the DSC with kid {shown} has no private key ({dsc.key_path})")
    missing = kinds - kinds_from_certificate(dsc.certificate)
    if missing:
        raise KeyStoreError(f"the DSC with kid {shown} may not sign {', '.join(sorted(missing))}")
    return dsc


def _spki(public_key: CertificatePublicKeyTypes) -> bytes:
    return public_key.public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)


def certificate_signer(home: str | os.PathLike[str] | None = None) -> Signer:
    """The signer of certificates, as both the service and ``healthcert issue`` choose it: the
    newest valid DSC that may sign some kind of certificate entry. A DSC made for health codes
    alone may be newer, and must never become the one that signs certificates."""
    directory = KeyDirectory(None if home is None else Path(home).expanduser())
    now = datetime.now(UTC)
    usable = [
        dsc
        for dsc in directory.dscs()
        if dsc.is_valid_at(now)
        and dsc.key_path.exists()
        and kinds_from_certificate(dsc.certificate) & ALL_KINDS
    ]
    if not usable:
        return Signer.load(home)  # refuses, saying what is missing
    return Signer.load(home, kid=usable[-1].kid)
