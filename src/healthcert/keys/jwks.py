"""The JWKS a SMART Health Card issuer publishes at ``/.well-known/jwks.json`` for its signers.

Every EC P-256 DSC of the key directory, expired ones too: a card stays verifiable only while
its key is published. RSA DSCs sign no card (the framework is ES256 only) and are left out.
"""

from __future__ import annotations

from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec

from healthcert.errors import KeyStoreError
from healthcert.formats.shc.card import issuer_jwk
from healthcert.keys.directory import KeyDirectory


def signer_jwks(directory: KeyDirectory) -> dict[str, list[dict[str, Any]]]:
    """``{"keys": [...]}``: each signer's public JWK, ``kid`` its RFC 7638 thumbprint."""
    keys = []
    for dsc in directory.dscs():
        public_key = dsc.certificate.public_key()
        if isinstance(public_key, ec.EllipticCurvePublicKey) and isinstance(
            public_key.curve, ec.SECP256R1
        ):
            keys.append(issuer_jwk(public_key))
    if not keys:
        raise KeyStoreError(
            f"no EC P-256 DSC in {directory.root}: create one with `healthcert keys dsc`"
        )
    return {"keys": keys}
