"""SMART Health Cards: a FHIR R4 Bundle in a JWT ``vc`` claim, signed as a compact ES256 JWS.

One module because issuing and verifying walk one chain in opposite directions, each half the
inverse of the other (the FHIR mapping at its end lives in the ``fhir_*`` modules):
    canonical certificate -> FHIR Bundle -> {iss, nbf, exp?, vc} -> minified JSON -> raw DEFLATE
    -> JWS (header zip DEF, alg ES256, kid = RFC 7638 thumbprint) -> ``shc:/`` digits
A payload is the ``shc:/`` QR text (or the deprecated chunks ``shc:/i/n/...``, given together
separated by white space), the bare JWS, or a ``.smart-health-card`` file holding one card.

Trust is bound to the issuer: the card's ``iss`` must be a trusted issuer URL, exactly, and its
``kid`` one of that issuer's keys (``VerificationContext.shc_issuers``). Keys a trust store
holds with the same ``issuer_url`` are accepted too.

``verify_into`` verifies one card; ``verify_many`` a batch, the same stages one at a time over
all its cards (the pipeline hands it batches), with the same reports.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, NamedTuple

import orjson

from healthcert import report as codes
from healthcert.codec import b64, deflate, jws, shc_numeric
from healthcert.codec.ecdsa import is_ec_key
from healthcert.errors import PayloadError, RequestError
from healthcert.formats import registry
from healthcert.formats.base import (
    ABSENT,
    LAST_SECOND,
    VerificationContext,
    check_key_usage,
    check_validity_period,
    kind_of,
    shown,
    time_claim,
)
from healthcert.formats.shc import fhir_common, fhir_direct, fhir_read, fhir_write
from healthcert.formats.shc.x5c import check_x5c
from healthcert.limits import MAX_INPUT_BYTES
from healthcert.model import fields
from healthcert.model.kinds import EntryKind

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric import ec

    from healthcert.formats.shc.issuers import ShcIssuer, ShcKey
    from healthcert.model.certificate import Certificate
    from healthcert.report import Report
    from healthcert.trust.entry import TrustedKey

name = registry.SHC
PREFIX = registry.info(name).prefix
HEALTH_CARD_TYPE = "https://smarthealth.cards#health-card"
_MAX_ISSUER_TEXT = fields.ISSUER_MAX


class DecodedCard(NamedTuple):
    """A card taken apart: header, the signed bytes and the claims, none of it trusted yet."""

    kid: str
    signing_input: bytes
    signature: bytes
    claims: dict[str, Any]
    iss: str


def looks_like(payload: str) -> bool:
    """A ``shc:/`` QR text, a bare compact JWS, or a ``.smart-health-card`` file's JSON."""
    start = payload[:5].lower()
    if start == PREFIX:
        return True
    if start.startswith("eyj"):
        return payload.count(".") == 2
    return start.startswith("{") and '"verifiableCredential"' in payload


def decode(payload: str) -> DecodedCard:
    """Undo the QR digits, the JWS, DEFLATE and JSON; PayloadError names the failing step."""
    text = payload.strip()
    if shc_numeric.has_prefix(text):
        # Read from digits, every byte is one of the compact JWS alphabet already.
        parts = jws.decode_compact(shc_numeric.qr_text_to_bytes(text), alphabet_checked=True)
    else:
        parts = jws.decode_compact(_jws_bytes(text))
    header_b64, signing_input, compressed, signature = parts
    kid = _header_kid(header_b64)
    claims = _claims(deflate.inflate(compressed, wbits=deflate.RAW))
    iss = claims.get("iss")
    if not isinstance(iss, str) or not iss:
        held = f": it holds {kind_of(iss)}" if "iss" in claims and iss != "" else ""
        raise PayloadError(codes.SCHEMA_INVALID, f"the card has no issuer URL (iss){held}")
    return DecodedCard(kid, signing_input, signature, claims, iss)


def _jws_bytes(text: str) -> bytes:
    """The JWS of a ``.smart-health-card`` file holding one card, or of a bare JWS."""
    if text.startswith("{"):
        cards = cards_from_file(text)
        if len(cards) != 1:
            raise PayloadError(
                codes.INPUT_UNREADABLE,
                f"the file holds {len(cards)} cards: verify each (shc.cards_from_file)",
            )
        return cards[0].encode("utf-8")
    return text.encode("utf-8")


