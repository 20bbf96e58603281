"""The extended key usages that limit which kinds of document a DSC may sign.

The EU DCC's OIDs name the kinds of entry; health codes have an OID of their own.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from healthcert.model.kinds import ALL_KINDS, EntryKind

if TYPE_CHECKING:
    from cryptography import x509

_ARC = "1.3.6.1.4.1.1847.2021.1"
# An early draft of the specification carried an extra ".0" arc; DSCs made then still circulate.
_DRAFT_ARC = "1.3.6.1.4.1.0.1847.2021.1"
_SUFFIX: dict[EntryKind, str] = {
    EntryKind.TEST: ".1",
    EntryKind.VACCINATION: ".2",
    EntryKind.RECOVERY: ".3",
}

EKU_OIDS: dict[EntryKind, str] = {kind: _ARC + suffix for kind, suffix in _SUFFIX.items()}
DRAFT_EKU_OIDS: dict[EntryKind, str] = {
    kind: _DRAFT_ARC + suffix for kind, suffix in _SUFFIX.items()
}
# Health codes are no EU DCC, so the EU arc has no OID for them. This one is under the
# ``2.25`` arc (ITU-T X.667: a UUID written as one integer), which anyone may use without
# registering anything: the random UUID dc9fc854-32fb-4a71-8a30-4b1aec97160c makes it unique.
# It is never implied: a DSC without an extended key usage may not sign health codes.
HEALTH_CODE_OID = "2.25.293259797426052953585412928883113006604"
EKU_OIDS[EntryKind.HEALTH_CODE] = HEALTH_CODE_OID

_KIND_BY_OID: dict[str, EntryKind] = {
    oid: kind for table in (EKU_OIDS, DRAFT_EKU_OIDS) for kind, oid in table.items()
}
_KIND_NAMES = "vaccination, test, recovery and/or health-code"


def kinds_from_oids(oids: Iterable[str]) -> frozenset[EntryKind]:
    """The kinds named by the given dotted OIDs; OIDs of other purposes are ignored."""
    return frozenset(_KIND_BY_OID[oid] for oid in oids if oid in _KIND_BY_OID)


def kinds_from_certificate(cert: x509.Certificate) -> frozenset[EntryKind]:
    """What a DSC may sign: every kind of entry without an EKU extension (no health code), else
    only the kinds it names.

    An EKU that names none of the health-certificate OIDs (e.g. only TLS client auth) allows
    nothing. Raises ``ValueError`` when the certificate's extensions cannot be parsed.
    """
    from cryptography import x509

    try:
        usage = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    except x509.ExtensionNotFound:
        return ALL_KINDS
    return kinds_from_oids(oid.dotted_string for oid in usage)


def oids_for_kinds(kinds: Iterable[EntryKind]) -> list[str]:
    """The current-form OIDs to write into a new DSC, in a stable order (test, vaccination,
    recovery, health code)."""
    wanted = set(kinds)
    return [oid for kind, oid in EKU_OIDS.items() if kind in wanted]


def parse_kinds(text: str) -> frozenset[EntryKind]:
    """Kinds from a comma-separated list such as ``"vaccination,test"`` or ``"health-code"``;
    ValueError if unknown."""
    names = [part.strip().lower() for part in text.split(",") if part.strip()]
    if not names:
        raise ValueError(f"no kind given: use {_KIND_NAMES}")
    unknown = [name for name in names if name not in {kind.value for kind in EntryKind}]
    if unknown:
        raise ValueError(f"unknown kind {', '.join(unknown)!s}: use {_KIND_NAMES}")
    return frozenset(EntryKind(name) for name in names)
