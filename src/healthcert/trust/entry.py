"""One trusted public key, as every verifier looks it up."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from healthcert.model.kinds import EntryKind

PublicKey = ec.EllipticCurvePublicKey | rsa.RSAPublicKey


@dataclass(frozen=True, slots=True)
class TrustedKey:
    """A signing key a verifier accepts, with the limits under which it accepts it.

    ``types`` is what the key may sign (from the DSC's extended key usage); ``not_before`` and
    ``not_after`` bound the validity of what it signs (the DSC's validity, or None for a bare key).
    ``warning`` says what was tolerated to trust it; every listing and report that names the key
    shows it.
    """

    kid: bytes
    public_key: PublicKey
    source: str
    types: frozenset[EntryKind]
    country: str | None = None
    subject: str | None = None
    not_before: datetime | None = None
    not_after: datetime | None = None
    certificate: x509.Certificate | None = None
    issuer_url: str | None = None
    # A certificate that strict parsers refuse is kept as its DER (``certificate`` is then
    # None), with the warning that names the DER rules it breaks.
    der: bytes | None = None
    warning: str | None = None
