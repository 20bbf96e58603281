"""An issuer key's x5c certificate chain, checked when it ends at a trusted root.

The key's ``x5c`` is read with the key (``issuers``); a card's verification asks for the check
only where the trust store holds roots.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from cryptography import x509
from cryptography.exceptions import InvalidSignature

if TYPE_CHECKING:
    from healthcert.formats.shc.issuers import ShcKey


@dataclass(frozen=True, slots=True)
class ChainResult:
    """The outcome of an x5c check: ``checked`` is False when the chain's root is not trusted."""

    checked: bool
    problem: str | None = None


def check_x5c(
    key: ShcKey, iss: str, roots: Sequence[x509.Certificate], clock: datetime
) -> ChainResult:
    """Check ``key``'s x5c chain, but only when it ends at one of the trusted ``roots``.

    The leaf must carry the key and name ``iss`` as a URI in its subject alternative names;
    every certificate must be issued by the next and valid at ``clock``.
    """
    chain = _anchored_chain(key.x5c, roots)
    if chain is None:
        return ChainResult(checked=False)
    problem = _chain_problem(chain, clock) or _leaf_problem(chain[0], key, iss)
    return ChainResult(checked=True, problem=problem)


def _anchored_chain(
    x5c: Sequence[bytes], roots: Sequence[x509.Certificate]
) -> list[x509.Certificate] | None:
    if not x5c or not roots:
        return None

    try:
        chain = [x509.load_der_x509_certificate(der) for der in x5c]
    except ValueError:
        return None  # an unreadable chain names no root we could trust
    last = chain[-1]
    for root in roots:
        if root == last:
            return chain
        if _issued_by(last, root):
            return [*chain, root]
    return None


def _chain_problem(chain: list[x509.Certificate], clock: datetime) -> str | None:
    for cert in chain:
        if not cert.not_valid_before_utc <= clock <= cert.not_valid_after_utc:
            subject = cert.subject.rfc4514_string()
            return f"x5c certificate {subject} is not valid at {clock:%Y-%m-%d}"
    for child, parent in itertools.pairwise(chain):
        try:
            constraints = parent.extensions.get_extension_for_class(x509.BasicConstraints).value
        except x509.ExtensionNotFound:
            constraints = None
        if constraints is None or not constraints.ca:
            return f"x5c certificate {parent.subject.rfc4514_string()} is not a CA"
        if not _issued_by(child, parent):
            return f"x5c certificate {child.subject.rfc4514_string()} is not signed by the next"
    return None


def _leaf_problem(leaf: x509.Certificate, key: ShcKey, iss: str) -> str | None:
    if leaf.public_key() != key.public_key:
        return "the x5c leaf certificate holds another key than the JWK"
    try:
        names = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return "the x5c leaf certificate has no subject alternative name"
    if iss not in names.get_values_for_type(x509.UniformResourceIdentifier):
        return f"the x5c leaf certificate does not name the issuer {iss} as a URI"
    return None


def _issued_by(child: x509.Certificate, parent: x509.Certificate) -> bool:
    try:
        child.verify_directly_issued_by(parent)
    except (InvalidSignature, ValueError, TypeError):
        return False
    return True