# An issuer writes the same header on every card it signs with a key: each header is read and
# checked once, and its kid kept by the header's own base64url text. Only headers that passed
# are kept, so an odd one is refused every time, with its reason.
_KID_BY_HEADER: dict[bytes, str] = {}
_MAX_KEPT_HEADERS = 1024
_MAX_KEPT_HEADER_BYTES = 512


def _header_kid(header_b64: bytes) -> str:
    kid = _KID_BY_HEADER.get(header_b64)
    if kid is None:
        kid = _check_header(jws.parse_header(header_b64))
        if len(header_b64) <= _MAX_KEPT_HEADER_BYTES:
            if len(_KID_BY_HEADER) >= _MAX_KEPT_HEADERS:
                _KID_BY_HEADER.clear()  # many issuers at once: start again rather than grow
            _KID_BY_HEADER[header_b64] = kid
    return kid


def _check_header(header: dict[str, Any]) -> str:
    kid = header.get("kid")
    if header.get("alg") != "ES256":
        raise PayloadError(
            codes.HEADER_INVALID, f"JWS alg is {shown(header.get('alg'))}, not ES256"
        )
    if header.get("zip") != "DEF":
        raise PayloadError(codes.HEADER_INVALID, "JWS header lacks zip DEF (raw DEFLATE)")
    if not isinstance(kid, str) or not kid:
        held = f": it holds {kind_of(kid)}" if "kid" in header and kid != "" else ""
        raise PayloadError(codes.HEADER_INVALID, f"JWS header has no kid{held}")
    return kid


def _claims(data: bytes) -> dict[str, Any]:
    # orjson: a third of json's time on a path that runs per card. The payload is at most
    # MAX_DECOMPRESSED_BYTES and orjson stops deep nesting itself.
    try:
        claims = orjson.loads(data)
    except orjson.JSONDecodeError as error:
        raise PayloadError(codes.JSON_INVALID, f"the JWS payload is not JSON: {error}") from None
    if not isinstance(claims, dict):
        raise PayloadError(codes.JSON_INVALID, "the JWS payload is not a JSON object")
    return claims


def cards_from_file(text: str | bytes) -> list[str]:
    """The JWS of each card in a ``.smart-health-card`` file (``{"verifiableCredential": []}``)."""
    if len(text) > MAX_INPUT_BYTES * 64:
        raise PayloadError(codes.INPUT_TOO_LARGE, "the file is too large for health cards")
    try:
        document = json.loads(text)
    except (ValueError, RecursionError) as error:
        raise PayloadError(codes.JSON_INVALID, f"not a .smart-health-card file: {error}") from None
    cards = document.get("verifiableCredential") if isinstance(document, dict) else None
    if not isinstance(cards, list) or not all(isinstance(card, str) for card in cards):
        raise PayloadError(
            codes.JSON_INVALID, "a .smart-health-card file holds a verifiableCredential array"
        )
    return [card.strip() for card in cards]


def is_chunk(text: str) -> bool:
    """Whether ``text`` is one chunk ``shc:/i/n/...`` of a card split over several QR codes."""
    try:
        return shc_numeric.has_prefix(text) and shc_numeric.parse_chunk(text).total > 1
    except PayloadError:
        return False


def group_chunks(texts: Sequence[str]) -> list[str]:
    """The payloads to verify: chunked QR texts given together become one payload.

    Every other text is kept as it is, in order; the chunks join at the place of the first.
    """
    chunks = [text.strip() for text in texts if is_chunk(text.strip())]
    grouped: list[str] = []
    for text in texts:
        if not is_chunk(text.strip()):
            grouped.append(text)
        elif text.strip() == chunks[0]:
            grouped.append("\n".join(chunks))
    return grouped


# --- verification ---------------------------------------------------------------------------


class _Binding(NamedTuple):
    """The trusted issuer entry and key a card resolved to (any of them may be missing)."""

    issuer: ShcIssuer | None = None
    key: ShcKey | None = None
    trusted: TrustedKey | None = None


