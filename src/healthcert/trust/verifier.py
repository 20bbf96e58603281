"""What a verifier trusts, from the sources a person names: keys by kid and issuers by URL.

A ``--trust`` value is a SMART Health Card issuer binding (``https://issuer=jwks.json``), a
VCI directory snapshot, or any source the trust store reads (certificates, EU trust lists,
JWKS, directories). With no sources, the local trust store is used.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from healthcert.errors import ConfigurationError, TrustStoreError

if TYPE_CHECKING:
    from healthcert.formats.shc.issuers import ShcIssuers
    from healthcert.trust.store import TrustStore

# A VCI snapshot is a JSON file of issuer entries; a directory file larger than this is not one.
_MAX_DIRECTORY_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class VerifierTrust:
    store: TrustStore
    shc_issuers: ShcIssuers | None = None


def load_verifier_trust(
    specs: Iterable[str], countries: Mapping[str, str] | None = None
) -> VerifierTrust:
    """Sort the sources by kind and load each; TrustStoreError names a source that fails.

    ``countries`` gives SMART Health Card issuers (by exact URL) the country their cards do
    not carry; each issuer must be among the trusted ones, bound or in the trust store.
    """
    from healthcert.trust.store import load_local_trust, load_trust

    bindings, directories, paths = _sort(list(specs))
    store = load_trust(paths) if paths or bindings or directories else load_local_trust()
    issuers = _load_issuers(bindings, directories) if bindings or directories else None
    if countries:
        issuers = _set_countries(countries, issuers, store)
    return VerifierTrust(store, issuers)


def _set_countries(
    countries: Mapping[str, str], issuers: ShcIssuers | None, store: TrustStore
) -> ShcIssuers:
    """Give each issuer its country. An issuer known only by keys of the trust store (their
    ``issuer_url``) becomes a bound issuer with those keys, which then carry its country."""
    from healthcert.formats.shc.issuers import ShcIssuers

    target = issuers if issuers is not None else ShcIssuers()
    unbound = [iss for iss in countries if iss not in target]
    held = [key for key in store if key.issuer_url in unbound] if unbound else []
    for iss, country in countries.items():
        if iss not in unbound:
            target.add_issuer(iss, country=country)
            continue
        added = [
            target.add_trusted_key(key, country=country) for key in held if key.issuer_url == iss
        ]
        if not any(added):
            # The trust sources are fine; the invocation names an issuer they do not hold.
            raise ConfigurationError(
                f"a country is given for {iss}, but no trusted source holds a key of it"
            )
    return target


def _sort(specs: list[str]) -> tuple[list[str], list[Path], list[Path]]:
    from healthcert.formats.shc.issuers import is_issuer_binding

    bindings, directories, paths = [], [], []
    for spec in specs:
        if is_issuer_binding(spec):
            bindings.append(spec)
        elif _is_vci_directory_file(Path(spec)):
            directories.append(Path(spec))
        else:
            paths.append(Path(spec))
    return bindings, directories, paths


def _is_vci_directory_file(path: Path) -> bool:
    from healthcert.formats.shc.issuers import is_vci_directory

    if path.suffix.lower() != ".json" or not path.is_file():
        return False
    if path.stat().st_size > _MAX_DIRECTORY_BYTES:
        return False
    try:
        return is_vci_directory(json.loads(path.read_bytes()))
    except (OSError, ValueError, RecursionError):
        return False  # the trust store reports what is wrong with it


def _load_issuers(bindings: list[str], directories: list[Path]) -> ShcIssuers:
    from healthcert.formats.shc.issuers import (
        ShcIssuers,
        load_issuer_binding,
        load_vci_directory,
    )

    issuers = ShcIssuers()
    try:
        for spec in bindings:
            load_issuer_binding(spec, issuers)
        for path in directories:
            load_vci_directory(path, issuers)
    except (OSError, ValueError) as error:
        raise TrustStoreError(f"cannot read SMART Health Card issuers: {error}") from None
    return issuers
