"""Writing a trust list as a WHO GDHCN DID document, signed with a JsonWebSignature2020 proof.

The gateway publishes its trust list at ``/v2/trustlist/{domain}/{participant}/{usage}/did.json``
(each level ``-`` for any): ``select_entries`` picks what such a path names, and
``write_did_document`` writes those entries, each a ``verificationMethod`` with its JWK and its
certificate (and the CA's, when given) in ``x5c``, participants as alpha-3 codes, as
``trust.did`` reads them back.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import Encoding

from healthcert.codec import b64
from healthcert.codec.jws import public_jwk
from healthcert.formats import terminology
from healthcert.keys.kid import kid_of
from healthcert.trust.did import (
    BORDER_USAGE,
    DSC_USAGE,
    TRUSTLIST_SEGMENT,
    WILDCARD,
    country_of_participant,
)
from healthcert.trust.did_proof import ProofKey, sign_proof

DID_CONTEXTS = (
    "https://www.w3.org/ns/did/v1",
    "https://w3id.org/security/suites/jws-2020/v1",
)
USAGES = frozenset({"SCA", "DSC", "UP", "TLS", "DECA", "DESC", BORDER_USAGE})
# DID verification relationships (DID Core): a DSC's key makes assertions (it signs health
# certificates); a border key is for key agreement only (certificates are sealed to it).
RELATIONSHIPS = {DSC_USAGE: "assertionMethod", BORDER_USAGE: "keyAgreement"}
DEFAULT_DOMAIN = "DCC"


@dataclass(frozen=True, slots=True)
class DidEntry:
    """One certificate of the trust list: whose (alpha-2), what for (a usage code), where."""

    certificate: x509.Certificate
    country: str
    usage: str
    domain: str = DEFAULT_DOMAIN
    # The CA certificate that signed it, written after it in x5c so readers can check the chain.
    issuer: x509.Certificate | None = None


def participant_code(country: str) -> str:
    """The alpha-3 participant code of an alpha-2 country (XA..XZ: the test codes XXA..XXZ)."""
    code = country.strip().upper()
    three = terminology.iso_alpha3(code)
    if three is None and len(code) == 2 and code.startswith("X") and code[1].isalpha():
        return "XX" + code[1]
    if three is None:
        raise ValueError(f"no alpha-3 code is known for the country {country!r}")
    return three


def select_entries(
    entries: Iterable[DidEntry], *, domain: str, participant: str, usage: str
) -> list[DidEntry]:
    """The entries the path ``{domain}/{participant}/{usage}`` names; ``-`` matches any.

    The participant may be given as alpha-3 (as in the path) or alpha-2. ValueError for a
    participant or usage that is no code at all, which the endpoint answers with 400/404.
    """
    wanted_country = None
    if participant != WILDCARD:
        wanted_country = country_of_participant(participant)
        if wanted_country is None:
            raise ValueError(f"unknown participant {participant!r}")
    if usage != WILDCARD and usage.upper() not in USAGES:
        raise ValueError(f"unknown key usage {usage!r}: one of {', '.join(sorted(USAGES))}")
    return [
        entry
        for entry in entries
        if (domain == WILDCARD or entry.domain.upper() == domain.upper())
        and (wanted_country is None or entry.country.upper() == wanted_country)
        and (usage == WILDCARD or entry.usage.upper() == usage.upper())
    ]


def trustlist_did(host: str, domain: str, participant: str, usage: str) -> str:
    """The did:web id of the list at ``https://host/v2/trustlist/{domain}/{participant}/{usage}``."""
    return ":".join(
        ["did:web", quote(host, safe=""), "v2", TRUSTLIST_SEGMENT, domain, participant, usage]
    )


def write_did_document(
    entries: Sequence[DidEntry],
    *,
    domain: str,
    participant: str,
    usage: str,
    did_id: str,
    signer_key: ProofKey,
    signer_certificate: x509.Certificate,
    created: datetime | None = None,
    nonce: str | None = None,
) -> dict[str, Any]:
    """The DID document of ``entries`` (already selected), with its proof by ``signer_key``.

    ``did_id`` is the document's own id (``trustlist_did``); ``domain``, ``participant`` and
    ``usage`` are the path's codes (``-`` allowed). The proof names the signer by the kid of
    ``signer_certificate``, which a reader must be given to check it.
    """
    if not _same_public_key(signer_key, signer_certificate):
        raise ValueError("the signer certificate is not for the signer key")
    root = _root(did_id)
    document: dict[str, Any] = {
        "@context": list(DID_CONTEXTS),
        "id": did_id,
        "controller": root if participant == WILDCARD else f"{root}:{domain}:{participant}",
        "verificationMethod": [_method(entry, root) for entry in entries],
    }
    for usage, relationship in RELATIONSHIPS.items():
        ids = [
            method["id"]
            for entry, method in zip(entries, document["verificationMethod"], strict=True)
            if entry.usage.upper() == usage
        ]
        if ids:
            document[relationship] = ids
    method = f"{did_id}#{quote(_kid_text(signer_certificate), safe='')}"
    document["proof"] = sign_proof(
        document, signer_key, verification_method=method, created=created, nonce=nonce
    )
    return document


def _method(entry: DidEntry, root: str) -> dict[str, Any]:
    participant = participant_code(entry.country)
    controller = f"{root}:{entry.domain}:{participant}"
    jwk = _jwk(entry.certificate)
    chain = [entry.certificate] + ([entry.issuer] if entry.issuer is not None else [])
    jwk["x5c"] = [base64.b64encode(cert.public_bytes(Encoding.DER)).decode() for cert in chain]
    return {
        "id": f"{controller}:{entry.usage}#{quote(_kid_text(entry.certificate), safe='')}",
        "type": "JsonWebKey2020",
        "controller": controller,
        "publicKeyJwk": jwk,
        "domain": {"code": f"#{entry.domain}"},
        "participant": {"code": f"#{participant}"},
        "keyusage": {"code": f"#{entry.usage}"},
    }


def _jwk(certificate: x509.Certificate) -> dict[str, Any]:
    key = certificate.public_key()
    if isinstance(key, ec.EllipticCurvePublicKey):
        jwk: dict[str, Any] = dict(public_jwk(key))
    elif isinstance(key, rsa.RSAPublicKey):
        numbers = key.public_numbers()
        jwk = {"kty": "RSA", "n": _b64_int(numbers.n), "e": _b64_int(numbers.e)}
    else:
        raise ValueError(f"cannot list a {type(key).__name__} key")
    jwk["kid"] = _kid_text(certificate)
    return jwk


def _kid_text(certificate: x509.Certificate) -> str:
    return base64.b64encode(kid_of(certificate)).decode()


def _b64_int(value: int) -> str:
    return b64.urlsafe_encode(value.to_bytes((value.bit_length() + 7) // 8, "big"))


def _root(did_id: str) -> str:
    """The id up to ``:trustlist`` (the whole id when it has no such segment)."""
    segments = did_id.split(":")
    if TRUSTLIST_SEGMENT not in segments:
        return did_id
    return ":".join(segments[: segments.index(TRUSTLIST_SEGMENT) + 1])


def _same_public_key(key: ProofKey, certificate: x509.Certificate) -> bool:
    public = certificate.public_key()
    if isinstance(key, ec.EllipticCurvePrivateKey) and isinstance(
        public, ec.EllipticCurvePublicKey
    ):
        return key.public_key().public_numbers() == public.public_numbers()
    if isinstance(key, rsa.RSAPrivateKey) and isinstance(public, rsa.RSAPublicKey):
        return key.public_key().public_numbers() == public.public_numbers()
    return False