_NO_BINDING = _Binding()
_ENTRY_KINDS = {kind.value: kind for kind in EntryKind}


def verify_into(report: Report, payload: str, context: VerificationContext) -> None:
    card = _decode_into(report, payload)
    if card is not None:
        binding = _resolve(report, card, context)
        _check_key(report, card, binding, context)
        _check_card(report, card, binding, context)


def verify_many(work: Sequence[tuple[Report, str]], context: VerificationContext) -> None:
    """Verify cards into their reports, as ``verify_into`` does, one stage at a time.

    Decoding, the signatures and the reading of the bundles each run over the whole batch
    before the next starts, so that each keeps its code and tables in the processor's caches:
    card by card, the Python stages evicted the signature check's tables and it theirs.
    """
    decoded = [(report, _decode_into(report, payload)) for report, payload in work]
    bound = [
        (report, card, _resolve(report, card, context))
        for report, card in decoded
        if card is not None
    ]
    for report, card, binding in bound:
        _check_key(report, card, binding, context)
    for report, card, binding in bound:
        _check_card(report, card, binding, context)


def _decode_into(report: Report, payload: str) -> DecodedCard | None:
    report.format = name
    try:
        card = decode(payload)
    except PayloadError as error:
        report.fail(error.code, error.message, check="decode")
        return None
    report.passed("decode")
    report.issuer = {"country": None, "kid": card.kid, "iss": card.iss}
    return card


def _check_key(
    report: Report, card: DecodedCard, binding: _Binding, context: VerificationContext
) -> None:
    """The signature, and the key's x5c chain where it has one."""
    key, trusted = binding.key, binding.trusted
    if trusted is not None:
        _check_signature(report, card, trusted)
        if key is not None and key.x5c:
            _check_chain(report, card, key, context)


def _check_card(
    report: Report, card: DecodedCard, binding: _Binding, context: VerificationContext
) -> None:
    """What the card says, judged: its content, validity period, key usage and revocation."""
    issuer, key, trusted = binding
    claims = card.claims
    vc = claims.get("vc")
    rid = vc.get("rid") if type(vc) is dict else None
    if type(rid) is not str or not rid:
        if rid is not None or (type(vc) is dict and "rid" in vc):
            # A rid the revocation list cannot be matched against: no rid would let a revoked
            # card pass unrevoked.
            report.fail(codes.SCHEMA_INVALID, f"vc.rid holds {_rid_kind(rid)}", "schema")
        rid = None
    kind = _check_content(report, card, binding, vc, rid)
    _check_validity(report, claims, trusted, context.clock)
    check_key_usage(report, kind, trusted)
    if issuer is not None:
        _check_revocation(report, card, issuer, key, rid)


def _rid_kind(rid: Any) -> str:
    return "empty text" if rid == "" else f"{kind_of(rid)}, not text"


def _resolve(report: Report, card: DecodedCard, context: VerificationContext) -> _Binding:
    issuers = context.shc_issuers
    issuer = issuers.issuer(card.iss) if issuers is not None else None
    if issuer is None:
        return _resolve_in_trust_store(report, card, context)
    report.issuer["country"] = issuer.country
    if issuer.name:
        report.issuer["name"] = issuer.name
    key = issuer.keys.get(card.kid)
    if key is None:
        _unknown_kid(report, card, issuers.issuers_holding(card.kid) if issuers else [])
        return _Binding(issuer)
    return _Binding(issuer, key, key.trusted)


def _resolve_in_trust_store(
    report: Report, card: DecodedCard, context: VerificationContext
) -> _Binding:
    try:
        kid = b64.urlsafe_decode(card.kid)
    except b64.Base64Error:
        kid = card.kid.encode("utf-8")
    keys = [key for key in context.trust.keys_for(kid) if key.issuer_url == card.iss]
    if keys:
        report.issuer["country"] = keys[0].country
        return _Binding(trusted=keys[0])
    if any(key.issuer_url == card.iss for key in context.trust):
        _unknown_kid(report, card, [])
    else:
        report.fail(
            codes.ISSUER_UNKNOWN,
            f"the issuer {card.iss} is not trusted (issuer URLs must match exactly)",
            check="signature",
        )
    return _NO_BINDING


