"""Does a CSCA vouch for a DSC? A signature check with the CSCA's public key."""

from __future__ import annotations

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa


def is_issued_by(cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    """True when ``issuer``'s key made ``cert``'s signature (ECDSA, RSA PKCS#1 v1.5 or PSS).

    Names are not compared: real lists mix string encodings of the same issuer name, while the
    signature alone proves who certified the key.
    """
    try:
        return _verify(cert, issuer)
    except (InvalidSignature, UnsupportedAlgorithm, ValueError, TypeError):
        return False


def _verify(cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    key = issuer.public_key()
    parameters = cert.signature_algorithm_parameters
    digest = cert.signature_hash_algorithm
    signature, signed = cert.signature, cert.tbs_certificate_bytes
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
