"""Onboarding by the operator: a country's CSCA, UPLOAD and AUTHENTICATION certificates,
each recorded with the anchor's signature over it."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import UTC, datetime

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from sqlalchemy.orm import Session

from healthcert.errors import HealthcertError
from healthcert.gateway import repository
from healthcert.gateway.anchor import GatewayAnchor
from healthcert.gateway.tables import TrustedParty
from healthcert.gateway.wire import sign_entry, thumbprint
from healthcert.keys.csca import check_country
from healthcert.keys.kid import kid_of_der
from healthcert.keys.subject import subject_country


class OnboardingError(HealthcertError):
    """A certificate the operator cannot onboard; the message says why."""


@dataclass(frozen=True, slots=True)
class Onboarded:
    country: str
    certificate_type: str
    thumbprint: str


def onboard(
    session: Session,
    anchor: GatewayAnchor,
    country: str,
    certificate_type: str,
    certificate: x509.Certificate,
    *,
    origin: str | None = None,
    now: datetime | None = None,
) -> Onboarded:
    """Record ``certificate`` as ``certificate_type`` of ``country``, signed by the anchor."""
    code = check_country(country)
    named = subject_country(certificate)
    if named != code:
        raise OnboardingError(
            f"{certificate_type}: the certificate's subject names country {named or 'none'}, "
            f"not {code}"
        )
    if certificate_type == "CSCA" and not _is_ca(certificate):
        raise OnboardingError("CSCA: the certificate is not a CA (BasicConstraints cA=TRUE)")
    der = certificate.public_bytes(Encoding.DER)
    print_hex = thumbprint(der)
    for known in repository.party_by_thumbprint(session, print_hex):
        if known.certificate_type == certificate_type:
            raise OnboardingError(
                f"{certificate_type} {print_hex[:16]}... is already onboarded for {known.country}"
            )
    signature = sign_entry(anchor.key, code, certificate_type, print_hex)
    session.add(
        TrustedParty(
            country=code,
            certificate_type=certificate_type,
            thumbprint=print_hex,
            kid=base64.b64encode(kid_of_der(der)).decode("ascii"),
            raw_data=der,
            signature=signature,
            created_at=now or datetime.now(UTC),
            change=repository.next_change(session),
            deleted=False,
            origin=origin,
        )
    )
    return Onboarded(code, certificate_type, print_hex)


def _is_ca(certificate: x509.Certificate) -> bool:
    try:
        return certificate.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    except x509.ExtensionNotFound:
        return False