def _unknown_kid(report: Report, card: DecodedCard, holders: list[str]) -> None:
    elsewhere = f"; it is a key of {', '.join(holders)}" if holders else ""
    report.fail(
        codes.KID_UNKNOWN,
        f"the issuer {card.iss} has no trusted key {card.kid}{elsewhere}",
        check="signature",
    )


def _check_signature(report: Report, card: DecodedCard, key: TrustedKey) -> None:
    public_key = key.public_key
    if is_ec_key(public_key) and jws.verify(
        public_key, "ES256", card.signing_input, card.signature
    ):
        report.passed("signature")
    else:
        report.fail(codes.SIGNATURE_INVALID, "the ES256 signature does not verify", "signature")


def _check_chain(
    report: Report, card: DecodedCard, key: ShcKey, context: VerificationContext
) -> None:
    """An x5c chain counts only when its root is a trusted anchor; then it must hold."""
    roots = [anchor.certificate for anchor in context.trust.anchors]
    result = check_x5c(key, card.iss, roots, context.clock)
    if result.checked and result.problem is not None:
        report.fail(codes.CHAIN_INVALID, result.problem, check="signature")


def _check_content(
    report: Report, card: DecodedCard, binding: _Binding, vc: Any, rid: str | None
) -> EntryKind | None:
    """The schema check: the report's certificate from the card's FHIR Bundle; its kind."""
    types = vc.get("type") if isinstance(vc, dict) else None
    if not isinstance(types, list) or HEALTH_CARD_TYPE not in types:
        report.fail(codes.SCHEMA_INVALID, f"vc.type does not name {HEALTH_CARD_TYPE}", "schema")
        return None
    subject = vc.get("credentialSubject") if isinstance(vc, dict) else None
    bundle = subject.get("fhirBundle") if isinstance(subject, dict) else None
    try:
        certificate = fhir_direct.certificate_json(bundle, _card_context(card, binding, rid))
    except fhir_common.ContentError as error:
        report.fail(error.code, error.message, check="schema")
        if error.code == codes.CONTENT_UNSUPPORTED:
            report.extra["shc"] = {"resources": fhir_read.resource_counts(bundle)}
        return None
    report.passed("schema")
    report.certificate = certificate
    return _ENTRY_KINDS[certificate["entry"]["kind"]]


def _card_context(card: DecodedCard, binding: _Binding, rid: str | None) -> fhir_common.CardContext:
    """Country, issuer name and certificate id: what the entry needs and the bundle lacks."""
    issuer, trusted = binding.issuer, binding.trusted
    country = (issuer.country if issuer else None) or (trusted.country if trusted else None)
    name = ((issuer.name if issuer else None) or card.iss)[:_MAX_ISSUER_TEXT]
    # A card names no country: unless the issuer's is known, the entry's is unknown (null).
    return fhir_common.CardContext(country or None, name, rid or _digest_id(card))


def _digest_id(card: DecodedCard) -> str:
    """An id for a card without rid: stable, and distinct for distinct cards."""
    return "shc:" + b64.urlsafe_encode(hashlib.sha256(card.signing_input).digest()[:12])


def _check_validity(
    report: Report, claims: dict[str, Any], trusted: TrustedKey | None, clock: datetime
) -> None:
    nbf, exp = claims.get("nbf"), claims.get("exp", ABSENT)
    if (
        type(nbf) is int
        and (exp is ABSENT or type(exp) is int)
        and (trusted is None or (trusted.not_before is None and trusted.not_after is None))
        and clock.tzinfo is not None
    ):
        # The usual card (whole seconds) from a bare key: in force needs no datetime built.
        # Whole seconds against the clock's float: exact, as the clock has microseconds at most.
        now = clock.timestamp()
        if 0 <= nbf <= now and (exp is ABSENT or now <= exp <= LAST_SECOND):
            report.passed("validity_period")
            return
    # The framework requires nbf and allows exp; a null exp is an exp that is no time.
    issued = time_claim(report, claims, "nbf", "nbf", required=True)
    expires = time_claim(report, claims, "exp", "exp", required=False)
    check_validity_period(report, issued_at=issued, expires=expires, clock=clock, key=trusted)


