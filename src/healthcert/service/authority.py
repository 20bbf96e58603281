"""The service's own signing authority, as it uses and publishes it: the DSC that signs
certificates, the DSC that signs health codes (one whose extended key usage names them), and
the CSCA and DSC certificates a verifier needs to trust both."""

from __future__ import annotations

from pathlib import Path

from cryptography.hazmat.primitives.serialization import Encoding

from healthcert.keys.directory import KeyDirectory
from healthcert.keys.signer import Signer, certificate_signer
from healthcert.model.kinds import EntryKind


def health_code_signer(home: Path | None = None) -> Signer:
    """The newest valid DSC whose extended key usage names health codes."""
    return Signer.load(home, kinds=[EntryKind.HEALTH_CODE])


def published_certificates(home: Path | None = None) -> bytes:
    """The CSCA and every DSC of the key directory, as PEM: what ``healthcert verify --trust``
    reads to trust this authority's certificates and health codes. Expired DSCs stay: a
    verifier judges validity itself, and says why a code is expired rather than unknown."""
    directory = KeyDirectory(home)
    found = [directory.load_csca_certificate(), *(dsc.certificate for dsc in directory.dscs())]
    return b"".join(certificate.public_bytes(Encoding.PEM) for certificate in found)


__all__ = ["certificate_signer", "health_code_signer", "published_certificates"]
