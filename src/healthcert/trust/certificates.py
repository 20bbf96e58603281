"""X.509 certificates as trust sources: PEM (one or many) or DER, CSCA or DSC.

Real trust lists carry certificates that strict parsers refuse (DER-invalid extensions,
negative serial numbers). Each one is read in full here, once, so that a bad one becomes a
skip warning instead of an exception in the middle of a list or, later, of a verification.
A signer certificate that ``cryptography`` refuses is read again by the tolerant reader
(``healthcert.trust.der``) and kept with a warning naming its defects; an anchor never is.
"""

from __future__ import annotations

import base64
import binascii
import re
import warnings
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import TypeVar

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.types import PublicKeyTypes
from cryptography.hazmat.primitives.serialization import load_der_public_key
from cryptography.utils import CryptographyDeprecationWarning
from cryptography.x509.oid import NameOID

from healthcert.keys.eku import kinds_from_certificate, kinds_from_oids
from healthcert.keys.kid import kid_of_der
from healthcert.model.kinds import ALL_KINDS, EntryKind
from healthcert.trust.batch import Anchor, ImportBatch, Skipped
from healthcert.trust.der import DerError, read_certificate
from healthcert.trust.entry import PublicKey, TrustedKey

_PEM_BLOCK = re.compile(
    rb"-----BEGIN CERTIFICATE-----(?P<body>[A-Za-z0-9+/=\s]*?)-----END CERTIFICATE-----"
)


_Ext = TypeVar("_Ext", bound=x509.ExtensionType)


class UnusableCertificate(ValueError):
    """A certificate that cannot be trusted or cannot be read; the message says why."""


@dataclass(frozen=True, slots=True)
class CertificateFacts:
    """Everything the trust store needs from one certificate, read once and checked."""

    certificate: x509.Certificate | None  # None when only the tolerant reader reads it
    der: bytes
    kid: bytes
    public_key: PublicKey
    subject: str
    country: str | None
    not_before: datetime
    not_after: datetime
    kinds: frozenset[EntryKind]
    is_ca: bool
    self_signed: bool
    may_sign_certificates: bool | None  # keyUsage keyCertSign; None without keyUsage
    may_sign_documents: bool | None  # keyUsage digitalSignature; None without keyUsage
    warning: str | None = None  # what the tolerant reader accepted that DER forbids


def parse_der(der: bytes) -> x509.Certificate:
    """A certificate from DER, tolerating the negative serial numbers some issuers used.

    cryptography only warns about those today; the kid hashes the DER, so the serial number
    plays no part in trust. If a later release refuses them, they are skipped like any other.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CryptographyDeprecationWarning)
        return x509.load_der_x509_certificate(der)


def read_facts(der: bytes) -> CertificateFacts:
    """Parse and check ``der`` completely; UnusableCertificate when any part fails."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", CryptographyDeprecationWarning)
            return _facts(parse_der(der), der)
    except UnusableCertificate:
        raise
    except Exception as error:
        # Foreign certificates fail in many ways (ValueError, DuplicateExtension,
        # UnsupportedGeneralNameType, ...); the tolerant reader gets its chance at each.
        return _tolerant_facts(der, error)


def _facts(cert: x509.Certificate, der: bytes) -> CertificateFacts:
    constraints = _extension(cert, x509.BasicConstraints)
    usage = _extension(cert, x509.KeyUsage)
    subject = cert.subject
    return CertificateFacts(
        certificate=cert,
        der=der,
        kid=kid_of_der(der),
        public_key=_supported(cert.public_key()),
        subject=_subject_text(subject),
        country=_country(subject),
        not_before=cert.not_valid_before_utc,
        not_after=cert.not_valid_after_utc,
        kinds=kinds_from_certificate(cert),
        is_ca=constraints is not None and constraints.ca,
        self_signed=cert.issuer == subject,
        may_sign_certificates=None if usage is None else usage.key_cert_sign,
        may_sign_documents=None if usage is None else usage.digital_signature,
    )


def _tolerant_facts(der: bytes, refusal: Exception) -> CertificateFacts:
    """The facts of a certificate ``cryptography`` refused, with a warning naming why."""
    try:
        loose = read_certificate(der)
        public_key = tolerant_public_key(loose.spki)
    except (DerError, UnsupportedAlgorithm, ValueError) as error:
        raise UnusableCertificate(
            f"unreadable certificate: {_first_line(refusal)} (tolerant reader: {error})"
        ) from error
    defects = "; ".join(loose.defects) or f"cryptography refuses it ({_first_line(refusal)})"
    return CertificateFacts(
        certificate=None,
        der=der,
        kid=kid_of_der(der),
        public_key=public_key,
        subject=loose.subject.rfc4514_string(),
        country=_country(loose.subject),
        not_before=loose.not_before,
        not_after=loose.not_after,
        kinds=ALL_KINDS if loose.eku is None else kinds_from_oids(loose.eku),
        is_ca=loose.is_ca,
        self_signed=loose.issuer == loose.subject_der,
        may_sign_certificates=loose.may_sign_certificates,
        may_sign_documents=loose.may_sign_documents,
        warning=f"not strict DER, read tolerantly: {defects}",
    )


