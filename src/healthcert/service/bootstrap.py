"""First start: an issuer without keys gets its CSCA and a DSC, and trusts its own DSCs (and its
own border keys, so it can seal certificates for trips home)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from healthcert.keys.border import create_border_key, save_border_key
from healthcert.keys.csca import create_csca
from healthcert.keys.directory import KeyDirectory
from healthcert.keys.dsc import create_dsc
from healthcert.keys.keyfile import passphrase_from_env
from healthcert.model.kinds import EntryKind
from healthcert.trust.home_trust import OWN_KEYS, load_home_trust
from healthcert.trust.sources import import_path

if TYPE_CHECKING:
    from healthcert.keys.directory import KeyDirectory
    from healthcert.trust.store import TrustStore


def ensure_issuer_keys(country: str, home: Path | None = None) -> bool:
    """Create the CSCA, a DSC for every kind of certificate and a DSC for health codes when the
    key directory has none; True if created.

    The passphrase comes from HEALTHCERT_KEY_PASSPHRASE, as for `healthcert keys`.
    """
    directory = KeyDirectory(home)
    if directory.has_csca():
        _ensure_health_code_dsc(directory)
        return False
    passphrase = passphrase_from_env()
    csca = create_csca(country, f"healthcert demo CSCA {country}")
    directory.save_csca(csca, passphrase)
    directory.save_dsc(create_dsc(csca), passphrase)
    # A DSC of its own for health codes: a certificate's DSC never signs a travel decision.
    directory.save_dsc(create_dsc(csca, [EntryKind.HEALTH_CODE]), passphrase)
    return True


def _ensure_health_code_dsc(directory: KeyDirectory) -> None:
    """Keys made before health codes existed get a DSC for them, so the holder's code can be
    signed; a home without the CSCA's private key is left as it is."""
    wanted = [EntryKind.HEALTH_CODE]
    if directory.current_dsc(wanted) is not None or not directory.csca_key_path.exists():
        return
    passphrase = passphrase_from_env()
    directory.save_dsc(create_dsc(directory.load_csca(passphrase), wanted), passphrase)


def ensure_border_key(home: Path | None = None) -> Path | None:
    """The demo's border key: made for the CSCA's country when the key directory has none, so
    a demo post opens what is sealed for it; the certificate's path if created."""
    directory = KeyDirectory(home)
    if not directory.csca_key_path.exists() or list(directory.root.glob("border-*.key.pem")):
        return None
    passphrase = passphrase_from_env()
    border = create_border_key(directory.load_csca(passphrase))
    return save_border_key(directory.root, border, passphrase)[0]


def service_trust(home: Path | None = None) -> TrustStore:
    """The local trust store plus this issuer's own CSCA, DSCs and border certificates: the
    service verifies what it issues, and so does the command line on the same home
    (``trust.home_trust``); a holder's certificate can be sealed for a trip to its own country."""
    store = load_home_trust(home)
    borders = sorted(KeyDirectory(home).root.glob("border-*.pem"))
    certificates = [path for path in borders if not path.name.endswith(".key.pem")]
    for path in certificates:
        store.add_batch(import_path(path), source=OWN_KEYS)
    return store
