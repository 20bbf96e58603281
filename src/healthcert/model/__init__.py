"""The canonical certificate model and the value sets its codes come from.

The pydantic models load on first use: modules that only need ``EntryKind`` (trust store,
format plumbing, the CLI) import this package without paying for pydantic.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from healthcert.model.kinds import ALL_KINDS, EntryKind

if TYPE_CHECKING:
    from healthcert.model.certificate import (
        Certificate,
        Entry,
        Holder,
        Recovery,
        TestResult,
        Vaccination,
    )

_LAZY = frozenset({"Certificate", "Entry", "Holder", "Recovery", "TestResult", "Vaccination"})

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


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        # why: pydantic and the models load on first use of one of them
        from healthcert.model import certificate

        return getattr(certificate, name)
    raise AttributeError(f"module 'healthcert.model' has no attribute {name!r}")