def tolerant_public_key(spki: bytes) -> PublicKey:
    """The EC or RSA key of a SubjectPublicKeyInfo; UnusableCertificate for other kinds."""
    return _supported(load_der_public_key(spki))


def _supported(public_key: PublicKeyTypes) -> PublicKey:
    if not isinstance(public_key, ec.EllipticCurvePublicKey | rsa.RSAPublicKey):
        raise UnusableCertificate(f"unsupported key type {type(public_key).__name__}")
    return public_key


@lru_cache(maxsize=1024)
def _subject_text(subject: x509.Name) -> str:
    """RFC 4514 text of a subject; cached, as a country's DSCs often share one subject and the
    escaping costs more than the certificate's signature check (a synced list has 10,000)."""
    return subject.rfc4514_string()


def _country(subject: x509.Name) -> str | None:
    countries = subject.get_attributes_for_oid(NameOID.COUNTRY_NAME)
    return str(countries[0].value).upper() if countries else None


def _extension(cert: x509.Certificate, kind: type[_Ext]) -> _Ext | None:
    try:
        return cert.extensions.get_extension_for_class(kind).value
    except x509.ExtensionNotFound:
        return None


def is_anchor(facts: CertificateFacts) -> bool:
    """A CSCA: CA=true, or self-signed unless its key usage limits it to signing documents.

    Some countries publish self-signed DSCs; their keyUsage (no keyCertSign) tells them apart.
    """
    if facts.is_ca:
        return True
    return facts.self_signed and facts.may_sign_certificates is not False


def is_own_dsc(facts: CertificateFacts) -> bool:
    """A self-signed CSCA that is also its own DSC, as the HCERT specification allows.

    Its keyUsage must say so (digitalSignature): a CSCA limited to keyCertSign and cRLSign,
    as most are, is trusted only to vouch for the DSCs of its country.
    """
    return facts.self_signed and facts.may_sign_documents is True


def anchor_certificate(facts: CertificateFacts) -> x509.Certificate:
    """The certificate of a CSCA; UnusableCertificate when only the tolerant reader reads it.

    Every DSC of its country would be judged by this certificate: it has to be sound itself.
    """
    if facts.certificate is None:
        raise UnusableCertificate(f"a CSCA must be strict DER to be trusted ({facts.warning})")
    return facts.certificate


def trusted_key(
    facts: CertificateFacts,
    source: str,
    *,
    country: str | None = None,
    issuer_url: str | None = None,
) -> TrustedKey:
    """The DSC in ``facts`` as a trusted key, limited by its validity and EKU."""
    return TrustedKey(
        kid=facts.kid,
        public_key=facts.public_key,
        source=source,
        types=facts.kinds,
        country=country or facts.country,
        subject=facts.subject,
        not_before=facts.not_before,
        not_after=facts.not_after,
        certificate=facts.certificate,
        issuer_url=issuer_url,
        der=facts.der if facts.certificate is None else None,
        warning=facts.warning,
    )


def split_certificates(data: bytes, source: str) -> tuple[list[tuple[str, bytes]], list[Skipped]]:
    """The DER certificates in a PEM (every CERTIFICATE block) or DER file, with labels."""
    if b"-----BEGIN" not in data:
        return [(source, data)], []
    blocks = [match.group("body") for match in _PEM_BLOCK.finditer(data)]
    found: list[tuple[str, bytes]] = []
    skipped: list[Skipped] = []
    for number, body in enumerate(blocks, start=1):
        label = f"{source} #{number}" if len(blocks) > 1 else source
        try:
            found.append((label, base64.b64decode(b"".join(body.split()), validate=True)))
        except (binascii.Error, ValueError):
            skipped.append(Skipped(label, "PEM block is not valid base64"))
    return found, skipped


def import_certificates(data: bytes, source: str, *, issuer_url: str | None = None) -> ImportBatch:
    """CSCAs become anchors, other certificates trusted keys; bad ones are skipped."""
    found, skipped = split_certificates(data, source)
    batch = ImportBatch(skipped=skipped)
    for label, der in found:
        try:
            _import_certificate(read_facts(der), source, issuer_url, batch)
        except UnusableCertificate as error:
            batch.skipped.append(Skipped(label, str(error)))
    return batch


def _import_certificate(
    facts: CertificateFacts, source: str, issuer_url: str | None, batch: ImportBatch
) -> None:
    if not is_anchor(facts):
        batch.keys.append(trusted_key(facts, source, issuer_url=issuer_url))
        return
    if facts.country is None:
        raise UnusableCertificate("CSCA without a country (C) in its subject")
    batch.anchors.append(Anchor(anchor_certificate(facts), facts.country, source))
    if is_own_dsc(facts):
        batch.keys.append(trusted_key(facts, source, issuer_url=issuer_url))


def _first_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return text[0][:200] if text else type(error).__name__
