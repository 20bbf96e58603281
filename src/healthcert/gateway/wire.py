"""What the gateway and its clients agree on: the signatures of entries and of downloads.

Each onboarded entry (CSCA, UPLOAD, AUTHENTICATION) carries the anchor's ECDSA signature over
``country;certificateType;thumbprint`` (the thumbprint binds the certificate bytes). Every
download carries, in the ``X-Healthcert-Signature`` header, a detached JWS (RFC 7515 appendix
F) by the anchor over the exact body. Its protected header names the request it answers
(``req``), the gateway's change sequence (``seq``, never decreasing), when it was signed and
when it expires (``iat``, ``exp``), and whether more pages follow (``more``): a body from
another request, an older state, a stale copy or a list cut short is refused.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from healthcert.codec import b64, jws
from healthcert.errors import PayloadError

SIGNATURE_HEADER = "X-Healthcert-Signature"
SIGNATURE_TYPE = "healthcert-gateway-download"
DEFAULT_TTL = timedelta(hours=24)
# The onboarded parties' types (each entry signed by the anchor), and what countries upload
# under their CSCAs (each entry carrying the uploader's CMS): DSCs and border certificates.
ENTRY_TYPES = ("CSCA", "UPLOAD", "AUTHENTICATION")
UPLOADED_TYPES = ("DSC", "BORDER")
_ECDSA = ec.ECDSA(hashes.SHA256())


class DownloadRefused(ValueError):
    """A download that must not be used; the message says why."""


@dataclass(frozen=True, slots=True)
class DownloadStamp:
    """What the anchor signed about one download."""

    seq: int
    issued_at: datetime
    expires: datetime
    more: bool


def thumbprint(der: bytes) -> str:
    """The SHA-256 of a certificate's DER, in hex, as the EU gateway lists it."""
    return hashlib.sha256(der).hexdigest()


def entry_message(country: str, certificate_type: str, print_hex: str) -> bytes:
    return f"{country};{certificate_type};{print_hex}".encode("ascii")


def sign_entry(
    anchor: ec.EllipticCurvePrivateKey, country: str, certificate_type: str, print_hex: str
) -> str:
    """The anchor's signature (base64 DER ECDSA) over one onboarded entry."""
    message = entry_message(country, certificate_type, print_hex)
    return base64.b64encode(anchor.sign(message, _ECDSA)).decode("ascii")


def entry_signature_holds(
    anchor: x509.Certificate, country: str, certificate_type: str, der: bytes, signature: str
) -> bool:
    """Whether ``signature`` is the anchor's over this entry with exactly these bytes."""
    key = anchor.public_key()
    if not isinstance(key, ec.EllipticCurvePublicKey):
        return False
    try:
        raw = base64.b64decode(signature, validate=True)
        key.verify(raw, entry_message(country, certificate_type, thumbprint(der)), _ECDSA)
    except (binascii.Error, ValueError, InvalidSignature):
        return False
    return True


def sign_download(
    anchor: ec.EllipticCurvePrivateKey,
    body: bytes,
    *,
    target: str,
    seq: int,
    more: bool = False,
    now: datetime | None = None,
    ttl: timedelta = DEFAULT_TTL,
) -> str:
    """The header value that signs ``body`` as the answer to ``target`` (path and query)."""
    issued = int((now or datetime.now(UTC)).timestamp())
    header = {
        "alg": "ES256",
        "typ": SIGNATURE_TYPE,
        "req": target,
        "seq": seq,
        "iat": issued,
        "exp": issued + int(ttl.total_seconds()),
        "more": more,
    }
    token = jws.encode_compact(header, body, anchor)
    protected, _, signature = token.split(".")
    return f"{protected}..{signature}"


def check_download(
    anchor: x509.Certificate,
    header_value: str | None,
    body: bytes,
    *,
    target: str,
    min_seq: int = 0,
    now: datetime | None = None,
) -> DownloadStamp:
    """The stamp of a download whose signature, request, sequence and expiry all hold."""
    if not header_value:
        raise DownloadRefused(f"no {SIGNATURE_HEADER} header: the download is not signed")
    protected, empty, signature = _parts(header_value)
    header = _header(protected)
    key = anchor.public_key()
    if empty or not isinstance(key, ec.EllipticCurvePublicKey) or header.get("alg") != "ES256":
        raise DownloadRefused("the download signature is not a detached ES256 JWS")
    signing_input = f"{protected}.{b64.urlsafe_encode(body)}".encode("ascii")
    if not jws.verify(key, "ES256", signing_input, signature):
        raise DownloadRefused("wrong signature: the body was not signed by this gateway's anchor")
    return _stamp(header, target, min_seq, now or datetime.now(UTC))


def _parts(value: str) -> tuple[str, str, bytes]:
    parts = value.strip().split(".")
    if len(parts) != 3:
        raise DownloadRefused("the download signature is not a detached JWS")
    try:
        return parts[0], parts[1], b64.urlsafe_decode(parts[2])
    except b64.Base64Error:
        raise DownloadRefused("the download signature is not base64url") from None


def _header(protected: str) -> dict[str, object]:
    try:
        return jws.parse_header(protected.encode("ascii"))
    except (PayloadError, UnicodeEncodeError):
        raise DownloadRefused("the download signature's header is not JSON") from None


def _stamp(header: dict[str, object], target: str, min_seq: int, now: datetime) -> DownloadStamp:
    if header.get("typ") != SIGNATURE_TYPE or header.get("req") != target:
        raise DownloadRefused(f"the signature answers {header.get('req')!r}, not {target!r}")
    seq, issued, expires = header.get("seq"), header.get("iat"), header.get("exp")
    if not all(isinstance(value, int) for value in (seq, issued, expires)):
        raise DownloadRefused("the download signature lacks its sequence or times")
    assert isinstance(seq, int) and isinstance(issued, int) and isinstance(expires, int)
    if seq < min_seq:
        raise DownloadRefused(f"old sequence {seq}: already holding {min_seq} (a replay?)")
    if expires <= now.timestamp():
        stamp = datetime.fromtimestamp(expires, UTC).isoformat()
        raise DownloadRefused(f"the download expired at {stamp}")
    return DownloadStamp(
        seq=seq,
        issued_at=datetime.fromtimestamp(issued, UTC),
        expires=datetime.fromtimestamp(expires, UTC),
        more=header.get("more") is True,
    )
