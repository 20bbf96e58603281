"""EU DCC trust lists: the gateway's array of entries, or a national mirror's object.

Gateway form: ``[{"kid", "country", "certificateType", "rawData", "thumbprint", ...}]``.
Mirror form: ``{"certificates": [<the same entries>]}``. DSC entries become trusted keys,
CSCA entries anchors; upload and authentication certificates sign no health certificate.
BORDER entries (a healthcert gateway's: a destination's border key, ``trust.border``) become
keys too, held like DSCs under their country's CSCA; each must be a border certificate.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Mapping, Sequence

from healthcert.errors import TrustStoreError
from healthcert.trust.batch import Anchor, ImportBatch, Skipped
from healthcert.trust.border import check_listed_border
from healthcert.trust.certificates import (
    UnusableCertificate,
    anchor_certificate,
    read_facts,
    trusted_key,
)

_BORDER = "BORDER"
_KEY_TYPES = frozenset({"DSC", "CSCA", _BORDER})


def is_eu_list(document: object) -> bool:
    """Whether ``document`` looks like either form of the list (for sniffing)."""
    if isinstance(document, Mapping):
        return isinstance(document.get("certificates"), list)
    # One malformed entry must not hide the list: it is skipped on import instead.
    if not isinstance(document, list):
        return False
    return not document or any(isinstance(entry, Mapping) for entry in document)


def import_eu_list(document: object, source: str) -> ImportBatch:
    """Every usable entry of the list; each unusable one is a skip warning, never fatal."""
    batch = ImportBatch()
    for index, entry in enumerate(_entries(document, source)):
        label = _label(source, index, entry)
        try:
            _import_entry(entry, source, batch)
        except UnusableCertificate as error:
            batch.skipped.append(Skipped(label, str(error)))
    return batch


def _entries(document: object, source: str) -> Sequence[object]:
    if isinstance(document, Mapping):
        document = document.get("certificates")
    if not isinstance(document, list):
        raise TrustStoreError(f"{source}: not an EU trust list (no array of certificates)")
    return document


def _label(source: str, index: int, entry: object) -> str:
    if not isinstance(entry, Mapping):
        return f"{source} [{index}]"
    return f"{source} [{index}] {entry.get('country', '?')} {entry.get('kid', '?')}"


def _import_entry(entry: object, source: str, batch: ImportBatch) -> None:
    if not isinstance(entry, Mapping):
        raise UnusableCertificate("entry is not a JSON object")
    kind = str(entry.get("certificateType") or "DSC").upper()
    if kind not in _KEY_TYPES:
        batch.ignored += 1
        return
    der = _raw_data(entry)
    facts = read_facts(der)
    _check_thumbprint(entry, der)
    country = _country(entry, facts.country)
    if kind == "CSCA":
        if country is None:
            raise UnusableCertificate("CSCA without a country")
        batch.anchors.append(Anchor(anchor_certificate(facts), country, source))
        return
    _check_kid(entry, facts.kid)
    if kind == _BORDER:
        check_listed_border(facts.certificate)
    batch.keys.append(trusted_key(facts, source, country=country))


def _raw_data(entry: Mapping[str, object]) -> bytes:
    raw = entry.get("rawData")
    if not isinstance(raw, str) or not raw:
        raise UnusableCertificate("no rawData")
    try:
        return base64.b64decode("".join(raw.split()), validate=True)
    except (binascii.Error, ValueError) as error:
        raise UnusableCertificate("rawData is not base64") from error


def _check_thumbprint(entry: Mapping[str, object], der: bytes) -> None:
    listed = entry.get("thumbprint")
    if isinstance(listed, str) and listed and listed.lower() != hashlib.sha256(der).hexdigest():
        raise UnusableCertificate("thumbprint does not match rawData")


def _check_kid(entry: Mapping[str, object], kid: bytes) -> None:
    # The kid in a payload is computed from the certificate; a list that says otherwise is
    # wrong about something, and trusting either value would be a guess.
    listed = entry.get("kid")
    if not isinstance(listed, str) or not listed:
        return
    try:
        claimed = base64.b64decode(listed, validate=True)
    except (binascii.Error, ValueError) as error:
        raise UnusableCertificate("kid is not base64") from error
    if claimed != kid:
        actual = base64.b64encode(kid).decode()
        raise UnusableCertificate(f"listed kid {listed} differs from the certificate's {actual}")


def _country(entry: Mapping[str, object], subject_country: str | None) -> str | None:
    listed = entry.get("country")
    country = listed.strip().upper() if isinstance(listed, str) and listed.strip() else None
    if country and subject_country and country != subject_country:
        raise UnusableCertificate(
            f"listed for {country} but the certificate's subject says {subject_country}"
        )
    return country or subject_country
