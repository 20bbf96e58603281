"""EU trust lists: the real DE national mirror, and gateway arrays built here."""

from __future__ import annotations

import base64
import json
import warnings
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from healthcert.errors import TrustStoreError
from healthcert.keys.kid import kid_of, kid_of_der
from healthcert.model.kinds import ALL_KINDS, EntryKind
from healthcert.trust.eulist import import_eu_list
from healthcert.trust.sources import import_document
from healthcert.trust.store import TrustStore, load_trust

from . import pki

DE_LIST = Path(__file__).parents[1] / "data" / "trustlists" / "eu-national-mirror-de.json"


@pytest.fixture(scope="module")
def de_store() -> TrustStore:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no deprecation warning may leak to callers
        return load_trust([DE_LIST])


def test_de_mirror_counts(de_store: TrustStore) -> None:
    assert len(json.loads(DE_LIST.read_text())["certificates"]) == 832
    assert len(de_store) == 832
    assert de_store.skipped == [] and de_store.ignored == 0
    assert len({key.kid for key in de_store}) == 832
    assert de_store.anchors == ()


def test_de_mirror_tolerated_certificates_say_why(de_store: TrustStore) -> None:
    # Six DSCs that cryptography refuses, read by the tolerant reader: each names its defect.
    tolerated = [key for key in de_store if key.warning is not None]
    assert Counter((key.country, key.warning) for key in tolerated) == {
        (
            "FI",
            "not strict DER, read tolerantly: "
            "BasicConstraints encodes its DEFAULT cA FALSE explicitly",
        ): 5,
        (
            "ES",
            "not strict DER, read tolerantly: "
            "BasicConstraints has a pathLenConstraint with cA FALSE",
        ): 1,
    }
    assert all(key.certificate is None and key.der is not None for key in tolerated)
    [spanish] = de_store.keys_for(base64.b64decode("ROHJQ9RSS/o="))
    assert spanish.subject is not None and "CVS-PRODUCCION-XUNTADEGALICIA" in spanish.subject
    assert spanish.types == frozenset()  # its EKU names only TLS client auth and e-mail
    finnish = [key for key in tolerated if key.country == "FI"]
    assert all(key.types == ALL_KINDS for key in finnish)
    assert all(key.der is not None and kid_of_der(key.der) == key.kid for key in tolerated)


def test_de_mirror_kinds_from_eku(de_store: TrustStore) -> None:
    sizes = Counter(len(key.types) for key in de_store)
    # 334 DSCs without EKU, 130 naming all three kinds; 52 only name non-DCC purposes.
    assert sizes == {3: 464, 1: 315, 2: 1, 0: 52}
    assert sum(1 for key in de_store if key.types == {EntryKind.VACCINATION}) == 146


def test_de_mirror_keys_carry_their_facts(de_store: TrustStore) -> None:
    [key] = de_store.keys_for(base64.b64decode("+7gPaASOAJY="))
    assert key.country == "NL" and key.types == {EntryKind.RECOVERY}
    assert key.subject is not None and "Health DSC for recovery" in key.subject
    assert key.certificate is not None and kid_of(key.certificate) == key.kid
    assert key.not_before is not None and key.not_before.year == 2022
    assert key.source == "eu-national-mirror-de.json"


