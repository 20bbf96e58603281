"""Destinations' border keys in the trust store: whom a certificate can be sealed to.

A border certificate (``keys.border``) is held like a DSC, under its country's CSCA (a border
certificate the CSCA did not sign is refused as a DSC would be), but it signs nothing: its key
usage is key agreement and its extended key usage ``BORDER_OID``. Its usage is read from the
certificate itself, wherever it came from (``trust add``, a synced gateway list).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec

from healthcert.keys.border import BORDER_OID, KEY_AGREEMENT_ONLY, is_border_certificate
from healthcert.trust.certificates import UnusableCertificate
from healthcert.trust.entry import TrustedKey

if TYPE_CHECKING:
    from healthcert.trust.store import TrustStore

__all__ = [
    "BORDER_USAGE",
    "SIGNING_USAGE",
    "border_certificate_problem",
    "border_keys_for",
    "check_listed_border",
    "is_border_certificate",
    "is_border_key",
    "usage_of",
]

BORDER_USAGE = "border"
SIGNING_USAGE = "signing"


def is_border_key(key: TrustedKey) -> bool:
    return is_border_certificate(key.certificate)


def usage_of(key: TrustedKey) -> str:
    """What a trusted key is for, as listings name it: ``border`` (key agreement: certificates
    are sealed to it) or ``signing`` (it signs certificates, within its types)."""
    return BORDER_USAGE if is_border_key(key) else SIGNING_USAGE


def border_certificate_problem(certificate: x509.Certificate | None) -> str | None:
    """Why ``certificate`` is not a sound border certificate, or None: strict DER, no CA, the
    extended key usage BORDER_OID, a key usage of key agreement alone, an EC P-256 key. Who
    signed it and when it is valid are the caller's to check."""
    if certificate is None:
        return "the certificate is not strict DER"
    if not is_border_certificate(certificate):
        return f"its extended key usage does not name the border key usage {BORDER_OID}"
    try:
        constraints = certificate.extensions.get_extension_for_class(x509.BasicConstraints)
        is_ca = constraints.value.ca
    except x509.ExtensionNotFound:
        is_ca = False
    if is_ca:
        return "a CA certificate is no border key"
    if not _key_agreement_only(certificate):
        return "its key usage must be key agreement alone (it signs nothing)"
    key = certificate.public_key()
    if not isinstance(key, ec.EllipticCurvePublicKey) or not isinstance(key.curve, ec.SECP256R1):
        return "a border key must be EC P-256"
    return None


def check_listed_border(certificate: x509.Certificate | None) -> None:
    """For a trust list's entry listed as a border key: UnusableCertificate unless its
    certificate is a sound one (``border_certificate_problem``)."""
    problem = border_certificate_problem(certificate)
    if problem is not None:
        raise UnusableCertificate(f"listed as a border key, but {problem}")


def _key_agreement_only(certificate: x509.Certificate) -> bool:
    try:
        usage = certificate.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        return False  # without a key usage, a key may do anything: a border key must not
    # Exactly what keys.border writes: encipherOnly or decipherOnly would break ECDH-ES use.
    return usage == KEY_AGREEMENT_ONLY


def border_keys_for(store: TrustStore, country: str, at: datetime) -> list[TrustedKey]:
    """The border keys of ``country`` in ``store`` valid at ``at``, the longest-lived first (a
    destination rolling its key over publishes the new one before retiring the old)."""
    found = [
        key
        for key in store.border_keys(country)
        if isinstance(key.public_key, ec.EllipticCurvePublicKey)
        and (key.not_before is None or key.not_before <= at)
        and (key.not_after is None or at < key.not_after)
    ]
    return sorted(found, key=lambda key: key.not_after or at, reverse=True)
