"""Sealed certificates (``HCS1:``): a whole signed payload encrypted to a border key.

    HC1: or HCD1: payload -> its zlib-compressed COSE_Sign1 (the Base45 undone)
        -> COSE_Encrypt to the border key (ECDH-ES + HKDF-256, A256GCM; codec.cose_encrypt),
           the inner payload's prefix in the protected header (label -65537)
        -> Base45 -> "HCS1:" + text

The signature inside is the issuer's, untouched: once opened, the inner payload is verified
exactly as if it had been scanned bare, and the report is that payload's report (its format,
its checks) with ``checks.sealed: true``. Compression happens before encryption, as it must
(ciphertext does not compress), and is the inner payload's own.

Without the border key, with another one, or with any byte changed, the report is invalid with
the code SEALED, and holds nothing of what the seal hides: no holder, no entry, no issuer.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from healthcert import report as codes
from healthcert.codec import base45, cose_encrypt
from healthcert.errors import RequestError
from healthcert.formats import registry
from healthcert.formats.base import VerificationContext
from healthcert.keys.border import border_kid

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric import ec

    from healthcert.formats.base import WireFormat
    from healthcert.report import Report

name = registry.SEALED
PREFIX = registry.info(name).prefix
# The first private-use label (RFC 9052 section 3.1: below -65536): the sealed payload's prefix.
HEADER_INNER_PREFIX = -65537
# The formats whose payloads are a zlib-compressed COSE_Sign1 behind Base45 and a prefix.
SEALABLE = (registry.EU_DCC, registry.HEALTH_CODE)
_INNER_BY_PREFIX = {registry.info(format_name).prefix: format_name for format_name in SEALABLE}


def looks_like(payload: str) -> bool:
    return payload.startswith(PREFIX)


def seal(payload: str, recipient: ec.EllipticCurvePublicKey) -> str:
    """The ``HCS1:`` payload of ``payload`` (an EU DCC or health code) for the border key
    ``recipient``; RequestError for a payload of another format."""
    inner_prefix = next((p for p in _INNER_BY_PREFIX if payload.startswith(p)), None)
    if inner_prefix is None:
        raise RequestError(f"only {' and '.join(SEALABLE)} payloads can be sealed")
    try:
        compressed = base45.decode(payload[len(inner_prefix) :])
    except base45.Base45Error as error:
        raise RequestError(f"not a payload to seal: {error}") from None
    sealed = cose_encrypt.encrypt(
        compressed,
        recipient,
        kid=border_kid(recipient),
        protected_extra={HEADER_INNER_PREFIX: inner_prefix},
    )
    return PREFIX + base45.encode(sealed)


def verify_into(report: Report, payload: str, context: VerificationContext) -> None:
    report.format = name
    opened = _open(report, payload, context)
    if opened is None:
        return
    inner_format, inner_payload = opened
    inner_format.verify_into(report, inner_payload, context)
    report.checks["sealed"] = True


def _open(
    report: Report, payload: str, context: VerificationContext
) -> tuple[WireFormat, str] | None:
    """The inner payload and its format, or None once the report says why not."""
    try:
        encrypted = cose_encrypt.decode(base45.decode(payload[len(PREFIX) :]))
    except base45.Base45Error as error:
        report.fail(codes.BASE45_INVALID, str(error), check="decode")
        return None
    except cose_encrypt.EncryptError as error:
        report.fail(error.code, f"sealed envelope: {error}", check="decode")
        return None
    inner_prefix = encrypted.protected.get(HEADER_INNER_PREFIX)
    if not isinstance(inner_prefix, str) or inner_prefix not in _INNER_BY_PREFIX:
        report.fail(codes.COSE_INVALID, "the sealed envelope names no format it can hold", "decode")
        return None
    keys = [key for key in context.unseal_keys if border_kid(key.public_key()) == encrypted.kid]
    if not keys:
        _refuse(report, _no_key_message(encrypted.kid, bool(context.unseal_keys)))
        return None
    try:
        plaintext = cose_encrypt.decrypt(encrypted, keys[0])
    except cose_encrypt.DecryptError as error:
        _refuse(report, f"sealed certificate: {error}")
        return None
    module = registry.info(_INNER_BY_PREFIX[inner_prefix]).module
    inner_format: WireFormat = importlib.import_module(module)
    return inner_format, inner_prefix + base45.encode(plaintext)


def _no_key_message(kid: bytes, any_given: bool) -> str:
    if any_given:
        return f"sealed for another border key (kid {kid.hex()}) than those given"
    return f"sealed for a border key (kid {kid.hex()}): give it to open the certificate"


def _refuse(report: Report, message: str) -> None:
    report.fail(codes.SEALED, message, check="sealed")