def test_negative_serial_numbers_are_tolerated(de_store: TrustStore) -> None:
    lebanese = [key for key in de_store if key.country == "LB"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        negative = [
            key for key in lebanese if key.certificate and key.certificate.serial_number < 0
        ]
    assert len(negative) == 5


def test_a_foreign_de_csca_drops_every_de_dsc(tmp_path: Path) -> None:
    anchor = tmp_path / "de-csca.pem"
    anchor.write_bytes(pki.pem(pki.csca("DE").certificate))
    store = load_trust([DE_LIST, anchor])
    german = sum(1 for e in json.loads(DE_LIST.read_text())["certificates"] if e["country"] == "DE")
    assert german == 214
    assert len(store) == 832 - german
    assert sum("not signed by any trusted CSCA of DE" in s.reason for s in store.skipped) == german


def _gateway(*entries: dict[str, Any]) -> list[dict[str, Any]]:
    return list(entries)


def test_gateway_array_with_every_certificate_type() -> None:
    csca = pki.csca("DE")
    dsc = pki.dsc(csca)
    upload = pki.build(pki.Spec(name="upload"), pki.ec_key())
    document = _gateway(
        pki.list_entry(csca.certificate, certificate_type="CSCA"),
        pki.list_entry(dsc.certificate),
        pki.list_entry(upload, certificate_type="UPLOAD"),
        pki.list_entry(upload, certificate_type="AUTHENTICATION"),
    )
    batch = import_eu_list(document, "gateway.json")
    assert [a.country for a in batch.anchors] == ["DE"]
    assert [k.kid for k in batch.keys] == [kid_of(dsc.certificate)]
    assert batch.ignored == 2 and batch.skipped == []
    store = TrustStore()
    assert store.add_batch(batch).added == 1


def test_gateway_csca_rejects_foreign_dscs() -> None:
    csca, foreign = pki.csca("DE"), pki.csca("DE")
    document = _gateway(
        pki.list_entry(pki.dsc(foreign).certificate),
        pki.list_entry(csca.certificate, certificate_type="CSCA"),
        pki.list_entry(pki.dsc(csca).certificate),
    )
    store = TrustStore()
    result = store.add_batch(import_eu_list(document, "gateway.json"))
    assert (result.added, len(result.skipped)) == (1, 1)


def _tampered(**changes: Any) -> dict[str, Any]:
    entry = pki.list_entry(pki.dsc(pki.csca("DE")).certificate)
    entry.update(changes)
    return entry


@pytest.mark.parametrize(
    ("entry", "reason"),
    [
        (_tampered(kid="AAAAAAAAAAA="), "differs from the certificate's"),
        (_tampered(thumbprint="00" * 32), "thumbprint does not match"),
        (_tampered(rawData="%%%"), "rawData is not base64"),
        (_tampered(rawData=base64.b64encode(b"0\x03\x02\x01\x00").decode()), "unreadable"),
        (_tampered(rawData=None), "no rawData"),
        (_tampered(country="FR"), "listed for FR but the certificate's subject says DE"),
        ("not an object", "not a JSON object"),
    ],
)
def test_bad_entries_are_skipped_with_a_reason(entry: Any, reason: str) -> None:
    good = pki.list_entry(pki.dsc(pki.csca("AT")).certificate, country="AT")
    batch = import_eu_list({"certificates": [entry, good]}, "mirror.json")
    assert len(batch.keys) == 1
    [skipped] = batch.skipped
    assert reason in skipped.reason and skipped.source.startswith("mirror.json [0]")


def test_entry_without_type_is_a_dsc() -> None:
    entry = pki.list_entry(pki.dsc(pki.csca("DE")).certificate)
    del entry["certificateType"], entry["thumbprint"]
    assert len(import_eu_list([entry], "x").keys) == 1


def test_unreadable_lists_raise(tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text('{"certificates": [')
    with pytest.raises(TrustStoreError, match="invalid JSON"):
        load_trust([broken])
    with pytest.raises(TrustStoreError, match="neither a JWKS nor an EU trust list"):
        import_document({"something": []}, "odd.json")
    with pytest.raises(TrustStoreError, match="not an EU trust list"):
        import_eu_list({"certificates": {}}, "odd.json")


def test_kinds_for_keys_without_eku_are_all(de_store: TrustStore) -> None:
    assert any(key.types == ALL_KINDS for key in de_store)


def test_gateway_array_with_a_stray_value_keeps_the_rest(tmp_path: Path) -> None:
    path = tmp_path / "gateway.json"
    entry = pki.list_entry(pki.dsc(pki.csca("DE")).certificate)
    path.write_text(json.dumps([42, entry, None]))
    store = load_trust([path])
    assert len(store) == 1 and len(store.skipped) == 2
    assert {s.source for s in store.skipped} == {"gateway.json [0]", "gateway.json [2]"}
