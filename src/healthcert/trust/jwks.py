"""JSON Web Key Sets as trust sources (SMART Health Cards issuers, some national services).

A JWK with an ``x5c`` chain is its leaf DSC (kid, country, EKU and validity from it); it is
also indexed under its own ``kid`` when that differs, because JWS headers name keys that way.
A bare JWK trusts the key for every kind, without a validity bound.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import hashlib
import json
from collections.abc import Mapping

from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from healthcert.codec.jws import jwk_coordinate
from healthcert.errors import TrustStoreError
from healthcert.keys.kid import kid_from_text
from healthcert.model.kinds import ALL_KINDS
from healthcert.trust.batch import ImportBatch, Skipped
from healthcert.trust.certificates import UnusableCertificate, read_facts, trusted_key
from healthcert.trust.entry import PublicKey, TrustedKey

_CURVES: dict[str, tuple[ec.EllipticCurve, int]] = {
    "P-256": (ec.SECP256R1(), 32),
    "P-384": (ec.SECP384R1(), 48),
    "P-521": (ec.SECP521R1(), 66),
}
# Below this an RSA signature is forgeable with public effort; no health issuer uses less.
MIN_RSA_BITS = 2048


def import_jwks(
    document: Mapping[str, object], source: str, *, issuer_url: str | None = None
) -> ImportBatch:
    """Every usable key of ``{"keys": [...]}`` (or of a single JWK object)."""
    keys = document.get("keys") if "keys" in document else [document]
    if not isinstance(keys, list):
        raise TrustStoreError(f'{source}: a JWKS needs a "keys" array')
    batch = ImportBatch()
    for index, jwk in enumerate(keys):
        label = f"{source} [{index}] {jwk.get('kid', '?') if isinstance(jwk, Mapping) else ''}"
        try:
            _import_jwk(jwk, source, issuer_url, batch)
        except UnusableCertificate as error:
            batch.skipped.append(Skipped(label.rstrip(), str(error)))
    return batch


def _import_jwk(jwk: object, source: str, issuer_url: str | None, batch: ImportBatch) -> None:
    if not isinstance(jwk, Mapping):
        raise UnusableCertificate("key is not a JSON object")
    if jwk.get("use", "sig") != "sig":
        batch.ignored += 1  # an encryption key signs nothing
        return
    public_key = public_key_from_jwk(jwk)
    text_kid = jwk.get("kid")
    if text_kid is not None and not isinstance(text_kid, str):
        raise UnusableCertificate("kid is not a string")
    chain = jwk.get("x5c")
    if chain is None:
        kid = kid_from_text(text_kid) if text_kid else jwk_thumbprint(jwk)
        batch.keys.append(_bare_key(kid, public_key, source, issuer_url))
        return
    key = _certified_key(chain, public_key, source, issuer_url)
    batch.keys.append(key)
    if text_kid and kid_from_text(text_kid) != key.kid:
        batch.keys.append(dataclasses.replace(key, kid=kid_from_text(text_kid)))


def _bare_key(kid: bytes, public_key: PublicKey, source: str, issuer_url: str | None) -> TrustedKey:
    return TrustedKey(
        kid=kid, public_key=public_key, source=source, types=ALL_KINDS, issuer_url=issuer_url
    )


def _certified_key(
    chain: object, public_key: PublicKey, source: str, issuer_url: str | None
) -> TrustedKey:
    if not isinstance(chain, list) or not chain or not isinstance(chain[0], str):
        raise UnusableCertificate("x5c is not a list of base64 certificates")
    try:
        der = base64.b64decode(chain[0], validate=True)
    except (binascii.Error, ValueError) as error:
        raise UnusableCertificate("x5c[0] is not base64") from error
    facts = read_facts(der)
    if not same_key(facts.public_key, public_key):
        raise UnusableCertificate("the x5c certificate is for another key")
    return trusted_key(facts, source, issuer_url=issuer_url)


def public_key_from_jwk(jwk: Mapping[str, object]) -> PublicKey:
    """The public key of an EC (P-256/384/521) or RSA JWK; UnusableCertificate otherwise."""
    kty = jwk.get("kty")
    try:
        if kty == "EC":
            return _ec_key(jwk)
        if kty == "RSA":
            return _rsa_key(jwk)
    except (ValueError, TypeError) as error:
        raise UnusableCertificate(f"invalid {kty} key: {error}") from error
    raise UnusableCertificate(f"unsupported key type {kty!r}")


def _ec_key(jwk: Mapping[str, object]) -> ec.EllipticCurvePublicKey:
    crv = jwk.get("crv")
    if not isinstance(crv, str) or crv not in _CURVES:
        raise UnusableCertificate(f"unsupported curve {crv!r}")
    curve, size = _CURVES[crv]
    x, y = (jwk_coordinate(jwk, name, size) for name in ("x", "y"))
    numbers = ec.EllipticCurvePublicNumbers(_int(x), _int(y), curve)
    return numbers.public_key()  # raises ValueError for a point off the curve


def _rsa_key(jwk: Mapping[str, object]) -> rsa.RSAPublicKey:
    key = rsa.RSAPublicNumbers(_int(_b64url(jwk, "e")), _int(_b64url(jwk, "n"))).public_key()
    if key.key_size < MIN_RSA_BITS:
        raise UnusableCertificate(f"RSA key of {key.key_size} bits is too short")
    return key


def jwk_thumbprint(jwk: Mapping[str, object]) -> bytes:
    """The RFC 7638 SHA-256 thumbprint: what SMART Health Cards use as kid."""
    required = {"EC": ("crv", "kty", "x", "y"), "RSA": ("e", "kty", "n")}.get(str(jwk.get("kty")))
    if required is None:
        raise UnusableCertificate("cannot compute a thumbprint for this key type")
    members = {name: jwk.get(name) for name in required}
    canonical = json.dumps(members, separators=(",", ":"), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).digest()


def _b64url(jwk: Mapping[str, object], name: str) -> bytes:
    value = jwk.get(name)
    if not isinstance(value, str) or not value:
        raise ValueError(f"missing {name!r}")
    return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))


def _int(data: bytes) -> int:
    return int.from_bytes(data, "big")


def same_key(first: PublicKey, second: PublicKey) -> bool:
    """Whether two public keys are the same key (compared as SubjectPublicKeyInfo)."""
    return _spki(first) == _spki(second)


def _spki(key: PublicKey) -> bytes:
    return key.public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
