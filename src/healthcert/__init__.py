"""healthcert: issue and verify international travel health certificates offline."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"
__all__ = ["__version__", "verify_many"]

if TYPE_CHECKING:
    from healthcert.batch import verify_many


def __getattr__(name: str) -> Any:
    # Loaded on first use: every command imports this package, and the verifier brings
    # cryptography and the trust store, which `healthcert --help` has no need of.
    if name == "verify_many":
        from healthcert.batch import verify_many

        return verify_many
    raise AttributeError(f"module 'healthcert' has no attribute {name!r}")
