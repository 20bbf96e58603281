"""What a ``--trust`` value names: a SMART Health Card issuer binding
(``https://issuer=jwks.json``), a VCI directory snapshot, or a source the trust store reads."""

from __future__ import annotations

import json
from pathlib import Path

from healthcert.errors import TrustStoreError
from healthcert.formats.shc.issuers import (
    ShcIssuers,
    is_issuer_binding,
    is_vci_directory,
    load_issuer_binding,
    load_vci_directory,
)

# A VCI snapshot is a JSON file of issuer entries; a directory file larger than this is not one.
_MAX_DIRECTORY_BYTES = 64 * 1024 * 1024


def sort_specs(specs: list[str]) -> tuple[list[str], list[Path], list[Path]]:
    """Issuer bindings, VCI directory snapshots, and every other source, in that order."""
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
    if path.suffix.lower() != ".json" or not path.is_file():
        return False
    if path.stat().st_size > _MAX_DIRECTORY_BYTES:
        return False
    try:
        return is_vci_directory(json.loads(path.read_bytes()))
    except (OSError, ValueError, RecursionError):
        return False  # the trust store reports what is wrong with it


def load_issuers(bindings: list[str], directories: list[Path]) -> ShcIssuers:
    """The SMART Health Card issuers the bindings and directory snapshots name."""
    issuers = ShcIssuers()
    try:
        for spec in bindings:
            load_issuer_binding(spec, issuers)
        for path in directories:
            load_vci_directory(path, issuers)
    except (OSError, ValueError) as error:
        raise TrustStoreError(f"cannot read SMART Health Card issuers: {error}") from None
    return issuers
