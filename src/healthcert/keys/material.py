"""Names for the key material that moves between the modules of ``healthcert.keys``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa

PrivateKey = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey
Algorithm = Literal["ES256", "PS256"]
ALGORITHMS: tuple[Algorithm, ...] = ("ES256", "PS256")


@dataclass(frozen=True, slots=True)
class CertifiedKey:
    """A private key and the certificate that binds its public half (a CSCA or a DSC)."""

    # repr=False: a stray print or log line must never carry key material.
    private_key: PrivateKey = field(repr=False)
    certificate: x509.Certificate
