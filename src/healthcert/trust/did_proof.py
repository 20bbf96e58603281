"""The JsonWebSignature2020 proof of a DID trust list: a detached JWS over the document.

The proof's ``jws`` is ``<header>..<signature>``: a JWS whose payload is left out (RFC 7515
appendix F) and, with ``"b64": false`` (RFC 7797), signed as raw bytes rather than base64url.
Those bytes are the document as RFC 8785 canonical JSON with the proof's own ``jws`` member
removed, so the proof's options (created, nonce, verificationMethod) are signed with the keys.

The W3C suite canonicalises the document as RDF (URDNA2015), which needs the JSON-LD contexts
fetched or bundled; healthcert canonicalises the JSON itself instead. A list signed the RDF way
does not verify here and is reported as such: its keys are then read with the proof unchecked.

Published lists put a DER ECDSA signature where JWS wants the fixed-size r||s; both are read.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from healthcert.codec import b64, canonical_json, jws
from healthcert.codec.ecdsa import der_signature, raw_signature

PROOF_TYPE = "JsonWebSignature2020"
PROOF_PURPOSE = "assertionMethod"
# What may check a proof: the list signer's certificate or its bare public key.
ProofSigner = x509.Certificate | ec.EllipticCurvePublicKey | rsa.RSAPublicKey
ProofKey = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey
_PS256_SALT = 32


class ProofError(ValueError):
    """The proof is missing, malformed, or not made by any of the given signers."""


def sign_proof(
    document: Mapping[str, object],
    key: ProofKey,
    *,
    verification_method: str,
    created: datetime | None = None,
    nonce: str | None = None,
) -> dict[str, object]:
    """The proof of ``document`` (without a proof of its own) made with ``key``."""
    when = (created or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    proof: dict[str, object] = {
        "type": PROOF_TYPE,
        "created": when.isoformat().replace("+00:00", "Z"),
        "proofPurpose": PROOF_PURPOSE,
        "verificationMethod": verification_method,
    }
    if nonce is not None:
        proof["nonce"] = nonce
    header = {"alg": _algorithm_of(key), "b64": False, "crit": ["b64"]}
    header_b64 = b64.urlsafe_encode(json.dumps(header, separators=(",", ":")).encode())
    signing_input = header_b64.encode() + b"." + signed_bytes({**document, "proof": proof})
    proof["jws"] = f"{header_b64}..{b64.urlsafe_encode(_sign(key, signing_input))}"
    return proof


def signed_bytes(document: Mapping[str, object]) -> bytes:
    """What the proof signs: the document, its proof without ``jws``, as RFC 8785 JSON."""
    proof = document.get("proof")
    body = dict(document)
    if isinstance(proof, Mapping):
        body["proof"] = {name: value for name, value in proof.items() if name != "jws"}
    try:
        return canonical_json.dumps(body)
    except (canonical_json.CanonicalJsonError, TypeError, ValueError) as error:
        raise ProofError(f"the document has no canonical JSON form: {error}") from None


def verify_proof(document: Mapping[str, object], signers: Sequence[ProofSigner]) -> str:
    """Check the proof against ``signers``; what was checked (and tolerated), or ProofError."""
    proof = document.get("proof")
    if not isinstance(proof, Mapping):
        raise ProofError("the document has no proof to check")
    if proof.get("type") != PROOF_TYPE:
        raise ProofError(f"the proof is of type {proof.get('type')!r}, not {PROOF_TYPE}")
    header_b64, signature = _detached_parts(proof.get("jws"))
    header = _header(header_b64)
    payload = signed_bytes(document)
    if header.get("b64", True) is not False:
        payload = b64.urlsafe_encode(payload).encode()
    signing_input = header_b64.encode() + b"." + payload
    alg = header.get("alg")
    for signer in signers:
        key = signer.public_key() if isinstance(signer, x509.Certificate) else signer
        tolerated = _verifies(key, alg, signing_input, signature)
        if tolerated is not None:
            return f"proof checked ({alg}){tolerated}"
    raise ProofError("the proof's signature does not verify with the given signing key")


def _detached_parts(value: object) -> tuple[str, bytes]:
    if not isinstance(value, str) or value.count(".") != 2:
        raise ProofError("the proof's jws is not a JWS of three parts")
    header_b64, payload, signature_b64 = value.split(".")
    if payload:
        raise ProofError("the proof's jws carries its payload; a detached JWS leaves it out")
    try:
        return header_b64, b64.urlsafe_decode(signature_b64)
    except b64.Base64Error as error:
        raise ProofError(f"the proof's signature: {error}") from None


def _header(header_b64: str) -> Mapping[str, object]:
    try:
        header = json.loads(b64.urlsafe_decode(header_b64))
    except (b64.Base64Error, ValueError, RecursionError) as error:
        raise ProofError(f"the proof's JWS header: {error}") from None
    if not isinstance(header, dict):
        raise ProofError("the proof's JWS header is not a JSON object")
    crit = header.get("crit", [])
    if header.get("b64") is False and (not isinstance(crit, list) or "b64" not in crit):
        raise ProofError('the proof\'s JWS header sets "b64": false without naming it in crit')
    unknown = [name for name in crit if name != "b64"] if isinstance(crit, list) else [crit]
    if unknown:
        raise ProofError(f"the proof's JWS header requires unknown extensions {unknown}")
    return header


def _verifies(key: object, alg: object, signing_input: bytes, signature: bytes) -> str | None:
    """None when ``key`` did not make ``signature``; else what was tolerated ("" for nothing)."""
    if isinstance(key, ec.EllipticCurvePublicKey) and isinstance(alg, str):
        spec = jws.ALGORITHMS.get(alg)
        if spec is None or not isinstance(key.curve, spec.curve):
            return None
        size = spec.coordinate_bytes
        raw, note = _raw_ecdsa(signature, size)
        if raw is None:
            return None
        try:
            key.verify(der_signature(raw, size), signing_input, spec.ecdsa)
        except InvalidSignature:
            return None
        return note
    if isinstance(key, rsa.RSAPublicKey) and alg == "PS256":
        try:
            key.verify(signature, signing_input, _pss(), hashes.SHA256())
        except InvalidSignature:
            return None
        return ""
    return None


def _raw_ecdsa(signature: bytes, size: int) -> tuple[bytes | None, str]:
    """The r||s of a JWS signature, or of the DER form some published lists put there."""
    if len(signature) == 2 * size:
        return signature, ""
    try:
        return raw_signature(signature, size), "; its signature is DER, not r||s (tolerated)"
    except (ValueError, IndexError):
        return None, ""


def _algorithm_of(key: ProofKey) -> str:
    if isinstance(key, rsa.RSAPrivateKey):
        return "PS256"
    return jws.algorithm_for_key(key).name


def _sign(key: ProofKey, message: bytes) -> bytes:
    if isinstance(key, rsa.RSAPrivateKey):
        return key.sign(message, _pss(), hashes.SHA256())
    return jws.sign(key, message)


def _pss() -> padding.PSS:
    return padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=_PS256_SALT)
