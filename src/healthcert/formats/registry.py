"""The wire formats healthcert reads and writes: the one list of them.

Detection, issuance, the command line and the service all read it. It names each format's
module instead of importing it: the verifier loads a format's reader only when a payload of
that format reaches it, so importing this module costs nothing.

The names are public: the API takes them, and the database stores them with each certificate.
"""

from __future__ import annotations

from dataclasses import dataclass

from healthcert.errors import RequestError

EU_DCC = "eu-dcc"
SHC = "shc"
ICAO_VDS_NC = "icao-vds-nc"
HEALTH_CODE = "health-code"
LIGHT = "light"
SEALED = "sealed"


@dataclass(frozen=True, slots=True)
class WireFormatInfo:
    """What is known of a format without loading its module."""

    name: str
    # How its QR text starts ("{" for a VDS-NC seal: JSON, recognised by its members).
    prefix: str
    module: str
    # The QR error correction the command line uses unless asked for another.
    qr_error_level: str
    # A SMART Health Card names its issuer by URL, where the issuer publishes its keys.
    needs_issuer_url: bool
    # What a person calls it, in help texts and messages.
    title: str
    # Whether it carries a health certificate (``issuance.issue_many`` signs those); a health
    # code carries a travel decision (``issuance.issue_health_code`` signs it), a light
    # certificate only who holds a certificate (``issuance.issue_light``).
    carries_certificate: bool = True


# In the order detection tries them: each module recognises only its own payloads.
FORMATS: tuple[WireFormatInfo, ...] = (
    WireFormatInfo(
        name=EU_DCC,
        prefix="HC1:",
        module="healthcert.formats.eu_dcc.payload",
        qr_error_level="Q",
        needs_issuer_url=False,
        title="EU Digital COVID Certificate",
    ),
    WireFormatInfo(
        name=SHC,
        prefix="shc:/",
        module="healthcert.formats.shc.card",
        qr_error_level="L",
        needs_issuer_url=True,
        title="SMART Health Card",
    ),
    WireFormatInfo(
        name=ICAO_VDS_NC,
        prefix="{",
        module="healthcert.formats.vdsnc.seal",
        qr_error_level="M",
        needs_issuer_url=False,
        title="ICAO VDS-NC seal",
    ),
    WireFormatInfo(
        name=HEALTH_CODE,
        prefix="HCD1:",
        module="healthcert.formats.health_code.code",
        # As HC1: Base45 in alphanumeric mode, read from phone screens at check-in desks.
        qr_error_level="Q",
        needs_issuer_url=False,
        title="health code",
        carries_certificate=False,
    ),
    WireFormatInfo(
        name=LIGHT,
        prefix="HCL1:",
        module="healthcert.formats.light.certificate",
        qr_error_level="Q",
        needs_issuer_url=False,
        title="light certificate",
        # Made from a certificate by ``issuance.issue_light``; it carries no health data.
        carries_certificate=False,
    ),
    WireFormatInfo(
        name=SEALED,
        prefix="HCS1:",
        module="healthcert.formats.sealed.payload",
        # Base45 as HC1:, with the envelope's ~100 bytes more: M keeps it in a phone's QR.
        qr_error_level="M",
        needs_issuer_url=False,
        title="sealed certificate",
        # It wraps a certificate signed in another format (issue --seal-to), not one of its own.
        carries_certificate=False,
    ),
)

NAMES: tuple[str, ...] = tuple(info.name for info in FORMATS)
CERTIFICATE_FORMATS: tuple[str, ...] = tuple(
    info.name for info in FORMATS if info.carries_certificate
)
_BY_NAME = {info.name: info for info in FORMATS}


def info(name: str) -> WireFormatInfo:
    """The format called ``name``; RequestError names the formats there are."""
    found = _BY_NAME.get(name)
    if found is None:
        raise RequestError(f"unknown format {name!r}: one of {', '.join(NAMES)}")
    return found
