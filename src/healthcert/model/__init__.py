"""The canonical certificate model and the value sets its codes come from."""

from healthcert.model.certificate import (
    Certificate,
    Entry,
    Holder,
    Recovery,
    TestResult,
    Vaccination,
)
from healthcert.model.kinds import ALL_KINDS, EntryKind

__all__ = [
    "ALL_KINDS",
    "Certificate",
    "Entry",
    "EntryKind",
    "Holder",
    "Recovery",
    "TestResult",
    "Vaccination",
]
