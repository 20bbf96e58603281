"""First start: an issuer without keys gets its CSCA and a DSC, and trusts its own DSCs."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from healthcert.keys.csca import create_csca
from healthcert.keys.directory import KeyDirectory
from healthcert.keys.dsc import create_dsc
from healthcert.keys.keyfile import passphrase_from_env
from healthcert.model.kinds import EntryKind
from healthcert.trust.home_trust import load_home_trust

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


def service_trust(home: Path | None = None) -> TrustStore:
    """The local trust store plus this issuer's own CSCA and DSCs: the service verifies what it
    issues, and so does the command line on the same home (``trust.home_trust``)."""
    return load_home_trust(home)
