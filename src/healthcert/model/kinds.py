"""The kinds of document a DSC signs: the three kinds of entry a health certificate carries,
and the health code (a signed travel decision, not a certificate).

A DSC's extended key usage names the kinds it may sign (``keys.eku``).
"""

from enum import StrEnum


class EntryKind(StrEnum):
    VACCINATION = "vaccination"
    TEST = "test"
    RECOVERY = "recovery"
    HEALTH_CODE = "health-code"


# The kinds of a health certificate's entry. A DSC without an extended key usage may sign each
# of these (the EU DCC's rule), but never a health code: that needs its own usage, named.
ALL_KINDS: frozenset[EntryKind] = frozenset(
    {EntryKind.VACCINATION, EntryKind.TEST, EntryKind.RECOVERY}
)
