"""The gateway's trust anchor: the key that signs every onboarded entry and every download,
and the CA of the gateway's own TLS server certificate.

Its certificate (``anchor.pem``) is what the operator hands each country out of band; a
country that holds it can check everything it downloads, and the server it talks to.
Files live in ``$HEALTHCERT_GATEWAY_HOME`` (default ``$HEALTHCERT_HOME/gateway``)::

    anchor.pem, anchor.key.pem   the trust anchor (the key encrypted, mode 0600)
    tls.pem, tls.key.pem         the TLS server certificate, signed by the anchor
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from healthcert.errors import KeyStoreError
from healthcert.keys.home import healthcert_home
from healthcert.keys.keyfile import (
    read_certificate,
    read_private_key,
    write_certificate,
    write_private_key,
)
from healthcert.keys.material import CertifiedKey

GATEWAY_HOME_ENV = "HEALTHCERT_GATEWAY_HOME"
ANCHOR_DAYS = 10 * 365
TLS_DAYS = 2 * 365
DEFAULT_HOSTNAMES = ("localhost", "127.0.0.1")


def gateway_home(environ: Mapping[str, str] | None = None) -> Path:
    """``$HEALTHCERT_GATEWAY_HOME``, else ``$HEALTHCERT_HOME/gateway``."""
    value = (os.environ if environ is None else environ).get(GATEWAY_HOME_ENV, "").strip()
    return Path(value).expanduser() if value else healthcert_home(environ) / "gateway"


@dataclass(frozen=True, slots=True)
class GatewayAnchor:
    """The anchor's EC key and its certificate."""

    # repr=False: a stray print or log line must never carry key material.
    key: ec.EllipticCurvePrivateKey = field(repr=False)
    certificate: x509.Certificate


@dataclass(frozen=True, slots=True)
class GatewayFiles:
    """Where one gateway keeps its anchor and TLS server key."""

    root: Path

    @property
    def anchor_cert(self) -> Path:
        return self.root / "anchor.pem"

    @property
    def anchor_key(self) -> Path:
        return self.root / "anchor.key.pem"

    @property
    def tls_cert(self) -> Path:
        return self.root / "tls.pem"

    @property
    def tls_key(self) -> Path:
        return self.root / "tls.key.pem"

    def exists(self) -> bool:
        return self.anchor_cert.exists() or self.anchor_key.exists()

    def load_anchor(self, passphrase: bytes) -> GatewayAnchor:
        if not self.anchor_cert.exists():
            raise KeyStoreError(f"no gateway anchor in {self.root}: run `healthcert gateway init`")
        key = read_private_key(self.anchor_key, passphrase)
        if not isinstance(key, ec.EllipticCurvePrivateKey):
            raise KeyStoreError(f"{self.anchor_key}: the anchor key must be EC")
        return GatewayAnchor(key, read_certificate(self.anchor_cert))


def init_gateway(
    files: GatewayFiles,
    passphrase: bytes,
    *,
    name: str = "healthcert gateway",
    hostnames: Iterable[str] = DEFAULT_HOSTNAMES,
    force: bool = False,
    now: datetime | None = None,
) -> GatewayAnchor:
    """Create the anchor and the TLS server certificate; KeyStoreError when one exists."""
    if files.exists() and not force:
        raise KeyStoreError(f"a gateway anchor already exists in {files.root}; use --force")
    start = (now or datetime.now(UTC)).replace(microsecond=0)
    anchor = create_anchor(name, start)
    server = create_tls_certificate(anchor, list(hostnames), start)
    files.root.mkdir(parents=True, exist_ok=True)
    os.chmod(files.root, 0o700)
    write_private_key(files.anchor_key, anchor.key, passphrase)
    write_certificate(files.anchor_cert, anchor.certificate)
    write_private_key(files.tls_key, server.private_key, passphrase)
    write_certificate(files.tls_cert, server.certificate)
    return anchor


def create_anchor(name: str, start: datetime) -> GatewayAnchor:
    """A self-signed EC P-256 CA that signs entries, downloads and the TLS certificate."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    ski = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start - timedelta(minutes=5))
        .not_valid_after(start + timedelta(days=ANCHOR_DAYS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_key_usage(ca=True), critical=True)
        .add_extension(ski, critical=False)
    )
    return GatewayAnchor(key, builder.sign(key, hashes.SHA256()))


def create_tls_certificate(
    anchor: GatewayAnchor, hostnames: list[str], start: datetime
) -> CertifiedKey:
    """The gateway's TLS server certificate for ``hostnames`` (names or IP addresses)."""
    if not hostnames:
        raise KeyStoreError("the TLS certificate needs at least one host name")
    key = ec.generate_private_key(ec.SECP256R1())
    names: list[x509.GeneralName] = [_general_name(host) for host in hostnames]
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hostnames[0])]))
        .issuer_name(anchor.certificate.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start - timedelta(minutes=5))
        .not_valid_after(start + timedelta(days=TLS_DAYS))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(ca=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
    )
    return CertifiedKey(key, builder.sign(anchor.key, hashes.SHA256()))


def _general_name(host: str) -> x509.GeneralName:
    try:
        return x509.IPAddress(ipaddress.ip_address(host))
    except ValueError:
        return x509.DNSName(host)


def _key_usage(*, ca: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=True,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=not ca,
        key_cert_sign=ca,
        crl_sign=ca,
        encipher_only=False,
        decipher_only=False,
    )
