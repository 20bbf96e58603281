"""The key directory of an issuer, ``$HEALTHCERT_HOME/keys``::

csca.pem, csca.key.pem               the CSCA certificate and its encrypted key
dsc-<kidhex>.pem, dsc-<kidhex>.key.pem   one pair per DSC, named by its kid
upload.pem, upload.key.pem           the UPLOAD party (signs what is published to a gateway)
auth.pem, auth.key.pem               the AUTHENTICATION party (TLS client certificate at a gateway)
retired/                             CSCAs replaced with ``keys init --force``
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from cryptography import x509

from healthcert.errors import KeyStoreError
from healthcert.keys.eku import kinds_from_certificate
from healthcert.keys.home import healthcert_home
from healthcert.keys.keyfile import (
    read_certificate,
    read_private_key,
    write_certificate,
    write_private_key,
)
from healthcert.keys.kid import kid_of
from healthcert.keys.material import CertifiedKey
from healthcert.model.kinds import EntryKind

CSCA_CERT = "csca.pem"
CSCA_KEY = "csca.key.pem"


@dataclass(frozen=True, slots=True)
class StoredDsc:
    """A DSC certificate found in the key directory (its private key stays on disk)."""

    kid: bytes
    certificate: x509.Certificate
    cert_path: Path
    key_path: Path

    def is_valid_at(self, moment: datetime) -> bool:
        cert = self.certificate
        return cert.not_valid_before_utc <= moment < cert.not_valid_after_utc


class KeyDirectory:
    """Reads and writes the key files of one issuer; every private key file is mode 0600."""

    def __init__(self, home: Path | None = None) -> None:
        self.root = (home if home is not None else healthcert_home()) / "keys"

    @property
    def csca_cert_path(self) -> Path:
        return self.root / CSCA_CERT

    @property
    def csca_key_path(self) -> Path:
        return self.root / CSCA_KEY

    def dsc_paths(self, kid: bytes) -> tuple[Path, Path]:
        """The certificate and key file of the DSC with ``kid``."""
        stem = f"dsc-{kid.hex()}"
        return self.root / f"{stem}.pem", self.root / f"{stem}.key.pem"

    def party_paths(self, usage: str) -> tuple[Path, Path]:
        """The certificate and key file of the ``upload`` or ``auth`` party."""
        return self.root / f"{usage}.pem", self.root / f"{usage}.key.pem"

    def save_party(self, usage: str, party: CertifiedKey, passphrase: bytes) -> Path:
        """Store a gateway party's key and certificate; return the certificate path."""
        cert_path, key_path = self.party_paths(usage)
        self._make_root()
        write_private_key(key_path, party.private_key, passphrase)
        write_certificate(cert_path, party.certificate)
        return cert_path

    def load_party(self, usage: str, passphrase: bytes) -> CertifiedKey:
        """A gateway party with its private key; KeyStoreError when it was never created."""
        cert_path, key_path = self.party_paths(usage)
        if not cert_path.exists():
            raise KeyStoreError(
                f"no {usage} party in {self.root}: run `healthcert keys party --usage {usage}`"
            )
        return CertifiedKey(read_private_key(key_path, passphrase), read_certificate(cert_path))

    def has_csca(self) -> bool:
        return self.csca_cert_path.exists() or self.csca_key_path.exists()

    def save_csca(self, csca: CertifiedKey, passphrase: bytes, *, force: bool = False) -> None:
        """Store a new CSCA; an existing one is moved to ``retired/`` only when ``force``."""
        if self.has_csca():
            if not force:
                raise KeyStoreError(
                    f"a CSCA already exists in {self.root}; use --force to replace it"
                )
            self._retire_csca()
        self._make_root()
        write_private_key(self.csca_key_path, csca.private_key, passphrase)
        write_certificate(self.csca_cert_path, csca.certificate)

    def load_csca_certificate(self) -> x509.Certificate:
        if not self.csca_cert_path.exists():
            raise KeyStoreError(f"no CSCA in {self.root}: run `healthcert keys init` first")
        return read_certificate(self.csca_cert_path)

    def load_csca(self, passphrase: bytes) -> CertifiedKey:
        """The CSCA with its private key (needed only to sign new DSCs)."""
        certificate = self.load_csca_certificate()
        return CertifiedKey(read_private_key(self.csca_key_path, passphrase), certificate)

    def save_dsc(self, dsc: CertifiedKey, passphrase: bytes) -> bytes:
        """Store a new DSC under its kid and return the kid."""
        kid = kid_of(dsc.certificate)
        cert_path, key_path = self.dsc_paths(kid)
        self._make_root()
        write_private_key(key_path, dsc.private_key, passphrase)
        write_certificate(cert_path, dsc.certificate)
        return kid

    def dscs(self) -> list[StoredDsc]:
        """Every DSC certificate in the directory, oldest first; unreadable files are errors."""
        found = []
        for cert_path in sorted(self.root.glob("dsc-*.pem")):
            if cert_path.name.endswith(".key.pem"):
                continue
            certificate = read_certificate(cert_path)
            key_path = cert_path.with_name(cert_path.name.removesuffix(".pem") + ".key.pem")
            found.append(StoredDsc(kid_of(certificate), certificate, cert_path, key_path))
        return sorted(found, key=lambda dsc: dsc.certificate.not_valid_before_utc)

    def current_dsc(
        self, kinds: Iterable[EntryKind] = (), now: datetime | None = None
    ) -> StoredDsc | None:
        """The newest DSC valid at ``now`` that may sign every one of ``kinds``."""
        moment = now or datetime.now(UTC)
        wanted = frozenset(kinds)
        usable = [
            dsc
            for dsc in self.dscs()
            if dsc.is_valid_at(moment)
            and dsc.key_path.exists()
            and wanted <= kinds_from_certificate(dsc.certificate)
        ]
        return usable[-1] if usable else None

    def _make_root(self) -> None:
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            # Only the owner may even list which keys exist.
            os.chmod(self.root, 0o700)
        except OSError as error:
            raise KeyStoreError(f"cannot create {self.root}: {error.strerror}") from error

    def _retire_csca(self) -> None:
        retired = self.root / "retired"
        retired.mkdir(mode=0o700, exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        for path in (self.csca_cert_path, self.csca_key_path):
            if path.exists():
                path.replace(retired / f"{stamp}-{path.name}")