def _check_revocation(
    report: Report, card: DecodedCard, issuer: ShcIssuer, key: ShcKey | None, rid: str | None
) -> None:
    """Per the framework: a rid listed in the key's CRL revokes the card (if nbf is earlier)."""
    crl = issuer.crls.get(card.kid)
    if crl is None:
        if key is not None and key.crl_version is not None:
            report.extra["revocation"] = (
                f"the issuer keeps a revocation list for this key (version {key.crl_version}), "
                "but none is loaded: revocation was not checked"
            )
        return
    if rid is None:
        return  # the card has no rid, so the rid method cannot revoke it
    nbf = card.claims.get("nbf")
    # A tuple of types, not int | float: the union would be built anew on every card.
    when = float(nbf) if isinstance(nbf, (int, float)) and not isinstance(nbf, bool) else None
    if crl.revokes(rid, when):
        report.fail(codes.REVOKED, f"the issuer revoked this card (rid {rid})", "revocation")
    else:
        report.passed("revocation")
    if key is not None and key.crl_version is not None and crl.ctr < key.crl_version:
        report.extra["revocation"] = (
            f"the loaded revocation list is version {crl.ctr}; the issuer is at {key.crl_version}"
        )


# --- issuing --------------------------------------------------------------------------------


def encode(
    cert: Certificate,
    private_key: ec.EllipticCurvePrivateKey,
    kid: str | None,
    iss: str,
    nbf: datetime | float,
    exp: datetime | float | None = None,
    *,
    rid: str | None = None,
) -> str:
    """The compact JWS of a SMART Health Card for ``cert``, signed with ``private_key``.

    ``kid`` defaults to the key's RFC 7638 thumbprint (the framework requires exactly that);
    ``nbf`` and ``exp`` are datetimes or seconds since 1970; ``rid`` is the revocation id.
    """
    if not iss.startswith(("https://", "http://")) or iss.endswith("/"):
        raise RequestError(f"the issuer URL {iss!r} must be http(s) without a trailing '/'")
    try:
        if jws.algorithm_for_key(private_key).name != "ES256":
            raise ValueError("not P-256")
    except ValueError:
        raise RequestError(
            "SMART Health Cards are signed with ES256: use an EC P-256 key"
        ) from None
    credential: dict[str, Any] = {
        "type": [HEALTH_CARD_TYPE],
        "credentialSubject": {
            "fhirVersion": fhir_common.FHIR_VERSION,
            "fhirBundle": fhir_write.bundle_from_certificate(cert),
        },
    }
    if rid is not None:
        credential["rid"] = rid
    claims: dict[str, Any] = {"iss": iss, "nbf": _seconds(nbf)}
    if exp is not None:
        claims["exp"] = _seconds(exp)
    claims["vc"] = credential
    minified = json.dumps(claims, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    key_id = kid or jws.jwk_thumbprint(jws.public_jwk(private_key.public_key()))
    header = {"zip": "DEF", "alg": "ES256", "kid": key_id}
    return jws.encode_compact(header, jws.deflate_raw(minified), private_key)


def _seconds(moment: datetime | float) -> int | float:
    value = moment.timestamp() if isinstance(moment, datetime) else float(moment)
    return int(value) if value.is_integer() else value


def issuer_jwk(public_key: ec.EllipticCurvePublicKey) -> dict[str, str]:
    """The JWK an issuer publishes in its ``/.well-known/jwks.json`` for this signing key."""
    jwk = {**jws.public_jwk(public_key), "use": "sig", "alg": "ES256"}
    return {**jwk, "kid": jws.jwk_thumbprint(jwk)}


def to_numeric(jws_text: str) -> str:
    """The ``shc:/`` QR text of a card's JWS (numeric QR mode; one code, not chunks)."""
    return shc_numeric.to_qr_text(jws_text)


def to_file(cards: Sequence[str]) -> str:
    """The JSON of a ``.smart-health-card`` file holding ``cards`` (JWS texts)."""
    return json.dumps({"verifiableCredential": list(cards)}, indent=2)
