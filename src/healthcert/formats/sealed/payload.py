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
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

from cryptography.hazmat.primitives.asymmetric import ec

from healthcert import report as codes
from healthcert.codec import base45, cose_encrypt
from healthcert.errors import RequestError
from healthcert.formats import registry
from healthcert.formats.base import VerificationContext
from healthcert.keys.border import border_kid

if TYPE_CHECKING:
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


@dataclass(frozen=True, slots=True)
class _Envelope:
    """A sealed payload read, its key chosen, not yet opened."""

    encrypted: cose_encrypt.Encrypted
    inner_prefix: str
    key: ec.EllipticCurvePrivateKey


def verify_into(report: Report, payload: str, context: VerificationContext) -> None:
    verify_many([(report, payload)], context)


def verify_many(work: Sequence[tuple[Report, str]], context: VerificationContext) -> None:
    """Open every payload stage by stage (read, key agreement, decryption), then verify the
    opened ones by inner format, in batches where that format verifies batches (an EU DCC's
    stages): as for the signatures, OpenSSL's P-256 tables then stay in the CPU caches."""
    envelopes = [(report, _read(report, payload, context)) for report, payload in work]
    readable = [(report, envelope) for report, envelope in envelopes if envelope is not None]
    secrets = [cose_encrypt.shared_secret(env.encrypted, env.key) for _, env in readable]
    by_format: dict[str, list[tuple[Report, str]]] = {}
    for (report, envelope), secret in zip(readable, secrets, strict=True):
        try:
            plaintext = cose_encrypt.open_with(envelope.encrypted, secret)
        except cose_encrypt.DecryptError as error:
            _refuse(report, f"sealed certificate: {error}")
            continue
        inner = envelope.inner_prefix + base45.encode(plaintext)
        by_format.setdefault(envelope.inner_prefix, []).append((report, inner))
    for inner_prefix, inner_work in by_format.items():
        _verify_inner(_inner_format(inner_prefix), inner_work, context)


def _verify_inner(
    inner_format: WireFormat, work: list[tuple[Report, str]], context: VerificationContext
) -> None:
    inner_many = getattr(inner_format, "verify_many", None)
    if inner_many is not None and len(work) > 1:
        inner_many(work, context)
    else:
        for report, inner_payload in work:
            inner_format.verify_into(report, inner_payload, context)
    for report, _ in work:
        report.checks["sealed"] = True


@lru_cache(maxsize=len(SEALABLE))
def _inner_format(inner_prefix: str) -> WireFormat:
    """The inner payload's format module, looked up once per prefix, not per payload."""
    module: WireFormat = importlib.import_module(
        registry.info(_INNER_BY_PREFIX[inner_prefix]).module
    )
    return module


def _read(report: Report, payload: str, context: VerificationContext) -> _Envelope | None:
    """The envelope and the key that opens it, or None once the report says why there is none."""
    report.format = name
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
    keys = [key for key in context.unseal_keys if _kid_of(key) == encrypted.kid]
    if not keys:
        _refuse(report, _no_key_message(encrypted.kid, bool(context.unseal_keys)))
        return None
    return _Envelope(encrypted, inner_prefix, keys[0])


@lru_cache(maxsize=64)
def _kid_of(key: ec.EllipticCurvePrivateKey) -> bytes:
    """A border key's kid, computed once per key rather than per payload."""
    return border_kid(key.public_key())


def _no_key_message(kid: bytes, any_given: bool) -> str:
    if any_given:
        return f"sealed for another border key (kid {kid.hex()}) than those given"
    return f"sealed for a border key (kid {kid.hex()}): give it to open the certificate"


def _refuse(report: Report, message: str) -> None:
    report.fail(codes.SEALED, message, check="sealed")
