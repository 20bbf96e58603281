"""The three kinds of entry a health certificate carries."""

from enum import StrEnum


class EntryKind(StrEnum):
    VACCINATION = "vaccination"
    TEST = "test"
    RECOVERY = "recovery"


ALL_KINDS: frozenset[EntryKind] = frozenset(EntryKind)
