"""Document Signer Certificates (DSC): the short-lived keys that sign health certificates."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from healthcert.errors import KeyStoreError
from healthcert.keys.eku import oids_for_kinds
from healthcert.keys.material import ALGORITHMS, Algorithm, CertifiedKey, PrivateKey
from healthcert.model.kinds import ALL_KINDS, EntryKind

DSC_DAYS = 2 * 365
RSA_BITS = 3072


def create_dsc(
    csca: CertifiedKey,
    kinds: Iterable[EntryKind] = ALL_KINDS,
    *,
    algorithm: Algorithm = "ES256",
    days: int = DSC_DAYS,
    now: datetime | None = None,
    name: str | None = None,
) -> CertifiedKey:
    """A new DSC signed by ``csca``, allowed to sign ``kinds`` only (written as its EKU).

    Its validity never extends past the CSCA's: a verifier would reject the tail anyway.
    """
    wanted = frozenset(kinds)
    if not wanted:
        raise KeyStoreError("a DSC must be allowed to sign at least one kind of entry")
    if days < 1:
        raise KeyStoreError("a DSC must be valid for at least one day")
    start = (now or datetime.now(UTC)).replace(microsecond=0)
    end = min(start + timedelta(days=days), csca.certificate.not_valid_after_utc)
    if end <= start:
        raise KeyStoreError("the CSCA has expired: create a new one before making DSCs")
    key = generate_key(algorithm)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_dsc_subject(csca.certificate, name))
        .issuer_name(csca.certificate.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
    )
    for extension, critical in _dsc_extensions(csca.certificate, key, wanted):
        builder = builder.add_extension(extension, critical=critical)
    return CertifiedKey(key, builder.sign(csca.private_key, hashes.SHA256()))


def generate_key(algorithm: Algorithm) -> PrivateKey:
    """A fresh private key for ``algorithm``: P-256 for ES256, RSA-3072 for PS256."""
    if algorithm == "ES256":
        return ec.generate_private_key(ec.SECP256R1())
    if algorithm == "PS256":
        return rsa.generate_private_key(public_exponent=65537, key_size=RSA_BITS)
    raise KeyStoreError(f"unsupported algorithm {algorithm!r}: use {' or '.join(ALGORITHMS)}")


def _dsc_subject(csca: x509.Certificate, name: str | None) -> x509.Name:
    attributes = list(csca.subject.get_attributes_for_oid(NameOID.COUNTRY_NAME))
    country = str(attributes[0].value) if attributes else None
    label = name or f"healthcert DSC {country or ''}".rstrip()
    names = [x509.NameAttribute(NameOID.COUNTRY_NAME, country)] if country else []
    names.append(x509.NameAttribute(NameOID.COMMON_NAME, label))
    return x509.Name(names)


def _dsc_extensions(
    csca: x509.Certificate, key: PrivateKey, kinds: frozenset[EntryKind]
) -> list[tuple[x509.ExtensionType, bool]]:
    usage = x509.ExtendedKeyUsage([x509.ObjectIdentifier(oid) for oid in oids_for_kinds(kinds)])
    return [
        (x509.BasicConstraints(ca=False, path_length=None), True),
        (_signing_key_usage(), True),
        (usage, False),
        (x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False),
        (_authority_key_identifier(csca), False),
    ]


def _authority_key_identifier(csca: x509.Certificate) -> x509.AuthorityKeyIdentifier:
    try:
        ski = csca.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    except x509.ExtensionNotFound:
        public_key = csca.public_key()
        if not isinstance(public_key, ec.EllipticCurvePublicKey | rsa.RSAPublicKey):
            raise KeyStoreError("the CSCA key must be EC or RSA") from None
        return x509.AuthorityKeyIdentifier.from_issuer_public_key(public_key)
    return x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski)


def _signing_key_usage() -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=True,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=False,
        crl_sign=False,
        encipher_only=False,
        decipher_only=False,
    )
