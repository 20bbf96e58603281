"""The service's own signing authority, as it uses and publishes it: the DSC that signs
certificates, the DSC that signs health codes (one whose extended key usage names them), and
the CSCA and DSC certificates a verifier needs to trust both."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from cryptography.hazmat.primitives.serialization import Encoding

from healthcert.keys.directory import KeyDirectory
from healthcert.keys.eku import kinds_from_certificate
from healthcert.keys.signer import Signer
from healthcert.model.kinds import ALL_KINDS, EntryKind


def certificate_signer(home: Path | None = None) -> Signer:
    """The newest valid DSC that may sign some kind of certificate entry: a DSC made for
    health codes alone is newer than the first one, and must not become the one that signs
    certificates."""
    directory = KeyDirectory(home)
    now = datetime.now(UTC)
    usable = [
        dsc
        for dsc in directory.dscs()
        if dsc.is_valid_at(now)
        and dsc.key_path.exists()
        and kinds_from_certificate(dsc.certificate) & ALL_KINDS
    ]
    if not usable:
        return Signer.load(home)  # refuses, saying what is missing
    return Signer.load(home, kid=usable[-1].kid)


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
