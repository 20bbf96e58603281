"""Destinations' border keys in the trust store: whom a certificate can be sealed to.

A border certificate (``keys.border``) is held like a DSC, under its country's CSCA (a border
certificate the CSCA did not sign is refused as a DSC would be), but it signs nothing: its key
usage is key agreement and its extended key usage ``BORDER_OID``. Its usage is read from the
certificate itself, wherever it came from (``trust add``, a synced gateway list).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec

from healthcert.keys.border import BORDER_OID
from healthcert.trust.entry import TrustedKey

BORDER_USAGE = "border"
_BORDER = x509.ObjectIdentifier(BORDER_OID)


def is_border_certificate(certificate: x509.Certificate | None) -> bool:
    """Whether ``certificate`` is a border key's (its extended key usage names BORDER_OID)."""
    if certificate is None:
        return False
    try:
        usage = certificate.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    except (x509.ExtensionNotFound, ValueError):
        return False
    return _BORDER in usage


def is_border_key(key: TrustedKey) -> bool:
    return is_border_certificate(key.certificate)


def border_keys_for(keys: Iterable[TrustedKey], country: str, at: datetime) -> list[TrustedKey]:
    """The border keys of ``country`` valid at ``at``, the longest-lived first (a destination
    rolling its key over publishes the new one before retiring the old)."""
    found = [
        key
        for key in keys
        if key.country == country.upper()
        and is_border_key(key)
        and isinstance(key.public_key, ec.EllipticCurvePublicKey)
        and (key.not_before is None or key.not_before <= at)
        and (key.not_after is None or at < key.not_after)
    ]
    return sorted(found, key=lambda key: key.not_after or at, reverse=True)
