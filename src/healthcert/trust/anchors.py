"""Does a CSCA vouch for a DSC? A signature check with the CSCA's public key."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from healthcert.trust.der import DerError, read_certificate

if TYPE_CHECKING:
    from healthcert.trust.entry import TrustedKey


def is_issued_by(cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    """True when ``issuer``'s key made ``cert``'s signature (ECDSA, RSA PKCS#1 v1.5 or PSS).

    Names are not compared: real lists mix string encodings of the same issuer name, while the
    signature alone proves who certified the key.
    """
    return _signed_by(
        issuer,
        cert.signature,
        cert.tbs_certificate_bytes,
        cert.signature_algorithm_parameters,
        cert.signature_hash_algorithm,
    )


def vouches_for(issuer: x509.Certificate, key: TrustedKey) -> bool:
    """True when ``issuer`` signed the certificate of ``key``, however it had to be read.

    A certificate only the tolerant reader reads is checked over its TBSCertificate bytes
    exactly as given: re-encoding them would check a certificate nobody signed.
    """
    if key.certificate is not None:
        return is_issued_by(key.certificate, issuer)
    if key.der is None:
        return False

    try:
        loose = read_certificate(key.der)
    except DerError:
        return False
    scheme = loose.scheme
    if scheme is None:
        return False
    return _signed_by(issuer, loose.signature, loose.tbs, scheme.parameters, scheme.digest)


def _signed_by(
    issuer: x509.Certificate,
    signature: bytes,
    signed: bytes,
    parameters: object,
    digest: hashes.HashAlgorithm | None,
) -> bool:
    try:
        return _verify(issuer, signature, signed, parameters, digest)
    except (InvalidSignature, UnsupportedAlgorithm, ValueError, TypeError):
        return False


def _verify(
    issuer: x509.Certificate,
    signature: bytes,
    signed: bytes,
    parameters: object,
    digest: hashes.HashAlgorithm | None,
) -> bool:
    key = issuer.public_key()
    if isinstance(key, ec.EllipticCurvePublicKey) and isinstance(parameters, ec.ECDSA):
        key.verify(signature, signed, parameters)
        return True
    if (
        isinstance(key, rsa.RSAPublicKey)
        and isinstance(parameters, padding.PKCS1v15 | padding.PSS)
        and digest is not None
    ):
        key.verify(signature, signed, parameters, digest)
        return True
    return False
