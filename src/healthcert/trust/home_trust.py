"""An installation's own keys in its trust: the CSCA and DSCs of ``HEALTHCERT_HOME/keys``.

The service and the command line share one home. The service verifies what it signs; so that
``healthcert verify`` on the same home accepts what the service serves (and what ``issue``
signed there), ``serve`` records the own keys in the home's persisted trust store, as
``healthcert trust add "$HEALTHCERT_HOME/keys"`` would: visible in ``trust list``, removable.
A VDS-NC seal carries its signer, which must chain to a trusted CSCA, so the CSCA comes too.
"""

from __future__ import annotations

from pathlib import Path

from healthcert.errors import KeyStoreError
from healthcert.keys.directory import KeyDirectory
from healthcert.keys.subject import subject_country
from healthcert.trust.batch import ImportResult, merge
from healthcert.trust.local import add_to_local_trust, load_local_trust
from healthcert.trust.sources import import_path
from healthcert.trust.store import TrustStore

OWN_KEYS = "own keys"


def _own_certificates(directory: KeyDirectory) -> list[Path]:
    try:
        paths = [dsc.cert_path for dsc in directory.dscs()]
    except KeyStoreError:  # no key directory: a verifier-only installation
        paths = []
    if directory.csca_cert_path.exists():
        paths.insert(0, directory.csca_cert_path)
    return paths


def load_home_trust(home: Path | None = None) -> TrustStore:
    """The local trust store of ``home`` (default ``HEALTHCERT_HOME``) plus the certificates
    of its key directory, under the source name ``own keys`` (not saved)."""
    store = load_local_trust(home)
    paths = _own_certificates(KeyDirectory(home))
    if paths:
        store.add_batch(merge(import_path(path) for path in paths), source=OWN_KEYS)
    return store


def trust_own_keys(home: Path | None = None) -> list[ImportResult]:
    """Record the own CSCA and DSCs in the home's persisted trust store when some are not
    there yet; the import results (empty when nothing changed)."""
    directory = KeyDirectory(home)
    paths = _own_certificates(directory)
    if not paths or _all_trusted(directory, load_local_trust(home)):
        return []
    return add_to_local_trust(paths, home=home)


def _all_trusted(directory: KeyDirectory, store: TrustStore) -> bool:
    kids = {key.kid for key in store}
    if any(dsc.kid not in kids for dsc in directory.dscs()):
        return False
    if not directory.csca_cert_path.exists():
        return True
    csca = directory.load_csca_certificate()
    return csca in store.cscas_for(subject_country(csca) or "")
