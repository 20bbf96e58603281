"""What trust sources yield: keys, CSCAs and refusals, before a trust store checks them.

Every reader of a trust source and the trust store itself share these types, so they live
apart from both.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from cryptography import x509

from healthcert.trust.entry import TrustedKey


@dataclass(frozen=True, slots=True)
class Skipped:
    """An entry of a trust source that was not accepted, and why (or, as ``tolerated``, an
    entry accepted despite a defect, and which)."""

    source: str
    reason: str


@dataclass(frozen=True, slots=True)
class Anchor:
    """A trusted CSCA: it is not a signing key, it decides which DSCs of its country count."""

    certificate: x509.Certificate
    country: str
    source: str


@dataclass(slots=True)
class ImportBatch:
    """What one or more sources yielded, before the trust store checks it against its CSCAs."""

    keys: list[TrustedKey] = field(default_factory=list)
    anchors: list[Anchor] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    # Entries that are not about signing at all (upload/authentication certificates, enc keys).
    ignored: int = 0
    # What a reader wants the person adding the source to know (whether a list's proof was
    # checked), each against the source or entry it is about.
    notes: list[Skipped] = field(default_factory=list)

    def extend(self, other: ImportBatch) -> None:
        self.keys.extend(other.keys)
        self.anchors.extend(other.anchors)
        self.skipped.extend(other.skipped)
        self.ignored += other.ignored
        self.notes.extend(other.notes)


@dataclass(frozen=True, slots=True)
class ImportResult:
    """What adding one source changed in the store."""

    source: str
    added: int
    anchors: int
    duplicates: int
    ignored: int
    skipped: tuple[Skipped, ...]
    # Keys accepted earlier that a newly trusted CSCA of their country did not sign.
    dropped: tuple[Skipped, ...] = ()
    # Keys of an earlier import of the same source that this import replaced (local store).
    replaced: int = 0
    # Keys accepted with a warning (a certificate only the tolerant DER reader reads), and why.
    tolerated: tuple[Skipped, ...] = ()
    # The batch's notes (ImportBatch.notes).
    notes: tuple[Skipped, ...] = ()
    # How many of the keys added are border keys (``trust.border``): sealed to, not signing.
    border_keys: int = 0


def merge(batches: Iterable[ImportBatch]) -> ImportBatch:
    """One batch from many, so that CSCAs from any of them apply to DSCs from all."""
    merged = ImportBatch()
    for batch in batches:
        merged.extend(batch)
    return merged
