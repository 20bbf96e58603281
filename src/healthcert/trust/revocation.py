"""EU DCC revocation in hash form: a revoked certificate is listed by the first 16 bytes of
SHA-256 of its UCI, of its country code + UCI, or of its signature.

Hashes let a list be published without naming the certificates in it. For ECDSA only the
signature's r half is hashed: (r, s) and (r, n - s) are both valid signatures of the same
payload, so hashing all of it would let a re-encoded copy escape the list.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

HASH_BYTES = 16
UCI = "UCI"
COUNTRY_UCI = "COUNTRYCODEUCI"
SIGNATURE = "SIGNATURE"
HASH_TYPES = (UCI, COUNTRY_UCI, SIGNATURE)
_ES256_SIGNATURE_BYTES = 64


def revocation_hash(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()[:HASH_BYTES]


def signature_part(signature: bytes) -> bytes:
    """What the SIGNATURE hash covers: r for an ES256 r||s signature, else the whole."""
    if len(signature) == _ES256_SIGNATURE_BYTES:
        return signature[: _ES256_SIGNATURE_BYTES // 2]
    return signature


def hashes_of(uci: str, country: str, signature: bytes) -> dict[str, bytes]:
    """The three hashes by which a certificate can be listed."""
    return {
        UCI: revocation_hash(uci.encode("utf-8")),
        COUNTRY_UCI: revocation_hash((country.upper() + uci).encode("utf-8")),
        SIGNATURE: revocation_hash(signature_part(signature)),
    }


@dataclass(frozen=True, slots=True)
class DccRevocations:
    """The revoked hashes a verifier knows, by hash type."""

    hashes: frozenset[tuple[str, bytes]] = frozenset()

    @classmethod
    def of(cls, entries: Iterable[tuple[str, bytes]]) -> DccRevocations:
        return cls(frozenset(entries))

    def match(self, uci: str | None, country: str | None, signature: bytes) -> str | None:
        """The hash type that lists this certificate, or None when none does."""
        candidates = {SIGNATURE: revocation_hash(signature_part(signature))}
        if uci:
            candidates[UCI] = revocation_hash(uci.encode("utf-8"))
            if country:
                candidates[COUNTRY_UCI] = revocation_hash((country.upper() + uci).encode("utf-8"))
        for kind, digest in candidates.items():
            if (kind, digest) in self.hashes:
                return kind
        return None

    def __len__(self) -> int:
        return len(self.hashes)
