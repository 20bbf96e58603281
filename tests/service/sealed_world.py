"""What the tests of sealed certificates through the service share: a CN authority (CSCA, DSC)
with its border key, kept in a key home as ``keys border`` keeps it; a FR border key the
service does not hold; a service context over the session's database that trusts the CN
authority and its border certificate, and opens what is sealed with the home's border keys."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from healthcert.keys.border import border_public_key, create_border_key, save_border_key
from healthcert.keys.csca import create_csca
from healthcert.keys.dsc import create_dsc
from healthcert.keys.material import CertifiedKey
from healthcert.keys.signer import Signer, signer_from
from healthcert.service.unseal import load_unseal_keys
from healthcert.trust.certificates import import_certificates
from healthcert.trust.store import TrustStore

if TYPE_CHECKING:
    from healthcert.service.context import ServiceContext

PASSPHRASE = "test-only-border"
# What a report or an audit event may never show of a person whose certificate it sealed or
# could not open: the names, the birth date, the vaccine, the certificate's identifier.
SECRETS = ("WANG", "XIAOMING", "1985-07-21", "王", "小明", "EU/1/20/1528", "URN:UVCI")


@dataclass(frozen=True)
class World:
    home: Path
    signer: Signer
    border: CertifiedKey  # CN's: the service holds it
    foreign: CertifiedKey  # FR's: the service does not
    trust: TrustStore  # the CN CSCA, its DSC and its border certificate

    def seal_to(self, payload: str, border: CertifiedKey) -> str:
        from healthcert.formats.sealed.payload import seal

        return seal(payload, border_public_key(border.certificate))


def _pem(*certificates: x509.Certificate) -> bytes:
    return b"".join(certificate.public_bytes(Encoding.PEM) for certificate in certificates)


def make_world(home: Path) -> World:
    csca = create_csca("CN")
    dsc = create_dsc(csca)
    border = create_border_key(csca)
    (home / "keys").mkdir(parents=True)
    save_border_key(home / "keys", border, PASSPHRASE.encode())
    trust = TrustStore()
    trust.add_batch(import_certificates(_pem(csca.certificate, dsc.certificate), "CN"))
    trust.add_batch(import_certificates(_pem(border.certificate), "CN border"))
    foreign = create_border_key(create_csca("FR"))
    return World(home, signer_from(dsc), border, foreign, trust)


def world_context(url: str, world: World) -> ServiceContext:
    from healthcert.service.context import open_context

    context = open_context(url)
    context.signer_loader = lambda: world.signer
    context.trust_loader = lambda: world.trust
    context.key_home = world.home
    passphrase = {"HEALTHCERT_KEY_PASSPHRASE": PASSPHRASE}
    context.unseal_keys_loader = lambda: load_unseal_keys(world.home, passphrase)
    return context
